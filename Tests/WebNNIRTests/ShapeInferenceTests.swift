import Testing
import WebNNBasics
@testable import WebNNIR

/// Builds a one-node graph over inputs of the given types and returns the node's output type or the error.
private func infer(_ op: String, _ operandTypes: [TensorType?], _ attributes: [String: Attribute] = [:]) throws -> TensorType {
    var graph = Graph(name: "t")
    var operands: [ValueID?] = []
    for (index, type) in operandTypes.enumerated() {
        operands.append(try type.map { try graph.addInput("x\(index)", $0) })
    }
    let output = try graph.addNode(Node(op: op, operands: operands, attributes: attributes))[0]
    return graph[output].type
}

private func inferenceError(_ op: String, _ operandTypes: [TensorType?], _ attributes: [String: Attribute] = [:]) -> String? {
    do {
        _ = try infer(op, operandTypes, attributes)
        return nil
    } catch {
        return "\(error)"
    }
}

private func f32(_ shape: Int...) -> TensorType { TensorType(.float32, shape) }

@Test func binaryBroadcasts() throws {
    #expect(try infer("add", [f32(2, 1, 4), f32(3, 1)]) == f32(2, 3, 4))
    #expect(try infer("max", [f32(), f32(5)]) == f32(5))
    #expect(inferenceError("mul", [f32(2, 3), f32(4, 3)]) == "error: mul: shapes [2, 3] and [4, 3] are not broadcastable")
    #expect(inferenceError("sub", [f32(2), TensorType(.int32, [2])]) == "error: sub: b has data type int32 but a has float32")
}

@Test func conv2dShapes() throws {
    #expect(try infer("conv2d", [f32(1, 3, 32, 32), f32(16, 3, 3, 3), nil], ["padding": .ints([1, 1, 1, 1])]) == f32(1, 16, 32, 32))
    #expect(try infer("conv2d", [f32(1, 3, 32, 32), f32(8, 3, 3, 3), nil], ["strides": .ints([2, 2])]) == f32(1, 8, 15, 15))
    #expect(try infer("conv2d", [f32(1, 7, 9, 3), f32(3, 3, 3, 4), nil],
                      ["inputLayout": .string("nhwc"), "filterLayout": .string("hwio"), "dilations": .ints([2, 2])]) == f32(1, 3, 5, 4))
    #expect(try infer("conv2d", [f32(1, 8, 5, 5), f32(1, 3, 3, 8), f32(8)],
                      ["groups": .int(8), "filterLayout": .string("ihwo"), "padding": .ints([0, 1, 2, 0])]) == f32(1, 8, 4, 5))
    #expect(inferenceError("conv2d", [f32(1, 3, 8, 8), f32(4, 4, 3, 3), nil])
            == "error: conv2d: filter input channels (4) x groups (1) != input channels (3)")
    #expect(inferenceError("conv2d", [f32(1, 3, 8, 8), f32(4, 3, 3, 3), f32(5)])
            == "error: conv2d: bias must have shape [4], but has [5]")
    #expect(inferenceError("conv2d", [f32(1, 3, 2, 2), f32(4, 3, 3, 3), nil])
            == "error: conv2d: height window 3 (dilated to 3) is larger than the padded input (2)")
}

@Test func poolShapes() throws {
    #expect(try infer("averagePool2d", [f32(1, 8, 7, 7)]) == f32(1, 8, 1, 1))
    #expect(try infer("maxPool2d", [f32(1, 2, 5, 5)], ["windowDimensions": .ints([2, 2]), "strides": .ints([2, 2])]) == f32(1, 2, 2, 2))
    #expect(try infer("maxPool2d", [f32(1, 2, 5, 5)], ["windowDimensions": .ints([2, 2]), "strides": .ints([2, 2]),
                                                       "outputShapeRounding": .string("ceil")]) == f32(1, 2, 3, 3))
    #expect(try infer("maxPool2d", [f32(1, 5, 5, 2)], ["windowDimensions": .ints([2, 2]), "strides": .ints([2, 2]),
                                                       "layout": .string("nhwc"), "outputSizes": .ints([3, 2])]) == f32(1, 3, 2, 2))
    #expect(inferenceError("maxPool2d", [f32(1, 2, 5, 5)], ["windowDimensions": .ints([2, 2]), "strides": .ints([2, 2]),
                                                           "outputSizes": .ints([4, 4])])
            == "error: maxPool2d: outputSizes [4, 4] must match the floor [2, 2] or ceil [3, 3] output size")
}

@Test func matrixShapes() throws {
    #expect(try infer("matmul", [f32(2, 1, 3, 4), f32(5, 4, 6)]) == f32(2, 5, 3, 6))
    #expect(inferenceError("matmul", [f32(3, 4), f32(5, 6)]) == "error: matmul: inner dimensions differ: a is [3, 4], b is [5, 6]")
    #expect(try infer("gemm", [f32(4, 3), f32(5, 4), f32(5)], ["aTranspose": .bool(true), "bTranspose": .bool(true)]) == f32(3, 5))
    #expect(inferenceError("gemm", [f32(3, 4), f32(4, 5), f32(2, 5)]) == "error: gemm: c of shape [2, 5] does not broadcast to [3, 5]")
}

@Test func dataMovementShapes() throws {
    #expect(try infer("reshape", [f32(2, 3, 4)], ["newShape": .ints([4, 6])]) == f32(4, 6))
    #expect(inferenceError("reshape", [f32(2, 3)], ["newShape": .ints([4, 2])])
            == "error: reshape: newShape [4, 2] has 8 elements but the input f32[2, 3] has 6")
    #expect(try infer("transpose", [f32(2, 3, 4)]) == f32(4, 3, 2))
    #expect(try infer("transpose", [f32(2, 3, 4)], ["permutation": .ints([0, 2, 1])]) == f32(2, 4, 3))
    #expect(try infer("concat", [f32(2, 3), f32(2, 5)], ["axis": .int(1)]) == f32(2, 8))
    #expect(inferenceError("concat", [f32(2, 3), f32(3, 3)], ["axis": .int(1)])
            == "error: concat: inputs[1] [3, 3] does not match inputs[0] [2, 3] outside axis 1")
    #expect(inferenceError("softmax", [f32(2, 3)], ["axis": .int(2)]) == "error: softmax: axis 2 is out of range for rank 2")
}

@Test func normalizationShapes() throws {
    #expect(try infer("batchNormalization", [f32(1, 4, 2, 2), f32(4), f32(4), nil, nil]) == f32(1, 4, 2, 2))
    #expect(try infer("batchNormalization", [f32(1, 2, 2, 4), f32(4), f32(4), f32(4), f32(4)], ["axis": .int(3)]) == f32(1, 2, 2, 4))
    #expect(inferenceError("batchNormalization", [f32(1, 4, 2, 2), f32(3), f32(4), nil, nil])
            == "error: batchNormalization: mean must have shape [4] (input dimension 1), but has [3]")
    #expect(inferenceError("clamp", [f32(3)], ["minValue": .double(2), "maxValue": .double(1)])
            == "error: clamp: minValue (2.0) is greater than maxValue (1.0)")
}

@Test func duplicateNamesAreRejected() throws {
    var graph = Graph(name: "t")
    try graph.addInput("x", f32(2), at: SourceLocation(file: "g.webnn", line: 3, column: 5))
    #expect(throws: Diagnostic.self) { try graph.addInput("x", f32(2)) }
    #expect(throws: Diagnostic.self) { try graph.addInput("zero", f32(0)) }
}
