import WebNNBasics

/// Checks the invariants every stage relies on: SSA order, operand kinds match the schema,
/// stored types equal the inferred ones, outputs are defined. Failures are internal errors
/// naming the stage (the pass) that broke the graph.
public enum Verifier {
    public static func verify(_ graph: Graph, after stage: String) throws {
        func fail(_ message: String) -> InternalError { InternalError(stage: stage, message) }
        var defined = Set(graph.inputs).union(graph.constants.keys)
        for id in graph.inputs where graph[id].definition != .input { throw fail("input \(graph[id].name) is not defined as an input") }
        for (id, constant) in graph.constants where constant.data.type != graph[id].type {
            throw fail("constant \(graph[id].name) holds \(constant.data.type) but is typed \(graph[id].type)")
        }
        for (index, node) in graph.nodes.enumerated() {
            guard let schema = OpSchema.registry[node.op] else { throw fail("node \(index) has unknown op '\(node.op)'") }
            let hasList = schema.positional.contains { $0.kind == .operandList }
            if !hasList && node.operands.count != schema.operandParameterNames.count {
                throw fail("\(node.op) node \(index) has \(node.operands.count) operand slots, expected \(schema.operandParameterNames.count)")
            }
            for operand in node.operands.compactMap({ $0 }) where !defined.contains(operand) {
                throw fail("\(node.op) node \(index) uses \(operand) before it is defined")
            }
            let inferred: [TensorType]
            do { inferred = try schema.inferOutputs(node, graph) } catch {
                throw fail("\(node.op) node \(index) no longer type-checks: \(error)")
            }
            guard inferred == node.outputs.map({ graph[$0].type }) else {
                throw fail("\(node.op) node \(index) outputs are typed \(node.outputs.map { graph[$0].type }) but infer to \(inferred)")
            }
            for (position, output) in node.outputs.enumerated() {
                guard graph[output].definition == .node(index, output: position) else {
                    throw fail("\(node.op) node \(index) output \(position) is not defined by it")
                }
                defined.insert(output)
            }
        }
        if graph.outputs.isEmpty { throw fail("the graph has no outputs") }
        for output in graph.outputs where !defined.contains(output) { throw fail("output \(output) is not defined") }
    }
}
