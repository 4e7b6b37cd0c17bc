import Testing
import WebNNBasics
import WebNNIR
import WebNNReference

/// Hand-worked recurrent networks with one input and one hidden unit, chosen so that every value
/// is exact: zero weights make the sigmoid gates exactly 1/2, and relu candidates pass x through.
@Suite struct RecurrentTests {
    private let x = f32([2, 4, 8], [3, 1, 1])
    private let relu: Attribute = .strings(["sigmoid", "relu"])

    /// gru with z = 1/2 and n = relu(x): h' = x / 2 + h / 2.
    private func gru(_ directions: Int, _ attributes: [String: Attribute], bias: [Float]? = nil) throws -> [TensorData] {
        let weight = f32(Array([0, 0, 1].repeated(directions)), [directions, 3, 1])
        let recurrent = f32(Array(repeating: 0, count: 3 * directions), [directions, 3, 1])
        let base: [String: Attribute] = ["steps": .int(3), "hiddenSize": .int(1), "activations": relu]
        return try runAll("gru", [x, weight, recurrent, bias.map { f32($0, [directions, 3]) }, nil, nil],
                          base.merging(attributes) { $1 })
    }

    @Test func gruForwardBackwardAndBoth() throws {
        // Forward: h = 1, 2.5, 5.25. Backward reads 8, 4, 2: h = 4, 4, 3, and the spec's emulation
        // (webnn PRs #802, #803) prepends each new state: the sequence is in input-time order, 3, 4, 4.
        let forward = try gru(1, ["returnSequence": .bool(true)])
        expectTensor(forward[0], [5.25], [1, 1, 1])
        expectTensor(forward[1], [1, 2.5, 5.25], [3, 1, 1, 1])
        let backward = try gru(1, ["returnSequence": .bool(true), "direction": .string("backward")])
        expectTensor(backward[0], [3], [1, 1, 1])
        expectTensor(backward[1], [3, 4, 4], [3, 1, 1, 1])
        let both = try gru(2, ["returnSequence": .bool(true), "direction": .string("both")])
        expectTensor(both[0], [5.25, 3], [2, 1, 1])
        expectTensor(both[1], [1, 3, 2.5, 4, 5.25, 4], [3, 2, 1, 1])
        #expect(try gru(1, [:]).count == 1)
    }

    /// webnnc's `recurrentLoop` (gru after lowering: W x + b of every step given as `projection`
    /// rows) gives gru's states at the front of its record: hidden, then the sequence.
    @Test func recurrentLoopRunsGruStepsOnTheProjection() throws {
        func loop(_ directions: Int, _ direction: String) throws -> [Float] {
            let steps: [[Float]] = [[0, 0, 2], [0, 0, 4], [0, 0, 8]]
            let rows = steps.flatMap { $0.repeated(directions) }
            return try run("recurrentLoop", [f32(rows, [3, 3 * directions]), f32(Array(repeating: 0, count: 3 * directions), [directions, 3, 1])],
                           ["steps": .int(3), "hiddenSize": .int(1), "activations": relu, "returnSequence": .bool(true),
                            "direction": .string(direction)]).floats
        }
        #expect(Array(try loop(1, "forward").prefix(4)) == [5.25, 1, 2.5, 5.25])
        #expect(Array(try loop(1, "backward").prefix(4)) == [3, 3, 4, 4])
        #expect(Array(try loop(2, "both").prefix(8)) == [5.25, 3, 1, 3, 2.5, 4, 5.25, 4])
    }

    @Test func gruLayoutPicksTheUpdateBlock() throws {
        // A bias of 100 on block 1: the reset gate under zrn (no effect here), the update gate under
        // rzn (z = 1 keeps the initial state 0).
        expectTensor(try gru(1, [:], bias: [0, 100, 0])[0], [5.25], [1, 1, 1])
        expectTensor(try gru(1, ["layout": .string("rzn")], bias: [0, 100, 0])[0], [0], [1, 1, 1])
    }

