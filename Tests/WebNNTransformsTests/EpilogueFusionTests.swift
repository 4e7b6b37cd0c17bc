import Foundation
import Testing
import WebNNBasics
import WebNNFrontend
import WebNNIR
import WebNNReference
@testable import WebNNTransforms
import WebNNTestSupport

@Suite struct EpilogueFusionTests {
    /// `fuse-epilogues` fires on most of the random graphs built for it (and keeps their results:
    /// `NumericTests` runs it on every seed).
    @Test func fusionFiresOnRandomGraphs() throws {
        var fused = 0, total = 0
        for seed in NumericTests.seeds where seed % 6 == 4 {
            total += 1
            var graph = try RandomGraphs.make(seed: seed).graph
            try PassManager(pipeline: PassRegistry.pipeline(parsing: "fuse-epilogues")).run(&graph)
            if graph.nodes.contains(where: { !FusedEpilogue($0).isEmpty || $0.op == "gemm" && $0.operand("c") != nil }) { fused += 1 }
        }
        #expect(fused * 2 > total, "only \(fused) of \(total) graphs fused anything")
    }

    /// A fused node is one DOT box titled with the operators it absorbed.
    @Test func dotTitlesFusedNodes() throws {
        var graph = try load("""
            webnn_graph "g" v1 {
              inputs { x: f32[1, 2, 3, 3]; skip: f32[1, 4, 3, 3]; }
              consts { w: f32[4, 2, 1, 1] @scalar(1); }
              nodes { conv = conv2d(x, w); sum = add(conv, skip); y = relu(sum); }
              outputs { y; }
            }
            """)
        try PassManager(pipeline: PassRegistry.pipeline(parsing: "fuse-epilogues")).run(&graph)
        #expect(graph.nodes.count == 1)
        #expect(GraphDot.render(graph).contains("label=\"conv2d + add + relu\\ny: f32[1, 4, 3, 3]"))
    }

    /// A `mul` by a one-element constant after a matmul (attention's scaled scores) fuses as
    /// `linear` with beta −0; the fused graph prints, reads back, and computes bit for bit what
    /// the two nodes compute (a −0 result included: 0·c with c < 0 is −0, and −0 + (+0) would be +0).
    @Test func scaleFusesAsLinear() throws {
        let graph = try load("""
            webnn_graph "g" v1 {
              inputs { q: f32[2, 2, 2]; k: f32[2, 2, 3]; }
              consts { s: f32[1] @scalar(-0.35); }
              nodes { scores = matmul(q, k); y = mul(s, scores); }
              outputs { y; }
            }
            """)
        var fused = graph
        try PassManager(pipeline: PassRegistry.pipeline(parsing: "fuse-epilogues")).run(&fused)
        #expect(fused.nodes.map(\.op) == ["matmul"])
        let epilogue = FusedEpilogue(fused.nodes[0])
        #expect(epilogue.activation == .linear && epilogue.alpha == Double(Float(-0.35)) && epilogue.beta?.sign == .minus)
        let reread = try load(printed(fused))
        let inputs = ["q": TensorData(.float32, shape: [2, 2, 2], values: [1, 0, -2, 0.5, 0, 0, 3, -1]),
                      "k": TensorData(.float32, shape: [2, 2, 3], values: [0, 1, -4, 0, 2, 0.25, 1, -1, 0, 2, 0, 7])]
        let expected = try Interpreter(graph).run(inputs)["y"]!
        #expect(expected.floats.contains { $0 == 0 && $0.sign == .minus })
        #expect(try Interpreter(fused).run(inputs)["y"]!.bytes == expected.bytes)
        #expect(try Interpreter(reread).run(inputs)["y"]!.bytes == expected.bytes)
    }

    /// The options are checked like any option: clamp bounds only with clamp, min ≤ max, the
    /// residual's type is the output's.
    @Test func shapeRulesCheckTheOptions() throws {
        func graph(_ call: String) throws -> Graph {
            try load("""
                webnn_graph "g" v1 {
                  inputs { x: f32[1, 2, 3, 3]; r: f32[1, 4, 3, 2]; }
                  consts { w: f32[4, 2, 1, 1] @scalar(1); }
                  nodes { y = \(call); }
                  outputs { y; }
                }
                """)
        }
        #expect(throws: (any Error).self) { try graph("conv2d(x, w, fusedActivation=\"relu\", fusedMinValue=0)") }
        #expect(throws: (any Error).self) { try graph("conv2d(x, w, fusedActivation=\"clamp\", fusedMinValue=2, fusedMaxValue=1)") }
        #expect(throws: (any Error).self) { try graph("conv2d(x, w, residual=r)") }
        #expect(throws: (any Error).self) { try graph("conv2d(x, w, fusedAlpha=0.5)") }
        #expect(throws: (any Error).self) { try graph("conv2d(x, w, fusedActivation=\"softplus\")") }
        _ = try graph("conv2d(x, w, fusedActivation=\"clamp\", fusedMaxValue=6)")
    }
}

