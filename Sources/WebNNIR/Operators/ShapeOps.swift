import WebNNBasics

/// Operators that only move data: reshape, transpose, concat.
enum ShapeOps {
    static let reshape = OpSchema("reshape", positional: [Parameter("input", .operand), Parameter("newShape", .ints)]) { node, graph in
        let input = try OperandTypes(node, graph)("input")
        guard let newShape = node.ints("newShape") else { throw ShapeError("missing newShape") }
        try ShapeRules.requirePositive(newShape, "newShape dimensions")
        guard newShape.reduce(1, *) == input.elementCount else {
            throw ShapeError("newShape \(newShape) has \(newShape.reduce(1, *)) elements but the input \(input) has \(input.elementCount)")
        }
        return [TensorType(input.dataType, newShape)]
    }

    static let transpose = OpSchema("transpose", positional: [Parameter("input", .operand)],
                                    options: [Parameter("permutation", .ints)]) { node, graph in
        let input = try OperandTypes(node, graph)("input")
        let permutation = transposePermutation(node, rank: input.rank)
        guard permutation.sorted() == Array(0..<input.rank) else {
            throw ShapeError("permutation \(permutation) is not a permutation of 0..<\(input.rank)")
        }
        return [TensorType(input.dataType, permutation.map { input.shape[$0] })]
    }

    static let concat = OpSchema("concat", positional: [Parameter("inputs", .operandList), Parameter("axis", .int)]) { node, graph in
        let inputs = OperandTypes(node, graph).all
        guard let first = inputs.first else { throw ShapeError("needs at least one input") }
        try ShapeRules.requireValidTensorCount(inputs.count, "inputs")
        guard let axis = node.int("axis") else { throw ShapeError("missing axis") }
        try ShapeRules.requireRank(first, "inputs[0]", 1...Int.max)
        try ShapeRules.requireAxis(axis, rank: first.rank)
        var shape = first.shape
        shape[axis] = 0
        for (index, input) in inputs.enumerated() {
            try ShapeRules.requireSameDataType(first, "inputs[0]", input, "inputs[\(index)]")
            guard input.rank == first.rank,
                  (0..<first.rank).allSatisfy({ $0 == axis || input.shape[$0] == first.shape[$0] }) else {
                throw ShapeError("inputs[\(index)] \(input.shape) does not match inputs[0] \(first.shape) outside axis \(axis)")
            }
            shape[axis] += input.shape[axis]
        }
        return [TensorType(first.dataType, shape)]
    }

    static var schemas: [OpSchema] { [reshape, transpose, concat] }
}

/// transpose's permutation: given, or the reversed axes by default.
public func transposePermutation(_ node: Node, rank: Int) -> [Int] {
    node.ints("permutation") ?? Array((0..<rank).reversed())
}
