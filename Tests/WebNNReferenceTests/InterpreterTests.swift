import Testing
import WebNNBasics
import WebNNIR
import WebNNReference

@Suite struct InterpreterTests {
    @Test func everyRegisteredOperatorIsImplemented() {
        let registered = Set(OpSchema.registry.keys)
        #expect(registered.subtracting(Interpreter.supportedOperators).isEmpty)
        #expect(registered.subtracting(Tolerance.operatorsWithRules).isEmpty)
    }

    /// x: f32[1, 1, 2, 2] -> conv2d (constant 1x1 filter 2, bias -5) -> relu -> reshape [4], plus a second output.
    private func chainedGraph() throws -> Graph {
        var graph = Graph(name: "chain")
        let x = try graph.addInput("x", TensorType(.float32, [1, 1, 2, 2]))
        let filter = try graph.addConstant("w", Constant(data: f32([2], [1, 1, 1, 1])))
        let bias = try graph.addConstant("b", Constant(data: f32([-5], [1])))
        let conv = try graph.addNode(Node(op: "conv2d", operands: [x, filter, bias]), outputNames: ["conv"])[0]
        let relu = try graph.addNode(Node(op: "relu", operands: [conv]), outputNames: ["relu"])[0]
        let flat = try graph.addNode(Node(op: "reshape", operands: [relu], attributes: ["newShape": .ints([4])]), outputNames: ["flat"])[0]
        graph.setOutputs([flat, conv])
        try Verifier.verify(graph, after: "test")
        return graph
    }

    @Test func runsAChainOfNodesWithConstants() throws {
        let outputs = try Interpreter(chainedGraph()).run(["x": f32([1, 2, 3, 4], [1, 1, 2, 2])])
        #expect(Set(outputs.keys) == ["flat", "conv"])
        expectTensor(try #require(outputs["flat"]), [0, 0, 1, 3], [4])
        expectTensor(try #require(outputs["conv"]), [-3, -1, 1, 3], [1, 1, 2, 2])
    }

    @Test func reportsBadInputs() throws {
        let interpreter = Interpreter(try chainedGraph())
        let good = f32([1, 2, 3, 4], [1, 1, 2, 2])
        #expect(throws: InterpreterError.missingInput("x")) { try interpreter.run([:]) }
        #expect(throws: InterpreterError.unknownInput("y")) { try interpreter.run(["x": good, "y": good]) }
        #expect(throws: InterpreterError.unknownInput("w")) { try interpreter.run(["x": good, "w": good]) }
        #expect(throws: InterpreterError.inputTypeMismatch(name: "x", expected: TensorType(.float32, [1, 1, 2, 2]),
                                                           actual: TensorType(.float32, [4]))) {
            try interpreter.run(["x": f32([1, 2, 3, 4], [4])])
        }
        #expect(throws: InterpreterError.inputTypeMismatch(name: "x", expected: TensorType(.float32, [1, 1, 2, 2]),
                                                           actual: TensorType(.float16, [1, 1, 2, 2]))) {
            try interpreter.run(["x": TensorData(.float16, shape: [1, 1, 2, 2], values: [1, 2, 3, 4])])
        }
        #expect(InterpreterError.missingInput("x").description == "interpreter: no value given for input 'x'")
    }

    @Test func evaluatesOneNodeForTheConstantFolder() throws {
        let graph = try chainedGraph()
        let conv = graph.nodes[0]
        let results = try Interpreter.evaluate(conv, in: graph, operands: [f32([1, 2, 3, 4], [1, 1, 2, 2]), f32([3], [1, 1, 1, 1]), f32([0], [1])])
        expectTensor(results[0], [3, 6, 9, 12], [1, 1, 2, 2])
        #expect(throws: InterpreterError.self) {
            try Interpreter.evaluate(conv, in: graph, operands: [f32([1, 2, 3, 4], [4]), f32([3], [1, 1, 1, 1]), f32([0], [1])])
        }
    }
}
