import Testing
import WebNNBasics
import WebNNIR
@testable import WebNNFrontend

@Suite struct MultiOutputTests {
    private static func graph(_ statement: String, outputs: String = "a; b;") -> String {
        "webnn_graph \"g\" v1 {\n  inputs { x: f32[2, 6]; }\n  nodes {\n    \(statement)\n  }\n  outputs { \(outputs) }\n}\n"
    }

    @Test func splitBindsEachAssignedName() throws {
        let graph = try load(Self.graph("[a, b] = split(x, 2, axis=1);"))
        let a = try #require(graph.value(named: "a")), b = try #require(graph.value(named: "b"))
        #expect(graph[a].type == TensorType(.float32, [2, 3]) && graph[b].type == TensorType(.float32, [2, 3]))
        #expect(graph[a].definition == .node(0, output: 0) && graph[b].definition == .node(0, output: 1))
        #expect(graph.outputs == [a, b])
        #expect(graph.nodes[0].attributes == ["splits": .int(2), "axis": .int(1)])
        try Verifier.verify(graph, after: "test")
        #expect(GraphPrinter(writeWeights: false).statement(graph.nodes[0], graph) == "[a, b] = split(x, 2, axis=1);")
    }

    @Test func splitBySizesReadsBackFromItsDump() throws {
        let graph = try load(Self.graph("[a, b, c] = split(x, [1, 2, 3], axis=1);", outputs: "c; a;"))
        #expect(graph[graph.value(named: "c")!].type == TensorType(.float32, [2, 3]))
        let text = GraphPrinter(writeWeights: false).print(graph).text
        #expect(text.contains("[a, b, c] = split(x, [1, 2, 3], axis=1);"))
        let again = try load(text)
        #expect(again.nodes[0].attributes == graph.nodes[0].attributes)
    }

    @Test func theNumberOfNamesMustMatchTheOutputs() throws {
        expectDiagnostic("split produces 2 outputs but 3 names are assigned", line: 4, column: 17) {
            _ = try load(Self.graph("[a, b, c] = split(x, 2, axis=1);"))
        }
        expectDiagnostic("split produces 3 outputs but 1 name is assigned", line: 4, column: 9) {
            _ = try load(Self.graph("a = split(x, 3, axis=1);", outputs: "a;"))
        }
    }
}

@Suite struct RecurrentBindingTests {
    private static let text = """
        webnn_graph "g" v1 {
          inputs { x: f32[2, 3]; h: f32[2, 4]; c: f32[2, 4]; }
          consts { w: f32[16, 3] @scalar(0); r: f32[16, 4] @scalar(0); }
          nodes {
            [h1, c1] = lstmCell(x, w, r, h, c, 4, activations=ACTIVATIONS, layout=ifgo);
          }
          outputs { h1; c1; }
        }
        """

    @Test func activationsAreAListOfEnumValues() throws {
        let graph = try load(Self.text.replacingOccurrences(of: "ACTIVATIONS", with: "[sigmoid, relu, \"tanh\"]"))
        #expect(graph.nodes[0].attributes["activations"] == .strings(["sigmoid", "relu", "tanh"]))
        #expect(graph[graph.value(named: "c1")!].type == TensorType(.float32, [2, 4]))
        let statement = GraphPrinter(writeWeights: false).statement(graph.nodes[0], graph)
        #expect(statement == "[h1, c1] = lstmCell(x, w, r, h, c, 4, layout=\"ifgo\", activations=[\"sigmoid\", \"relu\", \"tanh\"]);")
        #expect(try load(GraphPrinter(writeWeights: false).print(graph).text).nodes[0].attributes == graph.nodes[0].attributes)
    }

    @Test func unknownActivationsAreRejected() throws {
        expectDiagnostic("'activations' of lstmCell must be a list of \"relu\", \"sigmoid\", \"tanh\", found name 'gelu'", line: 5, column: 65) {
            _ = try load(Self.text.replacingOccurrences(of: "ACTIVATIONS", with: "[sigmoid, gelu, tanh]"))
        }
    }
}
