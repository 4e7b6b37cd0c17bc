import WebNNIR

/// Element-wise work a conv2d, convTranspose2d or matmul kernel applies to each result element
/// before storing it (webnnc's fused-epilogue options, `FusedEpilogue` in the IR): first the
/// residual (a tensor of the result's shape) is added, then the activation applied. The
/// residual and prelu's slope are the step's last operands, in that order.
public struct Epilogue: Hashable, Sendable {
    /// Whether a residual operand is added.
    public var hasResidual: Bool
    /// The activation, unless it is prelu (see `preluSlope`).
    public var activation: UnaryOperator?
    /// The shapes of prelu's slope (the step's last operand) and of the result it broadcasts to,
    /// when the activation is prelu.
    public var preluSlope: SlopeBroadcast?

    public struct SlopeBroadcast: Hashable, Sendable {
        public var shape: [Int], resultShape: [Int]

        public init(shape: [Int], resultShape: [Int]) {
            self.shape = shape
            self.resultShape = resultShape
        }
    }

    public init(hasResidual: Bool = false, activation: UnaryOperator? = nil, preluSlope: SlopeBroadcast? = nil) {
        self.hasResidual = hasResidual
        self.activation = activation
        self.preluSlope = preluSlope
    }

    /// Whether there is nothing to apply.
    public var isEmpty: Bool { !hasResidual && activation == nil && preluSlope == nil }

    /// How many of the step's operands (the last ones) the epilogue reads: residual, slope.
    public var operandCount: Int { (hasResidual ? 1 : 0) + (preluSlope != nil ? 1 : 0) }

    /// The epilogue of a conv2d, convTranspose2d, gemm or matmul node, with the activation
    /// lowered like the standalone operator.
    init(_ node: Node, _ graph: Graph) {
        let fused = FusedEpilogue(node)
        hasResidual = fused.residual != nil
        if let slope = fused.slope {
            preluSlope = SlopeBroadcast(shape: graph[slope].type.shape, resultShape: graph[node.outputs[0]].type.shape)
        }
        if case .unary(let op)? = fused.activationNode(input: nil).flatMap(elementwiseKernel(for:)) { activation = op }
    }
}
