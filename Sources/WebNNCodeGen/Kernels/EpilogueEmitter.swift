import CLLVM
import WebNNBasics
import WebNNLowering

/// The fused epilogue of a conv2d, convTranspose2d or matmul step (`Epilogue`), shared by their
/// kernels: each result element, once its sum (and bias) is complete and before it is stored,
/// gets the residual added and the activation applied, with the element-wise kernels' own
/// emitters (`applyBinary`, `applyUnary`), so fused and separate steps compute the same function.
struct EpilogueEmitter {
    let epilogue: Epilogue

    /// How many of a step's operands the epilogue takes (the last ones: residual, prelu's slope).
    var operandCount: Int { epilogue.operandCount }

    var isEmpty: Bool { epilogue.isEmpty }

    /// `activation(value + residual[resultIndex])` in the result's compute type; `resultIndex`
    /// is the element's index in the result (the residual has the result's shape; prelu's slope
    /// is read at the element its broadcast puts there).
    func apply(_ e: FunctionEmitter, _ value: IRValue, _ buffers: StepBuffers, resultIndex: IRValue) -> IRValue {
        let dataType = buffers.result.dataType
        var result = value
        if let residual = residual(buffers) {
            result = applyBinary(e, .add, result, e.load(residual, resultIndex), of: dataType)
        }
        if let activation = epilogue.activation {
            result = applyUnary(e, activation, result, of: dataType)
        }
        if let slope = epilogue.preluSlope, let slopeBuffer = buffers.operands.last {
            result = applyBinary(e, .prelu, result, e.load(slopeBuffer, slopeIndex(e, slope, resultIndex)), of: dataType)
        }
        return result
    }

    /// `apply` to a float32 vector of the result elements `resultIndex ..< resultIndex + width`,
    /// where the epilogue has a vector form here (a residual add; relu, clamp, leakyRelu or
    /// linear): the same operations in the same order, so the same bits, as one instruction per
    /// vector rather than `width` scalar ones for LLVM's SLP vectorizer to merge (which cost
    /// ResNet-50's compile a third of LLVM's time). Nil (and nothing emitted) for the others.
    func applyToVector(_ e: FunctionEmitter, _ value: IRValue, _ buffers: StepBuffers, resultIndex: IRValue) -> IRValue? {
        guard buffers.result.dataType == .float32, epilogue.preluSlope == nil else { return nil }
        switch epilogue.activation {
        case nil, .relu?, .clamp?, .leakyRelu?, .linear?: break
        default: return nil
        }
        let width = Int(LLVMGetVectorSize(value.type))
        let constant = { (number: Double) in e.splat(e.constant(number, as: .float32), width: width) }
        var result = value
        if let residual = residual(buffers) {
            result = result + e.loadVector(residual.pointer, resultIndex, lanes: width, width: width)
        }
        switch epilogue.activation {
        case .relu?:
            result = e.select(e.isLess(result, constant(0), of: .float32), constant(0), result)
        case .clamp(let minValue, let maxValue)?:
            let x = result
            if let maxValue { result = e.select(e.isGreater(x, constant(maxValue), of: .float32), constant(maxValue), result) }
            if let minValue { result = e.select(e.isLess(x, constant(minValue), of: .float32), constant(minValue), result) }
        case .leakyRelu(let alpha)?:
            result = e.select(e.isLess(result, constant(0), of: .float32), result * constant(alpha), result)
        case .linear(let alpha, let beta)?:
            result = e.mulAdd(result, constant(alpha), constant(beta))
        default:
            break
        }
        return result
    }

    /// The residual operand, if the epilogue adds one.
    func residual(_ buffers: StepBuffers) -> TypedBuffer? {
        epilogue.hasResidual ? buffers.operands[buffers.operands.count - operandCount] : nil
    }

    /// The index of the slope element broadcast to result element `resultIndex`: the sum, over
    /// the result axes the slope varies along, of the element's coordinate times the slope's stride.
    private func slopeIndex(_ e: FunctionEmitter, _ slope: Epilogue.SlopeBroadcast, _ resultIndex: IRValue) -> IRValue {
        let strides = broadcastStrides(slope.shape, to: slope.resultShape)
        let resultStrides = rowMajorStrides(slope.resultShape)
        if strides == resultStrides { return resultIndex }
        var index = e.int(0)
        for axis in slope.resultShape.indices where strides[axis] != 0 {
            index = index + resultIndex / resultStrides[axis] % slope.resultShape[axis] * strides[axis]
        }
        return index
    }
}
