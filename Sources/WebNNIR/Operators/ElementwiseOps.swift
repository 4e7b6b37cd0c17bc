import WebNNBasics

/// Element-wise binary, unary and activation operators, prelu, clamp and cast.
enum ElementwiseOps {
    static let binaryNames = ["add", "sub", "mul", "div", "max", "min", "pow"]
    /// Unary operators whose output has the input's type: name, allowed input types, options.
    static let unaryOperators: [(name: String, types: Set<DataType>, options: [Parameter])] = [
        ("identity", ShapeRules.all, []), ("relu", ShapeRules.signedAndFloats, []),
        ("sigmoid", ShapeRules.floats, []), ("tanh", ShapeRules.floats, []),
        ("abs", ShapeRules.signedAndFloats, []), ("neg", ShapeRules.signedAndFloats, []), ("sign", ShapeRules.signedAndFloats, []),
        ("ceil", ShapeRules.floats, []), ("floor", ShapeRules.floats, []), ("roundEven", ShapeRules.floats, []),
        ("cos", ShapeRules.floats, []), ("sin", ShapeRules.floats, []), ("tan", ShapeRules.floats, []),
        ("exp", ShapeRules.floats, []), ("log", ShapeRules.floats, []), ("sqrt", ShapeRules.floats, []),
        ("erf", ShapeRules.floats, []), ("reciprocal", ShapeRules.floats, []),
        ("leakyRelu", ShapeRules.floats, [Parameter("alpha", .number, default: .double(0.01))]),
        ("elu", ShapeRules.floats, [Parameter("alpha", .number, default: .double(1))]),
        ("gelu", ShapeRules.floats, []),
        ("hardSigmoid", ShapeRules.floats, [Parameter("alpha", .number, default: .double(0.2)),
                                            Parameter("beta", .number, default: .double(0.5))]),
        ("hardSwish", ShapeRules.floats, []),
        ("linear", ShapeRules.floats, [Parameter("alpha", .number, default: .double(1)),
                                       Parameter("beta", .number, default: .double(0))]),
        ("softplus", ShapeRules.floats, []), ("softsign", ShapeRules.floats, []),
    ]

    static var schemas: [OpSchema] {
        binaryNames.map(binary) + unaryOperators.map { unary($0.name, types: $0.types, options: $0.options) }
            + [clamp, prelu, cast]
    }

    static func binary(_ name: String) -> OpSchema {
        OpSchema(name, positional: [Parameter("a", .operand), Parameter("b", .operand)]) { node, graph in
            let types = OperandTypes(node, graph)
            let a = try types("a"), b = try types("b")
            try ShapeRules.requireSameDataType(a, "a", b, "b")
            return [TensorType(a.dataType, try ShapeRules.broadcast(a.shape, b.shape))]
        }
    }

    static func unary(_ name: String, types allowed: Set<DataType>, options: [Parameter] = []) -> OpSchema {
        OpSchema(name, positional: [Parameter("input", .operand)], options: options) { node, graph in
            let input = try OperandTypes(node, graph)("input")
            try ShapeRules.require(input, "input", in: allowed)
            return [input]
        }
    }

    static let clamp = OpSchema(
        "clamp", positional: [Parameter("input", .operand)],
        options: [Parameter("minValue", .number), Parameter("maxValue", .number)]
    ) { node, graph in
        let input = try OperandTypes(node, graph)("input")
        if let low = node.double("minValue"), let high = node.double("maxValue"), low > high {
            throw ShapeError("minValue (\(formatNumber(low))) is greater than maxValue (\(formatNumber(high)))")
        }
        return [input]
    }

    /// max(0, x) + slope * min(0, x), with `slope` broadcast against `input` (both ways).
    static let prelu = OpSchema("prelu", positional: [Parameter("input", .operand), Parameter("slope", .operand)]) { node, graph in
        let types = OperandTypes(node, graph)
        let input = try types("input"), slope = try types("slope")
        try ShapeRules.require(input, "input", in: ShapeRules.signedAndFloats)
        try ShapeRules.requireSameDataType(input, "input", slope, "slope")
        return [TensorType(input.dataType, try ShapeRules.broadcast(input.shape, slope.shape))]
    }

    /// Converts every element to `dataType` (any type to any type).
    static let cast = OpSchema("cast", positional: [Parameter("input", .operand), Parameter("dataType", .dataType, aliases: ["type"])]) { node, graph in
        let input = try OperandTypes(node, graph)("input")
        return [TensorType(try ShapeRules.dataType(node, "dataType"), input.shape)]
    }
}
