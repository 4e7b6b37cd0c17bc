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
