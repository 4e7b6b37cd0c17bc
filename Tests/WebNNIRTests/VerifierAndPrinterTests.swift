import Testing
import WebNNBasics
@testable import WebNNIR

private func smallGraph() throws -> Graph {
    var graph = Graph(name: "mlp")
    let x = try graph.addInput("x", TensorType(.float32, [1, 4]))
    let w = try graph.addConstant("w", Constant(data: TensorData(float32: (0..<32).map(Float.init), shape: [4, 8]), weightsKey: "fc_w"))
    let b = try graph.addConstant("b", Constant(data: TensorData(float32: [Float](repeating: 0.5, count: 8), shape: [8])))
    let c = try graph.addConstant("c", Constant(data: TensorData(float32: [1, 2], shape: [2, 1])))
    let y = try graph.addNode(Node(op: "gemm", operands: [x, w, b], attributes: ["alpha": .double(2)]), outputNames: ["y"])[0]
    let s = try graph.addNode(Node(op: "softmax", operands: [y], attributes: ["axis": .int(1)]), outputNames: ["s"])[0]
    let z = try graph.addNode(Node(op: "concat", operands: [s, s], attributes: ["axis": .int(0)]), outputNames: ["z"])[0]
    let m = try graph.addNode(Node(op: "mul", operands: [z, c]), outputNames: ["m"])[0]
    graph.addOutput(m)
    return graph
}

@Test func verifierAcceptsBuiltGraph() throws {
    try Verifier.verify(try smallGraph(), after: "test")
}

@Test func verifierRejectsGraphWithoutOutputs() throws {
    var graph = Graph(name: "t")
    try graph.addInput("x", TensorType(.float32, [2]))
    #expect(throws: InternalError(stage: "broken-pass", "the graph has no outputs")) {
        try Verifier.verify(graph, after: "broken-pass")
    }
}

@Test func printerWritesWebNNText() throws {
    let (text, weights) = GraphPrinter(writeWeights: true).print(try smallGraph())
    #expect(text == """
        webnn_graph "mlp" v1 {
          inputs {
            x: f32[1, 4];
          }
          consts {
            w: f32[4, 8] @weights("fc_w");
            b: f32[8] @scalar(0.5);
            c: f32[2, 1] @bytes([0, 0, 128, 63, 0, 0, 0, 64]);
          }
          nodes {
            y = gemm(x, w, c=b, alpha=2.0);
            s = softmax(y, 1);
            z = concat([s, s], 0);
            m = mul(z, c);
          }
          outputs { m; }
        }

        """)
    let file = try #require(weights)
    #expect(file.tensors.map(\.key) == ["fc_w"])
    #expect(file.tensors.map(\.offset) == [8])
    #expect(file.binary.count == 8 + 32 * 4)
    #expect(file.manifestJSON.contains("\"fc_w\": {\"dataType\": \"float32\", \"shape\": [4, 8], \"byteOffset\": 8, \"byteLength\": 128"))
}

@Test func numbersPrintAsFloats() {
    #expect(formatNumber(2) == "2.0")
    #expect(formatNumber(1e-5) == "1.0e-05")
    #expect(formatNumber(0.1) == "0.1")
    #expect(formatNumber(-3.5) == "-3.5")
}
