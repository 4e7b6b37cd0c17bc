import WebNNBasics

/// `MLRecurrentNetworkDirection`.
public enum RecurrentDirection: String, CaseIterable, Sendable {
    case forward, backward, both
}

/// `MLRecurrentNetworkActivation`.
public enum RecurrentActivation: String, CaseIterable, Sendable {
    case relu, sigmoid, tanh
}

/// `MLGruWeightLayout`: the order of the gate blocks along the 3 * hiddenSize axis.
public enum GruWeightLayout: String, CaseIterable, Sendable {
    case zrn, rzn
}

/// `MLLstmWeightLayout`: the order of the gate blocks along the 4 * hiddenSize axis.
public enum LstmWeightLayout: String, CaseIterable, Sendable {
    case iofg, ifgo
}

/// The gates of a recurrent cell: GRU update (z), reset (r), new (n); LSTM input (i), output
/// (o), forget (f), cell candidate (g).
public enum RecurrentGate: Sendable {
    case update, reset, new
    case input, output, forget, cell
}

/// Everything about one gru, gruCell, lstm or lstmCell node. A cell is viewed as a network of
/// one step in one direction whose operands lack the leading directions axis.
public struct RecurrentParameters: Hashable, Sendable {
    /// Whether the node is an LSTM (gates i, o, f, g and a cell state) rather than a GRU.
    public var isLSTM: Bool
    /// Whether the node is gruCell or lstmCell (one step, no directions axis).
    public var isCell: Bool
    public var steps: Int, batch: Int, inputSize: Int, hiddenSize: Int
    public var direction: RecurrentDirection
    public var directions: Int { direction == .both ? 2 : 1 }
    /// The gate blocks along the weights' gate axis, in order.
    public var gateOrder: [RecurrentGate]
    /// gru: [gates, candidate]; lstm: [gates, cell candidate, output filter].
    public var activations: [RecurrentActivation]
    public var resetAfter: Bool
    public var returnSequence: Bool
    public var dataType: DataType

    /// The block index of `gate` along the gate axis.
    public func block(_ gate: RecurrentGate) -> Int { gateOrder.firstIndex(of: gate)! }

    /// Output types: the hidden state (and the cell state of an LSTM), then the sequence if returned.
    public var outputTypes: [TensorType] {
        let state = TensorType(dataType, isCell ? [batch, hiddenSize] : [directions, batch, hiddenSize])
        var types = isLSTM ? [state, state] : [state]
        if returnSequence { types.append(TensorType(dataType, [steps, directions, batch, hiddenSize])) }
        return types
    }

    init(isLSTM: Bool, isCell: Bool, steps: Int, batch: Int, inputSize: Int, hiddenSize: Int, direction: RecurrentDirection,
         gateOrder: [RecurrentGate], activations: [RecurrentActivation], resetAfter: Bool, returnSequence: Bool,
         dataType: DataType) {
        (self.isLSTM, self.isCell, self.steps, self.batch, self.inputSize, self.hiddenSize) = (isLSTM, isCell, steps, batch, inputSize, hiddenSize)
        (self.direction, self.gateOrder, self.activations) = (direction, gateOrder, activations)
        (self.resetAfter, self.returnSequence, self.dataType) = (resetAfter, returnSequence, dataType)
    }

