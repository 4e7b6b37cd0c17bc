import CLLVM
import WebNNBasics
import WebNNIR
import WebNNLowering

/// The steps of a gru or lstm (`recurrentLoop`) as a loop of generated code: compile time and
/// code size do not depend on the number of steps. The step is a kernel of several rounds
/// (`KernelEmitter.rounds`): P_run loops over them, each a parallel_for of
/// `directions × slices` tasks (the two directions of a bidirectional layer in parallel, and
/// each direction's hidden units cut into slices). Round 0 sets the initial states; then each
/// step is one round, in which a task, for its slice of the units:
/// 1. computes R h for its units' columns of every gate block: a register-tiled GEMV (GEMM for
///    several batch rows) of the previous hidden state with the recurrent weight, packed at
///    compile time for the vector width (`RecurrentPacking`: per direction, gate block and
///    slice, `[tiles][hiddenSize][tileWidth]` of the transposed weight's columns, zero past
///    the slice's last unit), into float32 gate sums. A weight that is not a constant is read
///    in place by scalar dot products;
/// 2. runs the gate math of those units (W x + b from the projection, rb, peepholes,
///    activations), a loop that LLVM vectorizes, writing the new hidden state (the other of
///    two ping-pong states), the cell state (in place) and the sequence slot.
/// Only the next step's GEMV reads other slices' units, so a step needs one parallel_for (a
/// GEMV round and a gate math round each cost a dispatch and a wait for the slowest thread).
/// A gru without resetAfter needs r before R_n (r ⊙ h): its z and r blocks (blocks 0 and 1 in
/// both layouts) take a round whose gate math stores z and r ⊙ h, and the n block a second
/// round. The last round copies the final hidden state out.
///
/// Each value is computed by one task in a fixed order, so results are bit-identical for any
/// thread count.
struct RecurrentKernel: KernelEmitter {
    let p: RecurrentLoopParameters
    let vectorWidth: Int

    /// Tasks per direction in each round: slices of the hidden units (`units(ofSlice:)`).
    let slices: Int

    init(_ p: RecurrentLoopParameters, operandCount: Int, vectorWidth: Int?) throws {
        let optional = [p.hasRecurrentBias, p.hasInitialHiddenState, p.hasInitialCellState, p.hasPeepholeWeight]
        guard operandCount == 2 + optional.filter({ $0 }).count else {
            throw CodeGenError.unsupported("recurrentLoop with \(operandCount) operands")
        }
        guard !p.packedWeight || vectorWidth != nil else { throw CodeGenError.unsupported("packed recurrentLoop without vectors") }
        self.p = p
        self.vectorWidth = vectorWidth ?? 8
        slices = RecurrentKernel.slices(p, vectorWidth: self.vectorWidth)
    }

    /// As many slices as `maximumSlices` allows with at least one vector of units each.
    static func slices(_ p: RecurrentLoopParameters, vectorWidth: Int) -> Int {
        min(maximumSlices, max(1, p.hiddenSize / vectorWidth))
    }

    /// The hidden units of `slice`: whole vectors of units shared out evenly (the last slice
    /// ends at hiddenSize), so that no tile but the last one's last vector is partial.
    static func units(ofSlice slice: Int, slices: Int, hiddenSize: Int, vectorWidth: Int) -> Range<Int> {
        let vectors = (hiddenSize + vectorWidth - 1) / vectorWidth
        return min(hiddenSize, slice * vectors / slices * vectorWidth)..<min(hiddenSize, (slice + 1) * vectors / slices * vectorWidth)
    }

    /// At most this many tasks per direction and round: enough for a few threads; more would
    /// cost more in task dispatch than they gain on a GEMV of a few hundred microseconds at most.
    static let maximumSlices = 4

    var taskCount: Int { p.directions * slices }

    /// The gate blocks of each round of a step: all of them, or (gru without resetAfter) z and
    /// r, then n.
    static func blockGroups(_ p: RecurrentLoopParameters) -> [[Int]] {
        p.isLSTM || p.resetAfter ? [Array(0..<(p.gatesSize / p.hiddenSize))] : [[0, 1], [2]]
    }

