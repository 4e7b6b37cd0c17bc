import WebNNBasics

/// quantizeLinear and dequantizeLinear. scale and zeroPoint have the input's rank and one shape;
/// each input dimension is a multiple of theirs, so that one scale covers a block of the input:
/// all 1s is per-tensor, one full dimension is per-axis, anything between is block-wise.
enum QuantizationOps {
    static let quantizedTypes: Set<DataType> = [.uint8, .int8, .uint32, .int32]

    static let quantizeLinear = OpSchema(
        "quantizeLinear", positional: [Parameter("input", .operand), Parameter("scale", .operand), Parameter("zeroPoint", .operand)]
    ) { node, graph in
        let types = OperandTypes(node, graph)
        let input = try types("input"), scale = try types("scale"), zeroPoint = try types("zeroPoint")
        try ShapeRules.require(input, "input", in: ShapeRules.floats)
        try ShapeRules.requireSameDataType(input, "input", scale, "scale")
        try ShapeRules.require(zeroPoint, "zeroPoint", in: quantizedTypes)
        try requireBlocks(input, scale, zeroPoint)
        return [TensorType(zeroPoint.dataType, input.shape)]
    }

    static let dequantizeLinear = OpSchema(
        "dequantizeLinear", positional: [Parameter("input", .operand), Parameter("scale", .operand), Parameter("zeroPoint", .operand)]
    ) { node, graph in
        let types = OperandTypes(node, graph)
        let input = try types("input"), scale = try types("scale"), zeroPoint = try types("zeroPoint")
        try ShapeRules.require(input, "input", in: quantizedTypes)
        try ShapeRules.requireSameDataType(input, "input", zeroPoint, "zeroPoint")
        try ShapeRules.require(scale, "scale", in: ShapeRules.floats)
        try requireBlocks(input, scale, zeroPoint)
        return [TensorType(scale.dataType, input.shape)]
    }

    static var schemas: [OpSchema] { [quantizeLinear, dequantizeLinear] }

    private static func requireBlocks(_ input: TensorType, _ scale: TensorType, _ zeroPoint: TensorType) throws {
        guard scale.rank == input.rank else {
            throw ShapeError("scale must have the rank of input (\(input.rank)), but \(scale) has rank \(scale.rank)")
        }
        guard zeroPoint.shape == scale.shape else {
            throw ShapeError("zeroPoint must have the shape of scale \(scale.shape), but has \(zeroPoint.shape)")
        }
        for axis in 0..<input.rank where input.shape[axis] % scale.shape[axis] != 0 {
            throw ShapeError("input dimension \(axis) (\(input.shape[axis])) is not a multiple of scale dimension \(axis) (\(scale.shape[axis]))")
        }
    }
}
