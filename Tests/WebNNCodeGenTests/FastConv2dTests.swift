import Foundation
import Testing
import WebNNBasics
@testable import WebNNCodeGen
import WebNNIR
import WebNNLowering
import WebNNReference

/// The register-blocked float32 conv2d (`FastConv2dKernel`, groups == 1, packed filter) against
/// the interpreter on random shapes: output channels around multiples of the vector width,
/// strides, padding, dilation, 1×1, both input layouts, every filter layout, fused epilogues.
@Suite struct FastConv2dTests {
    @Test(arguments: 0..<24) func randomConvolution(_ round: Int) throws {
        let seed = testSeed()
        var maker = GraphMaker(seed: seed)
        var g = maker.generator
        let nhwc = round % 2 == 1
        let filterLayout = Conv2dFilterLayout.allCases[(round / 2) % 4]
        let pointwise = round % 5 == 0
        let inputChannels = Int.random(in: 1...19, using: &g)
        let outputChannels = [1, 5, 8, 9, 16, 17, 23, 24, 31, 33, 40][Int.random(in: 0...10, using: &g)]
        let (kh, kw) = pointwise ? (1, 1) : (Int.random(in: 1...5, using: &g), Int.random(in: 1...5, using: &g))
        let strides = pointwise && round % 3 == 0 ? [1, 1] : [Int.random(in: 1...2, using: &g), Int.random(in: 1...2, using: &g)]
        let dilations = pointwise ? [1, 1] : [Int.random(in: 1...2, using: &g), Int.random(in: 1...2, using: &g)]
        let padding = pointwise ? [0, 0, 0, 0] : (0..<4).map { _ in Int.random(in: 0...2, using: &g) }
        let (height, width) = (Int.random(in: 5...14, using: &g), Int.random(in: 5...37, using: &g))
        let batch = Int.random(in: 1...2, using: &g)
        maker.generator = g
        let outputHeight = (height + padding[0] + padding[1] - (kh - 1) * dilations[0] - 1) / strides[0] + 1
        let outputWidth = (width + padding[2] + padding[3] - (kw - 1) * dilations[1] - 1) / strides[1] + 1
        guard height + padding[0] + padding[1] > (kh - 1) * dilations[0],
              width + padding[2] + padding[3] > (kw - 1) * dilations[1] else { return }
        let inputShape = nhwc ? [batch, height, width, inputChannels] : [batch, inputChannels, height, width]
        let filterShape: [Int] = {
            switch filterLayout {
            case .oihw: return [outputChannels, inputChannels, kh, kw]
            case .hwio: return [kh, kw, inputChannels, outputChannels]
            case .ohwi: return [outputChannels, kh, kw, inputChannels]
            case .ihwo: return [inputChannels, kh, kw, outputChannels]
            }
        }()
        let input = try maker.input("input", inputShape)
        let filter = try maker.constant("filter", filterShape)
        let bias = round % 3 == 0 ? nil : try maker.constant("bias", [outputChannels])
        let resultShape = nhwc ? [batch, outputHeight, outputWidth, outputChannels]
                               : [batch, outputChannels, outputHeight, outputWidth]
        let residual = round % 4 == 1 ? try maker.input("residual", resultShape) : nil
        try maker.node("conv2d", [input, filter, bias, residual], [
            "padding": .ints(padding.map(Int64.init)), "strides": .ints(strides.map(Int64.init)),
            "dilations": .ints(dilations.map(Int64.init)),
            "inputLayout": .string(nhwc ? "nhwc" : "nchw"), "filterLayout": .string(filterLayout.rawValue),
        ].merging(FusedEpilogueTests.activation(round)) { $1 })

        // The fast path is taken on this host (AVX2+FMA or AVX-512).
        let target = try ResolvedTarget(TargetOptions())
        if FastConv2dPacking.vectorWidth(target) != nil {
            let packed = FastConv2dPacking.pack(try Lowering.lower(maker.graph), target: target)
            let conv = packed.steps.first { if case .conv2d = $0.kernel { return true } else { return false } }
            #expect(conv?.operands[1].type.rank == 5, "seed \(seed): the conv2d filter was not packed")
        }
        try expectMatchesReference(maker, seed: seed)
    }

