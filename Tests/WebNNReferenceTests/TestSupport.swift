import Testing
import WebNNBasics
import WebNNIR
import WebNNReference

/// A float32 tensor.
func f32(_ values: [Float], _ shape: [Int]) -> TensorData {
    TensorData(float32: values, shape: shape)
}

/// `count` float32 values 1, 2, 3, ... (exact in every small hand-worked sum).
func counting(_ count: Int) -> [Float] {
    (1...count).map(Float.init)
}

/// Builds a graph with one `op` node whose operands are graph inputs (nil or left off: absent
/// optional operand), verifies it and runs it through the interpreter; returns the node's output.
func run(_ op: String, _ operands: [TensorData?], _ attributes: [String: Attribute] = [:]) throws -> TensorData {
    let schema = try #require(OpSchema.registry[op])
    let takesList = schema.positional.contains { $0.kind == .operandList }
    let slots = takesList ? operands : operands + Array(repeating: nil, count: max(0, schema.operandParameterNames.count - operands.count))
    var graph = Graph(name: op)
    var inputs: [String: TensorData] = [:]
    var ids: [ValueID?] = []
    for (index, operand) in slots.enumerated() {
        guard let operand else { ids.append(nil); continue }
        ids.append(try graph.addInput("x\(index)", operand.type))
        inputs["x\(index)"] = operand
    }
    let output = try graph.addNode(Node(op: op, operands: ids, attributes: attributes), outputNames: ["y"])[0]
    graph.addOutput(output)
    try Verifier.verify(graph, after: "test")
    let outputs = try Interpreter(graph).run(inputs)
    return try #require(outputs["y"])
}

/// Expects `actual` to hold exactly `values` with shape `shape`.
func expectTensor(_ actual: TensorData, _ values: [Float], _ shape: [Int],
                  sourceLocation: Testing.SourceLocation = #_sourceLocation) {
    #expect(actual.type == TensorType(.float32, shape), sourceLocation: sourceLocation)
    #expect(actual.floats == values, sourceLocation: sourceLocation)
}

/// Expects `actual` (float32) to be within `ulps` of each of `values` (computed independently in Double).
func expectClose(_ actual: TensorData, _ values: [Double], ulps: Int = 1,
                 sourceLocation: Testing.SourceLocation = #_sourceLocation) {
    let expected = TensorData(.float32, shape: [values.count], values: values)
    #expect(actual.elementCount == values.count, sourceLocation: sourceLocation)
    let violation = compare(actual: actual, expected: expected, tolerance: .ulp(ulps))
    #expect(violation == nil, "\(violation?.description ?? "")", sourceLocation: sourceLocation)
}

/// `values` of a row-major tensor of `shape`, with its axes reordered so that output axis `i`
/// is input axis `permutation[i]`, by walking every input position (independent of the interpreter).
func permuted(_ values: [Float], _ shape: [Int], _ permutation: [Int]) -> [Float] {
    let outputShape = permutation.map { shape[$0] }
    var output = [Float](repeating: 0, count: values.count)
    var position = [Int](repeating: 0, count: shape.count)
    for value in values {
        var outputIndex = 0
        for (axis, inputAxis) in permutation.enumerated() { outputIndex = outputIndex * outputShape[axis] + position[inputAxis] }
        output[outputIndex] = value
        var axis = shape.count - 1
        while axis >= 0 {
            position[axis] += 1
            if position[axis] < shape[axis] { break }
            position[axis] = 0
            axis -= 1
        }
    }
    return output
}
