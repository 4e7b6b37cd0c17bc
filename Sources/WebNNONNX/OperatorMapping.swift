import Foundation
import WebNNBasics
import WebNNIR

/// How each ONNX operator becomes WebNN operators (the semantics are those of
/// docs/operators.md; an option WebNN cannot express exactly is an error, never an approximation).
enum OperatorMapping {
    typealias Mapping = @Sendable (NodeCall, inout ImportContext) throws -> Void

    static let table: [String: Mapping] = {
        var table: [String: Mapping] = [:]
        for (onnx, webnn) in binaryOps { table[onnx] = { try binary($0, &$1, webnn) } }
        for (onnx, webnn) in unaryOps { table[onnx] = { try unary($0, &$1, webnn) } }
        for (onnx, webnn) in reductionOps { table[onnx] = { try reduce($0, &$1, webnn) } }
        for (onnx, webnn) in variadicOps { table[onnx] = { try variadic($0, &$1, webnn) } }
        table.merge(ShapeMappings.table) { $1 }
        table.merge(SpatialMappings.table) { $1 }
        table.merge(MiscMappings.table) { $1 }
        return table
    }()

    static let binaryOps = [
        "Add": "add", "Sub": "sub", "Mul": "mul", "Div": "div", "Pow": "pow",
        "Equal": "equal", "Greater": "greater", "GreaterOrEqual": "greaterOrEqual", "Less": "lesser",
        "LessOrEqual": "lesserOrEqual", "And": "logicalAnd", "Or": "logicalOr", "Xor": "logicalXor", "PRelu": "prelu",
    ]
    static let unaryOps = [
        "Relu": "relu", "Sigmoid": "sigmoid", "Tanh": "tanh", "Exp": "exp", "Log": "log", "Sqrt": "sqrt",
        "Abs": "abs", "Neg": "neg", "Sign": "sign", "Ceil": "ceil", "Floor": "floor", "Round": "roundEven",
        "Erf": "erf", "Sin": "sin", "Cos": "cos", "Tan": "tan", "Reciprocal": "reciprocal", "Softplus": "softplus",
        "Softsign": "softsign", "HardSwish": "hardSwish", "Identity": "identity", "Not": "logicalNot",
    ]
    static let reductionOps = [
        "ReduceMean": "reduceMean", "ReduceSum": "reduceSum", "ReduceMax": "reduceMax", "ReduceMin": "reduceMin",
        "ReduceProd": "reduceProduct", "ReduceL1": "reduceL1", "ReduceL2": "reduceL2",
        "ReduceSumSquare": "reduceSumSquare", "ReduceLogSumExp": "reduceLogSumExp",
    ]
    static let variadicOps = ["Max": "max", "Min": "min", "Sum": "add", "Mean": "add"]

    static func unary(_ call: NodeCall, _ context: inout ImportContext, _ op: String, _ attributes: [String: Attribute] = [:]) throws {
        try call.requireInputs(1)
        try context.emitResult(call, op, [op == "logicalNot" ? "a" : "input": try context.input(call, 0)], attributes)
    }

    /// A constant operand of another data type takes the other operand's type when its values
    /// survive the conversion (`x * 2` with an int64 2 on a float x).
    static func binary(_ call: NodeCall, _ context: inout ImportContext, _ op: String) throws {
        try call.requireInputs(2)
        var a = try context.input(call, 0), b = try context.input(call, 1)
        let ta = context.graph[a].type.dataType, tb = context.graph[b].type.dataType
        if ta != tb {
            if let converted = try sameValues(context, call, 1, as: ta) {
                b = try context.constant(converted, base: call.inputName(1)! + "_\(ta.shortName)")
            } else if let converted = try sameValues(context, call, 0, as: tb) {
                a = try context.constant(converted, base: call.inputName(0)! + "_\(tb.shortName)")
            } else {
                throw Diagnostic("operand data types differ (\(ta.rawValue), \(tb.rawValue))")
            }
        }
        try context.emitResult(call, op, op == "prelu" ? ["input": a, "slope": b] : ["a": a, "b": b])
    }

    /// Input `index` converted to `type` if it is a constant whose values the conversion keeps.
    private static func sameValues(_ context: ImportContext, _ call: NodeCall, _ index: Int, as type: DataType) throws -> TensorData? {
        guard case .constant(let data)? = context.values[call.inputName(index)!] else { return nil }
        let values = data.doubles
        let converted = TensorData(type, shape: data.type.shape, values: values)
        return converted.doubles == values ? converted : nil
    }

