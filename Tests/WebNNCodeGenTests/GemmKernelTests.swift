import Foundation
import Testing
import WebNNBasics
@testable import WebNNCodeGen
import WebNNIR
import WebNNLowering
import WebNNReference

/// The register-tiled float32 GEMM (`GemmKernel`) against the interpreter on random shapes: odd
/// M, N and K around the tile and panel sizes, either operand transposed, broadcast batches,
/// constant `b` (packed at compile time) and computed `b` (packed by each task), alpha, beta and
/// c of every broadcast, fused residuals and activations, K long enough to be cut into blocks
/// (a packed per task, partial sums stored between blocks); serial and parallel runs must give
/// the same bits (`expectMatchesReference`).
@Suite struct GemmKernelTests {
    static var target: ResolvedTarget { get throws { try ResolvedTarget(TargetOptions()) } }

    /// The kernel each matmul step of `graph` gets on this host.
    static func kernelNames(_ graph: Graph) throws -> [String] {
        let target = try target
        let program = GemmPacking.pack(try Lowering.lower(graph), target: target)
        return try program.steps.filter { if case .matmul = $0.kernel { true } else { false } }
            .map { try makeKernelEmitter(for: $0, vectorWidth: FastConv2dPacking.vectorWidth(target)).name }
    }

    @Test(arguments: 0..<16) func randomProducts(_ round: Int) throws { try products(round, options: nil) }

    /// The same with 8-float vectors (AVX2 + FMA, as on Zen 3), whatever this host's width.
    @Test(arguments: 0..<6) func randomProductsWithEightFloatVectors(_ round: Int) throws {
        try products(round, options: CodeGenOptions(prefix: "model", target: TargetOptions(cpu: "x86-64", features: "+avx2,+fma")))
    }

    private func products(_ round: Int, options: CodeGenOptions?) throws {
        let seed = testSeed()
        var maker = GraphMaker(seed: seed)
        var g = maker.generator
        let m = [1, 5, 6, 7, 13, 25, 31, 64][Int.random(in: 0...7, using: &g)]
        // Every fifth round K = 1600: several K blocks at either vector width and panel width
        // (a panel's block is at most 48 KiB: 384 k of 32 floats, 768 of 16, 1536 of 8).
        let k = round % 5 == 2 ? 1600 : [1, 3, 8, 17, 40, 129][Int.random(in: 0...5, using: &g)]
        let n = [1, 7, 8, 9, 16, 17, 31, 33, 48][Int.random(in: 0...8, using: &g)]
        maker.generator = g
        let aTranspose = round % 2 == 1, bTranspose = round % 3 == 1
        let constantB = round % 4 != 3
        // gemm: 2-D, alpha/beta, c per column, per row, full or scalar. (alpha and beta stay
        // positive: the interpreter's magnitudes, the scale of the tolerance, run on absolute
        // operands but keep the attributes' signs, so a negative beta understates them.)
        let a = try maker.input("a", aTranspose ? [k, m] : [m, k], in: -2...2)
        let bShape = bTranspose ? [n, k] : [k, n]
        let b = constantB ? try maker.constant("b", bShape, in: -2...2) : try maker.input("b", bShape, in: -2...2)
        let cShapes: [[Int]?] = [nil, [n], [m, 1], [m, n], [1]]
        let c = try cShapes[round % 5].map { try maker.input("c", $0, in: -2...2) }
        try maker.node("gemm", [a, b, c], ["alpha": .double(round % 2 == 0 ? 1 : 0.5), "beta": .double(round % 3 == 0 ? 1 : 2),
                                           "aTranspose": .bool(aTranspose), "bTranspose": .bool(bTranspose)])
        // matmul: broadcast batches ([2, 1, m, k] × [3, k, n]) with a fused bias, residual, activation.
        let batchedA = try maker.input("batchedA", [2, 1, m, k], in: -2...2)
        let batchedB = constantB ? try maker.constant("batchedB", [3, k, n], in: -2...2)
            : try maker.input("batchedB", [3, k, n], in: -2...2)
        let residual = round % 3 == 2 ? try maker.input("residual", [2, 3, m, n], in: -2...2) : nil
        let bias = round % 2 == 0 ? try maker.constant("bias", [n], in: -1...1) : nil
        // (An activation that is steep where its input cancels, like gelu near 0, turns the sum's
        // rounding into a large relative error of a small result: the fused tolerance is judged
        // at the activation's output, so long sums take relu there.)
        let activation = k <= 40 ? FusedEpilogueTests.activation(round) : ["fusedActivation": Attribute.string("relu")]
        try maker.node("matmul", [batchedA, batchedB, bias, residual], activation)
        // a matrix times a broadcast batch of b (the transformer's dense layers run [1, M, K] × [K, N]).
        let dense = try maker.input("dense", [1, m, k], in: -2...2)
        let denseB = try maker.constant("denseB", [k, n], in: -2...2)
        try maker.node("matmul", [dense, denseB])
        if FastConv2dPacking.vectorWidth(try GemmKernelTests.target) != nil {
            let names = try GemmKernelTests.kernelNames(maker.graph)
            #expect(names.allSatisfy { $0 == "GemmKernel" }, "seed \(seed): \(names)")
        }
        try expectMatchesReference(maker, seed: seed, options: options)
    }

