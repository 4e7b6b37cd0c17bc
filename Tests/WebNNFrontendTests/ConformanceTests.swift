import Foundation
import Testing
import WebNNBasics
import WebNNIR
@testable import WebNNFrontend

@Suite struct ConformanceTests {
    /// `../shared/conformance`, found from this file (symlinks resolved).
    static let directory = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("shared/conformance")

    static let supportedFiles = [
        "conv2d", "add", "sub", "mul", "div", "max", "min", "relu", "clamp", "sigmoid", "tanh", "matmul",
        "softmax", "reshape", "transpose", "concat", "batch_normalization",
    ]

    @Test(arguments: supportedFiles)
    func float32CasesLoadWithTheExpectedShapes(file: String) throws {
        let suite = try ConformanceLoader.load(path: ConformanceTests.directory.appendingPathComponent("\(file).json").path)
        #expect(!suite.cases.isEmpty)
        for unsupported in suite.unsupported where unsupported.name.contains("float32") {
            Issue.record("\(file): float32 case \"\(unsupported.name)\" did not load: \(unsupported.reason)")
        }
        for conformanceCase in suite.cases {
            let graph = conformanceCase.graph
            for (name, expected) in conformanceCase.expectedOutputs {
                guard let id = graph.value(named: name) else {
                    Issue.record("\(conformanceCase.name): no output \(name)")
                    continue
                }
                #expect(graph[id].type == expected.type, "\(conformanceCase.name): output \(name)")
                #expect(graph.outputs.contains(id))
            }
            for id in graph.inputs {
                #expect(conformanceCase.inputs[graph[id].name]?.type == graph[id].type)
            }
        }
    }

    @Test func everyCaseIsLoadedOrListedAsUnsupported() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: ConformanceTests.directory.path)
            .filter { $0.hasSuffix(".json") }
        #expect(files.count == 54)
        var total = 0
        var loaded = 0
        for file in files {
            let source = try SourceText(bytes: [UInt8](Data(contentsOf: ConformanceTests.directory.appendingPathComponent(file))), file: file)
            let suite = try ConformanceLoader.load(source)
            guard case .array(let cases) = try JSONParser.parse(source).kind else { continue }
            #expect(suite.cases.count + suite.unsupported.count == cases.count, "\(file)")
            #expect(suite.unsupported.allSatisfy { !$0.reason.isEmpty })
            total += cases.count
            loaded += suite.cases.count
        }
        #expect(total == 1470)
        #expect(loaded > 0)
    }

    @Test func specialNumbersAndConstants() throws {
        let source = SourceText("""
            [{"name": "t", "graph": {
              "inputs": {"a": {"data": ["Infinity", "-Infinity", "NaN", "-0"], "descriptor": {"shape": [4], "dataType": "float32"}},
                         "k": {"data": ["9007199254740993n"], "descriptor": {"shape": [], "dataType": "int64"}, "constant": true},
                         "m": {"data": ["-102", "7"], "descriptor": {"shape": [2], "dataType": "int64"}}},
              "operators": [{"name": "clamp", "arguments": [{"input": "a"}, {"options": {"minValue": 0}}], "outputs": "out"}],
              "expectedOutputs": {"out": {"data": [0, 0, 0, 0], "descriptor": {"shape": [4], "dataType": "float32"}}}}},
             {"name": "u", "graph": {"inputs": {}, "operators": [{"name": "nonMaxSuppression", "arguments": [], "outputs": "o"}],
              "expectedOutputs": {}}}]
            """, file: "t.json")
        let suite = try ConformanceLoader.load(source)
        #expect(suite.cases.count == 1)
        let input = try #require(suite.cases.first?.inputs["a"])
        #expect(input.doubles[0] == .infinity && input.doubles[1] == -.infinity && input.doubles[2].isNaN)
        #expect(input.doubles[3] == 0 && input.doubles[3].sign == .minus)
        let graph = try #require(suite.cases.first?.graph)
        #expect(graph.constants[graph.value(named: "k")!]?.data.integers == [9_007_199_254_740_993])
        #expect(suite.cases.first?.inputs["m"]?.integers == [-102, 7], "64-bit integers also come as plain decimal strings")
        #expect(suite.unsupported.map(\.name) == ["u"])
        #expect(suite.unsupported.first?.reason.hasPrefix("unknown operator 'nonMaxSuppression'") == true)
    }
}
