import WebNNBasics

/// Comparisons, logical operators, isNaN/isInfinite (all with uint8 0/1 results) and where.
enum LogicalOps {
    static let comparisonNames = ["equal", "notEqual", "greater", "greaterOrEqual", "lesser", "lesserOrEqual"]
    static let logicalBinaryNames = ["logicalAnd", "logicalOr", "logicalXor"]
    /// Unary predicates: name, allowed input types.
    static let unaryPredicates: [(name: String, types: Set<DataType>)] = [
        ("logicalNot", ShapeRules.uint8), ("isNaN", ShapeRules.floats), ("isInfinite", ShapeRules.floats),
    ]

    static var schemas: [OpSchema] {
        comparisonNames.map { binaryPredicate($0, types: ShapeRules.all) }
            + logicalBinaryNames.map { binaryPredicate($0, types: ShapeRules.uint8) }
            + unaryPredicates.map { unaryPredicate($0.name, types: $0.types) } + [whereOp]
    }

    /// `op(a, b)`: a and b of one type broadcast to each other; the result is uint8.
    static func binaryPredicate(_ name: String, types allowed: Set<DataType>) -> OpSchema {
        OpSchema(name, positional: [Parameter("a", .operand), Parameter("b", .operand)]) { node, graph in
            let types = OperandTypes(node, graph)
            let a = try types("a"), b = try types("b")
            try ShapeRules.require(a, "a", in: allowed)
            try ShapeRules.requireSameDataType(a, "a", b, "b")
            return [TensorType(.uint8, try ShapeRules.broadcast(a.shape, b.shape))]
        }
    }

    /// `op(a)`: the result is uint8 of a's shape.
    static func unaryPredicate(_ name: String, types allowed: Set<DataType>) -> OpSchema {
        OpSchema(name, positional: [Parameter("a", .operand)]) { node, graph in
            let a = try OperandTypes(node, graph)("a")
            try ShapeRules.require(a, "a", in: allowed)
            return [TensorType(.uint8, a.shape)]
        }
    }

    /// where(condition, trueValue, falseValue): all three broadcast together.
    static let whereOp = OpSchema(
        "where", positional: [Parameter("condition", .operand), Parameter("trueValue", .operand), Parameter("falseValue", .operand)]
    ) { node, graph in
        let types = OperandTypes(node, graph)
        let condition = try types("condition"), trueValue = try types("trueValue"), falseValue = try types("falseValue")
        try ShapeRules.require(condition, "condition", in: ShapeRules.uint8)
        try ShapeRules.requireSameDataType(trueValue, "trueValue", falseValue, "falseValue")
        let shape = try ShapeRules.broadcast(ShapeRules.broadcast(condition.shape, trueValue.shape), falseValue.shape)
        return [TensorType(trueValue.dataType, shape)]
    }
}
