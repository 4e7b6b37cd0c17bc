import WebNNBasics
import WebNNLowering

/// `(x − mean) / sqrt(variance + epsilon) · scale + bias` with the 1-D parameters indexed by the
/// `axis` coordinate: an element-wise loop where the parameters have stride 1 on `axis`, 0 elsewhere.
struct BatchNormalizationKernel: KernelEmitter {
    let attributes: BatchNormalizationAttributes
    let loops: LoopNest

    init(_ attributes: BatchNormalizationAttributes, shape: [Int], operandCount: Int) throws {
        let expected = 3 + (attributes.hasScale ? 1 : 0) + (attributes.hasBias ? 1 : 0)
        guard attributes.axis < shape.count, operandCount == expected else {
            throw CodeGenError.unsupported("batchNormalization on \(shape) along \(attributes.axis) with \(operandCount) operands")
        }
        self.attributes = attributes
        let parameterStrides = shape.indices.map { $0 == attributes.axis ? 1 : 0 }
        let strides = rowMajorStrides(shape)
        loops = LoopNest(shape: shape, strides: [strides, strides] + Array(repeating: parameterStrides, count: operandCount - 1))
    }

    var taskCount: Int { loops.taskCount }

    func emitTask(_ e: FunctionEmitter, _ buffers: StepBuffers, task: IRValue) {
        loops.emit(e, task: task) { indices in
            let values = zip(buffers.operands, indices.dropFirst()).map { e.load($0, $1) }
            var result = (values[0] - values[1]) / e.squareRoot(values[2] + e.float(attributes.epsilon))
            var next = 3
            if attributes.hasScale { result = result * values[next]; next += 1 }
            if attributes.hasBias { result = result + values[next] }
            e.store(result, buffers.result, indices[0])
        }
    }
}
