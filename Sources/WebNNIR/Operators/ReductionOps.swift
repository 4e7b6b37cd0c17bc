import WebNNBasics

/// Everything about one reduce* node: the axes it reduces and the output shape.
public struct ReductionParameters: Hashable, Sendable {
    public var inputShape: [Int]
    /// The reduced axes, ascending (every axis when the `axes` option is absent; none for `[]`).
    public var axes: [Int]
    public var keepDimensions: Bool
    public var outputShape: [Int]
    /// The number of input elements behind each output element.
    public var reducedElementCount: Int { axes.reduce(1) { $0 * inputShape[$1] } }

    public init(_ node: Node, _ graph: Graph) throws {
        let input = try OperandTypes(node, graph)("input")
        inputShape = input.shape
        let given = node.ints("axes") ?? Array(0..<input.rank)
        for axis in given { try ShapeRules.requireAxis(axis, rank: input.rank, "axes value") }
        guard Set(given).count == given.count else { throw ShapeError("axes \(given) has a repeated axis") }
        axes = given.sorted()
        keepDimensions = node.bool("keepDimensions") ?? false
        let reduced = Set(given)
        outputShape = keepDimensions ? input.shape.indices.map { reduced.contains($0) ? 1 : input.shape[$0] }
            : input.shape.indices.filter { !reduced.contains($0) }.map { input.shape[$0] }
    }
}

/// Reductions (reduce*), argMin/argMax and cumulativeSum.
enum ReductionOps {
    /// reduce* operators: name, allowed input types.
    static let reductions: [(name: String, types: Set<DataType>)] = [
        ("reduceSum", ShapeRules.floatsAndWideIntegers), ("reduceL1", ShapeRules.floatsAndWideIntegers),
        ("reduceSumSquare", ShapeRules.floatsAndWideIntegers), ("reduceProduct", ShapeRules.floatsAndWideIntegers),
        ("reduceMean", ShapeRules.floats), ("reduceL2", ShapeRules.floats),
        ("reduceLogSum", ShapeRules.floats), ("reduceLogSumExp", ShapeRules.floats),
        ("reduceMax", ShapeRules.all), ("reduceMin", ShapeRules.all),
    ]

    static var schemas: [OpSchema] {
        reductions.map { reduction($0.name, types: $0.types) } + ["argMin", "argMax"].map(argReduction) + [cumulativeSum]
    }

    static func reduction(_ name: String, types allowed: Set<DataType>) -> OpSchema {
        OpSchema(name, positional: [Parameter("input", .operand)],
                 options: [Parameter("axes", .ints), Parameter("keepDimensions", .bool, default: .bool(false))]) { node, graph in
            let input = try OperandTypes(node, graph)("input")
            try ShapeRules.require(input, "input", in: allowed)
            return [TensorType(input.dataType, try ReductionParameters(node, graph).outputShape)]
        }
    }

    /// argMin/argMax(input, axis): the index of the extreme value along `axis`, as int32 or int64.
    static func argReduction(_ name: String) -> OpSchema {
        OpSchema(name, positional: [Parameter("input", .operand), Parameter("axis", .int)],
                 options: [Parameter("keepDimensions", .bool, default: .bool(false)),
                           Parameter("outputDataType", .dataType, default: .string("int32"))]) { node, graph in
            let input = try OperandTypes(node, graph)("input")
            try ShapeRules.requireRank(input, "input", 1...Int.max)
            guard let axis = node.int("axis") else { throw ShapeError("missing axis") }
            try ShapeRules.requireAxis(axis, rank: input.rank)
            let outputDataType = try ShapeRules.dataType(node, "outputDataType")
            guard outputDataType == .int32 || outputDataType == .int64 else {
                throw ShapeError("outputDataType must be int32 or int64, got \(outputDataType.rawValue)")
            }
            var shape = input.shape
            if node.bool("keepDimensions") ?? false { shape[axis] = 1 } else { shape.remove(at: axis) }
            return [TensorType(outputDataType, shape)]
        }
    }

    /// cumulativeSum(input, axis): running sums along `axis`, inclusive or exclusive, forward or reversed.
    static let cumulativeSum = OpSchema(
        "cumulativeSum", positional: [Parameter("input", .operand), Parameter("axis", .int)],
        options: [Parameter("exclusive", .bool, default: .bool(false)), Parameter("reversed", .bool, default: .bool(false))]
    ) { node, graph in
        let input = try OperandTypes(node, graph)("input")
        try ShapeRules.require(input, "input", in: ShapeRules.floatsAndWideIntegers)
        try ShapeRules.requireRank(input, "input", 1...Int.max)
        guard let axis = node.int("axis") else { throw ShapeError("missing axis") }
        try ShapeRules.requireAxis(axis, rank: input.rank)
        return [input]
    }
}
