import Foundation
import WebNNBasics
import WebNNIR

/// Folds a per-channel affine map that follows a linear operator with constant weights into
/// those weights. The affine map is `batchNormalization` with constant mean, variance, scale and
/// bias along the channel axis, or `mul`/`add` by a constant (either side), or `sub` of a
/// constant, that varies only along the channel axis and does not change the output's shape.
/// The linear operator's output must have no other use (otherwise both would be computed):
/// - `conv2d` (any filter layout; nchw or nhwc, channel axis 1 or 3) with a constant filter and
///   optional constant bias → `conv2d` with its filter rescaled per output channel and a new bias;
/// - `gemm` with constant `b` and optional constant `c` → `gemm` with `b`'s columns rescaled and
///   `c` = `beta·c·scale + shift`, `beta` = 1 (`alpha` is kept);
/// - `matmul` whose `b` is a constant 2-D matrix: for a 2-D `a`, `matmul` with `b`'s columns
///   rescaled, or `gemm` with `c` = shift when there is a shift; for a batched `a`, the rescaled
///   `matmul` followed by an `add` of the shift (left alone when there is nothing to rescale).
/// A `batchNormalization` that follows none of these is left as it is: its kernel is one pass
/// over memory, where `mul` + `add` would be two.
enum BatchNormFolding {
    static let pass = Pass("fold-batchnorm", "fold batchNormalization and per-channel mul/add/sub by constants into a preceding conv2d, gemm or matmul with constant weights") { graph in
        try GraphRebuilder.rewrite(&graph, with: folded)
    }

    /// `output = input * scale + shift`, per channel.
    private struct ChannelAffine {
        var scale: [Double]
        var shift: [Double]

        var hasScale: Bool { scale.contains { $0 != 1 } }
        var hasShift: Bool { shift.contains { $0 != 0 } }
    }

    private static func folded(_ node: Node, _ rebuilder: inout GraphRebuilder) throws -> [ValueID]? {
        guard ["batchNormalization", "mul", "add", "sub"].contains(node.op) else { return nil }
        let candidates = node.operands.prefix(node.op == "batchNormalization" || node.op == "sub" ? 1 : 2).compactMap { $0 }
        for input in candidates where candidates.firstIndex(of: input) == candidates.lastIndex(of: input) {
            guard let linear = rebuilder.producer(of: input), rebuilder.useCount(of: input) == 1,
                  let channelAxis = channelAxis(of: linear, rebuilder),
                  try node.schema.inferOutputs(node, rebuilder.graph) == [rebuilder.graph[input].type],
                  let affine = affine(node, following: input, channelAxis: channelAxis, rebuilder)
            else { continue }
            let name = rebuilder.sourceNames(of: node.outputs)[0]
            switch linear.op {
            case "conv2d": return try foldedConv2d(linear, affine, name: name, &rebuilder)
            case "gemm": return try foldedGemm(linear, affine, name: name, &rebuilder)
            default: return try foldedMatmul(linear, affine, name: name, &rebuilder)
            }
        }
        return nil
    }

    /// The channel axis of a foldable linear node's output; nil unless its weights are constants.
    private static func channelAxis(of node: Node, _ rebuilder: GraphRebuilder) -> Int? {
        func isConstant(_ operand: String) -> Bool { node.operand(operand).map { rebuilder.constant($0) != nil } ?? false }
        func isAbsentOrConstant(_ operand: String) -> Bool { node.operand(operand) == nil || isConstant(operand) }
        // A fused residual or activation comes after the linear part: nothing folds through it.
        guard FusedEpilogue(node).isEmpty, node.op != "matmul" || node.operand("bias") == nil else { return nil }
        switch node.op {
        case "conv2d":
            guard isConstant("filter"), isAbsentOrConstant("bias") else { return nil }
            return node.string("inputLayout") == InputLayout.nhwc.rawValue ? 3 : 1
        case "gemm":
            return isConstant("b") && isAbsentOrConstant("c") ? 1 : nil
        case "matmul":
            guard isConstant("b"), rebuilder.graph[node.operand("b")!].type.rank == 2 else { return nil }
            return rebuilder.graph[node.operand("a")!].type.rank - 1
        default:
            return nil
        }
    }

