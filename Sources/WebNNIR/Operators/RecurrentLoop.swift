import WebNNBasics

/// webnnc's `recurrentLoop`: the recurrent part of a gru or lstm network whose input projection
/// is already computed. Made by lowering (`RecurrentExpansion`), which computes W x + b of every
/// step as one gemm and passes it here; the loop over the steps is generated code.
///
/// Operands: `projection` `[steps · batch, directions · gates · hiddenSize]` (row t·batch + b is
/// W x + b of step t, batch item b, each direction's gate blocks in its weight layout),
/// `recurrentWeight` `[directions, gates · hiddenSize, hiddenSize]`, optionally `recurrentBias`
/// `[directions, gates · hiddenSize]`, `initialHiddenState`, `initialCellState`
/// `[directions, batch, hiddenSize]`, `peepholeWeight` `[directions, 3 · hiddenSize]`. The math
/// is gru's or lstm's (`RecurrentKernels` in the interpreter), with W x + b read from
/// `projection`. The one result is a record (`Record`): the final hidden state, the final cell
/// state (lstm), the sequence (returnSequence), then the loop's workspace.
public struct RecurrentLoopParameters: Hashable, Sendable {
    public static let operatorName = "recurrentLoop"

    public var isLSTM: Bool
    public var steps: Int, batch: Int, hiddenSize: Int, directions: Int
    /// One direction that reads the steps from the last to the first.
    public var isBackward: Bool
    /// The gate blocks along the weights' gate axis, in order.
    public var gateOrder: [RecurrentGate]
    /// gru: [gates, candidate]; lstm: [gates, cell candidate, output filter].
    public var activations: [RecurrentActivation]
    public var resetAfter: Bool, returnSequence: Bool
    public var hasRecurrentBias: Bool, hasInitialHiddenState: Bool, hasInitialCellState: Bool, hasPeepholeWeight: Bool
    public var dataType: DataType
    /// Set by code generation: the recurrent weight operand is a float32 constant packed for the
    /// target's vector width (`RecurrentPacking`).
    public var packedWeight = false

    public var gatesSize: Int { gateOrder.count * hiddenSize }

    /// The block index of `gate` along the gate axis.
    public func block(_ gate: RecurrentGate) -> Int { gateOrder.firstIndex(of: gate)! }

    /// The attributes of a `recurrentLoop` node computing `p`'s recurrence.
    public static func attributes(of p: RecurrentParameters) -> [String: Attribute] {
        let layouts: [[RecurrentGate]: String] = [[.update, .reset, .new]: "zrn", [.reset, .update, .new]: "rzn",
                                                  [.input, .output, .forget, .cell]: "iofg",
                                                  [.input, .forget, .cell, .output]: "ifgo"]
        return ["lstm": .bool(p.isLSTM), "steps": .int(Int64(p.steps)), "hiddenSize": .int(Int64(p.hiddenSize)),
                "direction": .string(p.direction.rawValue), "layout": .string(layouts[p.gateOrder]!),
                "activations": .strings(p.activations.map(\.rawValue)), "resetAfter": .bool(p.resetAfter),
                "returnSequence": .bool(p.returnSequence)]
    }

    /// The gru or lstm network these steps belong to, seen with `projection` rows as its input:
    /// `inputSize` is a projection row's width (every direction's gate blocks).
    public var network: RecurrentParameters {
        RecurrentParameters(isLSTM: isLSTM, isCell: false, steps: steps, batch: batch, inputSize: directions * gatesSize,
                            hiddenSize: hiddenSize, direction: directions == 2 ? .both : isBackward ? .backward : .forward,
                            gateOrder: gateOrder, activations: activations, resetAfter: resetAfter,
                            returnSequence: returnSequence, dataType: dataType)
    }

