import Testing
import WebNNBasics
import WebNNIR
import WebNNReference

@Suite struct ULPDistanceTests {
    @Test func adjacentAndEqualFloats() {
        #expect(ulpDistance(Float(1), Float(1)) == 0)
        #expect(ulpDistance(Float(1), Float(1).nextUp) == 1)
        #expect(ulpDistance(Float(1).nextDown, Float(1).nextUp) == 2)
        #expect(ulpDistance(Float(-1), Float(-1).nextDown) == 1)
        #expect(ulpDistance(Float(2), Float(1)) == 1 << 23, "one binade of float32 holds 2^23 values")
    }

    @Test func zerosAndSignCrossing() {
        #expect(ulpDistance(Float(0), Float(-0.0)) == 0)
        #expect(ulpDistance(Float(0), Float.leastNonzeroMagnitude) == 1)
        #expect(ulpDistance(-Float.leastNonzeroMagnitude, Float.leastNonzeroMagnitude) == 2)
        #expect(ulpDistance(Float(-1), Float(1)) == 2 * 0x3f80_0000)
    }

    @Test func nanAndInfinity() {
        #expect(ulpDistance(Float.nan, Float.nan) == 0)
        #expect(ulpDistance(Float.nan, -Float.nan) == 0)
        #expect(ulpDistance(Float.nan, Float(1)) == .max)
        #expect(ulpDistance(Float(1), Float.nan) == .max)
        #expect(ulpDistance(Float.infinity, Float.greatestFiniteMagnitude) == 1)
        #expect(ulpDistance(Float.infinity, Float.infinity) == 0)
        #expect(ulpDistance(-Float.infinity, Float.infinity) == 2 * 0x7f80_0000)
    }

    @Test func float16Steps() {
        #expect(ulpDistance(Float16(1), Float16(1).nextUp) == 1)
        #expect(ulpDistance(Float16(-0.0), Float16(0)) == 0)
        #expect(ulpDistance(Float16.infinity, Float16.greatestFiniteMagnitude) == 1)
    }
}

@Suite struct CompareTests {
    @Test func passesWithinTheULPBound() {
        let expected = f32([1, -2, 0, .nan, .infinity], [5])
        let actual = f32([Float(1).nextUp, -2, -0.0, .nan, .infinity], [5])
        #expect(compare(actual: actual, expected: expected, tolerance: .ulp(1)) == nil)
        #expect(compare(actual: actual, expected: expected, tolerance: .ulp(0))
                == ToleranceViolation(index: 0, actual: Double(Float(1).nextUp), expected: 1, deviation: .ulps(1)))
    }

    @Test func reportsTheWorstElement() {
        let expected = f32([1, 1, 1, 1], [4])
        let actual = f32([Float(1).nextUp.nextUp, 1, Float(1).nextDown.nextDown.nextDown, .nan], [4])
        #expect(compare(actual: f32(Array(actual.floats.prefix(3)), [3]), expected: f32([1, 1, 1], [3]), tolerance: .ulp(1))?.index == 2)
        #expect(compare(actual: actual, expected: expected, tolerance: .ulp(1))?.deviation == .ulps(.max))
    }

    @Test func float16RoundsTheExpectedValue() {
        // 1.0001 is not a float16; rounded to float16 it is 1.
        let actual = TensorData(.float16, shape: [1], values: [1])
        #expect(compare(actual: actual, expected: f32([1.0001], [1]), tolerance: .ulp(0)) == nil)
        let off = compare(actual: actual, expected: f32([1.002], [1]), tolerance: .ulp(1))
        #expect(off?.deviation == .ulps(2) && off?.expected == Double(Float16(1.002)))
    }

    @Test func integersMustMatchExactly() {
        let actual = TensorData(.int64, shape: [2], integers: [9_007_199_254_740_993, 5])
        #expect(compare(actual: actual, expected: actual, tolerance: .ulp(100)) == nil)
        let expected = TensorData(.int64, shape: [2], integers: [9_007_199_254_740_992, 5])
        #expect(compare(actual: actual, expected: expected, tolerance: .ulp(100))?.index == 0)
    }

    @Test func absoluteTolerance() {
        let actual = f32([0.5, 1], [2])
        #expect(compare(actual: actual, expected: f32([0.5009, 1], [2]), tolerance: .absolute(1.0 / 1024)) == nil)
        #expect(compare(actual: actual, expected: f32([0.5, 1.002], [2]), tolerance: .absolute(1.0 / 1024))?.index == 1)
    }

    @Test func elementCountMismatch() {
        let violation = compare(actual: f32([1, 2], [2]), expected: f32([1, 2, 3], [3]), tolerance: .ulp(5))
        #expect(violation?.index == 2 && violation?.deviation == .missing)
    }
}

