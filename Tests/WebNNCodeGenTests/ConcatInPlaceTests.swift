import Testing
import WebNNBasics
import WebNNIR
import WebNNLowering
import WebNNTransforms

/// Concats whose operands are convolutions that only feed them take no step: the convolutions
/// write into the concat's buffer (`ConcatViews`). Checked against the interpreter for each
/// convolution kernel (pointwise and row-by-row fast conv, depthwise, grouped), channel counts
/// that put the views at unaligned offsets, nchw and nhwc; and the concats that must keep
/// their step.
@Suite struct ConcatInPlaceTests {
    /// A SqueezeNet fire module: squeeze 1×1, then a 1×1 and a 3×3 expand concatenated along
    /// channels, then a 1×1 that reads the concat (so it lives in scratch).
    @Test(arguments: [("nhwc", 12, 20), ("nhwc", 5, 3), ("nchw", 12, 20), ("nchw", 7, 9)])
    func fireModule(_ layout: String, _ expand1: Int, _ expand3: Int) throws {
        let seed = testSeed()
        var maker = GraphMaker(seed: seed)
        let nhwc = layout == "nhwc"
        let shape = { (channels: Int) in nhwc ? [1, 9, 9, channels] : [1, channels, 9, 9] }
        let filter = { (name: String, o: Int, k: Int, i: Int) in
            try maker.constant(name, nhwc ? [o, k, k, i] : [o, i, k, k])
        }
        let options: [String: Attribute] = nhwc ? ["inputLayout": .string("nhwc"), "filterLayout": .string("ohwi")] : [:]
        let x = try maker.input("x", shape(8))
        let squeeze = try maker.node("conv2d", [x, try filter("ws", 4, 1, 8), try maker.constant("bs", [4])], options, output: false)
        let relu = try maker.node("relu", [squeeze], output: false)
        let e1 = try maker.node("conv2d", [relu, try filter("w1", expand1, 1, 4)], options, output: false)
        var padded = options
        padded["padding"] = .ints([1, 1, 1, 1])
        let e3 = try maker.node("conv2d", [relu, try filter("w3", expand3, 3, 4), try maker.constant("b3", [expand3])],
                                padded, output: false)
        let concat = try maker.node("concat", [e1, e3], ["axis": .int(Int64(nhwc ? 3 : 1))], output: false)
        try maker.node("conv2d", [concat, try filter("wo", 6, 1, expand1 + expand3)], options)

        let program = try Lowering.lower(maker.graph)
        #expect(!program.steps.contains { if case .concat = $0.kernel { true } else { false } })
        let views = program.steps.compactMap(\.result.strides)
        #expect(views.count == 2)
        let report = MemoryPlanReport(program)
        #expect(report.peakLiveBytes <= report.scratchBytes)
        #expect(report.peakLiveBytes >= maker.graph[concat].type.byteSize)
        try expectMatchesReference(maker, seed: seed)
    }

    /// Depthwise and grouped convolutions (their own kernels) write views too; three operands,
    /// computed in the reverse of their order in the concat, so a kernel that wrote past its
    /// slice would overwrite a neighbour written before it.
    @Test func depthwiseAndGroupedOperands() throws {
        let seed = testSeed()
        var maker = GraphMaker(seed: seed)
        let options: [String: Attribute] = ["inputLayout": .string("nhwc"), "filterLayout": .string("ohwi"),
                                            "padding": .ints([1, 1, 1, 1])]
        let x = try maker.input("x", [1, 7, 10, 12])
        let c = try maker.node("conv2d", [x, try maker.constant("wc", [9, 3, 3, 12])], options, output: false)
        var grouped = options
        grouped["groups"] = .int(3)
        let b = try maker.node("conv2d", [x, try maker.constant("wb", [6, 3, 3, 4])], grouped, output: false)
        var depthwise = options
        depthwise["groups"] = .int(12)
        let a = try maker.node("conv2d", [x, try maker.constant("wa", [12, 3, 3, 1])], depthwise, output: false)
        let concat = try maker.node("concat", [a, b, c], ["axis": .int(3)], output: false)
        try maker.node("relu", [concat])

        let program = try Lowering.lower(maker.graph)
        #expect(program.steps.compactMap(\.result.strides).count == 3)
        try expectMatchesReference(maker, seed: seed)
    }

