import WebNNBasics
import WebNNIR

/// identity, reshape, transpose and concat: every data type, values copied exactly.
enum DataMovementKernels {
    static let table: [String: Kernel] = ["identity": identity, "reshape": reshape, "transpose": transpose, "concat": concat]

    private static func identity(_ call: OperatorCall) throws -> [TensorValue] {
        [try call.operand("input")]
    }

    private static func reshape(_ call: OperatorCall) throws -> [TensorValue] {
        [try call.operand("input").reshaped(call.outputType.shape)]
    }

    private static func transpose(_ call: OperatorCall) throws -> [TensorValue] {
        let input = try call.operand("input")
        let permutation = transposePermutation(call.node, rank: input.type.rank)
        let inputStrides = rowMajorStrides(input.shape)
        let indices = StridedIndices.sourceIndices(shape: call.outputType.shape,
                                                   sourceStrides: permutation.map { inputStrides[$0] })
        return [input.gathering(indices, shape: call.outputType.shape)]
    }

    /// The inputs joined along `axis`: for each position before the axis, each input's block in turn.
    private static func concat(_ call: OperatorCall) throws -> [TensorValue] {
        let inputs = call.operands.compactMap { $0 }
        guard let axis = call.node.int("axis"), let joined = TensorValue.Elements.concatenation(inputs.map(\.elements)) else {
            throw InterpreterError.invalidNode(op: call.op, message: "missing axis, or inputs of different data types")
        }
        let shape = call.outputType.shape
        let outer = shape[..<axis].reduce(1, *), inner = shape[(axis + 1)...].reduce(1, *)
        var indices: [Int] = []
        indices.reserveCapacity(call.outputType.elementCount)
        for before in 0..<outer {
            var start = 0
            for input in inputs {
                let block = input.shape[axis] * inner
                for offset in 0..<block { indices.append(start + before * block + offset) }
                start += input.type.elementCount
            }
        }
        return call.output(joined.gathering(indices))
    }
}