    static func variadic(_ call: NodeCall, _ context: inout ImportContext, _ op: String) throws {
        let names = call.presentInputs
        guard !names.isEmpty else { throw Diagnostic("no inputs") }
        var accumulator = try context.operand(names[0])
        for (index, name) in names.enumerated().dropFirst() {
            let last = index == names.count - 1 && call.op != "Mean"
            let outputs = last ? [call.outputName(0) ?? "v"] : [context.helperName(call, "\(index)")]
            accumulator = try context.emit(op, ["a": accumulator, "b": try context.operand(name)], outputs: outputs)[0]
        }
        if call.op == "Mean" {
            let type = context.graph[accumulator].type
            let count = try context.constant(TensorData(type.dataType, shape: [], values: [Double(names.count)]), base: context.helperName(call, "count"))
            accumulator = try context.emit("div", ["a": accumulator, "b": count], outputs: [call.outputName(0) ?? "v"])[0]
        } else if names.count == 1 {
            accumulator = try context.emit("identity", ["input": accumulator], outputs: [call.outputName(0) ?? "v"])[0]
        }
        context.bind(call, 0, accumulator)
    }

    static func reduce(_ call: NodeCall, _ context: inout ImportContext, _ op: String) throws {
        let rank = try context.type(call, 0).rank
        var axes: [Int]?
        // ReduceSum took its axes as an input from opset 13, the others from opset 18
        if call.has("axes") || (call.opset < 18 && !(call.op == "ReduceSum" && call.opset >= 13)) {
            axes = try call.ints("axes")
        } else {
            axes = try context.constantInts(call, 1, "axes")
        }
        if axes?.isEmpty ?? true {
            if try call.int("noop_with_empty_axes", default: 0) != 0 {
                try unary(call, &context, "identity")
                return
            }
            axes = Array(0..<rank)
        }
        var normalized: [Int] = []
        for axis in axes! { normalized.append(try ConstantEvaluator.normalizedAxis(axis, rank: rank)) }
        try context.emitResult(call, op, ["input": try context.input(call, 0)],
                               ["axes": .ints(Set(normalized).sorted().map(Int64.init)),
                                "keepDimensions": .bool(try call.int("keepdims", default: 1) != 0)])
    }
}

