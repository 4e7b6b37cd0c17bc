import WebNNBasics
import WebNNIR

/// Removes nodes and constants that no graph output depends on (graph inputs always stay: they are
/// part of the compiled library's interface).
enum DeadCodeElimination {
    static let pass = Pass("dce", "remove nodes and constants no output depends on") { graph in
        try removeDeadCode(&graph)
    }

    /// Removes the dead code of `graph`; returns whether there was any.
    static func removeDeadCode(_ graph: inout Graph) throws -> Bool {
        var live = Set(graph.outputs)
        var liveNodes = Set<Int>()
        for (index, node) in graph.nodes.enumerated().reversed() where node.outputs.contains(where: live.contains) {
            liveNodes.insert(index)
            live.formUnion(node.operands.compactMap { $0 })
        }
        guard liveNodes.count < graph.nodes.count || graph.constants.keys.contains(where: { !live.contains($0) }) else { return false }
        var rebuilder = try GraphRebuilder(from: graph, keepConstant: live.contains)
        for (index, node) in graph.nodes.enumerated() where liveNodes.contains(index) { try rebuilder.copy(node) }
        graph = try rebuilder.finish()
        return true
    }
}
