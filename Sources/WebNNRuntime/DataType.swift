/// An operand data type: WebNN's `MLOperandDataType`, with the ABI codes of `webnnc_data_type`.
public enum DataType: Int32, CaseIterable, Sendable, CustomStringConvertible {
    case float32 = 0
    case float16 = 1
    case int32 = 2
    case uint32 = 3
    case int64 = 4
    case uint64 = 5
    case int8 = 6
    case uint8 = 7

    /// The data type with WebNN's name `name` (`"float32"`, `"int8"`, ...), or nil.
    public init?(webnnName name: String) {
        guard let match = DataType.allCases.first(where: { $0.webnnName == name }) else { return nil }
        self = match
    }

    /// WebNN's name: `float32`, `float16`, `int32`, `uint32`, `int64`, `uint64`, `int8`, `uint8`.
    public var webnnName: String {
        switch self {
        case .float32: "float32"
        case .float16: "float16"
        case .int32: "int32"
        case .uint32: "uint32"
        case .int64: "int64"
        case .uint64: "uint64"
        case .int8: "int8"
        case .uint8: "uint8"
        }
    }

    /// Bytes per element.
    public var elementSize: Int {
        switch self {
        case .int8, .uint8: 1
        case .float16: 2
        case .float32, .int32, .uint32: 4
        case .int64, .uint64: 8
        }
    }

    public var description: String { webnnName }
}
