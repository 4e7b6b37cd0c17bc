import Testing
import WebNNBasics
@testable import WebNNCodeGen
import WebNNIR
import WebNNLowering
import WebNNReference

/// gru, gruCell, lstm and lstmCell compiled (through `RecurrentExpansion`: a gemm and the
/// `RecurrentKernel` loop) against the reference interpreter on random data. Each round covers a
/// layout, direction, resetAfter setting and activation list by its index and draws the sizes
/// and which optional operands are given.
@Suite struct RecurrentComparison {
    /// The targets of `largerShapes`: this host at -O3 and -O0, and 8-float vectors (AVX2 + FMA).
    static let targets = [TargetOptions(), TargetOptions(optimizationLevel: 0), TargetOptions(cpu: "x86-64-v3")]

    /// Hidden sizes that are not multiples of the vector width (several register tiles of
    /// columns, a partial last one), batches of several row chunks, several steps: on each
    /// target, serial and parallel runs bit-identical.
    /// Cases 0..<6 on the first target, 6..<12 on the second, 12..<18 on the third.
    @Test(arguments: ["gru", "lstm"], 0..<18)
    func largerShapes(_ op: String, _ index: Int) throws {
        let (round, target) = (index % 6, index / 6)
        let seed = testSeed()
        var maker = GraphMaker(seed: seed)
        try addRecurrentNode(op, .float32, round: round, to: &maker,
                             sizes: (steps: 2...7, batch: 1...6, input: 1...20, hidden: 9...70), constantWeights: round != 5,
                             scaledWeights: true)
        try expectMatchesInterpreter(maker, seed: seed, options: CodeGenOptions(prefix: "model", target: Self.targets[target]))
    }

