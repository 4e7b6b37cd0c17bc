import WebNNBasics
import WebNNLowering

/// Element-wise kernels: binary operators with broadcasting, unary operators, and copies.
struct ElementwiseKernel: KernelEmitter {
    enum Operation {
        case binary(BinaryOperator)
        case unary(UnaryOperator)
        case copy
    }

    let operation: Operation
    let loops: LoopNest

    init(resultShape: [Int], operandShapes: [[Int]], operation: Operation) {
        self.operation = operation
        loops = LoopNest(shape: resultShape,
                         strides: [rowMajorStrides(resultShape)] + operandShapes.map { broadcastStrides($0, to: resultShape) })
    }

    var taskCount: Int { loops.taskCount }

    func emitTask(_ e: FunctionEmitter, _ buffers: StepBuffers, task: IRValue) {
        let dataType = buffers.result.dataType
        loops.emit(e, task: task) { indices in
            if case .copy = operation {
                e.storeBits(e.loadBits(buffers.operands[0], indices[1]), buffers.result, indices[0])
                return
            }
            let operands = zip(buffers.operands, indices.dropFirst()).map { e.load($0, $1) }
            e.store(apply(e, operands, dataType), buffers.result, indices[0])
        }
    }

    private func apply(_ e: FunctionEmitter, _ operands: [IRValue], _ dataType: DataType) -> IRValue {
        switch operation {
        case .copy: return operands[0]
        case .binary(let op): return applyBinary(e, op, operands[0], operands[1], of: dataType)
        case .unary(let op): return applyUnary(e, op, operands[0], of: dataType)
        }
    }
}

/// Applies a binary operator to values in `dataType`'s compute type (see `TypedBuffer`).
func applyBinary(_ e: FunctionEmitter, _ op: BinaryOperator, _ a: IRValue, _ b: IRValue,
                 of dataType: DataType = .float32) -> IRValue {
    switch op {
    case .add: return e.add(a, b, of: dataType)
    case .sub: return e.subtract(a, b, of: dataType)
    case .mul: return e.multiply(a, b, of: dataType)
    case .div: return e.divide(a, b, of: dataType)
    case .max: return e.larger(a, b, of: dataType)
    case .min: return e.smaller(a, b, of: dataType)
    }
}

/// Applies a unary operator to a value in `dataType`'s compute type; relu and clamp keep NaN and
/// the sign of zero. Clamp bounds are cast to `dataType`; an absent bound is not compared.
func applyUnary(_ e: FunctionEmitter, _ op: UnaryOperator, _ x: IRValue, of dataType: DataType = .float32) -> IRValue {
    switch op {
    case .relu:
        let zero = e.zero(dataType)
        return e.select(e.isLess(x, zero, of: dataType), zero, x)
    case .sigmoid: return e.sigmoid(x)
    case .tanh: return e.tanh(x)
    case .leakyRelu(let alpha):
        return e.select(e.isLess(x, e.zero(dataType), of: dataType), x * e.constant(alpha, as: dataType), x)
    case .hardSwish:
        // x · min(max(x + 3, 0), 6) / 6, NaN kept (comparisons with NaN are false).
        let shifted = x + e.float(3)
        let clamped = e.select(e.isLess(shifted, e.float(0), of: dataType), e.float(0),
                               e.select(e.isGreater(shifted, e.float(6), of: dataType), e.float(6), shifted))
        return x * clamped / e.float(6)
    case .clamp(let minValue, let maxValue):
        var result = x
        if let maxValue {
            let high = e.constant(maxValue, as: dataType)
            result = e.select(e.isGreater(x, high, of: dataType), high, result)
        }
        if let minValue {
            let low = e.constant(minValue, as: dataType)
            result = e.select(e.isLess(x, low, of: dataType), low, result)
        }
        return result
    }
}
