import WebNNBasics
import WebNNIR

/// Runs the 4-D body of a convolution network channels-last (nhwc), the layout the fast CPU
/// kernels read and write with whole vectors of channels.
///
/// One walk over the graph in order. Each operator either prefers nhwc (conv2d,
/// convTranspose2d and the pools: always converted), follows its operands (element-wise ops,
/// concat, softmax, reductions, resample2d that does not upsample, batch and instance
/// normalization: converted when an operand is already available in nhwc), or does not care and
/// reads the graph's own layout.
/// A converted node reads the nhwc twin of each 4-D operand (a `transpose` to nhwc is inserted
/// the first time one is needed, e.g. for a graph input) and its nhwc result is transposed back
/// under the node's own name, so every other reader, and the graph outputs, see the layout the
/// graph declares. Back-transposes that nothing reads are removed as dead code afterwards, and
/// `simplify` cancels the transpose pairs left between layout-blind readers; what remains are
/// the conversions at the edges of the nhwc region. Filters keep their layout: conv2d accepts
/// any filter layout with nhwc input, and code generation re-packs filters at compile time.
enum LayoutConversion {
    static let pass = Pass("convert-layout",
                           "run conv2d, pooling and what follows them in nhwc; transposes only at the edges") { graph in
        var conversion = ChannelsLastConversion(original: graph)
        return try GraphRebuilder.rewrite(&graph) { node, rebuilder in try conversion.convert(node, &rebuilder) }
    }

    /// nchw → nhwc.
    static let toChannelsLast = [0, 2, 3, 1]
    /// nhwc → nchw.
    static let toChannelsFirst = [0, 3, 1, 2]

    /// Where nchw axis `axis` is in nhwc.
    static func channelsLastAxis(_ axis: Int) -> Int { toChannelsFirst[axis] }
}

/// The state of one walk: the nhwc twins made so far.
private struct ChannelsLastConversion {
    /// The graph being rewritten, for the result types of its nodes.
    let original: Graph
    /// For a 4-D value of the new graph in the graph's layout, the value holding the same
    /// tensor in nhwc.
    private var twins: [ValueID: ValueID] = [:]

    init(original: Graph) { self.original = original }

    /// The replacement of `node` (its operands already in the new graph), or nil to copy it.
    mutating func convert(_ node: Node, _ rebuilder: inout GraphRebuilder) throws -> [ValueID]? {
        let input = node.operands.first ?? nil
        let twins = self.twins
        func hasTwin(_ value: ValueID?) -> Bool { value.map { twins[$0] != nil } ?? false }
        let inputIsRank4 = input.map { rebuilder.graph[$0].type.rank == 4 } ?? false
        func axis(_ name: String, default value: Int? = nil) -> Attribute? {
            (node.int(name) ?? value).map { .int(Int64(LayoutConversion.channelsLastAxis($0))) }
        }
        switch node.op {
        case "conv2d", "convTranspose2d", QuantizedConv2dParameters.operatorName:
            guard node.string("inputLayout") ?? "nchw" == "nchw", inputIsRank4 else { return nil }
            // The input, the residual and any other fused operand broadcast to the result.
            return try channelsLast(node, &rebuilder, converting: { !["filter", "bias", "scale"].contains($0) }) {
                $0.attributes["inputLayout"] = .string("nhwc")
            }
        case "averagePool2d", "maxPool2d", "l2Pool2d", "instanceNormalization":
            // Pools prefer nhwc; instance normalization follows its input.
            guard node.string("layout") ?? "nchw" == "nchw", inputIsRank4,
                  node.op != "instanceNormalization" || hasTwin(input) else { return nil }
            return try channelsLast(node, &rebuilder) { $0.attributes["layout"] = .string("nhwc") }
        case "quantizeLinear", "dequantizeLinear":
            // Per-tensor quantization follows its input like an element-wise operator.
            guard hasTwin(input), inputIsRank4, let scale = node.operand("scale"),
                  rebuilder.graph[scale].type.elementCount == 1 else { return nil }
            return try channelsLast(node, &rebuilder, converting: { _ in true }) { _ in }
        case QuantizedAddParameters.operatorName:
            guard node.operands.contains(where: hasTwin), inputIsRank4 else { return nil }
            return try channelsLast(node, &rebuilder, converting: { _ in true }) { _ in }
        case "batchNormalization", "softmax":
            guard hasTwin(input), let channelsLastAxis = axis("axis", default: node.op == "softmax" ? nil : 1) else { return nil }
            return try channelsLast(node, &rebuilder) { $0.attributes["axis"] = channelsLastAxis }
        case "resample2d":
            // An upsampling one stays in the declared layout: the transpose back is then made of
            // its smaller input, not its larger result (DeepLab's 33² → 513² logits: 23 ms).
            guard hasTwin(input), let input,
                  original[node.outputs[0]].type.elementCount <= rebuilder.graph[input].type.elementCount else { return nil }
            let axes = (node.ints("axes") ?? [2, 3]).map { Int64(LayoutConversion.channelsLastAxis($0)) }
            return try channelsLast(node, &rebuilder) { $0.attributes["axes"] = .ints(axes) }
        case "concat":
            guard node.operands.contains(where: hasTwin), let channelsLastAxis = axis("axis") else { return nil }
            var converted = node
            converted.operands = try node.operands.map { try $0.map { try twin($0, &rebuilder) } }
            converted.attributes["axis"] = channelsLastAxis
            return try channelsLastResult(of: converted, named: node.outputs, &rebuilder)
        case let op where OperatorFamilies.reductions.contains(op):
            guard hasTwin(input) else { return nil }
            return try convertedReduction(node, &rebuilder)
        case let op where OperatorFamilies.elementwise.contains(op):
            guard node.operands.contains(where: hasTwin),
                  try node.schema.inferOutputs(node, rebuilder.graph).map(\.rank) == [4] else { return nil }
            return try channelsLast(node, &rebuilder, converting: { _ in true }) { _ in }
        default:
            return nil
        }
    }