@Suite struct WPTToleranceTests {
    private func tolerance(_ op: String, _ types: [TensorType?], _ attributes: [String: Attribute] = [:]) throws -> Tolerance {
        var graph = Graph(name: op)
        let ids = try types.enumerated().map { index, type in try type.map { try graph.addInput("x\(index)", $0) } }
        let output = try graph.addNode(Node(op: op, operands: ids, attributes: attributes))[0]
        return try Tolerance.wpt(for: output, in: graph)
    }

    private let matrix = TensorType(.float32, [2, 3]), other = TensorType(.float32, [3, 4])

    @Test func fixedCounts() throws {
        let x = TensorType(.float32, [2, 2])
        #expect(try tolerance("add", [x, x]) == .ulp(1))
        #expect(try tolerance("div", [x, x]) == .ulp(2))
        #expect(try tolerance("relu", [x]) == .ulp(0))
        #expect(try tolerance("tanh", [x]) == .ulp(16))
        #expect(try tolerance("sigmoid", [x]) == .ulp(34))
        #expect(try tolerance("sigmoid", [TensorType(.float16, [2])]) == .ulp(10))
        #expect(try tolerance("pow", [TensorType(.float16, [2]), TensorType(.float16, [2])]) == .ulp(2))
        #expect(try tolerance("pow", [x, x]) == .ulp(32))
    }

    @Test func shapeDependentCounts() throws {
        // conv2d: 2 * 3 * 2 * (4 / 2) = 24.
        #expect(try tolerance("conv2d", [TensorType(.float32, [1, 4, 5, 5]), TensorType(.float32, [6, 2, 3, 2])],
                              ["groups": .int(2)]) == .ulp(24))
        #expect(try tolerance("matmul", [matrix, other]) == .ulp(6))
        #expect(try tolerance("softmax", [matrix], ["axis": .int(1)]) == .ulp(12))
        #expect(try tolerance("averagePool2d", [TensorType(.float32, [1, 1, 4, 4])], ["windowDimensions": .ints([2, 3])]) == .ulp(8))
        #expect(try tolerance("averagePool2d", [TensorType(.float32, [1, 1, 4, 4])]) == .ulp(18))
    }

    @Test func gemmCounts() throws {
        let c = TensorType(.float32, [4])
        #expect(try tolerance("gemm", [matrix, other]) == .ulp(6))
        #expect(try tolerance("gemm", [matrix, other], ["alpha": .double(2)]) == .ulp(7))
        #expect(try tolerance("gemm", [matrix, other, c]) == .ulp(7))
        #expect(try tolerance("gemm", [matrix, other, c], ["beta": .double(0.5)]) == .ulp(8))
        #expect(try tolerance("gemm", [matrix, other, c], ["beta": .double(0)]) == .ulp(6))
        #expect(try tolerance("gemm", [matrix, other], ["beta": .double(0.5)]) == .ulp(6))
        #expect(try tolerance("gemm", [TensorType(.float32, [3, 2]), other], ["aTranspose": .bool(true), "alpha": .double(3)]) == .ulp(7))
    }

    @Test func sumsOverTheNodesAnOutputDependsOn() throws {
        var graph = Graph(name: "chain")
        let x = try graph.addInput("x", TensorType(.float32, [2, 3]))
        let w = try graph.addInput("w", TensorType(.float32, [3, 3]))
        let product = try graph.addNode(Node(op: "matmul", operands: [x, w]))[0]          // 6
        let sum = try graph.addNode(Node(op: "add", operands: [product, x]))[0]           // 1
        let activated = try graph.addNode(Node(op: "sigmoid", operands: [sum]))[0]        // 34
        let unrelated = try graph.addNode(Node(op: "tanh", operands: [x]))[0]             // 16, not on the path
        #expect(try Tolerance.wpt(for: activated, in: graph) == .ulp(41))
        #expect(try Tolerance.wpt(for: unrelated, in: graph) == .ulp(16))
        #expect(try Tolerance.wpt(for: x, in: graph) == .ulp(0))
    }
}

@Suite struct MagnitudeComparisonTests {
    /// x·w summed with cancellation: 1.0000001 - 1.0 in float32 is far from its exact value in ULPs
    /// of the result, but within 2 ULPs of the terms' magnitude.
    @Test func cancellingSumsAreJudgedAtTheScaleOfTheirTerms() throws {
        var graph = Graph(name: "dot")
        let a = try graph.addInput("a", TensorType(.float32, [1, 2]))
        let b = try graph.addConstant("b", Constant(data: TensorData(float32: [1, -1], shape: [2, 1])))
        graph.addOutput(try graph.addNode(Node(op: "matmul", operands: [a, b]), outputNames: ["y"])[0])
        let inputs = ["a": TensorData(float32: [1.0000001, 1], shape: [1, 2])]
        let interpreter = Interpreter(graph)
        let expected = try interpreter.run(inputs)["y"]!
        let magnitudes = try interpreter.magnitudes(inputs)["y"]!
        #expect(magnitudes.floats == [2.0000001])
        let offByOneTermUlp = TensorData(float32: [expected.floats[0] + Float(1).ulp], shape: [1, 1])
        let tolerance = try Tolerance.wpt(for: graph.outputs[0], in: graph)
        #expect(compare(actual: offByOneTermUlp, expected: expected, tolerance: tolerance) != nil)
        #expect(compare(actual: offByOneTermUlp, expected: expected, tolerance: tolerance, magnitudes: magnitudes) == nil)
        let farOff = TensorData(float32: [expected.floats[0] + 1e-3], shape: [1, 1])
        #expect(compare(actual: farOff, expected: expected, tolerance: tolerance, magnitudes: magnitudes) != nil)
        // A negated sum (e.g. after neg) has a negative magnitude run: its size is what counts.
        let negated = TensorData(float32: [-2.0000001], shape: [1, 1])
        #expect(compare(actual: offByOneTermUlp, expected: expected, tolerance: tolerance, magnitudes: negated) == nil)
    }
}