    /// The affine map `node` applies to `input` along `channelAxis`, if its parameters are constants.
    private static func affine(_ node: Node, following input: ValueID, channelAxis: Int,
                               _ rebuilder: GraphRebuilder) -> ChannelAffine? {
        let shape = rebuilder.graph[input].type.shape
        let ones = [Double](repeating: 1, count: shape[channelAxis])
        let zeros = [Double](repeating: 0, count: shape[channelAxis])
        func channelValues(_ operand: ValueID?) -> [Double]? {
            guard let operand, let data = rebuilder.constant(operand) else { return nil }
            return perChannel(data, outputShape: shape, axis: channelAxis)
        }
        let other = node.operands.prefix(2).first { $0 != input } ?? nil
        switch node.op {
        case "mul": return channelValues(other).map { ChannelAffine(scale: $0, shift: zeros) }
        case "add": return channelValues(other).map { ChannelAffine(scale: ones, shift: $0) }
        case "sub": return channelValues(other).map { ChannelAffine(scale: ones, shift: $0.map { -$0 }) }
        default:
            // The statistics are 1-D, of the channel count (the operator's shape rule).
            func statistic(_ name: String, absent: [Double]?) -> [Double]? {
                guard let operand = node.operand(name) else { return absent }
                return rebuilder.constant(operand)?.doubles
            }
            guard node.int("axis") == channelAxis,
                  let mean = statistic("mean", absent: nil), let variance = statistic("variance", absent: nil)
            else { return nil }
            let bnScale = statistic("scale", absent: ones)
            let bnBias = statistic("bias", absent: zeros)
            guard let bnScale, let bnBias else { return nil }
            let epsilon = node.double("epsilon") ?? 1e-5
            let scale = (0..<ones.count).map { bnScale[$0] / (variance[$0] + epsilon).squareRoot() }
            return ChannelAffine(scale: scale, shift: (0..<ones.count).map { bnBias[$0] - mean[$0] * scale[$0] })
        }
    }

    /// The per-channel values of a constant broadcast against an output of `outputShape` along
    /// `axis`; nil unless the constant varies only along that axis and does not add dimensions.
    static func perChannel(_ data: TensorData, outputShape: [Int], axis: Int) -> [Double]? {
        guard data.type.rank <= outputShape.count else { return nil }
        let padded = [Int](repeating: 1, count: outputShape.count - data.type.rank) + data.type.shape
        let channels = outputShape[axis]
        guard padded.indices.allSatisfy({ $0 == axis || padded[$0] == 1 }),
              padded[axis] == 1 || padded[axis] == channels else { return nil }
        return padded[axis] == 1 ? [Double](repeating: data.double(at: 0), count: channels) : data.doubles
    }

    private static func foldedConv2d(_ conv: Node, _ affine: ChannelAffine, name: String,
                                     _ rebuilder: inout GraphRebuilder) throws -> [ValueID] {
        var folded = conv
        let filterID = conv.operand("filter")!
        if affine.hasScale {
            let layout = Conv2dFilterLayout(rawValue: conv.string("filterLayout") ?? "oihw") ?? .oihw
            let outputChannelAxis = layout == .oihw || layout == .ohwi ? 0 : 3
            let filter = scaled(rebuilder.constant(filterID)!, alongAxis: outputChannelAxis, by: affine.scale)
            folded.operands[1] = try rebuilder.addConstant(filter, name: rebuilder.freshName("\(name).filter"))
        }
        let oldBias = conv.operand("bias").map { rebuilder.constant($0)!.doubles }
        if affine.hasScale || affine.hasShift {
            let bias = (oldBias ?? [Double](repeating: 0, count: affine.scale.count)).enumerated().map { channel, value in
                value * affine.scale[channel] + affine.shift[channel]
            }
            if oldBias != nil || affine.hasShift {
                let dataType = rebuilder.graph[filterID].type.dataType
                let data = TensorData(dataType, shape: [bias.count], values: bias)
                folded.operands[2] = try rebuilder.addConstant(data, name: rebuilder.freshName("\(name).bias"))
            }
        }
        return try rebuilder.addNode(folded, outputNames: [name])
    }

