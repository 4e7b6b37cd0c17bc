import Testing
import WebNNBasics
@testable import WebNNCodeGen
import WebNNIR
import WebNNLowering
import WebNNReference
import WebNNTransforms

/// `quantizedAdd`: the compiled kernel equals the interpreter exactly (random shapes, types,
/// zero points, scales and bounds; whole vectors, tails and several tasks; the host's vectors and
/// AVX2's), and the `fuse-qdq` pass turns a QDQ residual add into it within one quantization
/// step of the QDQ float graph.
@Suite struct QuantizedAddTests {
    @Test(arguments: 0..<10) func matchesInterpreter(_ round: Int) throws {
        let seed = testSeed()
        var maker = GraphMaker(seed: seed)
        var g = maker.generator
        let shape = [[1, 7, 5, 3], [2, 16], [1, 33, 29, 19], [37], [1, 64, 17, 17]][round % 5]
        let count = shape.reduce(1, *)
        let types: [DataType] = [round % 2 == 0 ? .uint8 : .int8, round % 3 == 0 ? .int8 : .uint8]
        let outputType: DataType = round % 4 == 1 ? .int8 : .uint8
        func values(_ type: DataType) -> [Int64] {
            (0..<count).map { _ in Int64(Int.random(in: QuantizedConv2dParameters.range(type), using: &g)) }
        }
        let (aValues, bValues) = (values(types[0]), values(types[1]))
        let zeroPoints = types.map { Int.random(in: QuantizedConv2dParameters.range($0), using: &g) }
        let outputRange = QuantizedConv2dParameters.range(outputType)
        let outputZeroPoint = Int.random(in: outputRange, using: &g)
        var attributes: [String: Attribute] = [
            "aScale": .double(Double(Float.random(in: 0.1...1.5, using: &g))), "bScale": .double(Double(Float.random(in: 0.1...1.5, using: &g))),
            "aZeroPoint": .int(Int64(zeroPoints[0])), "bZeroPoint": .int(Int64(zeroPoints[1])),
            "outputZeroPoint": .int(Int64(outputZeroPoint)), "outputDataType": .string(outputType.rawValue),
        ]
        if round % 3 == 1 { attributes["outputMinValue"] = .int(Int64(outputZeroPoint)) }  // a fused relu
        if round % 3 == 2 { attributes["outputMaxValue"] = .int(Int64(min(outputRange.upperBound, outputZeroPoint + 40))) }
        maker.generator = g
        let a = try maker.input("a", shape, types[0], values: aValues)
        let b = try maker.input("b", shape, types[1], values: bValues)
        try maker.node(QuantizedAddParameters.operatorName, [a, b], attributes)
        try expectMatchesReference(maker, seed: seed)
        if QuantizedConv2dTests.hostHasAVX2 {
            var options = CodeGenOptions(prefix: "model")
            options.target = QuantizedConv2dTests.avx2
            try expectMatchesReference(maker, seed: seed, options: options)
        }
    }

    /// Values exactly halfway between two integers round to the even one (0.5 → 0, 1.5 → 2,
    /// −0.5 → 0, −2.5 → −2), and the bounds clamp: the kernel's rounding is the operator's.
    @Test func roundsHalfToEven() throws {
        var maker = GraphMaker(seed: 1)
        let a = try maker.input("a", [6], .uint8, values: [1, 3, 0, 0, 255, 10])
        let b = try maker.input("b", [6], .uint8, values: [0, 0, 1, 5, 255, 10])
        try maker.node(QuantizedAddParameters.operatorName, [a, b], [
            "aScale": .double(0.5), "bScale": .double(-0.5), "outputZeroPoint": .int(10)])
        let outputs = try expectMatchesReference(maker, seed: 1)
        // 0.5, 1.5, −0.5, −2.5, 0, 0 → 0, 2, 0, −2, 0, 0, plus 10.
        #expect(outputs.values.first?.integers == [10, 12, 10, 8, 10, 10])
    }

    @Test func rejectsMismatchedShapes() throws {
        var maker = GraphMaker(seed: 1)
        let a = try maker.input("a", [4], .uint8, values: [1, 2, 3, 4])
        let b = try maker.input("b", [2, 2], .uint8, values: [1, 2, 3, 4])
        #expect(throws: (any Error).self) { try maker.node(QuantizedAddParameters.operatorName, [a, b]) }
    }

    /// quantizeLinear(relu|clamp?(add(dequantizeLinear(a), dequantizeLinear(b)))) → one quantizedAdd.
    @Test(arguments: 0..<6) func qdqAdd(_ round: Int) throws {
        let seed = testSeed()
        var maker = GraphMaker(seed: seed)
        let type: DataType = round % 2 == 0 ? .uint8 : .int8
        let shape = [1, [3, 8, 16][round % 3], Int.random(in: 3...9, using: &maker.generator), Int.random(in: 3...21, using: &maker.generator)]
        var quantized: [ValueID] = []
        for (index, name) in ["a", "b"].enumerated() {
            let image = try maker.input(name, shape, in: -2...2)
            let scale = Float.random(in: 0.008...0.03, using: &maker.generator)
            let zero = type == .uint8 ? [128, 90][index] : [0, -7][index]
            let q = try maker.node("quantizeLinear", [image, try maker.scaleConstant("\(name)s", scale), try maker.zeroPointConstant("\(name)z", zero, type)], output: false)
            quantized.append(try maker.node("dequantizeLinear", [q, try maker.scaleConstant("\(name)s2", scale), try maker.zeroPointConstant("\(name)z2", zero, type)],
                                            output: false))
        }
        var y = try maker.node("add", quantized, output: false)
        if round % 3 == 0 { y = try maker.node("relu", [y], output: false) }
        if round % 3 == 1 { y = try maker.node("clamp", [y], ["minValue": .double(-1), "maxValue": .double(3)], output: false) }
        try maker.node("quantizeLinear", [y, try maker.scaleConstant("ys", Float.random(in: 0.01...0.05, using: &maker.generator)),
                                          try maker.zeroPointConstant("yz", type == .uint8 ? 60 : -20, type)])
        try expectQDQFusion(maker, seed: seed, into: QuantizedAddParameters.operatorName, removing: ["add", "relu", "clamp"], rarelyOffByOne: true)
    }