    /// `node` reading the nhwc twins of the operands `converting` names (only the first one by
    /// default; others broadcast to the 4-D result), changed by `update`, its result
    /// transposed back.
    private mutating func channelsLast(_ node: Node, _ rebuilder: inout GraphRebuilder,
                                       converting: (String) -> Bool = { _ in false },
                                       update: (inout Node) -> Void) throws -> [ValueID] {
        var converted = node
        for (index, name) in node.schema.operandParameterNames.enumerated() where index < node.operands.count {
            guard let operand = node.operands[index], index == 0 || converting(name) else { continue }
            converted.operands[index] = try broadcastTwin(operand, &rebuilder)
        }
        update(&converted)
        return try channelsLastResult(of: converted, named: node.outputs, &rebuilder)
    }

    /// Adds `node` (already reading nhwc operands) and a transpose of its result back to the
    /// graph's layout under the source output's name; returns that transpose.
    private mutating func channelsLastResult(of node: Node, named outputs: [ValueID],
                                             _ rebuilder: inout GraphRebuilder) throws -> [ValueID] {
        let name = rebuilder.sourceNames(of: outputs)[0]
        let result = try rebuilder.addNode(node, outputNames: [rebuilder.freshName(name + "_nhwc")])[0]
        let back = try transpose(result, LayoutConversion.toChannelsFirst, named: name, &rebuilder)
        twins[back] = result
        return [back]
    }

    /// A reduction of a value available in nhwc, unless dropping the reduced axes leaves the
    /// remaining ones in another order than in the graph's layout.
    private mutating func convertedReduction(_ node: Node, _ rebuilder: inout GraphRebuilder) throws -> [ValueID]? {
        let axes = node.ints("axes") ?? Array(0..<4)
        var converted = node
        converted.operands[0] = try twin(node.operands[0]!, &rebuilder)
        converted.attributes["axes"] = .ints(axes.map { Int64(LayoutConversion.channelsLastAxis($0)) })
        if node.bool("keepDimensions") ?? false {
            return try channelsLastResult(of: converted, named: node.outputs, &rebuilder)
        }
        let kept = (0..<4).filter { !axes.contains($0) }
        guard kept == LayoutConversion.toChannelsLast.filter(kept.contains) else { return nil }
        return try rebuilder.addNode(converted, outputNames: rebuilder.sourceNames(of: node.outputs))
    }

    /// `value` (4-D) in nhwc: its twin, or a transpose made now and remembered.
    private mutating func twin(_ value: ValueID, _ rebuilder: inout GraphRebuilder) throws -> ValueID {
        if let twin = twins[value] { return twin }
        let name = rebuilder.freshName(rebuilder.graph[value].name + "_nhwc")
        let twin = try transpose(value, LayoutConversion.toChannelsLast, named: name, &rebuilder)
        twins[value] = twin
        return twin
    }

    /// An operand that broadcasts against a 4-D nchw result, made to broadcast the same way
    /// against the nhwc result: 4-D operands are transposed, lower ranks first get leading 1s
    /// (scalars need nothing). Constants fold later.
    private mutating func broadcastTwin(_ value: ValueID, _ rebuilder: inout GraphRebuilder) throws -> ValueID {
        let shape = rebuilder.graph[value].type.shape
        switch shape.count {
        case 0: return value
        case 4: return try twin(value, &rebuilder)
        default:
            let padded = [Int](repeating: 1, count: 4 - shape.count) + shape
            let name = rebuilder.freshName(rebuilder.graph[value].name + "_4d")
            let reshaped = try rebuilder.addNode(
                Node(op: "reshape", operands: [value], attributes: ["newShape": .ints(padded.map(Int64.init))]),
                outputNames: [name])[0]
            return try twin(reshaped, &rebuilder)
        }
    }

    private func transpose(_ value: ValueID, _ permutation: [Int], named name: String,
                           _ rebuilder: inout GraphRebuilder) throws -> ValueID {
        try rebuilder.addNode(Node(op: "transpose", operands: [value],
                                   attributes: ["permutation": .ints(permutation.map(Int64.init))]),
                              outputNames: [name])[0]
    }
}
