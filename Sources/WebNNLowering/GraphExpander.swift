import WebNNBasics
import WebNNIR

/// Copies a graph node by node into a new one while a rule may replace a node by several nodes
/// of the new graph. Inputs, constants and outputs keep their names (the compiled library's
/// interface), and a replaced node's outputs take its outputs' names, so graph outputs and
/// later consumers refer to the replacements.
struct GraphExpander {
    /// The graph being built.
    private(set) var graph: Graph
    private let source: Graph
    /// The new value of each source value visited so far.
    private var mapping: [ValueID: ValueID] = [:]
    private let sourceNames: Set<String>
    /// How many fresh names were made (their suffix, so that finding one takes one try).
    private var freshNames = 0

    /// Starts a copy of `source` holding its inputs and constants.
    init(copying source: Graph) throws {
        self.source = source
        sourceNames = Set(source.values.map(\.name))
        graph = Graph(name: source.name)
        for id in source.inputs {
            mapping[id] = try graph.addInput(source[id].name, source[id].type, at: source[id].location)
        }
        for id in source.constants.keys.sorted() {
            mapping[id] = try graph.addConstant(source[id].name, source.constants[id]!, at: source[id].location)
        }
    }

    /// Adds source node `node`, or what `replacement` makes of it: given the node with its
    /// operands mapped to the new graph and its outputs' names, the replacement returns the new
    /// values of its outputs (named so), or nil to copy the node.
    mutating func visit(_ node: Node, replacement: (Node, [String], inout GraphExpander) throws -> [ValueID]?) throws {
        var mapped = node
        mapped.operands = node.operands.map { $0.map { mapping[$0]! } }
        let names = node.outputs.map { source[$0].name }
        let outputs = try replacement(mapped, names, &self) ?? graph.addNode(mapped, outputNames: names)
        for (old, new) in zip(node.outputs, outputs) { mapping[old] = new }
    }

    /// The finished graph, with the source graph's outputs.
    func finish() -> Graph {
        var finished = graph
        finished.setOutputs(source.outputs.map { mapping[$0]! })
        return finished
    }

    /// Adds a node and returns its first output, named `name` or a fresh name derived from `op`.
    mutating func add(_ op: String, _ operands: [ValueID?], _ attributes: [String: Attribute] = [:],
                      name: String? = nil, at location: SourceLocation?) throws -> ValueID {
        let node = Node(op: op, operands: operands, attributes: attributes, location: location)
        return try graph.addNode(node, outputNames: [name ?? freshName(op)])[0]
    }

    /// Adds a constant under a fresh name.
    mutating func constant(_ data: TensorData) throws -> ValueID {
        try graph.addConstant(freshName("constant"), Constant(data: data))
    }

    /// A name no value of the source or the new graph has, derived from `base`.
    mutating func freshName(_ base: String) -> String {
        while true {
            freshNames += 1
            let name = "\(base)_\(freshNames)"
            if !sourceNames.contains(name) && graph.value(named: name) == nil { return name }
        }
    }
}
