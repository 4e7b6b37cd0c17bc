import Foundation
import Testing
import WebNNBasics
@testable import WebNNCodeGen
import WebNNIR
import WebNNLowering
import WebNNReference

/// The vectorized float32 depthwise conv2d (`DepthwiseConv2dKernel`, groups == channels) against
/// the interpreter on random shapes: both input layouts, every filter layout, channel counts
/// around multiples of the vector width, kernel sizes, strides, dilation, asymmetric padding,
/// batch 2, with and without bias, fused relu / clamp(0, 6) / residual; serial and concurrent
/// runs must give identical bits (`expectMatchesReference`).
@Suite struct DepthwiseConv2dTests {
    @Test(arguments: 0..<48) func randomDepthwise(_ round: Int) throws {
        let seed = testSeed()
        var maker = GraphMaker(seed: seed)
        var g = maker.generator
        let nhwc = round % 2 == 0
        let channels = [1, 3, 8, 13, 16, 37][(round / 2) % 6]
        let filterLayout = Conv2dFilterLayout.allCases[round % 4]
        let (kh, kw) = [(3, 3), (5, 5), (1, 3)][round % 3]
        let strides = [Int.random(in: 1...2, using: &g), Int.random(in: 1...2, using: &g)]
        let dilations = round % 5 == 4 ? [2, 2] : [1, 1]
        let padding = (0..<4).map { _ in Int.random(in: 0...2, using: &g) }
        // Wide rows in some rounds: nchw tiles are 8 vectors (64 pixels with AVX2) wide.
        let (height, width) = (Int.random(in: 3...12, using: &g), Int.random(in: 3...(round % 8 < 4 ? 40 : 150), using: &g))
        let batch = round % 3 == 1 ? 2 : 1
        maker.generator = g
        guard height + padding[0] + padding[1] > (kh - 1) * dilations[0],
              width + padding[2] + padding[3] > (kw - 1) * dilations[1] else { return }
        let outputHeight = (height + padding[0] + padding[1] - (kh - 1) * dilations[0] - 1) / strides[0] + 1
        let outputWidth = (width + padding[2] + padding[3] - (kw - 1) * dilations[1] - 1) / strides[1] + 1
        let filterShape: [Int] = {
            switch filterLayout {
            case .oihw: return [channels, 1, kh, kw]
            case .hwio: return [kh, kw, 1, channels]
            case .ohwi: return [channels, kh, kw, 1]
            case .ihwo: return [1, kh, kw, channels]
            }
        }()
        let input = try maker.input("input", nhwc ? [batch, height, width, channels] : [batch, channels, height, width])
        let filter = try maker.constant("filter", filterShape)
        let bias = round % 3 == 0 ? nil : try maker.constant("bias", [channels])
        let resultShape = nhwc ? [batch, outputHeight, outputWidth, channels] : [batch, channels, outputHeight, outputWidth]
        let residual = round % 4 == 1 ? try maker.input("residual", resultShape) : nil
        let activations: [[String: Attribute]] = [
            [:], ["fusedActivation": .string("relu")],
            ["fusedActivation": .string("clamp"), "fusedMinValue": .double(0), "fusedMaxValue": .double(6)],
        ]
        try maker.node("conv2d", [input, filter, bias, residual], [
            "padding": .ints(padding.map(Int64.init)), "strides": .ints(strides.map(Int64.init)),
            "dilations": .ints(dilations.map(Int64.init)), "groups": .int(Int64(channels)),
            "inputLayout": .string(nhwc ? "nhwc" : "nchw"), "filterLayout": .string(filterLayout.rawValue),
        ].merging(activations[(round / 3) % 3]) { $1 })

        // On this host (AVX2+FMA or AVX-512) the step gets the depthwise kernel (groups 1: the
        // groups == 1 fast kernel).
        let target = try ResolvedTarget(TargetOptions())
        if FastConv2dPacking.vectorWidth(target) != nil {
            let packed = FastConv2dPacking.pack(try Lowering.lower(maker.graph), target: target)
            let conv = try #require(packed.steps.first { if case .conv2d = $0.kernel { true } else { false } })
            let emitter = try makeKernelEmitter(for: conv)
            if channels > 1 {
                #expect(emitter is DepthwiseConv2dKernel, "seed \(seed): \(type(of: emitter)) for a depthwise conv2d")
            } else {
                #expect(emitter is FastConv2dKernel, "seed \(seed): \(type(of: emitter)) for a groups 1 conv2d")
            }
        }
        try expectMatchesReference(maker, seed: seed)
    }

    /// Other grouped convolutions (channel multiplier > 1, or several input channels per group)
    /// are not packed and keep the plain kernel.
    @Test func otherGroupedConvolutionsKeepThePlainKernel() throws {
        var maker = GraphMaker(seed: 1)
        let input = try maker.input("input", [1, 4, 6, 6])
        let multiplier = try maker.constant("multiplier", [8, 1, 3, 3])
        let pairs = try maker.constant("pairs", [4, 2, 3, 3])
        try maker.node("conv2d", [input, multiplier], ["groups": .int(4)])
        try maker.node("conv2d", [input, pairs], ["groups": .int(2)])
        let target = try ResolvedTarget(TargetOptions())
        let program = FastConv2dPacking.pack(try Lowering.lower(maker.graph), target: target)
        for step in program.steps {
            guard case .conv2d = step.kernel else { continue }
            #expect(try makeKernelEmitter(for: step) is Conv2dKernel)
        }
        try expectMatchesReference(maker, seed: 1)
    }
}
