import Testing
import WebNNBasics
import WebNNFrontend
import WebNNIR
@testable import WebNNReference

/// A graph from `.webnn` text with inline constants.
private func loadGraph(_ text: String) throws -> Graph {
    let graph = try GraphLoader.load(SourceText(text, file: "test.webnn"),
                                     weights: WeightsPaths(manifest: "/nonexistent/test.manifest.json", weights: "/nonexistent/test.weights"))
    try Verifier.verify(graph, after: "test")
    return graph
}

/// A node with fused-epilogue options computes exactly what its separate nodes compute, and its
/// tolerance adds the absorbed operators' ULP counts.
@Suite struct FusedEpilogueEvaluationTests {
    private func graphs(_ fusedCall: String, separate: String, inputs: String) throws -> (fused: Graph, separate: Graph) {
        func graph(_ nodes: String) throws -> Graph {
            try loadGraph("""
                webnn_graph "g" v1 {
                  inputs { \(inputs) }
                  consts { w: f32[3, 2, 2, 2] @bytes([\((0..<24).map { ["0, 0, 128, 63", "0, 0, 128, 191", "0, 0, 0, 63"][$0 % 3] }.joined(separator: ", "))]);
                           b: f32[3] @bytes([0, 0, 0, 63, 0, 0, 128, 191, 0, 0, 0, 64]); m: f32[2, 3] @scalar(0.25);
                           sl: f32[3, 1, 1] @bytes([0, 0, 0, 63, 0, 0, 128, 191, 0, 0, 0, 64]); }
                  nodes { \(nodes) }
                  outputs { y; }
                }
                """)
        }
        return (try graph(fusedCall), try graph(separate))
    }

    @Test(arguments: [
        ("fusedActivation=\"relu\"", "y = relu(s);"),
        ("fusedActivation=\"clamp\", fusedMinValue=-0.5, fusedMaxValue=1.5", "y = clamp(s, minValue=-0.5, maxValue=1.5);"),
        ("fusedActivation=\"sigmoid\"", "y = sigmoid(s);"),
        ("fusedActivation=\"tanh\"", "y = tanh(s);"),
        ("fusedActivation=\"leakyRelu\", fusedAlpha=0.3", "y = leakyRelu(s, alpha=0.3);"),
        ("fusedActivation=\"hardSwish\"", "y = hardSwish(s);"),
        ("fusedActivation=\"elu\", fusedAlpha=0.7", "y = elu(s, alpha=0.7);"),
        ("fusedActivation=\"elu\"", "y = elu(s);"),
        ("fusedActivation=\"hardSigmoid\", fusedAlpha=0.3, fusedBeta=0.6", "y = hardSigmoid(s, alpha=0.3, beta=0.6);"),
        ("fusedActivation=\"hardSigmoid\"", "y = hardSigmoid(s);"),
        ("fusedActivation=\"gelu\"", "y = gelu(s);"),
        ("fusedActivation=\"prelu\", fusedSlope=sl", "y = prelu(s, sl);"),
    ])
    func convolutionWithResidualAndActivation(_ options: String, _ activation: String) throws {
        let (fused, separate) = try graphs(
            "y = conv2d(x, w, bias=b, residual=r, \(options));",
            separate: "c = conv2d(x, w, bias=b); s = add(c, r); \(activation)",
            inputs: "x: f32[1, 2, 3, 3]; r: f32[1, 3, 2, 2];")
        let x = TensorData(.float32, shape: [1, 2, 3, 3], values: (0..<18).map { Double($0 % 7) * 0.37 - 1.1 })
        let r = TensorData(.float32, shape: [1, 3, 2, 2], values: (0..<12).map { Double($0 % 5) * 0.6 - 1.3 })
        let inputs = ["x": x, "r": r]
        #expect(try Interpreter(fused).run(inputs)["y"]! == Interpreter(separate).run(inputs)["y"]!)
        let fusedTolerance = try Tolerance.wpt(for: fused.outputs[0], in: fused)
        let separateTolerance = try Tolerance.wpt(for: separate.outputs[0], in: separate)
        #expect(fusedTolerance == separateTolerance)
    }

    @Test func transposedConvolution() throws {
        let (fused, separate) = try graphs(
            "y = convTranspose2d(x, w, bias=b, filterLayout=\"ohwi\", residual=r, fusedActivation=\"prelu\", fusedSlope=sl);",
            separate: "c = convTranspose2d(x, w, bias=b, filterLayout=\"ohwi\"); s = add(c, r); y = prelu(s, sl);",
            inputs: "x: f32[1, 2, 3, 3]; r: f32[1, 3, 4, 4];")
        let x = TensorData(.float32, shape: [1, 2, 3, 3], values: (0..<18).map { Double($0 % 7) * 0.37 - 1.1 })
        let r = TensorData(.float32, shape: [1, 3, 4, 4], values: (0..<48).map { Double($0 % 5) * 0.6 - 1.3 })
        let inputs = ["x": x, "r": r]
        let y = try Interpreter(fused).run(inputs)["y"]!
        #expect(y == (try Interpreter(separate).run(inputs)["y"]!))
        #expect(y.doubles.contains { $0 < 0 } && y.doubles.contains { $0 > 0 })
        #expect(try Tolerance.wpt(for: fused.outputs[0], in: fused) == Tolerance.wpt(for: separate.outputs[0], in: separate))
    }

    @Test func optionsCheckedAgainstTheActivation() throws {
        let inputs = "x: f32[1, 2, 3, 3];"
        for (options, message) in [("fusedActivation=\"prelu\"", "needs fusedSlope"), ("fusedActivation=\"relu\", fusedSlope=sl", "needs fusedSlope"),
                                   ("fusedActivation=\"elu\", fusedBeta=0.5", "fusedBeta needs"), ("fusedActivation=\"gelu\", fusedAlpha=0.5", "fusedAlpha needs"),
                                   ("fusedActivation=\"prelu\", fusedSlope=b", "does not broadcast")] {
            #expect { _ = try graphs("y = conv2d(x, w, \(options));", separate: "y = conv2d(x, w);", inputs: inputs) } throws: {
                "\($0)".contains(message)
            }
        }
    }

    @Test func matmulBiasAndGemm() throws {
        let (fused, separate) = try graphs(
            "y = matmul(a, m, bias=b, residual=r, fusedActivation=\"sigmoid\");",
            separate: "p = matmul(a, m); q = add(p, b); s = add(q, r); y = sigmoid(s);",
            inputs: "a: f32[2, 4, 2]; r: f32[2, 4, 3];")
        let a = TensorData(.float32, shape: [2, 4, 2], values: (0..<16).map { Double($0) * 0.3 - 2 })
        let r = TensorData(.float32, shape: [2, 4, 3], values: (0..<24).map { Double($0 % 4) - 1.5 })
        let inputs = ["a": a, "r": r]
        #expect(try Interpreter(fused).run(inputs)["y"]! == Interpreter(separate).run(inputs)["y"]!)
        #expect(try Tolerance.wpt(for: fused.outputs[0], in: fused) == .ulp(2 * 2 + 1 + 1 + 34))
    }
}