    public init(_ node: Node, _ graph: Graph) throws {
        let types = OperandTypes(node, graph)
        isLSTM = node.op.hasPrefix("lstm")
        isCell = node.op.hasSuffix("Cell")
        let input = try types("input")
        try ShapeRules.require(input, "input", in: ShapeRules.floats)
        dataType = input.dataType
        try ShapeRules.requireRank(input, "input", isCell ? 2...2 : 3...3)
        guard let hiddenSize = node.int("hiddenSize") else { throw ShapeError("missing hiddenSize") }
        guard hiddenSize > 0 else { throw ShapeError("hiddenSize must be > 0, got \(hiddenSize)") }
        self.hiddenSize = hiddenSize
        if isCell {
            (steps, batch, inputSize) = (1, input.shape[0], input.shape[1])
            direction = .forward
            returnSequence = false
        } else {
            guard let steps = node.int("steps") else { throw ShapeError("missing steps") }
            guard steps == input.shape[0] else {
                throw ShapeError("steps (\(steps)) must equal input dimension 0 (\(input.shape[0]))")
            }
            (self.steps, batch, inputSize) = (steps, input.shape[1], input.shape[2])
            direction = RecurrentDirection(rawValue: node.string("direction") ?? "forward") ?? .forward
            returnSequence = node.bool("returnSequence") ?? false
        }
        resetAfter = node.bool("resetAfter") ?? true
        if isLSTM {
            gateOrder = LstmWeightLayout(rawValue: node.string("layout") ?? "iofg") == .ifgo
                ? [.input, .forget, .cell, .output] : [.input, .output, .forget, .cell]
        } else {
            gateOrder = GruWeightLayout(rawValue: node.string("layout") ?? "zrn") == .rzn ? [.reset, .update, .new] : [.update, .reset, .new]
        }
        let defaults: [RecurrentActivation] = isLSTM ? [.sigmoid, .tanh, .tanh] : [.sigmoid, .tanh]
        activations = try node.attribute("activations")?.stringsValue.map { names in
            guard names.count == defaults.count else {
                throw ShapeError("activations must have \(defaults.count) values, but has \(names.count)")
            }
            return try names.map { name in
                guard let activation = RecurrentActivation(rawValue: name) else { throw ShapeError("unknown activation \"\(name)\"") }
                return activation
            }
        } ?? defaults
        // Expected operand shapes; a cell's lack the directions axis.
        let directionsAxis = isCell ? [] : [directions]
        let gatesSize = gateOrder.count * hiddenSize
        var expected: [(String, [Int])] = [
            ("weight", directionsAxis + [gatesSize, inputSize]), ("recurrentWeight", directionsAxis + [gatesSize, hiddenSize]),
            ("bias", directionsAxis + [gatesSize]), ("recurrentBias", directionsAxis + [gatesSize]),
        ]
        if isLSTM { expected.append(("peepholeWeight", directionsAxis + [3 * hiddenSize])) }
        let stateNames = isCell ? (isLSTM ? ["hiddenState", "cellState"] : ["hiddenState"])
            : (isLSTM ? ["initialHiddenState", "initialCellState"] : ["initialHiddenState"])
        for name in stateNames { expected.append((name, directionsAxis + [batch, hiddenSize])) }
        for (name, shape) in expected {
            guard let type = types.optional(name) else {
                if ["weight", "recurrentWeight", "hiddenState", "cellState"].contains(name) { throw ShapeError("missing operand '\(name)'") }
                continue
            }
            try ShapeRules.requireSameDataType(input, "input", type, name)
            guard type.shape == shape else { throw ShapeError("\(name) must have shape \(shape), but has \(type.shape)") }
        }
    }
}

/// gru, gruCell, lstm and lstmCell.
enum RecurrentOps {
    static let weights = [Parameter("input", .operand), Parameter("weight", .operand), Parameter("recurrentWeight", .operand)]
    static let biases = [Parameter("bias", .operand), Parameter("recurrentBias", .operand)]
    static let activations = Parameter("activations", .enumerationList(RecurrentActivation.allCases.map(\.rawValue)))
    static let networkOptions = [
        Parameter("returnSequence", .bool, default: .bool(false)),
        Parameter("direction", .enumeration(RecurrentDirection.allCases.map(\.rawValue)), default: .string("forward")),
    ]
    static let gruOptions = [
        Parameter("resetAfter", .bool, default: .bool(true)),
        Parameter("layout", .enumeration(GruWeightLayout.allCases.map(\.rawValue)), default: .string("zrn")),
        activations,
    ]
    static let lstmOptions = [
        Parameter("layout", .enumeration(LstmWeightLayout.allCases.map(\.rawValue)), default: .string("iofg")), activations,
    ]

    static func schema(_ name: String, positional: [Parameter], options: [Parameter]) -> OpSchema {
        OpSchema(name, positional: positional, options: options) { node, graph in
            try RecurrentParameters(node, graph).outputTypes
        }
    }

    static var schemas: [OpSchema] {
        [
            schema("gru", positional: weights + [Parameter("steps", .int), Parameter("hiddenSize", .int)],
                   options: biases + [Parameter("initialHiddenState", .operand)] + networkOptions + gruOptions),
            schema("gruCell", positional: weights + [Parameter("hiddenState", .operand), Parameter("hiddenSize", .int)],
                   options: biases + gruOptions),
            schema("lstm", positional: weights + [Parameter("steps", .int), Parameter("hiddenSize", .int)],
                   options: biases + [Parameter("peepholeWeight", .operand), Parameter("initialHiddenState", .operand),
                                      Parameter("initialCellState", .operand)] + networkOptions + lstmOptions),
            schema("lstmCell", positional: weights + [Parameter("hiddenState", .operand), Parameter("cellState", .operand),
                                                      Parameter("hiddenSize", .int)],
                   options: biases + [Parameter("peepholeWeight", .operand)] + lstmOptions),
        ]
    }
}
