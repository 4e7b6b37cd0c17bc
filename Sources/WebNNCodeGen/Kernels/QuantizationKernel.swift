import CLLVM
import WebNNBasics
import WebNNLowering

/// quantizeLinear and dequantizeLinear with per-tensor, per-axis and block-wise scale and zero
/// point: element x reads the scale and zero point at Σ (position[axis] / blockSize[axis]) ·
/// stride[axis], where blockSize = input size / scale size along each axis.
///
/// quantizeLinear, as the interpreter: q = x / scale in float32 (rounded to float16 for float16
/// input), then in double roundEven(q) + zeroPoint saturated to the result type; NaN gives the
/// zero point. dequantizeLinear: (x − zeroPoint) · scale in double, rounded once (to float32,
/// then to float16 for a float16 result).
///
/// The input is visited row by row (a row is the last axis); a task is a group of whole rows.
/// Per-tensor quantization between float32 and 8 bits is vectorized (see `isVectorized`).
struct QuantizationKernel: KernelEmitter {
    let quantize: Bool
    let shape: [Int]
    let blockSizes: [Int], parameterStrides: [Int]
    let inputType: DataType, scaleType: DataType, zeroPointType: DataType, resultType: DataType
    let rowsPerTask: Int

    init(quantize: Bool, operands: [TensorType], result: TensorType) throws {
        guard operands.count == 3 else {
            throw CodeGenError.unsupported("\(quantize ? "quantizeLinear" : "dequantizeLinear") with \(operands.count) operands")
        }
        let (input, scale, zeroPoint) = (operands[0], operands[1], operands[2])
        let quantizedTypes: Set<DataType> = [.uint8, .int8, .uint32, .int32], floats: Set<DataType> = [.float32, .float16]
        let typesValid = quantize
            ? floats.contains(input.dataType) && scale.dataType == input.dataType && quantizedTypes.contains(zeroPoint.dataType)
                && result.dataType == zeroPoint.dataType
            : quantizedTypes.contains(input.dataType) && zeroPoint.dataType == input.dataType && floats.contains(scale.dataType)
                && result.dataType == scale.dataType
        guard typesValid, result.shape == input.shape, scale.shape == zeroPoint.shape, scale.rank == input.rank,
              zip(input.shape, scale.shape).allSatisfy({ $1 > 0 && $0 % $1 == 0 }) else {
            throw CodeGenError.unsupported("\(quantize ? "quantizeLinear" : "dequantizeLinear") of \(input) with scale \(scale), zeroPoint \(zeroPoint) into \(result)")
        }
        self.quantize = quantize
        shape = input.shape.isEmpty ? [1] : input.shape
        blockSizes = input.shape.isEmpty ? [1] : zip(input.shape, scale.shape).map { $0 / $1 }
        parameterStrides = input.shape.isEmpty ? [0] : rowMajorStrides(scale.shape)
        (inputType, scaleType, zeroPointType, resultType) = (input.dataType, scale.dataType, zeroPoint.dataType, result.dataType)
        rowsPerTask = max(1, LoopNest.elementsPerTask / shape.last!)
    }

    private var rowCount: Int { shape.dropLast().reduce(1, *) }
    var taskCount: Int { (rowCount + rowsPerTask - 1) / rowsPerTask }

    /// Per-tensor parameters between float32 and an 8-bit type: 16 elements at a time in float32,
    /// which gives the same results as the scalar code's double arithmetic (a dequantized
    /// (x − zeroPoint) · scale is exact in double, so rounding it once is float32's product; a
    /// quotient rounded half to even and clamped to the type's range less the zero point is an
    /// integer that float32 holds exactly).
    private var isVectorized: Bool {
        blockSizes == shape && (quantize ? inputType == .float32 && [.uint8, .int8].contains(resultType)
                                         : [.uint8, .int8].contains(inputType) && resultType == .float32)
    }