    @Test func gruResetBeforeOrAfter() throws {
        // h = 2, R_n = 1, r = sigmoid(0) = 1/2, z = 1/2, x = 0, recurrent bias of n = 2 (relu candidate):
        // reset after: n = r * (R_n h + rb_n) = 2; before: n = R_n (r h) + rb_n = 3.
        let weights = [f32([0], [1, 1]), f32([0, 0, 0], [3, 1]), f32([0, 0, 1], [3, 1]), f32([2], [1, 1]), nil, f32([0, 0, 2], [3])]
        let after = try runAll("gruCell", weights, ["hiddenSize": .int(1), "activations": relu])
        expectTensor(after[0], [2], [1, 1])
        let before = try runAll("gruCell", weights, ["hiddenSize": .int(1), "activations": relu, "resetAfter": .bool(false)])
        expectTensor(before[0], [2.5], [1, 1])
    }

    @Test func gruCellIsOneStepOfGru() throws {
        let h = f32([0.5], [1, 1])
        let cell = try runAll("gruCell", [f32([2], [1, 1]), f32([0, 0, 1], [3, 1]), f32([0, 0, 0], [3, 1]), h],
                              ["hiddenSize": .int(1), "activations": relu])
        expectTensor(cell[0], [1.25], [1, 1])
    }

    /// lstm with i = f = o = 1/2, g = relu(x), output filter relu: c' = c / 2 + x / 2, h' = c' / 2.
    @Test func lstmStatesAndLayouts() throws {
        let attributes: [String: Attribute] = ["steps": .int(2), "hiddenSize": .int(1), "activations": .strings(["sigmoid", "relu", "relu"]),
                                               "returnSequence": .bool(true)]
        let input = f32([2, 4], [2, 1, 1])
        let recurrent = f32([0, 0, 0, 0], [1, 4, 1])
        // iofg: g is block 3; ifgo: block 2.
        for (layout, weight) in [("iofg", [Float(0), 0, 0, 1]), ("ifgo", [0, 0, 1, 0])] {
            let outputs = try runAll("lstm", [input, f32(weight, [1, 4, 1]), recurrent, nil, nil, nil, nil, nil],
                                     attributes.merging(["layout": .string(layout)]) { $1 })
            #expect(outputs.count == 3)
            expectTensor(outputs[0], [1.25], [1, 1, 1])
            expectTensor(outputs[1], [2.5], [1, 1, 1])
            expectTensor(outputs[2], [0.5, 1.25], [2, 1, 1, 1])
        }
        // An initial cell state of 6 and hidden state (unused with zero recurrent weights): c = 4, 4; h = 2, 2.
        let initial = try runAll("lstm", [input, f32([0, 0, 0, 1], [1, 4, 1]), recurrent, nil, nil, nil, f32([9], [1, 1, 1]), f32([6], [1, 1, 1])],
                                 attributes)
        expectTensor(initial[2], [2, 2], [2, 1, 1, 1])
    }

    @Test func lstmCellIsOneStepOfLstm() throws {
        let outputs = try runAll("lstmCell", [f32([4], [1, 1]), f32([0, 0, 0, 1], [4, 1]), f32([0, 0, 0, 0], [4, 1]),
                                              f32([0], [1, 1]), f32([1], [1, 1])],
                                 ["hiddenSize": .int(1), "activations": .strings(["sigmoid", "relu", "relu"])])
        expectTensor(outputs[0], [1.25], [1, 1])
        expectTensor(outputs[1], [2.5], [1, 1])
    }

    @Test func lstmPeepholeOrderIsInputOutputForget() throws {
        // Peephole weights [i, o, f] = [0, 0, 0] but forget = 1000 (drives f to 1 with c = 1):
        // c' = 1 * c + i * g = 1 + 0.5 * 4 = 3, h' = 0.5 * 3.
        let outputs = try runAll("lstmCell", [f32([4], [1, 1]), f32([0, 0, 0, 1], [4, 1]), f32([0, 0, 0, 0], [4, 1]),
                                              f32([0], [1, 1]), f32([1], [1, 1]), nil, nil, f32([0, 0, 1000], [3])],
                                 ["hiddenSize": .int(1), "activations": .strings(["sigmoid", "relu", "relu"])])
        expectTensor(outputs[1], [3], [1, 1])
        expectTensor(outputs[0], [1.5], [1, 1])
    }
}

private extension Array {
    func repeated(_ count: Int) -> [Element] { (0..<count).flatMap { _ in self } }
}
