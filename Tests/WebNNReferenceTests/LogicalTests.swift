import Testing
import WebNNBasics
import WebNNIR
import WebNNReference

@Suite struct LogicalTests {
    private func u8(_ values: [Int64], _ shape: [Int]) -> TensorData { TensorData(.uint8, shape: shape, integers: values) }

    @Test func comparisonsGiveUInt8AndBroadcast() throws {
        let a = f32([1, 2, 3, 4, 5, 6], [2, 3]), b = f32([2, 2, 5], [3])
        let expected: [(String, [Int64])] = [
            ("equal", [0, 1, 0, 0, 0, 0]), ("notEqual", [1, 0, 1, 1, 1, 1]),
            ("greater", [0, 0, 0, 1, 1, 1]), ("greaterOrEqual", [0, 1, 0, 1, 1, 1]),
            ("lesser", [1, 0, 1, 0, 0, 0]), ("lesserOrEqual", [1, 1, 1, 0, 0, 0]),
        ]
        for (op, values) in expected {
            let result = try run(op, [a, b])
            #expect(result.type == TensorType(.uint8, [2, 3]), "\(op)")
            #expect(result.integers == values, "\(op)")
        }
    }

    @Test func nanIsUnorderedOnlyNotEqualHolds() throws {
        let a = f32([.nan, .nan, 1], [3]), b = f32([.nan, 1, .nan], [3])
        for op in ["equal", "greater", "greaterOrEqual", "lesser", "lesserOrEqual"] {
            #expect(try run(op, [a, b]).integers == [0, 0, 0], "\(op)")
        }
        #expect(try run("notEqual", [a, b]).integers == [1, 1, 1])
        #expect(try run("equal", [f32([0], [1]), f32([-0.0], [1])]).integers == [1], "+0 == -0")
    }

    @Test func comparisonsOfEveryIntegerKindAreExact() throws {
        let big = TensorData(.int64, shape: [2], integers: [9_007_199_254_740_993, -5])
        let nearby = TensorData(.int64, shape: [2], integers: [9_007_199_254_740_992, -5])
        #expect(try run("greater", [big, nearby]).integers == [1, 0], "no rounding through Double")
        let unsigned = try run("lesser", [TensorData(.uint64, shape: [1], integers: [-1]), TensorData(.uint64, shape: [1], integers: [1])])
        #expect(unsigned.integers == [0], "2^64 - 1 is not less than 1")
        #expect(try run("lesserOrEqual", [TensorData(.int8, shape: [2], integers: [-3, 4]), TensorData(.int8, shape: [], integers: [4])]).integers == [1, 1])
    }

    @Test func logicalOperatorsTreatNonZeroAsTrue() throws {
        let a = u8([0, 0, 7, 255], [4]), b = u8([0, 3, 0, 1], [4])
        #expect(try run("logicalAnd", [a, b]).integers == [0, 0, 0, 1])
        #expect(try run("logicalOr", [a, b]).integers == [0, 1, 1, 1])
        #expect(try run("logicalXor", [a, b]).integers == [0, 1, 1, 0])
        #expect(try run("logicalNot", [a]).integers == [1, 1, 0, 0])
        #expect(try run("logicalAnd", [u8([1, 0], [2, 1]), u8([1, 2, 0], [3])]).integers == [1, 1, 0, 0, 0, 0])
    }

    @Test func isNaNAndIsInfinite() throws {
        let x = f32([.nan, .infinity, -.infinity, 0, -3.5], [5])
        #expect(try run("isNaN", [x]).integers == [1, 0, 0, 0, 0])
        #expect(try run("isInfinite", [x]).integers == [0, 1, 1, 0, 0])
        let half = TensorData(.float16, shape: [2], values: [70000, 1])
        #expect(try run("isInfinite", [half]).integers == [1, 0], "70000 overflows float16")
        #expect(try run("isNaN", [x]).type == TensorType(.uint8, [5]))
    }

    @Test func whereBroadcastsAllThree() throws {
        let condition = u8([1, 0, 2], [3])
        let result = try run("where", [condition, f32([10, 20], [2, 1]), f32([-1], [])])
        expectTensor(result, [10, -1, 10, 20, -1, 20], [2, 3])
        let ints = try run("where", [u8([0, 1], [2]), TensorData(.int64, shape: [2], integers: [.max, .min]),
                                     TensorData(.int64, shape: [2], integers: [7, 8])])
        #expect(ints.integers == [7, .min])
    }
}
