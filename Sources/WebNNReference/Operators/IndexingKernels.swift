import WebNNBasics
import WebNNIR

/// gather, gatherElements, gatherND, scatterElements and scatterND, for every data type.
///
/// An index counts from the end of its dimension when negative, and an index out of range is
/// clamped to the dimension (-size...size-1) first, so every index reads or writes some element.
/// Scatters copy the input and write the updates over it in row-major order of the indices: of
/// duplicate indices, the last one wins.
enum IndexingKernels {
    static let table: [String: Kernel] = [
        "gather": gather, "gatherElements": gatherElements, "gatherND": gatherND,
        "scatterElements": scatterElements, "scatterND": scatterND,
    ]

    /// out[before, j..., after] = input[before, indices[j...], after].
    private static func gather(_ call: OperatorCall) throws -> [TensorValue] {
        let input = try call.operand("input"), indices = try call.operand("indices")
        let axis = call.node.int("axis") ?? 0
        let size = input.shape[axis]
        let outer = input.shape[..<axis].reduce(1, *), inner = input.shape[(axis + 1)...].reduce(1, *)
        let positions = try resolvedIndices(indices, call).map { clampedIndex($0, size: size) }
        var sources: [Int] = []
        sources.reserveCapacity(call.outputType.elementCount)
        for before in 0..<outer {
            for position in positions {
                for after in 0..<inner { sources.append((before * size + position) * inner + after) }
            }
        }
        return [input.gathering(sources, shape: call.outputType.shape)]
    }

    /// out[p] = input[p with p[axis] = indices[p]].
    private static func gatherElements(_ call: OperatorCall) throws -> [TensorValue] {
        let input = try call.operand("input"), indices = try call.operand("indices")
        let targets = try elementTargets(input, indices, call)
        return [input.gathering(targets, shape: indices.shape)]
    }

    /// out[t, rest...] = input[indices[t, 0], ..., indices[t, k-1], rest...].
    private static func gatherND(_ call: OperatorCall) throws -> [TensorValue] {
        let input = try call.operand("input"), indices = try call.operand("indices")
        let (bases, sliceSize) = try ndBases(input, indices, call)
        let sources = bases.flatMap { base in (0..<sliceSize).map { base + $0 } }
        return [input.gathering(sources, shape: call.outputType.shape)]
    }

    /// A copy of input with out[p with p[axis] = indices[p]] = updates[p].
    private static func scatterElements(_ call: OperatorCall) throws -> [TensorValue] {
        let input = try call.operand("input"), indices = try call.operand("indices"), updates = try call.operand("updates")
        let targets = try elementTargets(input, indices, call)
        return [try scattering(updates, into: input, at: targets, call)]
    }

    /// A copy of input with out[indices[t, 0], ..., indices[t, k-1], rest...] = updates[t, rest...].
    private static func scatterND(_ call: OperatorCall) throws -> [TensorValue] {
        let input = try call.operand("input"), indices = try call.operand("indices"), updates = try call.operand("updates")
        let (bases, sliceSize) = try ndBases(input, indices, call)
        let targets = bases.flatMap { base in (0..<sliceSize).map { base + $0 } }
        return [try scattering(updates, into: input, at: targets, call)]
    }

    /// The input's elements with update `i` written at flat index `targets[i]`, in order.
    private static func scattering(_ updates: TensorValue, into input: TensorValue, at targets: [Int],
                                   _ call: OperatorCall) throws -> TensorValue {
        guard let joined = TensorValue.Elements.concatenation([input.elements, updates.elements]) else {
            throw InterpreterError.invalidNode(op: call.op, message: "input and updates have different data types")
        }
        var sources = Array(0..<input.type.elementCount)
        for (update, target) in targets.enumerated() { sources[target] = input.type.elementCount + update }
        return TensorValue(input.type, joined.gathering(sources))
    }

    /// gatherElements/scatterElements: for each element of indices, the flat input index it names.
    private static func elementTargets(_ input: TensorValue, _ indices: TensorValue, _ call: OperatorCall) throws -> [Int] {
        let axis = call.node.int("axis") ?? 0
        let values = try resolvedIndices(indices, call)
        let strides = rowMajorStrides(input.shape)
        var flat = 0
        return StridedIndices.positionalIndices(shape: indices.shape) { position in
            defer { flat += 1 }
            var target = 0
            for dimension in 0..<position.count {
                let coordinate = dimension == axis ? clampedIndex(values[flat], size: input.shape[axis]) : position[dimension]
                target += coordinate * strides[dimension]
            }
            return target
        }
    }

    /// gatherND/scatterND: the flat input index where each index tuple's slice starts, and the slice size.
    private static func ndBases(_ input: TensorValue, _ indices: TensorValue, _ call: OperatorCall) throws -> ([Int], Int) {
        let values = try resolvedIndices(indices, call)
        let k = indices.shape[indices.shape.count - 1]
        let strides = rowMajorStrides(input.shape)
        let tuples = values.count / k
        let bases = (0..<tuples).map { tuple in
            (0..<k).reduce(0) { $0 + clampedIndex(values[tuple * k + $1], size: input.shape[$1]) * strides[$1] }
        }
        return (bases, input.shape[k...].reduce(1, *))
    }

    /// The elements of an index tensor as Int64 (uint64 values beyond Int64.max become Int64.max).
    private static func resolvedIndices(_ indices: TensorValue, _ call: OperatorCall) throws -> [Int64] {
        switch indices.elements {
        case .signed(let values): return values
        case .unsigned(let values): return values.map { Int64(clamping: $0) }
        case .floats: throw InterpreterError.unsupportedDataType(op: call.op, indices.dataType)
        }
    }

    /// `index` clamped to -size...size-1, then counted from the end when negative.
    private static func clampedIndex(_ index: Int64, size: Int) -> Int {
        let clamped = Int(min(max(index, -Int64(size)), Int64(size) - 1))
        return clamped < 0 ? clamped + size : clamped
    }
}