    private static func foldedGemm(_ gemm: Node, _ affine: ChannelAffine, name: String,
                                   _ rebuilder: inout GraphRebuilder) throws -> [ValueID] {
        var folded = gemm
        folded.operands[1] = try scaledMatrix(gemm.operand("b")!, columnsAlongAxis: gemm.bool("bTranspose") == true ? 0 : 1,
                                              affine, name: name, &rebuilder)
        let c = gemm.operand("c").map { rebuilder.constant($0)! }
        guard c != nil || affine.hasShift else { return try rebuilder.addNode(folded, outputNames: [name]) }
        let beta = gemm.double("beta") ?? 1
        let channels = affine.scale.count
        // c broadcasts to [M, N]: as [rows, columns] with rows 1 or M, columns 1 or N.
        let cShape = c.map { [Int](repeating: 1, count: 2 - $0.type.rank) + $0.type.shape } ?? [1, 1]
        let (rows, columns) = (cShape[0], cShape[1])
        let values = (0..<rows * channels).map { index -> Double in
            let (row, channel) = (index / channels, index % channels)
            let cValue = c.map { $0.double(at: row * columns + (columns == 1 ? 0 : channel)) } ?? 0
            return beta * cValue * affine.scale[channel] + affine.shift[channel]
        }
        let dataType = rebuilder.graph[gemm.operand("a")!].type.dataType
        let newC = TensorData(dataType, shape: rows == 1 ? [channels] : [rows, channels], values: values)
        folded.operands[2] = try rebuilder.addConstant(newC, name: rebuilder.freshName("\(name).c"))
        folded.attributes["beta"] = nil
        return try rebuilder.addNode(folded, outputNames: [name])
    }

    private static func foldedMatmul(_ matmul: Node, _ affine: ChannelAffine, name: String,
                                     _ rebuilder: inout GraphRebuilder) throws -> [ValueID]? {
        let a = matmul.operand("a")!
        let isBatched = rebuilder.graph[a].type.rank > 2
        guard affine.hasScale || !isBatched else { return nil }
        let b = try scaledMatrix(matmul.operand("b")!, columnsAlongAxis: 1, affine, name: name, &rebuilder)
        guard affine.hasShift else {
            return try rebuilder.addNode(Node(op: "matmul", operands: [a, b], location: matmul.location), outputNames: [name])
        }
        let dataType = rebuilder.graph[a].type.dataType
        let shift = TensorData(dataType, shape: [affine.shift.count], values: affine.shift)
        if !isBatched {
            let c = try rebuilder.addConstant(shift, name: rebuilder.freshName("\(name).c"))
            return try rebuilder.addNode(Node(op: "gemm", operands: [a, b, c], location: matmul.location), outputNames: [name])
        }
        let product = try rebuilder.addNode(Node(op: "matmul", operands: [a, b], location: matmul.location),
                                            outputNames: [rebuilder.freshName("\(name).matmul")])
        let bias = try rebuilder.addConstant(shift, name: rebuilder.freshName("\(name).bias"))
        return try rebuilder.addNode(Node(op: "add", operands: [product[0], bias], location: matmul.location), outputNames: [name])
    }

    /// Constant matrix `id` with its output columns (along `axis`) multiplied by the affine scale;
    /// `id` itself when there is nothing to scale.
    private static func scaledMatrix(_ id: ValueID, columnsAlongAxis axis: Int, _ affine: ChannelAffine, name: String,
                                     _ rebuilder: inout GraphRebuilder) throws -> ValueID {
        guard affine.hasScale else { return id }
        let matrix = scaled(rebuilder.constant(id)!, alongAxis: axis, by: affine.scale)
        return try rebuilder.addConstant(matrix, name: rebuilder.freshName("\(name).b"))
    }

    /// `data` with every element multiplied by `factors[i]`, `i` being its index along `axis`.
    private static func scaled(_ data: TensorData, alongAxis axis: Int, by factors: [Double]) -> TensorData {
        let run = rowMajorStrides(data.type.shape)[axis]
        let size = data.type.shape[axis]
        if data.type.dataType == .float32 {  // the same arithmetic, in runs of one factor
            var values = data.floats
            values.withUnsafeMutableBufferPointer { buffer in
                for runStart in stride(from: 0, to: buffer.count, by: run) {
                    let factor = factors[(runStart / run) % size]
                    for index in runStart..<(runStart + run) { buffer[index] = Float(Double(buffer[index]) * factor) }
                }
            }
            return TensorData(float32: values, shape: data.type.shape)
        }
        let values = (0..<data.elementCount).map { data.double(at: $0) * factors[($0 / run) % size] }
        return TensorData(data.type.dataType, shape: data.type.shape, values: values)
    }
}