/// Reshapes, layout changes, indexing and data-type conversions.
enum ShapeMappings {
    static let table: [String: OperatorMapping.Mapping] = [
        "Reshape": { call, context in
            let x = try context.type(call, 0)
            guard let target = try context.constantInts(call, 1, "shape") else { throw Diagnostic("input 1 (shape) is missing") }
            try reshapeResult(call, &context, try ConstantEvaluator.reshapeTarget(x.shape, target, allowZero: try call.int("allowzero", default: 0) != 0))
        },
        "Flatten": { call, context in
            try reshapeResult(call, &context, try ConstantEvaluator.flattenShape(try context.type(call, 0).shape, axis: try call.int("axis", default: 1)))
        },
        "Squeeze": { call, context in
            let axes = try ConstantEvaluator.squeezeAxes(call, context)
            try reshapeResult(call, &context, try ConstantEvaluator.squeezeShape(try context.type(call, 0).shape, axes: axes))
        },
        "Unsqueeze": { call, context in
            guard let axes = try ConstantEvaluator.squeezeAxes(call, context) else { throw Diagnostic("the axes are missing") }
            try reshapeResult(call, &context, try ConstantEvaluator.unsqueezeShape(try context.type(call, 0).shape, axes: axes))
        },
        "Dropout": { call, context in
            if call.outputName(1) != nil { throw Diagnostic("the mask output is not supported") }
            if let training = try context.constantInput(call, 2, "training_mode"), training.integers.contains(where: { $0 != 0 }) {
                throw Diagnostic("training mode (random dropout) is not supported")
            }
            try OperatorMapping.unary(call, &context, "identity")
        },
        "Expand": { call, context in
            let x = try context.type(call, 0)
            guard let target = try context.constantInts(call, 1, "shape") else { throw Diagnostic("input 1 (shape) is missing") }
            let shape = try ConstantEvaluator.broadcast(x.shape, target)
            try context.emitResult(call, "expand", ["input": try context.input(call, 0)], ["newShape": .ints(shape.map(Int64.init))])
        },
        "Tile": { call, context in
            guard let repeats = try context.constantInts(call, 1, "repeats") else { throw Diagnostic("input 1 (repeats) is missing") }
            try context.emitResult(call, "tile", ["input": try context.input(call, 0)], ["repetitions": .ints(repeats.map(Int64.init))])
        },
        "Transpose": { call, context in
            let rank = try context.type(call, 0).rank
            let perm = try call.ints("perm") ?? Array((0..<rank).reversed())
            try context.emitResult(call, "transpose", ["input": try context.input(call, 0)], ["permutation": .ints(perm.map(Int64.init))])
        },
        "Concat": { call, context in
            let names = call.presentInputs
            guard let first = names.first else { throw Diagnostic("no inputs") }
            guard let axisValue = try call.int("axis") else { throw Diagnostic("attribute 'axis' is missing") }
            let axis = try ConstantEvaluator.normalizedAxis(axisValue, rank: try context.type(of: first).rank)
            var ids: [ValueID] = []
            for name in names {
                let shape = try context.type(of: name).shape
                guard shape.count > axis else { throw Diagnostic("input '\(name)' of shape \(shape) has no axis \(axis)") }
                if shape[axis] > 0 { ids.append(try context.operand(name)) }
            }
            if ids.count == 1 {
                try context.emitResult(call, "identity", ["input": ids[0]])
            } else {
                try context.emitResult(call, "concat", list: ids, ["axis": .int(Int64(axis))])
            }
        },
        "Split": { call, context in
            let shape = try context.type(call, 0).shape
            let axis = try ConstantEvaluator.normalizedAxis(try call.int("axis", default: 0), rank: shape.count)
            var sizes = call.opset >= 13 ? try context.constantInts(call, 1, "split") : try call.ints("split")
            let count = call.node.output.count
            if sizes == nil || sizes!.isEmpty {
                if let parts = try call.int("num_outputs") {
                    guard parts > 0, parts <= shape[axis] else { throw Diagnostic("num_outputs \(parts) does not split \(shape[axis])") }
                    let chunk = (shape[axis] + parts - 1) / parts
                    sizes = [Int](repeating: chunk, count: parts - 1) + [shape[axis] - chunk * (parts - 1)]
                } else {
                    guard count > 0, shape[axis] % count == 0 else { throw Diagnostic("\(shape[axis]) does not split into \(count) equal parts") }
                    sizes = [Int](repeating: shape[axis] / count, count: count)
                }
            }
            guard sizes!.count == count else { throw Diagnostic("\(sizes!.count) split sizes for \(count) outputs") }
            let names = (0..<count).map { call.outputName($0) ?? context.helperName(call, "unused\($0)") }
            let outputs = try context.emit("split", ["input": try context.input(call, 0)],
                                           ["splits": .ints(sizes!.map(Int64.init)), "axis": .int(Int64(axis))], outputs: names)
            for (index, id) in outputs.enumerated() { context.bind(call, index, id) }
        },
        "Slice": { call, context in
            let x = try context.type(call, 0)
            let region = try SliceRegion(call, shape: x.shape, context)
            guard region.outputShape.allSatisfy({ $0 > 0 }) else { throw Diagnostic("the slice is empty (\(region.outputShape))") }
            var input = try context.input(call, 0)
            var starts = region.starts, steps = region.steps
            let reversed = steps.indices.filter { steps[$0] < 0 }
            if !reversed.isEmpty {
                // a negative step reads backwards: reverse the axis, then slice forwards
                input = try context.emit("reverse", ["input": input], ["axes": .ints(reversed.map(Int64.init))],
                                         outputs: [context.helperName(call, "reversed")])[0]
                for axis in reversed {
                    starts[axis] = x.shape[axis] - 1 - starts[axis]
                    steps[axis] = -steps[axis]
                }
            }
            let sizes = region.outputShape.indices.map { (region.outputShape[$0] - 1) * steps[$0] + 1 }
            var attributes: [String: Attribute] = ["starts": .ints(starts.map(Int64.init)), "sizes": .ints(sizes.map(Int64.init))]
            if steps.contains(where: { $0 != 1 }) { attributes["strides"] = .ints(steps.map(Int64.init)) }
            try context.emitResult(call, "slice", ["input": input], attributes)
        },
        "Gather": { call, context in
            try call.requireInputs(2)
            let rank = try context.type(call, 0).rank
            let axis = try ConstantEvaluator.normalizedAxis(try call.int("axis", default: 0), rank: rank)
            let indices: ValueID
            if case .constant(let data)? = context.values[call.inputName(1)!] {
                // negative constant indices count from the end
                let size = try context.type(call, 0).shape[axis]
                let wrapped = data.integers.map { $0 < 0 ? $0 + Int64(size) : $0 }
                guard wrapped.allSatisfy({ (0..<Int64(size)).contains($0) }) else { throw Diagnostic("an index is out of range for dimension \(size)") }
                indices = try context.constant(TensorData(data.type.dataType, shape: data.type.shape, integers: wrapped), base: call.inputName(1)!)
            } else {
                indices = try context.input(call, 1)
            }
            try context.emitResult(call, "gather", ["input": try context.input(call, 0), "indices": indices], ["axis": .int(Int64(axis))])
        },
        "Cast": { call, context in
            guard let to = try call.int("to").map(Int32.init) else { throw Diagnostic("attribute 'to' is missing") }
            try cast(call, &context, to: to)
        },
        "CastLike": { call, context in
            try cast(call, &context, to: try ConstantEvaluator.castLikeTarget(call, context))
        },
        "Where": { call, context in
            try call.requireInputs(3)
            try context.emitResult(call, "where", ["condition": try context.input(call, 0), "trueValue": try context.input(call, 1),
                                                   "falseValue": try context.input(call, 2)])
        },
        "Pad": { call, context in
            let shape = try context.type(call, 0).shape
            let rank = shape.count
            let mode = try call.string("mode", default: "constant")
            let pads: [Int], value: Double, axes: [Int]
            if call.opset < 11 {
                pads = try call.ints("pads") ?? []
                value = try call.float("value", default: 0)
                axes = Array(0..<rank)
            } else {
                guard let given = try context.constantInts(call, 1, "pads") else { throw Diagnostic("input 1 (pads) is missing") }
                pads = given
                value = try scalar(context.constantInput(call, 2, "constant_value"), "constant_value") ?? 0
                var normalized: [Int] = []
                for axis in try context.constantInts(call, 3, "axes") ?? Array(0..<rank) {
                    normalized.append(try ConstantEvaluator.normalizedAxis(axis, rank: rank))
                }
                axes = normalized
            }
            guard pads.count == 2 * axes.count else { throw Diagnostic("pads has \(pads.count) values for \(axes.count) axes") }
            var begin = [Int](repeating: 0, count: rank), end = begin
            for (k, axis) in axes.enumerated() { (begin[axis], end[axis]) = (pads[k], pads[k + axes.count]) }
            guard (begin + end).allSatisfy({ $0 >= 0 }) else { throw Diagnostic("negative pads \(pads) are not supported") }
            let modes = ["constant": "constant", "reflect": "reflection", "edge": "edge"]
            guard let webnnMode = modes[mode] else { throw Diagnostic("mode '\(mode)' is not supported") }
            var attributes: [String: Attribute] = ["beginningPadding": .ints(begin.map(Int64.init)), "endingPadding": .ints(end.map(Int64.init)),
                                                   "mode": .string(webnnMode)]
            if webnnMode == "constant" && value != 0 { attributes["value"] = .double(value) }
            try context.emitResult(call, "pad", ["input": try context.input(call, 0)], attributes)
        },
    ]

