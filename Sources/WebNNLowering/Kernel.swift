import WebNNIR

/// What a kernel step computes. Shapes and element types come from the step's operand and
/// result buffers (`BufferRef.type`); attributes here are fully resolved (no defaults left to
/// apply). Operands and result share one data type, which must be one the operator allows
/// (docs/operators.md): float16 is computed in float32 and rounded on store; integers are exact
/// and wrap.
public enum Kernel: Hashable, Sendable {
    /// `result = a op b` with numpy broadcasting. Operands: a, b.
    case binary(BinaryOperator)
    /// `result = op(x)`, element-wise. Operands: x.
    case unary(UnaryOperator)
    /// 2-D convolution. Operands: input, filter, and optionally bias (`[outputChannels]`).
    case conv2d(Conv2dAttributes)
    /// Batched matrix product (`matmul`) or `gemm`. Operands: a, b, and optionally c.
    case matmul(MatMulAttributes)
    /// Average or max pooling. Operands: input. The output size is the result's shape.
    case pool2d(Pool2dAttributes)
    /// Softmax along `axis` (max subtracted first). Operands: x.
    case softmax(axis: Int)
    /// `result = x` with its axes permuted: result axis i is x axis `permutation[i]`. Operands: x.
    case transpose(permutation: [Int])
    /// Concatenation along `axis`. Operands: the inputs, in order.
    case concat(axis: Int)
    /// Inference batch normalization along `axis`.
    /// Operands: input, mean, variance, then scale if `hasScale`, then bias if `hasBias`.
    case batchNormalization(BatchNormalizationAttributes)
    /// Copies x's bytes (reshape, or an output that is an input, a constant or another output).
    /// Operands: x.
    case copy
}

/// Element-wise binary operators.
public enum BinaryOperator: String, Hashable, Sendable, CaseIterable {
    case add, sub, mul, div, max, min
}

/// Element-wise unary operators.
public enum UnaryOperator: Hashable, Sendable {
    case relu, sigmoid, tanh
    /// `min(max(x, minValue), maxValue)`; nil is an unbounded side. Each bound is an `MLNumber`,
    /// cast to the element type where it is used (floats round, integers truncate and wrap).
    case clamp(minValue: Double?, maxValue: Double?)
    /// `x < 0 ? alpha·x : x`.
    case leakyRelu(alpha: Double)
    /// `x · min(max(x + 3, 0), 6) / 6`.
    case hardSwish
}

/// Resolved options of `conv2d`.
public struct Conv2dAttributes: Hashable, Sendable {
    /// `[beginH, endH, beginW, endW]`.
    public var padding: [Int]
    /// `[strideH, strideW]`.
    public var strides: [Int]
    /// `[dilationH, dilationW]`.
    public var dilations: [Int]
    public var groups: Int
    public var inputLayout: InputLayout
    public var filterLayout: Conv2dFilterLayout
    /// Residual add and activation applied before the store (the residual is the last operand).
    public var epilogue = Epilogue()

    public init(padding: [Int] = [0, 0, 0, 0], strides: [Int] = [1, 1], dilations: [Int] = [1, 1],
                groups: Int = 1, inputLayout: InputLayout = .nchw, filterLayout: Conv2dFilterLayout = .oihw) {
        self.padding = padding
        self.strides = strides
        self.dilations = dilations
        self.groups = groups
        self.inputLayout = inputLayout
        self.filterLayout = filterLayout
    }
}

/// Resolved options of `matmul` (all defaults) and `gemm`.
///
/// `result = alpha * op(a) x op(b) + beta * c`, where op transposes the last two axes when asked;
/// leading (batch) axes of a and b broadcast. c, if present, broadcasts to the result.
public struct MatMulAttributes: Hashable, Sendable {
    public var alpha: Float
    public var beta: Float
    public var aTranspose: Bool
    public var bTranspose: Bool
    /// Residual add and activation applied before the store (the residual is the last operand).
    public var epilogue = Epilogue()

    public init(alpha: Float = 1, beta: Float = 1, aTranspose: Bool = false, bTranspose: Bool = false) {
        self.alpha = alpha
        self.beta = beta
        self.aTranspose = aTranspose
        self.bTranspose = bTranspose
    }
}

/// Which reduction a pooling kernel applies to its window.
public enum PoolKind: String, Hashable, Sendable {
    /// The mean of the window's elements that lie inside the input (padding is not counted).
    case average
    case max
}

/// Resolved options of `averagePool2d` and `maxPool2d`.
public struct Pool2dAttributes: Hashable, Sendable {
    public var kind: PoolKind
    /// `[windowH, windowW]`.
    public var windowDimensions: [Int]
    /// `[beginH, endH, beginW, endW]`.
    public var padding: [Int]
    public var strides: [Int]
    public var dilations: [Int]
    public var layout: InputLayout

    public init(kind: PoolKind, windowDimensions: [Int], padding: [Int] = [0, 0, 0, 0],
                strides: [Int] = [1, 1], dilations: [Int] = [1, 1], layout: InputLayout = .nchw) {
        self.kind = kind
        self.windowDimensions = windowDimensions
        self.padding = padding
        self.strides = strides
        self.dilations = dilations
        self.layout = layout
    }
}

/// Resolved options of `batchNormalization`.
public struct BatchNormalizationAttributes: Hashable, Sendable {
    public var axis: Int
    public var epsilon: Float
    public var hasScale: Bool
    public var hasBias: Bool

    public init(axis: Int = 1, epsilon: Float = 1e-5, hasScale: Bool = false, hasBias: Bool = false) {
        self.axis = axis
        self.epsilon = epsilon
        self.hasScale = hasScale
        self.hasBias = hasBias
    }
}
