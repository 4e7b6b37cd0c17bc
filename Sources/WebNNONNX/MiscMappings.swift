import Foundation
import WebNNBasics
import WebNNIR

/// Activations with options, normalizations, arg reductions, recurrent networks, quantization.
enum MiscMappings {
    static let table: [String: OperatorMapping.Mapping] = [
        "HardSigmoid": { call, context in
            try OperatorMapping.unary(call, &context, "hardSigmoid", ["alpha": .double(try call.float("alpha", default: Double(Float(0.2)))),
                                                                     "beta": .double(try call.float("beta", default: 0.5))])
        },
        "LeakyRelu": { try OperatorMapping.unary($0, &$1, "leakyRelu", ["alpha": .double(try $0.float("alpha", default: Double(Float(0.01))))]) },
        "Elu": { try OperatorMapping.unary($0, &$1, "elu", ["alpha": .double(try $0.float("alpha", default: 1))]) },
        "Gelu": { call, context in
            let approximate = try call.string("approximate", default: "none")
            guard approximate == "none" else { throw Diagnostic("approximate=\(approximate) is not supported") }
            try OperatorMapping.unary(call, &context, "gelu")
        },
        "Clip": { call, context in
            var attributes: [String: Attribute] = [:]
            if call.opset < 11 {
                if call.has("min") { attributes["minValue"] = .double(try call.float("min", default: 0)) }
                if call.has("max") { attributes["maxValue"] = .double(try call.float("max", default: 0)) }
            } else {
                if let low = try ShapeMappings.scalar(context.constantInput(call, 1, "min"), "min") { attributes["minValue"] = .double(low) }
                if let high = try ShapeMappings.scalar(context.constantInput(call, 2, "max"), "max") { attributes["maxValue"] = .double(high) }
            }
            try OperatorMapping.unary(call, &context, "clamp", attributes)
        },
        "Softmax": softmax,
        "BatchNormalization": { call, context in
            if try call.int("training_mode", default: 0) != 0 || call.outputName(1) != nil { throw Diagnostic("training mode is not supported") }
            try call.requireInputs(5)
            try context.emitResult(call, "batchNormalization",
                                   ["input": try context.input(call, 0), "scale": try context.input(call, 1), "bias": try context.input(call, 2),
                                    "mean": try context.input(call, 3), "variance": try context.input(call, 4)],
                                   ["epsilon": .double(try call.float("epsilon", default: Double(Float(1e-5))))])
        },
        "InstanceNormalization": { call, context in
            try call.requireInputs(3)
            try context.emitResult(call, "instanceNormalization",
                                   ["input": try context.input(call, 0), "scale": try context.input(call, 1), "bias": try context.input(call, 2)],
                                   ["epsilon": .double(try call.float("epsilon", default: Double(Float(1e-5))))])
        },
        "LayerNormalization": layerNormalization,
        "ArgMax": { try arg($0, &$1, "argMax") },
        "ArgMin": { try arg($0, &$1, "argMin") },
        "GRU": { try RecurrentMapping.map($0, &$1, lstm: false) },
        "LSTM": { try RecurrentMapping.map($0, &$1, lstm: true) },
        "QuantizeLinear": { try quantization($0, &$1, "quantizeLinear") },
        "DequantizeLinear": { try quantization($0, &$1, "dequantizeLinear") },
    ]

    static func softmax(_ call: NodeCall, _ context: inout ImportContext) throws {
        let shape = try context.type(call, 0).shape
        let axis = try ConstantEvaluator.normalizedAxis(try call.int("axis", default: call.opset >= 13 ? -1 : 1), rank: shape.count)
        let x = try context.input(call, 0)
        if call.opset >= 13 || axis == shape.count - 1 {
            try context.emitResult(call, "softmax", ["input": x], ["axis": .int(Int64(axis))])
            return
        }
        // before opset 13: over the flattened dimensions from axis on
        let flat = try context.reshape(x, [shape[..<axis].reduce(1, *), shape[axis...].reduce(1, *)], name: context.helperName(call, "2d"))
        let result = try context.emit("softmax", ["input": flat], ["axis": .int(1)], outputs: [context.helperName(call, "softmax")])[0]
        context.bind(call, 0, try context.reshape(result, shape, name: call.outputName(0) ?? "v"))
    }

