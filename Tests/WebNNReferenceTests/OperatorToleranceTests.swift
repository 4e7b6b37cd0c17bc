import Testing
import WebNNBasics
import WebNNIR
import WebNNReference

/// The WPT tolerance rules of the data movement, indexing, resampling, transposed convolution,
/// normalization and quantization operators.
@Suite struct OperatorToleranceTests {
    private func tolerance(_ op: String, _ types: [TensorType?], _ attributes: [String: Attribute] = [:]) throws -> Tolerance {
        var graph = Graph(name: op)
        let ids = try types.enumerated().map { index, type in try type.map { try graph.addInput("x\(index)", $0) } }
        let output = try graph.addNode(Node(op: op, operands: ids, attributes: attributes))[0]
        return try Tolerance.wpt(for: output, in: graph)
    }

    private let x = TensorType(.float32, [1, 4, 6, 6])
    private let half = TensorType(.float16, [1, 4, 6, 6])

    @Test func dataMovementIsExact() throws {
        let indices = TensorType(.int32, [2])
        #expect(try tolerance("split", [x], ["splits": .int(2), "axis": .int(1)]) == .ulp(0))
        #expect(try tolerance("slice", [x], ["starts": .ints([0, 0, 0, 0]), "sizes": .ints([1, 1, 1, 1])]) == .ulp(0))
        #expect(try tolerance("pad", [x], ["beginningPadding": .ints([0, 0, 1, 1]), "endingPadding": .ints([0, 0, 1, 1])]) == .ulp(0))
        #expect(try tolerance("expand", [x], ["newShape": .ints([2, 4, 6, 6])]) == .ulp(0))
        #expect(try tolerance("tile", [x], ["repetitions": .ints([1, 1, 1, 2])]) == .ulp(0))
        #expect(try tolerance("reverse", [x]) == .ulp(0))
        #expect(try tolerance("triangular", [x]) == .ulp(0))
        #expect(try tolerance("gather", [x, indices]) == .ulp(0))
        #expect(try tolerance("scatterND", [x, TensorType(.int32, [1, 4]), TensorType(.float32, [1])]) == .ulp(0))
        #expect(try tolerance("dequantizeLinear", [TensorType(.uint8, [4]), TensorType(.float32, [1]), TensorType(.uint8, [1])]) == .ulp(1))
    }

    @Test func shapeDependentCounts() throws {
        #expect(try tolerance("l2Pool2d", [x], ["windowDimensions": .ints([2, 3])]) == .ulp(8))
        #expect(try tolerance("resample2d", [x], ["mode": .string("linear")]) == .ulp(84))
        #expect(try tolerance("resample2d", [half], ["mode": .string("linear")]) == .ulp(10))
        #expect(try tolerance("resample2d", [x]) == .ulp(0))
        // 2 * 3 * 2 * (4 / 2) = 24.
        #expect(try tolerance("convTranspose2d", [x, TensorType(.float32, [4, 3, 3, 2]), nil], ["groups": .int(2)]) == .ulp(24))
        #expect(try tolerance("instanceNormalization", [x]) == .ulp(840))
        #expect(try tolerance("instanceNormalization", [half]) == .ulp(8400))
        #expect(try tolerance("layerNormalization", [x]) == .absolute(1.0 / 1024))
        #expect(try tolerance("layerNormalization", [half]) == .absolute(1.0 / 512))
    }
}
