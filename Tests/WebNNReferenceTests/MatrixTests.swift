import Testing
import WebNNBasics
import WebNNIR
import WebNNReference

@Suite struct MatrixTests {
    // [[1, 2, 3], [4, 5, 6]] x [[7, 8], [9, 10], [11, 12]] = [[58, 64], [139, 154]].
    private let a = f32(counting(6), [2, 3])
    private let b = f32([7, 8, 9, 10, 11, 12], [3, 2])
    private let product: [Float] = [58, 64, 139, 154]

    @Test func matmul2D() throws {
        expectTensor(try run("matmul", [a, b]), product, [2, 2])
    }

    @Test func matmulBroadcastsBatchDimensions() throws {
        // a: [I, 2I] as [2, 1, 2, 2]; b: [[1, j], [0, 1]] for j = 0, 1, 2 as [3, 2, 2].
        // Output [2, 3, 2, 2]: batch (i, j) = a_i x b_j, i.e. b_j then 2 b_j.
        let a = f32([1, 0, 0, 1, 2, 0, 0, 2], [2, 1, 2, 2])
        let b = f32([1, 0, 0, 1, 1, 1, 0, 1, 1, 2, 0, 1], [3, 2, 2])
        expectTensor(try run("matmul", [a, b]),
                     [1, 0, 0, 1, 1, 1, 0, 1, 1, 2, 0, 1, 2, 0, 0, 2, 2, 2, 0, 2, 2, 4, 0, 2], [2, 3, 2, 2])
        // A rank-2 a broadcasts against every batch of b.
        expectTensor(try run("matmul", [f32([0, 1, 1, 0], [2, 2]), b]), [0, 1, 1, 0, 0, 1, 1, 1, 0, 1, 1, 2], [3, 2, 2])
    }

    @Test func gemmDefaults() throws {
        expectTensor(try run("gemm", [a, b]), product, [2, 2])
    }

    @Test func gemmTransposes() throws {
        let aTransposed = f32([1, 4, 2, 5, 3, 6], [3, 2]), bTransposed = f32([7, 9, 11, 8, 10, 12], [2, 3])
        expectTensor(try run("gemm", [aTransposed, b], ["aTranspose": .bool(true)]), product, [2, 2])
        expectTensor(try run("gemm", [a, bTransposed], ["bTranspose": .bool(true)]), product, [2, 2])
        expectTensor(try run("gemm", [aTransposed, bTransposed], ["aTranspose": .bool(true), "bTranspose": .bool(true)]),
                     product, [2, 2])
    }

    @Test func gemmAlphaBetaAndBroadcastC() throws {
        expectTensor(try run("gemm", [a, b], ["alpha": .double(2)]), [116, 128, 278, 308], [2, 2])
        expectTensor(try run("gemm", [a, b, f32([1, 2], [2])]), [59, 66, 140, 156], [2, 2])
        expectTensor(try run("gemm", [a, b, f32([100, 200], [2, 1])]), [158, 164, 339, 354], [2, 2])
        expectTensor(try run("gemm", [a, b, f32([10], [])], ["beta": .double(0.5)]), [63, 69, 144, 159], [2, 2])
        expectTensor(try run("gemm", [a, b, f32([1, 1, 1, 1], [2, 2])], ["alpha": .double(0.5), "beta": .int(2)]),
                     [31, 34, 71.5, 79], [2, 2])
        expectTensor(try run("gemm", [a, b, f32([3], [])], ["beta": .double(0)]), product, [2, 2])
    }

    /// The spec's emulation of gemm: add(matmul(mul(alpha, a), b), mul(beta, c)) with alpha and
    /// beta as float32 constants and every operator's result a float32 (here a 1×K by K×1 product).
    static func specGemm(a: [Float], b: [Float], c: Float, alpha: Double, beta: Double) -> Float {
        let scaled = a.map { Float(alpha) * $0 }
        let product = Float(zip(scaled, b).reduce(0.0) { $0 + Double($1.0) * Double($1.1) })
        return product + Float(beta) * c
    }

    /// alpha scales a before the products (the spec's order): with products that cancel,
    /// scaling the sum instead is millions of ULP away (1 + 2^-23 and -1 times 0.1 round apart).
    @Test func gemmScalesAFirstAsTheSpecDoes() throws {
        let a: [Float] = [1 + 0x1p-23, -1], b: [Float] = [1, 1], c = Float(0x1p-30)
        let expected = Self.specGemm(a: a, b: b, c: c, alpha: 0.1, beta: 0.5)
        let result = try run("gemm", [f32(a, [1, 2]), f32(b, [2, 1]), f32([c], [1])], ["alpha": .double(0.1), "beta": .double(0.5)])
        // WPT's bound: 2 * K + 3 ULP (alpha != 1, c with beta != 0 and != 1).
        expectClose(result, [Double(expected)], ulps: 7)
    }
}
