import Foundation
import Testing
import WebNNBasics
import WebNNIR
import WebNNReference
import WebNNTestSupport

/// Cases computed once with numpy by `Data/make_reference_cases.py` (independent formulations:
/// np.interp for resample2d, zero insertion and flipped-kernel correlation for convTranspose2d,
/// np.mean/np.var for the normalizations, batched matrix products per gate block for gru and
/// lstm), checked within each operator's WPT tolerance.
@Suite struct ReferenceCaseTests {
    static let cases = NumpyCase.load(URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Data/reference_cases.json"))

    @Test func casesAreLoaded() {
        #expect(Self.cases.count == 23)
        #expect(Set(Self.cases.map(\.op)) == ["resample2d", "convTranspose2d", "instanceNormalization", "layerNormalization",
                                               "gru", "gruCell", "lstm", "lstmCell"])
    }

    @Test(arguments: cases)
    func matchesNumpy(_ testCase: NumpyCase) throws {
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
