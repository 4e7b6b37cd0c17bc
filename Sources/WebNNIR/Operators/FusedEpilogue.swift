import WebNNBasics

/// An activation that `conv2d`, `gemm` or `matmul` applies to its result (the webnnc extension
/// option `fusedActivation`). Each case is a standalone WebNN operator of the same name.
public enum FusedActivation: String, CaseIterable, Hashable, Sendable {
    case relu, sigmoid, tanh, clamp, leakyRelu, hardSwish
}

/// The webnnc extension options that record element-wise work fused into `conv2d`, `gemm` and
/// `matmul` (see docs/format.md): after the operator (bias included), `residual` (an operand of
/// the output's type) is added, then `fusedActivation` is applied. `fusedMinValue` and
/// `fusedMaxValue` are clamp's bounds (each optional, like clamp's), `fusedAlpha` is leakyRelu's
/// slope. The result equals `activation(add(op(...), residual))` computed as separate nodes.
public struct FusedEpilogue: Hashable, Sendable {
    /// Added to the operator's result before the activation; nil if absent.
    public var residual: ValueID?
    public var activation: FusedActivation?
    /// Clamp bounds (nil: unbounded side).
    public var minValue: Double?, maxValue: Double?
    /// leakyRelu's slope for negative inputs.
    public var alpha: Double

    /// leakyRelu's default `alpha` in WebNN.
    public static let defaultAlpha = 0.01

    /// The options, declared once and appended to the option lists of conv2d, gemm and matmul.
    public static let options: [Parameter] = [
        Parameter("residual", .operand),
        Parameter("fusedActivation", .enumeration(FusedActivation.allCases.map(\.rawValue))),
        Parameter("fusedMinValue", .number),
        Parameter("fusedMaxValue", .number),
        Parameter("fusedAlpha", .number),
    ]

    /// Names of the non-operand options (attributes).
    public static let attributeNames = ["fusedActivation", "fusedMinValue", "fusedMaxValue", "fusedAlpha"]

    public init(residual: ValueID? = nil, activation: FusedActivation? = nil, minValue: Double? = nil,
                maxValue: Double? = nil, alpha: Double = FusedEpilogue.defaultAlpha) {
        self.residual = residual
        self.activation = activation
        self.minValue = minValue
        self.maxValue = maxValue
        self.alpha = alpha
    }

    /// The epilogue recorded on `node` (empty for nodes without the options).
    public init(_ node: Node) {
        residual = node.operand("residual")
        activation = node.string("fusedActivation").flatMap(FusedActivation.init(rawValue:))
        minValue = node.double("fusedMinValue")
        maxValue = node.double("fusedMaxValue")
        alpha = node.double("fusedAlpha") ?? FusedEpilogue.defaultAlpha
    }

    /// Whether anything is fused (a residual or an activation).
    public var isEmpty: Bool { residual == nil && activation == nil }

    /// Writes the epilogue into `node`'s residual operand and attributes (absent values removed).
    /// The node's schema must declare the options.
    public func apply(to node: inout Node) {
        if let index = node.schema.operandParameterNames.firstIndex(of: "residual") {
            while node.operands.count <= index { node.operands.append(nil) }
            node.operands[index] = residual
        }
        node.attributes["fusedActivation"] = activation.map { .string($0.rawValue) }
        node.attributes["fusedMinValue"] = activation == .clamp ? minValue.map(Attribute.double) : nil
        node.attributes["fusedMaxValue"] = activation == .clamp ? maxValue.map(Attribute.double) : nil
        node.attributes["fusedAlpha"] = activation == .leakyRelu && alpha != FusedEpilogue.defaultAlpha ? .double(alpha) : nil
    }

    /// The epilogue of a standalone activation node (`relu`, `clamp`, `leakyRelu`, ...), without
    /// a residual; nil if `node` is not one of the fusable activations.
    public init?(activationNode node: Node) {
        guard let activation = FusedActivation(rawValue: node.op) else { return nil }
        self.init(activation: activation)
        switch activation {
        case .clamp: (minValue, maxValue) = (node.double("minValue"), node.double("maxValue"))
        case .leakyRelu: alpha = node.double("alpha") ?? FusedEpilogue.defaultAlpha
        default: break
        }
    }

    /// The activation as a standalone node reading `input` (nil if there is no activation):
    /// the interpreter evaluates fused activations with the standalone operators' kernels.
    public func activationNode(input: ValueID?) -> Node? {
        guard let activation else { return nil }
        var attributes: [String: Attribute] = [:]
        switch activation {
        case .clamp:
            attributes["minValue"] = minValue.map(Attribute.double)
            attributes["maxValue"] = maxValue.map(Attribute.double)
        case .leakyRelu: attributes["alpha"] = .double(alpha)
        default: break
        }
        return Node(op: activation.rawValue, operands: [input], attributes: attributes)
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
        if node.attributes["fusedAlpha"] != nil && activation != .leakyRelu {
            throw ShapeError("fusedAlpha needs fusedActivation=\"leakyRelu\"")
        }
    }
}
