import WebNNBasics
import WebNNIR

/// Compiles gru, gruCell, lstm and lstmCell by rewriting each node into operators that have
/// kernels, unrolled over its static number of steps, following the math of the reference
/// interpreter (`RecurrentKernels`). Per direction, one gemm projects the input of every step
/// (W x + b); each step adds a gemm of the state (R h + rb), slices out the gate blocks and
/// combines them with element-wise operators, and its new states feed the next step (of the
/// same direction). The outputs are the final states (and the sequence of hidden states)
/// concatenated in layout order and named by a reshape to the output shape, which takes the
/// original output's name: graph outputs and later consumers read the expansion.
enum RecurrentExpansion {
    static let operators: Set<String> = ["gru", "gruCell", "lstm", "lstmCell"]

    /// `graph` with every recurrent node expanded, verified; `graph` itself if it has none.
    static func expand(_ graph: Graph) throws -> Graph {
        guard graph.nodes.contains(where: { operators.contains($0.op) }) else { return graph }
        var expander = try GraphExpander(copying: graph)
        for node in graph.nodes {
            try expander.visit(node) { node, names, expander in
                guard operators.contains(node.op) else { return nil }
                var unroller = try Unroller(node, expander)
                let outputs = try unroller.outputs(named: names)
                expander = unroller.expander
                return outputs
            }
        }
        let expanded = expander.finish()
        try Verifier.verify(expanded, after: "recurrent expansion")
        return expanded
    }
}

/// The expansion of one recurrent node, added to `expander`'s graph.
private struct Unroller {
    var expander: GraphExpander
    let node: Node
    let p: RecurrentParameters
    /// The all-zero state and the scalar 1, made when first needed.
    private var zeros: ValueID?, one: ValueID?

    /// One direction's operands (without the directions axis) and its current states.
    struct Direction {
        var recurrentWeight: ValueID, recurrentBias: ValueID?
        /// Without resetAfter, the GRU new gate's block of the recurrent weight and bias.
        var newGateRecurrentWeight: ValueID?, newGateRecurrentBias: ValueID?
        /// The input, output and forget gates' peephole weights, [hiddenSize] each (LSTM).
        var peepholes: [RecurrentGate: ValueID] = [:]
        /// W x + b of every step, [steps * batch, gatesSize] (time-major like the input).
        var inputProjection: ValueID
        var hidden: ValueID, cell: ValueID?
    }

    init(_ node: Node, _ expander: GraphExpander) throws {
        self.node = node
        self.expander = expander
        p = try RecurrentParameters(node, expander.graph)
    }

    private var gatesSize: Int { p.gateOrder.count * p.hiddenSize }

    /// The values of the node's outputs, named `names`.
    mutating func outputs(named names: [String]) throws -> [ValueID] {
        let input = node.operand("input")!
        let inputRows = p.isCell ? input : try reshape(input, [p.steps * p.batch, p.inputSize])
        var directions = try (0..<p.directions).map { try direction($0, inputRows: inputRows) }
        // Slot (time, direction): the state after the direction consumed input step `time` (the
        // spec's emulation prepends the backward direction's states: input-time order).
        var sequence: [ValueID?] = Array(repeating: nil, count: p.returnSequence ? p.steps * p.directions : 0)
        for step in 0..<p.steps {
            for index in directions.indices {
                let time = index == 1 || p.direction == .backward ? p.steps - 1 - step : step
                let x = try slice(directions[index].inputProjection, starts: [time * p.batch, 0], sizes: [p.batch, gatesSize])
                if p.isLSTM { try lstmStep(&directions[index], x) } else { try gruStep(&directions[index], x) }
                if p.returnSequence { sequence[time * p.directions + index] = directions[index].hidden }
            }
        }
        let types = p.outputTypes
        var outputs = [try joined(directions.map(\.hidden), types[0].shape, name: names[0])]
        if p.isLSTM { outputs.append(try joined(directions.map { $0.cell! }, types[1].shape, name: names[1])) }
        if p.returnSequence { outputs.append(try joined(sequence.map { $0! }, types[types.count - 1].shape, name: names[names.count - 1])) }
        return outputs
    }

    /// Direction `index`'s operands, input projection and initial states.
    private mutating func direction(_ index: Int, inputRows: ValueID) throws -> Direction {
        let weight = try operand("weight", direction: index)!
        let recurrentWeight = try operand("recurrentWeight", direction: index)!
        let recurrentBias = try operand("recurrentBias", direction: index)
        let hidden = try operand(p.isCell ? "hiddenState" : "initialHiddenState", direction: index) ?? zeroState()
        var direction = Direction(recurrentWeight: recurrentWeight, recurrentBias: recurrentBias,
                                  inputProjection: try gemm(inputRows, weight, operand("bias", direction: index)),
                                  hidden: hidden, cell: nil)
        if p.isLSTM {
            direction.cell = try operand(p.isCell ? "cellState" : "initialCellState", direction: index) ?? zeroState()
            if let peephole = try operand("peepholeWeight", direction: index) {
                for (block, gate) in [RecurrentGate.input, .output, .forget].enumerated() {
                    direction.peepholes[gate] = try slice(peephole, starts: [block * p.hiddenSize], sizes: [p.hiddenSize])
                }
            }
        } else if !p.resetAfter {
            let start = p.block(.new) * p.hiddenSize
            direction.newGateRecurrentWeight = try slice(recurrentWeight, starts: [start, 0], sizes: [p.hiddenSize, p.hiddenSize])
            direction.newGateRecurrentBias = try recurrentBias.map { try slice($0, starts: [start], sizes: [p.hiddenSize]) }
        }
        return direction
    }

