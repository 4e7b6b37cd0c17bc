import CLLVM
import WebNNBasics
import WebNNIR
import WebNNLowering

/// The emitter of a `Kernel.dataMovement` step, with its own type checks: the result has the
/// data type of x (any type); index operands are int32, uint32 or int64.
func makeDataMovementEmitter(_ kernel: DataMovementKernel, _ step: KernelStep) throws -> KernelEmitter {
    let dataType = step.result.type.dataType
    let shapes = step.operands.map(\.type.shape), resultShape = step.result.type.shape
    guard let x = step.operands.first, x.type.dataType == dataType else {
        throw CodeGenError.unsupported("\(step.kernel) with operands \(step.operands) into \(step.result)")
    }
    switch kernel {
    case .stridedGather(let map):
        guard step.operands.count == 1, map.shape.reduce(1, *) == resultShape.reduce(1, *),
              [map.resultStrides.count, map.inputStrides.count].allSatisfy({ $0 == map.shape.count }) else {
            throw CodeGenError.unsupported("\(step.kernel) of \(shapes) into \(resultShape)")
        }
        return StridedCopyKernel(pieces: [LoopNest(shape: map.shape, strides: [map.resultStrides, map.inputStrides],
                                                   offsets: [0, map.inputOffset], anyOrder: true)])
    case .gather(let axis):
        guard step.operands.count == 2, axis < shapes[0].count,
              [DataType.int32, .uint32, .int64].contains(step.operands[1].type.dataType) else {
            throw CodeGenError.unsupported("\(step.kernel) with operands \(step.operands)")
        }
        let input = shapes[0]
        let expected = Array(input[..<axis]) + shapes[1] + Array(input[(axis + 1)...])
        guard expected == resultShape else { throw CodeGenError.unsupported("gather of \(shapes) into \(resultShape)") }
        return GatherKernel(outer: input[..<axis].reduce(1, *), size: input[axis], inner: input[(axis + 1)...].reduce(1, *),
                            indexCount: shapes[1].reduce(1, *))
    case .pad(let beginning, let mode, let value):
        guard step.operands.count == 1, beginning.count == shapes[0].count, resultShape.count == shapes[0].count,
              zip(zip(resultShape, shapes[0]), beginning).allSatisfy({ $0.0 >= $0.1 + $1 && $1 >= 0 }) else {
            throw CodeGenError.unsupported("pad of \(shapes[0]) into \(resultShape)")
        }
        return PositionalCopyKernel(input: shapes[0], result: resultShape, beginning: beginning, mode: mode,
                                    fill: TensorData(dataType, shape: [], values: [value]).bytes, triangle: nil)
    case .triangular(let upper, let diagonal):
        guard step.operands.count == 1, shapes[0].count >= 2, resultShape == shapes[0] else {
            throw CodeGenError.unsupported("triangular of \(shapes[0]) into \(resultShape)")
        }
        return PositionalCopyKernel(input: shapes[0], result: resultShape, beginning: shapes[0].map { _ in 0 }, mode: .constant,
                                    fill: [UInt8](repeating: 0, count: dataType.byteSize), triangle: (upper, diagonal))
    case .gatherElements(let axis), .scatterElements(let axis):
        let scatter = step.operands.count == 3
        guard step.operands.count == (scatter ? 3 : 2), axis < shapes[0].count, shapes[1].count == shapes[0].count,
              isIndexType(step.operands[1].type.dataType),
              scatter ? resultShape == shapes[0] && shapes[2] == shapes[1] && step.operands[2].type.dataType == dataType
                      : resultShape == shapes[1] else {
            throw CodeGenError.unsupported("\(step.kernel) with operands \(step.operands)")
        }
        return ElementIndexKernel(input: shapes[0], indices: shapes[1], axis: axis, scatter: scatter)
    case .gatherND, .scatterND:
        let scatter = step.operands.count == 3
        guard step.operands.count == (scatter ? 3 : 2), let k = shapes[1].last, k <= shapes[0].count,
              isIndexType(step.operands[1].type.dataType) else {
            throw CodeGenError.unsupported("\(step.kernel) with operands \(step.operands)")
        }
        let sliceShape = Array(shapes[0][k...]), tuples = shapes[1].dropLast().reduce(1, *)
        guard scatter ? resultShape == shapes[0] && shapes[2] == Array(shapes[1].dropLast()) + sliceShape
                        && step.operands[2].type.dataType == dataType
                      : resultShape == Array(shapes[1].dropLast()) + sliceShape else {
            throw CodeGenError.unsupported("\(step.kernel) with operands \(step.operands)")
        }
        return TupleIndexKernel(input: shapes[0], k: k, tuples: tuples, scatter: scatter)
    }
}

private func isIndexType(_ dataType: DataType) -> Bool { [DataType.int32, .uint32, .int64].contains(dataType) }

