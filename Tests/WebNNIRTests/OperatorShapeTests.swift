import Testing
import WebNNBasics
@testable import WebNNIR

/// Builds a one-node graph over inputs of the given types; returns the node's output types.
private func outputs(_ op: String, _ operandTypes: [TensorType?], _ attributes: [String: Attribute] = [:]) throws -> [TensorType] {
    var graph = Graph(name: "t")
    let operands = try operandTypes.enumerated().map { index, type in try type.map { try graph.addInput("x\(index)", $0) } }
    return try graph.addNode(Node(op: op, operands: operands, attributes: attributes)).map { graph[$0].type }
}

private func infer(_ op: String, _ operandTypes: [TensorType?], _ attributes: [String: Attribute] = [:]) throws -> TensorType {
    try outputs(op, operandTypes, attributes)[0]
}

private func inferenceError(_ op: String, _ operandTypes: [TensorType?], _ attributes: [String: Attribute] = [:]) -> String? {
    do {
        _ = try outputs(op, operandTypes, attributes)
        return nil
    } catch {
        return "\(error)"
    }
}

private func f32(_ shape: Int...) -> TensorType { TensorType(.float32, shape) }
private func i32(_ shape: Int...) -> TensorType { TensorType(.int32, shape) }

@Test func splitShapes() throws {
    #expect(try outputs("split", [f32(2, 6)], ["splits": .int(3), "axis": .int(1)]) == [f32(2, 2), f32(2, 2), f32(2, 2)])
    #expect(try outputs("split", [TensorType(.int8, [5])], ["splits": .ints([2, 3])]) == [TensorType(.int8, [2]), TensorType(.int8, [3])])
    #expect(inferenceError("split", [f32(2, 6)], ["splits": .int(4), "axis": .int(1)])
            == "error: split: input dimension 1 (6) is not divisible by splits (4)")
    #expect(inferenceError("split", [f32(5)], ["splits": .ints([2, 2])]) == "error: split: splits [2, 2] sum to 4, but input dimension 0 is 5")
    // Found by the onnx fuzz target: the sum of the sizes overflowed Int (a trap).
    #expect(inferenceError("split", [f32(5)], ["splits": .ints([Int64.max, Int64.max])])
            == "error: split: splits [9223372036854775807, 9223372036854775807] sum to more than 5, but input dimension 0 is 5")
    #expect(inferenceError("split", [f32(5)], ["splits": .int(1), "axis": .int(1)]) == "error: split: axis 1 is out of range for rank 1")
    #expect(inferenceError("split", [f32()], ["splits": .int(1)]) == "error: split: input must have rank at least 1, but f32[] has rank 0")
}

/// The spec's "valid tensor count" (webnn PR #933): at most 8192 concat inputs or split outputs.
@Test func concatAndSplitTakeAtMost8192Tensors() throws {
    #expect(try outputs("split", [f32(8192)], ["splits": .int(8192)]).count == 8192)
    #expect(inferenceError("split", [f32(8193)], ["splits": .int(8193)]) == "error: split: splits must give 1 to 8192 tensors, got 8193")
    #expect(inferenceError("split", [f32(8193)], ["splits": .ints(Array(repeating: 1, count: 8193))])
            == "error: split: splits must give 1 to 8192 tensors, got 8193")
    #expect(try infer("concat", Array(repeating: f32(1), count: 8192), ["axis": .int(0)]) == f32(8192))
    #expect(inferenceError("concat", Array(repeating: f32(1), count: 8193), ["axis": .int(0)])
            == "error: concat: inputs must give 1 to 8192 tensors, got 8193")
}

