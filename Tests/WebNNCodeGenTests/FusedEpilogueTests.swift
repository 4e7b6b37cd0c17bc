import Foundation
import Testing
import WebNNBasics
@testable import WebNNCodeGen
import WebNNCompiler
import WebNNIR
import WebNNLowering
import WebNNReference
import WebNNTransforms

/// conv2d, convTranspose2d, gemm and matmul with fused epilogues (bias, residual, activation,
/// prelu's slope) against the interpreter, on random shapes, float32 and float16; and the
/// fixture networks compiled at -O3.
@Suite struct FusedEpilogueTests {
    /// Each fusable activation with its options, by round.
    static func activation(_ round: Int) -> [String: Attribute] {
        let choices: [[String: Attribute]] = [
            [:], ["fusedActivation": .string("relu")],
            ["fusedActivation": .string("clamp"), "fusedMinValue": .double(0), "fusedMaxValue": .double(6)],
            ["fusedActivation": .string("sigmoid")], ["fusedActivation": .string("tanh")],
            ["fusedActivation": .string("leakyRelu"), "fusedAlpha": .double(0.2)], ["fusedActivation": .string("hardSwish")],
            ["fusedActivation": .string("clamp"), "fusedMaxValue": .double(0.5)],
            ["fusedActivation": .string("elu"), "fusedAlpha": .double(0.5)],
            ["fusedActivation": .string("hardSigmoid"), "fusedAlpha": .double(0.3), "fusedBeta": .double(0.4)],
            ["fusedActivation": .string("gelu")], ["fusedActivation": .string("elu")], ["fusedActivation": .string("hardSigmoid")],
            ["fusedActivation": .string("linear"), "fusedAlpha": .double(0.35), "fusedBeta": .double(-0.0)],
        ]
        return choices[round % choices.count]
    }

    @Test(arguments: 0..<13) func convolution(_ round: Int) throws {
        let seed = testSeed()
        var maker = GraphMaker(seed: seed)
        var g = maker.generator
        let nhwc = round % 2 == 1
        let depthwise = round % 4 == 2
        let inputChannels = Int.random(in: 1...6, using: &g)
        let groups = depthwise ? inputChannels : 1
        let outputChannels = depthwise ? inputChannels : Int.random(in: 1...9, using: &g)
        let (kh, kw) = (Int.random(in: 1...3, using: &g), Int.random(in: 1...3, using: &g))
        let (height, width) = (Int.random(in: 4...9, using: &g), Int.random(in: 4...11, using: &g))
        let padding = (0..<4).map { _ in Int.random(in: 0...1, using: &g) }
        let strides = [Int.random(in: 1...2, using: &g), 1]
        maker.generator = g
        let type: DataType = round % 3 == 1 ? .float16 : .float32
        let input = try maker.input("input", nhwc ? [1, height, width, inputChannels] : [1, inputChannels, height, width], type)
        let filter = try maker.constant("filter", [outputChannels, inputChannels / groups, kh, kw], type)
        let bias = round % 3 == 0 ? nil : try maker.constant("bias", [outputChannels], type)
        let outputHeight = (height + padding[0] + padding[1] - kh) / strides[0] + 1
        let outputWidth = width + padding[2] + padding[3] - kw + 1
        let residual = round % 4 == 3 ? nil
            : try maker.input("residual", nhwc ? [1, outputHeight, outputWidth, outputChannels] : [1, outputChannels, outputHeight, outputWidth], type)
        try maker.node("conv2d", [input, filter, bias, residual], [
            "padding": .ints(padding.map(Int64.init)), "strides": .ints(strides.map(Int64.init)), "groups": .int(Int64(groups)),
            "inputLayout": .string(nhwc ? "nhwc" : "nchw"),
        ].merging(FusedEpilogueTests.activation(round + 1)) { $1 })
        try expectMatchesReference(maker, seed: seed)
    }

