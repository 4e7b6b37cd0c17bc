import Foundation
import Testing
import WebNNBasics
import WebNNIR
import WebNNReference

/// Cases computed once with numpy by `Data/make_math_cases.py` (np.cos, math.erf, np.logaddexp,
/// np.sum/np.prod/np.max over axes, np.cumsum, ...): the transcendental element-wise operators,
/// the activations with their options, every reduction with and without axes and keepDimensions,
/// and cumulativeSum in every exclusive/reversed combination, checked within each operator's WPT
/// tolerance.
@Suite struct MathCaseTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String, op: String
        var operands: [TensorData]
        var attributes: [String: Attribute]
        var expected: TensorData
        var testDescription: String { name }
    }

    static let cases: [Case] = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Data/math_cases.json")
        guard let data = try? Data(contentsOf: url),
              let list = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]] else { return [] }
        func tensor(_ object: Any?) -> TensorData? {
            guard let object = object as? [String: Any], let shape = object["shape"] as? [Int],
                  let values = object["data"] as? [Double] else { return nil }
            return TensorData(.float32, shape: shape, values: values)
        }
        func attribute(_ object: Any) -> Attribute? {
            guard let object = object as? [String: Any], let (kind, value) = object.first else { return nil }
            switch kind {
            case "int": return (value as? Int).map { .int(Int64($0)) }
            case "ints": return (value as? [Int]).map { .ints($0.map(Int64.init)) }
            case "double": return (value as? Double).map(Attribute.double)
            case "bool": return (value as? Bool).map(Attribute.bool)
            default: return nil
            }
        }
        return list.compactMap { entry in
            guard let name = entry["name"] as? String, let op = entry["op"] as? String,
                  let operands = entry["operands"] as? [Any], let expected = tensor(entry["expected"]),
                  let attributes = entry["attributes"] as? [String: Any] else { return nil }
            return Case(name: name, op: op, operands: operands.compactMap(tensor),
                        attributes: attributes.compactMapValues(attribute), expected: expected)
        }
    }()

    @Test func casesAreLoaded() {
        #expect(Self.cases.count == 64)
    }

    @Test(arguments: cases)
    func matchesNumpy(_ testCase: Case) throws {
        try check(testCase, as: .float32)
    }

    /// The same cases in float16, where every input value is a float16 value (the expected values
    /// are rounded to float16 by the comparison, and judged by the float16 WPT tolerance).
    @Test(arguments: cases.filter { $0.operands.allSatisfy { $0.doubles.allSatisfy { Double(Float16($0)) == $0 } } })
    func matchesNumpyInFloat16(_ testCase: Case) throws {
        try check(testCase, as: .float16)
    }

    private func check(_ testCase: Case, as dataType: DataType) throws {
        let operands = testCase.operands.map { TensorData(dataType, shape: $0.type.shape, values: $0.doubles) }
        var graph = Graph(name: testCase.op)
        let ids = try operands.enumerated().map { index, operand in try graph.addInput("x\(index)", operand.type) }
        let output = try graph.addNode(Node(op: testCase.op, operands: ids, attributes: testCase.attributes), outputNames: ["y"])[0]
        graph.addOutput(output)
        try Verifier.verify(graph, after: "test")
        var inputs: [String: TensorData] = [:]
        for (index, operand) in operands.enumerated() { inputs["x\(index)"] = operand }
        let actual = try #require(try Interpreter(graph).run(inputs)["y"])
        #expect(actual.type == TensorType(dataType, testCase.expected.type.shape))
        let tolerance = try Tolerance.wpt(for: output, in: graph)
        let violation = compare(actual: actual, expected: testCase.expected, tolerance: tolerance)
        #expect(violation == nil, "\(violation?.description ?? "") (tolerance \(tolerance))")
    }
}