    /// Attention's products: Q · K^T with K^T a transpose of the keys' heads (b read through
    /// its strides, packed per task) and P · V, on [batch, heads, seq, dim] operands. With
    /// several heads and enough scores, scores, softmax and P · V run a group of heads at a time
    /// (an `InterleavedRun`, every kernel split into its rounds), fused: each task takes a block
    /// of a head's rows through all three steps (183 rows: blocks of 92 and 91). The softmax
    /// writes the probabilities over the scores. Also run with 8-float vectors where the host
    /// has AVX2 (the AVX-512 path scales its exponentials with `vscalefps`).
    @Test(arguments: 0..<6) func attentionProducts(_ round: Int) throws {
        let seed = testSeed()
        var maker = GraphMaker(seed: seed)
        // (1, 21, 1600): Q · K^T over K = 1600, in K blocks with K^T packed per block. Runs need
        // `minimumRoundBytes` (256 KB) of scores a round: 2 × 256² floats in 2 rounds of one
        // head, 4 × 183² in 2 rounds of 2 heads; the small cases run step by step.
        let (heads, sequence, dimension, rounds) = [(2, 19, 8, 1), (3, 33, 16, 1), (1, 128, 32, 1), (4, 183, 8, 2),
                                                    (2, 256, 16, 2), (1, 21, 1600, 1)][round]
        // Queries scaled by 1/sqrt(dimension), as attention scales its scores: unscaled scores over
        // K = 1600 reach ±40, and the softmax turns their legitimate float32 rounding (~1e-4
        // relative) into percent-level differences of P that the tolerance of P · V cannot see.
        let scale = 1 / Float(dimension).squareRoot()
        let q = try maker.input("q", [1, heads, sequence, dimension], in: -scale...scale)
        let keys = try maker.input("keys", [1, heads, sequence, dimension], in: -1...1)
        let v = try maker.input("v", [1, heads, sequence, dimension], in: -1...1)
        let scores = try maker.node("matmul", [q, try maker.node("transpose", [keys], ["permutation": .ints([0, 1, 3, 2])], output: false)], output: false)
        let probabilities = try maker.node("softmax", [scores], ["axis": .int(3)], output: false)
        // P · V into scratch (a relu reads it), where it could land on a buffer the run read earlier.
        try maker.node("relu", [try maker.node("matmul", [probabilities, v], output: false)])
        try maker.node("gemm", [try maker.input("x", [sequence, dimension], in: -1...1),
                                try maker.input("y", [sequence, dimension], in: -1...1)], ["bTranspose": .bool(true)])
        if FastConv2dPacking.vectorWidth(try GemmKernelTests.target) != nil {
            let names = try GemmKernelTests.kernelNames(maker.graph)
            #expect(names.allSatisfy { $0 == "GemmKernel" }, "seed \(seed): \(names)")
        }
        let program = try Lowering.lower(maker.graph)
        let variant = try VariantProgram(program, target: try GemmKernelTests.target, vnniStandIn: nil)
        #expect(variant.interleavedRuns.map(\.rounds) == (rounds > 1 ? [rounds] : []), "seed \(seed)")
        // The scores and the probabilities are the run's own: every round uses one slice of them.
        #expect(program.interleavedRuns.map(\.localBuffers.count) == (rounds > 1 ? [2] : []), "seed \(seed)")
        #expect(variant.fusedRunStarts.count == (rounds > 1 ? 1 : 0), "seed \(seed)")
        let softmax = try #require(program.steps.first { if case .softmax = $0.kernel { true } else { false } })
        #expect(softmax.operandsSharingResult == [true], "seed \(seed): the softmax is not in place")
        // Every buffer of a run stays live through the run: no two of its scratch buffers overlap
        // (the keys' transpose, read by the first step only, would otherwise be free for P · V).
        for run in program.interleavedRuns {
            var extents: [Int: Int] = [:]  // scratch offset -> bytes
            for step in run.steps.map({ program.steps[$0] }) {
                for buffer in [step.result] + step.operands {
                    if case .scratch(let offset) = buffer.location { extents[offset] = max(extents[offset] ?? 0, buffer.type.byteSize) }
                }
            }
            let sorted = extents.sorted { $0.key < $1.key }
            #expect(zip(sorted, sorted.dropFirst()).allSatisfy { $0.key + $0.value <= $1.key }, "seed \(seed): \(sorted)")
        }
        try expectMatchesReference(maker, seed: seed)
        if QuantizedConv2dTests.hostHasAVX2 {
            try expectMatchesReference(maker, seed: seed, options: CodeGenOptions(prefix: "model", target: QuantizedConv2dTests.avx2))
        }
    }