@Test func sliceShapes() throws {
    #expect(try infer("slice", [f32(4, 10)], ["starts": .ints([1, 2]), "sizes": .ints([3, 7]), "strides": .ints([2, 3])]) == f32(2, 3))
    #expect(try infer("slice", [f32(4)], ["starts": .ints([0]), "sizes": .ints([4])]) == f32(4))
    #expect(inferenceError("slice", [f32(4, 10)], ["starts": .ints([2, 0]), "sizes": .ints([3, 1])])
            == "error: slice: start 2 + size 3 is out of range for input dimension 0 (4)")
    #expect(inferenceError("slice", [f32(4)], ["starts": .ints([0]), "sizes": .ints([0])]) == "error: slice: sizes must be > 0, got [0]")
    #expect(inferenceError("slice", [f32(4, 4)], ["starts": .ints([0]), "sizes": .ints([1, 1])]) == "error: slice: starts must have 2 values, but has 1")
}

@Test func padExpandTileReverseTriangularShapes() throws {
    #expect(try infer("pad", [f32(2, 3)], ["beginningPadding": .ints([1, 0]), "endingPadding": .ints([2, 3])]) == f32(5, 6))
    #expect(inferenceError("pad", [f32(2, 3)], ["beginningPadding": .ints([2, 0]), "endingPadding": .ints([0, 0]), "mode": .string("reflection")])
            == "error: pad: reflection padding 2 must be less than input dimension 0 (2)")
    #expect(try infer("pad", [f32(2, 3)], ["beginningPadding": .ints([2, 0]), "endingPadding": .ints([0, 0]), "mode": .string("edge")]) == f32(4, 3))
    // Found by the onnx fuzz target: the padded size overflowed Int (a trap).
    #expect(inferenceError("pad", [f32(2, 3)], ["beginningPadding": .ints([Int64.max, 0]), "endingPadding": .ints([0, 0])])
            == "error: pad: padding 9223372036854775807 + 0 of dimension 0 is too large")
    // Any result beyond TensorType.maximumByteSize is refused when the node is added.
    #expect(inferenceError("tile", [f32(2, 3)], ["repetitions": .ints([1 << 40, 1 << 20])])
            == "error: tile: its result f32[2199023255552, 3145728] would exceed 9007199254740992 bytes")
    #expect(try infer("expand", [f32(3, 1)], ["newShape": .ints([2, 3, 4])]) == f32(2, 3, 4))
    // Unidirectional (the spec): newShape is the output shape; [3, 4] does not expand to [1].
    #expect(inferenceError("expand", [f32(3, 4)], ["newShape": .ints([1])]) == "error: expand: input of shape [3, 4] does not broadcast to [1]")
    #expect(inferenceError("expand", [f32(3, 4)], ["newShape": .ints([2, 1, 4])]) == "error: expand: input of shape [3, 4] does not broadcast to [2, 1, 4]")
    #expect(inferenceError("expand", [f32(3, 2)], ["newShape": .ints([3, 4])]) == "error: expand: input of shape [3, 2] does not broadcast to [3, 4]")
    #expect(try infer("tile", [i32(2, 3)], ["repetitions": .ints([3, 1])]) == i32(6, 3))
    #expect(inferenceError("tile", [f32(2, 3)], ["repetitions": .ints([3])]) == "error: tile: repetitions must have 2 values, but has 1")
    #expect(try infer("reverse", [f32(2, 3)], ["axes": .ints([1])]) == f32(2, 3))
    #expect(inferenceError("reverse", [f32(2, 3)], ["axes": .ints([1, 1])]) == "error: reverse: axes [1, 1] repeat an axis")
    #expect(inferenceError("reverse", [f32(2, 3)], ["axes": .ints([2])]) == "error: reverse: axes value 2 is out of range for rank 2")
    #expect(inferenceError("triangular", [f32(3)]) == "error: triangular: input must have rank at least 2, but f32[3] has rank 1")
}

