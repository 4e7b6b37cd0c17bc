import Foundation
import Testing
import WebNNBasics
import WebNNCodeGen
import WebNNIR
import WebNNLowering
import WebNNReference
import WebNNTestSupport

/// The seed of a randomized test: `WEBNNC_TEST_SEED` if set (to replay a failure), else random.
func testSeed() -> UInt64 {
    ProcessInfo.processInfo.environment["WEBNNC_TEST_SEED"].flatMap(UInt64.init) ?? UInt64.random(in: 0...UInt64.max)
}

/// Builds single-operator graphs with random data of mixed signs, of any data type. WPT's ULP
/// tolerances assume sums without cancellation, so sums are judged at the scale of their terms
/// (`Interpreter.magnitudes`), which is how float32 rounding error grows.
struct GraphMaker {
    var graph = Graph(name: "case")
    var generator: SeededGenerator
    var inputs: [String: TensorData] = [:]

    init(seed: UInt64) { generator = SeededGenerator(seed: seed) }

    /// Random elements of `dataType`: floats uniform in `range` (rounded to float16 for
    /// float16); integers ignore `range` and mix the type's whole range with small values and
    /// the edge values MIN, MIN + 1, −1, 0, 1, MAX − 1, MAX (see `randomInteger`).
    mutating func randomData(_ shape: [Int], _ dataType: DataType = .float32, in range: ClosedRange<Float>) -> TensorData {
        let count = shape.reduce(1, *)
        switch dataType {
        case .float32:
            return TensorData(float32: (0..<count).map { _ in Float.random(in: range, using: &generator) }, shape: shape)
        case .float16:
            return TensorData(.float16, shape: shape, values: (0..<count).map { _ in Double(Float.random(in: range, using: &generator)) })
        default:
            return TensorData(dataType, shape: shape, integers: (0..<count).map { _ in randomInteger(dataType) })
        }
    }

    /// One random integer of `dataType` (as its two's-complement bits in an Int64).
    mutating func randomInteger(_ dataType: DataType) -> Int64 {
        let bits = dataType.byteSize * 8
        let minimum: Int64 = dataType.isSigned ? (bits == 64 ? .min : -(1 << (bits - 1))) : 0
        let maximum: Int64 = dataType.isSigned ? (bits == 64 ? .max : (1 << (bits - 1)) - 1) : (bits == 64 ? -1 : (1 << bits) - 1)
        switch Int.random(in: 0..<8, using: &generator) {
        case 0...3: return Int64(bitPattern: generator.next())  // wraps to the whole range of the type
        case 4, 5: return Int64.random(in: (dataType.isSigned ? -9 : 0)...9, using: &generator)
        default: return [minimum, minimum &+ 1, -1, 0, 1, maximum &- 1, maximum].randomElement(using: &generator)!
        }
    }

    mutating func input(_ name: String, _ shape: [Int], _ dataType: DataType = .float32,
                        in range: ClosedRange<Float> = -2...2) throws -> ValueID {
        inputs[name] = randomData(shape, dataType, in: range)
        return try graph.addInput(name, TensorType(dataType, shape))
    }

    /// An input holding exactly `values` (cast to `dataType` like `MLNumber`s).
    mutating func input(_ name: String, _ dataType: DataType, values: [Int64]) throws -> ValueID {
        inputs[name] = TensorData(dataType, shape: [values.count], integers: values)
        return try graph.addInput(name, TensorType(dataType, [values.count]))
    }

    mutating func constant(_ name: String, _ shape: [Int], _ dataType: DataType = .float32,
                           in range: ClosedRange<Float> = -2...2) throws -> ValueID {
        try graph.addConstant(name, Constant(data: randomData(shape, dataType, in: range)))
    }

    @discardableResult
    mutating func node(_ op: String, _ operands: [ValueID?], _ attributes: [String: Attribute] = [:], output: Bool = true) throws -> ValueID {
        let result = try graph.addNode(Node(op: op, operands: operands, attributes: attributes))[0]
        if output { graph.addOutput(result) }
        return result
    }
}

