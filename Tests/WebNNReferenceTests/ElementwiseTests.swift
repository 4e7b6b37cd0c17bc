import Testing
import WebNNBasics
import WebNNIR
import WebNNReference

@Suite struct ElementwiseTests {
    @Test func binaryOperatorsOnSameShapes() throws {
        let a = f32([6, -8, 1], [3]), b = f32([3, 2, 4], [3])
        expectTensor(try run("add", [a, b]), [9, -6, 5], [3])
        expectTensor(try run("sub", [a, b]), [3, -10, -3], [3])
        expectTensor(try run("mul", [a, b]), [18, -16, 4], [3])
        expectTensor(try run("div", [a, b]), [2, -4, 0.25], [3])
        expectTensor(try run("max", [a, b]), [6, 2, 4], [3])
        expectTensor(try run("min", [a, b]), [3, -8, 1], [3])
        expectTensor(try run("pow", [f32([2, 3, 4], [3]), f32([3, 2, 0.5], [3])]), [8, 9, 2], [3])
    }

    @Test func broadcastsTheTrailingAxes() throws {
        let a = f32(counting(6), [2, 3])
        expectTensor(try run("add", [a, f32([10, 20, 30], [3])]), [11, 22, 33, 14, 25, 36], [2, 3])
        expectTensor(try run("mul", [a, f32([2], [])]), [2, 4, 6, 8, 10, 12], [2, 3])
        expectTensor(try run("sub", [f32([100, 200], [2, 1]), a]), [99, 98, 97, 196, 195, 194], [2, 3])
    }

    @Test func broadcastsBothWays() throws {
        let row = f32([1, 2, 3], [1, 3]), column = f32([10, 20], [2, 1])
        expectTensor(try run("add", [row, column]), [11, 12, 13, 21, 22, 23], [2, 3])
        expectTensor(try run("pow", [column, f32([2], [1, 1, 1])]), [100, 400], [1, 2, 1])
    }

    @Test func maxAndMinPropagateNaN() throws {
        let result = try run("max", [f32([.nan, 1], [2]), f32([1, .nan], [2])])
        #expect(result.floats.allSatisfy { $0.isNaN })
        #expect(try run("min", [f32([.nan], [1]), f32([1], [1])]).floats[0].isNaN)
    }

    @Test func relu() throws {
        expectTensor(try run("relu", [f32([-2, 0, 3, -0.5], [2, 2])]), [0, 0, 3, 0], [2, 2])
    }

    @Test func sigmoidAndTanh() throws {
        expectClose(try run("sigmoid", [f32([0, 1, -1, 20], [4])]),
                    [0.5, 0.7310585786300049, 0.2689414213699951, 0.9999999979388463], ulps: 0)
        expectClose(try run("tanh", [f32([0, 0.5, -2], [3])]), [0, 0.46211715726000974, -0.9640275800758169], ulps: 0)
    }

    @Test func clampWithEachBoundOptional() throws {
        let x = f32([-3, -1, 0, 2, 5], [5])
        expectTensor(try run("clamp", [x], ["minValue": .double(-1), "maxValue": .double(2)]), [-1, -1, 0, 2, 2], [5])
        expectTensor(try run("clamp", [x], ["minValue": .int(0)]), [0, 0, 0, 2, 5], [5])
        expectTensor(try run("clamp", [x], ["maxValue": .double(1.5)]), [-3, -1, 0, 1.5, 1.5], [5])
        expectTensor(try run("clamp", [x]), [-3, -1, 0, 2, 5], [5])
        #expect(try run("clamp", [f32([.nan], [1])], ["minValue": .double(0)]).floats[0].isNaN)
    }

    @Test func integerArithmeticWrapsAndTruncates() throws {
        let int8Sum = try run("add", [TensorData(.int8, shape: [2], integers: [100, -100]),
                                      TensorData(.int8, shape: [2], integers: [100, -100])])
        #expect(int8Sum.integers == [-56, 56])
        let uint8Difference = try run("sub", [TensorData(.uint8, shape: [1], integers: [1]), TensorData(.uint8, shape: [1], integers: [2])])
        #expect(uint8Difference.integers == [255])
        let int32Quotient = try run("div", [TensorData(.int32, shape: [3], integers: [-7, 7, 9]), TensorData(.int32, shape: [], integers: [2])])
        #expect(int32Quotient.integers == [-3, 3, 4])
        let int64Max = try run("max", [TensorData(.int64, shape: [2], integers: [.min, 5]), TensorData(.int64, shape: [2], integers: [-1, .max])])
        #expect(int64Max.integers == [-1, .max])
        let uint64 = try run("min", [TensorData(.uint64, shape: [1], integers: [-1]), TensorData(.uint64, shape: [1], integers: [3])])
        #expect(uint64.integers == [3], "uint64 compares unsigned: 2^64 - 1 > 3")
        #expect(try run("relu", [TensorData(.int32, shape: [2], integers: [-4, 4])]).integers == [0, 4])
        let clamped = try run("clamp", [TensorData(.int8, shape: [3], integers: [-128, 0, 127])],
                              ["minValue": .int(-5), "maxValue": .double(5.7)])
        #expect(clamped.integers == [-5, 0, 5], "bounds are cast to int8 by truncation")
    }

    @Test func floatOnlyFunctionsRejectIntegers() throws {
        let x = TensorData(.int32, shape: [1], integers: [2])
        #expect(throws: InterpreterError.unsupportedDataType(op: "pow", .int32)) { try run("pow", [x, x]) }
    }

    @Test func float16ResultsAreRoundedOnStore() throws {
        // 1 + 2^-11 lies halfway between the float16 values 1 and 1 + 2^-10: it rounds to even, 1.
        let sum = try run("add", [TensorData(.float16, shape: [2], values: [1, 1]),
                                  TensorData(.float16, shape: [2], values: [0x1p-11, 0x1p-10])])
        #expect(sum.type.dataType == .float16)
        #expect(sum.doubles == [1, 1 + 0x1p-10])
        let sigmoid = try run("sigmoid", [TensorData(.float16, shape: [1], values: [1])])
        #expect(sigmoid.doubles == [Double(Float16(0.7310585786300049))])
    }
}
