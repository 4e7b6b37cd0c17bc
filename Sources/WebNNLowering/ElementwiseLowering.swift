import WebNNBasics
import WebNNIR

/// The element-wise operators lowered by name: binary operators (`BinaryOperator` raw values),
/// the unary operators and activations below, `cast` and `where`. Nil for any other operator.
func elementwiseKernel(for node: Node) -> Kernel? {
    if let op = BinaryOperator(rawValue: node.op) { return .binary(op) }
    let unary: UnaryOperator
    switch node.op {
    case "relu": unary = .relu
    case "sigmoid": unary = .sigmoid
    case "tanh": unary = .tanh
    case "leakyRelu": unary = .leakyRelu(alpha: node.double("alpha") ?? 0.01)
    case "hardSwish": unary = .hardSwish
    case "clamp": unary = .clamp(minValue: node.double("minValue"), maxValue: node.double("maxValue"))
    case "abs": unary = .abs
    case "neg": unary = .neg
    case "sign": unary = .sign
    case "ceil": unary = .ceil
    case "floor": unary = .floor
    case "roundEven": unary = .roundEven
    case "exp": unary = .exp
    case "log": unary = .log
    case "sqrt": unary = .sqrt
    case "reciprocal": unary = .reciprocal
    case "erf": unary = .erf
    case "sin": unary = .sin
    case "cos": unary = .cos
    case "tan": unary = .tan
    case "softsign": unary = .softsign
    case "softplus": unary = .softplus
    case "gelu": unary = .gelu
    case "elu": unary = .elu(alpha: node.double("alpha") ?? 1)
    case "hardSigmoid": unary = .hardSigmoid(alpha: node.double("alpha") ?? 0.2, beta: node.double("beta") ?? 0.5)
    case "linear": unary = .linear(alpha: node.double("alpha") ?? 1, beta: node.double("beta") ?? 0)
    case "logicalNot": unary = .logicalNot
    case "isNaN": unary = .isNaN
    case "isInfinite": unary = .isInfinite
    case "cast": unary = .cast
    case "where": return .select
    default: return nil
    }
    return .unary(unary)
}

/// One instruction of a `fusedElementwise` step: a unary or binary operator on operands of the
/// step (broadcast to its result) or results of earlier instructions.
public struct ElementwiseInstruction: Hashable, Sendable {
    public enum Operation: Hashable, Sendable {
        case unary(UnaryOperator)
        case binary(BinaryOperator)
    }

    public var operation: Operation
    /// `.input(i)`: the step's operand i; `.result(j)`: instruction j's result.
    public var operands: [ElementwiseProgram.Operand]

    public init(_ operation: Operation, _ operands: [ElementwiseProgram.Operand]) {
        self.operation = operation
        self.operands = operands
    }
}

/// The instructions of a verified `fusedElementwise` node, each lowered as its standalone
/// operator is.
func fusedElementwiseInstructions(_ node: Node) throws -> [ElementwiseInstruction] {
    guard let program = ElementwiseProgram(node) else {
        throw InternalError(stage: "lowering", "\(node.op) node with an invalid program")
    }
    return try program.instructions.map { instruction in
        let standalone = Node(op: instruction.op, operands: [], attributes: instruction.options.mapValues(Attribute.double))
        switch elementwiseKernel(for: standalone) {
        case .unary(let op): return ElementwiseInstruction(.unary(op), instruction.operands)
        case .binary(let op): return ElementwiseInstruction(.binary(op), instruction.operands)
        default: throw InternalError(stage: "lowering", "\(instruction.op) in a \(node.op) program has no element-wise kernel")
        }
    }
}
