/// A WebNN `MLOperandDataType`.
public enum DataType: String, CaseIterable, Sendable, Hashable {
    case float32, float16, int32, uint32, int64, uint64, int8, uint8

    /// Bytes per element.
    public var byteSize: Int {
        switch self {
        case .float32, .int32, .uint32: return 4
        case .float16: return 2
        case .int64, .uint64: return 8
        case .int8, .uint8: return 1
        }
    }

    /// The short name used by the `.webnn` text format (`f32`, `i64`, ...).
    public var shortName: String {
        switch self {
        case .float32: return "f32"
        case .float16: return "f16"
        case .int32: return "i32"
        case .uint32: return "u32"
        case .int64: return "i64"
        case .uint64: return "u64"
        case .int8: return "i8"
        case .uint8: return "u8"
        }
    }

    /// Parses a short name (`f32`) of the text format.
    public init?(shortName: String) {
        guard let match = DataType.allCases.first(where: { $0.shortName == shortName }) else { return nil }
        self = match
    }

    /// The numeric code used by the generated libraries' C ABI (`webnnc_data_type`).
    public var abiCode: Int32 { Int32(DataType.allCases.firstIndex(of: self)!) }

    public var isFloatingPoint: Bool { self == .float32 || self == .float16 }
    public var isSigned: Bool { self == .int32 || self == .int64 || self == .int8 }
}
