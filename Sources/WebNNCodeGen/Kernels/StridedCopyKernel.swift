import WebNNBasics
import WebNNLowering

/// Data movement as strided copies of element bits (any data type): transpose (one piece), concat
/// (one piece per input, each written into its slice of the result). Tasks of all pieces are
/// numbered one after another.
struct StridedCopyKernel: KernelEmitter {
    /// Per operand, the copy of it into the result (buffer 0: result, buffer 1: the operand).
    let pieces: [LoopNest]

    var taskCount: Int { pieces.map(\.taskCount).reduce(0, +) }

    static func transpose(input: [Int], permutation: [Int], result: [Int]) throws -> StridedCopyKernel {
        guard permutation.sorted() == Array(input.indices), permutation.map({ input[$0] }) == result else {
            throw CodeGenError.unsupported("transpose of \(input) by \(permutation) into \(result)")
        }
        let inputStrides = rowMajorStrides(input)
        return StridedCopyKernel(pieces: [LoopNest(shape: result, strides: [rowMajorStrides(result),
                                                                            permutation.map { inputStrides[$0] }],
                                                   anyOrder: true)])
    }

    static func concat(inputs: [[Int]], axis: Int, result: [Int]) throws -> StridedCopyKernel {
        let consistent = axis < result.count && inputs.allSatisfy { shape in
            shape.count == result.count && shape.indices.allSatisfy { $0 == axis || shape[$0] == result[$0] }
        } && inputs.map { $0[axis] }.reduce(0, +) == result[axis]
        guard consistent else { throw CodeGenError.unsupported("concat of \(inputs) along \(axis) into \(result)") }
        let resultStrides = rowMajorStrides(result)
        var start = 0
        return StridedCopyKernel(pieces: inputs.map { shape in
            defer { start += shape[axis] }
            return LoopNest(shape: shape, strides: [resultStrides, rowMajorStrides(shape)],
                            offsets: [start * resultStrides[axis], 0])
        })
    }

    func emitTask(_ e: FunctionEmitter, _ buffers: StepBuffers, task: IRValue) {
        var firstTask = 0
        for (piece, operand) in zip(pieces, buffers.operands) {
            let range = (firstTask, firstTask + piece.taskCount)
            e.ifThen(e.and(task >= e.int(range.0), task < e.int(range.1))) {
                piece.emit(e, task: task - range.0) { indices in
                    e.storeBits(e.loadBits(operand, indices[1]), buffers.result, indices[0])
                }
            }
            firstTask = range.1
        }
    }
}
