import CLLVM
import WebNNBasics
import WebNNIR
import WebNNLowering

/// The steps of a gru or lstm (`recurrentLoop`) as one loop of generated code: compile time and
/// code size do not depend on the number of steps. One task per direction (the two directions
/// of a bidirectional layer run in parallel); each task loops over the steps, and per step and
/// chunk of batch rows:
/// 1. R h: a register-tiled GEMV (GEMM for several batch rows) of the previous hidden state
///    with the recurrent weight, packed at compile time for the vector width
///    (`RecurrentPacking`: per direction `[tiles][hiddenSize][tileWidth]`, the transposed
///    weight's columns, zero past the last gate column), into float32 gate sums; a weight that
///    is not a constant is read in place by scalar dot products;
/// 2. the gate math of each hidden unit (W x + b from the projection, rb, peepholes,
///    activations, the new states), a loop over the units that LLVM vectorizes, writing the new
///    hidden state (the other of two ping-pong states), the cell state (in place) and the
///    sequence slot.
/// A gru without resetAfter needs r before R_n (r ⊙ h): its z and r gate columns come first
/// (they are blocks 0 and 1 in both layouts), then r ⊙ h is stored and a second GEMV over the
/// n columns follows.
///
/// Each direction's states are computed by one task in a fixed order, so results are
/// bit-identical for any thread count.
struct RecurrentKernel: KernelEmitter {
    let p: RecurrentLoopParameters
    let vectorWidth: Int

    init(_ p: RecurrentLoopParameters, operandCount: Int, vectorWidth: Int?) throws {
        let optional = [p.hasRecurrentBias, p.hasInitialHiddenState, p.hasInitialCellState, p.hasPeepholeWeight]
        guard operandCount == 2 + optional.filter({ $0 }).count else {
            throw CodeGenError.unsupported("recurrentLoop with \(operandCount) operands")
        }
        guard !p.packedWeight || vectorWidth != nil else { throw CodeGenError.unsupported("packed recurrentLoop without vectors") }
        self.p = p
        self.vectorWidth = vectorWidth ?? 8
    }

    var taskCount: Int { p.directions }

    /// The gate columns of each GEMV: all of them, or (gru without resetAfter) z and r, then n.
    static func columnRanges(_ p: RecurrentLoopParameters) -> [Range<Int>] {
        p.isLSTM || p.resetAfter ? [0..<p.gatesSize] : [0..<(2 * p.hiddenSize), (2 * p.hiddenSize)..<p.gatesSize]
    }

    /// Vectors of columns and batch rows per register tile: wide for one row (several
    /// independent FMA chains), fewer columns times more rows otherwise.
    static func tile(vectorWidth: Int, batch: Int, columns: Int) -> (vectors: Int, rows: Int) {
        let vectors = min(batch == 1 ? 8 : 4, (columns + vectorWidth - 1) / vectorWidth)
        return (vectors, min(batch, vectorWidth >= 16 ? 4 : 2))
    }

    /// Floats of one direction's packed weight, and where each column range's panels start.
    static func packedOffsets(_ p: RecurrentLoopParameters, vectorWidth: Int) -> (size: Int, starts: [Int]) {
        var starts: [Int] = [], size = 0
        for range in columnRanges(p) {
            let width = tile(vectorWidth: vectorWidth, batch: p.batch, columns: range.count).vectors * vectorWidth
            starts.append(size)
            size += (range.count + width - 1) / width * width * p.hiddenSize
        }
        return (size, starts)
    }

