import WebNNBasics

/// A tensor's elements decoded into the type the interpreter computes in: float32 and float16
/// as `Float`, int8/int32/int64 as `Int64`, uint8/uint32/uint64 as `UInt64`.
///
/// Every element is exactly representable in `type.dataType`: the initializers round floats
/// (float16) and wrap integers to the data type, which is the "round on store" that each
/// operator's result goes through before the next operator reads it.
struct TensorValue: Equatable, Sendable {
    /// The elements, row-major, in their computation type.
    enum Elements: Equatable, Sendable {
        case floats([Float])
        case signed([Int64])
        case unsigned([UInt64])

        var floats: [Float]? { if case .floats(let values) = self { values } else { nil } }
        var signed: [Int64]? { if case .signed(let values) = self { values } else { nil } }
        var unsigned: [UInt64]? { if case .unsigned(let values) = self { values } else { nil } }

        /// The elements of `parts` one after another; nil unless they are all of one kind.
        static func concatenation(_ parts: [Elements]) -> Elements? {
            let floats = parts.compactMap(\.floats), signed = parts.compactMap(\.signed), unsigned = parts.compactMap(\.unsigned)
            if floats.count == parts.count { return .floats(floats.flatMap { $0 }) }
            if signed.count == parts.count { return .signed(signed.flatMap { $0 }) }
            if unsigned.count == parts.count { return .unsigned(unsigned.flatMap { $0 }) }
            return nil
        }

        /// The elements at `indices`, in that order (data movement for every type).
        func gathering(_ indices: [Int]) -> Elements {
            switch self {
            case .floats(let values): return .floats(Array(count: indices.count) { values[indices[$0]] })
            case .signed(let values): return .signed(Array(count: indices.count) { values[indices[$0]] })
            case .unsigned(let values): return .unsigned(Array(count: indices.count) { values[indices[$0]] })
            }
        }
    }

    let type: TensorType
    let elements: Elements

    var shape: [Int] { type.shape }
    var dataType: DataType { type.dataType }

    /// Float elements stored as `type` (rounded to float16 when that is the type).
    init(_ type: TensorType, floats: [Float]) {
        precondition(type.dataType.isFloatingPoint && floats.count == type.elementCount)
        self.type = type
        elements = .floats(type.dataType == .float16 ? Array(count: floats.count) { Float(Float16(floats[$0])) } : floats)
    }

    /// Signed integer elements stored as `type` (wrapped to its width).
    init(_ type: TensorType, signed: [Int64]) {
        precondition(type.dataType.isSigned && signed.count == type.elementCount)
        let bits = type.dataType.byteSize * 8
        self.type = type
        // Shifting left then arithmetically right keeps the low `bits` bits, sign-extended.
        elements = .signed(bits == 64 ? signed : Array(count: signed.count) { (signed[$0] << (64 - bits)) >> (64 - bits) })
    }

    /// Unsigned integer elements stored as `type` (wrapped to its width).
    init(_ type: TensorType, unsigned: [UInt64]) {
        precondition(!type.dataType.isFloatingPoint && !type.dataType.isSigned && unsigned.count == type.elementCount)
        let bits = type.dataType.byteSize * 8
        self.type = type
        elements = .unsigned(bits == 64 ? unsigned : Array(count: unsigned.count) { unsigned[$0] & ((1 << bits) - 1) })
    }

    /// Elements of any kind stored as `type`; the kind must match the data type.
    init(_ type: TensorType, _ elements: Elements) {
        switch elements {
        case .floats(let values): self.init(type, floats: values)
        case .signed(let values): self.init(type, signed: values)
        case .unsigned(let values): self.init(type, unsigned: values)
        }
    }

    /// Decodes tensor bytes.
    init(_ data: TensorData) {
        /// The elements stored in `bytes` as `Element`s (every supported host is little-endian).
        func load<Element>(_: Element.Type) -> [Element] {
            [Element](unsafeUninitializedCapacity: data.elementCount) { buffer, initialized in
                data.bytes.withUnsafeBytes { UnsafeMutableRawBufferPointer(buffer).copyMemory(from: $0) }
                initialized = data.elementCount
            }
        }
        /// The elements stored as `Stored`, widened to their computation type.
        func load<Stored, Element>(_: Stored.Type, as widen: (Stored) -> Element) -> [Element] {
            let stored = load(Stored.self)
            return Array(count: stored.count) { widen(stored[$0]) }
        }
        let elements: Elements
        switch data.type.dataType {
        case .float32: elements = .floats(load(Float.self))
        case .float16: elements = .floats(load(Float16.self, as: Float.init))
        case .int8: elements = .signed(load(Int8.self, as: Int64.init))
        case .int32: elements = .signed(load(Int32.self, as: Int64.init))
        case .int64: elements = .signed(load(Int64.self))
        case .uint8: elements = .unsigned(load(UInt8.self, as: UInt64.init))
        case .uint32: elements = .unsigned(load(UInt32.self, as: UInt64.init))
        case .uint64: elements = .unsigned(load(UInt64.self))
        }
        self.init(data.type, elements)
    }

    /// A scalar holding `number` cast to `dataType` as WebNN casts an `MLNumber`.
    init(number: Double, as dataType: DataType) {
        self.init(TensorData(dataType, shape: [], values: [number]))
    }

    /// The same elements under another shape with the same element count.
    func reshaped(_ shape: [Int]) -> TensorValue {
        TensorValue(TensorType(dataType, shape), elements)
    }

    /// The elements at `indices` as a tensor of `shape` (one index per output element).
    func gathering(_ indices: [Int], shape: [Int]) -> TensorValue {
        TensorValue(TensorType(dataType, shape), elements.gathering(indices))
    }

    /// Encodes the elements as little-endian bytes of `type`.
    var data: TensorData {
        /// The in-memory bytes of `values` (every supported host is little-endian).
        func bytes<Element>(_ values: [Element]) -> [UInt8] { values.withUnsafeBytes { Array($0) } }
        /// The bytes of `values` narrowed to their stored type.
        func bytes<Element, Stored>(_ values: [Element], as narrow: (Element) -> Stored) -> [UInt8] {
            bytes(Array(count: values.count) { narrow(values[$0]) })
        }
        let encoded: [UInt8]
        switch (elements, dataType) {
        case (.floats(let values), .float16): encoded = bytes(values, as: Float16.init)
        case (.floats(let values), _): encoded = bytes(values)
        case (.signed(let values), .int8): encoded = bytes(values, as: Int8.init(truncatingIfNeeded:))
        case (.signed(let values), .int32): encoded = bytes(values, as: Int32.init(truncatingIfNeeded:))
        case (.signed(let values), _): encoded = bytes(values)
        case (.unsigned(let values), .uint8): encoded = bytes(values, as: UInt8.init(truncatingIfNeeded:))
        case (.unsigned(let values), .uint32): encoded = bytes(values, as: UInt32.init(truncatingIfNeeded:))
        case (.unsigned(let values), _): encoded = bytes(values)
        }
        guard let data = TensorData(type: type, bytes: encoded) else { preconditionFailure("byte count does not match \(type)") }
        return data
    }
}
