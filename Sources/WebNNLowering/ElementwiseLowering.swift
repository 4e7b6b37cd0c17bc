import WebNNIR

/// The element-wise operators lowered by name: binary operators (`BinaryOperator` raw values),
/// the unary operators below, `cast` and `where`. Nil for any other operator.
func elementwiseKernel(for node: Node) -> Kernel? {
    if let op = BinaryOperator(rawValue: node.op) { return .binary(op) }
    let unary: UnaryOperator
    switch node.op {
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