    /// The loop is one step of the kernel program whatever the number of steps, and a constant
    /// recurrent weight is packed for the vector width.
    @Test func stepsAreALoopNotUnrolled() throws {
        let target = try ResolvedTarget(TargetOptions(cpu: "x86-64-v3"))
        func program(steps: Int) throws -> KernelProgram {
            var maker = GraphMaker(seed: 1)
            let x = try maker.input("x", [steps, 1, 5], .float32, in: -1...1)
            let w = try maker.constant("w", [1, 3 * 9, 5], .float32, in: -1...1)
            let r = try maker.constant("r", [1, 3 * 9, 9], .float32, in: -1...1)
            try maker.node("gru", [x, w, r], ["steps": .int(Int64(steps)), "hiddenSize": .int(9)])
            return RecurrentPacking.pack(try Lowering.lower(maker.graph), target: target)
        }
        let short = try program(steps: 2), long = try program(steps: 1000)
        #expect(short.steps.map(\.kernel) == long.steps.map(\.kernel).map { kernel in
            guard case .recurrent(var p) = kernel else { return kernel }
            p.steps = 2
            return .recurrent(p)
        })
        let loops = long.steps.compactMap { if case .recurrent(let p) = $0.kernel { p } else { nil } }
        #expect(loops.count == 1 && loops[0].packedWeight)
        let kernel = try makeKernelEmitter(for: long.steps.first { if case .recurrent = $0.kernel { true } else { false } }!,
                                           vectorWidth: 8)
        #expect(kernel.name == "RecurrentKernel")
    }

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
    /// `constantWeights`: the weights are constants (else drawn); they are packed at compile time.
    /// `activations`: those drawn where the round does not take the defaults (relu gates, whose
    /// values exceed 1, grow the states from step to step, and rounding errors with them).
    /// `scaledWeights`: weights and biases within ±1/√hiddenSize (a trained network's scale), so
    /// that larger states do not make the steps chaotic (tanh gates and weights of ±1 over 60
    /// units amplify a rounding difference tenfold per step).
    private func addRecurrentNode(_ op: String, _ dataType: DataType, round: Int, to maker: inout GraphMaker,
                                  sizes: (steps: ClosedRange<Int>, batch: ClosedRange<Int>, input: ClosedRange<Int>,
                                          hidden: ClosedRange<Int>) = (1...4, 1...3, 1...5, 1...5),
                                  constantWeights: Bool? = nil, scaledWeights: Bool = false, activations choices: [RecurrentActivation] = RecurrentActivation.allCases) throws {
        var g = maker.generator
        let isLSTM = op.hasPrefix("lstm"), isCell = op.hasSuffix("Cell")
        let steps = isCell ? 1 : Int.random(in: sizes.steps, using: &g)
        let (batch, inputSize, hiddenSize) = (Int.random(in: sizes.batch, using: &g), Int.random(in: sizes.input, using: &g),
                                              Int.random(in: sizes.hidden, using: &g))
        let direction = isCell ? RecurrentDirection.forward : RecurrentDirection.allCases[round % 3]
        let directionsAxis = isCell ? [] : [direction == .both ? 2 : 1]
        let gatesSize = (isLSTM ? 4 : 3) * hiddenSize
        var given: [String: Bool] = [:]
        for name in ["bias", "recurrentBias", "peepholeWeight", "initialHiddenState", "initialCellState", "weightsAsConstants"] {
            given[name] = Bool.random(using: &g)
        }
        let allActivations = choices.map(\.rawValue)
        let activations = (0..<(isLSTM ? 3 : 2)).map { _ in allActivations.randomElement(using: &g)! }
        let returnSequence = Bool.random(using: &g)
        if let constantWeights { given["weightsAsConstants"] = constantWeights }
        maker.generator = g

        let bound: Float = scaledWeights ? 1 / Float(hiddenSize).squareRoot() : 1
        func operand(_ name: String, _ shape: [Int], isWeight: Bool = false) throws -> ValueID {
            let range = isWeight ? -bound...bound : -1...1
            return isWeight && given["weightsAsConstants"]! ? try maker.constant(name, shape, dataType, in: range)
                : try maker.input(name, shape, dataType, in: range)
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

    /// Compiles `maker.graph` and compares every output with the interpreter. The projection and the
    /// loop round to the data type where the interpreter keeps a step in Double, so
    /// an element may differ by `bound` · (1 + |expected|) (relu gates amplify float16 rounding
    /// most: errors up to 1% were seen; float32 stays below 1e-6).
    /// Serial and parallel runs must give the same bits.
    private func expectMatchesInterpreter(_ maker: GraphMaker, seed: UInt64, options: CodeGenOptions? = nil,
                                          sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
        let graph = maker.graph
        let library = try GeneratedLibrary(try Lowering.lower(graph), options: options)
        let inputs = graph.inputs.map { maker.inputs[graph[$0].name]! }
        let result = try library.run(data: inputs)
        let parallel = try library.run(data: inputs, parallelFor: concurrentParallelFor)
        #expect(result.status == 0, "seed \(seed)", sourceLocation: sourceLocation)
        #expect(result.outputs.map(\.bytes) == parallel.outputs.map(\.bytes), "seed \(seed): serial and parallel runs differ",
                sourceLocation: sourceLocation)
        let expected = try Interpreter(graph).run(maker.inputs)
        for (output, actual) in zip(graph.outputs, result.outputs) {
            let value = graph[output]
            let bound = value.type.dataType == .float16 ? 3e-2 : 1e-5
            let reference = expected[value.name]!.doubles
            let errors = zip(actual.doubles, reference).map { $0 == $1 ? 0 : abs($0 - $1) / (1 + abs($1)) }
            let worst = errors.contains(where: \.isNaN) ? .infinity : errors.max() ?? 0
            #expect(worst <= bound, "seed \(seed), output \(value.name) (\(value.type)): relative error \(worst) > \(bound) (largest |value| \(reference.map(abs).max() ?? 0))",
                    sourceLocation: sourceLocation)
        }
    }
}