    /// Vectors of columns and batch rows per register tile: wide for one row (several
    /// independent FMA chains), fewer columns times more rows otherwise.
    static func tile(vectorWidth: Int, batch: Int, columns: Int) -> (vectors: Int, rows: Int) {
        let vectors = min(batch == 1 ? 8 : 4, (columns + vectorWidth - 1) / vectorWidth)
        return (vectors, min(batch, vectorWidth >= 16 ? 4 : 2))
    }

    /// The packed weight's tile width, and the floats of each (gate block, slice) segment: the
    /// largest slice's units in tiles of that width, every segment alike.
    static func packedSegment(_ p: RecurrentLoopParameters, vectorWidth: Int) -> (tileWidth: Int, floats: Int) {
        let slices = slices(p, vectorWidth: vectorWidth)
        let units = (0..<slices).map { self.units(ofSlice: $0, slices: slices, hiddenSize: p.hiddenSize, vectorWidth: vectorWidth).count }.max()!
        let width = tile(vectorWidth: vectorWidth, batch: p.batch, columns: units).vectors * vectorWidth
        return (width, (units + width - 1) / width * width * p.hiddenSize)
    }

    /// Where segment (gate block `block`, slice `slice`) of a direction's packed weight starts,
    /// and the floats of a direction.
    static func packedOffset(_ p: RecurrentLoopParameters, vectorWidth: Int, block: Int, slice: Int) -> (start: Int, direction: Int) {
        let (slices, floats) = (slices(p, vectorWidth: vectorWidth), packedSegment(p, vectorWidth: vectorWidth).floats)
        return ((block * slices + slice) * floats, p.gatesSize / p.hiddenSize * slices * floats)
    }

    /// A step's phases: a round per block group.
    private var phases: Int { RecurrentKernel.blockGroups(p).count }
    /// A first round sets the initial states, then each step's phases, then a last round copies
    /// the final hidden state out.
    var rounds: Int { 2 + p.steps * phases }

    /// The operands and workspace pointers of a task, and where its direction's states are.
    private struct Context {
        let result: TypedBuffer, projection: TypedBuffer
        let recurrentBias: TypedBuffer?, peephole: TypedBuffer?
        let sums: TypedBuffer, resetState: TypedBuffer
        let direction: IRValue
        /// The input step, and the element offsets of the state read and the state written.
        var time: IRValue, previous: IRValue, next: IRValue
    }

