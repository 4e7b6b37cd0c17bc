/// A dense tensor: a data type, a shape and its elements as raw row-major little-endian bytes
/// in 64-byte aligned memory. It has value semantics (copy on write).
public struct Tensor: Equatable, Sendable, CustomStringConvertible {
    /// The element type.
    public let dataType: DataType
    /// The dimensions, outermost first; empty for a scalar (rank 0).
    public let shape: [Int]
    private var storage: AlignedBuffer

    /// A tensor holding a copy of `bytes`, which must be exactly `product(shape) * elementSize` long.
    public init(dataType: DataType, shape: [Int], bytes: some Sequence<UInt8>) throws {
        let byteCount = try Tensor.byteCount(dataType: dataType, shape: shape)
        let array = Array(bytes)
        guard array.count == byteCount else {
            throw TensorError.byteCountMismatch(
                dataType: dataType, shape: shape, expected: byteCount, actual: array.count)
        }
        self.init(dataType: dataType, shape: shape,
                  storage: array.withUnsafeBytes { AlignedBuffer(copying: $0) })
    }

    /// A tensor with every byte zero.
    public init(zerosOf dataType: DataType, shape: [Int]) throws {
        try self.init(uninitializedOf: dataType, shape: shape)
        storage.mutableBytes.initializeMemory(as: UInt8.self, repeating: 0)
    }

    /// A tensor holding `values`, whose count must be the product of `shape`.
    public init<Element: TensorElement>(_ values: [Element], shape: [Int]) throws {
        let elementCount = try Tensor.elementCount(shape: shape)
        guard values.count == elementCount else {
            throw TensorError.elementCountMismatch(shape: shape, expected: elementCount, actual: values.count)
        }
        self.init(dataType: Element.dataType, shape: shape,
                  storage: values.withUnsafeBytes { AlignedBuffer(copying: $0) })
    }

    /// A rank-0 tensor holding `value`.
    public init<Element: TensorElement>(scalar value: Element) {
        self.init(dataType: Element.dataType, shape: [],
                  storage: Swift.withUnsafeBytes(of: value) { AlignedBuffer(copying: $0) })
    }

    /// A tensor whose bytes are not initialized yet: for outputs that a model run fills.
    init(uninitializedOf dataType: DataType, shape: [Int]) throws {
        let byteCount = try Tensor.byteCount(dataType: dataType, shape: shape)
        self.init(dataType: dataType, shape: shape, storage: AlignedBuffer(byteCount: byteCount))
    }

    private init(dataType: DataType, shape: [Int], storage: AlignedBuffer) {
        self.dataType = dataType
        self.shape = shape
        self.storage = storage
    }

    /// The number of elements: the product of `shape` (1 for a scalar).
    public var elementCount: Int { byteCount / dataType.elementSize }

    /// The number of bytes of data.
    public var byteCount: Int { storage.byteCount }

    /// A copy of the raw bytes.
    public var bytes: [UInt8] { Array(storage.bytes) }

    /// The elements as `Element`, which must match `dataType`.
    public func values<Element: TensorElement>(as type: Element.Type = Element.self) throws -> [Element] {
        guard Element.dataType == dataType else {
            throw TensorError.elementTypeMismatch(dataType: dataType, requested: Element.dataType)
        }
        return Array(storage.bytes.assumingMemoryBound(to: Element.self))
    }

    /// Calls `body` with the raw bytes.
    public func withUnsafeBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try body(storage.bytes)
    }

    /// Calls `body` with the raw bytes to change in place (copying them first if they are shared).
    public mutating func withUnsafeMutableBytes<Result>(
        _ body: (UnsafeMutableRawBufferPointer) throws -> Result
    ) rethrows -> Result {
        if !isKnownUniquelyReferenced(&storage) {
            storage = AlignedBuffer(copying: storage.bytes)
        }
        return try body(storage.mutableBytes)
    }

    /// The address of the data, valid while this tensor (or a copy sharing its storage) lives.
    var baseAddress: UnsafeMutableRawPointer { storage.pointer }

    /// Equal data types, shapes and bytes (so NaNs with equal bits are equal).
    public static func == (lhs: Tensor, rhs: Tensor) -> Bool {
        lhs.dataType == rhs.dataType && lhs.shape == rhs.shape
            && (lhs.storage === rhs.storage || lhs.storage.bytes.elementsEqual(rhs.storage.bytes))
    }

    /// Like `float32[2, 3]`.
    public var description: String { Tensor.describe(dataType: dataType, shape: shape) }

    static func describe(dataType: DataType, shape: [Int]) -> String {
        "\(dataType)[\(shape.map(String.init).joined(separator: ", "))]"
    }

    /// The product of `shape`, checking each dimension is non-negative and the product fits.
    static func elementCount(shape: [Int]) throws -> Int {
        var count = 1
        for dimension in shape {
            guard dimension >= 0 else { throw TensorError.invalidShape(shape) }
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            guard !overflow else { throw TensorError.invalidShape(shape) }
            count = product
        }
        return count
    }

    /// `elementCount(shape:) * dataType.elementSize`, checked for overflow.
    static func byteCount(dataType: DataType, shape: [Int]) throws -> Int {
        let (bytes, overflow) = try elementCount(shape: shape).multipliedReportingOverflow(by: dataType.elementSize)
        guard !overflow else { throw TensorError.invalidShape(shape) }
        return bytes
    }
}

/// A tensor that cannot be made or read as asked.
public enum TensorError: Error, Equatable, CustomStringConvertible {
    /// A dimension is negative or the size overflows.
    case invalidShape([Int])
    /// The byte count does not match the data type and shape.
    case byteCountMismatch(dataType: DataType, shape: [Int], expected: Int, actual: Int)
    /// The number of values does not match the shape.
    case elementCountMismatch(shape: [Int], expected: Int, actual: Int)
    /// Elements were read as a Swift type of another data type.
    case elementTypeMismatch(dataType: DataType, requested: DataType)

    public var description: String {
        switch self {
        case .invalidShape(let shape):
            "tensor: invalid shape \(shape): dimensions must be non-negative and the size must fit in memory"
        case .byteCountMismatch(let dataType, let shape, let expected, let actual):
            "tensor: \(Tensor.describe(dataType: dataType, shape: shape)) needs \(expected) bytes, got \(actual)"
        case .elementCountMismatch(let shape, let expected, let actual):
            "tensor: shape \(shape) needs \(expected) values, got \(actual)"
        case .elementTypeMismatch(let dataType, let requested):
            "tensor: cannot read \(dataType) elements as \(requested)"
        }
    }
}