    func emitTask(_ e: FunctionEmitter, _ buffers: StepBuffers, task: IRValue) {
        let (x, scale, zeroPoint, y) = (buffers.operands[0], buffers.operands[1], buffers.operands[2], buffers.result)
        let firstRow = task * rowsPerTask
        let lastRow = e.minimum(firstRow + rowsPerTask, e.int(rowCount))
        if isVectorized {
            return emitVectorized(e, x.pointer, scale, zeroPoint, y.pointer, from: firstRow * shape.last!, to: lastRow * shape.last!)
        }
        let rank = shape.count
        e.forLoop(from: firstRow, to: lastRow) { row in
            var parameterRow = e.int(0)
            var remaining = row
            for axis in stride(from: rank - 2, through: 0, by: -1) {
                let index = remaining % shape[axis]
                remaining = remaining / shape[axis]
                parameterRow = parameterRow + index / blockSizes[axis] * parameterStrides[axis]
            }
            e.forLoop(from: 0, to: shape[rank - 1]) { column in
                let index = row * shape[rank - 1] + column
                let parameter = parameterRow + column / blockSizes[rank - 1] * parameterStrides[rank - 1]
                let zero = e.doubleFromElement(e.load(zeroPoint, parameter), of: zeroPointType)
                if quantize {
                    var quotient = e.load(x, index) / e.load(scale, parameter)
                    if inputType == .float16 { quotient = e.widenToFloat(e.roundFloat(quotient, to: e.storageType(.float16))) }
                    let bits = resultType.byteSize * 8
                    let lowest = resultType.isSigned ? -Double(sign: .plus, exponent: bits - 1, significand: 1) : 0
                    let highest = resultType.isSigned ? Double(sign: .plus, exponent: bits - 1, significand: 1) - 1
                        : Double(sign: .plus, exponent: bits, significand: 1) - 1
                    let shifted = e.addDouble(e.roundEvenOf(e.extendToDouble(quotient)), zero)
                    let low = e.select(e.isLessDouble(shifted, e.double(lowest)), e.double(lowest), shifted)
                    let clamped = e.select(e.isGreaterDouble(low, e.double(highest)), e.double(highest), low)
                    let value = e.select(e.isNaN(quotient), zero, clamped)
                    e.store(e.truncate(e.integerFromDouble(value), to: e.storageType(resultType)), y, index)
                } else {
                    let element = e.doubleFromElement(e.load(x, index), of: inputType)
                    let scaled = e.multiplyDouble(e.subtractDouble(element, zero), e.extendToDouble(e.load(scale, parameter)))
                    e.store(e.roundFloat(scaled, to: e.types.f32), y, index)
                }
            }
        }
    }
}

extension QuantizationKernel {
    private func emitVectorized(_ e: FunctionEmitter, _ x: IRValue, _ scale: TypedBuffer, _ zeroPoint: TypedBuffer, _ y: IRValue,
                                from start: IRValue, to end: IRValue) {
        let integerType = quantize ? resultType : inputType
        let zero = e.load(zeroPoint, e.int(0))
        let zero32 = integerType == .int8 ? e.wrap(LLVMBuildSExt(e.builder, zero.reference, e.types.i32, "")!)
                                          : e.wrap(LLVMBuildZExt(e.builder, zero.reference, e.types.i32, "")!)
        let s = e.load(scale, e.int(0))
        let range = integerType == .int8 ? (-128, 127) : (0, 255)
        e.vectorLoop(from: start, to: end, lanes: 16) { index, lanes in
            let floats = e.vectorType(e.types.f32, lanes), ints = e.vectorType(e.types.i32, lanes)
            if quantize {
                let value = e.loadVector(x, index, element: e.types.f32, lanes: lanes)
                let quotient = e.wrap(LLVMBuildFDiv(e.builder, value.reference, e.splatValue(s, lanes: lanes).reference, "")!)
                // roundEven(q) clamped to the range less the zero point, plus the zero point;
                // NaN gives the zero point.
                let rounded = e.callIntrinsic("llvm.roundeven", overloadedOn: [floats], [quotient])
                let zeroFloat = e.wrap(LLVMBuildSIToFP(e.builder, e.splatValue(zero32, lanes: lanes).reference, floats, "")!)
                let low = e.wrap(LLVMBuildFSub(e.builder, e.splatValue(e.float(Float(range.0)), lanes: lanes).reference, zeroFloat.reference, "")!)
                let high = e.wrap(LLVMBuildFSub(e.builder, e.splatValue(e.float(Float(range.1)), lanes: lanes).reference, zeroFloat.reference, "")!)
                let clamped = e.callIntrinsic("llvm.minnum", overloadedOn: [floats],
                                              [e.callIntrinsic("llvm.maxnum", overloadedOn: [floats], [rounded, low]), high])
                let isNaN = e.isNaN(quotient)
                let integer = e.wrap(LLVMBuildFPToSI(e.builder, clamped.reference, ints, "")!)
                let shifted = e.vectorAdd(e.wrap(LLVMBuildSelect(e.builder, isNaN.reference, LLVMConstNull(ints), integer.reference, "")!),
                                          e.splatValue(zero32, lanes: lanes))
                e.storeUnaligned(e.wrap(LLVMBuildTrunc(e.builder, shifted.reference, e.vectorType(e.types.i8, lanes), "")!),
                                 y, index, element: e.types.i8)
            } else {
                let bytes = e.loadVector(x, index, element: e.types.i8, lanes: lanes)
                let centered = e.vectorSub(e.extend(bytes, to: ints, signed: integerType == .int8), e.splatValue(zero32, lanes: lanes))
                let converted = e.wrap(LLVMBuildSIToFP(e.builder, centered.reference, floats, "")!)
                let product = e.wrap(LLVMBuildFMul(e.builder, converted.reference, e.splatValue(s, lanes: lanes).reference, "")!)
                e.storeUnaligned(product, y, index, element: e.types.f32)
            }
        }
    }
}

extension FunctionEmitter {
    /// A `half` to `float`, exactly.
    func widenToFloat(_ value: IRValue) -> IRValue { wrap(LLVMBuildFPExt(builder, value.reference, types.f32, "")) }
}