    /// The vector width follows the features a `--mcpu` implies, not only explicit `--mattr`s.
    @Test func vectorWidthFollowsTheCPU() throws {
        #expect(FastConv2dPacking.vectorWidth(try ResolvedTarget(TargetOptions(cpu: "znver4"))) == 16)
        #expect(FastConv2dPacking.vectorWidth(try ResolvedTarget(TargetOptions(cpu: "znver3"))) == 8)
        #expect(FastConv2dPacking.vectorWidth(try ResolvedTarget(TargetOptions(cpu: "x86-64"))) == nil)
        #expect(FastConv2dPacking.vectorWidth(try ResolvedTarget(TargetOptions(cpu: "x86-64", features: "+avx2,+fma"))) == 8)
    }

    /// One filter constant read by two convolutions in different filter layouts is packed once
    /// for each layout (the packing cache is keyed on the layout too).
    @Test func sharedFilterInTwoLayouts() throws {
        let seed = testSeed()
        var maker = GraphMaker(seed: seed)
        let x = try maker.input("x", [1, 4, 6, 6])
        let filter = try maker.constant("w", [4, 4, 4, 4])
        try maker.node("conv2d", [x, filter])
        try maker.node("conv2d", [x, filter], ["filterLayout": .string("ihwo")])
        try expectMatchesReference(maker, seed: seed)
    }

    /// Interior rows of narrow images run two at a time (`FastConv2dKernel.rowPairs`): 3×3
    /// layers at 7², 14² and 28² as in ResNet-50, an odd number of interior rows (a single row
    /// after the pairs), stride 2, dilation 2, asymmetric padding, two images, a residual and
    /// relu; nhwc and nchw; with the host's vectors and with 8 floats (x86-64-v3), where a 5-pixel
    /// row pairs.
    @Test(arguments: [(7, 7, 1, 1, [1, 1, 1, 1]), (14, 14, 1, 1, [1, 1, 1, 1]), (9, 12, 1, 1, [2, 0, 1, 1]),
                      (15, 13, 2, 1, [1, 1, 1, 1]), (11, 9, 1, 2, [2, 2, 2, 2]), (8, 5, 1, 1, [1, 1, 1, 1]),
                      (6, 28, 1, 1, [1, 1, 1, 1])])
    func rowPairs(_ height: Int, _ width: Int, _ stride: Int, _ dilation: Int, _ padding: [Int]) throws {
        for nhwc in [true, false] { try rowPairs(height, width, stride, dilation, padding, nhwc: nhwc) }
    }

