import Foundation
import WebNNBasics
import WebNNIR

/// gru, gruCell, lstm and lstmCell. A cell kernel is one step of the network kernel: both call
/// the same step function. Within a step every gate is computed in Double from the stored
/// states; the new states are rounded to the data type before the next step reads them (as the
/// WebNN emulation, built from float operators, stores them).
///
/// GRU: z = f(W_z x + b_z + R_z h + rb_z), r likewise, n = g(W_n x + b_n + r ⊙ (R_n h + rb_n)) with
/// resetAfter, else g(W_n x + b_n + R_n (r ⊙ h) + rb_n); h' = (1 - z) ⊙ n + z ⊙ h.
/// LSTM: i = f(W_i x + b_i + R_i h + rb_i + p_i ⊙ c), f likewise with p_f, g = g(W_g x + b_g + R_g h + rb_g),
/// c' = f ⊙ c + i ⊙ g, o = f(W_o x + b_o + R_o h + rb_o + p_o ⊙ c), h' = o ⊙ h(c'): every peephole
/// (blocks i, o, f in that order, whatever the layout) multiplies the incoming cell state c, as
/// the spec's lstmCell emulation does.
/// The backward direction reads the input from the last step to the first; the returned
/// sequence holds, at slot t, each direction's hidden state after it consumed input step t: the
/// spec's emulation appends the forward states and prepends the backward ones
/// (`concat([state, backwardSequence], 0)`, webnn PRs #802 and #803).
///
/// webnnc's `recurrentLoop` (the steps after lowering computed W x + b of every step as one gemm)
/// runs the same steps with the `projection` rows in place of the input and W x + b.
enum RecurrentKernels {
    static let table: [String: Kernel] = ["gru": network, "gruCell": network, "lstm": network, "lstmCell": network,
                                          RecurrentLoopParameters.operatorName: loop]

    /// The operands of one direction, as Doubles; offsets select the direction's slice.
    private struct Weights {
        var p: RecurrentParameters
        /// W, or nil when the input rows are W x + b already (`recurrentLoop`'s projection).
        var weight: [Float]?, recurrentWeight: [Float]
        var bias: [Float]?, recurrentBias: [Float]?, peephole: [Float]?
        var direction = 0

        private var gatesSize: Int { p.gateOrder.count * p.hiddenSize }

        /// W x + b (+ R h + rb when `state` is given) for unit `unit` of `gate`, batch item `item`.
        func projection(_ gate: RecurrentGate, unit: Int, item: Int, input x: [Double], state h: [Double]?) -> Double {
            let row = direction * gatesSize + p.block(gate) * p.hiddenSize + unit
            var sum: Double
            if let weight {
                sum = Double(bias?[row] ?? 0)
                for column in 0..<p.inputSize { sum += Double(weight[row * p.inputSize + column]) * x[item * p.inputSize + column] }
            } else {
                sum = x[item * p.inputSize + row]
            }
            if let h { sum += recurrent(gate, unit: unit, item: item, state: h) }
            return sum
        }

        /// R h + rb for unit `unit` of `gate`, batch item `item`.
        func recurrent(_ gate: RecurrentGate, unit: Int, item: Int, state h: [Double]) -> Double {
            let row = direction * gatesSize + p.block(gate) * p.hiddenSize + unit
            var sum = Double(recurrentBias?[row] ?? 0)
            for column in 0..<p.hiddenSize { sum += Double(recurrentWeight[row * p.hiddenSize + column]) * h[item * p.hiddenSize + column] }
            return sum
        }

        /// The peephole weight of `gate` (input, output, forget blocks in that order) for `unit`.
        func peephole(_ gate: RecurrentGate, unit: Int) -> Double {
            guard let peephole else { return 0 }
            let block = gate == .input ? 0 : gate == .output ? 1 : 2
            return Double(peephole[direction * 3 * p.hiddenSize + block * p.hiddenSize + unit])
        }
    }

    private static func network(_ call: OperatorCall) throws -> [TensorValue] {
        let p = try call.parameters(RecurrentParameters.init)
        let weights = Weights(p: p, weight: try call.floats("weight"), recurrentWeight: try call.floats("recurrentWeight"),
                              bias: try call.optionalOperand("bias").map(call.floats(of:)),
                              recurrentBias: try call.optionalOperand("recurrentBias").map(call.floats(of:)),
                              peephole: try call.optionalOperand("peepholeWeight").map(call.floats(of:)))
        let states = try run(call, weights, input: try call.floats("input"),
                             hiddenName: p.isCell ? "hiddenState" : "initialHiddenState",
                             cellName: p.isCell ? "cellState" : "initialCellState")
        let types = p.outputTypes
        var outputs = [TensorValue(types[0], floats: states.hidden)]
        if p.isLSTM { outputs.append(TensorValue(types[1], floats: states.cell)) }
        if p.returnSequence { outputs.append(TensorValue(types[types.count - 1], floats: states.sequence)) }
        return outputs
    }

    /// `recurrentLoop`: its record holds the final hidden state, the final cell state (lstm) and
    /// the sequence (returnSequence) at `Record`'s offsets; the workspace after them is zero.
    private static func loop(_ call: OperatorCall) throws -> [TensorValue] {
        let loop = try call.parameters(RecurrentLoopParameters.init)
        let weights = Weights(p: loop.network, weight: nil, recurrentWeight: try call.floats("recurrentWeight"),
                              recurrentBias: try call.optionalOperand("recurrentBias").map(call.floats(of:)),
                              peephole: try call.optionalOperand("peepholeWeight").map(call.floats(of:)))
        let states = try run(call, weights, input: try call.floats("projection"),
                             hiddenName: "initialHiddenState", cellName: "initialCellState")
        let record = loop.record
        var values = [Float](repeating: 0, count: record.size)
        values.replaceSubrange(record.hidden..<(record.hidden + states.hidden.count), with: states.hidden)
        values.replaceSubrange(record.cell..<(record.cell + states.cell.count), with: states.cell)
        values.replaceSubrange(record.sequence..<(record.sequence + states.sequence.count), with: states.sequence)
        return [TensorValue(TensorType(loop.dataType, [record.size]), floats: values)]
    }

