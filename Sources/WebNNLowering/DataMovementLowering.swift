import WebNNBasics
import WebNNIR

/// Data movement and indexing kernels (`Kernel.dataMovement`): every data type, element bits
/// copied exactly.
public enum DataMovementKernel: Hashable, Sendable {
    /// `result[p] = x[inputOffset + Σ p[i]·inputStrides[i]]` for each position p of `shape`, whose
    /// element of the result is `Σ p[i]·resultStrides[i]`. split, slice, expand, tile (a tiled
    /// axis is two axes: [repetitions, size], the first with input stride 0) and reverse
    /// (negative strides). Operands: x.
    case stridedGather(StridedGather)
    /// `gather` along `axis`: result[before, j..., after] = x[before, indices[j...], after], an
    /// index counting from the end when negative and clamped to the axis (as the interpreter).
    /// Operands: x, indices (int32, uint32 or int64).
    case gather(axis: Int)
    /// `pad`: `beginning` elements before each axis, filled by `mode` (constant: `value`, cast to
    /// x's type like an `MLNumber`). Operands: x.
    case pad(beginning: [Int], mode: PaddingMode, value: Double)
    /// `triangular`: elements of each matrix (last two axes) with column − row ≥ `diagonal`
    /// (`upper`) or ≤ it (lower) are kept, the rest are 0. Operands: x.
    case triangular(upper: Bool, diagonal: Int)
    /// result[p] = x[p with p[axis] = indices[p]]. Operands: x, indices.
    case gatherElements(axis: Int)
    /// result[t, rest...] = x[indices[t, 0..<k], rest...]. Operands: x, indices.
    case gatherND
    /// x with result[p with p[axis] = indices[p]] = updates[p], in row-major order of p (the
    /// last duplicate wins). Operands: x, indices, updates.
    case scatterElements(axis: Int)
    /// x with result[indices[t, 0..<k], rest...] = updates[t, rest...], in order of t (the last
    /// duplicate wins). Operands: x, indices, updates.
    case scatterND
}

/// The affine map of `DataMovementKernel.stridedGather`.
public struct StridedGather: Hashable, Sendable {
    public var shape: [Int]
    public var resultStrides: [Int]
    public var inputStrides: [Int]
    public var inputOffset: Int

    public init(shape: [Int], resultStrides: [Int], inputStrides: [Int], inputOffset: Int) {
        self.shape = shape
        self.resultStrides = resultStrides
        self.inputStrides = inputStrides
        self.inputOffset = inputOffset
    }

    /// result = x with the plain row-major layout of `shape` for the result.
    init(shape: [Int], inputStrides: [Int], inputOffset: Int) {
        self.init(shape: shape, resultStrides: rowMajorStrides(shape), inputStrides: inputStrides, inputOffset: inputOffset)
    }
}

/// Reductions (`Kernel.reduction`). No reduction is split across tasks.
public enum ReductionKernel: Hashable, Sendable {
    /// A reduce* operator over `axes` (ascending; the result has the input's shape without them,
    /// or with them as 1: the same layout). float16 accumulates in float32. Operands: x.
    case reduce(ReduceOperator, axes: [Int])
    /// argMin/argMax along `axis`: the first index of the smallest (largest) element, a NaN
    /// beating every number (the first NaN wins). The result is int32 or int64. Operands: x.
    case argument(findsMaximum: Bool, axis: Int)
    /// cumulativeSum along `axis`: running sums (`exclusive`: of the elements before each one),
    /// from the end when `reversed`; float16 sums in float32. Operands: x.
    case cumulativeSum(axis: Int, exclusive: Bool, reversed: Bool)
}

/// The reduce* operators.
public enum ReduceOperator: String, Hashable, Sendable, CaseIterable {
    case sum = "reduceSum", l1 = "reduceL1", l2 = "reduceL2", logSum = "reduceLogSum", logSumExp = "reduceLogSumExp"
    case max = "reduceMax", mean = "reduceMean", min = "reduceMin", product = "reduceProduct", sumSquare = "reduceSumSquare"
}

