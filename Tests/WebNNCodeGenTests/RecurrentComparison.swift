import Testing
import WebNNBasics
import WebNNIR
import WebNNLowering
import WebNNReference

/// gru, gruCell, lstm and lstmCell compiled (through `RecurrentExpansion`) against the reference
/// interpreter on random data. Each round covers a layout, direction, resetAfter setting and
/// activation list by its index and draws the sizes and which optional operands are given.
@Suite struct RecurrentComparison {
    /// Rounds 0..<6 are float32, 6..<12 the same configurations in float16.
    @Test(arguments: ["gru", "gruCell", "lstm", "lstmCell"], 0..<12)
    func recurrent(_ op: String, _ round: Int) throws {
        let seed = testSeed()
        var maker = GraphMaker(seed: seed)
        try addRecurrentNode(op, round < 6 ? .float32 : .float16, round: round % 6, to: &maker)
        try expectMatchesInterpreter(maker, seed: seed)
    }

    /// Recurrent outputs read by later nodes: a bidirectional gru's state feeds a gruCell and an
    /// lstm's cell state a relu; the graph outputs are the later nodes' and the sequence.
    @Test(arguments: [DataType.float32, .float16]) func chainedRecurrentOutputs(_ dataType: DataType) throws {
        let seed = testSeed()
        var maker = GraphMaker(seed: seed)
        let (steps, batch, hiddenSize) = (3, 2, 4)
        let x = try maker.input("x", [steps, batch, 3], dataType, in: -1...1)
        let w = try maker.input("w", [2, 3 * hiddenSize, 3], dataType, in: -1...1)
        let r = try maker.input("r", [2, 3 * hiddenSize, hiddenSize], dataType, in: -1...1)
        let gruState = try maker.graph.addNode(Node(op: "gru", operands: [x, w, r], attributes: [
            "steps": .int(Int64(steps)), "hiddenSize": .int(Int64(hiddenSize)), "direction": .string("both")]))[0]
        let cellInput = try maker.node("reshape", [gruState], ["newShape": .ints([Int64(batch), 2 * Int64(hiddenSize)])], output: false)
        let cellWeight = try maker.constant("cellWeight", [3 * hiddenSize, 2 * hiddenSize], dataType, in: -1...1)
        let cellRecurrent = try maker.constant("cellRecurrent", [3 * hiddenSize, hiddenSize], dataType, in: -1...1)
        let cellState = try maker.input("cellState", [batch, hiddenSize], dataType, in: -1...1)
        try maker.node("gruCell", [cellInput, cellWeight, cellRecurrent, cellState], ["hiddenSize": .int(Int64(hiddenSize))])
        let lw = try maker.input("lw", [1, 4 * hiddenSize, 3], dataType, in: -1...1)
        let lr = try maker.input("lr", [1, 4 * hiddenSize, hiddenSize], dataType, in: -1...1)
        let lstm = try maker.graph.addNode(Node(op: "lstm", operands: [x, lw, lr], attributes: [
            "steps": .int(Int64(steps)), "hiddenSize": .int(Int64(hiddenSize)), "returnSequence": .bool(true)]))
        try maker.node("relu", [lstm[1]])
        maker.graph.addOutput(lstm[2])
        try expectMatchesInterpreter(maker, seed: seed)
    }

