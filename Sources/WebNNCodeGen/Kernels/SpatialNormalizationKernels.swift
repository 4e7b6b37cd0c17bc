import WebNNBasics
import WebNNLowering

/// The data types of convTranspose2d, the normalizations, resample2d and (de)quantization:
/// the result's type (quantizeLinear and dequantizeLinear check their operands themselves).
func spatialOrNormalizationDataTypes(_ kernel: Kernel) -> Set<DataType> {
    switch kernel {
    case .resample2d: return [.float32, .float16, .int8, .uint8]
    case .quantizeLinear: return [.uint8, .int8, .uint32, .int32]
    default: return [.float32, .float16]
    }
}

/// The emitter of a convTranspose2d, meanVarianceNormalization, resample2d, quantizeLinear or
/// dequantizeLinear step.
func makeSpatialOrNormalizationEmitter(for step: KernelStep, vectorWidth: Int? = nil) throws -> KernelEmitter {
    let shapes = step.operands.map(\.type.shape), resultShape = step.result.type.shape
    let dataType = step.result.type.dataType
    guard spatialOrNormalizationDataTypes(step.kernel).contains(dataType) else {
        throw CodeGenError.unsupported("\(step.kernel) on \(dataType)")
    }
    func requireSameTypes() throws {
        for buffer in step.operands where buffer.type.dataType != dataType {
            throw CodeGenError.unsupported("\(step.kernel) with a \(buffer.type.dataType) operand and a \(dataType) result")
        }
    }
    switch step.kernel {
    case .convTranspose2d(let attributes):
        try requireSameTypes()
        let fused = attributes.epilogue.operandCount
        guard ((2 + fused)...(3 + fused)).contains(shapes.count) else {
            throw CodeGenError.unsupported("convTranspose2d with \(shapes.count) operands")
        }
        return try ConvTranspose2dKernel(attributes, input: shapes[0], filter: shapes[1], hasBias: shapes.count - fused == 3,
                                         result: resultShape)
    case .meanVarianceNormalization(let attributes):
        try requireSameTypes()
        return try MeanVarianceNormalizationKernel(attributes, shapes: shapes, result: resultShape, dataType: dataType,
                                                   vectorWidth: vectorWidth)
    case .resample2d(let attributes):
        try requireSameTypes()
        return try Resample2dKernel(attributes, input: shapes.first ?? [], result: resultShape, operandCount: shapes.count)
    case .quantizeLinear, .dequantizeLinear:
        return try QuantizationKernel(quantize: step.kernel == .quantizeLinear,
                                      operands: step.operands.map(\.type), result: step.result.type)
    default:
        throw CodeGenError.unsupported("\(step.kernel) is not a spatial or normalization kernel")
    }
}
