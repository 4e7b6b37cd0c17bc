import Foundation
import WebNNBasics
import WebNNIR

/// Turns quantized (QDQ) subgraphs into integer operators (`fuse-qdq`):
///
/// - `quantizeLinear([relu|clamp](conv2d(dequantizeLinear(x, sx, zx), dequantizeLinear(W, sw, 0),
///   bias=B)), sy, zy)` becomes one `quantizedConv2d` (see `QuantizedConv2dParameters`) reading
///   `x` directly. `x` is uint8 or int8 with a per-tensor scale and zero point; `W` an int8
///   constant with a per-tensor or per-output-channel scale and zero point 0; `B` absent, an
///   int32 constant dequantized with zero point 0, or a float32 constant; `sy`, `zy` per
///   tensor, `zy` uint8 or int8. The requantization scale is `sx·sw[o]/sy` (computed in double,
///   rounded once to float32); the integer bias is `B`'s int32 values when its scale is
///   float32(sx·sw[o]) (ONNX Runtime's convention), otherwise the float bias divided by
///   sx·sw[o], rounded half to even. relu becomes `outputMinValue = max(zy, type min)` and
///   clamp the quantized bounds: quantizeLinear is monotone, so quantizing the clamped value
///   equals clamping the quantized one. The conv2d and activation results must have no other
///   use; the dequantized input may.
/// - The same around `gemm` (a `[M, K]`, a constant int8 `[K, N]` weight, or `[N, K]` with
///   bTranspose, scaled per tensor or per column, c absent or `[N]`): a 1×1 nhwc quantizedConv2d
///   of `reshape(a, [1, 1, M, K])`, reshaped back to `[M, N]`.
/// - `quantizeLinear(maxPool2d(dequantizeLinear(x, s, z)), s, z)` (the same per-tensor scale,
///   zero point and type) becomes `maxPool2d(x)`: max commutes with the monotone maps, and
///   quantizing a dequantized 8-bit value gives it back exactly.
///
/// What the integer operator computes may differ from the QDQ float graph by one quantization
/// step where the float graph's rounding of the sum (and of `x/sy`) lands on the other side of a
/// rounding boundary than the exact sum scaled once (docs/operators.md).
enum QuantizedFusion {
    static let pass = Pass("fuse-qdq",
                           "turn dequantize -> conv2d (+bias, relu/clamp) -> quantize into one integer quantizedConv2d, and quantized max pools into integer ones") { graph in
        try GraphRebuilder.rewrite(&graph, with: rewrite)
    }

    /// The constant `value` is, also through reshapes of constants: the ONNX importer gives a
    /// per-tensor scale or zero point the input's rank by a reshape (the spec's dequantizeLinear
    /// wants equal ranks), and this pass runs before constant folding, which would turn the
    /// dequantized int8 weights into float ones.
    private static func constant(_ value: ValueID, _ rebuilder: GraphRebuilder) -> TensorData? {
        if let data = rebuilder.constant(value) { return data }
        guard let producer = rebuilder.producer(of: value), producer.op == "reshape", let source = producer.operands[0],
              let data = constant(source, rebuilder) else { return nil }
        return TensorData(type: TensorType(data.type.dataType, rebuilder.graph[value].type.shape), bytes: data.bytes)
    }

    /// A per-tensor (scale, zero point, zero point's type) of constants, nil otherwise.
    private static func perTensor(_ scale: ValueID, _ zeroPoint: ValueID,
                                  _ rebuilder: GraphRebuilder) -> (scale: Float, zeroPoint: Int, type: DataType)? {
        guard let s = constant(scale, rebuilder), let z = constant(zeroPoint, rebuilder),
              s.type.elementCount == 1, z.type.elementCount == 1, s.type.dataType == .float32,
              [.uint8, .int8].contains(z.type.dataType) else { return nil }
        let value = s.floats[0]
        guard value.isFinite, value > 0 else { return nil }
        return (value, Int(z.integers[0]), z.type.dataType)
    }