    /// Adds one `op` node with every operand and option drawn for `round`; its outputs are graph outputs.
    private func addRecurrentNode(_ op: String, _ dataType: DataType, round: Int, to maker: inout GraphMaker) throws {
        var g = maker.generator
        let isLSTM = op.hasPrefix("lstm"), isCell = op.hasSuffix("Cell")
        let steps = isCell ? 1 : Int.random(in: 1...4, using: &g)
        let (batch, inputSize, hiddenSize) = (Int.random(in: 1...3, using: &g), Int.random(in: 1...5, using: &g), Int.random(in: 1...5, using: &g))
        let direction = isCell ? RecurrentDirection.forward : RecurrentDirection.allCases[round % 3]
        let directionsAxis = isCell ? [] : [direction == .both ? 2 : 1]
        let gatesSize = (isLSTM ? 4 : 3) * hiddenSize
        var given: [String: Bool] = [:]
        for name in ["bias", "recurrentBias", "peepholeWeight", "initialHiddenState", "initialCellState", "weightsAsConstants"] {
            given[name] = Bool.random(using: &g)
        }
        let allActivations = RecurrentActivation.allCases.map(\.rawValue)
        let activations = (0..<(isLSTM ? 3 : 2)).map { _ in allActivations.randomElement(using: &g)! }
        let returnSequence = Bool.random(using: &g)
        maker.generator = g

        func operand(_ name: String, _ shape: [Int], isWeight: Bool = false) throws -> ValueID {
            isWeight && given["weightsAsConstants"]! ? try maker.constant(name, shape, dataType, in: -1...1)
                : try maker.input(name, shape, dataType, in: -1...1)
        }
        func optional(_ name: String, _ shape: [Int], isWeight: Bool = true) throws -> ValueID? {
            given[name]! ? try operand(name, shape, isWeight: isWeight) : nil
        }
        let input = try operand("input", isCell ? [batch, inputSize] : [steps, batch, inputSize])
        var operands: [ValueID?] = [input, try operand("weight", directionsAxis + [gatesSize, inputSize], isWeight: true),
                                    try operand("recurrentWeight", directionsAxis + [gatesSize, hiddenSize], isWeight: true)]
        let stateShape = directionsAxis + [batch, hiddenSize]
        if isCell { operands.append(try operand("hiddenState", stateShape)) }
        if isCell && isLSTM { operands.append(try operand("cellState", stateShape)) }
        operands += [try optional("bias", directionsAxis + [gatesSize]), try optional("recurrentBias", directionsAxis + [gatesSize])]
        if isLSTM { operands.append(try optional("peepholeWeight", directionsAxis + [3 * hiddenSize])) }
        if !isCell {
            operands.append(try optional("initialHiddenState", stateShape, isWeight: false))
            if isLSTM { operands.append(try optional("initialCellState", stateShape, isWeight: false)) }
        }
        var attributes: [String: Attribute] = ["hiddenSize": .int(Int64(hiddenSize))]
        if !isCell {
            attributes["steps"] = .int(Int64(steps))
            attributes["direction"] = .string(direction.rawValue)
            attributes["returnSequence"] = .bool(returnSequence)
        }
        let layouts = isLSTM ? LstmWeightLayout.allCases.map(\.rawValue) : GruWeightLayout.allCases.map(\.rawValue)
        attributes["layout"] = .string(layouts[round % 2])
        if !isLSTM { attributes["resetAfter"] = .bool(round / 2 % 2 == 0) }
        if round % 3 != 0 { attributes["activations"] = .strings(activations) }  // else the defaults
        let outputs = try maker.graph.addNode(Node(op: op, operands: operands, attributes: attributes))
        outputs.forEach { maker.graph.addOutput($0) }
    }

    /// Compiles `maker.graph` and compares every output with the interpreter. The expansion rounds
    /// every intermediate to the data type where the interpreter keeps a step in Double, so
    /// an element may differ by `bound` · (1 + |expected|) (relu gates amplify float16 rounding
    /// most: errors up to 1% were seen; float32 stays below 1e-6).
    private func expectMatchesInterpreter(_ maker: GraphMaker, seed: UInt64,
                                          sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
        let graph = maker.graph
        let library = try GeneratedLibrary(try Lowering.lower(graph))
        let result = try library.run(data: graph.inputs.map { maker.inputs[graph[$0].name]! })
        #expect(result.status == 0, "seed \(seed)", sourceLocation: sourceLocation)
        let expected = try Interpreter(graph).run(maker.inputs)
        for (output, actual) in zip(graph.outputs, result.outputs) {
            let value = graph[output]
            let bound = value.type.dataType == .float16 ? 3e-2 : 1e-5
            let reference = expected[value.name]!.doubles
            let errors = zip(actual.doubles, reference).map { $0 == $1 ? 0 : abs($0 - $1) / (1 + abs($1)) }
            let worst = errors.contains(where: \.isNaN) ? .infinity : errors.max() ?? 0
            #expect(worst <= bound, "seed \(seed), output \(value.name) (\(value.type)): relative error \(worst) > \(bound)",
                    sourceLocation: sourceLocation)
        }
    }
}
