import WebNNBasics

/// An N-d iteration over a shape that visits several buffers through their own element strides
/// (0 for a broadcast axis), split into tasks.
///
/// The innermost axis is a plain counted loop (what the vectorizer wants; for a copy with a short
/// innermost axis, the loop over a long one with the short one unrolled in it); the other axes
/// are flattened into "rows". A task covers a group of whole rows, or, when rows are long, a chunk of
/// one row.
struct LoopNest {
    /// The iteration shape, after merging axes that are contiguous in every buffer.
    let shape: [Int]
    /// Per buffer, its element stride for each axis of `shape`.
    let strides: [[Int]]
    /// Per buffer, the element offset added to every index.
    let offsets: [Int]
    let rowsPerTask: Int
    let columnsPerTask: Int
    /// Whether the innermost axis is unrolled inside the loop over the axis before it.
    let unrolledInner: Bool
    /// A copy whose inner loop steps through a buffer by more than one element: vectorized,
    /// it would gather or scatter element by element (a transpose of attention's keys: ~45
    /// cycles a 16-float `vpgatherdd` on Ice Lake), so it stays a scalar loop (that transpose
    /// 10-20 % faster there).
    let gathers: Bool

    /// About this many elements per task: enough to amortize a task's overhead.
    static let elementsPerTask = 16_384

    /// `anyOrder`: the elements may be visited in any order (a copy). Then a short innermost
    /// axis (under 16) with another one at least 4 times longer is unrolled inside a loop over
    /// that one (an NCHW → NHWC transpose of a 3-channel image: one loop of 50,176 pixels that
    /// stores 3 channels each, which LLVM vectorizes as interleaved stores, not 50,176 rows of 3
    /// that each pay their index arithmetic).
    init(shape: [Int], strides: [[Int]], offsets: [Int]? = nil, anyOrder: Bool = false) {
        var (merged, mergedStrides) = LoopNest.mergeAxes(shape.isEmpty ? [1] : shape,
                                                         shape.isEmpty ? strides.map { _ in [0] } : strides)
        unrolledInner = anyOrder && merged.count >= 2 && merged.last! < 16
            && merged.dropLast().max()! >= 4 * merged.last!
        if unrolledInner {
            let longest = merged.dropLast().indices.max { merged[$0] < merged[$1] }!
            let move = { (axes: [Int]) in
                var axes = axes
                axes.insert(axes.remove(at: longest), at: axes.count - 1)
                return axes
            }
            (merged, mergedStrides) = (move(merged), mergedStrides.map(move))
        }
        (self.shape, self.strides) = (merged, mergedStrides)
        gathers = anyOrder && !unrolledInner && mergedStrides.contains { abs($0.last!) > 1 }
        self.offsets = offsets ?? strides.map { _ in 0 }
        let rowLength = merged[merged.count - (unrolledInner ? 2 : 1)]
        rowsPerTask = max(1, LoopNest.elementsPerTask / (rowLength * (unrolledInner ? merged.last! : 1)))
        columnsPerTask = rowsPerTask > 1 ? rowLength : min(rowLength, LoopNest.elementsPerTask)
    }

    /// The loop over "columns" is the last axis, or with `unrolledInner` the one before it.
    private var columnAxisFromEnd: Int { unrolledInner ? 2 : 1 }
    private var columnAxis: Int { shape.count - columnAxisFromEnd }
    private var rowCount: Int { shape.dropLast(columnAxisFromEnd).reduce(1, *) }
    private var rowGroups: Int { (rowCount + rowsPerTask - 1) / rowsPerTask }
    private var chunksPerRow: Int { (shape[columnAxis] + columnsPerTask - 1) / columnsPerTask }

    var taskCount: Int { rowGroups * chunksPerRow }

    /// Emits task `task`: calls `body` with each visited element's index in every buffer.
    func emit(_ e: FunctionEmitter, task: IRValue, _ body: ([IRValue]) -> Void) {
        let rowGroup = task / chunksPerRow, chunk = task % chunksPerRow
        let firstRow = rowGroup * rowsPerTask
        let lastRow = e.minimum(firstRow + rowsPerTask, e.int(rowCount))
        let firstColumn = chunk * columnsPerTask
        let lastColumn = e.minimum(firstColumn + columnsPerTask, e.int(shape[columnAxis]))
        e.forLoop(from: firstRow, to: lastRow) { row in
            var rowOffsets = offsets.map { e.int($0) }
            var remaining = row
            for axis in stride(from: columnAxis - 1, through: 0, by: -1) {
                let index = remaining % shape[axis]
                remaining = remaining / shape[axis]
                rowOffsets = zip(rowOffsets, strides).map { offset, bufferStrides in
                    bufferStrides[axis] == 0 ? offset : offset + index * bufferStrides[axis]
                }
            }
            e.forLoop(from: firstColumn, to: lastColumn, vectorized: !gathers) { column in
                let columnOffsets = zip(rowOffsets, strides).map { offset, bufferStrides in
                    bufferStrides[columnAxis] == 0 ? offset : offset + column * bufferStrides[columnAxis]
                }
                guard unrolledInner else { return body(columnOffsets) }
                for inner in 0..<shape.last! {
                    body(zip(columnOffsets, strides).map { offset, bufferStrides in offset + inner * bufferStrides.last! })
                }
            }
        }
    }

    /// Merges axis i into axis i+1 wherever every buffer steps over axis i exactly as far as a
    /// whole run of axis i+1 (so the pair is one contiguous axis); drops size-1 axes.
    private static func mergeAxes(_ shape: [Int], _ strides: [[Int]]) -> ([Int], [[Int]]) {
        var mergedShape: [Int] = []
        var mergedStrides: [[Int]] = strides.map { _ in [] }
        for axis in shape.indices where shape[axis] != 1 || axis == shape.count - 1 && mergedShape.isEmpty {
            if let lastSize = mergedShape.last,
               strides.indices.allSatisfy({ mergedStrides[$0].last! == strides[$0][axis] * shape[axis] }) {
                mergedShape[mergedShape.count - 1] = lastSize * shape[axis]
                for buffer in strides.indices { mergedStrides[buffer][mergedStrides[buffer].count - 1] = strides[buffer][axis] }
            } else {
                mergedShape.append(shape[axis])
                for buffer in strides.indices { mergedStrides[buffer].append(strides[buffer][axis]) }
            }
        }
        return mergedShape.isEmpty ? ([1], strides.map { _ in [0] }) : (mergedShape, mergedStrides)
    }
}

/// Element strides of `shape` when it is broadcast (numpy rules, aligned at the last axis) to
/// `target`: 0 on broadcast axes.
func broadcastStrides(_ shape: [Int], to target: [Int]) -> [Int] {
    let own = rowMajorStrides(shape)
    let padding = target.count - shape.count
    return target.indices.map { axis in
        axis < padding || shape[axis - padding] == 1 ? 0 : own[axis - padding]
    }
}