@Test func indexingShapes() throws {
    #expect(try infer("gather", [f32(4, 5, 6), i32(2, 3)], ["axis": .int(1)]) == f32(4, 2, 3, 6))
    #expect(try infer("gather", [f32(4), i32()]) == f32())
    #expect(inferenceError("gather", [f32(4), f32(2)]) == "error: gather: indices has data type float32; expected int32, uint32, int64")
    #expect(try infer("gatherElements", [f32(4, 5), i32(7, 5)]) == f32(7, 5))
    #expect(inferenceError("gatherElements", [f32(4, 5), i32(7, 4)])
            == "error: gatherElements: indices [7, 4] must match input [4, 5] outside axis 0")
    #expect(try infer("gatherND", [f32(4, 5, 6), i32(2, 3, 2)]) == f32(2, 3, 6))
    #expect(try infer("gatherND", [f32(4, 5), i32(3, 2)]) == f32(3))
    #expect(inferenceError("gatherND", [f32(4, 5), i32(3, 3)]) == "error: gatherND: indices address 3 dimensions, but input f32[4, 5] has rank 2")
    #expect(try infer("scatterElements", [f32(4, 5), i32(4, 2), f32(4, 2)], ["axis": .int(1)]) == f32(4, 5))
    #expect(inferenceError("scatterElements", [f32(4, 5), i32(4, 2), f32(4, 3)], ["axis": .int(1)])
            == "error: scatterElements: updates must have the shape of indices [4, 2], but has [4, 3]")
    #expect(try infer("scatterND", [f32(4, 5, 6), i32(3, 2), f32(3, 6)]) == f32(4, 5, 6))
    #expect(inferenceError("scatterND", [f32(4, 5, 6), i32(3, 2), f32(3, 5)]) == "error: scatterND: updates must have shape [3, 6], but has [3, 5]")
}

@Test func resampleAndL2PoolShapes() throws {
    #expect(try infer("resample2d", [f32(1, 3, 4, 5)], ["scales": .doubles([2, 0.5])]) == f32(1, 3, 8, 2))
    #expect(try infer("resample2d", [f32(1, 3, 4, 5)], ["sizes": .ints([7, 9]), "axes": .ints([1, 2])]) == f32(1, 7, 9, 5))
    #expect(try infer("resample2d", [TensorType(.uint8, [1, 1, 2, 2])], ["scales": .doubles([1.5, 1.5])]) == TensorType(.uint8, [1, 1, 3, 3]))
    #expect(inferenceError("resample2d", [i32(1, 1, 2, 2)]) == "error: resample2d: input has data type int32; expected float32, float16, int8, uint8")
    #expect(inferenceError("resample2d", [f32(1, 1, 2, 2)], ["axes": .ints([2, 2])]) == "error: resample2d: axes [2, 2] repeat an axis")
    #expect(inferenceError("resample2d", [f32(1, 1, 2, 2)], ["scales": .doubles([0.25, 1])])
            == "error: resample2d: scales [0.25, 1.0] give an empty output ([0, 2])")
    #expect(try infer("l2Pool2d", [f32(1, 2, 5, 5)], ["windowDimensions": .ints([2, 2]), "strides": .ints([2, 2])]) == f32(1, 2, 2, 2))
    #expect(inferenceError("l2Pool2d", [i32(1, 2, 5, 5)]) == "error: l2Pool2d: input has data type int32; expected float32, float16")
}

