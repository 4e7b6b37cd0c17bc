import WebNNBasics

/// Operators that read or write elements at indices given by an operand: gather, gatherElements,
/// gatherND, scatterElements, scatterND. Indices are int32, uint32 or int64; a negative index
/// counts from the end of its dimension and an index out of range is clamped to it (WebNN leaves
/// that to the implementation).
enum IndexingOps {
    static let indexTypes: Set<DataType> = [.int32, .uint32, .int64]

    static let gather = OpSchema(
        "gather", positional: [Parameter("input", .operand), Parameter("indices", .operand)],
        options: [Parameter("axis", .int, default: .int(0))]
    ) { node, graph in
        let types = OperandTypes(node, graph)
        let input = try types("input"), indices = try types("indices")
        try ShapeRules.require(indices, "indices", in: indexTypes)
        try ShapeRules.requireRank(input, "input", 1...Int.max)
        let axis = node.int("axis") ?? 0
        try ShapeRules.requireAxis(axis, rank: input.rank)
        return [TensorType(input.dataType, Array(input.shape[..<axis]) + indices.shape + Array(input.shape[(axis + 1)...]))]
    }

    static let gatherElements = OpSchema(
        "gatherElements", positional: [Parameter("input", .operand), Parameter("indices", .operand)],
        options: [Parameter("axis", .int, default: .int(0))]
    ) { node, graph in
        let types = OperandTypes(node, graph)
        let input = try types("input"), indices = try types("indices")
        try requireElementIndices(input, indices, axis: node.int("axis") ?? 0)
        return [TensorType(input.dataType, indices.shape)]
    }

    static let gatherND = OpSchema("gatherND", positional: [Parameter("input", .operand), Parameter("indices", .operand)]) { node, graph in
        let types = OperandTypes(node, graph)
        let input = try types("input"), indices = try types("indices")
        return [TensorType(input.dataType, try ndOutputShape(input, indices))]
    }

    static let scatterElements = OpSchema(
        "scatterElements",
        positional: [Parameter("input", .operand), Parameter("indices", .operand), Parameter("updates", .operand)],
        options: [Parameter("axis", .int, default: .int(0))]
    ) { node, graph in
        let types = OperandTypes(node, graph)
        let input = try types("input"), indices = try types("indices"), updates = try types("updates")
        try requireElementIndices(input, indices, axis: node.int("axis") ?? 0)
        try ShapeRules.requireSameDataType(input, "input", updates, "updates")
        guard updates.shape == indices.shape else {
            throw ShapeError("updates must have the shape of indices \(indices.shape), but has \(updates.shape)")
        }
        return [input]
    }

    static let scatterND = OpSchema(
        "scatterND", positional: [Parameter("input", .operand), Parameter("indices", .operand), Parameter("updates", .operand)]
    ) { node, graph in
        let types = OperandTypes(node, graph)
        let input = try types("input"), indices = try types("indices"), updates = try types("updates")
        let expected = try ndOutputShape(input, indices)
        try ShapeRules.requireSameDataType(input, "input", updates, "updates")
        guard updates.shape == expected else {
            throw ShapeError("updates must have shape \(expected), but has \(updates.shape)")
        }
        return [input]
    }

    static var schemas: [OpSchema] { [gather, gatherElements, gatherND, scatterElements, scatterND] }

    /// gatherElements/scatterElements: indices of an index type, of input's rank, with input's
    /// shape except along `axis`.
    private static func requireElementIndices(_ input: TensorType, _ indices: TensorType, axis: Int) throws {
        try ShapeRules.require(indices, "indices", in: indexTypes)
        try ShapeRules.requireRank(input, "input", 1...Int.max)
        try ShapeRules.requireAxis(axis, rank: input.rank)
        guard indices.rank == input.rank,
              (0..<input.rank).allSatisfy({ $0 == axis || indices.shape[$0] == input.shape[$0] }) else {
            throw ShapeError("indices \(indices.shape) must match input \(input.shape) outside axis \(axis)")
        }
    }

    /// gatherND's output shape (scatterND's updates shape): indices.shape[:-1] ++ input.shape[k:].
    private static func ndOutputShape(_ input: TensorType, _ indices: TensorType) throws -> [Int] {
        try ShapeRules.require(indices, "indices", in: indexTypes)
        try ShapeRules.requireRank(input, "input", 1...Int.max)
        try ShapeRules.requireRank(indices, "indices", 1...Int.max)
        let k = indices.shape[indices.rank - 1]
        guard k <= input.rank else {
            throw ShapeError("indices address \(k) dimensions, but input \(input) has rank \(input.rank)")
        }
        return Array(indices.shape.dropLast()) + Array(input.shape[k...])
    }
}