/// Compiles `maker.graph`, runs it (serially, and with a concurrent parallel_for, which must give
/// identical bits) and compares every output with the reference interpreter: integers exactly,
/// floats within WPT tolerance (at the magnitude of the summed terms). Returns the outputs.
@discardableResult
func expectMatchesReference(_ maker: GraphMaker, seed: UInt64, options: CodeGenOptions? = nil,
                            sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> [String: TensorData] {
    let graph = maker.graph
    let program = try Lowering.lower(graph)
    let library = try GeneratedLibrary(program, options: options)
    let inputs = graph.inputs.map { maker.inputs[graph[$0].name]! }
    let serial = try library.run(data: inputs)
    let parallel = try library.run(data: inputs, parallelFor: concurrentParallelFor)
    #expect(serial.status == 0, "seed \(seed)", sourceLocation: sourceLocation)
    let expected = try Interpreter(graph).run(maker.inputs)
    let magnitudes = try Interpreter(graph).magnitudes(maker.inputs)
    var outputs: [String: TensorData] = [:]
    for (index, output) in graph.outputs.enumerated() {
        let value = graph[output]
        let actual = serial.outputs[index]
        outputs[value.name] = actual
        let tolerance = try Tolerance.wpt(for: output, in: graph)
        let violation = compare(actual: actual, expected: expected[value.name]!, tolerance: tolerance,
                                magnitudes: magnitudes[value.name])
        #expect(violation == nil, "seed \(seed), output \(value.name) (\(value.type)): \(violation.map(String.init(describing:)) ?? "")",
                sourceLocation: sourceLocation)
        #expect(actual.bytes == parallel.outputs[index].bytes, "seed \(seed): serial and parallel runs differ",
                sourceLocation: sourceLocation)
    }
    return outputs
}

@Suite struct OperatorTests {
    @Test(arguments: [DataType.float32, .float16], 0..<12) func conv2d(_ dataType: DataType, _ round: Int) throws {
        let seed = testSeed()
        var maker = GraphMaker(seed: seed)
        var g = maker.generator
        let groups = [1, 1, 2, 3][Int.random(in: 0...3, using: &g)]
        let depthwise = round % 4 == 3
        let inputChannelsPerGroup = depthwise ? 1 : Int.random(in: 1...5, using: &g)
        let effectiveGroups = depthwise ? Int.random(in: 2...7, using: &g) : groups
        let outputChannels = effectiveGroups * (depthwise ? 1 : Int.random(in: 1...6, using: &g))
        let inputChannels = inputChannelsPerGroup * effectiveGroups
        let (kh, kw) = (Int.random(in: 1...4, using: &g), Int.random(in: 1...3, using: &g))
        let strides = [Int.random(in: 1...2, using: &g), Int.random(in: 1...2, using: &g)]
        let dilations = [Int.random(in: 1...2, using: &g), Int.random(in: 1...2, using: &g)]
        let padding = (0..<4).map { _ in Int.random(in: 0...2, using: &g) }
        let (height, width) = (Int.random(in: 7...13, using: &g), Int.random(in: 7...19, using: &g))
        let batch = Int.random(in: 1...2, using: &g)
        let nhwc = round % 2 == 1
        let filterLayout = Conv2dFilterLayout.allCases[round % 4]
        maker.generator = g
        let inputShape = nhwc ? [batch, height, width, inputChannels] : [batch, inputChannels, height, width]
        let filterShape: [Int] = {
            switch filterLayout {
            case .oihw: return [outputChannels, inputChannelsPerGroup, kh, kw]
            case .hwio: return [kh, kw, inputChannelsPerGroup, outputChannels]
            case .ohwi: return [outputChannels, kh, kw, inputChannelsPerGroup]
            case .ihwo: return [inputChannelsPerGroup, kh, kw, outputChannels]
            }
        }()
        let input = try maker.input("input", inputShape, dataType, in: -2...2)
        let filter = try maker.constant("filter", filterShape, dataType, in: -2...2)
        let bias = round % 3 == 0 ? nil : try maker.constant("bias", [outputChannels], dataType, in: -2...2)
        try maker.node("conv2d", [input, filter, bias], [
            "padding": .ints(padding.map(Int64.init)), "strides": .ints(strides.map(Int64.init)),
            "dilations": .ints(dilations.map(Int64.init)), "groups": .int(Int64(effectiveGroups)),
            "inputLayout": .string(nhwc ? "nhwc" : "nchw"), "filterLayout": .string(filterLayout.rawValue)])
        try expectMatchesReference(maker, seed: seed)
    }

