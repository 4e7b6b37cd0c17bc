import Foundation
import Testing
import WebNNBasics
import WebNNCodeGen
import WebNNIR
import WebNNLowering
import WebNNReference

/// Every data type an operator allows, compiled and compared with the reference interpreter
/// (integers exactly), plus expectations that do not come from the interpreter: integer division
/// by zero and overflow, and signed versus unsigned comparisons.
@Suite struct DataTypeTests {
    static let integerTypes: [DataType] = [.int8, .uint8, .int32, .uint32, .int64, .uint64]

    /// The smallest and largest value of an integer type, as two's-complement bits in an Int64.
    static func range(_ dataType: DataType) -> (min: Int64, max: Int64) {
        let bits = dataType.byteSize * 8
        if dataType.isSigned { return bits == 64 ? (.min, .max) : (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) }
        return (0, bits == 64 ? -1 : (1 << bits) - 1)
    }

    /// `a / b` in `dataType` as WebNN defines it (truncating) and the interpreter completes it:
    /// `a / 0 = a`, `MIN / −1 = MIN`. Computed with Swift's own fixed-width integers.
    static func quotient(_ a: Int64, _ b: Int64, _ dataType: DataType) -> Int64 {
        func divide<T: FixedWidthInteger>(_: T.Type) -> Int64 {
            let (x, y) = (T(truncatingIfNeeded: a), T(truncatingIfNeeded: b))
            return Int64(truncatingIfNeeded: y == 0 ? x : x.dividedReportingOverflow(by: y).partialValue)
        }
        switch dataType {
        case .int8: return divide(Int8.self)
        case .uint8: return divide(UInt8.self)
        case .int32: return divide(Int32.self)
        case .uint32: return divide(UInt32.self)
        case .int64: return divide(Int64.self)
        default: return divide(UInt64.self)
        }
    }

    @Test(arguments: integerTypes) func integerDivisionEdgeCases(_ dataType: DataType) throws {
        let seed = testSeed()
        var maker = GraphMaker(seed: seed)
        let (minimum, maximum) = DataTypeTests.range(dataType)
        let pairs: [(Int64, Int64)] = [
            (minimum, -1), (minimum, 0), (minimum, 1), (minimum, 2), (minimum, minimum), (maximum, -1), (maximum, 0),
            (maximum, maximum), (7, 2), (-7, 2), (7, -2), (-7, -2), (0, 0), (5, 0), (-5, 0), (1, maximum),
            (-1, minimum), (minimum &+ 1, -1), (-1, 3), (3, -1), (maximum, 2), (-128, -1), (200, 3), (200, -3),
        ]
        let a = try maker.input("a", dataType, values: pairs.map(\.0))
        let b = try maker.input("b", dataType, values: pairs.map(\.1))
        let division = try maker.node("div", [a, b])
        let random = try maker.input("random", [3, 41], dataType)
        let divisors = try maker.input("divisors", [41], dataType)  // about 1 in 8 is 0, 1 in 28 is -1
        try maker.node("div", [random, divisors])
        let outputs = try expectMatchesReference(maker, seed: seed)
        let quotients = outputs[maker.graph[division].name]!.integers
        let a64 = maker.inputs["a"]!.integers, b64 = maker.inputs["b"]!.integers
        for index in pairs.indices {
            let expected = Int64(truncatingIfNeeded: DataTypeTests.quotient(a64[index], b64[index], dataType))
            let got = TensorData(dataType, shape: [1], integers: [quotients[index]]).integers[0]
            let want = TensorData(dataType, shape: [1], integers: [expected]).integers[0]
            #expect(got == want, "\(dataType): \(a64[index]) / \(b64[index]) gave \(got), expected \(want)")
        }
    }

