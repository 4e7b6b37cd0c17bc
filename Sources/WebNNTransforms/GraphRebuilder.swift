import WebNNBasics
import WebNNIR

/// Decides what becomes of one node while a graph is rebuilt: given the node with its operands
/// already mapped into the new graph (its `outputs` still name the source graph's values),
/// returns the new-graph values that replace its outputs, or nil to copy the node unchanged.
typealias RewriteRule = (Node, inout GraphRebuilder) throws -> [ValueID]?

/// Builds a new graph from an old one node by node, keeping a map from old to new values,
/// so a pass can drop, replace or insert nodes without touching the graph's internals.
struct GraphRebuilder {
    /// The graph being built.
    private(set) var graph: Graph
    private let source: Graph
    private var mapping: [ValueID: ValueID] = [:]
    /// Per source value: its users, plus one per listing as a graph output.
    private let sourceUses: [ValueID: Int]
    /// Per new value: uses by nodes already added, plus the uses still to come from source
    /// nodes not visited yet (and graph outputs). Nodes that a rewrite leaves dead still count,
    /// so this is an upper bound.
    private var uses: [ValueID: Int] = [:]
    private let sourceNames: Set<String>

    /// Starts a copy of `source` holding its inputs and the constants `keepConstant` accepts.
    init(from source: Graph, keepConstant: (ValueID) -> Bool = { _ in true }) throws {
        self.source = source
        var sourceUses = source.users().mapValues(\.count)
        for output in source.outputs { sourceUses[output, default: 0] += 1 }
        self.sourceUses = sourceUses
        sourceNames = Set(source.values.map(\.name))
        graph = Graph(name: source.name)
        for id in source.inputs {
            bind(id, to: try graph.addInput(source[id].name, source[id].type, at: source[id].location))
        }
        for id in source.constants.keys.sorted() where keepConstant(id) {
            bind(id, to: try graph.addConstant(source[id].name, source.constants[id]!, at: source[id].location))
        }
    }

    /// Rebuilds `graph`, letting `rule` replace nodes, then removes the code that no output
    /// depends on any more. Returns whether the graph changed (it is left as it was otherwise).
    static func rewrite(_ graph: inout Graph, with rule: RewriteRule) throws -> Bool {
        var rebuilder = try GraphRebuilder(from: graph)
        var rewrites = 0
        for node in graph.nodes {
            if try rebuilder.visit(node, rule) { rewrites += 1 }
        }
        var rebuilt = try rebuilder.finish()
        let removedDeadCode = try DeadCodeElimination.removeDeadCode(&rebuilt)
        guard rewrites > 0 || removedDeadCode else { return false }
        graph = rebuilt
        return true
    }

    /// Copies `node` of the source graph, with its operands mapped to the new graph.
    mutating func copy(_ node: Node) throws {
        _ = try visit(node) { _, _ in nil }
    }

    /// Adds a node whose operands are new-graph values, naming its outputs `outputNames`.
    mutating func addNode(_ node: Node, outputNames: [String]) throws -> [ValueID] {
        for operand in node.operands.compactMap({ $0 }) { uses[operand, default: 0] += 1 }
        return try graph.addNode(node, outputNames: outputNames)
    }

    /// Adds a constant named `name`.
    mutating func addConstant(_ data: TensorData, name: String) throws -> ValueID {
        try graph.addConstant(name, Constant(data: data))
    }

    /// A name no value of the source or the new graph has, derived from `base`.
    func freshName(_ base: String) -> String {
        var name = base
        var suffix = 1
        while sourceNames.contains(name) || graph.value(named: name) != nil {
            name = "\(base)_\(suffix)"
            suffix += 1
        }
        return name
    }

    /// The new value that source value `id` became (it must have been visited already).
    func newValue(ofSource id: ValueID) -> ValueID { mapping[id]! }

    /// The names of source values (a rule's node's `outputs`), for the values that replace them.
    func sourceNames(of ids: [ValueID]) -> [String] { ids.map { source[$0].name } }

    /// Whether a source node's outputs include a graph output. Such outputs may only be replaced
    /// by new values that take their names: the names are the compiled library's interface.
    func producesGraphOutput(_ node: Node) -> Bool {
        node.outputs.contains(where: source.outputs.contains)
    }

    /// How many uses new value `id` will have (an upper bound; graph outputs count as uses).
    func useCount(of id: ValueID) -> Int { uses[id, default: 0] }

    /// The node producing new value `id`, if a node produces it.
    func producer(of id: ValueID) -> Node? { graph.producer(of: id) }

    /// The contents of new value `id` if it is a constant.
    func constant(_ id: ValueID) -> TensorData? { graph.constants[id]?.data }

    /// Sets the outputs to the source graph's outputs and returns the finished graph.
    func finish() throws -> Graph {
        var finished = graph
        finished.setOutputs(source.outputs.map { mapping[$0]! })
        return finished
    }

    /// Maps `node`'s operands, applies `rule`, and copies the node when the rule declines.
    /// Returns whether the rule replaced the node.
    private mutating func visit(_ node: Node, _ rule: RewriteRule) throws -> Bool {
        var mapped = node
        mapped.operands = node.operands.map { $0.map(newValue(ofSource:)) }
        let replacement = try rule(mapped, &self)
        for operand in mapped.operands.compactMap({ $0 }) { uses[operand, default: 0] -= 1 }
        let outputs = try replacement ?? addNode(mapped, outputNames: sourceNames(of: node.outputs))
        guard outputs.count == node.outputs.count else {
            throw InternalError(stage: "graph rebuilder", "\(node.op) replaced by \(outputs.count) values for \(node.outputs.count) outputs")
        }
        for (old, new) in zip(node.outputs, outputs) {
            if source.outputs.contains(old) && graph[new].name != source[old].name {
                throw InternalError(stage: "graph rebuilder", "a rewrite renamed graph output '\(source[old].name)' to '\(graph[new].name)'")
            }
            bind(old, to: new)
        }
        return replacement != nil
    }

    private mutating func bind(_ old: ValueID, to new: ValueID) {
        mapping[old] = new
        uses[new, default: 0] += sourceUses[old, default: 0]
    }
}