    @Test(arguments: ["add", "sub", "mul", "div", "max", "min"], DataType.allCases)
    func binaryBroadcast(_ op: String, _ dataType: DataType) throws {
        let seed = testSeed()
        var maker = GraphMaker(seed: seed)
        let a = try maker.input("a", [2, 1, 5, 17], dataType, in: -2...2)
        let b = try maker.input("b", [3, 1, 17], dataType, in: 0.5...2)
        try maker.node(op, [a, b])
        let c = try maker.input("c", [], dataType, in: -2...2)
        try maker.node(op, [c, a])
        try expectMatchesReference(maker, seed: seed)
    }

    @Test(arguments: [DataType.float32, .float16]) func unaryOperators(_ dataType: DataType) throws {
        let seed = testSeed()
        var maker = GraphMaker(seed: seed)
        let x = try maker.input("x", [3, 1000], dataType, in: -30...30)
        let small = try maker.input("small", [2, 33], dataType, in: -0.01...0.01)
        for source in [x, small] {
            try maker.node("relu", [source])
            try maker.node("sigmoid", [source])
            try maker.node("tanh", [source])
            try maker.node("clamp", [source], ["minValue": .double(-0.5), "maxValue": .double(3)])
            try maker.node("clamp", [source], ["minValue": .double(0.25)])
        }
        try expectMatchesReference(maker, seed: seed)
    }

    @Test(arguments: [DataType.float32, .float16], 0..<6) func matmulAndGemm(_ dataType: DataType, _ round: Int) throws {
        let seed = testSeed()
        var maker = GraphMaker(seed: seed)
        var g = maker.generator
        let (m, k, n) = (Int.random(in: 1...9, using: &g), Int.random(in: 1...40, using: &g), Int.random(in: 1...37, using: &g))
        maker.generator = g
        let a = try maker.input("a", [2, 1, m, k], dataType, in: -2...2)
        let b = try maker.input("b", [3, k, n], dataType, in: -2...2)
        try maker.node("matmul", [a, b])
        let aTranspose = round % 2 == 1, bTranspose = round % 3 == 1
        let ga = try maker.input("ga", aTranspose ? [k, m] : [m, k], dataType, in: -2...2)
        let gb = try maker.constant("gb", bTranspose ? [n, k] : [k, n], dataType, in: -2...2)
        let c = round % 2 == 0 ? try maker.constant("c", [n], dataType, in: -2...2)
            : try maker.input("c2", [m, 1], dataType, in: -2...2)
        try maker.node("gemm", [ga, gb, c], ["alpha": .double(round == 0 ? 1 : 0.5), "beta": .double(round == 3 ? 1 : 2),
                                             "aTranspose": .bool(aTranspose), "bTranspose": .bool(bTranspose)])
        try maker.node("gemm", [ga, gb, nil], ["aTranspose": .bool(aTranspose), "bTranspose": .bool(bTranspose)])
        try expectMatchesReference(maker, seed: seed)
    }

    @Test(arguments: [DataType.float32, .float16], 0..<8) func pooling(_ dataType: DataType, _ round: Int) throws {
        let seed = testSeed()
        var maker = GraphMaker(seed: seed)
        let (x, options) = try maker.randomPooling(dataType, round: round, of: 8)
        try maker.node("averagePool2d", [x], options)
        try maker.node("maxPool2d", [x], options)
        try maker.node("averagePool2d", [x], ["layout": options["layout"]!])  // global
        try expectMatchesReference(maker, seed: seed)
    }

