import WebNNBasics
import WebNNIR

/// The reference interpreter: runs a verified graph with plain loops, one small kernel per
/// operator. It is the oracle compiled kernels are tested against, and the constant folder
/// evaluates constant nodes with it.
///
/// Numerics: float32 and float16 elements are Float; each operator's result is rounded to its
/// output type once, when it is stored (so float16 is computed in float32 or better and rounded
/// on store). Sums (conv2d, matmul, gemm, averagePool2d, softmax) accumulate in Double, and
/// transcendental functions (pow, sigmoid, tanh, exp, sqrt) are evaluated in Double; the WPT
/// expectations are float64 computations rounded to float32, so this keeps the oracle closer to
/// them than any float32 kernel. Integers are exact and wrap to their type's width.
public struct Interpreter: Sendable {
    /// The graph this interpreter runs.
    public let graph: Graph

    /// An interpreter for `graph`, which must have passed `Verifier.verify`.
    public init(_ graph: Graph) {
        self.graph = graph
    }

    /// The operators the interpreter implements, by WebNN name.
    public static var supportedOperators: Set<String> { Set(OperatorKernels.table.keys) }

    /// Runs the graph on `inputs` (by input name) and returns its outputs (by output value name).
    public func run(_ inputs: [String: TensorData]) throws -> [String: TensorData] {
        try execute(inputs, onAbsoluteValues: false)
    }

    /// The graph run on the absolute values of its float inputs and constants. For graphs of sums
    /// (conv2d, matmul, pooling, ...) each output element is then the sum of the magnitudes of
    /// the terms behind it: the scale at which float32 rounding errors of a kernel are judged when
    /// sums of random data cancel (see `compare(actual:expected:tolerance:magnitudes:)`).
    public func magnitudes(_ inputs: [String: TensorData]) throws -> [String: TensorData] {
        try execute(inputs, onAbsoluteValues: true)
    }

    private func execute(_ inputs: [String: TensorData], onAbsoluteValues: Bool) throws -> [String: TensorData] {
        func prepare(_ data: TensorData) -> TensorData { onAbsoluteValues ? absoluteValues(data) : data }
        var values: [ValueID: TensorValue] = [:]
        for name in inputs.keys.sorted() {
            guard let id = graph.value(named: name), graph[id].definition == .input else {
                throw InterpreterError.unknownInput(name)
            }
        }
        for id in graph.inputs {
            let input = graph[id]
            guard let data = inputs[input.name] else { throw InterpreterError.missingInput(input.name) }
            guard data.type == input.type else {
                throw InterpreterError.inputTypeMismatch(name: input.name, expected: input.type, actual: data.type)
            }
            values[id] = TensorValue(prepare(data))
        }
        for (id, constant) in graph.constants { values[id] = TensorValue(prepare(constant.data)) }
        for node in graph.nodes {
            let operands = try node.operands.map { operand in
                try operand.map { id in
                    guard let value = values[id] else {
                        throw InterpreterError.invalidNode(op: node.op, message: "operand '\(graph[id].name)' is used before it is defined")
                    }
                    return value
                }
            }
            for (id, result) in zip(node.outputs, try Interpreter.evaluate(node, in: graph, operands: operands)) {
                values[id] = result
            }
        }
        var outputs: [String: TensorData] = [:]
        for id in graph.outputs {
            guard let value = values[id] else {
                throw InterpreterError.invalidNode(op: "output", message: "'\(graph[id].name)' is never defined")
            }
            outputs[graph[id].name] = value.data
        }
        return outputs
    }

    /// Evaluates one node of `graph` on operand values aligned with `node.operands` (nil for an
    /// absent optional operand); returns one tensor per output. The node need not be in the
    /// graph yet, but its operands must be.
    /// Trailing operands that the node does not have (absent options) may be left off.
    public static func evaluate(_ node: Node, in graph: Graph, operands: [TensorData?]) throws -> [TensorData] {
        var values = operands.map { $0.map(TensorValue.init) }
        if values.count < node.operands.count && node.operands[values.count...].allSatisfy({ $0 == nil }) {
            values += [TensorValue?](repeating: nil, count: node.operands.count - values.count)
        }
        return try evaluate(node, in: graph, operands: values).map(\.data)
    }

    static func evaluate(_ node: Node, in graph: Graph, operands: [TensorValue?]) throws -> [TensorValue] {
        guard let kernel = OperatorKernels.table[node.op], let schema = OpSchema.registry[node.op] else {
            throw InterpreterError.unsupportedOperator(node.op)
        }
        guard operands.count == node.operands.count else {
            throw InterpreterError.invalidNode(op: node.op, message: "\(operands.count) operand values given for \(node.operands.count) operands")
        }
        for (id, value) in zip(node.operands, operands) {
            guard (id == nil) == (value == nil) else {
                throw InterpreterError.invalidNode(op: node.op, message: "operand values do not match the node's operands")
            }
            if let id, let value, value.type != graph[id].type {
                throw InterpreterError.invalidNode(op: node.op, message: "operand '\(graph[id].name)' is \(graph[id].type), but its value is \(value.type)")
            }
        }
        let outputTypes: [TensorType]
        do {
            outputTypes = try schema.inferOutputs(node, graph)
        } catch let error as ShapeError {
            throw InterpreterError.invalidNode(op: node.op, message: error.message)
        }
        let results = try kernel(OperatorCall(node: node, graph: graph, operands: operands, outputTypes: outputTypes))
        return try applyingFusedEpilogue(of: node, in: graph, to: results, operands: operands)
    }
}

/// A float tensor with every element replaced by its absolute value; other tensors unchanged.
private func absoluteValues(_ data: TensorData) -> TensorData {
    guard data.type.dataType.isFloatingPoint else { return data }
    return TensorData(data.type.dataType, shape: data.type.shape, values: data.doubles.map { $0.magnitude })
}