    func emitTask(_ e: FunctionEmitter, _ buffers: StepBuffers, task direction: IRValue) {
        let record = p.record
        let (batch, hidden, gates) = (p.batch, p.hiddenSize, p.gatesSize)
        var optional = buffers.operands.dropFirst(2).makeIterator()
        let recurrentBias = p.hasRecurrentBias ? optional.next() : nil
        let initialHidden = p.hasInitialHiddenState ? optional.next() : nil
        let initialCell = p.hasInitialCellState ? optional.next() : nil
        let peephole = p.hasPeepholeWeight ? optional.next() : nil
        let result = buffers.result
        let sums = TypedBuffer(e.bytePointer(result.pointer, offset: e.int(record.sumsByteOffset)), .float32)
        let resetState = TypedBuffer(e.bytePointer(result.pointer, offset: e.int(record.resetStateByteOffset)), .float32)
        let stateBase = direction * (batch * hidden)  // this direction's [batch, hidden] in a state

        // Initial states: the hidden one into ping-pong slot 0, the cell state into the record's.
        e.forLoop(from: 0, to: batch * hidden) { i in
            let h = initialHidden.map { e.load($0, stateBase + i) } ?? e.float(0)
            e.store(h, result, stateBase + i + record.states)
            if p.isLSTM { e.store(initialCell.map { e.load($0, stateBase + i) } ?? e.float(0), result, stateBase + i + record.cell) }
        }
        let steps = p.steps
        _ = e.forLoop(from: e.int(0), to: e.int(steps), carrying: [], unrolled: false) { step, _ in
            let lastToFirst = (steps - 1) - step
            let time = p.isBackward ? lastToFirst : p.directions == 2 ? e.select(direction == e.int(1), lastToFirst, step) : step
            let parity = step % 2
            let previous = record.states + (parity * p.directions) * (batch * hidden) + stateBase
            let next = record.states + ((1 - parity) * p.directions) * (batch * hidden) + stateBase
            let chunk = { (rows: Int, firstRow: IRValue) in
                emitRows(e, buffers, direction: direction, time: time, parity: parity, rows: rows, firstRow: firstRow,
                         previous: previous, next: next, sums: sums, resetState: resetState,
                         recurrentBias: recurrentBias, peephole: peephole)
            }
            let rowsPerChunk = RecurrentKernel.tile(vectorWidth: vectorWidth, batch: batch, columns: gates).rows
            e.forLoop(from: 0, to: batch / rowsPerChunk) { index in chunk(rowsPerChunk, index * rowsPerChunk) }
            if batch % rowsPerChunk != 0 { chunk(batch % rowsPerChunk, e.int(batch - batch % rowsPerChunk)) }
            return []
        }
        // The final hidden state is in ping-pong slot steps % 2.
        let last = record.states + (steps % 2 * p.directions) * (batch * hidden)
        e.forLoop(from: 0, to: batch * hidden) { i in
            e.store(e.load(result, stateBase + i + last), result, stateBase + i + record.hidden)
        }
    }