    private static func rewrite(_ node: Node, _ rebuilder: inout GraphRebuilder) throws -> [ValueID]? {
        guard node.op == "quantizeLinear", let value = node.operand("input"),
              let output = perTensor(node.operand("scale")!, node.operand("zeroPoint")!, rebuilder),
              rebuilder.useCount(of: value) == 1, rebuilder.graph[value].type.dataType == .float32,
              let producer = rebuilder.producer(of: value) else { return nil }
        if ["maxPool2d", "reshape", "transpose"].contains(producer.op) { return try integerDataMovement(node, producer, output, &rebuilder) }
        if producer.op == "concat" { return try integerConcat(node, producer, output, &rebuilder) }
        var convolution = producer
        var activation: Node?
        if producer.op == "relu" || producer.op == "clamp" {
            guard let inner = producer.operands[0], rebuilder.useCount(of: inner) == 1,
                  let conv = rebuilder.producer(of: inner) else { return nil }
            (convolution, activation) = (conv, producer)
        }
        let name = rebuilder.sourceNames(of: node.outputs)[0]
        if convolution.op == "gemm" { return try integerGemm(convolution, activation, output, name: name, &rebuilder) }
        if convolution.op == "add" { return try integerAdd(convolution, activation, output, name: name, &rebuilder) }
        return try integerConvolution(convolution, activation, output, name: name, &rebuilder)
    }

    /// `gemm(dequantizeLinear(a), dequantizeLinear(B), c)` (a `[M, K]`, B an int8 constant
    /// `[K, N]`, or `[N, K]` with bTranspose, scaled per tensor or per column; no aTranspose,
    /// alpha = beta = 1; c absent or `[N]`) as the same chain on a 1×1 nhwc convolution of the
    /// image `reshape(a, [1, 1, M, K])` with the filter B read as `ihwo` `[K, 1, 1, N]` (or `ohwi`
    /// `[N, 1, 1, K]`); the quantizedConv2d result `[1, 1, M, N]` is reshaped back.
    private static func integerGemm(_ gemm: Node, _ activation: Node?, _ output: (scale: Float, zeroPoint: Int, type: DataType),
                                    name: String, _ rebuilder: inout GraphRebuilder) throws -> [ValueID]? {
        guard FusedEpilogue(gemm).isEmpty, gemm.bool("aTranspose") != true, gemm.double("alpha") ?? 1 == 1,
              gemm.double("beta") ?? 1 == 1, let da = gemm.operand("a"), let db = gemm.operand("b"),
              let dequantizeA = rebuilder.producer(of: da), dequantizeA.op == "dequantizeLinear",
              let a = dequantizeA.operand("input"), perTensor(dequantizeA.operand("scale")!, dequantizeA.operand("zeroPoint")!, rebuilder) != nil,
              let dequantizeB = rebuilder.producer(of: db), dequantizeB.op == "dequantizeLinear",
              let weights = constant(dequantizeB.operand("input")!, rebuilder), weights.type.dataType == .int8,
              let scales = constant(dequantizeB.operand("scale")!, rebuilder), scales.type.dataType == .float32,
              let zeros = constant(dequantizeB.operand("zeroPoint")!, rebuilder), zeros.integers.allSatisfy({ $0 == 0 }) else { return nil }
        let transposed = gemm.bool("bTranspose") == true
        let (m, k) = (rebuilder.graph[a].type.shape[0], rebuilder.graph[a].type.shape[1])
        let n = weights.type.shape[transposed ? 0 : 1]
        let c = gemm.operand("c")
        guard c.map({ rebuilder.graph[$0].type.shape == [n] }) ?? true else { return nil }
        func addConstant(_ data: TensorData, shape: [Int], _ suffix: String) throws -> ValueID {
            try rebuilder.addConstant(TensorData(type: TensorType(data.type.dataType, shape), bytes: data.bytes)!,
                                      name: rebuilder.freshName(name + suffix))
        }
        // Per column: the scale varies along N only.
        let scaleShape = scales.type.elementCount == 1 ? [1, 1, 1, 1] : (transposed ? [n, 1, 1, 1] : [1, 1, 1, n])
        guard scales.type.elementCount == 1 || scales.type.elementCount == n else { return nil }
        let image = try rebuilder.addNode(Node(op: "reshape", operands: [a], attributes: ["newShape": .ints([1, 1, Int64(m), Int64(k)])],
                                               location: gemm.location), outputNames: [rebuilder.freshName(name + "_a_nhwc")])[0]
        let dequantizedImage = try rebuilder.addNode(
            Node(op: "dequantizeLinear", operands: [image, try reshapedScalar(dequantizeA.operand("scale")!, &rebuilder),
                                                    try reshapedScalar(dequantizeA.operand("zeroPoint")!, &rebuilder)]),
            outputNames: [rebuilder.freshName(name + "_a_dq")])[0]
        let filterShape = transposed ? [n, 1, 1, k] : [k, 1, 1, n]
        let filter = try rebuilder.addNode(
            Node(op: "dequantizeLinear", operands: [try addConstant(weights, shape: filterShape, "_b_q"), try addConstant(scales, shape: scaleShape, "_b_s"),
                                                    try addConstant(zeros, shape: scaleShape, "_b_z")]),
            outputNames: [rebuilder.freshName(name + "_b_dq")])[0]
        var convolution = Node(op: "conv2d", operands: [dequantizedImage, filter],
                               attributes: ["inputLayout": .string("nhwc"), "filterLayout": .string(transposed ? "ohwi" : "ihwo")],
                               location: gemm.location)
        if let c { convolution.operands += [c] }
        guard let fused = try integerConvolution(convolution, activation, output, name: rebuilder.freshName(name + "_nhwc"), &rebuilder)
        else { return nil }
        return try rebuilder.addNode(Node(op: "reshape", operands: fused, attributes: ["newShape": .ints([Int64(m), Int64(n)])],
                                          location: gemm.location), outputNames: [name])
    }