    /// A concat keeps its step when an operand is read elsewhere (directly, or through a
    /// reshape that aliases its buffer), is not a convolution, has a residual epilogue (read at
    /// the result's own indices), when it joins another axis, or when the concat is a graph
    /// output (the caller's buffer).
    @Test(arguments: ["readTwice", "readThroughReshape", "notConvolution", "residual", "spatialAxis", "output"])
    func concatKeepsItsStep(_ reason: String) throws {
        let seed = testSeed()
        var maker = GraphMaker(seed: seed)
        let options: [String: Attribute] = ["inputLayout": .string("nhwc"), "filterLayout": .string("ohwi")]
        let x = try maker.input("x", [1, 6, 6, 4])
        let a = try maker.node("conv2d", [x, try maker.constant("wa", [8, 1, 1, 4])], options, output: false)
        let residual = reason == "residual" ? try maker.input("r", [1, 6, 6, 8]) : nil
        let b = reason == "notConvolution"
            ? try maker.node("tanh", [try maker.input("y", [1, 6, 6, 8])], output: false)
            : try maker.node("conv2d", [x, try maker.constant("wb", [8, 1, 1, 4]), nil, residual], options, output: false)
        let axis = reason == "spatialAxis" ? 2 : 3
        let concat = try maker.node("concat", [a, b], ["axis": .int(Int64(axis))], output: reason == "output")
        if reason != "output" { try maker.node("relu", [concat]) }
        if reason == "readTwice" { try maker.node("sigmoid", [b]) }
        if reason == "readThroughReshape" {
            let flat = try maker.node("reshape", [b], ["newShape": .ints([36, 8])], output: false)
            try maker.node("sigmoid", [flat])
        }

        let program = try Lowering.lower(maker.graph)
        #expect(program.steps.contains { if case .concat = $0.kernel { true } else { false } })
        #expect(program.steps.allSatisfy { $0.result.strides == nil })
        try expectMatchesReference(maker, seed: seed)
    }

    /// Two convolutions of one shape, one writing a contiguous result and one a view into a
    /// concat's buffer, must not share a step body (the body made for the first ignored the
    /// view's strides). Reduced from YOLOv8n's detection head, run through the -O3 pipeline.
    @Test func sameShapeConvolutionsWithAndWithoutAView() throws {
        let seed = testSeed()
        var maker = GraphMaker(seed: seed)
        let p = try maker.input("p", [1, 64, 40, 40]), q = try maker.input("q", [1, 80, 40, 40])
        let q2 = try maker.input("q2", [1, 64, 40, 40])
        let z = try maker.node("conv2d", [q2, try maker.constant("wz", [64, 64, 1, 1]), try maker.constant("bz", [64])],
                               output: false)
        try maker.node("transpose", [z], ["permutation": .ints([0, 2, 3, 1])])
        let a = try maker.node("conv2d", [p, try maker.constant("wa", [64, 64, 1, 1]), try maker.constant("ba", [64])],
                               output: false)
        let b = try maker.node("conv2d", [q, try maker.constant("wb", [18, 80, 1, 1]), try maker.constant("bb", [18])],
                               output: false)
        let c = try maker.node("concat", [a, b], ["axis": .int(1)], output: false)
        try maker.node("reshape", [c], ["newShape": .ints([1, 82, 1600])])

        var optimized = maker
        try PassManager(pipeline: PassRegistry.pipeline(optimizationLevel: 3), verifyEach: true).run(&optimized.graph)
        let program = try Lowering.lower(optimized.graph)
        #expect(program.steps.contains { $0.result.strides != nil }, "the concat is no longer written in place")
        try expectMatchesReference(optimized, seed: seed)
    }
}