    /// Where a convolution's output channels fill whole vectors (nhwc), an epilogue with a vector
    /// form (residual add, then relu, clamp, leakyRelu, linear or none) is applied to the
    /// accumulators and stored a vector at a time, by the dense and the depthwise kernel alike:
    /// the results match the interpreter, and the unoptimized IR extracts no lane (one scalar
    /// store per element is what LLVM's SLP vectorizer spent a third of ResNet-50's compile
    /// merging back into vectors).
    @Test(arguments: [0, 1, 2, 5, 13]) func wholeVectorEpilogues(_ activation: Int) throws {
        let seed = testSeed()
        var maker = GraphMaker(seed: seed)
        let input = try maker.input("input", [1, 5, 7, 32])
        let residual = try maker.input("residual", [1, 5, 7, 32])
        let options: [String: Attribute] = ["padding": .ints([1, 1, 1, 1]), "inputLayout": .string("nhwc")]
        let fused = options.merging(FusedEpilogueTests.activation(activation)) { $1 }
        try maker.node("conv2d", [input, try maker.constant("filter", [32, 32, 3, 3]), try maker.constant("bias", [32]), residual], fused)
        try maker.node("conv2d", [input, try maker.constant("depthwise", [32, 1, 3, 3]), nil, residual],
                       fused.merging(["groups": .int(32)]) { $1 })
        try expectMatchesReference(maker, seed: seed)
        guard FastConv2dPacking.vectorWidth(try ResolvedTarget(TargetOptions())) != nil else {
            print("wholeVectorEpilogues: this CPU has no AVX2 + FMA, so no vector kernels to inspect; compared with the interpreter only")
            return
        }
        let compiled = try CodeGen.compile(try Lowering.lower(maker.graph),
                                           options: CodeGenOptions(prefix: "model", target: TargetOptions(optimizationLevel: 0)))
        let ir = String(decoding: try compiled.emit(.llvmIR), as: UTF8.self)
        #expect(!ir.contains("extractelement"), "activation \(activation): a lane is stored on its own")
    }

    @Test(arguments: 0..<10) func matrices(_ round: Int) throws {
        let seed = testSeed()
        var maker = GraphMaker(seed: seed)
        var g = maker.generator
        let (m, k, n) = (Int.random(in: 1...7, using: &g), Int.random(in: 1...30, using: &g), Int.random(in: 1...33, using: &g))
        maker.generator = g
        let type: DataType = round % 3 == 1 ? .float16 : .float32
        let a = try maker.input("a", [m, k], type), b = try maker.constant("b", [k, n], type)
        let c = round % 3 == 0 ? nil : try maker.constant("c", round % 2 == 0 ? [n] : [m, 1], type)
        let residual = round % 4 == 1 ? nil : try maker.input("residual", [m, n], type)
        try maker.node("gemm", [a, b, c, residual], ["alpha": .double(round % 2 == 0 ? 1 : 0.5), "beta": .double(2)]
                       .merging(FusedEpilogueTests.activation(round)) { $1 })
        let batched = try maker.input("batched", [2, m, k], type)
        let bias = round % 2 == 0 ? try maker.constant("bias", [n], type) : try maker.input("biasInput", [n], type)
        let batchedResidual = round % 3 == 2 ? nil : try maker.input("batchedResidual", [2, m, n], type)
        try maker.node("matmul", [batched, b, bias, batchedResidual], FusedEpilogueTests.activation(round + 3))
        try expectMatchesReference(maker, seed: seed)
    }

    @Test(arguments: 0..<13) func transposedConvolution(_ round: Int) throws {
        let seed = testSeed()
        var maker = GraphMaker(seed: seed)
        var g = maker.generator
        let nhwc = round % 2 == 1
        let (inputChannels, outputChannels) = (Int.random(in: 1...5, using: &g), Int.random(in: 1...7, using: &g))
        let (kh, kw) = (Int.random(in: 1...3, using: &g), Int.random(in: 1...3, using: &g))
        let (height, width) = (Int.random(in: 2...6, using: &g), Int.random(in: 2...7, using: &g))
        let strides = [Int.random(in: 1...2, using: &g), Int.random(in: 1...2, using: &g)]
        maker.generator = g
        let type: DataType = round % 3 == 1 ? .float16 : .float32
        let input = try maker.input("input", nhwc ? [1, height, width, inputChannels] : [1, inputChannels, height, width], type)
        let filter = try maker.constant("filter", [inputChannels, outputChannels, kh, kw], type)
        let bias = round % 3 == 0 ? nil : try maker.constant("bias", [outputChannels], type)
        let (outputHeight, outputWidth) = ((height - 1) * strides[0] + kh, (width - 1) * strides[1] + kw)
        let residual = round % 4 == 3 ? nil
            : try maker.input("residual", nhwc ? [1, outputHeight, outputWidth, outputChannels] : [1, outputChannels, outputHeight, outputWidth], type)
        try maker.node("convTranspose2d", [input, filter, bias, residual], [
            "strides": .ints(strides.map(Int64.init)), "inputLayout": .string(nhwc ? "nhwc" : "nchw"),
        ].merging(FusedEpilogueTests.activation(round)) { $1 })
        try expectMatchesReference(maker, seed: seed)
    }

