import Foundation
import WebNNBasics

/// The value of a non-operand parameter or option of an operator.
public enum Attribute: Hashable, Sendable, CustomStringConvertible {
    case int(Int64)
    case double(Double)
    case bool(Bool)
    case string(String)
    case ints([Int64])
    case doubles([Double])
    /// A list of enum values (the recurrent operators' `activations`).
    case strings([String])

    /// The value as an integer (doubles with an integral value qualify).
    public var intValue: Int? {
        switch self {
        case .int(let value): return Int(value)
        case .double(let value) where value.rounded() == value && abs(value) < 9e15: return Int(value)
        default: return nil
        }
    }

    /// The value as a number (`MLNumber`).
    public var doubleValue: Double? {
        switch self {
        case .int(let value): return Double(value)
        case .double(let value): return value
        default: return nil
        }
    }

    /// The value as a list of integers (a lone integer counts as a one-element list only if `allowScalar`).
    public var intsValue: [Int]? {
        switch self {
        case .ints(let values): return values.map { Int($0) }
        case .doubles(let values) where values.allSatisfy({ $0.rounded() == $0 && abs($0) < 9e15 }): return values.map { Int($0) }
        default: return nil
        }
    }

    public var doublesValue: [Double]? {
        switch self {
        case .ints(let values): return values.map(Double.init)
        case .doubles(let values): return values
        default: return nil
        }
    }

    public var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    public var stringsValue: [String]? {
        if case .strings(let values) = self { return values }
        return nil
    }

    /// The value as written in `.webnn` text.
    public var description: String {
        switch self {
        case .int(let value): return String(value)
        case .double(let value): return formatNumber(value)
        case .bool(let value): return value ? "true" : "false"
        case .string(let value): return "\"\(value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\""))\""
        case .ints(let values): return "[" + values.map(String.init).joined(separator: ", ") + "]"
        case .doubles(let values): return "[" + values.map(formatNumber).joined(separator: ", ") + "]"
        case .strings(let values): return "[" + values.map { Attribute.string($0).description }.joined(separator: ", ") + "]"
        }
    }
}

/// Shortest text that reads back as the same Double, in the `.webnn` number syntax
/// (always with a `.` or exponent so that it reads back as a float).
public func formatNumber(_ value: Double) -> String {
    var text = "\(value)"
    if text.hasSuffix(".0") { return text }
    if !text.contains(".") && !text.contains("e") { text += ".0" }
    if let exponent = text.firstIndex(of: "e"), !text[..<exponent].contains(".") {
        text.insert(contentsOf: ".0", at: exponent)
    }
    return text
}
