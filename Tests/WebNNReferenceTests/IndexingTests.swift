import Testing
import WebNNBasics
import WebNNIR
import WebNNReference

private func i32(_ values: [Int64], _ shape: [Int]) -> TensorData { TensorData(.int32, shape: shape, integers: values) }

@Suite struct IndexingTests {
    private let matrix = f32(counting(6), [3, 2])  // [[1, 2], [3, 4], [5, 6]]

    @Test func gatherRowsAndColumns() throws {
        expectTensor(try run("gather", [matrix, i32([2, 0], [2])]), [5, 6, 1, 2], [2, 2])
        expectTensor(try run("gather", [matrix, i32([1, 1, 0, 1], [2, 2])], ["axis": .int(1)]), [2, 2, 1, 2, 4, 4, 3, 4, 6, 6, 5, 6], [3, 2, 2])
        expectTensor(try run("gather", [matrix, i32([1], [])]), [3, 4], [2])
    }

    @Test func gatherIndexTypesNegativeAndClampedIndices() throws {
        // -1 is the last row; 7 clamps to the last row, -9 to the first.
        expectTensor(try run("gather", [matrix, i32([-1, 7, -9], [3])]), [5, 6, 5, 6, 1, 2], [3, 2])
        expectTensor(try run("gather", [matrix, TensorData(.int64, shape: [1], integers: [-3])]), [1, 2], [1, 2])
        expectTensor(try run("gather", [matrix, TensorData(.uint32, shape: [2], integers: [4_000_000_000, 1])]), [5, 6, 3, 4], [2, 2])
        let bytes = TensorData(.uint8, shape: [3], integers: [7, 8, 9])
        #expect(try run("gather", [bytes, i32([2, 2, 0], [3])]).integers == [9, 9, 7])
    }

    @Test func gatherElementsAlongEachAxis() throws {
        // out[i][j] = matrix[indices[i][j]][j] (axis 0) or matrix[i][indices[i][j]] (axis 1).
        expectTensor(try run("gatherElements", [matrix, i32([2, 0, 1, -1], [2, 2])]), [5, 2, 3, 6], [2, 2])
        expectTensor(try run("gatherElements", [matrix, i32([1, 0, 0, 0, 1, 1], [3, 2])], ["axis": .int(1)]), [2, 1, 3, 3, 6, 6], [3, 2])
        expectTensor(try run("gatherElements", [matrix, i32([1, 1, 0], [3, 1])], ["axis": .int(1)]), [2, 4, 5], [3, 1])
    }

    @Test func gatherNDWholeElementsAndSlices() throws {
        expectTensor(try run("gatherND", [matrix, i32([2, 1, 0, 0], [2, 2])]), [6, 1], [2])
        expectTensor(try run("gatherND", [matrix, i32([1, -1], [2, 1])]), [3, 4, 5, 6], [2, 2])
        let cube = f32(counting(8), [2, 2, 2])
        expectTensor(try run("gatherND", [cube, i32([1, 0, 0, 1], [2, 1, 2])]), [5, 6, 3, 4], [2, 1, 2])
    }

    @Test func scatterElementsWritesOverACopy() throws {
        let zeros = f32([0, 0, 0, 0, 0, 0], [3, 2])
        // axis 0: updates[i][j] goes to row indices[i][j] of column j.
        expectTensor(try run("scatterElements", [zeros, i32([2, 0], [1, 2]), f32([7, 8], [1, 2])]), [0, 8, 0, 0, 7, 0], [3, 2])
        expectTensor(try run("scatterElements", [matrix, i32([1, 0, -2], [3, 1]), f32([10, 20, 30], [3, 1])], ["axis": .int(1)]),
                     [1, 10, 20, 4, 30, 6], [3, 2])
        // Duplicate indices: the last update wins.
        expectTensor(try run("scatterElements", [f32([0, 0], [2]), i32([1, 1], [2]), f32([3, 4], [2])]), [0, 4], [2])
    }

    @Test func scatterNDElementsAndSlices() throws {
        expectTensor(try run("scatterND", [matrix, i32([0, 1, 2, 0], [2, 2]), f32([-1, -2], [2])]), [1, -1, 3, 4, -2, 6], [3, 2])
        expectTensor(try run("scatterND", [matrix, i32([-1, 0], [2, 1]), f32([9, 9, 8, 8], [2, 2])]), [8, 8, 3, 4, 9, 9], [3, 2])
        let ints = try run("scatterND", [TensorData(.int64, shape: [3], integers: [1, 2, 3]), i32([5], [1, 1]),
                                         TensorData(.int64, shape: [1], integers: [.min])])
        #expect(ints.integers == [1, 2, .min])
    }
}
