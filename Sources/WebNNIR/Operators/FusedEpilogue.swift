import WebNNBasics

/// An activation that `conv2d`, `convTranspose2d`, `gemm` or `matmul` applies to its result (the
/// webnnc extension option `fusedActivation`). Each case is a standalone WebNN operator of the
/// same name.
public enum FusedActivation: String, CaseIterable, Hashable, Sendable {
    case relu, sigmoid, tanh, clamp, leakyRelu, elu, hardSwish, hardSigmoid, gelu, prelu, linear

    /// Whether the operator has an `alpha` option (`fusedAlpha`).
    var hasAlpha: Bool { self == .leakyRelu || self == .elu || self == .hardSigmoid || self == .linear }
    /// Whether the operator has a `beta` option (`fusedBeta`).
    var hasBeta: Bool { self == .hardSigmoid || self == .linear }
}

/// The webnnc extension options that record element-wise work fused into `conv2d`,
/// `convTranspose2d`, `gemm` and `matmul` (see docs/format.md): after the operator (bias
/// included), `residual` (an operand of the output's type) is added, then `fusedActivation` is
/// applied. `fusedMinValue` and `fusedMaxValue` are clamp's bounds (each optional, like clamp's),
/// `fusedAlpha` and `fusedBeta` the alpha and beta of leakyRelu, elu, hardSigmoid and linear, and
/// `fusedSlope` (an operand broadcast to the output) prelu's slope. The result equals
/// `activation(add(op(...), residual))` computed as separate nodes.
public struct FusedEpilogue: Hashable, Sendable {
    /// Added to the operator's result before the activation; nil if absent.
    public var residual: ValueID?
    public var activation: FusedActivation?
    /// Clamp bounds (nil: unbounded side).
    public var minValue: Double?, maxValue: Double?
    /// The activation's `alpha` and `beta` options (nil: the operator's default).
    public var alpha: Double?, beta: Double?
    /// prelu's slope, broadcast to the output.
    public var slope: ValueID?

    /// The options, declared once and appended to the option lists of the operators that fuse.
    public static let options: [Parameter] = [
        Parameter("residual", .operand),
        Parameter("fusedSlope", .operand),
        Parameter("fusedActivation", .enumeration(FusedActivation.allCases.map(\.rawValue))),
        Parameter("fusedMinValue", .number),
        Parameter("fusedMaxValue", .number),
        Parameter("fusedAlpha", .number),
        Parameter("fusedBeta", .number),
    ]

    public init(residual: ValueID? = nil, activation: FusedActivation? = nil, minValue: Double? = nil,
                maxValue: Double? = nil, alpha: Double? = nil, beta: Double? = nil, slope: ValueID? = nil) {
        self.residual = residual
        self.activation = activation
        self.minValue = minValue
        self.maxValue = maxValue
        self.alpha = alpha
        self.beta = beta
        self.slope = slope
    }

    /// The epilogue recorded on `node` (empty for nodes without the options).
    public init(_ node: Node) {
        residual = node.operand("residual")
        slope = node.operand("fusedSlope")
        activation = node.string("fusedActivation").flatMap(FusedActivation.init(rawValue:))
        minValue = node.double("fusedMinValue")
        maxValue = node.double("fusedMaxValue")
        alpha = node.double("fusedAlpha")
        beta = node.double("fusedBeta")
    }

    /// Whether anything is fused (a residual or an activation).
    public var isEmpty: Bool { residual == nil && activation == nil }

    /// Writes the epilogue into `node`'s operands and attributes (absent values removed). The
    /// node's schema must declare the options.
    public func apply(to node: inout Node) {
        func setOperand(_ name: String, _ value: ValueID?) {
            let index = node.schema.operandParameterNames.firstIndex(of: name)!
            while node.operands.count <= index { node.operands.append(nil) }
            node.operands[index] = value
        }
        setOperand("residual", residual)
        setOperand("fusedSlope", activation == .prelu ? slope : nil)
        node.attributes["fusedActivation"] = activation.map { .string($0.rawValue) }
        node.attributes["fusedMinValue"] = activation == .clamp ? minValue.map(Attribute.double) : nil
        node.attributes["fusedMaxValue"] = activation == .clamp ? maxValue.map(Attribute.double) : nil
        node.attributes["fusedAlpha"] = activation?.hasAlpha == true ? alpha.map(Attribute.double) : nil
        node.attributes["fusedBeta"] = activation?.hasBeta == true ? beta.map(Attribute.double) : nil
    }