    @Test(arguments: [DataType.float32, .float16]) func softmaxTransposeConcatBatchNorm(_ dataType: DataType) throws {
        let seed = testSeed()
        var maker = GraphMaker(seed: seed)
        let x = try maker.input("x", [2, 3, 4, 5], dataType, in: -3...3)
        for axis in 0..<4 { try maker.node("softmax", [x], ["axis": .int(Int64(axis))]) }
        try maker.node("transpose", [x], ["permutation": .ints([2, 0, 3, 1])])
        try maker.node("transpose", [x])
        let y = try maker.input("y", [2, 1, 4, 5], dataType, in: -2...2)
        try maker.node("concat", [x, y, x], ["axis": .int(1)])
        // |scaled| ≤ 1.5 and bias ≥ 3: the final add cannot cancel (see GraphMaker).
        let mean = try maker.constant("mean", [3], dataType, in: -2...2), variance = try maker.constant("variance", [3], dataType, in: 1...2)
        let scale = try maker.constant("scale", [3], dataType, in: 0.1...0.3), bias = try maker.input("bias", [3], dataType, in: 3...4)
        try maker.node("batchNormalization", [x, mean, variance, scale, bias], ["epsilon": .double(1e-3)])
        let mean5 = try maker.constant("mean5", [5], dataType, in: -2...2)
        let variance5 = try maker.constant("variance5", [5], dataType, in: -2...2)
        try maker.node("batchNormalization", [x, mean5, variance5, nil, nil], ["axis": .int(3)])
        try expectMatchesReference(maker, seed: seed)
    }

    /// Softmax along the last axis takes the vector path (whole vectors in four chains, folded,
    /// then the leftover elements): lines of every length around the vector widths, and lines
    /// with a NaN, a +inf, all -inf and one -inf (the first three all NaN, as in the interpreter).
    @Test func softmaxLinesOfEveryLength() throws {
        let seed = testSeed()
        for length in [5, 16, 17, 40, 67, 133, 512] {
            var maker = GraphMaker(seed: seed)
            // Within ±6: x − max is rounded to float32 before e^(x − max), and over a range of
            // ±30 that rounding alone (up to 2^-19 relative) can exceed the tolerance of short lines.
            let x = try maker.input("x", [6, length], in: -6...6)
            var values = try #require(maker.inputs["x"]).floats
            values[length / 2] = .nan
            values[2 * length - 1] = .infinity
            for index in 2 * length..<3 * length { values[index] = -.infinity }
            values[3 * length] = -.infinity
            maker.inputs["x"] = TensorData(float32: values, shape: [6, length])
            try maker.node("softmax", [x], ["axis": .int(1)])
            let outputs = try expectMatchesReference(maker, seed: seed)
            let y = try #require(outputs.values.first).floats
            #expect(y[0..<3 * length].allSatisfy(\.isNaN) && !y[3 * length..<6 * length].contains(where: \.isNaN),
                    "length \(length)")
        }
    }

    @Test func chainsReshapesAndSpecialOutputs() throws {
        let seed = testSeed()
        var maker = GraphMaker(seed: seed)
        let x = try maker.input("x", [1, 4, 6, 6], in: -2...2)
        let w = try maker.constant("w", [8, 4, 3, 3], in: -2...2)
        let conv = try maker.node("conv2d", [x, w, nil], ["padding": .ints([1, 1, 1, 1])], output: false)
        let relu = try maker.node("relu", [conv], output: false)
        let flat = try maker.node("reshape", [relu], ["newShape": .ints([1, 288])], output: false)
        let weights = try maker.constant("fc", [288, 10], in: 0...0.01)
        let logits = try maker.node("matmul", [flat, weights], output: false)
        let probabilities = try maker.node("softmax", [logits], ["axis": .int(1)])
        maker.graph.addOutput(probabilities)  // the same value twice
        maker.graph.addOutput(x)              // an input
        maker.graph.addOutput(w)              // a constant
        let reshaped = try maker.node("reshape", [relu], ["newShape": .ints([8, 36])])  // a reshape as output
        _ = reshaped
        try expectMatchesReference(maker, seed: seed)
        let program = try Lowering.lower(maker.graph)
        #expect(program.scratchSize % 64 == 0)
        #expect(program.steps.allSatisfy { step in
            if case .scratch(let offset) = step.result.location { return offset % 64 == 0 }
            return true
        })
    }
}

