/// A tensor's contents: its type and its elements as row-major little-endian bytes.
public struct TensorData: Equatable, Sendable {
    public var type: TensorType
    public var bytes: [UInt8]

    /// Wraps raw bytes; returns nil when their count is not `type.byteSize`.
    public init?(type: TensorType, bytes: [UInt8]) {
        guard bytes.count == type.byteSize else { return nil }
        self.type = type
        self.bytes = bytes
    }

    /// A float32 tensor.
    public init(float32 values: [Float], shape: [Int]) {
        precondition(count(values.count, matchesShape: shape), "value count does not match shape")
        type = TensorType(.float32, shape)
        bytes = values.withUnsafeBytes { Array($0) }
    }

    /// A tensor of any type from numbers, each converted as WebNN's `MLNumber` cast does:
    /// floats round to nearest, integers truncate toward zero and wrap to the type's width.
    public init(_ dataType: DataType, shape: [Int], values: [Double]) {
        precondition(count(values.count, matchesShape: shape), "value count does not match shape")
        type = TensorType(dataType, shape)
        bytes = []
        bytes.reserveCapacity(type.byteSize)
        for value in values { TensorData.appendElement(value, as: dataType, to: &bytes) }
    }

    /// A tensor of an integer type from exact 64-bit integers (wrapping to the type's width).
    public init(_ dataType: DataType, shape: [Int], integers: [Int64]) {
        precondition(count(integers.count, matchesShape: shape), "value count does not match shape")
        type = TensorType(dataType, shape)
        bytes = []
        bytes.reserveCapacity(type.byteSize)
        for value in integers {
            if dataType.isFloatingPoint {
                TensorData.appendElement(Double(value), as: dataType, to: &bytes)
            } else {
                withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0.prefix(dataType.byteSize)) }
            }
        }
    }

    /// A tensor whose every element is `value`.
    public init(filling dataType: DataType, shape: [Int], with value: Double) {
        self.init(dataType, shape: shape, values: [Double](repeating: value, count: shape.reduce(1, *)))
    }

    public var elementCount: Int { type.elementCount }

    /// Element `index` (row-major) as a Double (exact for every type but 64-bit integers > 2^53).
    public func double(at index: Int) -> Double {
        let offset = index * type.dataType.byteSize
        return bytes.withUnsafeBytes { raw -> Double in
            switch type.dataType {
            case .float32: return Double(raw.loadUnaligned(fromByteOffset: offset, as: Float.self))
            case .float16: return Double(float16ToFloat(raw.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
            case .int32: return Double(raw.loadUnaligned(fromByteOffset: offset, as: Int32.self))
            case .uint32: return Double(raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
            case .int64: return Double(raw.loadUnaligned(fromByteOffset: offset, as: Int64.self))
            case .uint64: return Double(raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
            case .int8: return Double(raw.loadUnaligned(fromByteOffset: offset, as: Int8.self))
            case .uint8: return Double(raw.loadUnaligned(fromByteOffset: offset, as: UInt8.self))
            }
        }
    }

    /// A float truncated toward zero and clamped to Int64's range (NaN: 0), never a trap: a
    /// float tensor where a reader expects integers is bad input, not a crash.
    static func saturatingInteger(_ value: Double) -> Int64 {
        if value.isNaN { return 0 }
        if value >= 0x1p63 { return .max }
        if value < -0x1p63 { return .min }
        return Int64(value)
    }

    /// Element `index` of an integer tensor as an exact Int64 (uint64 values above Int64.max wrap;
    /// float elements truncate toward zero, clamped to Int64's range, NaN reading as 0).
    public func integer(at index: Int) -> Int64 {
        let offset = index * type.dataType.byteSize
        return bytes.withUnsafeBytes { raw -> Int64 in
            switch type.dataType {
            case .int32: return Int64(raw.loadUnaligned(fromByteOffset: offset, as: Int32.self))
            case .uint32: return Int64(raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
            case .int64: return raw.loadUnaligned(fromByteOffset: offset, as: Int64.self)
            case .uint64: return Int64(bitPattern: raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
            case .int8: return Int64(raw.loadUnaligned(fromByteOffset: offset, as: Int8.self))
            case .uint8: return Int64(raw.loadUnaligned(fromByteOffset: offset, as: UInt8.self))
            case .float32, .float16: return TensorData.saturatingInteger(double(at: index))
            }
        }
    }

    /// All elements as Doubles.
    public var doubles: [Double] { (0..<elementCount).map(double(at:)) }

    /// All elements as Floats (float32 tensors are returned exactly).
    public var floats: [Float] {
        if type.dataType == .float32 {
            return bytes.withUnsafeBytes { raw in (0..<elementCount).map { raw.loadUnaligned(fromByteOffset: $0 * 4, as: Float.self) } }
        }
        return doubles.map(Float.init)
    }

    /// All elements of an integer tensor as exact Int64s.
    public var integers: [Int64] { (0..<elementCount).map(integer(at:)) }

    /// Appends `value` converted to `dataType` (MLNumber cast rules) as little-endian bytes.
    public static func appendElement(_ value: Double, as dataType: DataType, to bytes: inout [UInt8]) {
        func append<T>(_ element: T) { withUnsafeBytes(of: element) { bytes.append(contentsOf: $0) } }
        switch dataType {
        case .float32: append(Float(value))
        case .float16: append(floatToFloat16(Float(value)))
        case .int32: append(Int32(truncatingIfNeeded: wrappingInteger(value)))
        case .uint32: append(UInt32(truncatingIfNeeded: wrappingInteger(value)))
        case .int64: append(wrappingInteger(value))
        case .uint64: append(UInt64(truncatingIfNeeded: wrappingInteger(value)))
        case .int8: append(Int8(truncatingIfNeeded: wrappingInteger(value)))
        case .uint8: append(UInt8(truncatingIfNeeded: wrappingInteger(value)))
        }
    }

    /// Truncates toward zero; NaN becomes 0 and out-of-range values saturate to Int64's range.
    private static func wrappingInteger(_ value: Double) -> Int64 {
        if value.isNaN { return 0 }
        if value >= 9.223372036854775807e18 { return value >= 1.8446744073709552e19 ? Int64.max : Int64(bitPattern: UInt64(value)) }
        if value <= -9.223372036854775808e18 { return Int64.min }
        return Int64(value.rounded(.towardZero))
    }
}

/// Whether `shape` holds `count` elements (false, not a trap, when its product overflows).
private func count(_ count: Int, matchesShape shape: [Int]) -> Bool {
    if shape.contains(0) { return count == 0 }
    var product = 1
    for dimension in shape {
        let (next, overflow) = product.multipliedReportingOverflow(by: dimension)
        if overflow { return false }
        product = next
    }
    return count == product
}

/// IEEE binary16 bits to Float.
public func float16ToFloat(_ bits: UInt16) -> Float {
    Float(Float16(bitPattern: bits))
}

/// Float to IEEE binary16 bits, rounding to nearest even (overflow gives ±infinity).
public func floatToFloat16(_ value: Float) -> UInt16 {
    Float16(value).bitPattern
}
