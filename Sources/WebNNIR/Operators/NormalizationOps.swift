import WebNNBasics

/// softmax and batchNormalization.
enum NormalizationOps {
    static let softmax = OpSchema("softmax", positional: [Parameter("input", .operand), Parameter("axis", .int)]) { node, graph in
        let input = try OperandTypes(node, graph)("input")
        try ShapeRules.require(input, "input", in: ShapeRules.floats)
        try ShapeRules.requireRank(input, "input", 1...Int.max)
        guard let axis = node.int("axis") else { throw ShapeError("missing axis") }
        try ShapeRules.requireAxis(axis, rank: input.rank)
        return [input]
    }

    static let batchNormalization = OpSchema(
        "batchNormalization",
        positional: [Parameter("input", .operand), Parameter("mean", .operand), Parameter("variance", .operand)],
        options: [
            Parameter("scale", .operand), Parameter("bias", .operand),
            Parameter("axis", .int, default: .int(1)),
            Parameter("epsilon", .number, default: .double(1e-5)),
        ]
    ) { node, graph in
        let types = OperandTypes(node, graph)
        let input = try types("input")
        try ShapeRules.require(input, "input", in: ShapeRules.floats)
        try ShapeRules.requireRank(input, "input", 1...Int.max)
        let axis = node.int("axis") ?? 1
        try ShapeRules.requireAxis(axis, rank: input.rank)
        for role in ["mean", "variance", "scale", "bias"] {
            guard let type = types.optional(role) else {
                if role == "mean" || role == "variance" { throw ShapeError("missing operand '\(role)'") }
                continue
            }
            try ShapeRules.requireSameDataType(input, "input", type, role)
            guard type.shape == [input.shape[axis]] else {
                throw ShapeError("\(role) must have shape [\(input.shape[axis])] (input dimension \(axis)), but has \(type.shape)")
            }
        }
        return [input]
    }

    static var schemas: [OpSchema] { [softmax, batchNormalization] }
}
