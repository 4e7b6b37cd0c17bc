import WebNNBasics

/// `MLInterpolationMode`.
public enum InterpolationMode: String, CaseIterable, Sendable {
    case nearestNeighbor = "nearest-neighbor"
    case linear
}

/// Everything about one resample2d node: the two resampled axes, their input and output sizes,
/// and the scale that maps output coordinates back to input coordinates.
public struct Resample2dParameters: Hashable, Sendable {
    public var mode: InterpolationMode
    public var axes: [Int]
    public var inputSizes: [Int]
    public var outputSizes: [Int]
    /// Output size / input size along each axis (also when scales are given: the spec maps with
    /// the floored output size, webnn PR #816).
    public var scales: [Double]
    public var outputShape: [Int]

    public init(_ node: Node, _ graph: Graph) throws {
        let input = try OperandTypes(node, graph)("input")
        try ShapeRules.require(input, "input", in: [.float32, .float16, .int8, .uint8])
        try ShapeRules.requireRank(input, "input", 4...4)
        mode = InterpolationMode(rawValue: node.string("mode") ?? "nearest-neighbor") ?? .nearestNeighbor
        axes = node.ints("axes") ?? [2, 3]
        try ShapeRules.requireCount(axes, 2, "axes")
        try ShapeRules.requireDistinctAxes(axes, rank: input.rank)
        inputSizes = axes.map { input.shape[$0] }
        if let sizes = node.ints("sizes") {
            try ShapeRules.requireCount(sizes, 2, "sizes")
            try ShapeRules.requirePositive(sizes, "sizes")
            let inputSizes = self.inputSizes
            outputSizes = sizes
            scales = (0..<2).map { Double(sizes[$0]) / Double(inputSizes[$0]) }
        } else {
            let given = node.attribute("scales")?.doublesValue ?? [1, 1]
            guard given.count == 2 else { throw ShapeError("scales must have 2 values, but has \(given.count)") }
            guard given.allSatisfy({ $0 > 0 && $0.isFinite }) else { throw ShapeError("scales must be > 0, got \(given)") }
            let inputSizes = self.inputSizes
            let products = (0..<2).map { (Double(inputSizes[$0]) * given[$0]).rounded(.down) }
            guard products.allSatisfy({ $0 < ShapeRules.limit }) else { throw ShapeError("scales \(given) give a too large output") }
            outputSizes = products.map { Int($0) }
            guard outputSizes.allSatisfy({ $0 > 0 }) else {
                throw ShapeError("scales [\(given.map(formatNumber).joined(separator: ", "))] give an empty output (\(outputSizes))")
            }
            // The spec (since webnn PR #816) maps coordinates with outputSize / inputSize, not
            // with the given scale: 1.5 on 5 pixels gives 7 pixels mapped with 7 / 5.
            let outputSizes = self.outputSizes
            scales = (0..<2).map { Double(outputSizes[$0]) / Double(inputSizes[$0]) }
        }
        outputShape = input.shape
        for (axis, size) in zip(axes, outputSizes) { outputShape[axis] = size }
    }
}

/// resample2d: nearest-neighbor or linear resampling of two axes of a 4-D tensor.
enum ResamplingOps {
    static let resample2d = OpSchema(
        "resample2d", positional: [Parameter("input", .operand)],
        options: [
            Parameter("mode", .enumeration(InterpolationMode.allCases.map(\.rawValue)), default: .string("nearest-neighbor")),
            Parameter("scales", .numbers, default: .doubles([1, 1])),
            Parameter("sizes", .ints),
            Parameter("axes", .ints, default: .ints([2, 3])),
        ]
    ) { node, graph in
        let input = try OperandTypes(node, graph)("input")
        return [TensorType(input.dataType, try Resample2dParameters(node, graph).outputShape)]
    }

    static var schemas: [OpSchema] { [resample2d] }
}
