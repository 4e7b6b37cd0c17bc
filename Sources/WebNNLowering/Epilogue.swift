import WebNNIR

/// Element-wise work a conv2d or matmul kernel applies to each result element before storing
/// it (webnnc's fused-epilogue options, `FusedEpilogue` in the IR): first the residual, the
/// step's last operand (a tensor of the result's shape), is added, then the activation applied.
public struct Epilogue: Hashable, Sendable {
    /// Whether the step's last operand is a residual to add.
    public var hasResidual: Bool
    public var activation: UnaryOperator?

    public init(hasResidual: Bool = false, activation: UnaryOperator? = nil) {
        self.hasResidual = hasResidual
        self.activation = activation
    }

    /// Whether there is nothing to apply.
    public var isEmpty: Bool { !hasResidual && activation == nil }

    /// The epilogue of a conv2d, gemm or matmul node.
    init(_ node: Node) {
        let fused = FusedEpilogue(node)
        hasResidual = fused.residual != nil
        switch fused.activation {
        case nil: activation = nil
        case .relu: activation = .relu
        case .sigmoid: activation = .sigmoid
        case .tanh: activation = .tanh
        case .clamp: activation = .clamp(minValue: fused.minValue, maxValue: fused.maxValue)
        case .leakyRelu: activation = .leakyRelu(alpha: fused.alpha)
        case .hardSwish: activation = .hardSwish
        }
    }
}