    /// A per-tensor scale or zero point constant as `[1, 1, 1, 1]`.
    private static func reshapedScalar(_ value: ValueID, _ rebuilder: inout GraphRebuilder) throws -> ValueID {
        let data = constant(value, rebuilder)!
        return try rebuilder.addConstant(TensorData(type: TensorType(data.type.dataType, [1, 1, 1, 1]), bytes: data.bytes)!,
                                         name: rebuilder.freshName(rebuilder.graph[value].name + "_4d"))
    }

    /// The quantizedConv2d named `name` for `quantizeLinear([activation](convolution))` with
    /// `output`'s parameters, or nil when the convolution does not qualify.
    private static func integerConvolution(_ convolution: Node, _ activation: Node?,
                                           _ output: (scale: Float, zeroPoint: Int, type: DataType), name: String,
                                           _ rebuilder: inout GraphRebuilder) throws -> [ValueID]? {
        guard convolution.op == "conv2d", FusedEpilogue(convolution).isEmpty,
              let dx = convolution.operand("input"), let dw = convolution.operand("filter"),
              let dequantizeX = rebuilder.producer(of: dx), dequantizeX.op == "dequantizeLinear",
              let x = dequantizeX.operand("input"),
              let input = perTensor(dequantizeX.operand("scale")!, dequantizeX.operand("zeroPoint")!, rebuilder),
              let dequantizeW = rebuilder.producer(of: dw), dequantizeW.op == "dequantizeLinear",
              let w = dequantizeW.operand("input"), let weights = constant(w, rebuilder), weights.type.dataType == .int8,
              let weightScales = constant(dequantizeW.operand("scale")!, rebuilder), weightScales.type.dataType == .float32,
              let weightZeroPoints = constant(dequantizeW.operand("zeroPoint")!, rebuilder),
              weightZeroPoints.integers.allSatisfy({ $0 == 0 }) else { return nil }
        let parameters = try Conv2dParameters(convolution, rebuilder.graph)
        let channels = parameters.outputChannels
        // Per tensor, or per output channel: the filter layout's o axis.
        let layout = parameters.filterLayout.rawValue
        let outputAxis = layout.firstIndex(of: "o")!.utf16Offset(in: layout)
        let scaleShape = weightScales.type.shape
        let filterScales: [Float]
        if scaleShape.allSatisfy({ $0 == 1 }) {
            filterScales = Array(repeating: weightScales.floats[0], count: channels)
        } else if scaleShape.enumerated().allSatisfy({ $0.offset == outputAxis ? $0.element == channels : $0.element == 1 }) {
            filterScales = weightScales.floats
        } else {
            return nil
        }
        guard filterScales.allSatisfy({ $0.isFinite && $0 > 0 }) else { return nil }
        // Integer bias in units of sx·sw[o].
        let accumulatorScales = filterScales.map { Double(input.scale) * Double($0) }
        var bias = [Int64](repeating: 0, count: channels)
        if let b = convolution.operand("bias") {
            if let dequantizeB = rebuilder.producer(of: b), dequantizeB.op == "dequantizeLinear",
               let bq = constant(dequantizeB.operand("input")!, rebuilder), bq.type.dataType == .int32,
               let bs = constant(dequantizeB.operand("scale")!, rebuilder), bs.type.dataType == .float32,
               let bz = constant(dequantizeB.operand("zeroPoint")!, rebuilder), bz.integers.allSatisfy({ $0 == 0 }),
               bq.type.shape == [channels], bs.type.elementCount == 1 || bs.type.elementCount == channels {
                let values = bq.integers, scales = bs.floats
                for o in 0..<channels {
                    let scale = scales[scales.count == 1 ? 0 : o]
                    if scale == input.scale * filterScales[o] {
                        bias[o] = values[o]
                    } else {
                        bias[o] = Int64((Double(Float(Double(values[o]) * Double(scale))) / accumulatorScales[o]).rounded(.toNearestOrEven))
                    }
                }
            } else if let floats = constant(b, rebuilder), floats.type.dataType == .float32 {
                let values = floats.floats
                for o in 0..<channels { bias[o] = Int64((Double(values[o]) / accumulatorScales[o]).rounded(.toNearestOrEven)) }
            } else {
                return nil
            }
        }
        // The int32 sum must not wrap: |x − zx| ≤ 255, |w| ≤ 128.
        let taps = parameters.inputChannelsPerGroup * parameters.kernelHeight * parameters.kernelWidth
        guard Double(taps) * 255 * 128 + Double(bias.map { abs($0) }.max() ?? 0) < Double(Int32.max) else { return nil }
        guard let (low, high) = quantizedBounds(activation, output) else { return nil }
        let range = QuantizedConv2dParameters.range(output.type)
        let biasValue = try rebuilder.addConstant(TensorData(.int32, shape: [channels], integers: bias),
                                                  name: rebuilder.freshName(name + "_bias_q"))
        let scales = (0..<channels).map { Float(accumulatorScales[$0] / Double(output.scale)) }
        let scaleValue = try rebuilder.addConstant(TensorData(float32: scales, shape: [channels]),
                                                   name: rebuilder.freshName(name + "_scale_q"))
        var attributes: [String: Attribute] = [
            "inputZeroPoint": .int(Int64(input.zeroPoint)), "outputZeroPoint": .int(Int64(output.zeroPoint)),
            "outputDataType": .string(output.type.rawValue),
        ]
        for key in ["padding", "strides", "dilations", "groups", "inputLayout", "filterLayout"] {
            if let attribute = convolution.attributes[key] { attributes[key] = attribute }
        }
        if low != range.lowerBound { attributes["outputMinValue"] = .int(Int64(low)) }
        if high != range.upperBound { attributes["outputMaxValue"] = .int(Int64(high)) }
        // With a zero point, padded taps must add nothing: a kernel that skips them cannot fold
        // the zero point into the initial accumulators (VNNI), one that reads the zero point
        // there can. So a grouped-by-1 convolution reads its input padded with the zero point
        // (exact: (z − z)·w = 0), a copy of the input, which the faster dot product repays.
        var input8 = x
        let padding = parameters.window.padding
        if input.zeroPoint != 0, parameters.groups == 1, padding.contains(where: { $0 != 0 }) {
            let (top, bottom, left, right) = (Int64(padding[0]), Int64(padding[1]), Int64(padding[2]), Int64(padding[3]))
            let nhwc = parameters.inputLayout == .nhwc
            input8 = try rebuilder.addNode(
                Node(op: "pad", operands: [x], attributes: [
                    "beginningPadding": .ints(nhwc ? [0, top, left, 0] : [0, 0, top, left]),
                    "endingPadding": .ints(nhwc ? [0, bottom, right, 0] : [0, 0, bottom, right]),
                    "value": .int(Int64(input.zeroPoint))], location: convolution.location),
                outputNames: [rebuilder.freshName(name + "_padded")])[0]
            attributes["padding"] = .ints([0, 0, 0, 0])
        }
        let fused = Node(op: QuantizedConv2dParameters.operatorName, operands: [input8, w, biasValue, scaleValue],
                         attributes: attributes, location: convolution.location)
        return try rebuilder.addNode(fused, outputNames: [name])
    }