extension WPTToleranceTests {
    @Test func elementwiseLogicalAndActivationCounts() throws {
        let x = TensorType(.float32, [2, 2]), half = TensorType(.float16, [2, 2]), flags = TensorType(.uint8, [2])
        for op in ["abs", "neg", "sign", "ceil", "floor", "roundEven"] { #expect(try tolerance(op, [x]) == .ulp(0), "\(op)") }
        for op in ["equal", "notEqual", "greater", "greaterOrEqual", "lesser", "lesserOrEqual"] {
            #expect(try tolerance(op, [x, x]) == .ulp(0), "\(op)")
        }
        #expect(try tolerance("logicalXor", [flags, flags]) == .ulp(0))
        #expect(try tolerance("isNaN", [x]) == .ulp(0))
        #expect(try tolerance("where", [flags, x, x]) == .ulp(0))
        #expect(try tolerance("cast", [x], ["dataType": .string("int32")]) == .ulp(0))
        #expect(try tolerance("sqrt", [x]) == .ulp(1))
        #expect(try tolerance("prelu", [x, x]) == .ulp(1))
        #expect(try tolerance("leakyRelu", [x]) == .ulp(1))
        #expect(try tolerance("linear", [x]) == .ulp(2))
        #expect(try tolerance("hardSigmoid", [x]) == .ulp(2))
        #expect(try tolerance("reciprocal", [x]) == .ulp(2))
        #expect(try tolerance("softsign", [x]) == .ulp(3))
        #expect(try tolerance("hardSwish", [x]) == .ulp(4))
        for op in ["elu", "gelu", "softplus"] { #expect(try tolerance(op, [half]) == .ulp(18), "\(op)") }
        #expect(try tolerance("exp", [x]) == .ulp(32))
        #expect(try tolerance("exp", [half]) == .ulp(1))
    }

    @Test func absoluteBoundsForLogAndTrigonometry() throws {
        let x = TensorType(.float32, [2]), half = TensorType(.float16, [2])
        for op in ["log", "sin", "cos", "tan", "erf"] {
            #expect(try tolerance(op, [x]) == .absolute(1.0 / 1024), "\(op)")
            #expect(try tolerance(op, [half]) == .absolute(1.0 / 512), "\(op)")
        }
        // Once an absolutely judged operator is on the path, the output is judged absolutely.
        var graph = Graph(name: "chain")
        let input = try graph.addInput("x", x)
        let logarithm = try graph.addNode(Node(op: "log", operands: [input]))[0]
        let sum = try graph.addNode(Node(op: "add", operands: [logarithm, input]))[0]
        #expect(try Tolerance.wpt(for: sum, in: graph) == .absolute(1.0 / 1024))
    }

    @Test func reductionCountsUseTheReducedElementCount() throws {
        let x = TensorType(.float32, [2, 3, 4])
        let axes: [String: Attribute] = ["axes": .ints([0, 2])]  // N = 8
        #expect(try tolerance("reduceSum", [x]) == .ulp(24), "every axis: N = 24")
        #expect(try tolerance("reduceSum", [x], axes) == .ulp(8))
        #expect(try tolerance("reduceL1", [x], axes) == .ulp(8))
        #expect(try tolerance("reduceProduct", [x], axes) == .ulp(8))
        #expect(try tolerance("reduceMean", [x], axes) == .ulp(10))
        #expect(try tolerance("reduceL2", [x], axes) == .ulp(17))
        #expect(try tolerance("reduceSumSquare", [x], axes) == .ulp(16))
        #expect(try tolerance("reduceLogSum", [x], axes) == .ulp(26))
        #expect(try tolerance("reduceLogSumExp", [x], axes) == .ulp(34))
        #expect(try tolerance("reduceMax", [x], axes) == .ulp(0))
        #expect(try tolerance("reduceSum", [x], ["axes": .ints([])]) == .ulp(1), "no axes: N = 1")
        #expect(try tolerance("argMax", [x], ["axis": .int(1)]) == .ulp(0))
        #expect(try tolerance("cumulativeSum", [x], ["axis": .int(2)]) == .ulp(4))
    }
}
