import Testing
import WebNNBasics
import WebNNIR
import WebNNReference
@testable import WebNNTransforms
import WebNNTestSupport

@Suite struct StrideHoistingTests {
    /// The last block of a ResNet v1 stage, read at stride 2 by the next stage's two 1×1
    /// convolutions: its 3×3 convolution takes the stride, the 1×1 after it and the readers take
    /// stride 1, the shortcut it adds is sliced, and the outputs are bit-identical. Odd sizes
    /// (7 → 4) keep the last row and column.
    @Test(arguments: [(InputLayout.nchw, 8), (.nhwc, 7), (.nchw, 5)])
    func resnetStageEnd(layout: InputLayout, size: Int) throws {
        var b = RandomGraphBuilder(seed: UInt64(size), name: "block")
        let x = try b.input(layout.shape(batch: 1, channels: 3, height: size, width: size))
        func conv(_ input: ValueID, _ outputs: Int, kernel: Int, stride: Int = 1) throws -> ValueID {
            let inputs = b.graph[input].type.shape[layout == .nhwc ? 3 : 1]
            var attributes: [String: Attribute] = ["inputLayout": .string(layout.rawValue)]
            if kernel == 3 { attributes["padding"] = .ints([1, 1, 1, 1]) }
            if stride > 1 { attributes["strides"] = .ints([Int64(stride), Int64(stride)]) }
            return try b.node("conv2d", [input, try b.constant([outputs, inputs, kernel, kernel]), try b.constant([outputs])], attributes)
        }
        let previous = try b.node("relu", [try conv(x, 4, kernel: 3)])
        var y = try b.node("relu", [try conv(previous, 2, kernel: 1)])
        y = try b.node("relu", [try conv(y, 2, kernel: 3)])
        let sum = try b.node("relu", [try b.node("add", [try conv(y, 4, kernel: 1), previous])])
        b.graph.setOutputs([try conv(sum, 5, kernel: 1, stride: 2), try conv(sum, 3, kernel: 1, stride: 2)])
        let original = b.graph
        var hoisted = original
        #expect(try StrideHoisting.pass.run(&hoisted))
        try Verifier.verify(hoisted, after: "hoist-strides")
        let convolutions = hoisted.nodes.filter { $0.op == "conv2d" }
        let threeByThree = convolutions.filter { hoisted[$0.operands[1]!].type.shape[2] == 3 }
        #expect(threeByThree.map { $0.ints("strides") ?? [1, 1] } == [[1, 1], [2, 2]])
        #expect(convolutions.filter { hoisted[$0.operands[1]!].type.shape[2] == 1 }.allSatisfy { ($0.ints("strides") ?? [1, 1]) == [1, 1] })
        let slices = hoisted.nodes.filter { $0.op == "slice" }
        #expect(slices.count == 1 && slices.first?.operands[0] == hoisted.value(named: original[previous].name))
        let half = (size + 1) / 2
        #expect(hoisted[hoisted.value(named: original[sum].name)!].type.shape == layout.shape(batch: 1, channels: 4, height: half, width: half))
        let expected = try Interpreter(original).run(b.inputs), actual = try Interpreter(hoisted).run(b.inputs)
        for (name, value) in expected { #expect(actual[name]?.bytes == value.bytes, "\(name)") }
    }

    /// Nothing moves where some reader needs the whole value, or where the only producer is
    /// something the stride cannot move into (here an element-wise node on a graph input).
    @Test(arguments: ["output", "padded", "unstrided", "input"])
    func keepsWholeValues(_ case: String) throws {
        var b = RandomGraphBuilder(seed: 1, name: "keep")
        let x = try b.input([1, 3, 6, 6])
        let w = try b.constant([3, 3, 1, 1])
        let value = `case` == "input" ? try b.node("relu", [x]) : try b.node("conv2d", [x, try b.constant([3, 3, 3, 3])])
        let strided: [String: Attribute] = ["strides": .ints([2, 2])]
        var outputs = [try b.node("conv2d", [value, w], strided)]
        switch `case` {
        case "output": outputs.append(value)
        case "padded": outputs.append(try b.node("conv2d", [value, w], strided.merging(["padding": .ints([0, 1, 0, 1])]) { $1 }))
        case "unstrided": outputs.append(try b.node("conv2d", [value, w]))
        default: break
        }
        b.graph.setOutputs(outputs)
        var graph = b.graph
        #expect(try !StrideHoisting.pass.run(&graph))
        #expect(printed(graph) == printed(b.graph))
    }

    /// Integer graphs too: a `quantizedConv2d` takes the stride and a `quantizedAdd` its
    /// operands subsampled, bit for bit.
    @Test func quantizedBlock() throws {
        var b = RandomGraphBuilder(seed: 5, name: "int8")
        let x = try b.graph.addInput("x", TensorType(.uint8, [1, 7, 7, 4]))
        b.inputs["x"] = TensorData(.uint8, shape: [1, 7, 7, 4], integers: (0..<196).map { _ in Int64(b.int(0...255)) })
        func conv(_ input: ValueID, kernel: Int, stride: Int = 1) throws -> ValueID {
            let filter = TensorData(.int8, shape: [4, 4, kernel, kernel], integers: (0..<16 * kernel * kernel).map { _ in Int64(b.int(-128...127)) })
            var attributes: [String: Attribute] = ["inputLayout": .string("nhwc"), "inputZeroPoint": .int(3), "outputZeroPoint": .int(5)]
            if kernel == 3 { attributes["padding"] = .ints([1, 1, 1, 1]) }
            if stride > 1 { attributes["strides"] = .ints([Int64(stride), Int64(stride)]) }
            let operands = [input, try b.graph.addConstant(b.name("w"), Constant(data: filter)),
                            try b.graph.addConstant(b.name("bias"), Constant(data: TensorData(.int32, shape: [4], integers: [7, -300, 0, 1000]))),
                            try b.graph.addConstant(b.name("scale"), Constant(data: TensorData(float32: [0.002, 0.004, 0.001, 0.003], shape: [4])))]
            return try b.node(QuantizedConv2dParameters.operatorName, operands, attributes)
        }
        let y = try conv(try conv(x, kernel: 3), kernel: 1)
        let sum = try b.node(QuantizedAddParameters.operatorName, [y, x], ["aScale": .double(Double(Float(0.75))), "bScale": .double(0.5),
                                                                            "aZeroPoint": .int(5), "bZeroPoint": .int(3)])
        b.graph.setOutputs([try conv(sum, kernel: 1, stride: 2)])
        var hoisted = b.graph
        #expect(try StrideHoisting.pass.run(&hoisted))
        try Verifier.verify(hoisted, after: "hoist-strides")
        #expect(hoisted.nodes.first { $0.op == QuantizedConv2dParameters.operatorName }?.ints("strides") == [2, 2])
        #expect(hoisted.nodes.filter { $0.op == "slice" }.count == 1)
        let expected = try Interpreter(b.graph).run(b.inputs), actual = try Interpreter(hoisted).run(b.inputs)
        for (name, value) in expected { #expect(actual[name]?.bytes == value.bytes, "\(name)") }
    }
}