    static func layerNormalization(_ call: NodeCall, _ context: inout ImportContext) throws {
        if call.outputName(1) != nil || call.outputName(2) != nil { throw Diagnostic("the Mean and InvStdDev outputs are not supported") }
        let shape = try context.type(call, 0).shape
        let axis = try ConstantEvaluator.normalizedAxis(try call.int("axis", default: -1), rank: shape.count)
        let normalized = Array(shape[axis...])
        var operands = ["input": try context.input(call, 0)]
        for (index, key) in [(1, "scale"), (2, "bias")] {
            guard let name = call.inputName(index) else { continue }
            let type = try context.type(of: name)
            if type.shape == normalized {
                operands[key] = try context.operand(name)
            } else if case .constant(let data)? = context.values[name], data.elementCount == 1 {
                operands[key] = try context.constant(TensorData(filling: data.type.dataType, shape: normalized, with: data.double(at: 0)), base: name)
            } else {
                let value = try context.operand(name)
                let rank = min(type.rank, normalized.count)
                guard Array(type.shape.suffix(rank)).enumerated().allSatisfy({ $0.element == 1 || $0.element == normalized[normalized.count - rank + $0.offset] }),
                      type.shape.dropLast(rank).allSatisfy({ $0 == 1 }) else {
                    throw Diagnostic("\(key) of shape \(type.shape) does not broadcast to \(normalized)")
                }
                let reshaped = try context.reshape(value, [Int](repeating: 1, count: normalized.count - rank) + type.shape.suffix(rank), name: context.helperName(call, key))
                operands[key] = try context.emit("expand", ["input": reshaped], ["newShape": .ints(normalized.map(Int64.init))],
                                                 outputs: [context.helperName(call, key + "_expanded")])[0]
            }
        }
        try context.emitResult(call, "layerNormalization", operands,
                               ["axes": .ints((axis..<shape.count).map(Int64.init)),
                                "epsilon": .double(try call.float("epsilon", default: Double(Float(1e-5))))])
    }

    static func arg(_ call: NodeCall, _ context: inout ImportContext, _ op: String) throws {
        try call.require("select_last_index", is: 0, "WebNN returns the first extreme index")
        let rank = try context.type(call, 0).rank
        let axis = try ConstantEvaluator.normalizedAxis(try call.int("axis", default: 0), rank: rank)
        try context.emitResult(call, op, ["input": try context.input(call, 0)],
                               ["axis": .int(Int64(axis)), "keepDimensions": .bool(try call.int("keepdims", default: 1) != 0),
                                "outputDataType": .string("int64")])
    }

    /// QuantizeLinear/DequantizeLinear: ONNX's scalar (per-tensor) or 1-D (per-axis) scale and
    /// zero point become tensors of the input's rank, as WebNN's operators want.
    static func quantization(_ call: NodeCall, _ context: inout ImportContext, _ op: String) throws {
        try call.requireInputs(2)
        let x = try context.type(call, 0), scale = try context.type(call, 1)
        let blockSize = try call.int("block_size", default: 0)
        guard blockSize == 0 else { throw Diagnostic("blocked quantization (block_size \(blockSize)) is not supported") }
        let shape: [Int]
        if scale.elementCount == 1 {
            shape = [Int](repeating: 1, count: x.rank)
        } else {
            guard scale.rank == 1 else { throw Diagnostic("scale of shape \(scale.shape) is neither per-tensor nor per-axis") }
            let axis = try ConstantEvaluator.normalizedAxis(try call.int("axis", default: 1), rank: x.rank)
            guard x.shape[axis] == scale.shape[0] else { throw Diagnostic("scale has \(scale.shape[0]) values for axis \(axis) of size \(x.shape[axis])") }
            var s = [Int](repeating: 1, count: x.rank)
            s[axis] = scale.shape[0]
            shape = s
        }
        let scaleID = try context.reshape(try context.input(call, 1), shape, name: context.helperName(call, "scale"))
        let zeroPoint: ValueID
        if call.inputName(2) != nil {
            zeroPoint = try context.reshape(try context.input(call, 2), shape, name: context.helperName(call, "zero_point"))
        } else {
            // the zero point's type is the quantized type: the input's (dequantize) or uint8
            let type = op == "dequantizeLinear" ? x.dataType : DataType.uint8
            if let to = try call.int("output_dtype"), to != 0, ONNXDataType.webnn(Int32(to)) != .uint8 {
                throw Diagnostic("output_dtype \(ONNXDataType.name(Int32(to))) without a zero point is not supported")
            }
            zeroPoint = try context.constant(TensorData(filling: type, shape: shape, with: 0), base: context.helperName(call, "zero_point"))
        }
        try context.emitResult(call, op, ["input": try context.input(call, 0), "scale": scaleID, "zeroPoint": zeroPoint])
    }
}