    /// The epilogue of a standalone activation node (`relu`, `clamp`, `prelu`, ...), without a
    /// residual; nil if `node` is not one of the fusable activations.
    public init?(activationNode node: Node) {
        guard let activation = FusedActivation(rawValue: node.op) else { return nil }
        func given(_ name: String) -> Double? { node.attributes[name]?.doubleValue }  // defaults stay implicit
        self.init(activation: activation, minValue: given("minValue"), maxValue: given("maxValue"),
                  alpha: given("alpha"), beta: given("beta"), slope: node.operand("slope"))
    }

    /// The activation as a standalone node reading `input` (nil if there is no activation): the
    /// interpreter evaluates fused activations with the standalone operators' kernels.
    public func activationNode(input: ValueID?) -> Node? {
        guard let activation else { return nil }
        let attributes: [String: Attribute?] = ["minValue": minValue.map(Attribute.double), "maxValue": maxValue.map(Attribute.double),
                                                "alpha": alpha.map(Attribute.double), "beta": beta.map(Attribute.double)]
        var node = Node(op: activation.rawValue, operands: activation == .prelu ? [input, slope] : [input])
        for (name, value) in attributes where node.schema.parameter(named: name) != nil { node.attributes[name] = value }
        return node
    }

    /// The operator names the epilogue absorbed, for titles like `conv2d + add + relu`.
    public var absorbedOperators: [String] {
        (residual != nil ? ["add"] : []) + (activation.map { [$0.rawValue] } ?? [])
    }

    /// The shape rule of the options, given the type of the operator's output.
    static func check(_ node: Node, _ graph: Graph, output: TensorType) throws {
        if let residual = node.operand("residual") {
            let type = graph[residual].type
            guard type == output else {
                throw ShapeError("residual must have the output's type \(output), but has \(type)")
            }
        }
        let activationName = node.attributes["fusedActivation"]?.stringValue
        let activation = activationName.flatMap(FusedActivation.init(rawValue:))
        if let activationName, activation == nil {
            throw ShapeError("unknown fusedActivation \"\(activationName)\"")
        }
        if activation != nil {
            try ShapeRules.require(output, "output of a fused activation", in: ShapeRules.floats)
        }
        let low = node.double("fusedMinValue"), high = node.double("fusedMaxValue")
        if low != nil || high != nil {
            guard activation == .clamp else { throw ShapeError("fusedMinValue and fusedMaxValue need fusedActivation=\"clamp\"") }
            if let low, let high, low > high {
                throw ShapeError("fusedMinValue (\(formatNumber(low))) is greater than fusedMaxValue (\(formatNumber(high)))")
            }
        }
        if node.attributes["fusedAlpha"] != nil && activation?.hasAlpha != true {
            throw ShapeError("fusedAlpha needs fusedActivation=\"leakyRelu\", \"elu\", \"hardSigmoid\" or \"linear\"")
        }
        if node.attributes["fusedBeta"] != nil && activation?.hasBeta != true {
            throw ShapeError("fusedBeta needs fusedActivation=\"hardSigmoid\" or \"linear\"")
        }
        let slope = node.operand("fusedSlope")
        guard (slope != nil) == (activation == .prelu) else {
            throw ShapeError("fusedActivation=\"prelu\" needs fusedSlope, and fusedSlope needs fusedActivation=\"prelu\"")
        }
        if let slope {
            let type = graph[slope].type
            try ShapeRules.requireSameDataType(output, "output", type, "fusedSlope")
            try ShapeRules.requireUnidirectionalBroadcast(type.shape, to: output.shape, "fusedSlope")
        }
    }
}
