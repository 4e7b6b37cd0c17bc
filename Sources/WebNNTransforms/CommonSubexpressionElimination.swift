import WebNNBasics
import WebNNIR

/// Merges nodes that compute the same thing: the same operator on the same operands with the
/// same attributes (absent attributes count as their defaults). Constants with the same type
/// and bytes are merged first, so nodes on equal weights merge too. A node that produces a graph
/// output is never merged away (its name is part of the library's interface).
enum CommonSubexpressionElimination {
    static let pass = Pass("cse", "merge identical nodes (same operator, operands and attributes) and identical constants") { graph in
        /// The source outputs of the first node of each kind.
        var representatives: [NodeKey: [ValueID]] = [:]
        var constantRepresentatives: [ConstantKey: ValueID] = [:]
        return try GraphRebuilder.rewrite(&graph) { node, rebuilder in
            var canonical = node
            canonical.operands = node.operands.map { operand in
                operand.map { id in
                    guard let data = rebuilder.constant(id) else { return id }
                    let key = ConstantKey(type: data.type, bytes: data.bytes)
                    if let representative = constantRepresentatives[key] { return representative }
                    constantRepresentatives[key] = id
                    return id
                }
            }
            let key = NodeKey(canonical)
            if let existing = representatives[key] {
                if !rebuilder.producesGraphOutput(node) { return existing.map(rebuilder.newValue(ofSource:)) }
            } else {
                representatives[key] = node.outputs
            }
            guard canonical.operands != node.operands else { return nil }
            return try rebuilder.addNode(canonical, outputNames: rebuilder.sourceNames(of: node.outputs))
        }
    }

    private struct ConstantKey: Hashable {
        var type: TensorType
        var bytes: [UInt8]
    }

    /// What makes two nodes compute the same values.
    private struct NodeKey: Hashable {
        var op: String
        var operands: [ValueID?]
        var attributes: [String: Attribute]

        init(_ node: Node) {
            op = node.op
            operands = node.operands
            attributes = node.attributes.filter { name, value in node.schema.parameter(named: name)?.defaultValue != value }
        }
    }
}