    func emitTask(_ e: FunctionEmitter, _ buffers: StepBuffers, task: IRValue) {
        let record = p.record
        let (batch, hidden) = (p.batch, p.hiddenSize)
        let round = task / taskCount, local = task % taskCount
        let direction = local / slices, slice = local % slices
        var optional = buffers.operands.dropFirst(2).makeIterator()
        let recurrentBias = p.hasRecurrentBias ? optional.next() : nil
        let initialHidden = p.hasInitialHiddenState ? optional.next() : nil
        let initialCell = p.hasInitialCellState ? optional.next() : nil
        let peephole = p.hasPeepholeWeight ? optional.next() : nil
        let result = buffers.result
        let stateBase = direction * (batch * hidden)  // this direction's [batch, hidden] in a state
        /// This task's share of `count` things: [slice · count / slices, (slice + 1) · count / slices).
        func share(_ count: Int, of slice: IRValue) -> (IRValue, IRValue) {
            (slice * count / slices, (slice + 1) * count / slices)
        }
        let (first, end) = share(batch * hidden, of: slice)
        e.ifThenElse(round == e.int(0), then: {
            // The initial states: the hidden one into ping-pong slot 0, the cell state into the record's.
            e.forLoop(from: first, to: end) { i in
                e.store(initialHidden.map { e.load($0, stateBase + i) } ?? e.float(0), result, stateBase + i + record.states)
                if p.isLSTM { e.store(initialCell.map { e.load($0, stateBase + i) } ?? e.float(0), result, stateBase + i + record.cell) }
            }
        }, else: {
            e.ifThenElse(round == e.int(rounds - 1), then: {
                // The final hidden state is in ping-pong slot steps % 2.
                let last = record.states + (p.steps % 2 * p.directions) * (batch * hidden)
                e.forLoop(from: first, to: end) { i in
                    e.store(e.load(result, stateBase + i + last), result, stateBase + i + record.hidden)
                }
            }, else: {
                let step = (round - 1) / phases, phase = (round - 1) % phases
                let lastToFirst = (p.steps - 1) - step
                let time = p.isBackward ? lastToFirst : p.directions == 2 ? e.select(direction == e.int(1), lastToFirst, step) : step
                let parity = step % 2
                let context = Context(
                    result: result, projection: buffers.operands[0], recurrentBias: recurrentBias, peephole: peephole,
                    sums: TypedBuffer(e.bytePointer(result.pointer, offset: e.int(record.sumsByteOffset)), .float32),
                    resetState: TypedBuffer(e.bytePointer(result.pointer, offset: e.int(record.resetStateByteOffset)), .float32),
                    direction: direction, time: time,
                    previous: record.states + (parity * p.directions) * (batch * hidden) + stateBase,
                    next: record.states + ((1 - parity) * p.directions) * (batch * hidden) + stateBase)
                // Odd steps walk each slice's weight tiles backwards, and task t takes slice
                // (t + slices/2) mod slices: a serial run then reads first much of what it read last
                // in the step before, which is still in L2 (a recurrent weight larger than L2 would
                // otherwise miss it entirely, least recently used first: without the turn nsnet2
                // took 40 % longer at 1 thread), while two threads, which claim alternate tasks,
                // keep their slices and so their halves of the weight in their own L2 (reversing
                // the slice order moved every slice to the other core each step: nsnet2 at 2
                // threads, min 6.5-7.1 -> 5.2-5.3 ms with the half turn).
                let reversed = parity == e.int(1)
                let ownSlice = e.select(reversed, (slice + slices / 2) % slices, slice)
                for (group, blocks) in RecurrentKernel.blockGroups(p).enumerated() {
                    e.ifThen(phase == e.int(group)) {
                        for unitSlice in 0..<slices {
                            e.ifThen(ownSlice == e.int(unitSlice)) {
                                let units = RecurrentKernel.units(ofSlice: unitSlice, slices: slices, hiddenSize: hidden,
                                                                  vectorWidth: vectorWidth)
                                for block in blocks {
                                    gemv(e, buffers.operands[1], context, part: group, block: block, slice: unitSlice, units: units,
                                         reversed: reversed)
                                }
                                e.forLoop(from: 0, to: batch) { row in
                                    e.forLoop(from: units.lowerBound, to: units.upperBound) { unit in
                                        gateMath(e, context, stage: group, row: row, unit: unit)
                                    }
                                }
                            }
                        }
                    }
                }
            })
        })
    }