    public init(_ node: Node, _ graph: Graph) throws {
        let types = OperandTypes(node, graph)
        isLSTM = node.bool("lstm") ?? false
        guard let steps = node.int("steps"), steps > 0, let hiddenSize = node.int("hiddenSize"), hiddenSize > 0 else {
            throw ShapeError("steps and hiddenSize must be > 0")
        }
        (self.steps, self.hiddenSize) = (steps, hiddenSize)
        let direction = RecurrentDirection(rawValue: node.string("direction") ?? "forward") ?? .forward
        directions = direction == .both ? 2 : 1
        isBackward = direction == .backward
        let layout = node.string("layout") ?? (isLSTM ? "iofg" : "zrn")
        let layouts: [String: [RecurrentGate]] = isLSTM
            ? ["iofg": [.input, .output, .forget, .cell], "ifgo": [.input, .forget, .cell, .output]]
            : ["zrn": [.update, .reset, .new], "rzn": [.reset, .update, .new]]
        guard let order = layouts[layout] else { throw ShapeError("layout \"\(layout)\" is not one of \(layouts.keys.sorted())") }
        gateOrder = order
        let names = node.attribute("activations")?.stringsValue ?? (isLSTM ? ["sigmoid", "tanh", "tanh"] : ["sigmoid", "tanh"])
        activations = try names.map { name in
            guard let activation = RecurrentActivation(rawValue: name) else { throw ShapeError("unknown activation \"\(name)\"") }
            return activation
        }
        guard activations.count == (isLSTM ? 3 : 2) else { throw ShapeError("activations must have \(isLSTM ? 3 : 2) values") }
        resetAfter = node.bool("resetAfter") ?? true
        returnSequence = node.bool("returnSequence") ?? false
        let projection = try types("projection")
        try ShapeRules.require(projection, "projection", in: ShapeRules.floats)
        dataType = projection.dataType
        let gatesSize = order.count * hiddenSize
        guard projection.rank == 2, projection.shape[0] % steps == 0, projection.shape[1] == directions * gatesSize else {
            throw ShapeError("projection must have shape [steps · batch, \(directions * gatesSize)], but has \(projection.shape)")
        }
        batch = projection.shape[0] / steps
        let expected: [(String, [Int])] = [
            ("recurrentWeight", [directions, gatesSize, hiddenSize]), ("recurrentBias", [directions, gatesSize]),
            ("initialHiddenState", [directions, batch, hiddenSize]), ("initialCellState", [directions, batch, hiddenSize]),
            ("peepholeWeight", [directions, 3 * hiddenSize]),
        ]
        for (name, shape) in expected {
            guard let type = types.optional(name) else {
                if name == "recurrentWeight" { throw ShapeError("missing operand 'recurrentWeight'") }
                continue
            }
            try ShapeRules.requireSameDataType(projection, "projection", type, name)
            guard type.shape == shape else { throw ShapeError("\(name) must have shape \(shape), but has \(type.shape)") }
        }
        hasRecurrentBias = types.optional("recurrentBias") != nil
        hasInitialHiddenState = types.optional("initialHiddenState") != nil
        hasInitialCellState = types.optional("initialCellState") != nil
        hasPeepholeWeight = types.optional("peepholeWeight") != nil
        if !isLSTM && (hasInitialCellState || hasPeepholeWeight) {
            throw ShapeError("initialCellState and peepholeWeight are lstm operands")
        }
    }

    /// Where the parts of the result record start, in elements of `dataType` (the float32
    /// workspace in bytes).
    public struct Record: Sendable {
        /// One state of every direction: `[directions, batch, hiddenSize]`.
        public let stateSize: Int
        public let hidden = 0, cell: Int, sequence: Int
        /// Two states (ping-pong: the step reads one and writes the other), `[2, directions, batch, hiddenSize]`.
        public let states: Int
        /// float32 gate sums R h `[directions, batch, gatesSize]`, then (gru without resetAfter)
        /// r ⊙ h `[directions, batch, hiddenSize]`.
        public let sumsByteOffset: Int, resetStateByteOffset: Int
        /// The record's size in elements.
        public let size: Int
    }

    public var record: Record {
        let stateSize = directions * batch * hiddenSize
        let cell = stateSize, sequence = cell + (isLSTM ? stateSize : 0)
        let states = sequence + (returnSequence ? steps * stateSize : 0)
        let sums = (states + 2 * stateSize) * dataType.byteSize
        let sumsByteOffset = (sums + 63) / 64 * 64
        let resetState = sumsByteOffset + directions * batch * gatesSize * 4
        let end = resetState + (isLSTM || resetAfter ? 0 : stateSize * 4)
        return Record(stateSize: stateSize, cell: cell, sequence: sequence, states: states, sumsByteOffset: sumsByteOffset,
                      resetStateByteOffset: resetState, size: (end + dataType.byteSize - 1) / dataType.byteSize)
    }

    static let schema = OpSchema(
        operatorName,
        positional: [Parameter("projection", .operand), Parameter("recurrentWeight", .operand), Parameter("steps", .int),
                     Parameter("hiddenSize", .int)],
        options: [Parameter("recurrentBias", .operand), Parameter("initialHiddenState", .operand),
                  Parameter("initialCellState", .operand), Parameter("peepholeWeight", .operand),
                  Parameter("lstm", .bool, default: .bool(false)),
                  Parameter("layout", .enumeration(GruWeightLayout.allCases.map(\.rawValue) + LstmWeightLayout.allCases.map(\.rawValue))),
                  Parameter("resetAfter", .bool, default: .bool(true)), RecurrentOps.activations]
            + RecurrentOps.networkOptions
    ) { node, graph in
        let p = try RecurrentLoopParameters(node, graph)
        return [TensorType(p.dataType, [p.record.size])]
    }
}