/// The ResNet-shaped and MobileNet-v1-shaped fixtures (`scripts/make-fixture-models.py`).
@Suite struct FixtureModelTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/models")

    static func load(_ name: String) throws -> Graph {
        try GraphLoader.load(path: directory.appendingPathComponent(name + ".webnn").path, options: FrontendOptions())
    }

    /// After -O3 no batchNormalization is left and every conv2d has a bias and a fused
    /// activation, except a ResNet shortcut convolution that another conv2d adds as its residual
    /// (`relu(conv + shortcut)` fuses into one of the two). The whole body runs in nhwc: the one
    /// transpose left converts the input image. The results are kept.
    @Test(arguments: [("resnet_shaped", 32, 14), ("mobilenet_v1_shaped", 32, 14)])
    func o3FusesEveryConvolution(_ name: String, nodesBefore: Int, nodesAfter: Int) throws {
        let graph = try FixtureModelTests.load(name)
        var optimized = graph
        try PassManager(pipeline: PassRegistry.pipeline(optimizationLevel: 3), verifyEach: true).run(&optimized)
        func census(_ graph: Graph) -> String {
            Dictionary(grouping: graph.nodes, by: \.op).map { "\($0.key) \($0.value.count)" }.sorted().joined(separator: ", ")
        }
        print("\(name): \(graph.nodes.count) nodes before -O3 (\(census(graph))), \(optimized.nodes.count) after (\(census(optimized)))")
        #expect(graph.nodes.count == nodesBefore)
        #expect(optimized.nodes.count == nodesAfter)
        #expect(!optimized.nodes.contains { $0.op == "batchNormalization" })
        #expect(!optimized.nodes.contains { ["relu", "clamp", "add"].contains($0.op) })
        let residuals = Set(optimized.nodes.compactMap { FusedEpilogue($0).activation != nil ? FusedEpilogue($0).residual : nil })
        for conv in optimized.nodes where conv.op == "conv2d" {
            let output = optimized[conv.outputs[0]].name
            #expect(conv.operand("bias") != nil, "\(output) has no bias")
            let isDenseLayer = conv.string("filterLayout") == "ihwo"  // the classifier, no activation
            #expect(FusedEpilogue(conv).activation != nil || residuals.contains(conv.outputs[0]) || isDenseLayer,
                    "\(output) has no activation")
        }
        // matmul + bias add → gemm → a 1×1 conv2d over the features (dense-as-conv).
        #expect(!optimized.nodes.contains { $0.op == "gemm" || $0.op == "matmul" })
        #expect(optimized.nodes.filter { $0.string("filterLayout") == "ihwo" }.count == 1)
        let transposes = optimized.nodes.filter { $0.op == "transpose" }
        #expect(transposes.count == 1 && transposes[0].operands == [optimized.inputs[0]], "transposes: \(transposes)")
        for node in optimized.nodes where ["conv2d", "averagePool2d", "maxPool2d"].contains(node.op) {
            #expect((node.string("inputLayout") ?? node.string("layout")) == "nhwc", "\(optimized[node.outputs[0]].name) is not nhwc")
        }
        // The optimized graph computes what the original does.
        var random = SeededGenerator(seed: 7)
        let image = graph[graph.inputs[0]].type
        let inputs = ["image": TensorData(.float32, shape: image.shape,
                                          values: (0..<image.elementCount).map { _ in Double.random(in: -1...1, using: &random) })]
        let expected = try Interpreter(graph).run(inputs)["probabilities"]!.doubles
        let actual = try Interpreter(optimized).run(inputs)["probabilities"]!.doubles
        #expect(zip(expected, actual).allSatisfy { abs($0 - $1) < 1e-5 }, "\(expected) vs \(actual)")
    }
}
