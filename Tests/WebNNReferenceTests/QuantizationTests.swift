import Testing
import WebNNBasics
import WebNNIR
import WebNNReference

@Suite struct QuantizationTests {
    @Test func quantizePerTensorRoundsHalfToEvenAndSaturates() throws {
        // x / 0.5 = 1, 2.5, 3.5, -1, 300, -300; round half to even: 1, 2, 4, -1; + 10 then clamp to uint8.
        let x = f32([0.5, 1.25, 1.75, -0.5, 150, -150], [6])
        let output = try run("quantizeLinear", [x, f32([0.5], [1]), TensorData(.uint8, shape: [1], integers: [10])])
        #expect(output.type == TensorType(.uint8, [6]))
        #expect(output.integers == [11, 12, 14, 9, 255, 0])
        let int8 = try run("quantizeLinear", [x, f32([0.5], [1]), TensorData(.int8, shape: [1], integers: [-1])])
        #expect(int8.integers == [0, 1, 3, -2, 127, -128])
    }

    @Test func quantizePerAxisAndBlockwise() throws {
        // Per row (scale [2, 1]): row 0 / 1, row 1 / 10.
        let x = f32([1, 2, 3, 40, 50, 60], [2, 3])
        let perAxis = try run("quantizeLinear", [x, f32([1, 10], [2, 1]), TensorData(.int32, shape: [2, 1], integers: [0, 100])])
        #expect(perAxis.integers == [1, 2, 3, 104, 105, 106])
        // Blocks of two columns (scale [1, 2] over [1, 4]).
        let blocks = try run("quantizeLinear", [f32([2, 4, 6, 8], [1, 4]), f32([2, 4], [1, 2]), TensorData(.uint32, shape: [1, 2], integers: [0, 7])])
        #expect(blocks.integers == [1, 2, 9, 9])
        let nan = try run("quantizeLinear", [f32([.nan, .infinity], [2]), f32([1], [1]), TensorData(.int8, shape: [1], integers: [3])])
        #expect(nan.integers == [3, 127])
    }

    @Test func quantizeFloat16() throws {
        let x = TensorData(.float16, shape: [2], values: [2.5, 3.5])
        let output = try run("quantizeLinear", [x, TensorData(.float16, shape: [1], values: [1]), TensorData(.uint8, shape: [1], integers: [0])])
        #expect(output.integers == [2, 4])
    }

    @Test func dequantize() throws {
        let x = TensorData(.uint8, shape: [2, 2], integers: [0, 255, 10, 20])
        let perTensor = try run("dequantizeLinear", [x, f32([0.5], [1, 1]), TensorData(.uint8, shape: [1, 1], integers: [10])])
        expectTensor(perTensor, [-5, 122.5, 0, 5], [2, 2])
        let perColumn = try run("dequantizeLinear", [TensorData(.int8, shape: [2, 2], integers: [-128, 127, 0, 1]), f32([1, 0.25], [1, 2]),
                                                      TensorData(.int8, shape: [1, 2], integers: [0, -1])])
        expectTensor(perColumn, [-128, 32, 0, 0.5], [2, 2])
        let half = try run("dequantizeLinear", [TensorData(.int32, shape: [1], integers: [3]), TensorData(.float16, shape: [1], values: [0.1]),
                                                 TensorData(.int32, shape: [1], integers: [1])])
        #expect(half.type == TensorType(.float16, [1]) && half.doubles == [Double(Float16(2 * Double(Float16(0.1))))])
    }
}
