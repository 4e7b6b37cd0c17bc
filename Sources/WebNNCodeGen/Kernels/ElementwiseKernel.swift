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
        loops.emit(e, task: task) { indices in
            let operands = zip(buffers.operands, indices.dropFirst()).map { e.load($0, $1) }
            e.store(apply(e, operands), buffers.result, indices[0])
        }
    }

    private func apply(_ e: FunctionEmitter, _ operands: [IRValue]) -> IRValue {
        switch operation {
        case .copy: return operands[0]
        case .binary(let op): return applyBinary(e, op, operands[0], operands[1])
        case .unary(let op): return applyUnary(e, op, operands[0])
        }
    }
}

func applyBinary(_ e: FunctionEmitter, _ op: BinaryOperator, _ a: IRValue, _ b: IRValue) -> IRValue {
    switch op {
    case .add: return a + b
    case .sub: return a - b
    case .mul: return a * b
    case .div: return a / b
    case .max: return e.maxNum(a, b)
    case .min: return e.minNum(a, b)
    }
}

/// Applies a unary operator; relu and clamp keep NaN and the sign of zero.
func applyUnary(_ e: FunctionEmitter, _ op: UnaryOperator, _ x: IRValue) -> IRValue {
    switch op {
    case .relu: return e.select(x < e.float(0), e.float(0), x)
    case .sigmoid: return e.sigmoid(x)
    case .tanh: return e.tanh(x)
    case .clamp(let minValue, let maxValue):
        return e.select(x < e.float(minValue), e.float(minValue), e.select(x > e.float(maxValue), e.float(maxValue), x))
    }
}
