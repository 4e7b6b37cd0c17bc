import CLLVM
import WebNNBasics
import WebNNLowering

/// Softmax along one axis of a tensor viewed as [outer, axis, inner]: per (outer, inner) line,
/// the max, then e^(x − max) into the result, their sum s, and a multiplication by 1/s (not a
/// division per element: `vdivps` alone took as long as the exponentials; the two roundings
/// stay within ~2 ULP of the quotient, against WebNN's 3·length + 3). A task is one outer
/// index and a block of inner indices; a line is never split.
///
/// float32 lines along the last axis (`inner == 1`: attention's scores) take a vector path
/// when the target has vectors (`vectorWidth`): the max and the sum run over whole vectors in
/// four chains, folded across chains and lanes at the end (`reduce`); e^(x − max) and the
/// scaling are loops LLVM vectorizes. A task is a block of lines. The sum's order is fixed by
/// the length, so results do not depend on the thread count.
struct SoftmaxKernel: KernelEmitter {
    let outer: Int, length: Int, inner: Int
    /// The vector width of the lines-along-the-last-axis path, nil for the general one.
    let vectorWidth: Int?
    static let innerBlock = 64
    /// Elements per task of the vector path (whole lines).
    static let elementsPerTask = 4096

    /// `linesPerTask`: the vector path's tasks take blocks of that many lines of a matrix (an
    /// attention run's row blocks, `GemmKernel.RowCut.blocks`) instead of about
    /// `elementsPerTask` elements.
    init(shape: [Int], axis: Int, dataType: DataType = .float32, vectorWidth: Int? = nil, linesPerTask: Int? = nil) throws {
        guard axis < shape.count else { throw CodeGenError.unsupported("softmax of \(shape) along axis \(axis)") }
        outer = shape[..<axis].reduce(1, *)
        length = shape[axis]
        inner = shape[(axis + 1)...].reduce(1, *)
        self.vectorWidth = inner == 1 && dataType == .float32 && length >= (vectorWidth ?? 0) ? vectorWidth : nil
        // Balanced blocks of whole lines within a matrix (the last two axes: a head's scores).
        let target = linesPerTask ?? max(1, SoftmaxKernel.elementsPerTask / length)
        linesPerMatrix = shape.count >= 2 && axis == shape.count - 1 ? max(shape[shape.count - 2], 1) : 1
        tasksPerMatrix = (linesPerMatrix + target - 1) / target
        self.linesPerTask = linesPerTask ?? (linesPerMatrix + tasksPerMatrix - 1) / tasksPerMatrix
    }

    private var innerBlocks: Int { (inner + SoftmaxKernel.innerBlock - 1) / SoftmaxKernel.innerBlock }
    /// The vector path's tasks are blocks of `linesPerTask` lines (the last one of a matrix may
    /// be shorter) that never straddle two matrices of `linesPerMatrix` lines, so that the
    /// kernel splits into rounds of whole matrices (heads) whatever the sequence length.
    let linesPerMatrix: Int, tasksPerMatrix: Int, linesPerTask: Int
    var taskCount: Int { vectorWidth != nil ? outer / linesPerMatrix * tasksPerMatrix : outer * innerBlocks }
    /// Tasks are outer-major.
    func splits(intoRounds rounds: Int) -> Bool {
        (vectorWidth != nil ? outer / linesPerMatrix : outer) % rounds == 0
    }

    func emitTask(_ e: FunctionEmitter, _ buffers: StepBuffers, task: IRValue) {
        if let vectorWidth { return emitLines(e, buffers, task: task, vectorWidth: vectorWidth) }
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
            let inverse = e.float(1) / sum
            e.forLoop(from: 0, to: length) { a in
                e.store(e.load(y, along(a)) * inverse, y, along(a))
            }
        }
    }

    /// The vector path: a block of lines of `length` contiguous floats.
    private func emitLines(_ e: FunctionEmitter, _ buffers: StepBuffers, task: IRValue, vectorWidth: Int) {
        let (x, y) = (buffers.operands[0].pointer, buffers.result.pointer)
        let matrixStart = task / tasksPerMatrix * linesPerMatrix
        let first = matrixStart + task % tasksPerMatrix * linesPerTask
        let end = e.minimum(first + linesPerTask, matrixStart + linesPerMatrix)
        let vectors = length / vectorWidth, rest = length % vectorWidth
        /// `combine` over the line's `vectors` whole vectors (`vector(i)`) and then its `rest`
        /// leftover elements (`element(j)`): the vectors in four independent chains (one chain
        /// would wait out the instruction's latency at every vector), the chains pairwise, the
        /// lanes by halving, then the leftover elements in order. The order depends on the length
        /// only.
        func reduce(identity: Float, vector: (IRValue) -> IRValue, element: (IRValue) -> IRValue,
                    _ combine: (IRValue, IRValue) -> IRValue) -> IRValue {
            let chainCount = 4, groups = vectors / chainCount
            let initial = Array(repeating: e.splat(e.float(identity), width: vectorWidth), count: chainCount)
            var chains = e.forLoop(from: e.int(0), to: e.int(groups), carrying: initial) { group, chains in
                (0..<chainCount).map { combine(chains[$0], vector(group * chainCount + $0)) }
            }
            for j in 0..<vectors % chainCount { chains[j] = combine(chains[j], vector(e.int(groups * chainCount + j))) }
            var folded = combine(combine(chains[0], chains[1]), combine(chains[2], chains[3]))
            var width = vectorWidth
            while width > 1 {
                width /= 2
                folded = combine(e.shuffle(folded, folded, Array(0..<width)), e.shuffle(folded, folded, Array(width..<2 * width)))
            }
            var result = e.wrap(LLVMBuildExtractElement(e.builder, folded.reference, e.int32(0).reference, "")!)
            for index in 0..<rest { result = combine(result, element(e.int(vectors * vectorWidth + index))) }
            return result
        }
        e.forLoop(from: first, to: end) { line in
            let start = line * length
            // a > b ? a : b (one vmaxps) may miss a NaN, which needs no care here: a NaN in the
            // line makes its sum NaN and so every output NaN, as the maximum being NaN would.
            let maximum = reduce(identity: -.infinity, vector: { e.loadVector(x, start + $0 * vectorWidth, lanes: vectorWidth, width: vectorWidth) },
                                 element: { e.load(x, start + $0) }) { e.select(e.isGreater($0, $1, of: .float32), $0, $1) }
            // e^(x − max) stored and summed in one pass.
            let maximumVector = e.splat(maximum, width: vectorWidth)
            let sum = reduce(identity: 0, vector: { index in
                let offset = start + index * vectorWidth
                let exponential = e.exponentialOfNonPositive(
                    e.loadVector(x, offset, lanes: vectorWidth, width: vectorWidth) - maximumVector, width: vectorWidth)
                e.storeVector(exponential, y, offset)
                return exponential
            }, element: { index in
                let exponential = e.exp(e.load(x, start + index) - maximum)
                e.store(exponential, y, start + index)
                return exponential
            }) { $0 + $1 }
            let inverse = e.float(1) / sum
            e.forLoop(from: 0, to: length) { a in
                e.store(e.load(y, start + a) * inverse, y, start + a)
            }
        }
    }
}
