import WebNNBasics
import WebNNIR

/// matmul (batched, batch dimensions broadcast) and gemm (transposes, alpha, beta, broadcast c).
/// Dot products accumulate in Double.
enum MatrixKernels {
    static let table: [String: Kernel] = ["matmul": matmul, "gemm": gemm]

    private static func matmul(_ call: OperatorCall) throws -> [TensorValue] {
        let p = try call.parameters(MatmulParameters.init)
        let a = try call.operand("a"), b = try call.operand("b")
        let aValues = try call.floats(of: a), bValues = try call.floats(of: b)
        let bias = try call.optionalOperand("bias").map(call.floats(of:))  // webnnc extension: [N], per column
        let aMatrices = StridedIndices.broadcastIndices(from: Array(a.shape.dropLast(2)), to: p.batchShape)
        let bMatrices = StridedIndices.broadcastIndices(from: Array(b.shape.dropLast(2)), to: p.batchShape)
        var output: [Float] = []
        output.reserveCapacity(call.outputType.elementCount)
        for (aMatrix, bMatrix) in zip(aMatrices, bMatrices) {
            let aBase = aMatrix * p.m * p.k, bBase = bMatrix * p.k * p.n
            for row in 0..<p.m {
                for column in 0..<p.n {
                    var sum = 0.0
                    for inner in 0..<p.k {
                        sum += Double(aValues[aBase + row * p.k + inner]) * Double(bValues[bBase + inner * p.n + column])
                    }
                    sum += Double(bias?[column] ?? 0)
                    output.append(Float(sum))
                }
            }
        }
        return call.output(floats: output)
    }

    /// alpha * op(a) * op(b) + beta * c in the order of the WebNN spec's emulation,
    /// `add(matmul(mul(alpha, a), b), mul(beta, c))`: alpha and beta are constants of the data
    /// type; alpha · a, the product (summed in Double) and beta · c are each rounded to the data
    /// type, then their sum is. No c means the rounded product.
    private static func gemm(_ call: OperatorCall) throws -> [TensorValue] {
        let p = try call.parameters(GemmParameters.init)
        let a = try call.floats("a"), b = try call.floats("b")
        let c = try call.optionalOperand("c").map { c in
            (values: try call.floats(of: c), indices: StridedIndices.broadcastIndices(from: c.shape, to: [p.m, p.n]))
        }
        let alpha = try call.floatNumber(p.alpha), beta = try call.floatNumber(p.beta)
        let round: (Double) -> Double = call.outputType.dataType == .float16 ? { Double(Float16($0)) } : { Double(Float($0)) }
        let scaledA = alpha == 1 ? a.map { Double($0) } : a.map { round(alpha * Double($0)) }
        var output: [Float] = []
        output.reserveCapacity(p.m * p.n)
        for row in 0..<p.m {
            for column in 0..<p.n {
                var sum = 0.0
                for inner in 0..<p.k {
                    let x = p.aTranspose ? scaledA[inner * p.m + row] : scaledA[row * p.k + inner]
                    let y = p.bTranspose ? b[column * p.k + inner] : b[inner * p.n + column]
                    sum += x * Double(y)
                }
                var result = sum
                if let c { result = round(sum) + round(beta * Double(c.values[c.indices[row * p.n + column]])) }
                output.append(Float(result))
            }
        }
        return call.output(floats: output)
    }
}
