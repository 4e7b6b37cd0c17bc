import Foundation
import Testing
import WebNNBasics
import WebNNCompiler
import WebNNIR
import WebNNQuantization
import WebNNReference
import WebNNRuntime
import WebNNTestSupport
import WebNNTransforms

/// conv2d(+bias) -> relu -> conv2d (stride 2) -> reshape -> gemm(+c) -> softmax, random weights.
private func smallNetwork(seed: UInt64 = 1) throws -> Graph {
    var random = SeededGenerator(seed: seed)
    func values(_ count: Int, _ spread: Float) -> [Float] { (0..<count).map { _ in Float.random(in: -spread...spread, using: &random) } }
    var graph = Graph(name: "small")
    let x = try graph.addInput("x", TensorType(.float32, [1, 3, 8, 8]))
    func constant(_ name: String, _ shape: [Int], _ spread: Float) throws -> ValueID {
        try graph.addConstant(name, Constant(data: TensorData(float32: values(shape.reduce(1, *), spread), shape: shape)))
    }
    let w1 = try constant("w1", [4, 3, 3, 3], 0.5), b1 = try constant("b1", [4], 0.2)
    let conv1 = try graph.addNode(Node(op: "conv2d", operands: [x, w1, b1], attributes: ["padding": .ints([1, 1, 1, 1])]),
                                  outputNames: ["conv1"])[0]
    let relu1 = try graph.addNode(Node(op: "relu", operands: [conv1]), outputNames: ["relu1"])[0]
    let w2 = try constant("w2", [6, 4, 3, 3], 0.3)
    let conv2 = try graph.addNode(Node(op: "conv2d", operands: [relu1, w2], attributes: ["padding": .ints([1, 1, 1, 1]), "strides": .ints([2, 2])]),
                                  outputNames: ["conv2"])[0]
    let flat = try graph.addNode(Node(op: "reshape", operands: [conv2], attributes: ["newShape": .ints([1, 96])]), outputNames: ["flat"])[0]
    let wf = try constant("wf", [96, 5], 0.2), bf = try constant("bf", [5], 0.1)
    let logits = try graph.addNode(Node(op: "gemm", operands: [flat, wf, bf]), outputNames: ["logits"])[0]
    let probabilities = try graph.addNode(Node(op: "softmax", operands: [logits], attributes: ["axis": .int(1)]), outputNames: ["probabilities"])[0]
    graph.addOutput(probabilities)
    try Verifier.verify(graph, after: "test")
    return graph
}

