import WebNNIR

/// What a kernel step computes. Shapes and element types come from the step's operand and
/// result buffers (`BufferRef.type`); attributes here are fully resolved (no defaults left to
/// apply). Operands and result share one data type, which must be one the operator allows
/// (docs/operators.md): float16 is computed in float32 and rounded on store; integers are exact
/// and wrap. Exceptions: comparisons, logical operators, isNaN and isInfinite give uint8, cast
/// gives any type, and `select`'s condition is uint8.
public enum Kernel: Hashable, Sendable {
    /// `result = a op b` with numpy broadcasting. Operands: a, b.
    case binary(BinaryOperator)
    /// `result = op(x)`, element-wise. Operands: x.
    case unary(UnaryOperator)
    /// WebNN `where`: `condition != 0 ? trueValue : falseValue` with numpy broadcasting of all
    /// three. Operands: condition (uint8), trueValue, falseValue (the result's type).
    case select
    /// webnnc's `fusedElementwise`: the instructions computed per element of the result, in
    /// registers, with float16 results rounded as if stored. Operands: the node's inputs, each
    /// broadcast to the result.
    case fusedElementwise([ElementwiseInstruction])
    /// 2-D convolution. Operands: input, filter, optionally bias (`[outputChannels]`), then the
    /// epilogue's (`Epilogue.operandCount`).
    case conv2d(Conv2dAttributes)
    /// webnnc's `quantizedConv2d`: integer convolution and requantization, exactly as
    /// `QuantizedConv2dParameters` defines it. Operands: input (uint8/int8), filter (int8), bias
    /// (int32 `[outputChannels]`), scale (float32 `[outputChannels]`); result uint8 or int8.
    case quantizedConv2d(QuantizedConv2dAttributes)
    /// webnnc's `quantizedAdd`, exactly as `QuantizedAddParameters` defines it. Operands: a, b
    /// (uint8/int8, the result's shape); result uint8 or int8.
    case quantizedAdd(QuantizedAddParameters)
    /// Batched matrix product (`matmul`) or `gemm`. Operands: a, b, optionally c, then the
    /// epilogue's.
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
    /// Transposed 2-D convolution, gathered per output row. Operands: input, filter, optionally
    /// bias (`[outputChannels]`), then the epilogue's. See `ConvTranspose2dAttributes`.
    case convTranspose2d(ConvTranspose2dAttributes)
    /// instanceNormalization and layerNormalization: each slice over `reducedAxes` normalized by
    /// its own mean and variance. Operands: input, then scale, then bias (when present).
    case meanVarianceNormalization(MeanVarianceNormalizationAttributes)
    /// resample2d (nearest-neighbor or linear, half-pixel). Operands: input.
    case resample2d(Resample2dAttributes)
    /// quantizeLinear: operands input (float), scale (same float type), zeroPoint (the result's
    /// integer type), with block-wise broadcast of scale and zeroPoint.
    case quantizeLinear
    /// dequantizeLinear: operands input (integer), scale (the result's float type), zeroPoint
    /// (the input's type), with block-wise broadcast of scale and zeroPoint.
    case dequantizeLinear
    /// Copies x's bytes (reshape, or an output that is an input, a constant or another output).
    /// Operands: x.
    case copy
    /// Data movement and indexing: split (one step per output), slice, expand, tile, reverse, pad,
    /// triangular, gather, gatherElements, gatherND, scatterElements, scatterND (see
    /// `DataMovementKernel`, DataMovementLowering.swift).
    case dataMovement(DataMovementKernel)
    /// webnnc's `recurrentLoop`: the steps of a gru or lstm after its input projection.
    /// Operands: projection, recurrent weight, then the optional ones the parameters say are
    /// present, in the order recurrentBias, initialHiddenState, initialCellState, peepholeWeight.
    /// The result is the record `RecurrentLoopParameters.Record`.
    case recurrent(RecurrentLoopParameters)
    /// reduce*, argMin, argMax, cumulativeSum (see `ReductionKernel`, DataMovementLowering.swift).
    case reduction(ReductionKernel)
}

/// Element-wise binary operators.
public enum BinaryOperator: String, Hashable, Sendable, CaseIterable {
    case add, sub, mul, div, max, min
    /// `a^b`; integers multiply out and wrap (see the reference interpreter).
    case pow
    /// `input < 0 ? slope·input : input` (operands: input, slope).
    case prelu
    /// Comparisons and logical operators: the result is uint8 0/1 (logical operands are uint8).
    case equal, notEqual, greater, greaterOrEqual, lesser, lesserOrEqual, logicalAnd, logicalOr, logicalXor
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
    case abs, neg, sign, ceil, floor, roundEven, exp, log, sqrt, reciprocal, erf, sin, cos, tan, softsign, softplus
    /// `0.5·x·(1 + erf(x/√2))`.
    case gelu
    /// `x > 0 ? x : alpha·(e^x − 1)`.
    case elu(alpha: Double)
    /// `max(0, min(1, alpha·x + beta))`.
    case hardSigmoid(alpha: Double, beta: Double)
    /// `alpha·x + beta`.
    case linear(alpha: Double, beta: Double)
    /// Tests with a uint8 0/1 result: `x == 0` (uint8 x), x is NaN, x is ±infinity.
    case logicalNot, isNaN, isInfinite
    /// Converts x to the result's data type (floats to integers truncate and saturate, NaN is 0;
    /// integers to integers wrap).
    case cast
}

