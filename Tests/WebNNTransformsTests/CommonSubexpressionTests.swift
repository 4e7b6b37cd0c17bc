import Testing
import WebNNBasics
import WebNNIR
@testable import WebNNTransforms

/// cse fingerprints a large constant by a sample of its bytes: equal constants still merge, and
/// constants that differ only in bytes outside the sample do not.
@Suite struct CommonSubexpressionTests {
    @Test func largeConstantsMergeOnlyWhenEqual() throws {
        let count = 4099  // not a multiple of the 64 samples
        let values = (0..<count).map { Float($0 % 97) * 0.25 }
        var unsampled = values
        unsampled[count / 2 + 3] += 1  // bytes 8208..<8212: between the samples at 8192 and 8448
        var graph = Graph(name: "cse")
        let x = try graph.addInput("x", TensorType(.float32, [count]))
        let constants = try [values, values, unsampled].enumerated().map { index, data in
            try graph.addConstant("c\(index)", Constant(data: TensorData(float32: data, shape: [count])))
        }
        let sums = try constants.map { try graph.addNode(Node(op: "add", operands: [x, $0]))[0] }
        let merged = try graph.addNode(Node(op: "mul", operands: [sums[0], sums[1]]))[0]
        graph.setOutputs([merged, sums[2]])
        #expect(try CommonSubexpressionElimination.pass.run(&graph))
        #expect(graph.constants.count == 2)
        #expect(graph.nodes.filter { $0.op == "add" }.count == 2)
    }
}
