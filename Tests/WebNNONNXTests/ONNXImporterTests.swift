import Foundation
import Testing
import WebNNBasics
import WebNNIR
@testable import WebNNONNX

@Suite struct ONNXImporterTests {
    // MARK: shapes and import-time evaluation

    /// Shape -> Gather -> Unsqueeze -> Concat -> Reshape: evaluated at import, one reshape left.
    @Test func shapeChainsAreFolded() throws {
        var b = ModelBuilder(opset: 13)
        b.input("x", [nil, 3, 4])
        b.ints("zero", [0], [])
        b.ints("axes", [0])
        b.ints("minus_one", [-1])
        b.node("Shape", ["x"], ["shape"])
        b.node("Gather", ["shape", "zero"], ["batch"], [attribute("axis", int: 0)])
        b.node("Unsqueeze", ["batch", "axes"], ["batch1"])
        b.node("Concat", ["batch1", "minus_one"], ["target"], [attribute("axis", int: 0)])
        b.node("Reshape", ["x", "target"], ["y"])
        b.output("y")
        let imported = try b.importModel(shapes: ["x": [2, 3, 4]])
        #expect(imported.graph.nodes.map(\.op) == ["reshape"])
        #expect(imported.graph[imported.graph.outputs[0]].type == TensorType(.float32, [2, 12]))
        let x = (0..<24).map(Float.init)
        let y = try b.run(["x": TensorData(float32: x, shape: [2, 3, 4])], shapes: ["x": [2, 3, 4]])
        #expect(floats(y["y"]) == x)
    }

    @Test func squeezeUnsqueezeSplitAcrossOpsets() throws {
        for opset: Int64 in [11, 13] {
            var b = ModelBuilder(opset: opset)
            b.input("x", [1, 4, 2])
            if opset < 13 {
                b.node("Squeeze", ["x"], ["s"], [attribute("axes", ints: [0])])
                b.node("Split", ["s"], ["a", "c"], [attribute("axis", int: 0), attribute("split", ints: [1, 3])])
                b.node("Unsqueeze", ["c"], ["y"], [attribute("axes", ints: [0])])
            } else {
                b.ints("axes", [0])
                b.ints("split", [1, 3])
                b.node("Squeeze", ["x", "axes"], ["s"])
                b.node("Split", ["s", "split"], ["a", "c"], [attribute("axis", int: 0)])
                b.node("Unsqueeze", ["c", "axes"], ["y"])
            }
            b.output("a")
            b.output("y")
            let out = try b.run(["x": TensorData(float32: (0..<8).map(Float.init), shape: [1, 4, 2])])
            #expect(floats(out["a"]) == [0, 1], "opset \(opset)")
            #expect(out["y"]?.type.shape == [1, 3, 2], "opset \(opset)")
            #expect(floats(out["y"]) == [2, 3, 4, 5, 6, 7], "opset \(opset)")
        }
    }

    /// A negative Flatten axis counts from the end of the input's axes (found by the node tests).
    @Test func flattenNegativeAxis() throws {
        var b = ModelBuilder()
        b.input("x", [2, 3, 4])
        b.node("Flatten", ["x"], ["y"], [attribute("axis", int: -1)])
        b.node("Flatten", ["x"], ["z"], [attribute("axis", int: 3)])
        b.output("y")
        b.output("z")
        let imported = try b.importModel()
        #expect(imported.graph.outputs.map { imported.graph[$0].type.shape } == [[6, 4], [24, 1]])
    }

    @Test func clipAndReduceMeanAcrossOpsets() throws {
        for opset: Int64 in [11, 18] {
            var b = ModelBuilder(opset: opset)
            b.input("x", [2, 2])
            b.floats("lo", [0], [])
            b.floats("hi", [2.5], [])
            b.node("Clip", ["x", "lo", "hi"], ["c"])
            if opset < 18 {
                b.node("ReduceMean", ["c"], ["m"], [attribute("axes", ints: [-1]), attribute("keepdims", int: 0)])
            } else {
                b.ints("axes", [-1])
                b.node("ReduceMean", ["c", "axes"], ["m"], [attribute("keepdims", int: 0)])
            }
            b.output("m")
            let out = try b.run(["x": TensorData(float32: [-1, 1, 2, 4], shape: [2, 2])])
            #expect(floats(out["m"]) == [0.5, 2.25], "opset \(opset)")
        }
    }