    /// Step `time` (the `parity`-th of the loop, modulo 2) for batch rows `firstRow..<firstRow + rows`:
    /// the GEMVs and the gate math.
    private func emitRows(_ e: FunctionEmitter, _ buffers: StepBuffers, direction: IRValue, time: IRValue, parity: IRValue, rows: Int,
                          firstRow: IRValue, previous: IRValue, next: IRValue, sums: TypedBuffer, resetState: TypedBuffer,
                          recurrentBias: TypedBuffer?, peephole: TypedBuffer?) {
        let result = buffers.result, record = p.record
        let (batch, hidden, gates) = (p.batch, p.hiddenSize, p.gatesSize)
        let projection = buffers.operands[0]
        let ranges = RecurrentKernel.columnRanges(p)
        let hiddenState = { (row: IRValue, k: IRValue) in e.load(result, previous + row * hidden + k) }
        let reversed = parity == e.int(1)
        gemv(e, buffers, direction: direction, part: 0, rows: rows, firstRow: firstRow, input: hiddenState, sums: sums,
             reversed: reversed)
        for r in 0..<rows {
            let row = firstRow + r
            let projectionRow = (time * batch + row) * (p.directions * gates) + direction * gates
            let sumsRow = (direction * batch + row) * gates
            let stateRow = row * hidden
            e.forLoop(from: 0, to: hidden) { unit in
                /// W x + b + R h + rb of `gate` for this unit (the sum's two halves as the
                /// interpreter groups them), with `recurrent` in place of R h + rb if given.
                func preactivation(_ gate: RecurrentGate) -> (input: IRValue, recurrent: IRValue) {
                    let column = p.block(gate) * hidden + unit
                    var recurrent = e.load(sums, sumsRow + column)
                    if let recurrentBias { recurrent = recurrent + e.load(recurrentBias, direction * gates + column) }
                    return (e.load(projection, projectionRow + column), recurrent)
                }
                func activation(_ index: Int, _ x: IRValue) -> IRValue {
                    switch p.activations[index] {
                    case .sigmoid: return e.sigmoid(x)
                    case .tanh: return e.tanh(x)
                    case .relu: return e.select(x > e.float(0), x, e.float(0))
                    }
                }
                let h = e.load(result, previous + stateRow + unit)
                let state = stateRow + unit
                func storeHidden(_ value: IRValue) {
                    e.store(value, result, next + state)
                    if p.returnSequence {
                        e.store(value, result, record.sequence + (time * p.directions) * (batch * hidden) + direction * (batch * hidden) + state)
                    }
                }
                if p.isLSTM {
                    let cellIndex = record.cell + direction * (batch * hidden) + state
                    let c = e.load(result, cellIndex)
                    func gate(_ gate: RecurrentGate, peepholeBlock: Int?) -> IRValue {
                        let (input, recurrent) = preactivation(gate)
                        var sum = input + recurrent
                        if let peephole, let peepholeBlock {
                            sum = sum + e.load(peephole, direction * (3 * hidden) + peepholeBlock * hidden + unit) * c
                        }
                        return activation(0, sum)
                    }
                    let inputGate = gate(.input, peepholeBlock: 0), forgetGate = gate(.forget, peepholeBlock: 2)
                    let (cellInput, cellRecurrent) = preactivation(.cell)
                    let nextCell = forgetGate * c + inputGate * activation(1, cellInput + cellRecurrent)
                    e.store(nextCell, result, cellIndex)
                    storeHidden(gate(.output, peepholeBlock: 1) * activation(2, nextCell))
                } else {
                    let (updateInput, updateRecurrent) = preactivation(.update)
                    let (resetInput, resetRecurrent) = preactivation(.reset)
                    let update = activation(0, updateInput + updateRecurrent), reset = activation(0, resetInput + resetRecurrent)
                    if p.resetAfter {
                        let (newInput, newRecurrent) = preactivation(.new)
                        let new = activation(1, newInput + reset * newRecurrent)
                        storeHidden((1 - update) * new + update * h)
                    } else {
                        e.store(update, sums, sumsRow + p.block(.update) * hidden + unit)
                        e.store(reset * h, resetState, (direction * batch + row) * hidden + unit)
                    }
                }
            }
        }
        guard ranges.count == 2 else { return }
        // gru without resetAfter: R_n (r ⊙ h), then n and the new state.
        let resetHidden = { (row: IRValue, k: IRValue) in e.load(resetState, (direction * batch + row) * hidden + k) }
        gemv(e, buffers, direction: direction, part: 1, rows: rows, firstRow: firstRow, input: resetHidden, sums: sums,
             reversed: reversed)
        for r in 0..<rows {
            let row = firstRow + r
            let projectionRow = (time * batch + row) * (p.directions * gates) + direction * gates
            let sumsRow = (direction * batch + row) * gates
            e.forLoop(from: 0, to: hidden) { unit in
                let newColumn = p.block(.new) * hidden + unit
                var recurrent = e.load(sums, sumsRow + newColumn)
                if let recurrentBias { recurrent = recurrent + e.load(recurrentBias, direction * gates + newColumn) }
                let x = e.load(projection, projectionRow + newColumn) + recurrent
                let new: IRValue
                switch p.activations[1] {
                case .sigmoid: new = e.sigmoid(x)
                case .tanh: new = e.tanh(x)
                case .relu: new = e.select(x > e.float(0), x, e.float(0))
                }
                let update = e.load(sums, sumsRow + p.block(.update) * hidden + unit)
                let state = row * hidden + unit
                let value = (1 - update) * new + update * e.load(result, previous + state)
                e.store(value, result, next + state)
                if p.returnSequence {
                    e.store(value, result, record.sequence + (time * p.directions) * (batch * hidden) + direction * (batch * hidden) + state)
                }
            }
        }
    }

