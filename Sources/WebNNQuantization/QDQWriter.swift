import WebNNBasics
import WebNNIR
import WebNNTransforms

/// Writes the QDQ form of a float graph (what ONNX Runtime's `quantize_static` writes in QDQ
/// format), which `fuse-qdq` turns into integer operators:
///
/// - each value of the plan is followed by `quantizeLinear` -> `dequantizeLinear` (uint8, per
///   tensor, `ActivationQuantization`), and every later use reads the dequantized value;
/// - the constant filter of a `conv2d` and the constant `b` of a `gemm`/`matmul` become int8
///   constants read through `dequantizeLinear`: per output channel (the filter layout's `o` axis,
///   `gemm`'s N axis), symmetric, scale max|w| / 127, zero point 0, values in [−127, 127];
/// - a constant bias (`conv2d`'s bias, `gemm`'s `c` of shape [N]) becomes int32 with scale
///   float32(input scale · weight scale) and zero point 0, read through `dequantizeLinear`
///   (`fuse-qdq` then takes the integers as they are).
public enum QDQWriter {
    /// The passes run on the float graph before it is quantized: batch normalizations fold into
    /// the convolutions' weights and biases (as a framework exports a model for quantization).
    public static let preparation = "dce,fixed-point(constant-fold,simplify,cse,fold-batchnorm),dce"

    /// `graph` after `preparation`.
    public static func prepare(_ graph: Graph) throws -> Graph {
        var prepared = graph
        try PassManager(pipeline: try PassRegistry.pipeline(parsing: preparation)).run(&prepared)
        return prepared
    }

    /// The scale and zero point of every value of `plan` from the observed `ranges` (shared
    /// values take their source's).
    public static func parameters(_ plan: QuantizationPlan,
                                  ranges: [ValueID: ClosedRange<Float>]) -> [ValueID: ActivationQuantization] {
        var parameters: [ValueID: ActivationQuantization] = [:]
        for id in plan.values {
            let source = plan.sharedRange[id] ?? id
            parameters[id] = ActivationQuantization(range: ranges[source] ?? 0...0)
        }
        return parameters
    }

    /// The QDQ graph of `graph` (a prepared graph) for `plan` with `parameters`.
    public static func quantize(_ graph: Graph, _ plan: QuantizationPlan,
                                parameters: [ValueID: ActivationQuantization]) throws -> Graph {
        var writer = Writer(source: graph, quantized: Graph(name: graph.name))
        for id in graph.inputs {
            let new = try writer.quantized.addInput(graph[id].name, graph[id].type, at: graph[id].location)
            writer.bind(id, to: new)
            if let parameter = parameters[id] { try writer.insertQDQ(after: id, parameter) }
        }
        for (index, node) in graph.nodes.enumerated() {
            var copy = node
            copy.outputs = []
            copy.operands = try node.operands.map { operand in try operand.map { try writer.operand($0) } }
            if plan.weightedNodes.contains(index) {
                try writer.quantizeWeights(of: &copy, source: node, inputScale: parameters[QuantizationPlan.activationOperands(of: node, in: graph)![0]]?.scale)
            }
            let outputs = try writer.quantized.addNode(copy, outputNames: node.outputs.map { graph[$0].name })
            for (old, new) in zip(node.outputs, outputs) {
                writer.bind(old, to: new)
                if let parameter = parameters[old] { try writer.insertQDQ(after: old, parameter) }
            }
        }
        writer.quantized.setOutputs(try graph.outputs.map { try writer.float[$0] ?? writer.operand($0) })
        // The float weights that were replaced are left unused.
        var result = writer.quantized
        try PassManager(pipeline: try PassRegistry.pipeline(parsing: "dce")).run(&result)
        return result
    }

    private struct Writer {
        let source: Graph
        var quantized: Graph
        /// Source value -> its float value in the new graph.
        var float: [ValueID: ValueID] = [:]
        /// Source value -> what later uses read (the dequantized value when it is quantized).
        var current: [ValueID: ValueID] = [:]

        mutating func bind(_ old: ValueID, to new: ValueID) {
            float[old] = new
            current[old] = new
        }

        /// The new value that reads source value `id` (constants are copied on first use).
        mutating func operand(_ id: ValueID) throws -> ValueID {
            if let value = current[id] { return value }
            guard let constant = source.constants[id] else {
                throw InternalError(stage: "quantize", "'\(source[id].name)' is used before it is defined")
            }
            let new = try quantized.addConstant(source[id].name, constant, at: source[id].location)
            bind(id, to: new)
            return new
        }