    /// Cast to the ONNX element type `to` (to bool: `x != 0`).
    static func cast(_ call: NodeCall, _ context: inout ImportContext, to: Int32) throws {
        guard let dataType = ONNXDataType.webnn(to) else { throw Diagnostic("cast to \(ONNXDataType.name(to)), which WebNN does not have") }
        let x = try context.type(call, 0)
        if to == ONNXDataType.bool && x.dataType != .uint8 {
            let zero = try context.constant(TensorData(x.dataType, shape: [], values: [0]), base: context.helperName(call, "zero"))
            try context.emitResult(call, "notEqual", ["a": try context.input(call, 0), "b": zero])
        } else if dataType == x.dataType {
            try OperatorMapping.unary(call, &context, "identity")
        } else {
            try context.emitResult(call, "cast", ["input": try context.input(call, 0)], ["dataType": .string(dataType.rawValue)])
        }
    }

    /// The single value of a known scalar input (nil when absent).
    static func scalar(_ data: TensorData?, _ what: String) throws -> Double? {
        guard let data else { return nil }
        guard data.elementCount == 1 else { throw Diagnostic("\(what) must have one element, has shape \(data.type.shape)") }
        return data.double(at: 0)
    }

    /// Binds the node's output to its input reshaped to `shape`.
    static func reshapeResult(_ call: NodeCall, _ context: inout ImportContext, _ shape: [Int]) throws {
        try context.emitResult(call, "reshape", ["input": try context.input(call, 0)], ["newShape": .ints(shape.map(Int64.init))])
    }
}
