import WebNNBasics
import WebNNIR

/// Builds a new graph from an old one node by node, keeping a map from old to new values,
/// so a pass can drop, replace or insert nodes without touching the graph's internals.
struct GraphRebuilder {
    private(set) var graph: Graph
    private var mapping: [ValueID: ValueID] = [:]
    private let source: Graph

    /// Starts a copy of `source` holding its inputs and the constants `keepConstant` accepts.
    init(from source: Graph, keepConstant: (ValueID) -> Bool = { _ in true }) throws {
        self.source = source
        graph = Graph(name: source.name)
        for id in source.inputs {
            mapping[id] = try graph.addInput(source[id].name, source[id].type, at: source[id].location)
        }
        for id in source.constants.keys.sorted() where keepConstant(id) {
            mapping[id] = try graph.addConstant(source[id].name, source.constants[id]!, at: source[id].location)
        }
    }

    /// Copies `node` of the source graph, with its operands mapped to the new graph.
    mutating func copy(_ node: Node) throws {
        var copied = node
        copied.operands = node.operands.map { $0.map { mapping[$0]! } }
        let outputs = try graph.addNode(copied, outputNames: node.outputs.map { source[$0].name })
        for (old, new) in zip(node.outputs, outputs) { mapping[old] = new }
    }

    /// Sets the outputs to the source graph's outputs and returns the finished graph.
    mutating func finish() -> Graph {
        graph.setOutputs(source.outputs.map { mapping[$0]! })
        return graph
    }
}
