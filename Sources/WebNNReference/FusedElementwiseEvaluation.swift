import WebNNBasics
import WebNNIR

/// webnnc's `fusedElementwise` (see `ElementwiseProgram`): the program's instructions are
/// evaluated one by one as the standalone nodes they stand for, with those operators' kernels,
/// so a fused node computes exactly what the separate nodes compute (each result rounded to
/// the data type, float16 included, as when stored).
enum FusedElementwiseKernels {
    static let table: [String: Kernel] = [ElementwiseProgram.operatorName: evaluate]

    private static func evaluate(_ call: OperatorCall) throws -> [TensorValue] {
        let inputs = try call.operands.map { operand in
            guard let operand else { throw InterpreterError.invalidNode(op: call.op, message: "missing input") }
            return operand
        }
        let expanded = try call.parameters(ElementwiseProgram.expanded(_:in:))
        var values = Dictionary(uniqueKeysWithValues: zip(expanded.inputs, inputs))
        for node in expanded.nodes {
            let result = try Interpreter.evaluate(node, in: expanded, operands: node.operands.map { $0.map { values[$0]! } })
            values[node.outputs[0]] = result[0]
        }
        return [values[expanded.outputs[0]]!]
    }
}
