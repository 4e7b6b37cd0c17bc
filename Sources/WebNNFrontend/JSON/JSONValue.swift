import WebNNBasics

/// A parsed JSON value that remembers where it was written, so errors about the manifest and
/// the conformance files can point at the offending line.
public struct JSONValue: Equatable, Sendable {
    public indirect enum Kind: Equatable, Sendable {
        case null
        case boolean(Bool)
        /// A number, kept exact when it is an integer.
        case number(NumberLiteral)
        case string(String)
        case array([JSONValue])
        /// Members in source order (keys are unique; the parser rejects duplicates).
        case object([(key: String, value: JSONValue)])

        public static func == (lhs: Kind, rhs: Kind) -> Bool {
            switch (lhs, rhs) {
            case (.null, .null): return true
            case (.boolean(let a), .boolean(let b)): return a == b
            case (.number(let a), .number(let b)): return a == b
            case (.string(let a), .string(let b)): return a == b
            case (.array(let a), .array(let b)): return a == b
            case (.object(let a), .object(let b)):
                return a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
            default: return false
            }
        }
    }

    public var kind: Kind
    public var location: SourceLocation

    /// The member `key` of an object; nil for a missing key or a non-object.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = kind else { return nil }
        return members.first { $0.key == key }?.value
    }

    /// The members of an object, or nil.
    public var objectMembers: [(key: String, value: JSONValue)]? {
        if case .object(let members) = kind { return members }
        return nil
    }

    /// The elements of an array, or nil.
    public var arrayElements: [JSONValue]? {
        if case .array(let elements) = kind { return elements }
        return nil
    }

    /// The string, or nil.
    public var stringValue: String? {
        if case .string(let value) = kind { return value }
        return nil
    }

    /// The number as written, or nil.
    public var numberValue: NumberLiteral? {
        if case .number(let value) = kind { return value }
        return nil
    }

    /// A JSON integer that is exactly representable (`3` or `3.0`), or nil.
    public var integerValue: Int64? {
        switch kind {
        case .number(.integer(let value)): return value
        case .number(.float(let value)): return Int64(exactly: value)
        default: return nil
        }
    }

    /// What kind of value this is, for error messages ("an object", "a string", ...).
    public var kindDescription: String {
        switch kind {
        case .null: return "null"
        case .boolean: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}