    /// A negative step reads backwards (WebNN: reverse, then a forward strided slice).
    @Test func sliceWithNegativeStep() throws {
        var b = ModelBuilder(opset: 13)
        b.input("x", [6])
        b.ints("starts", [-1])
        b.ints("ends", [-7])
        b.ints("axes", [0])
        b.ints("steps", [-2])
        b.node("Slice", ["x", "starts", "ends", "axes", "steps"], ["y"])
        b.output("y")
        let out = try b.run(["x": TensorData(float32: [0, 1, 2, 3, 4, 5], shape: [6])])
        #expect(floats(out["y"]) == [5, 3, 1])
    }

    /// Found by the onnx fuzz target: steps of Int64.min and Int64.max overflowed the element
    /// count; a step longer than the axis takes the start element only.
    @Test func sliceWithHugeSteps() throws {
        for (step, start, expected) in [(Int64.min, Int64(-1), Float(5)), (Int64.max, 1, 1)] {
            var b = ModelBuilder(opset: 13)
            b.input("x", [6])
            b.ints("starts", [start])
            b.ints("ends", [step > 0 ? Int64.max : Int64.min])
            b.ints("axes", [0])
            b.ints("steps", [step])
            b.node("Slice", ["x", "starts", "ends", "axes", "steps"], ["y"])
            b.output("y")
            let out = try b.run(["x": TensorData(float32: [0, 1, 2, 3, 4, 5], shape: [6])])
            #expect(floats(out["y"]) == [expected])
        }
    }

    /// A Range whose count is hugely negative is empty (Int() of it trapped), in both types;
    /// a normal one counts up.
    @Test func rangeCounts() throws {
        var b = ModelBuilder(opset: 13)
        b.input("x", [1])
        b.floats("fstart", [3e38], [])
        b.floats("flimit", [-3e38], [])
        b.floats("fdelta", [1e-30], [])
        b.node("Range", ["fstart", "flimit", "fdelta"], ["empty"])
        b.ints("start", [Int64.max], [])
        b.ints("limit", [Int64.min], [])
        b.ints("delta", [1], [])
        b.node("Range", ["start", "limit", "delta"], ["emptyInts"])
        b.node("Shape", ["empty"], ["emptyShape"])
        b.node("Shape", ["emptyInts"], ["emptyIntsShape"])
        b.node("Concat", ["emptyShape", "emptyIntsShape"], ["sizes"], [attribute("axis", int: 0)])
        b.ints("up", [2, 5, 1], [3])
        b.ints("zero", [0], [])
        b.ints("one", [1], [])
        b.node("Gather", ["up", "zero"], ["from"])
        b.node("Gather", ["up", "one"], ["to"])
        b.node("Range", ["from", "to", "one"], ["counted"])
        b.node("Concat", ["sizes", "counted"], ["all"], [attribute("axis", int: 0)])
        b.node("Cast", ["all"], ["allFloat"], [attribute("to", int: 1)])
        b.node("Add", ["x", "allFloat"], ["y"])
        b.output("y")
        let out = try b.run(["x": TensorData(float32: [0], shape: [1])])
        #expect(floats(out["y"]) == [0, 0, 2, 3, 4])
    }

    @Test func gemmAndMatMulWithVector() throws {
        var b = ModelBuilder()
        b.input("a", [2, 3])
        b.floats("w", [1, 0, 0, 1, 1, 1], [2, 3])
        b.floats("c", [10, 20], [2])
        b.floats("v", [1, 1, 1], [3])
        b.node("Gemm", ["a", "w", "c"], ["g"], [attribute("transB", int: 1), attribute("alpha", float: 2)])
        b.node("MatMul", ["a", "v"], ["m"])
        b.output("g")
        b.output("m")
        let out = try b.run(["a": TensorData(float32: [1, 2, 3, 4, 5, 6], shape: [2, 3])])
        #expect(floats(out["g"]) == [12, 32, 18, 50])
        #expect(out["m"]?.type.shape == [2])
        #expect(floats(out["m"]) == [6, 15])
    }