    /// The cache blocking of large products (BLIS's kc, mc and panel groups), for both vector
    /// widths: K blocks whose panel block fits `panelBlockBytes`, a packed a whose row pitch is an
    /// odd number of cache lines, enough tasks for two threads, none with a packed a for short K.
    @Test func blockingOfLargeProducts() throws {
        for (vectorWidth, longest) in [(16, 384), (8, 768)] {
            let kernel = try GemmKernel(MatMulAttributes(), a: [512, 1024], b: [1024, 1024], c: nil, result: [512, 1024],
                                        vectorWidth: vectorWidth)
            #expect(kernel.kBlocks == (1024 + longest - 1) / longest && kernel.kBlock * kernel.kBlocks >= 1024)
            #expect(kernel.kBlock * kernel.panelWidth * 4 <= GemmKernel.panelBlockBytes)
            let pitch = try #require(kernel.aPitch)
            #expect(pitch >= kernel.kBlock && pitch % 16 == 0 && pitch / 16 % 2 == 1)
            #expect(kernel.taskCount >= GemmKernel.targetTasks)
            let short = try GemmKernel(MatMulAttributes(), a: [12, 128, 32], b: [12, 32, 128], c: nil, result: [12, 128, 128],
                                       vectorWidth: vectorWidth)
            #expect(short.kBlocks == 1 && short.aPitch == nil && short.panelsPerTask == 1)
            // One panel (like attention's P · V over long sequences): K blocks, a read in place.
            let onePanel = try GemmKernel(MatMulAttributes(), a: [12, 512, 2048], b: [12, 2048, 16], c: nil,
                                          result: [12, 512, 16], vectorWidth: vectorWidth)
            #expect(onePanel.kBlocks > 1 && onePanel.aPitch == nil)
        }
    }

    /// Long rows of `a` (K large enough that the rows are cut into several runs) and wide N.
    @Test func severalRowRuns() throws {
        let seed = testSeed()
        var maker = GraphMaker(seed: seed)
        let a = try maker.input("a", [1, 150, 700], in: -1...1)
        let b = try maker.constant("b", [700, 37], in: -1...1)
        try maker.node("matmul", [a, b, try maker.constant("bias", [37], in: -1...1)])
        try expectMatchesReference(maker, seed: seed)
    }

    /// AVX-512 machines run 16-float vectors: the kernel is built and correct for both widths
    /// (compiled for znver4 only where this host can run it).
    @Test func panelWidthFollowsTheVectorWidth() throws {
        #expect(GemmPacking.panelWidth(vectorWidth: 8, n: 384) == 16)
        #expect(GemmPacking.panelWidth(vectorWidth: 16, n: 384) == 32)
        #expect(GemmPacking.panelWidth(vectorWidth: 8, n: 5) == 8)
        let kernel = try GemmKernel(MatMulAttributes(), a: [1, 128, 384], b: [384, 384], c: nil, result: [1, 128, 384],
                                    vectorWidth: 16)
        #expect(kernel.panelWidth == 32 && kernel.rowsPerTile == 14)
        let narrow = try GemmKernel(MatMulAttributes(), a: [1, 128, 384], b: [384, 384], c: nil, result: [1, 128, 384],
                                    vectorWidth: 8)
        #expect(narrow.panelWidth == 16 && narrow.rowsPerTile == 6)
    }
}