    private func rowPairs(_ height: Int, _ width: Int, _ stride: Int, _ dilation: Int, _ padding: [Int], nhwc: Bool) throws {
        let seed = testSeed()
        var maker = GraphMaker(seed: seed)
        let input = try maker.input("input", nhwc ? [2, height, width, 24] : [2, 24, height, width])
        let outputHeight = (height + padding[0] + padding[1] - 2 * dilation - 1) / stride + 1
        let outputWidth = (width + padding[2] + padding[3] - 2 * dilation - 1) / stride + 1
        let residual = try maker.input("residual", nhwc ? [2, outputHeight, outputWidth, 32] : [2, 32, outputHeight, outputWidth])
        try maker.node("conv2d", [input, try maker.constant("filter", [32, 24, 3, 3]), try maker.constant("bias", [32]), residual], [
            "padding": .ints(padding.map(Int64.init)), "strides": .ints([Int64(stride), Int64(stride)]),
            "dilations": .ints([Int64(dilation), Int64(dilation)]), "inputLayout": .string(nhwc ? "nhwc" : "nchw"),
            "fusedActivation": .string("relu"),
        ])
        let host = try ResolvedTarget(TargetOptions())
        guard FastConv2dPacking.vectorWidth(host) != nil else {
            print("rowPairs: this CPU has no AVX2 + FMA (no fast convolution); compared with the interpreter only")
            try expectMatchesReference(maker, seed: seed)
            return
        }
        for options in [TargetOptions(), TargetOptions(cpu: "x86-64-v3")] {
            let target = try ResolvedTarget(options)
            let step = FastConv2dPacking.pack(try Lowering.lower(maker.graph), target: target).steps.first {
                if case .conv2d = $0.kernel { return true } else { return false }
            }!
            guard case .conv2d(let attributes) = step.kernel else { return }
            let kernel = try FastConv2dKernel(attributes, input: step.operands[0].type.shape, packedFilter: step.operands[1].type.shape,
                                              hasBias: true, result: step.result.type.shape,
                                              resultStrides: rowMajorStrides(step.result.type.shape))
            // Pairs where the tile is 2 vectors and a pair tile (7 columns of zmm, 3 of ymm) holds
            // more pixels than the row's widest tile.
            let widestRowTile = ConvolutionWindow.tileWidths(rowWidth: outputWidth, tileWidth: kernel.pixelsPerTile,
                                                             minimumWidth: FastConv2dPacking.minimumTileWidth(vectors: 2)).max()!
            let expected = kernel.vectorsPerTile == 2 && outputWidth <= 4 * kernel.pairColumns && 2 * kernel.pairColumns > widestRowTile
            #expect((kernel.rowPairs != nil) == expected, "seed \(seed), \(options), nhwc \(nhwc): row pairs \(String(describing: kernel.rowPairs))")
            let vectorWidth = FastConv2dPacking.vectorWidth(target)
            if vectorWidth == 16 || (vectorWidth == 8 && outputWidth == 5) { #expect(kernel.rowPairs != nil) }
            try expectMatchesReference(maker, seed: seed, options: CodeGenOptions(prefix: "model", target: options))
        }
    }

    /// A row's kernel-column loop stays a loop (`llvm.loop.unroll.disable`): unrolled, LLVM
    /// shares broadcasts between taps and spills the accumulators of a 3-channel stem.
    @Test func kernelColumnLoopIsNotUnrolled() throws {
        var maker = GraphMaker(seed: 1)
        let x = try maker.input("x", [1, 32, 32, 3])
        try maker.node("conv2d", [x, try maker.constant("w", [32, 3, 3, 3])], [
            "strides": .ints([2, 2]), "padding": .ints([1, 1, 1, 1]), "inputLayout": .string("nhwc"),
            "filterLayout": .string("ohwi"),
        ])
        let compiled = try CodeGen.compile(try Lowering.lower(maker.graph), options: CodeGenOptions(prefix: "stem"))
        let ir = String(decoding: try compiled.emit(.llvmIR), as: UTF8.self)
        let hasFastKernels = FastConv2dPacking.vectorWidth(try ResolvedTarget(TargetOptions())) != nil
        #expect(ir.contains("!\"llvm.loop.unroll.disable\"") == hasFastKernels)
    }
}

/// Pointwise convolutions are tiled through the whole image (`PointwiseTiling`): images whose
/// pixel count leaves every kind of remainder, several runs per image, strided ones, and one
/// pixel, nhwc as in ResNet's bottlenecks; filters over `WeightPrefetch.minimumWeightBytes`
/// (prefetched a group ahead) with several runs, one run, and one pixel.
@Suite struct PointwiseConvolutionTests {
    @Test(arguments: [(7, 7, 1, 40, 12), (14, 14, 2, 24, 12), (56, 56, 1, 16, 12), (28, 28, 2, 9, 12), (1, 1, 1, 8, 12),
                      (2, 3, 1, 17, 12), (13, 11, 1, 64, 12), (14, 14, 1, 40, 700), (7, 7, 1, 24, 1400), (1, 1, 1, 8, 4200)])
    func pointwise(_ height: Int, _ width: Int, _ stride: Int, _ outputChannels: Int, _ inputChannels: Int) throws {
        let seed = testSeed()
        var maker = GraphMaker(seed: seed)
        let (outputHeight, outputWidth) = ((height - 1) / stride + 1, (width - 1) / stride + 1)
        let input = try maker.input("input", [1, height, width, inputChannels])
        let filter = try maker.constant("filter", [outputChannels, 1, 1, inputChannels])
        let bias = try maker.constant("bias", [outputChannels])
        let residual = try maker.input("residual", [1, outputHeight, outputWidth, outputChannels])
        try maker.node("conv2d", [input, filter, bias, residual], [
            "strides": .ints([Int64(stride), Int64(stride)]), "inputLayout": .string("nhwc"),
            "filterLayout": .string("ohwi"), "fusedActivation": .string("relu"),
        ])
        try expectMatchesReference(maker, seed: seed)
    }

