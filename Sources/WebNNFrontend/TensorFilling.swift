import WebNNBasics

extension TensorData {
    /// A tensor of `type` whose every element is the single element of `element`, built by
    /// doubling the byte pattern (fast even for the 36M-element conformance inputs).
    static func filled(_ type: TensorType, with element: TensorData) -> TensorData {
        precondition(element.elementCount == 1 && element.type.dataType == type.dataType, "needs one element of the same type")
        var bytes = element.bytes
        bytes.reserveCapacity(type.byteSize)
        while bytes.count < type.byteSize {
            bytes.append(contentsOf: bytes.prefix(type.byteSize - bytes.count))
        }
        guard let filled = TensorData(type: type, bytes: bytes) else { preconditionFailure("byte count mismatch") }
        return filled
    }
}