        /// quantizeLinear -> dequantizeLinear after source value `id`.
        mutating func insertQDQ(after id: ValueID, _ parameter: ActivationQuantization) throws {
            let name = source[id].name, rank = source[id].type.rank
            let ones = [Int](repeating: 1, count: rank)
            let scale = try constant(TensorData(float32: [parameter.scale], shape: ones), name + "_scale")
            let zeroPoint = try constant(TensorData(.uint8, shape: ones, integers: [Int64(parameter.zeroPoint)]), name + "_zero_point")
            let location = source[id].location
            let q = try quantized.addNode(Node(op: "quantizeLinear", operands: [float[id]!, scale, zeroPoint], location: location),
                                          outputNames: [quantized.uniqueName(base: name + "_quantized")])[0]
            current[id] = try quantized.addNode(Node(op: "dequantizeLinear", operands: [q, scale, zeroPoint], location: location),
                                                outputNames: [quantized.uniqueName(base: name + "_dequantized")])[0]
        }

        mutating func constant(_ data: TensorData, _ base: String) throws -> ValueID {
            try quantized.addConstant(quantized.uniqueName(base: base), Constant(data: data))
        }

        /// Replaces `node`'s constant weights (and bias, given the input's scale) by their
        /// dequantized int8 (int32) forms.
        mutating func quantizeWeights(of node: inout Node, source original: Node, inputScale: Float?) throws {
            let weightName = node.op == "conv2d" ? "filter" : "b"
            let weightIndex = node.schema.operandParameterNames.firstIndex(of: weightName)!
            let weightID = original.operands[weightIndex]!
            let weights = source.constants[weightID]!.data
            let axis: Int
            switch node.op {
            case "conv2d":
                let layout = node.string("filterLayout") ?? "oihw"
                axis = layout.distance(from: layout.startIndex, to: layout.firstIndex(of: "o")!)
            case "gemm": axis = node.bool("bTranspose") == true ? 0 : 1
            default: axis = 1
            }
            let (integers, scales) = WeightQuantization.perChannel(weights, axis: axis)
            var scaleShape = [Int](repeating: 1, count: weights.type.rank)
            scaleShape[axis] = scales.count
            let name = source[weightID].name
            let q = try constant(TensorData(.int8, shape: weights.type.shape, integers: integers), name + "_quantized")
            let s = try constant(TensorData(float32: scales, shape: scaleShape), name + "_scale")
            let z = try constant(TensorData(.int8, shape: scaleShape, integers: [Int64](repeating: 0, count: scales.count)), name + "_zero_point")
            node.operands[weightIndex] = try quantized.addNode(Node(op: "dequantizeLinear", operands: [q, s, z], location: original.location),
                                                               outputNames: [quantized.uniqueName(base: name + "_dequantized")])[0]
            // The bias, in units of input scale · weight scale.
            let biasName = node.op == "conv2d" ? "bias" : "c"
            guard node.op != "matmul", let inputScale,
                  let biasIndex = node.schema.operandParameterNames.firstIndex(of: biasName), biasIndex < original.operands.count,
                  let biasID = original.operands[biasIndex], let bias = source.constants[biasID]?.data,
                  bias.type.dataType == .float32, bias.type.shape == [scales.count] else { return }
            let biasScales = scales.map { inputScale * $0 }
            let values = zip(bias.floats, biasScales).map { value, scale in
                Int64(min(max((Double(value) / Double(scale)).rounded(.toNearestOrEven), Double(Int32.min)), Double(Int32.max)))
            }
            let biasBase = source[biasID].name
            let bq = try constant(TensorData(.int32, shape: [scales.count], integers: values), biasBase + "_quantized")
            let bs = try constant(TensorData(float32: biasScales, shape: [scales.count]), biasBase + "_scale")
            let bz = try constant(TensorData(.int32, shape: [scales.count], integers: [Int64](repeating: 0, count: scales.count)), biasBase + "_zero_point")
            node.operands[biasIndex] = try quantized.addNode(Node(op: "dequantizeLinear", operands: [bq, bs, bz], location: original.location),
                                                             outputNames: [quantized.uniqueName(base: biasBase + "_dequantized")])[0]
        }
    }
}

/// Symmetric int8 weights, one scale per slice along an axis.
public enum WeightQuantization {
    /// `weights` (float32) as integers in [−127, 127] and one scale per index of `axis`:
    /// scale = max |w| / 127 over the slice (1 for an all-zero slice), q = round(w / scale),
    /// half to even.
    public static func perChannel(_ weights: TensorData, axis: Int) -> (integers: [Int64], scales: [Float]) {
        let shape = weights.type.shape, values = weights.floats
        let channels = shape[axis], inner = shape[(axis + 1)...].reduce(1, *)
        func channel(_ index: Int) -> Int { index / inner % channels }
        var maxima = [Float](repeating: 0, count: channels)
        for (index, value) in values.enumerated() { maxima[channel(index)] = max(maxima[channel(index)], abs(value)) }
        let scales = maxima.map { $0 > 0 ? $0 / 127 : 1 }
        let integers = values.enumerated().map { index, value in
            Int64(min(max((value / scales[channel(index)]).rounded(.toNearestOrEven), -127), 127))
        }
        return (integers, scales)
    }
}
