import Foundation
import Testing
import WebNNBasics
import WebNNIR
import WebNNReference

/// Cases computed once with numpy by `Data/make_reference_cases.py` (independent formulations:
/// np.interp for resample2d, zero insertion and flipped-kernel correlation for convTranspose2d,
/// np.mean/np.var for the normalizations, batched matrix products per gate block for gru and
/// lstm), checked within each operator's WPT tolerance.
@Suite struct ReferenceCaseTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String, op: String
        var operands: [TensorData?]
        var attributes: [String: Attribute]
        var expected: [TensorData]
        var testDescription: String { name }
    }

    static let cases: [Case] = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Data/reference_cases.json")
        guard let data = try? Data(contentsOf: url),
              let list = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]] else { return [] }
        func tensor(_ object: Any?) -> TensorData? {
            guard let object = object as? [String: Any], let shape = object["shape"] as? [Int],
                  let values = object["data"] as? [Double] else { return nil }
            return TensorData(float32: values.map(Float.init), shape: shape)
        }
        func attribute(_ object: Any) -> Attribute? {
            guard let object = object as? [String: Any], let (kind, value) = object.first else { return nil }
            switch kind {
            case "int": return (value as? Int).map { .int(Int64($0)) }
            case "ints": return (value as? [Int]).map { .ints($0.map(Int64.init)) }
            case "double": return (value as? Double).map(Attribute.double)
            case "doubles": return (value as? [Double]).map(Attribute.doubles)
            case "string": return (value as? String).map(Attribute.string)
            case "strings": return (value as? [String]).map(Attribute.strings)
            case "bool": return (value as? Bool).map(Attribute.bool)
            default: return nil
            }
        }
        return list.compactMap { entry in
            guard let name = entry["name"] as? String, let op = entry["op"] as? String,
                  let operands = entry["operands"] as? [Any], let expected = (entry["expected"] as? [Any])?.compactMap(tensor),
                  let attributes = entry["attributes"] as? [String: Any] else { return nil }
            return Case(name: name, op: op, operands: operands.map(tensor),
                        attributes: attributes.compactMapValues(attribute), expected: expected)
        }
    }()

    @Test func casesAreLoaded() {
        #expect(Self.cases.count == 23)
        #expect(Set(Self.cases.map(\.op)) == ["resample2d", "convTranspose2d", "instanceNormalization", "layerNormalization",
                                               "gru", "gruCell", "lstm", "lstmCell"])
    }

    @Test(arguments: cases)
    func matchesNumpy(_ testCase: Case) throws {
        var graph = Graph(name: testCase.op)
        let ids = try testCase.operands.enumerated().map { index, operand in
            try operand.map { try graph.addInput("x\(index)", $0.type) }
        }
        let node = Node(op: testCase.op, operands: ids, attributes: testCase.attributes)
        let names = testCase.expected.indices.map { "y\($0)" }
        let outputs = try graph.addNode(node, outputNames: names)
        graph.setOutputs(outputs)
        var inputs: [String: TensorData] = [:]
        for (index, operand) in testCase.operands.enumerated() { inputs["x\(index)"] = operand }
        let results = try Interpreter(graph).run(inputs)
        for (index, expected) in testCase.expected.enumerated() {
            let actual = try #require(results[names[index]])
            #expect(actual.type == expected.type, "output \(index)")
            let tolerance = try Tolerance.wpt(for: outputs[index], in: graph)
            let violation = compare(actual: actual, expected: expected, tolerance: tolerance)
            #expect(violation == nil, "output \(index): \(violation?.description ?? "") (tolerance \(tolerance))")
            // Also much closer than WPT asks: the oracle computes in Double and rounds once per stored value.
            let tight = compare(actual: actual, expected: expected, tolerance: .ulp(2))
            #expect(tight == nil, "output \(index): \(tight?.description ?? "")")
        }
    }
}
