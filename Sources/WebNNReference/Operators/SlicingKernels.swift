import WebNNBasics
import WebNNIR

/// split, slice, pad, expand, tile, reverse and triangular: every data type, values copied
/// exactly. Each output element reads one input element, found by index arithmetic; pad's value
/// and triangular's zero are appended to the input's elements and read like any other element.
enum SlicingKernels {
    static let table: [String: Kernel] = [
        "split": split, "slice": slice, "pad": pad, "expand": expand, "tile": tile, "reverse": reverse,
        "triangular": triangular,
    ]

    /// One output per split size: consecutive blocks of the input along the axis.
    private static func split(_ call: OperatorCall) throws -> [TensorValue] {
        let input = try call.operand("input")
        let p = try call.parameters(SplitParameters.init)
        let strides = rowMajorStrides(input.shape)
        var start = 0
        return call.outputTypes.map { type in
            defer { start += type.shape[p.axis] }
            let indices = StridedIndices.sourceIndices(shape: type.shape, sourceStrides: strides)
            return input.gathering(indices.map { $0 + start * strides[p.axis] }, shape: type.shape)
        }
    }

    /// Every `strides[axis]`-th element of `sizes[axis]` elements from `starts[axis]`, per axis.
    private static func slice(_ call: OperatorCall) throws -> [TensorValue] {
        let input = try call.operand("input")
        let p = try call.parameters(SliceParameters.init)
        let strides = rowMajorStrides(input.shape)
        let offset = zip(p.starts, strides).reduce(0) { $0 + $1.0 * $1.1 }
        let indices = StridedIndices.sourceIndices(shape: call.outputType.shape,
                                                   sourceStrides: zip(strides, p.strides).map(*))
        return [input.gathering(indices.map { $0 + offset }, shape: call.outputType.shape)]
    }

    /// constant: the value (cast to the input type) outside the input; edge: the nearest border
    /// element; reflection: the input mirrored about its border element (not repeating it).
    private static func pad(_ call: OperatorCall) throws -> [TensorValue] {
        let input = try call.operand("input")
        let p = try call.parameters(PadParameters.init)
        let value = TensorValue(number: call.node.double("value") ?? 0, as: input.dataType)
        let strides = rowMajorStrides(input.shape)
        let valueIndex = input.type.elementCount
        let indices = StridedIndices.positionalIndices(shape: call.outputType.shape) { position in
            var index = 0
            for axis in 0..<position.count {
                let size = input.shape[axis]
                var source = position[axis] - p.beginning[axis]
                if !(0..<size).contains(source) {
                    switch p.mode {
                    case .constant: return valueIndex
                    case .edge: source = min(max(source, 0), size - 1)
                    case .reflection: source = source < 0 ? -source : 2 * (size - 1) - source
                    }
                }
                index += source * strides[axis]
            }
            return index
        }
        return try [appending(value, to: input, call).gathering(indices, shape: call.outputType.shape)]
    }

    /// The input broadcast (numpy rules) to the output shape.
    private static func expand(_ call: OperatorCall) throws -> [TensorValue] {
        let input = try call.operand("input")
        let indices = StridedIndices.broadcastIndices(from: input.shape, to: call.outputType.shape)
        return [input.gathering(indices, shape: call.outputType.shape)]
    }

    /// The input repeated `repetitions[axis]` times along each axis.
    private static func tile(_ call: OperatorCall) throws -> [TensorValue] {
        let input = try call.operand("input")
        let strides = rowMajorStrides(input.shape)
        let indices = StridedIndices.positionalIndices(shape: call.outputType.shape) { position in
            (0..<position.count).reduce(0) { $0 + position[$1] % input.shape[$1] * strides[$1] }
        }
        return [input.gathering(indices, shape: call.outputType.shape)]
    }

    /// The input read backwards along each of `axes` (every axis by default).
    private static func reverse(_ call: OperatorCall) throws -> [TensorValue] {
        let input = try call.operand("input")
        let axes = Set(reverseAxes(call.node, rank: input.type.rank))
        let strides = rowMajorStrides(input.shape)
        let offset = axes.reduce(0) { $0 + (input.shape[$1] - 1) * strides[$1] }
        let sourceStrides = (0..<input.type.rank).map { axes.contains($0) ? -strides[$0] : strides[$0] }
        let indices = StridedIndices.sourceIndices(shape: input.shape, sourceStrides: sourceStrides)
        return [input.gathering(indices.map { $0 + offset }, shape: input.shape)]
    }

    /// Keeps the elements of each matrix (the last two axes) on or above diagonal `diagonal`
    /// (column - row >= diagonal) when `upper`, on or below it otherwise; the rest become 0.
    private static func triangular(_ call: OperatorCall) throws -> [TensorValue] {
        let input = try call.operand("input")
        let upper = call.node.bool("upper") ?? true, diagonal = call.node.int("diagonal") ?? 0
        let rank = input.type.rank
        let zeroIndex = input.type.elementCount, strides = rowMajorStrides(input.shape)
        let indices = StridedIndices.positionalIndices(shape: input.shape) { position in
            let offset = position[rank - 1] - position[rank - 2]
            guard upper ? offset >= diagonal : offset <= diagonal else { return zeroIndex }
            return zip(position, strides).reduce(0) { $0 + $1.0 * $1.1 }
        }
        return try [appending(TensorValue(number: 0, as: input.dataType), to: input, call).gathering(indices, shape: input.shape)]
    }

    /// The elements of `input` followed by the single element of `value` (of the same kind).
    private static func appending(_ value: TensorValue, to input: TensorValue, _ call: OperatorCall) throws -> TensorValue {
        guard let joined = TensorValue.Elements.concatenation([input.elements, value.elements]) else {
            throw InterpreterError.unsupportedDataType(op: call.op, input.dataType)
        }
        return TensorValue(TensorType(input.dataType, [input.type.elementCount + 1]), joined)
    }
}

extension StridedIndices {
    /// For each position of a row-major tensor of `shape` (in order), the index `source(position)`.
    static func positionalIndices(shape: [Int], _ source: ([Int]) throws -> Int) rethrows -> [Int] {
        var position = [Int](repeating: 0, count: shape.count)
        return try Array(count: shape.reduce(1, *)) { _ in
            defer {
                var axis = shape.count - 1
                while axis >= 0 {
                    position[axis] += 1
                    if position[axis] < shape[axis] { break }
                    position[axis] = 0
                    axis -= 1
                }
            }
            return try source(position)
        }
    }
}