    /// The gate math of one hidden unit of one batch row. Stage 0 computes the new states (a gru
    /// without resetAfter: z, kept in the gate sums, and r ⊙ h); stage 1 (only that gru) n and
    /// the new hidden state.
    private func gateMath(_ e: FunctionEmitter, _ c: Context, stage: Int, row: IRValue, unit: IRValue) {
        let (batch, hidden, gates) = (p.batch, p.hiddenSize, p.gatesSize)
        let record = p.record
        let projectionRow = (c.time * batch + row) * (p.directions * gates) + c.direction * gates
        let sumsRow = (c.direction * batch + row) * gates
        let state = row * hidden + unit
        /// W x + b, and R h + rb, of `gate` for this unit (the sum's halves as the interpreter
        /// groups them).
        func preactivation(_ gate: RecurrentGate) -> (input: IRValue, recurrent: IRValue) {
            let column = p.block(gate) * hidden + unit
            var recurrent = e.load(c.sums, sumsRow + column)
            if let recurrentBias = c.recurrentBias { recurrent = recurrent + e.load(recurrentBias, c.direction * gates + column) }
            return (e.load(c.projection, projectionRow + column), recurrent)
        }
        func activation(_ index: Int, _ x: IRValue) -> IRValue {
            switch p.activations[index] {
            case .sigmoid: return e.sigmoid(x)
            case .tanh: return e.tanh(x)
            case .relu: return e.select(x > e.float(0), x, e.float(0))
            }
        }
        func storeHidden(_ value: IRValue) {
            e.store(value, c.result, c.next + state)
            if p.returnSequence {
                e.store(value, c.result, record.sequence + (c.time * p.directions + c.direction) * (batch * hidden) + state)
            }
        }
        let h = e.load(c.result, c.previous + state)
        if p.isLSTM {
            let cellIndex = record.cell + c.direction * (batch * hidden) + state
            let cell = e.load(c.result, cellIndex)
            func gate(_ gate: RecurrentGate, peepholeBlock: Int) -> IRValue {
                let (input, recurrent) = preactivation(gate)
                var sum = input + recurrent
                if let peephole = c.peephole {
                    sum = sum + e.load(peephole, c.direction * (3 * hidden) + peepholeBlock * hidden + unit) * cell
                }
                return activation(0, sum)
            }
            let inputGate = gate(.input, peepholeBlock: 0), forgetGate = gate(.forget, peepholeBlock: 2)
            let (cellInput, cellRecurrent) = preactivation(.cell)
            let nextCell = forgetGate * cell + inputGate * activation(1, cellInput + cellRecurrent)
            e.store(nextCell, c.result, cellIndex)
            storeHidden(gate(.output, peepholeBlock: 1) * activation(2, nextCell))
        } else if stage == 0 {
            let (updateInput, updateRecurrent) = preactivation(.update)
            let (resetInput, resetRecurrent) = preactivation(.reset)
            let update = activation(0, updateInput + updateRecurrent), reset = activation(0, resetInput + resetRecurrent)
            if p.resetAfter {
                let (newInput, newRecurrent) = preactivation(.new)
                storeHidden((1 - update) * activation(1, newInput + reset * newRecurrent) + update * h)
            } else {
                e.store(update, c.sums, sumsRow + p.block(.update) * hidden + unit)
                e.store(reset * h, c.resetState, (c.direction * batch + row) * hidden + unit)
            }
        } else {
            // gru without resetAfter: the sums of the n columns are R_n (r ⊙ h).
            let (newInput, newRecurrent) = preactivation(.new)
            let update = e.load(c.sums, sumsRow + p.block(.update) * hidden + unit)
            storeHidden((1 - update) * activation(1, newInput + newRecurrent) + update * h)
        }
    }

