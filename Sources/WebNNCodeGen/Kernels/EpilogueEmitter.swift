import WebNNBasics
import WebNNLowering

/// The fused epilogue of a conv2d or matmul step (`Epilogue`), shared by both kernels: each
/// result element, once its sum (and bias) is complete and before it is stored, gets the
/// residual added and the activation applied, with the element-wise kernels' own emitters
/// (`applyBinary`, `applyUnary`), so fused and separate steps compute the same function.
struct EpilogueEmitter {
    let epilogue: Epilogue

    /// How many of a step's operands the epilogue takes (the residual, last).
    var operandCount: Int { epilogue.hasResidual ? 1 : 0 }

    var isEmpty: Bool { epilogue.isEmpty }

    /// `activation(value + residual[resultIndex])` in the result's compute type; `resultIndex`
    /// is the element's index in the result (the residual has the result's shape).
    func apply(_ e: FunctionEmitter, _ value: IRValue, _ buffers: StepBuffers, resultIndex: IRValue) -> IRValue {
        let dataType = buffers.result.dataType
        var result = value
        if epilogue.hasResidual, let residual = buffers.operands.last {
            result = applyBinary(e, .add, result, e.load(residual, resultIndex), of: dataType)
        }
        if let activation = epilogue.activation {
            result = applyUnary(e, activation, result, of: dataType)
        }
        return result
    }
}