    /// Conv with SAME_UPPER padding, bias, and a 1-D convolution (reshaped to 2-D and back).
    @Test func convolutions() throws {
        var b = ModelBuilder()
        b.input("x", [1, 1, 3, 3])
        b.input("s", [1, 1, 4])
        b.floats("w", [Float](repeating: 1, count: 4), [1, 1, 2, 2])
        b.floats("bias", [100], [1])
        b.floats("w1", [1, -1], [1, 1, 2])
        b.node("Conv", ["x", "w", "bias"], ["y"], [attribute("auto_pad", string: "SAME_UPPER")])
        b.node("Conv", ["s", "w1"], ["z"])
        b.output("y")
        b.output("z")
        let out = try b.run(["x": TensorData(float32: (1...9).map(Float.init), shape: [1, 1, 3, 3]),
                             "s": TensorData(float32: [1, 4, 9, 16], shape: [1, 1, 4])])
        #expect(floats(out["y"]) == [112, 116, 109, 124, 128, 115, 115, 117, 109])
        #expect(out["z"]?.type.shape == [1, 1, 3])
        #expect(floats(out["z"]) == [-3, -5, -7])
    }

    @Test func poolsAndResize() throws {
        var b = ModelBuilder()
        b.input("x", [1, 1, 4, 4])
        b.floats("scales", [1, 1, 2, 2], [4])
        b.node("MaxPool", ["x"], ["p"], [attribute("kernel_shape", ints: [2, 2]), attribute("strides", ints: [2, 2])])
        b.node("GlobalAveragePool", ["x"], ["g"])
        b.node("Resize", ["p", "", "scales"], ["r"], [attribute("mode", string: "nearest"),
                                                      attribute("coordinate_transformation_mode", string: "asymmetric"),
                                                      attribute("nearest_mode", string: "floor")])
        b.output("r")
        b.output("g")
        let out = try b.run(["x": TensorData(float32: (0..<16).map(Float.init), shape: [1, 1, 4, 4])])
        #expect(floats(out["g"]) == [7.5])
        #expect(floats(out["r"]) == [5, 5, 7, 7, 5, 5, 7, 7, 13, 13, 15, 15, 13, 13, 15, 15])
    }

    /// Per-tensor and per-axis QDQ.
    @Test func quantizeDequantize() throws {
        var b = ModelBuilder()
        b.input("x", [1, 2, 2])
        b.floats("scale", [0.5], [])
        var zero = Onnx_TensorProto()
        zero.name = "zero"
        zero.dataType = 2
        zero.int32Data = [10]
        b.model.graph.initializer.append(zero)
        b.floats("axis_scale", [1, 2], [2])
        b.node("QuantizeLinear", ["x", "scale", "zero"], ["q"])
        b.node("DequantizeLinear", ["q", "axis_scale", ""], ["y"], [attribute("axis", int: 1)])
        b.output("y")
        let out = try b.run(["x": TensorData(float32: [1, 2, -1, 100], shape: [1, 2, 2])])
        // q = clamp(round(x / 0.5) + 10, 0, 255) = [12, 14, 8, 210]; y = q * [1, 2] per row
        #expect(floats(out["y"]) == [12, 14, 16, 420])
    }

    @Test func layerNormalizationAndSoftmax() throws {
        var b = ModelBuilder()
        b.input("x", [2, 4])
        b.floats("gamma", [1, 1, 1, 1], [4])
        b.floats("beta", [0, 0, 0, 1], [4])
        b.node("LayerNormalization", ["x", "gamma", "beta"], ["n"], [attribute("epsilon", float: 0)])
        b.node("Softmax", ["x"], ["s"], [attribute("axis", int: -1)])
        b.output("n")
        b.output("s")
        let out = try b.run(["x": TensorData(float32: [1, 1, 3, 3, 0, 0, 0, 0], shape: [2, 4])])
        #expect(floats(out["n"]).prefix(4).map { ($0 * 1000).rounded() / 1000 } == [-1, -1, 1, 2])
        let s = floats(out["s"])
        #expect(abs(s[4] - 0.25) < 1e-6)
    }

    /// ONNX GRU gates z, r, h are WebNN's zrn layout: with zero weights and bias b_z the hidden
    /// state is (1 - sigmoid(b_z)) * tanh(0) + sigmoid(b_z) * h0.
    @Test func gruGateOrder() throws {
        var b = ModelBuilder()
        b.input("x", [1, 1, 1])
        b.input("h0", [1, 1, 1])
        b.floats("w", [0, 0, 0], [1, 3, 1])
        b.floats("r", [0, 0, 0], [1, 3, 1])
        b.floats("b", [2, 0, 0, 0, 0, 0], [1, 6])
        b.node("GRU", ["x", "w", "r", "b", "", "h0"], ["", "h"], [attribute("hidden_size", int: 1)])
        b.output("h")
        let out = try b.run(["x": TensorData(float32: [5], shape: [1, 1, 1]), "h0": TensorData(float32: [0.5], shape: [1, 1, 1])])
        let z = 1 / (1 + exp(Float(-2)))
        #expect(abs(floats(out["h"])[0] - z * 0.5) < 1e-6)
    }

