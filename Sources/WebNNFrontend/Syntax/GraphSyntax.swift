import WebNNBasics

/// A parsed `.webnn` file (or its JSON twin): the graph as written, before binding.
/// Every part carries the location it was read from.
public struct GraphSyntax: Equatable, Sendable {
    /// The graph name from the header.
    public var name: String
    /// The format version from the header (1 or 2).
    public var version: Int
    /// The header's `@quantized` flag.
    public var isQuantized: Bool
    /// Graph inputs, in source order (blocks merged).
    public var inputs: [OperandDeclarationSyntax]
    /// Constants, in source order (blocks merged).
    public var constants: [ConstantDeclarationSyntax]
    /// Statements of the `nodes` blocks, in source order.
    public var statements: [StatementSyntax]
    /// Names listed in the `outputs` blocks.
    public var outputs: [IdentifierSyntax]
    /// Where the header starts.
    public var location: SourceLocation
}

/// A name and where it was written.
public struct IdentifierSyntax: Equatable, Sendable {
    public var name: String
    public var location: SourceLocation

    public init(_ name: String, at location: SourceLocation) {
        self.name = name
        self.location = location
    }
}

/// A tensor type such as `f32[1, 3, 224, 224]` or `f32[dyn("batch", 8), 4]`.
public struct TensorTypeSyntax: Equatable, Sendable {
    /// The type; a dynamic dimension stands at its maximum until `GraphSyntax.specialized(dimensions:)`
    /// replaces it with its bound value.
    public var type: TensorType
    public var location: SourceLocation
    /// The `dyn("name", max)` dimensions still to be bound (empty once specialized).
    public var dynamicDimensions: [DynamicDimensionSyntax] = []

    public init(type: TensorType, location: SourceLocation, dynamicDimensions: [DynamicDimensionSyntax] = []) {
        self.type = type
        self.location = location
        self.dynamicDimensions = dynamicDimensions
    }
}

/// `dyn("name", max)`: a named input dimension of at most `maximum`, which an ahead-of-time
/// compiler binds to one value (`--dim name=N`).
public struct DynamicDimensionSyntax: Equatable, Sendable {
    /// The axis of the dimension in its shape.
    public var axis: Int
    public var name: String
    public var maximum: Int
    public var location: SourceLocation
}

/// `name: type;` in an `inputs` block.
public struct OperandDeclarationSyntax: Equatable, Sendable {
    public var name: IdentifierSyntax
    public var type: TensorTypeSyntax
}

/// `name: type [annotation];` in a `consts` block.
public struct ConstantDeclarationSyntax: Equatable, Sendable {
    public var name: IdentifierSyntax
    public var type: TensorTypeSyntax
    /// Where the data comes from; without an annotation, `@weights("<name>")`.
    public var initializer: ConstantInitializerSyntax
}

/// The source of a constant's data.
public struct ConstantInitializerSyntax: Equatable, Sendable {
    public enum Kind: Equatable, Sendable {
        /// `@weights("key")`: the tensor `key` of the weights manifest.
        case weights(key: String)
        /// `@scalar(value)`: every element of the declared shape is `value`.
        case scalar(NumberLiteral)
        /// `@bytes([...])`: raw little-endian bytes.
        case bytes([UInt8])
    }

    public var kind: Kind
    /// The annotation, or the constant's name when the initializer is implicit.
    public var location: SourceLocation
}

/// `name = expression;` or `[a, b] = expression;` in a `nodes` block.
public struct StatementSyntax: Equatable, Sendable {
    public enum Expression: Equatable, Sendable {
        /// `op(arguments)`.
        case call(CallSyntax)
        /// `y = x;`: another name for an operand.
        case alias(IdentifierSyntax)
    }

    /// The assigned names (more than one for `[a, b] = ...`).
    public var targets: [IdentifierSyntax]
    public var expression: Expression
    /// Where the statement starts.
    public var location: SourceLocation
}

/// `op(arguments)`.
public struct CallSyntax: Equatable, Sendable {
    public var operation: IdentifierSyntax
    public var arguments: [ArgumentSyntax]
}

/// A positional argument `value` or a named one `label=value`.
public struct ArgumentSyntax: Equatable, Sendable {
    public var label: IdentifierSyntax?
    public var value: ValueSyntax

    /// Where the argument starts (its label if named).
    public var location: SourceLocation { label?.location ?? value.location }
}

/// An argument value: a name, a literal, or a (possibly nested) array of values.
public struct ValueSyntax: Equatable, Sendable {
    public indirect enum Kind: Equatable, Sendable {
        case identifier(String)
        case string(String)
        case number(NumberLiteral)
        case boolean(Bool)
        case null
        case array([ValueSyntax])
        /// `{key: value, ...}` (keys are names or strings; unique).
        case object([ObjectMemberSyntax])
    }

    public var kind: Kind
    public var location: SourceLocation
}

/// One `key: value` member of an object literal.
public struct ObjectMemberSyntax: Equatable, Sendable {
    public var key: IdentifierSyntax
    public var value: ValueSyntax
}

/// A number as written: integers stay exact.
public enum NumberLiteral: Equatable, Sendable, CustomStringConvertible {
    case integer(Int64)
    case float(Double)

    /// The value as a Double (integers above 2^53 round).
    public var doubleValue: Double {
        switch self {
        case .integer(let value): return Double(value)
        case .float(let value): return value
        }
    }

    public var description: String {
        switch self {
        case .integer(let value): return String(value)
        case .float(let value): return String(value)
        }
    }
}