@Test func convTranspose2dShapes() throws {
    #expect(try infer("convTranspose2d", [f32(1, 3, 4, 4), f32(3, 8, 3, 3), nil]) == f32(1, 8, 6, 6))
    #expect(try infer("convTranspose2d", [f32(1, 3, 4, 4), f32(3, 8, 3, 3), f32(8)],
                      ["strides": .ints([2, 2]), "padding": .ints([1, 1, 1, 1]), "outputPadding": .ints([1, 1])]) == f32(1, 8, 8, 8))
    #expect(try infer("convTranspose2d", [f32(1, 5, 5, 4), f32(3, 3, 2, 4), nil],
                      ["inputLayout": .string("nhwc"), "filterLayout": .string("hwoi"), "groups": .int(2), "dilations": .ints([2, 1])])
            == f32(1, 9, 7, 4))
    #expect(try infer("convTranspose2d", [f32(1, 2, 3, 3), f32(4, 1, 1, 2), nil], ["filterLayout": .string("ohwi"), "strides": .ints([3, 2]),
                                                                                  "outputSizes": .ints([9, 6])]) == f32(1, 4, 9, 6))
    #expect(inferenceError("convTranspose2d", [f32(1, 2, 3, 3), f32(2, 4, 1, 1), nil], ["strides": .ints([3, 2]), "outputSizes": .ints([10, 6])])
            == "error: convTranspose2d: outputSizes [10, 6] must be at least [7, 5] and less than that plus strides [3, 2]")
    #expect(inferenceError("convTranspose2d", [f32(1, 2, 3, 3), f32(2, 4, 1, 1), nil], ["outputPadding": .ints([1, 0])])
            == "error: convTranspose2d: outputPadding [1, 0] must be >= 0 and less than strides [1, 1]")
    // The spec checks outputPadding only without outputSizes, which then wins and ignores it.
    #expect(try infer("convTranspose2d", [f32(1, 2, 3, 3), f32(2, 4, 1, 1), nil],
                      ["strides": .ints([3, 2]), "outputPadding": .ints([5, 2]), "outputSizes": .ints([8, 6])]) == f32(1, 4, 8, 6))
    #expect(inferenceError("convTranspose2d", [f32(1, 3, 3, 3), f32(2, 4, 1, 1), nil])
            == "error: convTranspose2d: filter input channels (2) != input channels (3)")
    #expect(inferenceError("convTranspose2d", [f32(1, 2, 3, 3), f32(2, 4, 1, 1), f32(3)])
            == "error: convTranspose2d: bias must have shape [4], but has [3]")
}

@Test func instanceAndLayerNormalizationShapes() throws {
    #expect(try infer("instanceNormalization", [f32(1, 3, 4, 4), f32(3), f32(3)]) == f32(1, 3, 4, 4))
    #expect(inferenceError("instanceNormalization", [f32(1, 4, 4, 3), f32(4), nil], ["layout": .string("nhwc")])
            == "error: instanceNormalization: scale must have shape [3] (input channels), but has [4]")
    #expect(try infer("layerNormalization", [f32(2, 3, 4), f32(3, 4), f32(3, 4)]) == f32(2, 3, 4))
    #expect(try infer("layerNormalization", [f32(2, 3, 4), f32(4, 2), nil], ["axes": .ints([2, 0])]) == f32(2, 3, 4))
    #expect(inferenceError("layerNormalization", [f32(2, 3, 4), f32(2, 4), nil], ["axes": .ints([2, 0])])
            == "error: layerNormalization: scale must have shape [4, 2] (input dimensions [2, 0]), but has [2, 4]")
    #expect(inferenceError("layerNormalization", [f32(2, 3), nil, nil], ["axes": .ints([0, 0])])
            == "error: layerNormalization: axes [0, 0] repeat an axis")
}

@Test func quantizeAndDequantizeShapes() throws {
    let u8 = { (shape: [Int]) in TensorType(.uint8, shape) }
    #expect(try infer("quantizeLinear", [f32(4, 6), f32(1, 1), u8([1, 1])]) == u8([4, 6]))
    #expect(try infer("quantizeLinear", [f32(4, 6), f32(4, 3), TensorType(.int8, [4, 3])]) == TensorType(.int8, [4, 6]))
    #expect(try infer("dequantizeLinear", [u8([4, 6]), TensorType(.float16, [1, 6]), u8([1, 6])]) == TensorType(.float16, [4, 6]))
    #expect(inferenceError("quantizeLinear", [f32(4, 6), f32(4, 4), u8([4, 4])])
            == "error: quantizeLinear: input dimension 1 (6) is not a multiple of scale dimension 1 (4)")
    #expect(inferenceError("quantizeLinear", [f32(4, 6), f32(6), u8([6])])
            == "error: quantizeLinear: scale must have the rank of input (2), but f32[6] has rank 1")
    #expect(inferenceError("dequantizeLinear", [u8([4]), f32(1), TensorType(.int8, [1])])
            == "error: dequantizeLinear: zeroPoint has data type int8 but input has uint8")
    #expect(inferenceError("quantizeLinear", [f32(4), f32(1), TensorType(.int64, [1])])
            == "error: quantizeLinear: zeroPoint has data type int64; expected int32, uint32, int8, uint8")
}

