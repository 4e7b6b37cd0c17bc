import WebNNBasics

/// webnnc's extension operator `quantizedConv2d(input, filter, bias, scale, ...)`: an integer
/// convolution with requantization, which the `fuse-qdq` pass writes for a
/// dequantizeLinear → conv2d (→ relu/clamp) → quantizeLinear chain (see docs/operators.md).
///
/// Operands: `input` uint8 or int8 (rank 4, `inputLayout`), `filter` int8 (rank 4,
/// `filterLayout`), `bias` int32 `[outputChannels]`, `scale` float32 `[outputChannels]`.
/// Options: conv2d's window, `groups` and layouts, `inputZeroPoint` (default 0),
/// `outputZeroPoint` (default 0), `outputDataType` ("uint8" default, or "int8"), and
/// `outputMinValue` / `outputMaxValue` (the output type's range by default): the bounds of a
/// fused relu or clamp, already quantized.
///
/// Each output element, exactly:
///
///     acc = bias[o] + Σ (x − inputZeroPoint) · w    over the taps inside the input (padding
///           adds nothing), in int32 arithmetic (wrapping; the pass never builds one that can wrap)
///     f   = Float(acc) · scale[o]                   (float32: the conversion and the product
///                                                    each rounded to nearest even)
///     y   = min(max(roundEven(f) + outputZeroPoint, outputMinValue), outputMaxValue)
public struct QuantizedConv2dParameters: Hashable, Sendable {
    public static let operatorName = "quantizedConv2d"

    /// The convolution's geometry (its `window`, `groups`, layouts and sizes).
    public var convolution: Conv2dParameters
    public var inputZeroPoint: Int
    public var outputZeroPoint: Int
    public var outputDataType: DataType
    /// The clamp bounds of the quantized result (a fused relu/clamp), within the output type.
    public var outputMinValue: Int, outputMaxValue: Int

    /// The range of an 8-bit quantized type.
    public static func range(_ dataType: DataType) -> ClosedRange<Int> { dataType == .int8 ? -128...127 : 0...255 }

    public init(_ node: Node, _ graph: Graph) throws {
        let types = OperandTypes(node, graph)
        let input = try types("input"), filter = try types("filter"), bias = try types("bias"), scale = try types("scale")
        try ShapeRules.require(input, "input", in: [.uint8, .int8])
        try ShapeRules.require(filter, "filter", in: [.int8])
        try ShapeRules.require(bias, "bias", in: [.int32])
        try ShapeRules.require(scale, "scale", in: [.float32])
        try ShapeRules.requireRank(input, "input", 4...4)
        try ShapeRules.requireRank(filter, "filter", 4...4)
        convolution = try Conv2dParameters(node, input: input, filter: filter)
        for (operand, name) in [(bias, "bias"), (scale, "scale")] where operand.shape != [convolution.outputChannels] {
            throw ShapeError("\(name) must have shape [\(convolution.outputChannels)], but has \(operand.shape)")
        }
        outputDataType = node.string("outputDataType") == "int8" ? .int8 : .uint8
        let inputRange = Self.range(input.dataType), outputRange = Self.range(outputDataType)
        inputZeroPoint = node.int("inputZeroPoint") ?? 0
        outputZeroPoint = node.int("outputZeroPoint") ?? 0
        outputMinValue = node.int("outputMinValue") ?? outputRange.lowerBound
        outputMaxValue = node.int("outputMaxValue") ?? outputRange.upperBound
        guard inputRange.contains(inputZeroPoint) else {
            throw ShapeError("inputZeroPoint \(inputZeroPoint) is outside the \(input.dataType) range \(inputRange)")
        }
        guard outputRange.contains(outputZeroPoint) else {
            throw ShapeError("outputZeroPoint \(outputZeroPoint) is outside the \(outputDataType) range \(outputRange)")
        }
        guard outputRange.contains(outputMinValue), outputRange.contains(outputMaxValue), outputMinValue <= outputMaxValue else {
            throw ShapeError("outputMinValue \(outputMinValue) and outputMaxValue \(outputMaxValue) must be ordered and within \(outputRange)")
        }
    }

    public var outputType: TensorType { TensorType(outputDataType, convolution.outputShape) }

    /// The requantization of one accumulator (`scale`: the output channel's scale), as the
    /// operator defines it: the interpreter and the compiled kernels compute exactly this.
    public func requantize(_ accumulator: Int32, scale: Float) -> Int {
        let scaled = Float(accumulator) * scale
        let rounded = Double(scaled.rounded(.toNearestOrEven)) + Double(outputZeroPoint)
        return Int(min(max(rounded, Double(outputMinValue)), Double(outputMaxValue)))
    }

    static let schema = OpSchema(
        operatorName,
        positional: [Parameter("input", .operand), Parameter("filter", .operand), Parameter("bias", .operand),
                     Parameter("scale", .operand)],
        options: ConvolutionOps.windowOptions + [
            Parameter("groups", .int, default: .int(1)),
            Parameter("inputLayout", .enumeration(InputLayout.allCases.map(\.rawValue)), default: .string("nchw")),
            Parameter("filterLayout", .enumeration(Conv2dFilterLayout.allCases.map(\.rawValue)), default: .string("oihw")),
            Parameter("inputZeroPoint", .int, default: .int(0)),
            Parameter("outputZeroPoint", .int, default: .int(0)),
            Parameter("outputDataType", .enumeration(["uint8", "int8"]), default: .string("uint8")),
            Parameter("outputMinValue", .int),
            Parameter("outputMaxValue", .int),
        ]
    ) { node, graph in
        [try QuantizedConv2dParameters(node, graph).outputType]
    }
}