private func temporaryDirectory() throws -> URL {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("webnnquantization-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    return directory
}

/// `count` random images in [-1, 2] as a flat folder of .npy files; returns the folder and the samples.
private func writeSamples(count: Int, seed: UInt64 = 9) throws -> (URL, [[Float]]) {
    let folder = try temporaryDirectory()
    var random = SeededGenerator(seed: seed)
    var samples: [[Float]] = []
    for k in 0..<count {
        let values = (0..<192).map { _ in Float.random(in: -1...2, using: &random) }
        samples.append(values)
        try NPY.write(try Tensor(values, shape: [1, 3, 8, 8]), to: folder.appendingPathComponent(String(format: "%03d.npy", k)))
    }
    return (folder, samples)
}

private func quantizeSmallNetwork(method: CalibrationMethod = .minMax) throws -> (float: Graph, quantized: Graph, samples: [[Float]], folder: URL) {
    let graph = try smallNetwork()
    let (folder, samples) = try writeSamples(count: 4)
    let calibration = try CalibrationSet(directory: folder.path, for: graph)
    let (float, quantized) = try StaticQuantizer.quantize(graph, samples: calibration, method: method,
                                                          makeRunner: { InterpreterRunner($0) })
    return (float, quantized, samples, folder)
}

private func constant(_ graph: Graph, _ name: String) throws -> TensorData {
    let id = try #require(graph.value(named: name))
    return try #require(graph.constants[id]).data
}

@Suite struct StaticQuantizationTests {
    @Test func planQuantizesConvolutionInputsAndOutputs() throws {
        let graph = try smallNetwork()
        let plan = try QuantizationPlan(graph)
        // relu1 is conv1's result (relu absorbed); conv2's only use is the reshape; the gemm's
        // result logits feeds softmax; the graph output stays float.
        #expect(plan.values.map { graph[$0].name } == ["x", "relu1", "conv2", "flat", "logits"])
        #expect(plan.weightedNodes.count == 3)
        let kept = try QuantizationPlan(graph, keepFloat: ["conv2"])
        #expect(kept.values.map { graph[$0].name } == ["x", "relu1", "flat", "logits"])
        #expect(kept.weightedNodes.count == 2)
        #expect(throws: QuantizationError.self) { try QuantizationPlan(graph, keepFloat: ["conv3"]) }
    }

    @Test func writesTheQDQPatternWithHandComputedParameters() throws {
        let (_, quantized, samples, _) = try quantizeSmallNetwork()
        let ops = quantized.nodes.map(\.op)
        #expect(ops.filter { $0 == "quantizeLinear" }.count == 5)
        // 5 activations, 3 weights, 2 biases.
        #expect(ops.filter { $0 == "dequantizeLinear" }.count == 10)
        #expect(quantized.outputs.map { quantized[$0].name } == ["probabilities"])
        // The input's range over the 4 samples, stretched to include 0.
        let all = samples.flatMap { $0 }
        let (low, high) = (min(all.min()!, 0), max(all.max()!, 0))
        let xScale = (high - low) / 255
        #expect(try constant(quantized, "x_scale").floats == [xScale])
        #expect(try constant(quantized, "x_zero_point").integers == [Int64((-low / xScale).rounded(.toNearestOrEven))])
        #expect(try constant(quantized, "x_zero_point").type == TensorType(.uint8, [1, 1, 1, 1]))
        // relu1 >= 0: zero point 0.
        #expect(try constant(quantized, "relu1_zero_point").integers == [0])
        // Weights: per output channel, max |w| / 127, values in [-127, 127].
        let w1 = try constant(try smallNetwork(), "w1").floats
        let w1Scales = (0..<4).map { o in w1[(o * 27)..<(o * 27 + 27)].map(abs).max()! / 127 }
        let w1Scale = try constant(quantized, "w1_scale")
        #expect(w1Scale.type == TensorType(.float32, [4, 1, 1, 1]))
        #expect(w1Scale.floats == w1Scales)
        let w1Quantized = try constant(quantized, "w1_quantized")
        #expect(w1Quantized.type.dataType == .int8)
        #expect(w1Quantized.integers == w1.enumerated().map { Int64(($0.element / w1Scales[$0.offset / 27]).rounded(.toNearestOrEven)) })
        #expect(try constant(quantized, "w1_zero_point").integers.allSatisfy { $0 == 0 })
        // Bias: int32 in units of x scale · w1 scale.
        let b1 = try constant(try smallNetwork(), "b1").floats
        let b1Quantized = try constant(quantized, "b1_quantized")
        #expect(b1Quantized.type == TensorType(.int32, [4]))
        #expect(b1Quantized.integers == (0..<4).map { Int64((Double(b1[$0]) / Double(xScale * w1Scales[$0])).rounded(.toNearestOrEven)) })
        #expect(try constant(quantized, "b1_scale").floats == w1Scales.map { xScale * $0 })
        // The gemm's b [96, 5] is scaled per column.
        #expect(try constant(quantized, "wf_scale").type == TensorType(.float32, [1, 5]))
    }

    @Test func fuseQDQTurnsEveryConvolutionIntoAnIntegerOneThatFollowsTheInterpreter() throws {
        let (float, quantized, samples, _) = try quantizeSmallNetwork()
        let check = try FusionCheck(quantized)
        #expect(check.integerOperators == 3)
        #expect(check.unfused.isEmpty)
        var fused = quantized
        try PassManager(pipeline: try PassRegistry.pipeline(parsing: "dce,fuse-qdq,dce")).run(&fused)
        #expect(!fused.nodes.contains { ["conv2d", "gemm"].contains($0.op) })
        let logitsScale = try constant(quantized, "logits_scale").floats[0]
        for sample in samples {
            let inputs = ["x": TensorData(float32: sample, shape: [1, 3, 8, 8])]
            let qdq = try Interpreter(quantized).run(inputs)["probabilities"]!.floats
            let integer = try Interpreter(fused).run(inputs)["probabilities"]!.floats
            let reference = try Interpreter(float).run(inputs)["probabilities"]!.floats
            // The integer graph may differ from the QDQ one by a quantization step of the logits
            // (softmax changes by at most half the change of its input).
            for (a, b) in zip(qdq, integer) { #expect(abs(a - b) <= logitsScale) }
            for (a, b) in zip(qdq, reference) { #expect(abs(a - b) <= 0.05) }
        }
    }

    @Test func compiledQuantizedGraphFollowsTheInterpreter() throws {
        let (_, quantized, samples, folder) = try quantizeSmallNetwork()
        let compiled = try CompiledRunner(quantized, compiler: Compiler())
        let logitsScale = try constant(quantized, "logits_scale").floats[0]
        let samplesSet = try CalibrationSet(directory: folder.path, for: quantized)
        let agreements = try compareOutputs(float: InterpreterRunner(quantized), quantized: compiled, samples: samplesSet)
        #expect(agreements.count == 1)
        #expect(agreements[0].maxAbsoluteError <= Double(logitsScale))
        #expect(samples.count == samplesSet.samples.count)
    }

    @Test func percentileClipsOutliers() throws {
        var graph = Graph(name: "outlier")
        let x = try graph.addInput("x", TensorType(.float32, [1, 1, 1, 10001]))
        let pooled = try graph.addNode(Node(op: "averagePool2d", operands: [x]), outputNames: ["pooled"])[0]
        graph.addOutput(try graph.addNode(Node(op: "relu", operands: [pooled]), outputNames: ["y"])[0])
        let folder = try temporaryDirectory()
        let values = (0..<10000).map(Float.init) + [1_000_000]
        try NPY.write(try Tensor(values, shape: [1, 1, 1, 10001]), to: folder.appendingPathComponent("0.npy"))
        let samples = try CalibrationSet(directory: folder.path, for: graph)
        let plan = try QuantizationPlan(graph)
        let runner = InterpreterRunner(Calibration.observationGraph(graph, plan))
        let minMax = try Calibration.ranges(of: graph, plan, samples: samples, method: .minMax, runner: runner)[x]!
        #expect(minMax == 0...1_000_000)
        let clipped = try Calibration.ranges(of: graph, plan, samples: samples, method: .percentile(0.9999), runner: runner)[x]!
        // 2048 bins of 488.3: 0...9999 fill the first 21, the outlier (1 of 10001 values) is cut.
        #expect(clipped.lowerBound == 0)
        #expect(clipped.upperBound > 9999 && clipped.upperBound < 11000)
    }

    @Test func argmaxAgreementCountsPositions() throws {
        var agreement = OutputAgreement(name: "y")
        // [1, 2, 3] (2 classes at 3 positions): the argmax differs at the last position.
        agreement.add(float: TensorData(float32: [1, 1, 0, 0, 2, 5], shape: [1, 2, 3]),
                      quantized: TensorData(float32: [1, 1, 6, 0, 2, 5], shape: [1, 2, 3]))
        #expect(agreement.agreeing == 2 && agreement.positions == 3)
        #expect(agreement.maxAbsoluteError == 6)
        #expect(agreement.relativeError == 6.0 / 5)
        #expect(agreement.centeredAgreement == nil)
        // Centered on the float mean [1, 0.25], the float argmaxes are 0 and 1, the quantized 0 and 0.
        var classifier = OutputAgreement(name: "p")
        classifier.add(float: TensorData(float32: [1, 0], shape: [1, 2]), quantized: TensorData(float32: [1, 0], shape: [1, 2]))
        classifier.add(float: TensorData(float32: [1, 0.5], shape: [1, 2]), quantized: TensorData(float32: [1, 0.2], shape: [1, 2]))
        #expect(classifier.argmaxAgreement == 1)
        #expect(classifier.centeredAgreement == 0.5)
    }

    @Test func badCalibrationFoldersAreLocatedErrors() throws {
        let graph = try smallNetwork()
        func message(_ body: () throws -> Void) -> String {
            do { try body() } catch { return "\(error)" }
            return "no error"
        }
        let empty = try temporaryDirectory()
        #expect(message { _ = try CalibrationSet(directory: empty.path, for: graph) }.contains("no .npy files or sample subfolders"))
        #expect(message { _ = try CalibrationSet(directory: empty.path + "/missing", for: graph) }.contains("no such folder"))
        // A sample folder without x.npy.
        let nested = try temporaryDirectory()
        try FileManager.default.createDirectory(at: nested.appendingPathComponent("000"), withIntermediateDirectories: true)
        try NPY.write(try Tensor([Float](repeating: 0, count: 192), shape: [1, 3, 8, 8]), to: nested.appendingPathComponent("000/y.npy"))
        #expect(message { _ = try CalibrationSet(directory: nested.path, for: graph) }.contains("000: no x.npy"))
        // Wrong shape, wrong data type: found when the sample is read.
        let wrong = try temporaryDirectory()
        try NPY.write(try Tensor([Float](repeating: 0, count: 64), shape: [1, 1, 8, 8]), to: wrong.appendingPathComponent("a.npy"))
        try NPY.write(try Tensor(zerosOf: .float16, shape: [1, 3, 8, 8]), to: wrong.appendingPathComponent("b.npy"))
        let set = try CalibrationSet(directory: wrong.path, for: graph)
        #expect(message { _ = try set.inputs(ofSample: 0) }.contains("a.npy: holds float32[1, 1, 8, 8], but input 'x' is f32[1, 3, 8, 8]"))
        #expect(message { _ = try set.inputs(ofSample: 1) }.contains("b.npy: holds float16[1, 3, 8, 8], but input"))
        #expect(throws: QuantizationError.self) {
            _ = try StaticQuantizer.quantize(graph, samples: set, method: .minMax, makeRunner: { InterpreterRunner($0) })
        }
        // A flat folder for a graph with two inputs.
        var twoInputs = Graph(name: "two")
        let a = try twoInputs.addInput("a", TensorType(.float32, [1, 3, 8, 8]))
        let b = try twoInputs.addInput("b", TensorType(.float32, [1, 3, 8, 8]))
        twoInputs.addOutput(try twoInputs.addNode(Node(op: "add", operands: [a, b]), outputNames: ["sum"])[0])
        #expect(message { _ = try CalibrationSet(directory: wrong.path, for: twoInputs) }.contains("only works for a graph with one input"))
    }
}
