import WebNNBasics

/// Element-wise binary, unary and activation operators.
enum ElementwiseOps {
    static let binaryNames = ["add", "sub", "mul", "div", "max", "min", "pow"]
    static let unaryActivations: [(String, Set<DataType>)] = [
        ("identity", ShapeRules.all), ("relu", ShapeRules.signedAndFloats), ("sigmoid", ShapeRules.floats), ("tanh", ShapeRules.floats),
    ]

    static var schemas: [OpSchema] {
        binaryNames.map(binary) + unaryActivations.map { unary($0.0, types: $0.1) } + [clamp]
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
}
