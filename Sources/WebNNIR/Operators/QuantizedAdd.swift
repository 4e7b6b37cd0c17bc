import WebNNBasics

/// webnnc's extension operator `quantizedAdd(a, b=b, ...)`: the element-wise sum of two 8-bit
/// quantized tensors requantized to an 8-bit result, which the `fuse-qdq` pass writes for
/// quantizeLinear([relu|clamp](add(dequantizeLinear(a), dequantizeLinear(b)))) with per-tensor
/// parameters (ONNX Runtime's QLinearAdd; see docs/operators.md). Without `b` it requantizes `a`
/// (the pass writes that for a concat input whose scale or zero point is not the result's).
///
/// Operands: `a` and optionally `b`, uint8 or int8, of the same shape (no broadcasting). Options:
/// `aScale` and `bScale` (float32 values: sa/sy and sb/sy), `aZeroPoint`, `bZeroPoint`,
/// `outputZeroPoint` (default 0), `outputDataType` ("uint8" default, or "int8"),
/// `outputMinValue` / `outputMaxValue` (the output type's range by default: a fused relu or
/// clamp, already quantized).
///
/// Each element, exactly (float32, every operation rounded to nearest even, no fused multiply-add):
///
///     f = Float(a − aZeroPoint) · aScale + Float(b − bZeroPoint) · bScale   (without b: the first product)
///     y = min(max(roundEven(f) + outputZeroPoint, outputMinValue), outputMaxValue)
public struct QuantizedAddParameters: Hashable, Sendable {
    public static let operatorName = "quantizedAdd"

    public var shape: [Int]
    /// `b`'s type, nil without `b`.
    public var aDataType: DataType, bDataType: DataType?
    public var aScale: Float, bScale: Float
    public var aZeroPoint: Int, bZeroPoint: Int, outputZeroPoint: Int
    public var outputDataType: DataType
    public var outputMinValue: Int, outputMaxValue: Int

    public init(_ node: Node, _ graph: Graph) throws {
        let types = OperandTypes(node, graph)
        let a = try types("a"), b = types.optional("b")
        try ShapeRules.require(a, "a", in: [.uint8, .int8])
        if let b {
            try ShapeRules.require(b, "b", in: [.uint8, .int8])
            guard a.shape == b.shape else { throw ShapeError("a \(a.shape) and b \(b.shape) must have the same shape") }
        }
        shape = a.shape
        (aDataType, bDataType) = (a.dataType, b?.dataType)
        aScale = Float(node.double("aScale") ?? 1)
        bScale = Float(node.double("bScale") ?? 1)
        guard aScale.isFinite, bScale.isFinite, Double(aScale) == node.double("aScale") ?? 1,
              Double(bScale) == node.double("bScale") ?? 1 else {
            throw ShapeError("aScale and bScale must be finite float32 values")
        }
        outputDataType = node.string("outputDataType") == "int8" ? .int8 : .uint8
        let outputRange = QuantizedConv2dParameters.range(outputDataType)
        aZeroPoint = node.int("aZeroPoint") ?? 0
        bZeroPoint = node.int("bZeroPoint") ?? 0
        outputZeroPoint = node.int("outputZeroPoint") ?? 0
        outputMinValue = node.int("outputMinValue") ?? outputRange.lowerBound
        outputMaxValue = node.int("outputMaxValue") ?? outputRange.upperBound
        for (value, type, name) in [(aZeroPoint, a.dataType, "aZeroPoint"), (bZeroPoint, b?.dataType ?? .int8, "bZeroPoint"),
                                    (outputZeroPoint, outputDataType, "outputZeroPoint")]
        where !QuantizedConv2dParameters.range(type).contains(value) {
            throw ShapeError("\(name) \(value) is outside the \(type) range \(QuantizedConv2dParameters.range(type))")
        }
        guard outputRange.contains(outputMinValue), outputRange.contains(outputMaxValue), outputMinValue <= outputMaxValue else {
            throw ShapeError("outputMinValue \(outputMinValue) and outputMaxValue \(outputMaxValue) must be ordered and within \(outputRange)")
        }
    }

    public var outputType: TensorType { TensorType(outputDataType, shape) }

    /// One result element, as the operator defines it (`b` nil: without `b`).
    public func add(_ a: Int, _ b: Int?) -> Int {
        let scaled = Float(a - aZeroPoint) * aScale
        let sum = b.map { scaled + Float($0 - bZeroPoint) * bScale } ?? scaled
        let rounded = Double(sum.rounded(.toNearestOrEven)) + Double(outputZeroPoint)
        return Int(min(max(rounded, Double(outputMinValue)), Double(outputMaxValue)))
    }

    static let schema = OpSchema(
        operatorName,
        positional: [Parameter("a", .operand)],
        options: [
            Parameter("b", .operand),
            Parameter("aScale", .number, default: .double(1)),
            Parameter("bScale", .number, default: .double(1)),
            Parameter("aZeroPoint", .int, default: .int(0)),
            Parameter("bZeroPoint", .int, default: .int(0)),
            Parameter("outputZeroPoint", .int, default: .int(0)),
            Parameter("outputDataType", .enumeration(["uint8", "int8"]), default: .string("uint8")),
            Parameter("outputMinValue", .int),
            Parameter("outputMaxValue", .int),
        ]
    ) { node, graph in
        [try QuantizedAddParameters(node, graph).outputType]
    }
}
