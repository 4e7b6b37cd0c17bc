import WebNNBasics

/// A shape or type rule of an operator was violated; the graph builder adds the op name and location.
public struct ShapeError: Error, Equatable, Sendable {
    public var message: String
    public init(_ message: String) { self.message = message }
}

/// What a parameter of an operator accepts.
public enum ParameterKind: Hashable, Sendable {
    /// One operand.
    case operand
    /// A sequence of operands (concat's `inputs`).
    case operandList
    case int
    /// An `MLNumber` (integers are accepted too).
    case number
    case bool
    /// One of the listed strings (a WebNN enum).
    case enumeration([String])
    /// A list of the listed strings (the recurrent operators' `activations`).
    case enumerationList([String])
    case ints
    case numbers
    /// Either one integer or a list of integers (split's `splits`).
    case intOrInts
    /// An `MLOperandDataType` name.
    case dataType
    /// A list of arbitrary strings (webnnc's `fusedElementwise` program).
    case strings

    public var isOperand: Bool { self == .operand || self == .operandList }

    /// How the kind is named in error messages.
    public var displayName: String {
        switch self {
        case .operand: return "operand"
        case .operandList: return "list of operands"
        case .int: return "integer"
        case .number: return "number"
        case .bool: return "boolean"
        case .enumeration(let cases): return "one of " + cases.map { "\"\($0)\"" }.joined(separator: ", ")
        case .enumerationList(let cases): return "list of " + cases.map { "\"\($0)\"" }.joined(separator: ", ")
        case .ints: return "list of integers"
        case .numbers: return "list of numbers"
        case .intOrInts: return "integer or list of integers"
        case .dataType: return "data type name"
        case .strings: return "list of strings"
        }
    }
}

/// A positional parameter or named option of an operator, with its WebNN name.
public struct Parameter: Hashable, Sendable {
    public var name: String
    public var kind: ParameterKind
    /// The value used when the parameter is absent (nil: absent means "not given").
    public var defaultValue: Attribute?
    /// Other names a call may give the parameter by (an earlier spec's name); `name` is the one
    /// stored and printed.
    public var aliases: [String]

    public init(_ name: String, _ kind: ParameterKind, default defaultValue: Attribute? = nil, aliases: [String] = []) {
        self.name = name
        self.kind = kind
        self.defaultValue = defaultValue
        self.aliases = aliases
    }
}

/// The declaration of one WebNN operator: its signature, as in `MLGraphBuilder`, and its shape rule.
/// Parsing, binding, printing and verification are all driven by this table.
public struct OpSchema: Sendable {
    public var name: String
    /// Required positional parameters, in WebNN order (`softmax(input, axis)`).
    public var positional: [Parameter]
    /// Members of the options dictionary.
    public var options: [Parameter]
    /// Output types from the node's operands and attributes.
    public var inferOutputs: @Sendable (Node, Graph) throws -> [TensorType]

    public init(_ name: String, positional: [Parameter], options: [Parameter] = [],
                infer: @escaping @Sendable (Node, Graph) throws -> [TensorType]) {
        self.name = name
        self.positional = positional
        self.options = options
        self.inferOutputs = infer
    }

    /// Operand parameters in the order of `Node.operands`: positional ones, then operand options.
    public var operandParameterNames: [String] {
        (positional + options).filter { $0.kind.isOperand }.map(\.name)
    }

    /// The parameter called `name`, or that has `name` as an alias.
    public func parameter(named name: String) -> Parameter? {
        let all = positional + options
        return all.first { $0.name == name } ?? all.first { $0.aliases.contains(name) }
    }

    /// Every registered operator, by WebNN name.
    public static let registry: [String: OpSchema] = {
        var table: [String: OpSchema] = [:]
        for schema in allOperatorSchemas { table[schema.name] = schema }
        return table
    }()
}

/// The types of a node's operands, for shape rules.
public struct OperandTypes {
    let node: Node
    let graph: Graph

    public init(_ node: Node, _ graph: Graph) {
        self.node = node
        self.graph = graph
    }

    /// The type of operand parameter `name`; nil if that optional operand is absent.
    public func optional(_ name: String) -> TensorType? { node.operand(name).map { graph[$0].type } }

    /// The type of a required operand parameter.
    public func callAsFunction(_ name: String) throws -> TensorType {
        guard let type = optional(name) else { throw ShapeError("missing operand '\(name)'") }
        return type
    }

    /// Types of all operands (for operand lists).
    public var all: [TensorType] { node.operands.compactMap { $0 }.map { graph[$0].type } }
}
