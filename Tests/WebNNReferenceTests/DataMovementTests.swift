import Testing
import WebNNBasics
import WebNNIR
import WebNNReference

@Suite struct DataMovementTests {
    @Test func identityCopies() throws {
        expectTensor(try run("identity", [f32([1, -0.0, .infinity], [3, 1])]), [1, -0.0, .infinity], [3, 1])
        #expect(try run("identity", [TensorData(.uint8, shape: [2], integers: [0, 255])]).integers == [0, 255])
    }

    @Test func reshapeKeepsTheElements() throws {
        expectTensor(try run("reshape", [f32(counting(6), [2, 3])], ["newShape": .ints([3, 1, 2])]), counting(6), [3, 1, 2])
        expectTensor(try run("reshape", [f32([5], [1, 1])], ["newShape": .ints([])]), [5], [])
    }

    @Test func transposeReversesAxesByDefault() throws {
        expectTensor(try run("transpose", [f32(counting(6), [2, 3])]), [1, 4, 2, 5, 3, 6], [3, 2])
    }

    @Test func transposeWithAPermutation() throws {
        let values = counting(24)
        let output = try run("transpose", [f32(values, [2, 3, 4])], ["permutation": .ints([1, 2, 0])])
        expectTensor(output, permuted(values, [2, 3, 4], [1, 2, 0]), [3, 4, 2])
        // out[i][j][k] = in[k][i][j]; e.g. out[1][2][1] = in[1][1][2] = 1 + 12 + 4 + 2.
        #expect(output.floats[1 * 8 + 2 * 2 + 1] == 19)
    }

    @Test func concatAlongEachAxis() throws {
        let a = f32([1, 2, 3, 4], [2, 2])
        expectTensor(try run("concat", [a, f32([5, 6], [2, 1])], ["axis": .int(1)]), [1, 2, 5, 3, 4, 6], [2, 3])
        expectTensor(try run("concat", [a, f32([7, 8], [1, 2]), a], ["axis": .int(0)]), [1, 2, 3, 4, 7, 8, 1, 2, 3, 4], [5, 2])
        expectTensor(try run("concat", [a], ["axis": .int(0)]), [1, 2, 3, 4], [2, 2])
    }

    @Test func integerDataMovesExactly() throws {
        let big = TensorData(.uint64, shape: [2], integers: [Int64(bitPattern: 1 << 63 | 1), 2])
        #expect(try run("concat", [big, big], ["axis": .int(0)]) == TensorData(.uint64, shape: [4], integers: [Int64(bitPattern: 1 << 63 | 1), 2, Int64(bitPattern: 1 << 63 | 1), 2]))
        let int64 = TensorData(.int64, shape: [2, 2], integers: [.min, .max, -1, 9_007_199_254_740_993])
        #expect(try run("transpose", [int64]).integers == [.min, -1, .max, 9_007_199_254_740_993])
        let float16 = TensorData(.float16, shape: [3], values: [0.1, -2, 65504])
        #expect(try run("reshape", [float16], ["newShape": .ints([3, 1])]).bytes == float16.bytes)
    }
}