@Test func recurrentShapes() throws {
    let gru: [TensorType?] = [f32(5, 2, 3), f32(2, 12, 3), f32(2, 12, 4), f32(2, 12), nil, f32(2, 2, 4)]
    let attributes: [String: Attribute] = ["steps": .int(5), "hiddenSize": .int(4), "direction": .string("both")]
    #expect(try outputs("gru", gru, attributes) == [f32(2, 2, 4)])
    #expect(try outputs("gru", gru, attributes.merging(["returnSequence": .bool(true)]) { $1 }) == [f32(2, 2, 4), f32(5, 2, 2, 4)])
    #expect(inferenceError("gru", gru, ["steps": .int(5), "hiddenSize": .int(4)])
            == "error: gru: weight must have shape [1, 12, 3], but has [2, 12, 3]")
    #expect(inferenceError("gru", gru, attributes.merging(["steps": .int(4)]) { $1 })
            == "error: gru: steps (4) must equal input dimension 0 (5)")
    #expect(inferenceError("gru", gru, attributes.merging(["activations": .strings(["relu"])]) { $1 })
            == "error: gru: activations must have 2 values, but has 1")
    #expect(try outputs("gruCell", [f32(2, 3), f32(12, 3), f32(12, 4), f32(2, 4), nil, f32(12)], ["hiddenSize": .int(4)]) == [f32(2, 4)])
    let lstm: [TensorType?] = [f32(5, 2, 3), f32(1, 16, 3), f32(1, 16, 4), nil, nil, f32(1, 12), nil, f32(1, 2, 4)]
    #expect(try outputs("lstm", lstm, ["steps": .int(5), "hiddenSize": .int(4), "returnSequence": .bool(true)])
            == [f32(1, 2, 4), f32(1, 2, 4), f32(5, 1, 2, 4)])
    #expect(inferenceError("lstm", lstm, ["steps": .int(5), "hiddenSize": .int(3)])
            == "error: lstm: weight must have shape [1, 12, 3], but has [1, 16, 3]")
    #expect(try outputs("lstmCell", [f32(2, 3), f32(16, 3), f32(16, 4), f32(2, 4), f32(2, 4)], ["hiddenSize": .int(4)]) == [f32(2, 4), f32(2, 4)])
    #expect(inferenceError("lstmCell", [f32(2, 3), f32(16, 3), f32(16, 4), f32(2, 4), f32(2, 5)], ["hiddenSize": .int(4)])
            == "error: lstmCell: cellState must have shape [2, 4], but has [2, 5]")
}

/// Attribute values near Int64.max (what the fuzz targets write) give shape errors, never an
/// arithmetic-overflow trap, in every shape rule that adds or multiplies them.
@Test func hugeAttributesAreErrorsNotTraps() throws {
    let huge = Int64.max
    #expect(inferenceError("tile", [f32(2, 3)], ["repetitions": .ints([huge, 1])]) != nil)
    #expect(inferenceError("slice", [f32(4, 4)], ["starts": .ints([2, 0]), "sizes": .ints([huge, 1])]) != nil)
    #expect(inferenceError("slice", [f32(4, 4)], ["starts": .ints([huge, 0]), "sizes": .ints([1, 1])]) != nil)
    #expect(inferenceError("resample2d", [f32(1, 1, 4, 4)], ["scales": .doubles([1e300, 1])]) != nil)
    #expect(inferenceError("conv2d", [f32(1, 1, 4, 4), f32(1, 1, 3, 3)], ["padding": .ints([huge, huge, 0, 0])]) != nil)
    #expect(inferenceError("conv2d", [f32(1, 1, 4, 4), f32(1, 1, 3, 3)], ["dilations": .ints([huge, 1])]) != nil)
    #expect(inferenceError("maxPool2d", [f32(1, 1, 4, 4)], ["padding": .ints([huge, 0, 0, 0])]) != nil)
    #expect(inferenceError("conv2d", [f32(1, 2, 4, 4), f32(1, 2, 3, 3)], ["groups": .int(huge)]) != nil)
}