    /// max, min, clamp and relu compare signed types as signed and unsigned types as unsigned:
    /// with the sign bit set, a uint8 200 is larger than 100, an int8 −56 (the same bits) smaller.
    @Test(arguments: integerTypes) func signedAndUnsignedComparisons(_ dataType: DataType) throws {
        let seed = testSeed()
        var maker = GraphMaker(seed: seed)
        let (minimum, maximum) = DataTypeTests.range(dataType)
        let highBit: Int64 = dataType.byteSize == 8 ? .min : 1 << (dataType.byteSize * 8 - 1)
        let aValues: [Int64] = [highBit, highBit | 0x48, 100, 0, minimum, maximum, -1, 5]
        let bValues: [Int64] = [100, 100, highBit | 0x48, -1, maximum, minimum, 0, 5]
        let a = try maker.input("a", dataType, values: aValues)
        let b = try maker.input("b", dataType, values: bValues)
        try maker.node("max", [a, b])
        try maker.node("min", [a, b])
        try maker.node("clamp", [a], ["minValue": .double(0), "maxValue": .double(100)])
        if dataType.isSigned { try maker.node("relu", [a]) }
        let outputs = try expectMatchesReference(maker, seed: seed)
        let decoded = { (data: [Int64]) in data.map { TensorData(dataType, shape: [1], integers: [$0]) } }
        // As numbers of the type, independent of the interpreter.
        let aNumbers = decoded(aValues).map { $0.double(at: 0) }, bNumbers = decoded(bValues).map { $0.double(at: 0) }
        let values = maker.graph.outputs.map { outputs[maker.graph[$0].name]!.doubles }
        #expect(values[0] == zip(aNumbers, bNumbers).map { Swift.max($0, $1) }, "max \(dataType)")
        #expect(values[1] == zip(aNumbers, bNumbers).map { Swift.min($0, $1) }, "min \(dataType)")
        #expect(values[2] == aNumbers.map { Swift.min(Swift.max($0, 0), 100) }, "clamp \(dataType)")
        if dataType.isSigned { #expect(values[3] == aNumbers.map { Swift.max($0, 0) }, "relu \(dataType)") }
        if !dataType.isSigned { #expect(values[0][0] == aNumbers[0] && aNumbers[0] > 100, "unsigned max keeps the high value") }
    }

    /// relu (signed types) and clamp with bounds that are absent, fractional, or outside the
    /// type's range (cast like `MLNumber`s: truncated and wrapped), on random data.
    @Test(arguments: integerTypes) func integerUnaryOperators(_ dataType: DataType) throws {
        let seed = testSeed()
        var maker = GraphMaker(seed: seed)
        let x = try maker.input("x", [5, 77], dataType)
        if dataType.isSigned { try maker.node("relu", [x]) }
        let bounds: [(Double?, Double?)] = [(-3, 5), (nil, 7.9), (-100.9, nil), (0, 200), (-1e10, 3e9), (nil, nil), (2, 2)]
        for (low, high) in bounds {
            var attributes: [String: Attribute] = [:]
            if let low { attributes["minValue"] = .double(low) }
            if let high { attributes["maxValue"] = .double(high) }
            try maker.node("clamp", [x], attributes)
        }
        try expectMatchesReference(maker, seed: seed)
    }

    /// transpose, concat, reshape and identity as outputs, and outputs that are inputs or
    /// constants: copies of element bits, for every type and random shapes.
    @Test(arguments: DataType.allCases, 0..<3) func dataMovement(_ dataType: DataType, _ round: Int) throws {
        let seed = testSeed()
        var maker = GraphMaker(seed: seed)
        var g = maker.generator
        let rank = Int.random(in: 1...4, using: &g)
        let shape = (0..<rank).map { _ in Int.random(in: 1...6, using: &g) }
        let permutation = Array(0..<rank).shuffled(using: &g)
        let axis = Int.random(in: 0..<rank, using: &g)
        var other = shape
        other[axis] = Int.random(in: 1...4, using: &g)
        maker.generator = g
        let x = try maker.input("x", shape, dataType, in: -100...100)
        let y = try maker.input("y", other, dataType, in: -100...100)
        let z = try maker.constant("z", shape, dataType, in: -100...100)
        try maker.node("transpose", [x], ["permutation": .ints(permutation.map(Int64.init))])
        try maker.node("concat", [x, y, z, x], ["axis": .int(Int64(axis))])
        let flat = try maker.node("reshape", [x], ["newShape": .ints([Int64(shape.reduce(1, *))])], output: false)
        try maker.node("transpose", [try maker.node("concat", [flat, flat], ["axis": .int(0)], output: false)])
        try maker.node("reshape", [y], ["newShape": .ints([1, Int64(other.reduce(1, *))])])
        try maker.node("identity", [z])
        maker.graph.addOutput(x)
        maker.graph.addOutput(z)
        try expectMatchesReference(maker, seed: seed)
    }

    /// maxPool2d compares in the element type (signed or unsigned); windows covering only
    /// padding give the type's lowest value.
    @Test(arguments: DataType.allCases, 0..<2) func maxPool(_ dataType: DataType, _ round: Int) throws {
        let seed = testSeed()
        var maker = GraphMaker(seed: seed)
        var g = maker.generator
        let nhwc = round == 1
        let (channels, height, width) = (Int.random(in: 1...9, using: &g), Int.random(in: 4...9, using: &g), Int.random(in: 4...9, using: &g))
        let window = [Int.random(in: 1...3, using: &g), Int.random(in: 1...3, using: &g)]
        let padding = (0..<4).map { _ in Int.random(in: 0...1, using: &g) }
        let strides = [Int.random(in: 1...2, using: &g), Int.random(in: 1...2, using: &g)]
        maker.generator = g
        let x = try maker.input("x", nhwc ? [2, height, width, channels] : [2, channels, height, width], dataType, in: -5...5)
        let layout = Attribute.string(nhwc ? "nhwc" : "nchw")
        try maker.node("maxPool2d", [x], ["windowDimensions": .ints(window.map(Int64.init)), "padding": .ints(padding.map(Int64.init)),
                                          "strides": .ints(strides.map(Int64.init)), "layout": layout])
        try maker.node("maxPool2d", [x], ["layout": layout])  // global
        try maker.node("maxPool2d", [x], ["windowDimensions": .ints([2, 2]), "padding": .ints([0, 2, 0, 2]), "strides": .ints([2, 2]),
                                          "outputShapeRounding": .string("ceil"), "layout": layout])
        try expectMatchesReference(maker, seed: seed)
    }

    /// float16 sums are kept in float32 tiles: shapes wide enough to need several tiles.
    @Test(arguments: [false, true]) func float16AccumulatorTiles(_ nhwc: Bool) throws {
        let seed = testSeed()
        var maker = GraphMaker(seed: seed)
        // conv2d: 9 output channels x 700 columns > 4096 floats per tile: tiles of 5 and 4 channels.
        let image = try maker.input("image", nhwc ? [1, 3, 702, 2] : [1, 2, 3, 702], .float16, in: -1...1)
        let filter = try maker.constant("filter", [9, 2, 2, 3], .float16, in: -1...1)
        let bias = try maker.constant("bias", [9], .float16, in: -1...1)
        try maker.node("conv2d", [image, filter, bias], ["inputLayout": .string(nhwc ? "nhwc" : "nchw")])
        // matmul: 1100 columns, tiles of 512.
        let a = try maker.input("a", [3, 21], .float16, in: -1...1)
        let b = try maker.constant("b", [21, 1100], .float16, in: -1...1)
        try maker.node("matmul", [a, b])
        try maker.node("gemm", [a, b, try maker.input("c", [1100], .float16)], ["alpha": .double(0.5), "beta": .double(2)])
        // averagePool2d, nhwc with 1500 channels: tiles of 1024.
        let pooled = try maker.input("pooled", nhwc ? [1, 3, 3, 1500] : [1, 1500, 3, 3], .float16, in: -1...1)
        try maker.node("averagePool2d", [pooled], ["windowDimensions": .ints([2, 2]), "layout": .string(nhwc ? "nhwc" : "nchw")])
        try expectMatchesReference(maker, seed: seed)
    }

    /// Operators reject the data types the spec does not allow them, with a message.
    @Test func unsupportedDataTypesAreReported() throws {
        let step = KernelStep(.softmax(axis: 0), operands: [BufferRef(.input(0), TensorType(.int32, [4]))],
                              result: BufferRef(.output(0), TensorType(.int32, [4])))
        let program = KernelProgram(name: "m", inputs: [ProgramTensor(name: "x", type: TensorType(.int32, [4]))],
                                    outputs: [ProgramTensor(name: "y", type: TensorType(.int32, [4]))],
                                    constants: [], scratchSize: 0, steps: [step])
        #expect(throws: CodeGenError.self) { try CodeGen.compile(program, options: CodeGenOptions(prefix: "m")) }
    }

    /// float32 kernels still vectorize on this host (256-bit FMA without AVX-512, 512-bit with
    /// it), integer ones too, and float16 ones vectorize and convert with F16C instructions, not
    /// library calls.
    @Test(arguments: [DataType.float32, .float16, .int32]) func kernelsVectorizeOnThisHost(_ dataType: DataType) throws {
        var maker = GraphMaker(seed: 1)
        let a = try maker.input("a", [8, 64], dataType), b = try maker.constant("b", [64, 64], dataType)
        if dataType.isFloatingPoint {
            let x = try maker.input("x", [1, 8, 20, 20], dataType)
            let w = try maker.constant("w", [16, 8, 3, 3], dataType)
            try maker.node("conv2d", [x, w, nil], ["padding": .ints([1, 1, 1, 1])])
            try maker.node("matmul", [a, b])
        }
        let c = try maker.input("c", [8, 64], dataType)
        try maker.node("add", [a, c])
        try maker.node("max", [a, c])
        let compiled = try CodeGen.compile(try Lowering.lower(maker.graph), options: CodeGenOptions(prefix: "m"))
        let assembly = String(decoding: try compiled.emit(.assembly), as: UTF8.self)
        let features = compiled.description.features
        let register = features.contains("+avx512f") ? "zmm" : "ymm"
        func has(_ pattern: String) -> Bool { assembly.range(of: pattern, options: .regularExpression) != nil }
        guard features.contains("+avx2") && features.contains("+fma") else { return }
        switch dataType {
        case .int32:
            #expect(has("vpaddd\t[^\n]*%\(register)"), "int32 add is not vectorized")
            #expect(has("vpmaxsd\t[^\n]*%\(register)"), "int32 max is not vectorized")
        case .float32:
            #expect(has("vfmadd[0-9]+ps\t[^\n]*%\(register)"), "float32 conv2d/matmul is not vectorized")
            #expect(has("vaddps\t[^\n]*%\(register)"), "float32 add is not vectorized")
        default:  // LLVM picks 4 or 8 lanes for half loads; packed (ps, not ss) is what matters
            #expect(has("vfmadd[0-9]+ps\t"), "float16 conv2d/matmul is not vectorized")
            #expect(has("vaddps\t"), "float16 add is not vectorized")
        }
        if dataType == .float16 && features.contains("+f16c") {
            #expect(has("vcvtph2ps\t[^\n]*%\(register)") && assembly.contains("vcvtps2ph"))
            #expect(!assembly.contains("__extendhfsf2") && !assembly.contains("__truncsfhf2") && !assembly.contains("fmaxf"))
        }
    }
}

/// NaN through max, min, relu, clamp and maxPool2d: compiled code propagates it like the interpreter.
@Suite struct NaNPropagationTests {
    @Test(arguments: [DataType.float32, .float16]) func nanPropagates(_ dataType: DataType) throws {
        let seed = testSeed()
        var maker = GraphMaker(seed: seed)
        let specials: [Double] = [.nan, 1, -.infinity, .nan, 0, -0.0, .infinity, -3, .nan, 2, 5, .nan, -1, 0.5, .nan, 7]
        let a = try maker.graph.addInput("a", TensorType(dataType, [1, 1, 4, 4]))
        maker.inputs["a"] = TensorData(dataType, shape: [1, 1, 4, 4], values: specials)
        let b = try maker.graph.addInput("b", TensorType(dataType, [1, 1, 4, 4]))
        maker.inputs["b"] = TensorData(dataType, shape: [1, 1, 4, 4], values: specials.reversed())
        for op in ["max", "min"] { try maker.node(op, [a, b]) }
        try maker.node("relu", [a])
        try maker.node("clamp", [a], ["minValue": .double(-1), "maxValue": .double(1)])
        try maker.node("maxPool2d", [a], ["windowDimensions": .ints([2, 2])])
        try expectMatchesReference(maker, seed: seed)
        let outputs = try Interpreter(maker.graph).run(maker.inputs)
        #expect(outputs[maker.graph[maker.graph.outputs[0]].name]!.doubles[0].isNaN, "the interpreter propagates NaN")
    }
}