    /// Runs every step of every direction over `input` (`[steps, batch, inputSize]`): the final
    /// hidden and cell states `[directions, batch, hiddenSize]` and the sequence
    /// `[steps, directions, batch, hiddenSize]` (empty unless returned).
    private static func run(_ call: OperatorCall, _ weights: Weights, input floats: [Float], hiddenName: String,
                            cellName: String) throws -> (hidden: [Float], cell: [Float], sequence: [Float]) {
        var weights = weights
        let p = weights.p
        let input = floats.map { Double($0) }
        let stateSize = p.batch * p.hiddenSize, stepSize = p.batch * p.inputSize
        func initial(_ name: String) throws -> [Double] {
            try call.optionalOperand(name).map { try call.floats(of: $0).map { Double($0) } }
                ?? [Double](repeating: 0, count: p.directions * stateSize)
        }
        var hidden = try initial(hiddenName)
        var cell = p.isLSTM ? try initial(cellName) : []
        let round: (Double) -> Double = p.dataType == .float16 ? { Double(Float16($0)) } : { Double(Float($0)) }
        // [steps, directions, batch, hiddenSize]: slot (time, direction).
        var sequence = [Double](repeating: 0, count: p.returnSequence ? p.steps * p.directions * stateSize : 0)
        for step in 0..<p.steps {
            for direction in 0..<p.directions {
                weights.direction = direction
                let time = direction == 1 || p.direction == .backward ? p.steps - 1 - step : step
                let x = Array(input[(time * stepSize)..<((time + 1) * stepSize)])
                let states = (direction * stateSize)..<((direction + 1) * stateSize)
                if p.isLSTM {
                    let (h, c) = lstmStep(weights, input: x, hidden: Array(hidden[states]), cell: Array(cell[states]))
                    hidden.replaceSubrange(states, with: h.map(round))
                    cell.replaceSubrange(states, with: c.map(round))
                } else {
                    hidden.replaceSubrange(states, with: gruStep(weights, input: x, hidden: Array(hidden[states])).map(round))
                }
                if p.returnSequence {
                    let slot = (time * p.directions + direction) * stateSize
                    sequence.replaceSubrange(slot..<(slot + stateSize), with: hidden[states])
                }
            }
        }
        return (hidden.map(Float.init), cell.map(Float.init), sequence.map(Float.init))
    }

    /// One GRU step for every batch item and hidden unit.
    private static func gruStep(_ w: Weights, input x: [Double], hidden h: [Double]) -> [Double] {
        let p = w.p, (gates, candidate) = (p.activations[0], p.activations[1])
        var next = [Double](repeating: 0, count: h.count)
        for item in 0..<p.batch {
            let reset = (0..<p.hiddenSize).map { apply(gates, w.projection(.reset, unit: $0, item: item, input: x, state: h)) }
            // Without resetAfter, R_n multiplies r ⊙ h (only this item's row of h is read).
            let resetState = p.resetAfter ? h : h.indices.map { $0 / p.hiddenSize == item ? h[$0] * reset[$0 % p.hiddenSize] : h[$0] }
            for unit in 0..<p.hiddenSize {
                let update = apply(gates, w.projection(.update, unit: unit, item: item, input: x, state: h))
                let new = p.resetAfter
                    ? w.projection(.new, unit: unit, item: item, input: x, state: nil) + reset[unit] * w.recurrent(.new, unit: unit, item: item, state: h)
                    : w.projection(.new, unit: unit, item: item, input: x, state: nil) + w.recurrent(.new, unit: unit, item: item, state: resetState)
                let index = item * p.hiddenSize + unit
                next[index] = (1 - update) * apply(candidate, new) + update * h[index]
            }
        }
        return next
    }

    /// One LSTM step: the new hidden and cell states.
    private static func lstmStep(_ w: Weights, input x: [Double], hidden h: [Double], cell c: [Double]) -> ([Double], [Double]) {
        let p = w.p, (gates, candidate, filter) = (p.activations[0], p.activations[1], p.activations[2])
        var nextHidden = [Double](repeating: 0, count: h.count), nextCell = nextHidden
        for item in 0..<p.batch {
            for unit in 0..<p.hiddenSize {
                let index = item * p.hiddenSize + unit
                func gate(_ gate: RecurrentGate, cell: Double) -> Double {
                    apply(gates, w.projection(gate, unit: unit, item: item, input: x, state: h) + w.peephole(gate, unit: unit) * cell)
                }
                let inputGate = gate(.input, cell: c[index]), forgetGate = gate(.forget, cell: c[index])
                let cellCandidate = apply(candidate, w.projection(.cell, unit: unit, item: item, input: x, state: h))
                nextCell[index] = forgetGate * c[index] + inputGate * cellCandidate
                nextHidden[index] = gate(.output, cell: c[index]) * apply(filter, nextCell[index])
            }
        }
        return (nextHidden, nextCell)
    }

    private static func apply(_ activation: RecurrentActivation, _ x: Double) -> Double {
        switch activation {
        case .relu: return max(0, x)
        case .sigmoid: return 1 / (1 + Foundation.exp(-x))
        case .tanh: return Foundation.tanh(x)
        }
    }
}