    /// Tiles cover each pixel once, and no last tile of an image with a full tile is narrower
    /// than half a tile (the tile shapes of 2 and 1 vectors on AVX2).
    @Test func tilingCoversEveryPixelOnce() {
        for pixels in 1...200 {
            for (vectors, tileWidth) in [(2, 6), (1, 12)] {
                let tiling = PointwiseTiling(pixels: pixels, tileWidth: tileWidth, vectors: vectors, pixelsPerRun: 48)
                var covered = tiling.fullTileCount * tileWidth
                for (first, width) in tiling.lastTiles {
                    #expect(first == covered && width >= 1 && width <= tileWidth, "\(pixels) pixels: tile \(first)+\(width)")
                    if pixels >= tileWidth { #expect(2 * width >= tileWidth, "\(pixels) pixels: tile \(first)+\(width)") }
                    covered += width
                }
                #expect(covered == pixels, "\(pixels) pixels")
                #expect(tiling.runs >= 1 && tiling.runs <= max(1, tiling.fullTileCount))
            }
        }
    }
}

/// The register tile fits the row: 7-pixel rows (ResNet's last stage) get 3 vectors × 4 pixels
/// (4 + 3-pixel tiles each with at least 8 accumulators), wide rows and pointwise images the
/// 2 × 6 tile, a single vector of channels one vector × 12 pixels; all within 16 ymm registers.
@Test func tileShapeFitsTheRow() {
    #expect(FastConv2dPacking.tile(vectorWidth: 8, vectorCount: 64, rowWidth: 7) == (3, 4))
    #expect(FastConv2dPacking.tile(vectorWidth: 8, vectorCount: 8, rowWidth: 56) == (2, 6))
    #expect(FastConv2dPacking.tile(vectorWidth: 8, vectorCount: 16, rowWidth: 27) == (2, 6))
    #expect(FastConv2dPacking.tile(vectorWidth: 8, vectorCount: 125, rowWidth: nil) == (2, 6))
    #expect(FastConv2dPacking.tile(vectorWidth: 8, vectorCount: 1, rowWidth: 7) == (1, 12))
    for vectorCount in 1...70 {
        for rowWidth in [1, 5, 7, 13, 14, 27, 28, 56, 112, nil] {
            let (vectors, pixels) = FastConv2dPacking.tile(vectorWidth: 8, vectorCount: vectorCount, rowWidth: rowWidth)
            #expect(vectors * pixels + vectors + 1 <= 16 && vectors <= vectorCount)
        }
    }
}

/// Rows are covered exactly, no tile wider than the tile, and no tile of a row wider than four
/// tiles narrower than the minimum (a narrow rest is joined with the last full tile and halved).
@Test func tileWidthsCoverTheRow() {
    #expect(ConvolutionWindow.tileWidths(rowWidth: 56, tileWidth: 6, minimumWidth: 4) == Array(repeating: 6, count: 8) + [4, 4])
    #expect(ConvolutionWindow.tileWidths(rowWidth: 13, tileWidth: 6, minimumWidth: 4) == [5, 4, 4])
    #expect(ConvolutionWindow.tileWidths(rowWidth: 28, tileWidth: 6, minimumWidth: 4) == [6, 6, 6, 6, 4])
    for rowWidth in 1...120 {
        for (tileWidth, minimumWidth) in [(6, 4), (4, 3), (12, 8)] {
            let widths = ConvolutionWindow.tileWidths(rowWidth: rowWidth, tileWidth: tileWidth, minimumWidth: minimumWidth)
            #expect(widths.reduce(0, +) == rowWidth && widths.allSatisfy { $0 >= 1 && $0 <= tileWidth })
            if widths.count > 4 { #expect(widths.allSatisfy { $0 >= minimumWidth }, "\(rowWidth): \(widths)") }
        }
    }
}