    /// sums[row, column] = Σ_k input(row, k) · R[column, k] for the columns of range `part` and
    /// batch rows `firstRow..<firstRow + rows`.
    private func gemv(_ e: FunctionEmitter, _ buffers: StepBuffers, direction: IRValue, part: Int, rows: Int,
                      firstRow: IRValue, input: @escaping (IRValue, IRValue) -> IRValue, sums: TypedBuffer,
                      reversed: IRValue) {
        let (batch, hidden, gates) = (p.batch, p.hiddenSize, p.gatesSize)
        let columns = RecurrentKernel.columnRanges(p)[part]
        let weight = buffers.operands[1]
        let sumsIndex = { (r: Int, column: IRValue) in (direction * batch + firstRow + r) * gates + column }
        guard p.packedWeight else {
            // A weight known only at run time: one dot product per sum, k in order.
            e.forLoop(from: columns.lowerBound, to: columns.upperBound) { column in
                for r in 0..<rows {
                    let row = direction * (gates * hidden) + column * hidden
                    let sum = e.forLoop(from: e.int(0), to: e.int(hidden), carrying: [e.float(0)]) { k, acc in
                        [e.callIntrinsic("llvm.fma", overloadedOn: [e.types.f32], [e.load(weight, row + k), input(firstRow + r, k), acc[0]])]
                    }
                    e.store(sum[0], sums, sumsIndex(r, column))
                }
            }
            return
        }
        let (vectors, _) = RecurrentKernel.tile(vectorWidth: vectorWidth, batch: batch, columns: columns.count)
        let width = vectors * vectorWidth
        let (size, starts) = RecurrentKernel.packedOffsets(p, vectorWidth: vectorWidth)
        let base = direction * size + starts[part]
        let vectorType = LLVMVectorType(e.types.f32, UInt32(vectorWidth))!
        let zero = e.wrap(LLVMConstNull(vectorType))
        let emitTile = { (tile: IRValue, tileColumns: Int) in
            let used = (tileColumns + vectorWidth - 1) / vectorWidth
            let panel = base + tile * (hidden * width)
            let acc = e.forLoop(from: e.int(0), to: e.int(hidden), carrying: Array(repeating: zero, count: rows * used)) { k, acc in
                var next = acc
                let weights = (0..<used).map { v in
                    e.loadVector(weight.pointer, panel + k * width + v * vectorWidth, lanes: vectorWidth, width: vectorWidth)
                }
                for r in 0..<rows {
                    let broadcast = e.splat(input(firstRow + r, k), width: vectorWidth)
                    for v in 0..<used {
                        next[r * used + v] = e.callIntrinsic("llvm.fma", overloadedOn: [vectorType], [broadcast, weights[v], acc[r * used + v]])
                    }
                }
                return next
            }
            for r in 0..<rows {
                for v in 0..<used {
                    let column = tile * width + (columns.lowerBound + v * vectorWidth)
                    e.storeVector(acc[r * used + v], sums.pointer, sumsIndex(r, column),
                                  lanes: min(vectorWidth, tileColumns - v * vectorWidth))
                }
            }
        }
        let fullTiles = columns.count / width, lastColumns = columns.count % width
        // Odd steps walk the tiles backwards: the weights read last stay in L2 for the next step
        // (a recurrent weight larger than L2 would otherwise miss it entirely, least recently
        // used first).
        e.forLoop(from: 0, to: fullTiles) { index in emitTile(e.select(reversed, (fullTiles - 1) - index, index), width) }
        if lastColumns > 0 { emitTile(e.int(fullTiles), lastColumns) }
    }
}

/// Compile-time packing of constant recurrent weights for `RecurrentKernel`.
enum RecurrentPacking {
    /// Rewrites recurrentLoop steps whose recurrent weight is a constant to read a packed float32
    /// copy `[directions, RecurrentKernel.packedOffsets(...).size]`: per column range, tiles of
    /// `[hiddenSize][tileWidth]` holding R[column, k] at (k, column − tile start), zero past the
    /// range's last column; marks them `packedWeight`.
    static func pack(_ program: KernelProgram, target: ResolvedTarget) -> KernelProgram {
        guard let vectorWidth = FastConv2dPacking.vectorWidth(target) else { return program }
        var result = program
        var uses: [Int: Int] = [:]
        for step in program.steps {
            for operand in step.operands {
                if case .constant(let index) = operand.location { uses[index, default: 0] += 1 }
            }
        }
        for stepIndex in result.steps.indices {
            let step = result.steps[stepIndex]
            guard case .recurrent(var p) = step.kernel, !p.packedWeight, step.operands.count >= 2,
                  case .constant(let index) = step.operands[1].location, step.operands[1].strides == nil else { continue }
            let values = program.constants[index].floats
            let (hidden, gates) = (p.hiddenSize, p.gatesSize)
            let (size, starts) = RecurrentKernel.packedOffsets(p, vectorWidth: vectorWidth)
            var packed = [Float](repeating: 0, count: p.directions * size)
            for direction in 0..<p.directions {
                for (range, start) in zip(RecurrentKernel.columnRanges(p), starts) {
                    let width = RecurrentKernel.tile(vectorWidth: vectorWidth, batch: p.batch, columns: range.count).vectors * vectorWidth
                    for offset in 0..<range.count {
                        let (tile, lane) = (offset / width, offset % width)
                        let row = (direction * gates + range.lowerBound + offset) * hidden
                        let panel = direction * size + start + tile * hidden * width + lane
                        for k in 0..<hidden { packed[panel + k * width] = values[row + k] }
                    }
                }
            }
            let data = TensorData(float32: packed, shape: [p.directions, size])
            let packedIndex = uses[index] == 1 ? index : result.constants.count
            if packedIndex == index { result.constants[index] = data } else { result.constants.append(data) }
            p.packedWeight = true
            result.steps[stepIndex].kernel = .recurrent(p)
            result.steps[stepIndex].operands[1] = BufferRef(.constant(packedIndex),
                                                            TensorType(.float32, [p.directions, size]))
        }
        return result
    }
}