    // MARK: errors

    /// Found by the onnx fuzz target: a float sequence_lens of 1e30 (or NaN) read as integers
    /// trapped in the Double to Int64 conversion; now out-of-range floats saturate and the
    /// importer reports the lengths.
    @Test func floatSequenceLengthsAreAnErrorNotATrap() {
        for length in [Float(1e30), -.infinity, .nan] {
            var b = ModelBuilder()
            b.input("x", [1, 1, 1])
            b.floats("w", [0, 0, 0], [1, 3, 1])
            b.floats("r", [0, 0, 0], [1, 3, 1])
            b.floats("lengths", [length], [1])
            b.node("GRU", ["x", "w", "r", "", "lengths"], ["", "h"], [attribute("hidden_size", int: 1)])
            b.output("h")
            let error = #expect(throws: Diagnostic.self) { try b.importModel() }
            #expect(error?.message.contains("sequence_lens") == true)
        }
    }

    @Test func malformedProtobufIsAnError() {
        let error = #expect(throws: Diagnostic.self) {
            try ONNXImporter.importModel(data: Data([0x0a, 0xff, 0xff, 0x01, 0x02]), file: "bad.onnx")
        }
        #expect(error?.message.contains("not a valid ONNX model") == true)
    }

    /// Every operator the importer maps or evaluates, given fewer inputs than it takes (none,
    /// one, two, all empty names), is an error or a graph, never a crash. (The fuzz target found a
    /// Gather with one input that trapped on a force unwrap.)
    @Test func everyOperatorWithMissingInputsIsAnErrorNotACrash() throws {
        let operators = Set(OperatorMapping.table.keys).union(ConstantEvaluator.importTimeOnly).sorted()
        #expect(operators.contains("Gather"))
        for op in operators {
            for inputs in [[], ["x"], ["x", "x"], ["", "x"], ["x", ""]] {
                var b = ModelBuilder()
                b.input("x", [2, 3])
                b.node(op, inputs, ["y"])
                b.output("y")
                do { _ = try b.importModel() } catch is Diagnostic {}
            }
        }
    }

    /// An initializer whose dims multiply past Int.max is an error (found by the fuzz target: the
    /// element count check trapped).
    @Test func initializerWithOverflowingDimsIsAnError() {
        var b = ModelBuilder()
        b.input("x", [2])
        b.floats("w", [1, 2], [Int64.max, 4])
        b.node("Add", ["x", "w"], ["y"])
        b.output("y")
        #expect(throws: Diagnostic.self) { try b.importModel() }
    }

    /// Found by the onnx fuzz target: each dimension in range, the product overflowing before a
    /// zero dimension makes it 0 (a saturated product times 0 read as an empty tensor).
    @Test func initializerWhoseDimsOverflowBeforeAZeroIsAnError() {
        var b = ModelBuilder()
        b.input("x", [2])
        b.floats("w", [], [Int64(Int32.max), Int64(Int32.max), Int64(Int32.max), 0])
        b.node("Add", ["x", "w"], ["y"])
        b.output("y")
        let error = #expect(throws: Diagnostic.self) { try b.importModel() }
        #expect(error?.message.contains("too large") == true)
    }

    @Test func unsupportedOperatorsAreAllListed() {
        var b = ModelBuilder()
        b.input("x", [2])
        b.node("Relu", ["x"], ["a"])
        b.node("NonMaxSuppression", ["a"], ["n"], name: "nms")
        b.node("Einsum", ["a"], ["e"], name: "einsum1")
        b.output("e")
        let error = #expect(throws: Diagnostic.self) { try b.importModel() }
        #expect(error?.message.contains("NonMaxSuppression (node 'nms')") == true)
        #expect(error?.message.contains("Einsum (node 'einsum1')") == true)
        #expect(error?.message.contains("Relu") == false)
    }

    @Test func dynamicDimensionMustBeFixed() throws {
        var b = ModelBuilder()
        b.input("images", [nil, 3])
        b.node("Relu", ["images"], ["y"])
        b.output("y")
        let error = #expect(throws: Diagnostic.self) { try b.importModel() }
        #expect(error?.message.contains("input 'images': dimension 0 is dynamic ('d0')") == true)
        #expect(error?.message.contains("--input-shape images=<d0>,3") == true)
        #expect(try b.importModel(shapes: ["images": [4, 3]]).graph.inputs.count == 1)
        #expect(throws: Diagnostic.self) { try b.importModel(shapes: ["images": [4, 5]]) }
        #expect(throws: Diagnostic.self) { try b.importModel(shapes: ["images": [4]]) }
        let unknown = #expect(throws: Diagnostic.self) { try b.importModel(shapes: ["images": [1, 3], "other": [1]]) }
        #expect(unknown?.message.contains("no input 'other'") == true)
    }

    @Test func missingValuesAndBadTensorsAreErrors() throws {
        var b = ModelBuilder()
        b.input("x", [2])
        b.node("Add", ["x", "missing_weight"], ["y"], name: "add1")
        b.output("y")
        let missing = #expect(throws: Diagnostic.self) { try b.importModel() }
        #expect(missing?.message.contains("node 'add1' (Add): input 'missing_weight'") == true)

        var c = ModelBuilder()
        c.input("x", [2])
        var bad = Onnx_TensorProto()
        bad.name = "w"
        bad.dataType = 1
        bad.dims = [2]
        bad.rawData = Data([1, 2, 3])
        c.model.graph.initializer.append(bad)
        c.node("Add", ["x", "w"], ["y"])
        c.output("y")
        let size = #expect(throws: Diagnostic.self) { try c.importModel() }
        #expect(size?.message.contains("raw_data has 3 bytes") == true)

        var d = ModelBuilder()
        d.input("x", [2, 2])
        d.input("shape", [2], type: 7)
        d.node("Reshape", ["x", "shape"], ["y"], name: "r")
        d.output("y")
        let runtime = #expect(throws: Diagnostic.self) { try d.importModel() }
        #expect(runtime?.message.contains("must be known at import time") == true)
    }

    @Test func opsetAndOutputsAreChecked() throws {
        var b = ModelBuilder(opset: 3)
        b.input("x", [2])
        b.node("Relu", ["x"], ["y"])
        b.output("y")
        #expect(throws: Diagnostic.self) { try b.importModel() }

        var c = ModelBuilder()
        c.input("x", [2])
        c.output("nowhere")
        let error = #expect(throws: Diagnostic.self) { try c.importModel() }
        #expect(error?.message.contains("'nowhere' is not computed") == true)
    }

    @Test func unsupportedOptionsAreRefused() {
        var b = ModelBuilder()
        b.input("x", [1, 1, 4, 4])
        b.floats("scales", [1, 1, 2, 2], [4])
        b.node("Resize", ["x", "", "scales"], ["y"], name: "cubic", [attribute("mode", string: "cubic")])
        b.output("y")
        let error = #expect(throws: Diagnostic.self) { try b.importModel() }
        #expect(error?.message.contains("node 'cubic' (Resize): mode 'cubic' is not supported") == true)
    }

    /// Dropout is the identity at inference; in training mode it is random, and refused (found by
    /// the node tests: test_training_dropout* ran as the identity).
    @Test func dropoutTrainingModeIsRefused() throws {
        var b = ModelBuilder()
        b.input("x", [2])
        var training = Onnx_TensorProto()
        training.name = "training"
        training.dataType = 9
        training.int32Data = [1]
        b.model.graph.initializer.append(training)
        b.floats("ratio", [0.5], [])
        b.node("Dropout", ["x", "ratio", "training"], ["y"], name: "drop")
        b.output("y")
        let error = #expect(throws: Diagnostic.self) { try b.importModel() }
        #expect(error?.message.contains("node 'drop' (Dropout): training mode") == true)
    }

    @Test func namesAreSanitizedAndMapped() throws {
        var b = ModelBuilder()
        b.input("input:0", [2])
        b.node("Relu", ["input:0"], ["out/relu"])
        b.output("out/relu")
        let imported = try b.importModel()
        #expect(imported.inputs.map(\.webnn) == ["input_0"])
        #expect(imported.outputs.map(\.webnn) == ["out_relu"])
    }
}
