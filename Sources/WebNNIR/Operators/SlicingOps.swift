import WebNNBasics

/// `MLPaddingMode`.
public enum PaddingMode: String, CaseIterable, Sendable {
    case constant, edge, reflection
}

/// split's `splits` resolved against the input: the size of each output along `axis`.
public struct SplitParameters: Hashable, Sendable {
    public var axis: Int
    public var sizes: [Int]

    public init(_ node: Node, _ graph: Graph) throws {
        let input = try OperandTypes(node, graph)("input")
        try ShapeRules.requireRank(input, "input", 1...Int.max)
        axis = node.int("axis") ?? 0
        try ShapeRules.requireAxis(axis, rank: input.rank)
        let size = input.shape[axis]
        if let count = node.attribute("splits")?.intValue {
            guard count > 0 else { throw ShapeError("splits must be > 0, got \(count)") }
            try ShapeRules.requireValidTensorCount(count, "splits")
            guard size % count == 0 else {
                throw ShapeError("input dimension \(axis) (\(size)) is not divisible by splits (\(count))")
            }
            sizes = Array(repeating: size / count, count: count)
        } else if let sizes = node.attribute("splits")?.intsValue {
            guard !sizes.isEmpty else { throw ShapeError("splits must not be empty") }
            try ShapeRules.requireValidTensorCount(sizes.count, "splits")
            try ShapeRules.requirePositive(sizes, "splits")
            // A running sum past `size` stops: huge sizes cannot overflow it.
            let total = sizes.reduce(0) { sum, next in sum > size ? sum : sum.addingReportingOverflow(next).overflow ? Int.max : sum + next }
            guard total == size else {
                throw ShapeError("splits \(sizes) sum to \(total > size ? "more than \(size)" : "\(total)"), but input dimension \(axis) is \(size)")
            }
            self.sizes = sizes
        } else {
            throw ShapeError("missing splits")
        }
    }
}

/// slice's region: a start, a size and a stride per dimension.
public struct SliceParameters: Hashable, Sendable {
    public var starts: [Int], sizes: [Int], strides: [Int]
    /// ceil(size / stride) per dimension.
    public var outputShape: [Int] { zip(sizes, strides).map { ($0 + $1 - 1) / $1 } }

    public init(_ node: Node, _ graph: Graph) throws {
        let input = try OperandTypes(node, graph)("input")
        guard let starts = node.ints("starts") else { throw ShapeError("missing starts") }
        guard let sizes = node.ints("sizes") else { throw ShapeError("missing sizes") }
        let strides = node.ints("strides") ?? Array(repeating: 1, count: input.rank)
        try ShapeRules.requireCount(starts, input.rank, "starts")
        try ShapeRules.requireCount(sizes, input.rank, "sizes")
        try ShapeRules.requireCount(strides, input.rank, "strides")
        try ShapeRules.requirePositive(sizes, "sizes")
        try ShapeRules.requirePositive(strides, "strides")
        for axis in 0..<input.rank {
            guard starts[axis] >= 0, starts[axis] <= input.shape[axis], sizes[axis] <= input.shape[axis] - starts[axis] else {
                throw ShapeError("start \(starts[axis]) + size \(sizes[axis]) is out of range for input dimension \(axis) (\(input.shape[axis]))")
            }
        }
        (self.starts, self.sizes, self.strides) = (starts, sizes, strides)
    }
}

/// pad's per-dimension padding and mode.
public struct PadParameters: Hashable, Sendable {
    public var beginning: [Int], ending: [Int]
    public var mode: PaddingMode
    public var outputShape: [Int]

    public init(_ node: Node, _ graph: Graph) throws {
        let input = try OperandTypes(node, graph)("input")
        guard let beginning = node.ints("beginningPadding") else { throw ShapeError("missing beginningPadding") }
        guard let ending = node.ints("endingPadding") else { throw ShapeError("missing endingPadding") }
        try ShapeRules.requireCount(beginning, input.rank, "beginningPadding")
        try ShapeRules.requireCount(ending, input.rank, "endingPadding")
        guard (beginning + ending).allSatisfy({ $0 >= 0 }) else {
            throw ShapeError("padding must be >= 0, got \(beginning) and \(ending)")
        }
        mode = PaddingMode(rawValue: node.string("mode") ?? "constant") ?? .constant
        if mode == .reflection {
            for axis in 0..<input.rank where max(beginning[axis], ending[axis]) >= input.shape[axis] {
                throw ShapeError("reflection padding \(max(beginning[axis], ending[axis])) must be less than input dimension \(axis) (\(input.shape[axis]))")
            }
        }
        (self.beginning, self.ending) = (beginning, ending)
        outputShape = try (0..<input.rank).map { axis in
            let (padding, overflow) = beginning[axis].addingReportingOverflow(ending[axis])
            let (size, overflows) = padding.addingReportingOverflow(input.shape[axis])
            guard !overflow, !overflows else { throw ShapeError("padding \(beginning[axis]) + \(ending[axis]) of dimension \(axis) is too large") }
            return size
        }
    }
}

