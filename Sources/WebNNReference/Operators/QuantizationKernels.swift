import WebNNBasics
import WebNNIR

/// quantizeLinear and dequantizeLinear. Element x reads the scale and zero point of its block:
/// along each axis, position / (input size / scale size).
///
/// quantizeLinear: x / scale (rounded to the input's float type, as WebNN's emulation divides),
/// rounded half to even, plus the zero point, saturated to the output type's range; NaN gives
/// the zero point. dequantizeLinear: (x - zeroPoint) * scale in Double, rounded once.
enum QuantizationKernels {
    static let table: [String: Kernel] = ["quantizeLinear": quantizeLinear, "dequantizeLinear": dequantizeLinear]

    private static func quantizeLinear(_ call: OperatorCall) throws -> [TensorValue] {
        let input = try call.operand("input")
        let x = try call.floats(of: input), scale = try call.floats("scale")
        let zeroPoint = try call.operand("zeroPoint")
        let blocks = blockIndices(input.shape, zeroPoint.shape)
        let outputType = call.outputType.dataType
        let bits = outputType.byteSize * 8
        let (lowest, highest) = outputType.isSigned ? (-pow2(bits - 1), pow2(bits - 1) - 1) : (0, pow2(bits) - 1)
        let zeroPoints = try numbers(zeroPoint, call)
        let quantized = Array(count: x.count) { index -> Double in
            let block = blocks[index]
            var quotient = Double(Float(Double(x[index]) / Double(scale[block])))
            if input.dataType == .float16 { quotient = Double(Float16(quotient)) }
            guard !quotient.isNaN else { return zeroPoints[block] }
            return min(max(quotient.rounded(.toNearestOrEven) + zeroPoints[block], lowest), highest)
        }
        if outputType.isSigned { return call.output(.signed(quantized.map { Int64($0) })) }
        return call.output(.unsigned(quantized.map { UInt64($0) }))
    }

    private static func dequantizeLinear(_ call: OperatorCall) throws -> [TensorValue] {
        let input = try call.operand("input"), zeroPoint = try call.operand("zeroPoint")
        let scale = try call.floats("scale")
        let blocks = blockIndices(input.shape, zeroPoint.shape)
        let x = try numbers(input, call), zeroPoints = try numbers(zeroPoint, call)
        return call.output(floats: Array(count: x.count) { index in
            Float((x[index] - zeroPoints[blocks[index]]) * Double(scale[blocks[index]]))
        })
    }

    /// For each element of a tensor of `shape`, the flat index of its block in a tensor of `blockShape`.
    private static func blockIndices(_ shape: [Int], _ blockShape: [Int]) -> [Int] {
        let blockSizes = zip(shape, blockShape).map { $0 / $1 }
        let strides = rowMajorStrides(blockShape)
        return StridedIndices.positionalIndices(shape: shape) { position in
            (0..<position.count).reduce(0) { $0 + position[$1] / blockSizes[$1] * strides[$1] }
        }
    }

    /// The elements of an integer tensor as Doubles (exact: quantized types are at most 32 bits).
    private static func numbers(_ value: TensorValue, _ call: OperatorCall) throws -> [Double] {
        switch value.elements {
        case .signed(let values): return values.map { Double($0) }
        case .unsigned(let values): return values.map { Double($0) }
        case .floats: throw InterpreterError.unsupportedDataType(op: call.op, value.dataType)
        }
    }

    private static func pow2(_ exponent: Int) -> Double { Double(sign: .plus, exponent: exponent, significand: 1) }
}