    /// prelu's slope broadcast to the output: per channel, per column, one value, the whole
    /// output; on conv2d (nchw and nhwc), convTranspose2d and a batched matmul.
    @Test(arguments: 0..<4) func preluSlope(_ round: Int) throws {
        let seed = testSeed()
        var maker = GraphMaker(seed: seed)
        let type: DataType = round == 2 ? .float16 : .float32
        let prelu: [String: Attribute] = ["fusedActivation": .string("prelu")]
        let slopeShapes: [[Int]] = [[5, 1, 1], [7], [1], [1, 5, 6, 7]]  // output [1, 5, 6, 7] (nchw)
        let input = try maker.input("input", [1, 3, 6, 7], type)
        let filter = try maker.constant("filter", [5, 3, 3, 3], type)
        let residual = round % 2 == 0 ? try maker.input("residual", [1, 5, 6, 7], type) : nil
        let slope = try maker.input("slope", slopeShapes[round], type, in: -1...1)
        try maker.node("conv2d", [input, filter, nil, residual, slope], ["padding": .ints([1, 1, 1, 1])].merging(prelu) { $1 })
        let nhwcInput = try maker.input("nhwcInput", [1, 4, 5, 3], type)
        let channelSlope = try maker.constant("channelSlope", [5], type, in: -1...1)
        try maker.node("conv2d", [nhwcInput, filter, nil, nil, channelSlope], ["inputLayout": .string("nhwc")].merging(prelu) { $1 })
        try maker.node("convTranspose2d", [input, try maker.constant("transposedFilter", [3, 5, 1, 1], type), nil, nil, slope],
                       ["strides": .ints([1, 1])].merging(prelu) { $1 })
        let batched = try maker.input("batched", [2, 4, 3], type)
        let b = try maker.constant("b", [3, 7], type)
        try maker.node("matmul", [batched, b, nil, nil, try maker.input("rowSlope", [4, 1], type, in: -1...1)], prelu)
        try expectMatchesReference(maker, seed: seed)
    }

    /// The fixture networks at -O3 (every conv2d fused) compute what the interpreter computes
    /// on the original graph; prints the memory plan with and without fusion.
    @Test(arguments: ["resnet_shaped", "mobilenet_v1_shaped"]) func fixtureNetworks(_ name: String) throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/models/\(name).webnn").path
        let compiler = Compiler()
        let graph = try compiler.loadGraph(path: path)
        let optimized = try compiler.optimize(graph)
        let program = try Lowering.lower(optimized)
        var unfused = graph
        try PassManager(pipeline: PassRegistry.pipeline(parsing: "dce,fixed-point(constant-fold,simplify,cse,fold-batchnorm)")).run(&unfused)
        let withoutFusion = MemoryPlanReport(try Lowering.lower(unfused))
        let withFusion = MemoryPlanReport(program)
        print("\(name) memory plan at -O3: \(withFusion); without fuse-epilogues: \(withoutFusion)")
        #expect(withFusion.scratchBytes <= withFusion.intermediateBytes + 64 * withFusion.intermediateCount)
        #expect(withFusion.peakLiveBytes <= withFusion.scratchBytes)
        #expect(withFusion.intermediateBytes < withoutFusion.intermediateBytes)

        let seed = testSeed()
        var maker = GraphMaker(seed: seed)
        let image = graph[graph.inputs[0]].type
        let inputs = ["image": maker.randomData(image.shape, in: -1...1)]
        let library = try GeneratedLibrary(program)
        let result = try library.run([inputs["image"]!.floats])
        #expect(result.status == 0)
        let expected = try Interpreter(graph).run(inputs)["probabilities"]!.floats
        let worst = zip(result.outputs[0], expected).map { abs($0 - $1) }.max() ?? 0
        #expect(worst < 1e-4, "seed \(seed): largest difference \(worst)")
    }
}