/// Resolved options of `conv2d` (`Conv2dAttributes`) and `convTranspose2d`
/// (`ConvTranspose2dAttributes`), which differ in their filter layouts. A transposed
/// convolution's output (oh, ow) of output channel oc gathers input (ih, iw) of every input
/// channel of oc's group through tap (kh, kw) when oh = ih·strideH − padTop + kh·dilationH and
/// ow = iw·strideW − padLeft + kw·dilationW; its outputPadding and outputSizes only set the
/// result's size (the result's shape).
public struct ConvolutionAttributes<FilterLayout: RawRepresentable & Hashable & Sendable>: Hashable, Sendable
where FilterLayout.RawValue == String {
    /// `[beginH, endH, beginW, endW]`.
    public var padding: [Int]
    /// `[strideH, strideW]`.
    public var strides: [Int]
    /// `[dilationH, dilationW]`.
    public var dilations: [Int]
    public var groups: Int
    public var inputLayout: InputLayout
    public var filterLayout: FilterLayout
    /// Residual add and activation applied before the store (their operands come last).
    public var epilogue = Epilogue()

    public init(padding: [Int], strides: [Int], dilations: [Int], groups: Int, inputLayout: InputLayout,
                filterLayout: FilterLayout) {
        self.padding = padding
        self.strides = strides
        self.dilations = dilations
        self.groups = groups
        self.inputLayout = inputLayout
        self.filterLayout = filterLayout
    }
}

public typealias Conv2dAttributes = ConvolutionAttributes<Conv2dFilterLayout>
public typealias ConvTranspose2dAttributes = ConvolutionAttributes<ConvTranspose2dFilterLayout>

/// Resolved options of `matmul` (all defaults) and `gemm`.
///
/// `result = alpha * op(a) x op(b) + beta * c`, where op transposes the last two axes when asked;
/// leading (batch) axes of a and b broadcast. c, if present, broadcasts to the result.
public struct MatMulAttributes: Hashable, Sendable {
    public var alpha: Float
    public var beta: Float
    public var aTranspose: Bool
    public var bTranspose: Bool
    /// Residual add and activation applied before the store (their operands come last).
    public var epilogue = Epilogue()
    /// Set by code generation (`GemmPacking`): b is a constant packed into column panels for the
    /// register-tiled GEMM kernel, `[b's batch..., panels, K, panelWidth]`, transposes resolved.
    public var packedB = false

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
    /// The square root of the sum of the squares of the window's elements inside the input.
    case l2
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

/// Resolved options of `quantizedConv2d`: the convolution's (its epilogue is empty), the zero
/// points and the quantized bounds of the result.
public struct QuantizedConv2dAttributes: Hashable, Sendable {
    public var convolution: Conv2dAttributes
    public var inputZeroPoint: Int
    public var outputZeroPoint: Int
    public var outputMinValue: Int, outputMaxValue: Int
    /// Set by code generation when it has packed the filter for a fast kernel (the operands are
    /// then input, packed filter, initial accumulators, padded scales); nil: the plain operands.
    public var packing: QuantizedPacking?

    public init(convolution: Conv2dAttributes, inputZeroPoint: Int, outputZeroPoint: Int, outputMinValue: Int,
                outputMaxValue: Int) {
        self.convolution = convolution
        self.inputZeroPoint = inputZeroPoint
        self.outputZeroPoint = outputZeroPoint
        self.outputMinValue = outputMinValue
        self.outputMaxValue = outputMaxValue
    }
}

/// How code generation packed a `quantizedConv2d` filter, and which integer dot product its
/// kernel runs (see docs/architecture.md, "Integer kernels").
public struct QuantizedPacking: Hashable, Sendable {
    public enum DotProduct: String, Hashable, Sendable {
        /// u8/s8 activations widened to 16 bits, pairs of products summed by `vpmaddwd`: always exact.
        case pairs16
        /// `vpmaddubsw` (u8 × s8 pairs, saturating to 16 bits) then `vpmaddwd` by ones: chosen only
        /// for filters whose every pair of weights it reduces cannot saturate.
        case maddubs
        /// `vpdpbusd` (AVX-VNNI on 8 lanes, AVX512-VNNI on 16): four u8 × s8 products added into
        /// each int32 lane, exact.
        case vnni
        /// The VNNI kernel with `vpdpbusd` replaced by an exact generic-IR equivalent (runs anywhere).
        case vnniStandIn
        /// Depthwise: per-channel products of 32-bit lanes.
        case depthwise
    }

    public var dotProduct: DotProduct
    /// int32 lanes per vector (8: ymm, 16: zmm).
    public var lanes: Int
    /// The input zero point the kernel subtracts from each activation in registers (0 when it is
    /// 0, or folded into the initial accumulators because no tap reads padding).
    public var inRegisterZeroPoint: Int

    public init(dotProduct: DotProduct, lanes: Int, inRegisterZeroPoint: Int) {
        self.dotProduct = dotProduct
        self.lanes = lanes
        self.inRegisterZeroPoint = inRegisterZeroPoint
    }
}