    /// The quantized bounds of a relu or clamp (the output type's range without one); nil when
    /// they are empty.
    private static func quantizedBounds(_ activation: Node?, _ output: (scale: Float, zeroPoint: Int, type: DataType)) -> (Int, Int)? {
        let range = QuantizedConv2dParameters.range(output.type)
        func quantized(_ bound: Double) -> Int {
            let quotient = Double(Float(Double(Float(bound)) / Double(output.scale)))
            return Int(min(max(quotient.rounded(.toNearestOrEven) + Double(output.zeroPoint), Double(range.lowerBound)),
                           Double(range.upperBound)))
        }
        var (low, high) = (range.lowerBound, range.upperBound)
        if let activation {
            if activation.op == "relu" {
                low = max(low, output.zeroPoint)
            } else {
                if let minValue = activation.double("minValue") { low = quantized(minValue) }
                if let maxValue = activation.double("maxValue") { high = quantized(maxValue) }
                guard low <= high else { return nil }
            }
        }
        return (low, high)
    }

    /// `quantizeLinear([activation](add(dequantizeLinear(a, sa, za), dequantizeLinear(b, sb, zb))), sy, zy)`,
    /// all per tensor and `a`, `b` of one shape, as `quantizedAdd(a, b)` with the multipliers
    /// sa/sy and sb/sy (in double, rounded once to float32).
    private static func integerAdd(_ add: Node, _ activation: Node?, _ output: (scale: Float, zeroPoint: Int, type: DataType),
                                   name: String, _ rebuilder: inout GraphRebuilder) throws -> [ValueID]? {
        var inputs: [(value: ValueID, scale: Float, zeroPoint: Int)] = []
        for operand in add.operands {
            guard let operand, let dequantize = rebuilder.producer(of: operand), dequantize.op == "dequantizeLinear",
                  let x = dequantize.operand("input"),
                  let parameters = perTensor(dequantize.operand("scale")!, dequantize.operand("zeroPoint")!, rebuilder),
                  rebuilder.graph[x].type.dataType == parameters.type else { return nil }
            inputs.append((x, parameters.scale, parameters.zeroPoint))
        }
        guard inputs.count == 2, rebuilder.graph[inputs[0].value].type.shape == rebuilder.graph[inputs[1].value].type.shape,
              let (low, high) = quantizedBounds(activation, output) else { return nil }
        let range = QuantizedConv2dParameters.range(output.type)
        var attributes: [String: Attribute] = [
            "aScale": .double(Double(Float(Double(inputs[0].scale) / Double(output.scale)))),
            "bScale": .double(Double(Float(Double(inputs[1].scale) / Double(output.scale)))),
            "aZeroPoint": .int(Int64(inputs[0].zeroPoint)), "bZeroPoint": .int(Int64(inputs[1].zeroPoint)),
            "outputZeroPoint": .int(Int64(output.zeroPoint)), "outputDataType": .string(output.type.rawValue),
        ]
        if low != range.lowerBound { attributes["outputMinValue"] = .int(Int64(low)) }
        if high != range.upperBound { attributes["outputMaxValue"] = .int(Int64(high)) }
        return try rebuilder.addNode(Node(op: QuantizedAddParameters.operatorName, operands: [inputs[0].value, inputs[1].value],
                                          attributes: attributes, location: add.location), outputNames: [name])
    }