/// Operators that copy a region, a repetition or a rearrangement of their input:
/// split, slice, pad, expand, tile, reverse, triangular.
enum SlicingOps {
    static let split = OpSchema(
        "split", positional: [Parameter("input", .operand), Parameter("splits", .intOrInts)],
        options: [Parameter("axis", .int, default: .int(0))]
    ) { node, graph in
        let input = try OperandTypes(node, graph)("input")
        let p = try SplitParameters(node, graph)
        return p.sizes.map { size in
            var shape = input.shape
            shape[p.axis] = size
            return TensorType(input.dataType, shape)
        }
    }

    static let slice = OpSchema(
        "slice", positional: [Parameter("input", .operand), Parameter("starts", .ints), Parameter("sizes", .ints)],
        options: [Parameter("strides", .ints)]
    ) { node, graph in
        [TensorType(try OperandTypes(node, graph)("input").dataType, try SliceParameters(node, graph).outputShape)]
    }

    static let pad = OpSchema(
        "pad", positional: [Parameter("input", .operand), Parameter("beginningPadding", .ints), Parameter("endingPadding", .ints)],
        options: [
            Parameter("mode", .enumeration(PaddingMode.allCases.map(\.rawValue)), default: .string("constant")),
            Parameter("value", .number, default: .int(0)),
        ]
    ) { node, graph in
        [TensorType(try OperandTypes(node, graph)("input").dataType, try PadParameters(node, graph).outputShape)]
    }

    /// expand broadcasts unidirectionally, as the spec's steps say ("unidirectionally
    /// broadcasting input's shape and newShape"): the input must broadcast to newShape, which is
    /// the output shape (a 1 in newShape where the input's size is larger is an error).
    static let expand = OpSchema("expand", positional: [Parameter("input", .operand), Parameter("newShape", .ints)]) { node, graph in
        let input = try OperandTypes(node, graph)("input")
        guard let newShape = node.ints("newShape") else { throw ShapeError("missing newShape") }
        try ShapeRules.requirePositive(newShape, "newShape dimensions")
        try ShapeRules.requireUnidirectionalBroadcast(input.shape, to: newShape, "input")
        return [TensorType(input.dataType, newShape)]
    }

    static let tile = OpSchema("tile", positional: [Parameter("input", .operand), Parameter("repetitions", .ints)]) { node, graph in
        let input = try OperandTypes(node, graph)("input")
        guard let repetitions = node.ints("repetitions") else { throw ShapeError("missing repetitions") }
        try ShapeRules.requireCount(repetitions, input.rank, "repetitions")
        try ShapeRules.requirePositive(repetitions, "repetitions")
        return [TensorType(input.dataType, try zip(input.shape, repetitions).map { size, count in
            let (product, overflow) = size.multipliedReportingOverflow(by: count)
            guard !overflow else { throw ShapeError("repetitions \(repetitions) give a too large output") }
            return product
        })]
    }

    static let reverse = OpSchema("reverse", positional: [Parameter("input", .operand)],
                                  options: [Parameter("axes", .ints)]) { node, graph in
        let input = try OperandTypes(node, graph)("input")
        try ShapeRules.requireDistinctAxes(reverseAxes(node, rank: input.rank), rank: input.rank)
        return [input]
    }

    static let triangular = OpSchema(
        "triangular", positional: [Parameter("input", .operand)],
        options: [Parameter("upper", .bool, default: .bool(true)), Parameter("diagonal", .int, default: .int(0))]
    ) { node, graph in
        let input = try OperandTypes(node, graph)("input")
        try ShapeRules.requireRank(input, "input", 2...Int.max)
        return [input]
    }

    static var schemas: [OpSchema] { [split, slice, pad, expand, tile, reverse, triangular] }
}

/// reverse's axes: given, or every axis by default.
public func reverseAxes(_ node: Node, rank: Int) -> [Int] {
    node.ints("axes") ?? Array(0..<rank)
}

extension ShapeRules {
    /// Throws unless every axis is in range for `rank` and none repeats.
    static func requireDistinctAxes(_ axes: [Int], rank: Int, _ role: String = "axes") throws {
        for axis in axes { try requireAxis(axis, rank: rank, "\(role) value") }
        guard Set(axes).count == axes.count else { throw ShapeError("\(role) \(axes) repeat an axis") }
    }
}
