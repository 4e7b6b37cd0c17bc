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

private func typed(_ dataType: DataType, _ shape: Int...) -> TensorType { TensorType(dataType, shape) }

@Test func elementwiseUnaryShapesAndTypes() throws {
    for op in ["abs", "neg", "sign", "relu"] {
        for dataType in [DataType.float32, .float16, .int64, .int32, .int8] {
            #expect(try infer(op, [typed(dataType, 2, 3)]) == typed(dataType, 2, 3), "\(op) \(dataType)")
        }
        #expect(inferenceError(op, [typed(.uint8, 2)]) == "error: \(op): input has data type uint8; expected float32, float16, int32, int64, int8")
    }
    for op in ["ceil", "floor", "roundEven", "cos", "sin", "tan", "exp", "log", "sqrt", "erf", "reciprocal", "gelu", "elu",
               "leakyRelu", "hardSigmoid", "hardSwish", "linear", "softplus", "softsign"] {
        #expect(try infer(op, [typed(.float16, 4)]) == typed(.float16, 4), "\(op)")
        #expect(try infer(op, [f32()]) == f32(), "\(op) on a scalar")
        #expect(inferenceError(op, [typed(.int32, 4)]) == "error: \(op): input has data type int32; expected float32, float16")
    }
    #expect(OpSchema.registry["hardSigmoid"]?.options.map(\.defaultValue) == [.double(0.2), .double(0.5)])
    #expect(OpSchema.registry["leakyRelu"]?.parameter(named: "alpha")?.defaultValue == .double(0.01))
    #expect(OpSchema.registry["elu"]?.parameter(named: "alpha")?.defaultValue == .double(1))
    #expect(OpSchema.registry["linear"]?.options.map(\.defaultValue) == [.double(1), .double(0)])
}

@Test func preluAndCastShapes() throws {
    #expect(try infer("prelu", [f32(2, 3, 4), f32(3, 1)]) == f32(2, 3, 4))
    #expect(try infer("prelu", [f32(4), f32(2, 1)]) == f32(2, 4), "slope broadcasts both ways")
    #expect(try infer("prelu", [typed(.int8, 2), typed(.int8, 2)]) == typed(.int8, 2))
    #expect(inferenceError("prelu", [f32(2), typed(.float16, 2)]) == "error: prelu: slope has data type float16 but input has float32")
    #expect(inferenceError("prelu", [typed(.uint32, 2), typed(.uint32, 2)])
            == "error: prelu: input has data type uint32; expected float32, float16, int32, int64, int8")
    #expect(try infer("cast", [f32(2, 3)], ["dataType": .string("uint64")]) == typed(.uint64, 2, 3))
    #expect(try infer("cast", [typed(.int8, 1)], ["dataType": .string("f16")]) == typed(.float16, 1))
    #expect(inferenceError("cast", [f32(1)], ["dataType": .string("bool")]) == "error: cast: dataType \"bool\" is not a data type")
    for dataType in DataType.allCases { #expect(try infer("add", [typed(dataType, 2), typed(dataType, 1)]) == typed(dataType, 2)) }
}

@Test func logicalShapes() throws {
    for op in ["equal", "notEqual", "greater", "greaterOrEqual", "lesser", "lesserOrEqual"] {
        for dataType in DataType.allCases {
            #expect(try infer(op, [typed(dataType, 2, 1), typed(dataType, 3)]) == typed(.uint8, 2, 3), "\(op) \(dataType)")
        }
    }
    for op in ["logicalAnd", "logicalOr", "logicalXor"] {
        #expect(try infer(op, [typed(.uint8, 4), typed(.uint8)]) == typed(.uint8, 4))
        #expect(inferenceError(op, [f32(4), f32(4)]) == "error: \(op): a has data type float32; expected uint8")
    }
    #expect(try infer("logicalNot", [typed(.uint8, 2, 2)]) == typed(.uint8, 2, 2))
    #expect(inferenceError("logicalNot", [typed(.int8, 2)]) == "error: logicalNot: a has data type int8; expected uint8")
    #expect(try infer("isNaN", [typed(.float16, 3)]) == typed(.uint8, 3))
    #expect(try infer("isInfinite", [f32(3)]) == typed(.uint8, 3))
    #expect(inferenceError("isNaN", [typed(.int32, 3)]) == "error: isNaN: a has data type int32; expected float32, float16")
    #expect(try infer("where", [typed(.uint8, 2, 1, 1), typed(.int64, 3, 1), typed(.int64, 4)]) == typed(.int64, 2, 3, 4))
    #expect(inferenceError("where", [f32(2), f32(2), f32(2)]) == "error: where: condition has data type float32; expected uint8")
    #expect(inferenceError("where", [typed(.uint8, 2), f32(2), typed(.float16, 2)])
            == "error: where: falseValue has data type float16 but trueValue has float32")
    #expect(inferenceError("where", [typed(.uint8, 2), f32(3), f32(3)]) == "error: where: shapes [2] and [3] are not broadcastable")
}

