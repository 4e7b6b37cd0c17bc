import WebNNBasics
import WebNNIR

/// Computes the outputs of one node from the values of its operands.
typealias Kernel = @Sendable (OperatorCall) throws -> [TensorValue]

/// One node about to be evaluated: the node, its graph (for parameter views), the values of
/// its operands (aligned with `node.operands`) and its inferred output types.
struct OperatorCall {
    let node: Node
    let graph: Graph
    let operands: [TensorValue?]
    let outputTypes: [TensorType]

    var op: String { node.op }
    /// The type of the first (for every current operator, the only) output.
    var outputType: TensorType { outputTypes[0] }

    /// The value of the optional operand parameter `name` (nil when absent).
    func optionalOperand(_ name: String) -> TensorValue? {
        guard let index = node.schema.operandParameterNames.firstIndex(of: name), index < operands.count else { return nil }
        return operands[index]
    }

    /// The value of the required operand parameter `name`.
    func operand(_ name: String) throws -> TensorValue {
        guard let value = optionalOperand(name) else {
            throw InterpreterError.invalidNode(op: op, message: "missing operand '\(name)'")
        }
        return value
    }

    /// The elements of a float operand (float32 or float16, computed as Float).
    func floats(_ name: String) throws -> [Float] {
        try floats(of: operand(name))
    }

    /// The elements of `value`, which must be a float tensor.
    func floats(of value: TensorValue) throws -> [Float] {
        guard let floats = value.elements.floats else { throw InterpreterError.unsupportedDataType(op: op, value.dataType) }
        return floats
    }

    /// An `MLNumber` option (alpha, epsilon, ...) cast to the float output type, as WebNN casts it.
    func floatNumber(_ value: Double) throws -> Double {
        guard let cast = TensorValue(number: value, as: outputType.dataType).elements.floats else {
            throw InterpreterError.unsupportedDataType(op: op, outputType.dataType)
        }
        return Double(cast[0])
    }

    /// A parameter view of the node (`Conv2dParameters.init`, ...), its rule violations reported as `invalidNode`.
    func parameters<View>(_ view: (Node, Graph) throws -> View) throws -> View {
        do {
            return try view(node, graph)
        } catch let error as ShapeError {
            throw InterpreterError.invalidNode(op: op, message: error.message)
        }
    }

    /// The single result of a float operator, stored as the output type.
    func output(floats: [Float]) -> [TensorValue] {
        [TensorValue(outputType, floats: floats)]
    }

    /// The single result of an operator, stored as the output type.
    func output(_ elements: TensorValue.Elements) -> [TensorValue] {
        [TensorValue(outputType, elements)]
    }
}
