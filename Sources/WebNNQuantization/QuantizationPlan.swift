import WebNNBasics
import WebNNIR

/// Which values of a float graph a static quantization turns into 8-bit (QDQ) values, and which
/// nodes get integer weights. The rules follow what ONNX Runtime's `quantize_static` writes in
/// QDQ format, so that `fuse-qdq` turns the result into integer operators:
///
/// - A quantized node is a `conv2d` with a constant filter, a `gemm` with a constant 2-D `b`
///   (no aTranspose, alpha = beta = 1), a `matmul` with a constant 2-D `b`, or an `add`,
///   `concat`, `maxPool2d`, `averagePool2d` or `resample2d`, unless `--keep-float` names it.
/// - Its float32 activation operands (not constants) are quantized, and so is its result: the
///   result of a `relu` or `clamp` that is the result's only use when there is one (so that
///   `quantizeLinear(relu(conv2d(...)))` fuses), and never a graph output (its name and float
///   type are the library's interface).
/// - A `maxPool2d` or `resample2d` result takes its input's scale and zero point (the values stay
///   in the input's range; the integer max pool needs them equal).
public struct QuantizationPlan: Sendable {
    /// The values to quantize (each gets quantizeLinear -> dequantizeLinear), in graph order.
    public private(set) var values: [ValueID] = []
    /// A value that takes another value's scale and zero point instead of its own range.
    public private(set) var sharedRange: [ValueID: ValueID] = [:]
    /// Indices (into `graph.nodes`) of the nodes whose constant weights become int8.
    public private(set) var weightedNodes: Set<Int> = []

    /// The values whose ranges calibration must observe: `values` less the shared ones.
    public var observedValues: [ValueID] { values.filter { sharedRange[$0] == nil } }

    static let activationOps: Set<String> = ["add", "concat", "maxPool2d", "averagePool2d", "resample2d"]
    static let rangeKeepingOps: Set<String> = ["maxPool2d", "resample2d"]

    /// The plan for `graph`; `keepFloat` names nodes (by an output's name) that stay float.
    public init(_ graph: Graph, keepFloat: Set<String> = []) throws {
        let nodeNames = Set(graph.nodes.flatMap { $0.outputs.map { graph[$0].name } })
        if let unknown = keepFloat.sorted().first(where: { !nodeNames.contains($0) }) {
            let suggestion = SpellingSuggestion.closest(to: unknown, in: Array(nodeNames))
            throw QuantizationError("--keep-float \(unknown): no node has an output of that name"
                                    + (suggestion.map { "; did you mean '\($0)'?" } ?? ""))
        }
        let users = graph.users()
        let graphOutputs = Set(graph.outputs)
        var chosen = Set<ValueID>()
        func quantize(_ id: ValueID) {
            guard graph[id].type.dataType == .float32, graph.constants[id] == nil, !graphOutputs.contains(id),
                  chosen.insert(id).inserted else { return }
            values.append(id)
        }
        for (index, node) in graph.nodes.enumerated() {
            guard !node.outputs.contains(where: { keepFloat.contains(graph[$0].name) }),
                  let activations = QuantizationPlan.activationOperands(of: node, in: graph) else { continue }
            if ["conv2d", "gemm", "matmul"].contains(node.op) { weightedNodes.insert(index) }
            activations.forEach(quantize)
            var result = node.outputs[0]
            if let use = users[result], use.count == 1, !graphOutputs.contains(result),
               ["relu", "clamp"].contains(graph.nodes[use[0]].op) {
                result = graph.nodes[use[0]].outputs[0]
            }
            quantize(result)
            if QuantizationPlan.rangeKeepingOps.contains(node.op), chosen.contains(result), chosen.contains(activations[0]) {
                sharedRange[result] = sharedRange[activations[0]] ?? activations[0]
            }
        }
        values.sort()
    }

    /// The activation operands of a node this plan quantizes, or nil if it stays float.
    static func activationOperands(of node: Node, in graph: Graph) -> [ValueID]? {
        func isConstant2D(_ id: ValueID?) -> Bool {
            guard let id, let constant = graph.constants[id] else { return false }
            return constant.data.type.rank == 2 && constant.data.type.dataType == .float32
        }
        switch node.op {
        case "conv2d":
            guard let filter = node.operand("filter"), graph.constants[filter]?.data.type.dataType == .float32,
                  node.operand("bias").map({ graph.constants[$0] != nil }) ?? true else { return nil }
            return [node.operand("input")!]
        case "gemm":
            guard isConstant2D(node.operand("b")), node.bool("aTranspose") != true,
                  node.double("alpha") ?? 1 == 1, node.double("beta") ?? 1 == 1 else { return nil }
            return [node.operand("a")!]
        case "matmul":
            guard isConstant2D(node.operand("b")) else { return nil }
            return [node.operand("a")!]
        case _ where activationOps.contains(node.op):
            let operands = node.operands.compactMap { $0 }.filter { graph.constants[$0] == nil && graph[$0].type.dataType == .float32 }
            return operands.isEmpty ? nil : operands
        default:
            return nil
        }
    }
}

/// A quantization input (calibration data, options) is wrong; the message says where.
public struct QuantizationError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
