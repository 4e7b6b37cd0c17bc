import Testing
import WebNNBasics
import WebNNIR
import WebNNReference

@Suite struct ReductionTests {
    /// [[[1, 2], [3, 4], [5, 6]], [[7, 8], [9, 10], [11, 12]]]
    private let x = f32(counting(12), [2, 3, 2])

    @Test func axesDefaultToAllAndEmptyAxesReduceNothing() throws {
        expectTensor(try run("reduceSum", [x]), [78], [])
        expectTensor(try run("reduceSum", [x], ["keepDimensions": .bool(true)]), [78], [1, 1, 1])
        expectTensor(try run("reduceSum", [x], ["axes": .ints([])]), counting(12), [2, 3, 2])
        expectTensor(try run("reduceSum", [x], ["axes": .ints([1])]), [9, 12, 27, 30], [2, 2])
        expectTensor(try run("reduceSum", [x], ["axes": .ints([2, 0]), "keepDimensions": .bool(true)]), [18, 26, 34], [1, 3, 1])
    }

    @Test func everyReductionOnOneAxis() throws {
        let y = f32([1, -2, 3, 4], [2, 2])
        let axis1: [String: Attribute] = ["axes": .ints([1])]
        expectTensor(try run("reduceSum", [y], axis1), [-1, 7], [2])
        expectTensor(try run("reduceL1", [y], axis1), [3, 7], [2])
        expectTensor(try run("reduceSumSquare", [y], axis1), [5, 25], [2])
        expectTensor(try run("reduceL2", [y], ["axes": .ints([0])]), [Float(10.0.squareRoot()), Float(20.0.squareRoot())], [2])
        expectTensor(try run("reduceMean", [y], axis1), [-0.5, 3.5], [2])
        expectTensor(try run("reduceProduct", [y], axis1), [-2, 12], [2])
        expectTensor(try run("reduceMax", [y], axis1), [1, 4], [2])
        expectTensor(try run("reduceMin", [y], axis1), [-2, 3], [2])
        expectClose(try run("reduceLogSum", [f32([1, 3, 1, 1], [2, 2])], axis1), [1.3862943611198906, 0.6931471805599453], ulps: 0)
        expectClose(try run("reduceLogSumExp", [f32([0, 0, 100, 100], [2, 2])], axis1),
                    [0.6931471805599453, 100.69314718055995], ulps: 0)
        #expect(try run("reduceMax", [f32([1, .nan, 3], [3])]).floats[0].isNaN)
    }

    @Test func integerReductionsAreExactAndWrap() throws {
        let ints = TensorData(.int32, shape: [2, 3], integers: [-1, 2, -3, 4, -5, 6])
        #expect(try run("reduceSum", [ints], ["axes": .ints([1])]).integers == [-2, 5])
        #expect(try run("reduceL1", [ints]).integers == [21])
        #expect(try run("reduceSumSquare", [ints], ["axes": .ints([0])]).integers == [17, 29, 45])
        #expect(try run("reduceProduct", [ints]).integers == [-720])
        #expect(try run("reduceMax", [ints], ["axes": .ints([1]), "keepDimensions": .bool(true)]).integers == [2, 6])
        #expect(try run("reduceMin", [TensorData(.uint8, shape: [3], integers: [200, 7, 255])]).integers == [7])
        let big = TensorData(.uint32, shape: [2], integers: [4_000_000_000, 1_000_000_000])
        #expect(try run("reduceSum", [big]).integers == [705_032_704], "5e9 wraps modulo 2^32")
        #expect(try run("reduceMax", [TensorData(.int64, shape: [2], integers: [.min, .max])]).integers == [.max])
    }

    @Test func argMinAndArgMax() throws {
        let y = f32([3, 1, 3, 0, 5, 5], [2, 3])
        let argMax = try run("argMax", [y], ["axis": .int(1)])
        #expect(argMax.type == TensorType(.int32, [2]))
        #expect(argMax.integers == [0, 1], "the first of equal maxima wins")
        #expect(try run("argMin", [y], ["axis": .int(1)]).integers == [1, 0])
        let kept = try run("argMax", [y], ["axis": .int(0), "keepDimensions": .bool(true), "outputDataType": .string("int64")])
        #expect(kept.type == TensorType(.int64, [1, 3]) && kept.integers == [0, 1, 1])
        #expect(try run("argMin", [TensorData(.uint64, shape: [3], integers: [-1, 5, 9])], ["axis": .int(0)]).integers == [1])
        #expect(try run("argMax", [f32([1, .nan, 7], [3])], ["axis": .int(0)]).integers == [1], "NaN wins, as in numpy")
    }

    @Test func cumulativeSumOptions() throws {
        let y = f32([1, 2, 3, 4, 5, 6], [2, 3])
        let axis: [String: Attribute] = ["axis": .int(1)]
        expectTensor(try run("cumulativeSum", [y], axis), [1, 3, 6, 4, 9, 15], [2, 3])
        expectTensor(try run("cumulativeSum", [y], axis.merging(["exclusive": .bool(true)]) { $1 }), [0, 1, 3, 0, 4, 9], [2, 3])
        expectTensor(try run("cumulativeSum", [y], axis.merging(["reversed": .bool(true)]) { $1 }), [6, 5, 3, 15, 11, 6], [2, 3])
        expectTensor(try run("cumulativeSum", [y], ["axis": .int(1), "exclusive": .bool(true), "reversed": .bool(true)]),
                     [5, 3, 0, 11, 6, 0], [2, 3])
        expectTensor(try run("cumulativeSum", [y], ["axis": .int(0)]), [1, 2, 3, 5, 7, 9], [2, 3])
        let ints = TensorData(.int32, shape: [3], integers: [2_000_000_000, 2_000_000_000, -1])
        #expect(try run("cumulativeSum", [ints], ["axis": .int(0)]).integers == [2_000_000_000, -294_967_296, -294_967_297], "int32 wraps")
    }
}