    /// The gate sums of gate block `block`'s columns of `units` (this task's slice) for every
    /// batch row: sums[row, column] = Σ_k input(row, k) · R[column, k], k in order, where the
    /// input is the previous hidden state (part 0) or r ⊙ h (part 1). Odd steps (`reversed`)
    /// walk the tiles backwards.
    private func gemv(_ e: FunctionEmitter, _ weight: TypedBuffer, _ c: Context, part: Int, block: Int, slice: Int,
                      units: Range<Int>, reversed: IRValue) {
        let (batch, hidden, gates) = (p.batch, p.hiddenSize, p.gatesSize)
        let firstColumn = block * hidden + units.lowerBound
        let input = { (row: IRValue, k: IRValue) in
            part == 0 ? e.load(c.result, c.previous + row * hidden + k)
                : e.load(c.resetState, (c.direction * batch + row) * hidden + k)
        }
        let sumsIndex = { (row: IRValue, column: IRValue) in (c.direction * batch + row) * gates + column }
        guard p.packedWeight else {
            // A weight known only at run time: one dot product per sum, k in order.
            e.forLoop(from: firstColumn, to: firstColumn + units.count) { column in
                e.forLoop(from: 0, to: batch) { row in
                    let base = c.direction * (gates * hidden) + column * hidden
                    let sum = e.forLoop(from: e.int(0), to: e.int(hidden), carrying: [e.float(0)]) { k, acc in
                        [e.callIntrinsic("llvm.fma", overloadedOn: [e.types.f32], [e.load(weight, base + k), input(row, k), acc[0]])]
                    }
                    e.store(sum[0], c.sums, sumsIndex(row, column))
                }
            }
            return
        }
        let rowsPerTile = RecurrentKernel.tile(vectorWidth: vectorWidth, batch: batch, columns: units.count).rows
        let width = RecurrentKernel.packedSegment(p, vectorWidth: vectorWidth).tileWidth
        let (start, directionFloats) = RecurrentKernel.packedOffset(p, vectorWidth: vectorWidth, block: block, slice: slice)
        let base = c.direction * directionFloats + start
        let vectorType = LLVMVectorType(e.types.f32, UInt32(vectorWidth))!
        let zero = e.wrap(LLVMConstNull(vectorType))
        /// `rows` batch rows from `firstRow` × tile `tile`'s first `tileColumns` columns.
        let emitTile = { (rows: Int, firstRow: IRValue, tile: IRValue, tileColumns: Int) in
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
                    let column = tile * width + (firstColumn + v * vectorWidth)
                    e.storeVector(acc[r * used + v], c.sums.pointer, sumsIndex(firstRow + r, column),
                                  lanes: min(vectorWidth, tileColumns - v * vectorWidth))
                }
            }
        }
        // The slice's tiles (the last one partial when the units do not fill it).
        let fullTiles = units.count / width, lastColumns = units.count % width
        let chunk = { (rows: Int, firstRow: IRValue) in
            if fullTiles > 0 {
                e.forLoop(from: 0, to: fullTiles) { index in
                    emitTile(rows, firstRow, e.select(reversed, e.int(fullTiles - 1) - index, index), width)
                }
            }
            if lastColumns > 0 { emitTile(rows, firstRow, e.int(fullTiles), lastColumns) }
        }
        e.forLoop(from: 0, to: batch / rowsPerTile) { index in chunk(rowsPerTile, index * rowsPerTile) }
        if batch % rowsPerTile != 0 { chunk(batch % rowsPerTile, e.int(batch - batch % rowsPerTile)) }
    }
}

/// Compile-time packing of constant recurrent weights for `RecurrentKernel`.
enum RecurrentPacking {
    /// Rewrites recurrentLoop steps whose recurrent weight is a constant to read a packed float32
    /// copy `[directions, floats per direction]`: per gate block and slice of the units
    /// (`RecurrentKernel.packedOffset`), tiles of `[hiddenSize][tileWidth]` holding R[column, k]
    /// at (k, column − tile start), zero past the slice's last unit; marks them `packedWeight`.
    static func pack(_ program: KernelProgram, target: ResolvedTarget) -> KernelProgram {
        guard let vectorWidth = FastConv2dPacking.vectorWidth(target) else { return program }
        var result = program
        let uses = program.constantReaderCounts
        for stepIndex in result.steps.indices {
            let step = result.steps[stepIndex]
            guard case .recurrent(var p) = step.kernel, !p.packedWeight, step.operands.count >= 2,
                  case .constant(let index) = step.operands[1].location, step.operands[1].strides == nil else { continue }
            let values = program.constants[index].floats
            let (hidden, gates) = (p.hiddenSize, p.gatesSize)
            let slices = RecurrentKernel.slices(p, vectorWidth: vectorWidth)
            let width = RecurrentKernel.packedSegment(p, vectorWidth: vectorWidth).tileWidth
            let size = RecurrentKernel.packedOffset(p, vectorWidth: vectorWidth, block: 0, slice: 0).direction
            var packed = [Float](repeating: 0, count: p.directions * size)
            for direction in 0..<p.directions {
                for block in 0..<(gates / hidden) {
                    for slice in 0..<slices {
                        let start = RecurrentKernel.packedOffset(p, vectorWidth: vectorWidth, block: block, slice: slice).start
                        let units = RecurrentKernel.units(ofSlice: slice, slices: slices, hiddenSize: hidden, vectorWidth: vectorWidth)
                        for offset in 0..<units.count {
                            let (tile, lane) = (offset / width, offset % width)
                            let row = (direction * gates + block * hidden + units.lowerBound + offset) * hidden
                            let panel = direction * size + start + tile * hidden * width + lane
                            for k in 0..<hidden { packed[panel + k * width] = values[row + k] }
                        }
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