/// The steps of a data movement, indexing or reduction node (one per output: split has
/// several), or nil when the node is none of those.
func dataMovementAndReductionSteps(_ node: Node, _ graph: Graph) throws -> [(kernel: Kernel, operands: [ValueID], result: ValueID)]? {
    guard let input = node.operand("input") else { return nil }
    let inputShape = graph[input].type.shape
    let strides = rowMajorStrides(inputShape)
    let rank = inputShape.count
    func one(_ kernel: Kernel, _ operands: [ValueID] = [input]) -> [(kernel: Kernel, operands: [ValueID], result: ValueID)] {
        [(kernel, operands, node.outputs[0])]
    }
    func gathered(_ map: StridedGather) -> Kernel { .dataMovement(.stridedGather(map)) }
    switch node.op {
    case "split":
        let p = try SplitParameters(node, graph)
        var start = 0
        return zip(p.sizes, node.outputs).map { size, output in
            defer { start += size }
            var shape = inputShape
            shape[p.axis] = size
            return (gathered(StridedGather(shape: shape, inputStrides: strides, inputOffset: start * strides[p.axis])), [input], output)
        }
    case "slice":
        let p = try SliceParameters(node, graph)
        let offset = zip(p.starts, strides).reduce(0) { $0 + $1.0 * $1.1 }
        return one(gathered(StridedGather(shape: p.outputShape, inputStrides: zip(strides, p.strides).map(*), inputOffset: offset)))
    case "expand":
        let outputShape = graph[node.outputs[0]].type.shape
        let padding = outputShape.count - rank
        let inputStrides = outputShape.indices.map { axis in
            axis < padding || inputShape[axis - padding] == 1 ? 0 : strides[axis - padding]
        }
        return one(gathered(StridedGather(shape: outputShape, inputStrides: inputStrides, inputOffset: 0)))
    case "tile":
        let outputShape = graph[node.outputs[0]].type.shape
        let resultStrides = rowMajorStrides(outputShape)
        var shape: [Int] = [], resultMap: [Int] = [], inputMap: [Int] = []
        for axis in 0..<rank {
            shape += [outputShape[axis] / inputShape[axis], inputShape[axis]]
            resultMap += [inputShape[axis] * resultStrides[axis], resultStrides[axis]]
            inputMap += [0, strides[axis]]
        }
        return one(gathered(StridedGather(shape: shape, resultStrides: resultMap, inputStrides: inputMap, inputOffset: 0)))
    case "reverse":
        let axes = Set(reverseAxes(node, rank: rank))
        let offset = axes.reduce(0) { $0 + (inputShape[$1] - 1) * strides[$1] }
        let inputStrides = (0..<rank).map { axes.contains($0) ? -strides[$0] : strides[$0] }
        return one(gathered(StridedGather(shape: inputShape, inputStrides: inputStrides, inputOffset: offset)))
    case "gather":
        guard let indices = node.operand("indices") else { return nil }
        return one(.dataMovement(.gather(axis: node.int("axis") ?? 0)), [input, indices])
    case "pad":
        let p = try PadParameters(node, graph)
        return one(.dataMovement(.pad(beginning: p.beginning, mode: p.mode, value: node.double("value") ?? 0)))
    case "triangular":
        return one(.dataMovement(.triangular(upper: node.bool("upper") ?? true, diagonal: node.int("diagonal") ?? 0)))
    case "gatherElements", "gatherND", "scatterElements", "scatterND":
        guard let indices = node.operand("indices") else { return nil }
        let axis = node.int("axis") ?? 0
        let kernel: DataMovementKernel = switch node.op {
        case "gatherElements": .gatherElements(axis: axis)
        case "gatherND": .gatherND
        case "scatterElements": .scatterElements(axis: axis)
        default: .scatterND
        }
        return one(.dataMovement(kernel), [input, indices] + [node.operand("updates")].compactMap { $0 })
    case "cumulativeSum":
        guard let axis = node.int("axis") else { return nil }
        return one(.reduction(.cumulativeSum(axis: axis, exclusive: node.bool("exclusive") ?? false,
                                             reversed: node.bool("reversed") ?? false)))
    case "argMin", "argMax":
        guard let axis = node.int("axis") else { return nil }
        return one(.reduction(.argument(findsMaximum: node.op == "argMax", axis: axis)))
    default:
        guard let op = ReduceOperator(rawValue: node.op) else { return nil }
        return one(.reduction(.reduce(op, axes: try ReductionParameters(node, graph).axes)))
    }
}
