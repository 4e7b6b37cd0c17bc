import Foundation
import Testing
import WebNNBasics
import WebNNIR
import WebNNReference
import WebNNTestSupport

/// Cases computed once with numpy by `Data/make_math_cases.py` (np.cos, math.erf, np.logaddexp,
/// np.sum/np.prod/np.max over axes, np.cumsum, ...): the transcendental element-wise operators,
/// the activations with their options, every reduction with and without axes and keepDimensions,
/// and cumulativeSum in every exclusive/reversed combination, checked within each operator's WPT
/// tolerance.
@Suite struct MathCaseTests {
    static let cases = NumpyCase.load(URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Data/math_cases.json"))

    @Test func casesAreLoaded() {
        #expect(Self.cases.count == 64)
    }

    @Test(arguments: cases)
    func matchesNumpy(_ testCase: NumpyCase) throws {
        try check(testCase, as: .float32)
    }

    /// The same cases in float16, where every input value is a float16 value (the expected values
    /// are rounded to float16 by the comparison, and judged by the float16 WPT tolerance).
    @Test(arguments: cases.filter { $0.operands.allSatisfy { ($0?.doubles ?? []).allSatisfy { Double(Float16($0)) == $0 } } })
    func matchesNumpyInFloat16(_ testCase: NumpyCase) throws {
        try check(testCase, as: .float16)
    }

    private func check(_ testCase: NumpyCase, as dataType: DataType) throws {
        let operands = try testCase.operands.map { TensorData(dataType, shape: try #require($0).type.shape, values: $0!.doubles) }
        let expected = try #require(testCase.expected.count == 1 ? testCase.expected[0] : nil, "one expected output")
        var graph = Graph(name: testCase.op)
        let ids = try operands.enumerated().map { index, operand in try graph.addInput("x\(index)", operand.type) }
        let output = try graph.addNode(Node(op: testCase.op, operands: ids, attributes: testCase.attributes), outputNames: ["y"])[0]
        graph.addOutput(output)
        try Verifier.verify(graph, after: "test")
        var inputs: [String: TensorData] = [:]
        for (index, operand) in operands.enumerated() { inputs["x\(index)"] = operand }
        let actual = try #require(try Interpreter(graph).run(inputs)["y"])
        #expect(actual.type == TensorType(dataType, expected.type.shape))
        let tolerance = try Tolerance.wpt(for: output, in: graph)
        let violation = compare(actual: actual, expected: expected, tolerance: tolerance)
        #expect(violation == nil, "\(violation?.description ?? "") (tolerance \(tolerance))")
    }
}