extension FunctionEmitter {
    /// Element `index` of an index buffer (int32, uint32, int64) as an `i64`, counted from the end
    /// of a dimension of `size` when negative and clamped to it first (as the interpreter does).
    func resolvedIndex(_ indices: TypedBuffer, _ index: IRValue, size: IRValue) -> IRValue {
        let raw = load(indices.pointer, index, type: storageType(indices.dataType))
        let wide: IRValue
        switch indices.dataType {
        case .int32: wide = wrap(LLVMBuildSExt(builder, raw.reference, types.i64, ""))
        case .uint32: wide = zeroExtend(raw, to: types.i64)
        default: wide = raw
        }
        let clamped = minimum(maximum(wide, int(0) - size), size - 1)
        return select(clamped < 0, clamped + size, clamped)
    }
}

/// gather viewed as input [outer, size, inner] and result [outer, indexCount, inner]: each
/// (outer, index) row copies `inner` contiguous elements. A task is a block of rows.
struct GatherKernel: KernelEmitter {
    let outer: Int, size: Int, inner: Int, indexCount: Int

    private var rows: Int { outer * indexCount }
    private var rowsPerTask: Int { max(1, LoopNest.elementsPerTask / max(inner, 1)) }
    var taskCount: Int { max(1, (rows + rowsPerTask - 1) / rowsPerTask) }

    func emitTask(_ e: FunctionEmitter, _ buffers: StepBuffers, task: IRValue) {
        let (x, indices, y) = (buffers.operands[0], buffers.operands[1], buffers.result)
        let firstRow = task * rowsPerTask
        e.forLoop(from: firstRow, to: e.minimum(firstRow + rowsPerTask, e.int(rows))) { row in
            let before = row / indexCount, j = row % indexCount
            let position = e.resolvedIndex(indices, j, size: e.int(size))
            let source = (before * size + position) * inner, target = row * inner
            e.forLoop(from: 0, to: inner) { i in
                e.storeBits(e.loadBits(x, source + i), y, target + i)
            }
        }
    }
}

/// pad and triangular: each result element copies the x element its position maps to, or a
/// fill value (pad's constant, triangular's zero), chosen per element without branches. A task
/// is a block of rows (all axes but the last).
struct PositionalCopyKernel: KernelEmitter {
    let input: [Int], result: [Int], beginning: [Int]
    let mode: PaddingMode
    /// The fill value's bytes in the element type.
    let fill: [UInt8]
    /// triangular: (upper, diagonal).
    let triangle: (Bool, Int)?

    private var rowLength: Int { result.last ?? 1 }
    private var rows: Int { result.dropLast().reduce(1, *) }
    private var rowsPerTask: Int { max(1, LoopNest.elementsPerTask / rowLength) }
    var taskCount: Int { max(1, (rows + rowsPerTask - 1) / rowsPerTask) }

    /// The in-range source index along `axis` for result position `position`, and whether it
    /// lies outside x (constant padding).
    private func source(_ e: FunctionEmitter, _ position: IRValue, axis: Int) -> (IRValue, IRValue?) {
        let size = input[axis]
        let raw = position - beginning[axis]
        switch mode {
        case .edge: return (e.minimum(e.maximum(raw, e.int(0)), e.int(size - 1)), nil)
        case .reflection:
            let mirrored = e.select(raw < 0, 0 - raw, e.select(raw > size - 1, 2 * (size - 1) - raw, raw))
            return (e.minimum(e.maximum(mirrored, e.int(0)), e.int(size - 1)), nil)
        case .constant:
            return (e.minimum(e.maximum(raw, e.int(0)), e.int(size - 1)), e.or(raw < 0, raw > size - 1))
        }
    }

    func emitTask(_ e: FunctionEmitter, _ buffers: StepBuffers, task: IRValue) {
        let (x, y) = (buffers.operands[0], buffers.result)
        let rank = result.count
        let strides = rowMajorStrides(input)
        let bitsType = e.integerType(bytes: fill.count)
        let fillBits = e.wrap(LLVMConstInt(bitsType, fill.enumerated().reduce(UInt64(0)) { $0 | UInt64($1.1) << (8 * $1.0) }, 0))
        let firstRow = task * rowsPerTask
        e.forLoop(from: firstRow, to: e.minimum(firstRow + rowsPerTask, e.int(rows))) { row in
            var base = e.int(0), outside = e.wrap(LLVMConstInt(e.types.i1, 0, 0)), remaining = row
            var rowPosition: IRValue?
            for axis in stride(from: rank - 2, through: 0, by: -1) {
                let position = remaining % result[axis]
                remaining = remaining / result[axis]
                if axis == rank - 2 { rowPosition = position }
                let (index, isOutside) = source(e, position, axis: axis)
                base = base + index * strides[axis]
                if let isOutside { outside = e.or(outside, isOutside) }
            }
            if mode == .constant, triangle == nil, rank > 0 {
                // Fill, copy (a plain loop over contiguous elements), fill: a row outside x copies none.
                let (first, length) = (beginning[rank - 1], input[rank - 1])
                let copyEnd = e.select(outside, e.int(first), e.int(first + length))
                let target = row * rowLength
                e.forLoop(from: e.int(0), to: e.int(first)) { column in e.storeBits(fillBits, y, target + column) }
                e.forLoop(from: e.int(first), to: copyEnd) { column in
                    e.storeBits(e.loadBits(x, base + column - first), y, target + column)
                }
                e.forLoop(from: copyEnd, to: e.int(rowLength)) { column in e.storeBits(fillBits, y, target + column) }
                return
            }
            e.forLoop(from: 0, to: rowLength) { column in
                var (index, isOutside) = rank == 0 ? (e.int(0), nil) : source(e, column, axis: rank - 1)
                var fills = outside
                if let isOutside { fills = e.or(fills, isOutside) }
                if let (upper, diagonal) = triangle, let rowPosition {
                    let offset = column - rowPosition
                    fills = e.or(fills, upper ? offset < e.int(diagonal) : offset > diagonal)
                    index = column
                }
                let value = e.loadBits(x, base + (rank == 0 ? index : index * strides[rank - 1]))
                e.storeBits(e.select(fills, fillBits, value), y, row * rowLength + column)
            }
        }
    }
}