@Test func reductionShapes() throws {
    let x = f32(2, 3, 4)
    #expect(try infer("reduceSum", [x]) == f32(), "absent axes reduce every axis")
    #expect(try infer("reduceSum", [x], ["keepDimensions": .bool(true)]) == f32(1, 1, 1))
    #expect(try infer("reduceMean", [x], ["axes": .ints([])]) == x, "empty axes reduce nothing")
    #expect(try infer("reduceL2", [x], ["axes": .ints([2, 0])]) == f32(3))
    #expect(try infer("reduceMax", [typed(.uint8, 2, 3, 4)], ["axes": .ints([1]), "keepDimensions": .bool(true)]) == typed(.uint8, 2, 1, 4))
    #expect(try infer("reduceProduct", [f32()]) == f32(), "a scalar reduces to itself")
    #expect(inferenceError("reduceSum", [x], ["axes": .ints([3])]) == "error: reduceSum: axes value 3 is out of range for rank 3")
    #expect(inferenceError("reduceSum", [x], ["axes": .ints([1, 1])]) == "error: reduceSum: axes [1, 1] has a repeated axis")
    #expect(inferenceError("reduceLogSumExp", [typed(.int32, 2)]) == "error: reduceLogSumExp: input has data type int32; expected float32, float16")
    #expect(inferenceError("reduceL1", [typed(.int8, 2)])
            == "error: reduceL1: input has data type int8; expected float32, float16, int32, uint32, int64, uint64")
    #expect(try infer("reduceSumSquare", [typed(.uint64, 2)]) == typed(.uint64))
    var graph = Graph(name: "t")
    let input = try graph.addInput("x", x)
    let reduction = try ReductionParameters(Node(op: "reduceSum", operands: [input], attributes: ["axes": .ints([2, 0])]), graph)
    #expect(reduction.axes == [0, 2] && reduction.reducedElementCount == 8 && reduction.outputShape == [3])

    #expect(try infer("argMax", [x], ["axis": .int(1)]) == typed(.int32, 2, 4))
    #expect(try infer("argMin", [typed(.uint8, 2, 3)], ["axis": .int(0), "keepDimensions": .bool(true), "outputDataType": .string("int64")])
            == typed(.int64, 1, 3))
    #expect(inferenceError("argMin", [x], ["axis": .int(3)]) == "error: argMin: axis 3 is out of range for rank 3")
    #expect(inferenceError("argMax", [x], ["axis": .int(0), "outputDataType": .string("uint32")])
            == "error: argMax: outputDataType must be int32 or int64, got uint32")
    #expect(inferenceError("argMax", [f32()], ["axis": .int(0)]) == "error: argMax: input must have rank at least 1, but f32[] has rank 0")

    #expect(try infer("cumulativeSum", [typed(.int64, 3, 2)], ["axis": .int(1), "reversed": .bool(true)]) == typed(.int64, 3, 2))
    #expect(inferenceError("cumulativeSum", [x], ["axis": .int(-1)]) == "error: cumulativeSum: axis -1 is out of range for rank 3")
    #expect(inferenceError("cumulativeSum", [typed(.int8, 3)], ["axis": .int(0)])
            == "error: cumulativeSum: input has data type int8; expected float32, float16, int32, uint32, int64, uint64")
}