    /// `quantizeLinear(op(dequantizeLinear(x, s, z)), s, z)` → `op(x)` for a max pool, reshape or
    /// transpose: they commute with the monotone element-wise maps, and quantizing a dequantized
    /// 8-bit value with the same parameters gives it back exactly.
    private static func integerDataMovement(_ node: Node, _ pool: Node, _ output: (scale: Float, zeroPoint: Int, type: DataType),
                                       _ rebuilder: inout GraphRebuilder) throws -> [ValueID]? {
        guard let dx = pool.operands[0], let dequantize = rebuilder.producer(of: dx), dequantize.op == "dequantizeLinear",
              let x = dequantize.operand("input"),
              let input = perTensor(dequantize.operand("scale")!, dequantize.operand("zeroPoint")!, rebuilder),
              input.scale == output.scale, input.zeroPoint == output.zeroPoint, input.type == output.type,
              rebuilder.graph[x].type.dataType == output.type else { return nil }
        var integer = pool
        integer.operands[0] = x
        return try rebuilder.addNode(integer, outputNames: rebuilder.sourceNames(of: node.outputs))
    }

    /// `quantizeLinear(concat(dequantizeLinear(x_i, s_i, z_i), ...), s, z)` (per tensor) →
    /// `concat(x'_i, ...)`: x_i itself where (s_i, z_i) and its type are the result's (exact),
    /// otherwise x_i requantized by a `quantizedAdd` without `b` (aScale s_i/s: within one step of
    /// the float graph's dequantize and quantize).
    private static func integerConcat(_ node: Node, _ concat: Node, _ output: (scale: Float, zeroPoint: Int, type: DataType),
                                      _ rebuilder: inout GraphRebuilder) throws -> [ValueID]? {
        var inputs: [ValueID] = []
        for operand in concat.operands {
            guard let operand, let dequantize = rebuilder.producer(of: operand), dequantize.op == "dequantizeLinear",
                  let x = dequantize.operand("input"),
                  let input = perTensor(dequantize.operand("scale")!, dequantize.operand("zeroPoint")!, rebuilder),
                  rebuilder.graph[x].type.dataType == input.type else { return nil }
            if input.scale == output.scale && input.zeroPoint == output.zeroPoint && input.type == output.type {
                inputs.append(x)
                continue
            }
            let requantize = Node(op: QuantizedAddParameters.operatorName, operands: [x], attributes: [
                "aScale": .double(Double(Float(Double(input.scale) / Double(output.scale)))),
                "aZeroPoint": .int(Int64(input.zeroPoint)), "outputZeroPoint": .int(Int64(output.zeroPoint)),
                "outputDataType": .string(output.type.rawValue)], location: concat.location)
            let name = rebuilder.freshName(rebuilder.graph[x].name + "_requantized")
            inputs.append(try rebuilder.addNode(requantize, outputNames: [name])[0])
        }
        var integer = concat
        integer.operands = inputs
        return try rebuilder.addNode(integer, outputNames: rebuilder.sourceNames(of: node.outputs))
    }
}
