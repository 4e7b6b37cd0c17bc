import WebNNBasics

/// Index arithmetic shared by the data-movement and broadcasting operators.
enum StridedIndices {
    /// For each element of a row-major tensor of `shape` (in order), the flat index
    /// `sum(position[axis] * sourceStrides[axis])` of the element it reads from a source tensor.
    /// A stride of 0 repeats the source along that axis (broadcasting); permuted strides transpose.
    static func sourceIndices(shape: [Int], sourceStrides: [Int]) -> [Int] {
        precondition(shape.count == sourceStrides.count)
        // Counts through the positions in row-major order like an odometer, keeping the source offset.
        var position = [Int](repeating: 0, count: shape.count)
        var offset = 0
        return Array(count: shape.reduce(1, *)) { _ in
            defer {
                var axis = shape.count - 1
                while axis >= 0 {
                    position[axis] += 1
                    offset += sourceStrides[axis]
                    if position[axis] < shape[axis] { break }
                    offset -= shape[axis] * sourceStrides[axis]
                    position[axis] = 0
                    axis -= 1
                }
            }
            return offset
        }
    }

    /// Source strides that broadcast a row-major tensor of `shape` (numpy rules, aligned at the
    /// last axis) to `target`: 0 along axes where the source is missing or has size 1.
    static func broadcastStrides(from shape: [Int], to target: [Int]) -> [Int] {
        precondition(shape.count <= target.count)
        let leading = target.count - shape.count
        let strides = rowMajorStrides(shape)
        return (0..<target.count).map { axis in
            axis < leading || shape[axis - leading] == 1 ? 0 : strides[axis - leading]
        }
    }

    /// For each element of `target`, the flat index of the element of `shape` that broadcasts to it.
    static func broadcastIndices(from shape: [Int], to target: [Int]) -> [Int] {
        sourceIndices(shape: target, sourceStrides: broadcastStrides(from: shape, to: target))
    }
}