@Suite struct ExecutionTests {
    /// A conv + softmax model with a scratch intermediate.
    private func model(seed: UInt64) throws -> GraphMaker {
        var maker = GraphMaker(seed: seed)
        let x = try maker.input("x", [1, 3, 20, 20], in: -2...2)
        let w = try maker.constant("w", [16, 3, 3, 3], in: -2...2)
        let conv = try maker.node("conv2d", [x, w, nil], ["padding": .ints([1, 1, 1, 1])], output: false)
        try maker.node("softmax", [conv], ["axis": .int(1)])
        return maker
    }

    @Test func concurrentRunsWithSeparateScratch() throws {
        let seed = testSeed()
        let maker = try model(seed: seed)
        let library = try GeneratedLibrary(try Lowering.lower(maker.graph))
        let input = maker.inputs["x"]!.floats
        let expected = try library.run([input]).outputs
        let results = UnsafeMutableBufferPointer<Bool>.allocate(capacity: 8)
        defer { results.deallocate() }
        let resultsAddress = UInt(bitPattern: results.baseAddress)
        DispatchQueue.concurrentPerform(iterations: 8) { index in
            let outputs = try? library.run([input], parallelFor: index % 2 == 0 ? concurrentParallelFor : nil).outputs
            UnsafeMutablePointer<Bool>(bitPattern: resultsAddress)![index] = outputs == expected
        }
        #expect(results.allSatisfy { $0 }, "seed \(seed)")
    }

    @Test func taskOrderDoesNotChangeBits() throws {
        let maker = try model(seed: testSeed())
        let library = try GeneratedLibrary(try Lowering.lower(maker.graph))
        let input = maker.inputs["x"]!.floats
        let serial = try library.run([input]).outputs[0]
        let reversed = try library.run([input], parallelFor: reversedParallelFor).outputs[0]
        #expect(zip(serial, reversed).allSatisfy { $0.bitPattern == $1.bitPattern })
    }

    @Test func innerLoopsUseAVX512OnThisHost() throws {
        let maker = try model(seed: 1)
        let compiled = try CodeGen.compile(try Lowering.lower(maker.graph), options: CodeGenOptions(prefix: "m"))
        let assembly = String(decoding: try compiled.emit(.assembly), as: UTF8.self)
        let features = compiled.description.features
        if features.contains("+avx512f") {
            #expect(assembly.contains("zmm"))
        }
        #expect(!assembly.contains("call\texpf") && !assembly.contains("expf@PLT"))
    }
}

extension GraphMaker {
    /// A random pooling case, round `round` of `rounds`: an input `x` of 2 batches, 1...19
    /// channels and 5...12 pixels a side (NHWC in odd rounds), and the options of a window of
    /// 1...3 a side with padding, strides and dilations, rounding the output shape up in the
    /// first half of the rounds.
    mutating func randomPooling(_ dataType: DataType, round: Int, of rounds: Int) throws -> (x: ValueID, options: [String: Attribute]) {
        let nhwc = round % 2 == 1
        let (channels, height, width) = (Int.random(in: 1...19, using: &generator), Int.random(in: 5...12, using: &generator),
                                         Int.random(in: 5...12, using: &generator))
        let window = [Int.random(in: 1...3, using: &generator), Int.random(in: 1...3, using: &generator)]
        let padding = (0..<4).map { _ in Int.random(in: 0...1, using: &generator) }
        let strides = [Int.random(in: 1...3, using: &generator), Int.random(in: 1...3, using: &generator)]
        let dilations = [Int.random(in: 1...2, using: &generator), 1]
        let x = try input("x", nhwc ? [2, height, width, channels] : [2, channels, height, width], dataType, in: -2...2)
        func ints(_ values: [Int]) -> Attribute { .ints(values.map(Int64.init)) }
        return (x, ["windowDimensions": ints(window), "padding": ints(padding), "strides": ints(strides),
                    "dilations": ints(dilations), "layout": .string(nhwc ? "nhwc" : "nchw"),
                    "outputShapeRounding": .string(round < rounds / 2 ? "ceil" : "floor")])
    }
}
