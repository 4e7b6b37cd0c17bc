import WebNNBasics

/// softmax, batchNormalization, instanceNormalization and layerNormalization.
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

    static let instanceNormalization = OpSchema(
        "instanceNormalization", positional: [Parameter("input", .operand)],
        options: [
            Parameter("scale", .operand), Parameter("bias", .operand),
            Parameter("epsilon", .number, default: .double(1e-5)),
            Parameter("layout", .enumeration(InputLayout.allCases.map(\.rawValue)), default: .string("nchw")),
        ]
    ) { node, graph in
        let types = OperandTypes(node, graph)
        let input = try types("input")
        try ShapeRules.require(input, "input", in: ShapeRules.floats)
        try ShapeRules.requireRank(input, "input", 4...4)
        let layout = InputLayout(rawValue: node.string("layout") ?? "nchw") ?? .nchw
        let channels = layout.logicalSizes(input.shape).channels
        for role in ["scale", "bias"] {
            guard let type = types.optional(role) else { continue }
            try ShapeRules.requireSameDataType(input, "input", type, role)
            guard type.shape == [channels] else {
                throw ShapeError("\(role) must have shape [\(channels)] (input channels), but has \(type.shape)")
            }
        }
        return [input]
    }

    static let layerNormalization = OpSchema(
        "layerNormalization", positional: [Parameter("input", .operand)],
        options: [
            Parameter("scale", .operand), Parameter("bias", .operand),
            Parameter("axes", .ints),
            Parameter("epsilon", .number, default: .double(1e-5)),
        ]
    ) { node, graph in
        let types = OperandTypes(node, graph)
        let input = try types("input")
        try ShapeRules.require(input, "input", in: ShapeRules.floats)
        let axes = layerNormalizationAxes(node, rank: input.rank)
        try ShapeRules.requireDistinctAxes(axes, rank: input.rank)
        let expected = axes.map { input.shape[$0] }
        for role in ["scale", "bias"] {
            guard let type = types.optional(role) else { continue }
            try ShapeRules.requireSameDataType(input, "input", type, role)
            guard type.shape == expected else {
                throw ShapeError("\(role) must have shape \(expected) (input dimensions \(axes)), but has \(type.shape)")
            }
        }
        return [input]
    }

    static var schemas: [OpSchema] { [softmax, batchNormalization, instanceNormalization, layerNormalization] }
}

/// layerNormalization's axes: given, or every axis but the first by default.
public func layerNormalizationAxes(_ node: Node, rank: Int) -> [Int] {
    node.ints("axes") ?? Array(min(1, rank)..<rank)
}
