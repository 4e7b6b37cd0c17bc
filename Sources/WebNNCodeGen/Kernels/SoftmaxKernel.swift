import WebNNBasics
import WebNNLowering

/// Softmax along one axis of a tensor viewed as [outer, axis, inner]: per (outer, inner) line,
/// the max, then e^(x − max) into the result, their sum, and a division by it. A task is one
/// outer index and a block of inner indices; a line is never split.
struct SoftmaxKernel: KernelEmitter {
    let outer: Int, length: Int, inner: Int
    static let innerBlock = 64

    init(shape: [Int], axis: Int) throws {
        guard axis < shape.count else { throw CodeGenError.unsupported("softmax of \(shape) along axis \(axis)") }
        outer = shape[..<axis].reduce(1, *)
        length = shape[axis]
        inner = shape[(axis + 1)...].reduce(1, *)
    }

    private var innerBlocks: Int { (inner + SoftmaxKernel.innerBlock - 1) / SoftmaxKernel.innerBlock }
    var taskCount: Int { outer * innerBlocks }

    func emitTask(_ e: FunctionEmitter, _ buffers: StepBuffers, task: IRValue) {
        let (x, y) = (buffers.operands[0], buffers.result)
        let outerIndex = task / innerBlocks, block = task % innerBlocks
        let firstInner = block * SoftmaxKernel.innerBlock
        let lastInner = e.minimum(firstInner + SoftmaxKernel.innerBlock, e.int(inner))
        e.forLoop(from: firstInner, to: lastInner) { j in
            let start = outerIndex * (length * inner) + j
            let along = { (a: IRValue) in start + a * inner }
            let maximum = e.forLoop(from: e.int(0), to: e.int(length), carrying: [e.float(-.infinity)]) { a, running in
                [e.larger(running[0], e.load(x, along(a)), of: x.dataType)]
            }[0]
            e.forLoop(from: 0, to: length) { a in
                e.store(e.exp(e.load(x, along(a)) - maximum), y, along(a))
            }
            let sum = e.forLoop(from: e.int(0), to: e.int(length), carrying: [e.float(0)]) { a, running in
                [running[0] + e.load(y, along(a))]
            }[0]
            e.forLoop(from: 0, to: length) { a in
                e.store(e.load(y, along(a)) / sum, y, along(a))
            }
        }
    }
}
