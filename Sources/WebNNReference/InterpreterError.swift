import WebNNBasics

/// Why the reference interpreter could not run a graph or a node.
public enum InterpreterError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The graph input `name` was not given a value.
    case missingInput(String)
    /// A value was given for `name`, which is not an input of the graph.
    case unknownInput(String)
    /// The value given for input `name` has the wrong data type or shape.
    case inputTypeMismatch(name: String, expected: TensorType, actual: TensorType)
    /// The interpreter has no implementation of operator `op`.
    case unsupportedOperator(String)
    /// Operator `op` is not implemented for `dataType`.
    case unsupportedDataType(op: String, DataType)
    /// A node does not satisfy its operator's rules (the graph was not verified).
    case invalidNode(op: String, message: String)

    public var description: String {
        switch self {
        case .missingInput(let name):
            return "interpreter: no value given for input '\(name)'"
        case .unknownInput(let name):
            return "interpreter: '\(name)' is not an input of the graph"
        case .inputTypeMismatch(let name, let expected, let actual):
            return "interpreter: input '\(name)' must be \(expected), but the value given is \(actual)"
        case .unsupportedOperator(let op):
            return "interpreter: operator '\(op)' is not implemented"
        case .unsupportedDataType(let op, let dataType):
            return "interpreter: \(op) is not implemented for \(dataType.rawValue)"
        case .invalidNode(let op, let message):
            return "interpreter: invalid \(op) node: \(message)"
        }
    }
}
