/// The static type of an operand: element type and shape (every dimension > 0; `[]` is a scalar).
public struct TensorType: Hashable, Sendable, CustomStringConvertible {
    public var dataType: DataType
    public var shape: [Int]

    public init(_ dataType: DataType, _ shape: [Int]) {
        self.dataType = dataType
        self.shape = shape
    }

    public var rank: Int { shape.count }
    public var elementCount: Int { shape.reduce(1, *) }
    public var byteSize: Int { elementCount * dataType.byteSize }

    /// `f32[1, 3, 224, 224]`, as written in `.webnn` files.
    public var description: String {
        "\(dataType.shortName)[\(shape.map(String.init).joined(separator: ", "))]"
    }
}

/// Row-major strides (in elements) of a shape.
public func rowMajorStrides(_ shape: [Int]) -> [Int] {
    var strides = [Int](repeating: 1, count: shape.count)
    var running = 1
    for axis in stride(from: shape.count - 1, through: 0, by: -1) {
        strides[axis] = running
        running *= shape[axis]
    }
    return strides
}

extension TensorType {
    /// The largest tensor a reader accepts, in bytes (2^53: sizes stay exact as Doubles and far
    /// from Int overflow in the stages' index arithmetic).
    public static let maximumByteSize = 1 << 53

    /// The byte size, or nil when the element count or byte size overflows or exceeds
    /// `maximumByteSize` (readers check this before computing `byteSize`, which would trap).
    public static func checkedByteSize(_ dataType: DataType, _ shape: [Int]) -> Int? {
        var total = dataType.byteSize
        for dimension in shape {
            guard dimension >= 0 else { return nil }
            let (product, overflow) = total.multipliedReportingOverflow(by: dimension)
            guard !overflow, product <= maximumByteSize else { return nil }
            total = product
        }
        return total
    }
}
