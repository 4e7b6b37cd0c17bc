import WebNNBasics

extension TensorData {
    /// The most bytes one value may fill (`@scalar`, a conformance operand's single value): 1 GiB.
    /// These tensors come from a declared shape, not from data in a file, so a typo or a hostile
    /// file would otherwise allocate whatever the shape says.
    static let maximumFilledByteSize = 1 << 30

    /// A tensor of `type` whose every element is the single element of `element`, built by
    /// doubling the byte pattern (fast even for the 36M-element conformance inputs); nil when
    /// `type` is larger than `maximumFilledByteSize` (or its size overflows).
    static func filled(_ type: TensorType, with element: TensorData) -> TensorData? {
        precondition(element.elementCount == 1 && element.type.dataType == type.dataType, "needs one element of the same type")
        guard let byteSize = TensorType.checkedByteSize(type.dataType, type.shape), byteSize <= maximumFilledByteSize else {
            return nil
        }
        var bytes = element.bytes
        bytes.reserveCapacity(byteSize)
        while bytes.count < byteSize {
            bytes.append(contentsOf: bytes.prefix(byteSize - bytes.count))
        }
        guard let filled = TensorData(type: type, bytes: bytes) else { preconditionFailure("byte count mismatch") }
        return filled
    }

    /// The error for a fill larger than `maximumFilledByteSize`.
    static func tooLargeToFill(_ type: TensorType, what: String) -> String {
        let size = TensorType.checkedByteSize(type.dataType, type.shape).map { "\($0) bytes" } ?? "too many bytes to count"
        return "\(what) would fill \(type) with \(size); one value fills at most \(maximumFilledByteSize) bytes (1 GiB)"
    }
}