/// ONNX GRU/LSTM as WebNN gru/lstm. ONNX's gate blocks are z, r, h (GRU) and i, o, f, c
/// (LSTM): WebNN's `zrn` and `iofg` layouts, so the weights are used as they are.
enum RecurrentMapping {
    static func map(_ call: NodeCall, _ context: inout ImportContext, lstm: Bool) throws {
        try call.requireInputs(3)
        try call.require("layout", is: 0, "batch-first layout")
        if call.has("clip") { throw Diagnostic("clip is not supported") }
        if lstm { try call.require("input_forget", is: 0, "coupled input and forget gates") }
        let direction = try call.string("direction", default: "forward")
        let directions = direction == "bidirectional" ? 2 : 1
        let defaults = lstm ? ["Sigmoid", "Tanh", "Tanh"] : ["Sigmoid", "Tanh"]
        if let activations = try call.strings("activations"), !activations.isEmpty,
           activations != Array([[String]](repeating: defaults, count: directions).joined()) {
            throw Diagnostic("activations \(activations) are not supported")
        }
        let x = try context.type(call, 0)
        guard x.rank == 3 else { throw Diagnostic("X must have rank 3, has shape \(x.shape)") }
        guard let hidden = try call.int("hidden_size") else { throw Diagnostic("attribute 'hidden_size' is missing") }
        guard hidden > 0, hidden < 1 << 20 else { throw Diagnostic("hidden_size \(hidden) must be positive") }
        let steps = x.shape[0], gates = lstm ? 4 : 3
        if let lengths = try context.constantInput(call, 4, "sequence_lens"), lengths.integers.contains(where: { $0 != Int64(steps) }) {
            throw Diagnostic("sequence_lens \(lengths.integers) shorter than the sequence are not supported")
        }
        var operands = ["input": try context.input(call, 0), "weight": try context.input(call, 1), "recurrentWeight": try context.input(call, 2)]
        var attributes: [String: Attribute] = ["steps": .int(Int64(steps)), "hiddenSize": .int(Int64(hidden))]
        if let bias = try context.constantInput(call, 3, "B") {
            guard bias.type.shape == [directions, 2 * gates * hidden] else { throw Diagnostic("B must have shape [\(directions), \(2 * gates * hidden)]") }
            let half = gates * hidden * bias.type.dataType.byteSize
            var input: [UInt8] = [], recurrent: [UInt8] = []
            for d in 0..<directions {
                input += bias.bytes[(d * 2 * half)..<(d * 2 * half + half)]
                recurrent += bias.bytes[(d * 2 * half + half)..<((d + 1) * 2 * half)]
            }
            let type = TensorType(bias.type.dataType, [directions, gates * hidden])
            operands["bias"] = try context.constant(TensorData(type: type, bytes: input)!, base: call.inputName(3)! + "_w")
            operands["recurrentBias"] = try context.constant(TensorData(type: type, bytes: recurrent)!, base: call.inputName(3)! + "_r")
        }
        operands["initialHiddenState"] = try context.optionalInput(call, 5)
        if lstm {
            operands["initialCellState"] = try context.optionalInput(call, 6)
            if let peephole = try context.constantInput(call, 7, "P (peephole weights)") {
                // ONNX's output gate looks at the new cell state c(t), WebNN's at c(t-1) (as its
                // other peepholes do): the same only where the output gate's block is 0
                guard peephole.type.shape == [directions, 3 * hidden] else { throw Diagnostic("P must have shape [\(directions), \(3 * hidden)]") }
                let values = peephole.doubles, width = 3 * hidden
                for d in 0..<directions where values[(d * width + hidden)..<(d * width + 2 * hidden)].contains(where: { $0 != 0 }) {
                    throw Diagnostic("an output-gate peephole is not supported (ONNX applies it to the new cell state, WebNN's lstm to the previous one)")
                }
                operands["peepholeWeight"] = try context.input(call, 7)
            }
            attributes["layout"] = .string("iofg")
        } else {
            attributes["layout"] = .string("zrn")
            attributes["resetAfter"] = .bool(try call.int("linear_before_reset", default: 0) != 0)
        }
        let webnnDirection = ["forward": "forward", "reverse": "backward", "bidirectional": "both"]
        guard let mapped = webnnDirection[direction] else { throw Diagnostic("direction '\(direction)' is not supported") }
        attributes["direction"] = .string(mapped)
        let sequence = call.outputName(0)
        if sequence != nil { attributes["returnSequence"] = .bool(true) }
        // WebNN outputs: hidden state, (cell state), (sequence); ONNX: Y, Y_h, (Y_c)
        var names = [call.outputName(1) ?? context.helperName(call, "h")]
        if lstm { names.append(call.outputName(2) ?? context.helperName(call, "c")) }
        if let sequence { names.append(sequence) }
        let outputs = try context.emit(lstm ? "lstm" : "gru", operands, attributes, outputs: names)
        context.bind(call, 1, outputs[0])
        if lstm { context.bind(call, 2, outputs[1]) }
        if sequence != nil { context.bind(call, 0, outputs.last!) }
    }
}
