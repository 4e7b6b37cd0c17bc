import Testing
import WebNNBasics
import WebNNIR
import WebNNReference

/// Builds and runs a one-node graph of `op` over graph inputs; returns every output of the node.
func runAll(_ op: String, _ operands: [TensorData?], _ attributes: [String: Attribute] = [:]) throws -> [TensorData] {
    var graph = Graph(name: op)
    var inputs: [String: TensorData] = [:]
    let ids = try operands.enumerated().map { index, operand in
        try operand.map { operand -> ValueID in
            inputs["x\(index)"] = operand
            return try graph.addInput("x\(index)", operand.type)
        }
    }
    let outputs = try graph.addNode(Node(op: op, operands: ids, attributes: attributes))
    graph.setOutputs(outputs)
    try Verifier.verify(graph, after: "test")
    let results = try Interpreter(graph).run(inputs)
    return try outputs.map { try #require(results[graph[$0].name]) }
}
