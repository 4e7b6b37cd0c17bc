import Foundation
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

    @Test func integerPowerMultipliesOut() throws {
        let power = try run("pow", [TensorData(.int32, shape: [5], integers: [2, -3, 5, -1, 7]),
                                    TensorData(.int32, shape: [5], integers: [10, 3, 0, -3, -1])])
        #expect(power.integers == [1024, -27, 1, -1, 0], "a negative exponent truncates 1/x^n")
        #expect(try run("pow", [TensorData(.uint8, shape: [1], integers: [2]), TensorData(.uint8, shape: [1], integers: [9])]).integers == [0],
                "2^9 wraps to 0 in uint8")
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

    @Test func exactUnaryFunctionsOnFloats() throws {
        let x = f32([-2.5, -1.5, -0.5, 0, 0.5, 1.5, 2.5, 3.7], [2, 4])
        expectTensor(try run("abs", [x]), [2.5, 1.5, 0.5, 0, 0.5, 1.5, 2.5, 3.7], [2, 4])
        expectTensor(try run("neg", [x]), [2.5, 1.5, 0.5, 0, -0.5, -1.5, -2.5, -3.7], [2, 4])
        expectTensor(try run("sign", [x]), [-1, -1, -1, 0, 1, 1, 1, 1], [2, 4])
        expectTensor(try run("ceil", [x]), [-2, -1, 0, 0, 1, 2, 3, 4], [2, 4])
        expectTensor(try run("floor", [x]), [-3, -2, -1, 0, 0, 1, 2, 3], [2, 4])
        expectTensor(try run("roundEven", [x]), [-2, -2, 0, 0, 0, 2, 2, 4], [2, 4])
        #expect(try run("sign", [f32([.nan], [1])]).floats[0].isNaN)
        #expect(try run("abs", [f32([-.infinity], [1])]).floats == [.infinity])
    }

    @Test func exactUnaryFunctionsOnSignedIntegers() throws {
        for dataType in [DataType.int8, .int32, .int64] {
            let x = TensorData(dataType, shape: [4], integers: [-7, 0, 3, -1])
            #expect(try run("abs", [x]).integers == [7, 0, 3, 1], "\(dataType)")
            #expect(try run("neg", [x]).integers == [7, 0, -3, 1], "\(dataType)")
            #expect(try run("sign", [x]).integers == [-1, 0, 1, -1], "\(dataType)")
        }
        let extremes = TensorData(.int8, shape: [2], integers: [-128, 127])
        #expect(try run("abs", [extremes]).integers == [-128, 127], "|-128| wraps in int8")
        #expect(try run("neg", [extremes]).integers == [-128, -127])
    }

    @Test func simpleTranscendentalValues() throws {
        let x = f32([0, 1, 4], [3])
        expectClose(try run("sqrt", [x]), [0, 1, 2], ulps: 0)
        expectClose(try run("exp", [f32([0, 1], [2])]), [1, M_E], ulps: 0)
        expectClose(try run("log", [f32([1, 4], [2])]), [0, 1.3862943611198906], ulps: 0)
        expectClose(try run("reciprocal", [f32([4, -0.5], [2])]), [0.25, -2], ulps: 0)
        expectClose(try run("erf", [f32([0], [1])]), [0], ulps: 0)
        expectClose(try run("cos", [f32([0], [1])]), [1], ulps: 0)
        #expect(try run("log", [f32([0, -1], [2])]).floats.map { $0.isNaN || $0.isInfinite } == [true, true])
    }

    @Test func activationsWithTheirOptions() throws {
        let x = f32([-4, -1, 0, 2], [4])
        expectTensor(try run("leakyRelu", [x]), [-0.04, -0.01, 0, 2], [4])
        expectTensor(try run("leakyRelu", [x], ["alpha": .double(0.5)]), [-2, -0.5, 0, 2], [4])
        expectClose(try run("hardSigmoid", [x]), [0, 0.3, 0.5, 0.9], ulps: 1)
        expectTensor(try run("hardSigmoid", [x], ["alpha": .double(0.25), "beta": .int(1)]), [0, 0.75, 1, 1], [4])
        expectTensor(try run("linear", [x]), [-4, -1, 0, 2], [4])
        expectTensor(try run("linear", [x], ["alpha": .double(-2), "beta": .double(0.5)]), [8.5, 2.5, 0.5, -3.5], [4])
        expectTensor(try run("hardSwish", [f32([-4, -1, 0, 3], [4])]), [0, Float(-2.0 / 6), 0, 3], [4])
        expectTensor(try run("softsign", [x]), [-0.8, -0.5, 0, Float(2.0 / 3)], [4])
        expectClose(try run("elu", [x], ["alpha": .double(2)]), [2 * (exp(-4.0) - 1), 2 * (exp(-1.0) - 1), 0, 2], ulps: 1)
        expectClose(try run("gelu", [f32([0, 3], [2])]), [0, 1.5 * (1 + erf(3 / 2.0.squareRoot()))], ulps: 1)
        expectClose(try run("softplus", [f32([0, 100, -20], [3])]), [log(2.0), 100, log1p(exp(-20.0))], ulps: 1)
    }

    @Test func float16OptionsAreCastToFloat16() throws {
        // alpha 0.1 is 0.0999755859375 in float16; -1 * alpha rounds to that same float16 value.
        let result = try run("leakyRelu", [TensorData(.float16, shape: [1], values: [-1])], ["alpha": .double(0.1)])
        #expect(result.doubles == [Double(Float16(0.1)) * -1])
    }

    @Test func preluBroadcastsTheSlope() throws {
        let x = f32([-2, 3, -4, 5, -6, 7], [2, 3])
        expectTensor(try run("prelu", [x, f32([0.5, 1, 2], [3])]), [-1, 3, -8, 5, -6, 7], [2, 3])
        expectTensor(try run("prelu", [x, f32([0.25], [])]), [-0.5, 3, -1, 5, -1.5, 7], [2, 3])
        expectTensor(try run("prelu", [f32([-1, 2], [2, 1]), f32([3, 4], [1, 2])]), [-3, -4, 2, 2], [2, 2])
        let ints = try run("prelu", [TensorData(.int32, shape: [3], integers: [-3, 0, 4]), TensorData(.int32, shape: [1], integers: [2])])
        #expect(ints.integers == [-6, 0, 4])
    }

    @Test func castBetweenEveryKind() throws {
        let floats = TensorData(.float32, shape: [5], values: [-2.75, -0.5, 0.5, 3.99, 300])
        #expect(try run("cast", [floats], ["dataType": .string("int32")]).integers == [-2, 0, 0, 3, 300], "truncates toward zero")
        #expect(try run("cast", [floats], ["dataType": .string("int8")]).integers == [-2, 0, 0, 3, 127], "saturates")
        #expect(try run("cast", [floats], ["dataType": .string("uint8")]).integers == [0, 0, 0, 3, 255], "saturates at 0 and 255")
        let half = try run("cast", [f32([1.0009765625, 70000], [2])], ["dataType": .string("float16")])
        #expect(half.type == TensorType(.float16, [2]) && half.doubles == [1.0009765625, .infinity])
        let wide = TensorData(.int32, shape: [4], integers: [-1, 255, 256, 16_777_217])
        #expect(try run("cast", [wide], ["dataType": .string("uint8")]).integers == [255, 255, 0, 1], "wraps to the low bits")
        #expect(try run("cast", [wide], ["dataType": .string("int8")]).integers == [-1, -1, 0, 1])
        #expect(try run("cast", [wide], ["dataType": .string("float32")]).floats == [-1, 255, 256, 16_777_216], "nearest float")
        #expect(try run("cast", [wide], ["dataType": .string("uint64")]).integers == [-1, 255, 256, 16_777_217],
                "-1 becomes 2^64 - 1 (read back as the same bits)")
        let unsigned = TensorData(.uint32, shape: [2], integers: [4_294_967_295, 7])
        #expect(try run("cast", [unsigned], ["dataType": .string("int32")]).integers == [-1, 7])
        #expect(try run("cast", [unsigned], ["dataType": .string("int64")]).integers == [4_294_967_295, 7])
        #expect(try run("cast", [TensorData(.float16, shape: [1], values: [.nan])], ["dataType": .string("int32")]).integers == [0])
    }
}