/// gatherElements and scatterElements: over the positions p of indices (row-major), the x
/// element at p with p[axis] replaced by the resolved index. A gather runs in blocks of rows;
/// a scatter copies x and then writes the updates in order, in one task (the last duplicate wins).
struct ElementIndexKernel: KernelEmitter {
    let input: [Int], indices: [Int], axis: Int, scatter: Bool

    private var loops: LoopNest {
        var xStrides = rowMajorStrides(input)
        xStrides[axis] = 0
        return LoopNest(shape: indices, strides: [rowMajorStrides(indices), xStrides])
    }
    var taskCount: Int { scatter ? 1 : loops.taskCount }

    func emitTask(_ e: FunctionEmitter, _ buffers: StepBuffers, task: IRValue) {
        let (x, positions, y) = (buffers.operands[0], buffers.operands[1], buffers.result)
        let axisStride = rowMajorStrides(input)[axis], size = e.int(input[axis])
        guard scatter else {
            loops.emit(e, task: task) { at in
                let source = at[1] + e.resolvedIndex(positions, at[0], size: size) * axisStride
                e.storeBits(e.loadBits(x, source), y, at[0])
            }
            return
        }
        let updates = buffers.operands[2]
        e.forLoop(from: 0, to: input.reduce(1, *)) { i in e.storeBits(e.loadBits(x, i), y, i) }
        e.forLoop(from: 0, to: loops.taskCount) { piece in
            loops.emit(e, task: piece) { at in
                let target = at[1] + e.resolvedIndex(positions, at[0], size: size) * axisStride
                e.storeBits(e.loadBits(updates, at[0]), y, target)
            }
        }
    }
}

/// gatherND and scatterND: index tuple t (k resolved indices) names a slice of x of
/// `input[k...]` elements. A gather copies blocks of tuples per task; a scatter copies x and
/// then writes the update slices in order, in one task (the last duplicate wins).
struct TupleIndexKernel: KernelEmitter {
    let input: [Int], k: Int, tuples: Int, scatter: Bool

    private var sliceSize: Int { input[k...].reduce(1, *) }
    private var tuplesPerTask: Int { max(1, LoopNest.elementsPerTask / max(sliceSize, 1)) }
    var taskCount: Int { scatter ? 1 : max(1, (tuples + tuplesPerTask - 1) / tuplesPerTask) }

    func emitTask(_ e: FunctionEmitter, _ buffers: StepBuffers, task: IRValue) {
        let (x, positions, y) = (buffers.operands[0], buffers.operands[1], buffers.result)
        let strides = rowMajorStrides(input), sliceSize = sliceSize
        func base(_ tuple: IRValue) -> IRValue {
            (0..<k).reduce(e.int(0)) { sum, j in
                sum + e.resolvedIndex(positions, tuple * k + j, size: e.int(input[j])) * strides[j]
            }
        }
        if scatter {
            let updates = buffers.operands[2]
            e.forLoop(from: 0, to: input.reduce(1, *)) { i in e.storeBits(e.loadBits(x, i), y, i) }
            e.forLoop(from: 0, to: tuples) { tuple in
                let target = base(tuple)
                e.forLoop(from: 0, to: sliceSize) { i in e.storeBits(e.loadBits(updates, tuple * sliceSize + i), y, target + i) }
            }
            return
        }
        let first = task * tuplesPerTask
        e.forLoop(from: first, to: e.minimum(first + tuplesPerTask, e.int(tuples))) { tuple in
            let source = base(tuple)
            e.forLoop(from: 0, to: sliceSize) { i in e.storeBits(e.loadBits(x, source + i), y, tuple * sliceSize + i) }
        }
    }
}