    /// One GRU step: z = f(W_z x + b_z + R_z h + rb_z), r likewise, n = g(W_n x + b_n + r ⊙ (R_n h + rb_n))
    /// with resetAfter, else g(W_n x + b_n + R_n (r ⊙ h) + rb_n); h' = (1 - z) ⊙ n + z ⊙ h.
    private mutating func gruStep(_ direction: inout Direction, _ inputProjection: ValueID) throws {
        let (gates, candidate) = (p.activations[0], p.activations[1])
        let h = direction.hidden
        let recurrent = try gemm(h, direction.recurrentWeight, direction.recurrentBias)
        func gate(_ gate: RecurrentGate) throws -> ValueID {
            try activation(gates, binary("add", block(inputProjection, gate), block(recurrent, gate)))
        }
        let update = try gate(.update), reset = try gate(.reset)
        let newRecurrent = p.resetAfter
            ? try binary("mul", reset, block(recurrent, .new))
            : try gemm(binary("mul", reset, h), direction.newGateRecurrentWeight!, direction.newGateRecurrentBias)
        let new = try activation(candidate, binary("add", block(inputProjection, .new), newRecurrent))
        let keep = try binary("sub", scalarOne(), update)
        direction.hidden = try binary("add", binary("mul", keep, new), binary("mul", update, h))
    }

    /// One LSTM step: i = f(W_i x + b_i + R_i h + rb_i + p_i ⊙ c), f likewise with p_f,
    /// g = g(W_g x + b_g + R_g h + rb_g), c' = f ⊙ c + i ⊙ g, o = f(W_o x + b_o + R_o h + rb_o + p_o ⊙ c),
    /// h' = o ⊙ h(c'). Every peephole multiplies the incoming cell state c (the spec's emulation).
    private mutating func lstmStep(_ direction: inout Direction, _ inputProjection: ValueID) throws {
        let (gates, candidate, filter) = (p.activations[0], p.activations[1], p.activations[2])
        let projection = try binary("add", inputProjection, gemm(direction.hidden, direction.recurrentWeight, direction.recurrentBias))
        let peepholes = direction.peepholes
        func gate(_ gate: RecurrentGate, cell: ValueID) throws -> ValueID {
            var sum = try block(projection, gate)
            if let peephole = peepholes[gate] { sum = try binary("add", sum, binary("mul", peephole, cell)) }
            return try activation(gates, sum)
        }
        let cell = direction.cell!
        let input = try gate(.input, cell: cell), forget = try gate(.forget, cell: cell)
        let cellCandidate = try activation(candidate, block(projection, .cell))
        let nextCell = try binary("add", binary("mul", forget, cell), binary("mul", input, cellCandidate))
        direction.hidden = try binary("mul", gate(.output, cell: cell), activation(filter, nextCell))
        direction.cell = nextCell
    }

    /// Operand `name` of direction `index` without the directions axis (a cell's as it is); nil when absent.
    private mutating func operand(_ name: String, direction index: Int) throws -> ValueID? {
        guard let value = node.operand(name) else { return nil }
        guard !p.isCell else { return value }
        let shape = expander.graph[value].type.shape
        let sliced = p.directions == 1 ? value
            : try slice(value, starts: [index] + shape.dropFirst().map { _ in 0 }, sizes: [1] + shape.dropFirst())
        return try reshape(sliced, Array(shape.dropFirst()))
    }

    /// The [batch, hiddenSize] block of `gate` in gate values `values` ([batch, gatesSize]).
    private mutating func block(_ values: ValueID, _ gate: RecurrentGate) throws -> ValueID {
        try slice(values, starts: [0, p.block(gate) * p.hiddenSize], sizes: [p.batch, p.hiddenSize])
    }

    /// `pieces` one after another in row-major order, reshaped to `shape` and named `name`.
    private mutating func joined(_ pieces: [ValueID], _ shape: [Int], name: String) throws -> ValueID {
        let whole = pieces.count == 1 ? pieces[0] : try add("concat", pieces, ["axis": .int(0)])
        return try add("reshape", [whole], ["newShape": .ints(shape.map(Int64.init))], name: name)
    }

    private mutating func zeroState() throws -> ValueID {
        if let zeros { return zeros }
        let made = try expander.constant(TensorData(filling: p.dataType, shape: [p.batch, p.hiddenSize], with: 0))
        zeros = made
        return made
    }

    private mutating func scalarOne() throws -> ValueID {
        if let one { return one }
        let made = try expander.constant(TensorData(filling: p.dataType, shape: [], with: 1))
        one = made
        return made
    }

    /// a · bᵀ (+ c): a projection by gate-major weights.
    private mutating func gemm(_ a: ValueID, _ b: ValueID, _ c: ValueID?) throws -> ValueID {
        try add("gemm", [a, b, c], ["bTranspose": .bool(true)])
    }

    private mutating func activation(_ activation: RecurrentActivation, _ x: ValueID) throws -> ValueID {
        try add(activation.rawValue, [x])
    }

    private mutating func binary(_ op: String, _ a: ValueID, _ b: ValueID) throws -> ValueID {
        try add(op, [a, b])
    }

    private mutating func slice(_ x: ValueID, starts: [Int], sizes: [Int]) throws -> ValueID {
        try add("slice", [x], ["starts": .ints(starts.map(Int64.init)), "sizes": .ints(sizes.map(Int64.init))])
    }

    private mutating func reshape(_ x: ValueID, _ shape: [Int]) throws -> ValueID {
        try add("reshape", [x], ["newShape": .ints(shape.map(Int64.init))])
    }

    private mutating func add(_ op: String, _ operands: [ValueID?], _ attributes: [String: Attribute] = [:],
                              name: String? = nil) throws -> ValueID {
        try expander.add(op, operands, attributes, name: name, at: node.location)
    }
}