    /// A QDQ concat: the input with the result's scale and zero point is concatenated as it is,
    /// the other is requantized by a quantizedAdd without b; a QDQ reshape of the result (the same
    /// parameters) becomes a plain reshape of the bytes.
    @Test(arguments: 0..<4) func qdqConcatAndReshape(_ round: Int) throws {
        let seed = testSeed()
        var maker = GraphMaker(seed: seed)
        let type: DataType = round % 2 == 0 ? .uint8 : .int8
        let (height, width) = (Int.random(in: 2...7, using: &maker.generator), Int.random(in: 2...9, using: &maker.generator))
        let parameters: [(Float, Int)] = [(0.011, type == .uint8 ? 0 : -5), (Float.random(in: 0.005...0.03, using: &maker.generator), type == .uint8 ? 17 : 3)]
        let axis = round < 2 ? 1 : 3
        var dequantized: [ValueID] = []
        for (index, (scale, zero)) in parameters.enumerated() {
            let shape = axis == 1 ? [1, [3, 16][index], height, width] : [1, 4, height, [width, width + 5][index]]
            let image = try maker.input("x\(index)", shape, in: -1...1)
            let q = try maker.node("quantizeLinear", [image, try maker.scaleConstant("s\(index)", scale), try maker.zeroPointConstant("z\(index)", zero, type)], output: false)
            dequantized.append(try maker.node("dequantizeLinear", [q, try maker.scaleConstant("t\(index)", scale), try maker.zeroPointConstant("u\(index)", zero, type)],
                                              output: false))
        }
        let concat = try maker.node("concat", dequantized.reversed(), ["axis": .int(Int64(axis))], output: false)
        let q = try maker.node("quantizeLinear", [concat, try maker.scaleConstant("ys", parameters[0].0), try maker.zeroPointConstant("yz", parameters[0].1, type)],
                               output: false)
        let dq = try maker.node("dequantizeLinear", [q, try maker.scaleConstant("ys2", parameters[0].0), try maker.zeroPointConstant("yz2", parameters[0].1, type)],
                                output: false)
        let flat = try maker.node("reshape", [dq], ["newShape": .ints([Int64(maker.graph[concat].type.elementCount)])], output: false)
        try maker.node("quantizeLinear", [flat, try maker.graph.addConstant("fs", Constant(data: TensorData(float32: [parameters[0].0], shape: [1]))),
                                          try maker.graph.addConstant("fz", Constant(data: TensorData(type, shape: [1], integers: [Int64(parameters[0].1)])))])
        try expectQDQFusion(maker, seed: seed, into: QuantizedAddParameters.operatorName, removing: ["dequantizeLinear"], rarelyOffByOne: false)
    }
}

/// Per-tensor quantizeLinear (float32 → uint8/int8) and dequantizeLinear (uint8/int8 → float32)
/// take `QuantizationKernel`'s 16-lane path: bit for bit the interpreter's, with special values
/// (NaN gives the zero point, infinities saturate), exact halves, whole vectors and tails, one
/// task and several, on the host's vectors and AVX2's.
@Suite struct VectorizedQuantizationTests {
    @Test(arguments: [(DataType.uint8, 37), (.int8, 16), (.uint8, 40_003), (.int8, 16_390)])
    func roundTrip(_ type: DataType, _ count: Int) throws {
        let seed = testSeed()
        var maker = GraphMaker(seed: seed)
        let specials: [Float] = [.nan, .infinity, -.infinity, 0, -0.0, 0.25, -0.25, 0.75, 1.25, -1.25, 1e30, -1e30]
        let scale: Float = 0.5  // 0.25, 0.75, −1.25 quantize to the halves 0.5, 1.5, −2.5
        var values = (0..<count).map { _ in Float.random(in: -80...80, using: &maker.generator) }  // some saturate
        for (index, special) in specials.enumerated() { values[index * count / specials.count] = special }
        maker.inputs["x"] = TensorData(float32: values, shape: [count])
        let x = try maker.graph.addInput("x", TensorType(.float32, [count]))
        let zero = type == .uint8 ? 131 : -9
        func parameters(_ suffix: String) throws -> (ValueID, ValueID) {
            (try maker.graph.addConstant("s\(suffix)", Constant(data: TensorData(float32: [scale], shape: [1]))),
             try maker.graph.addConstant("z\(suffix)", Constant(data: TensorData(type, shape: [1], integers: [Int64(zero)]))))
        }
        let (s, z) = try parameters("q")
        let q = try maker.node("quantizeLinear", [x, s, z])
        let (s2, z2) = try parameters("d")
        try maker.node("dequantizeLinear", [q, s2, z2])
        try expectMatchesReference(maker, seed: seed)
        if QuantizedConv2dTests.hostHasAVX2 {
            var options = CodeGenOptions(prefix: "model")
            options.target = QuantizedConv2dTests.avx2
            try expectMatchesReference(maker, seed: seed, options: options)
        }
    }
}
