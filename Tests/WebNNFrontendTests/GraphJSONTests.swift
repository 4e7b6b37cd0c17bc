import Foundation
import Testing
import WebNNBasics
import WebNNIR
@testable import WebNNFrontend

/// The JSON twin (`webnn-graph-json`), read through the same binder as the text.
@Suite struct GraphJSONTests {
    static let text = """
        webnn_graph "twin" v2 @quantized {
          inputs { x: f32[dyn("batch", 4), 6]; }
          consts {
            half: f32[] @scalar(0.5);
            k: i64[] @bytes([1, 0, 0, 0, 0, 0, 0, 0]);
            w: f32[6, 6] @weights("layer.0.weight");
          }
          nodes {
            m = matmul(x, w);
            [s] = mul(m, half);
            [a, b] = split(s, 2, axis=1);
            c = concat([b, a], axis=1, metadata={from: "test"});
            y = cast(c, to="float16");
          }
          outputs { y; }
        }
        """

    static let json = """
        {"format": "webnn-graph-json", "version": 2, "name": "twin", "quantized": true,
         "inputs": {"x": {"dataType": "float32", "shape": [{"name": "batch", "maxSize": 4}, 6]}},
         "consts": {
           "half": {"dataType": "float32", "shape": [], "init": {"kind": "scalar", "value": 0.5}},
           "k": {"dataType": "int64", "shape": [], "init": {"kind": "inlineBytes", "bytes": [1, 0, 0, 0, 0, 0, 0, 0]}},
           "w": {"dataType": "float32", "shape": [6, 6], "init": {"kind": "weights", "ref": "layer.0.weight"}}},
         "nodes": [
           {"id": "m", "op": "matmul", "inputs": ["x", "w"], "options": {}},
           {"id": "s", "op": "mul", "inputs": ["m", "half"], "options": {}, "outputs": ["s"]},
           {"id": "a", "op": "split", "inputs": ["s"], "options": {"splits": 2, "axis": 1}, "outputs": ["a", "b"]},
           {"id": "c", "op": "concat", "inputs": ["b", "a"], "options": {"axis": 1, "metadata": {"from": "test"}}},
           {"id": "y", "op": "cast", "inputs": ["c"], "options": {"to": "float16"}, "outputs": null}],
         "outputs": {"y": "y"}}
        """

    static let weights = (0..<36).map { Float($0) / 4 }

    static func directory(_ graph: String, name: String = "twin.webnn") throws -> URL {
        try temporaryDirectory(files: [name: Array(graph.utf8),
                                       "model.safetensors": safetensors([("layer.0.weight", "F32", [6, 6], float32Bytes(weights))])])
    }

    @Test func theJSONFormLoadsLikeTheText() throws {
        let options = FrontendOptions(dimensions: ["batch": 3])
        let fromText = try GraphLoader.load(path: try GraphJSONTests.directory(GraphJSONTests.text).appendingPathComponent("twin.webnn").path,
                                            options: options)
        for name in ["twin.webnn", "twin.json"] {
            let fromJSON = try GraphLoader.load(path: try GraphJSONTests.directory(GraphJSONTests.json, name: name)
                                                    .appendingPathComponent(name).path, options: options)
            let printer = GraphPrinter(writeWeights: false)
            #expect(printer.print(fromJSON).text == printer.print(fromText).text)
            #expect(fromJSON.inputs.map { fromJSON[$0].type } == [TensorType(.float32, [3, 6])])
            #expect(fromJSON.constants[fromJSON.value(named: "w")!]?.data.floats == GraphJSONTests.weights)
        }
    }

    @Test func renamedOutputsBecomeAliases() throws {
        let graph = try load("""
            {"format": "webnn-graph-json", "version": 1, "inputs": {"x": {"dataType": "float32", "shape": [2]}},
             "nodes": [{"id": "r", "op": "relu", "inputs": ["x"]}, {"id": "z", "op": "", "inputs": ["r"]}],
             "outputs": {"out": "r", "z": "z"}}
            """)
        #expect(graph.name == "graph")
        #expect(graph.outputs.map { graph[$0].name } == ["out", "z"])
        #expect(graph.nodes.map(\.op) == ["relu", "identity", "identity"])
    }

    /// Checks that `json` fails to load with `message` at `line`:`column`.
    private func expectJSONError(_ json: String, _ message: String, line: Int, column: Int,
                                 sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        expectLoadError(json, message, line: line, column: column, sourceLocation: sourceLocation)
    }

    static let header = "{\"format\": \"webnn-graph-json\", \"version\": 2,\n"

    @Test func malformedJSONGraphsAreLocatedErrors() {
        let header = GraphJSONTests.header
        let input = "\"inputs\": {\"x\": {\"dataType\": \"float32\", \"shape\": [2]}},\n"
        let outputs = "\"outputs\": {\"y\": \"y\"}}"
        func graph(nodes: String = "[{\"id\": \"y\", \"op\": \"relu\", \"inputs\": [\"x\"]}]", inputs: String? = nil,
                   consts: String = "{}", rest: String? = nil) -> String {
            header + (inputs ?? input) + "\"consts\": \(consts),\n\"nodes\": \(nodes),\n" + (rest ?? outputs)
        }
        expectJSONError("{\"format\": \"webnn-graph-json\", \"version\": 3}", "unsupported format version; expected 1 or 2", line: 1, column: 43)
        expectJSONError("{\"format\": \"onnx\"}", "unknown graph format; expected \"webnn-graph-json\"", line: 1, column: 12)
        expectJSONError("{\"format\": \"webnn-graph-json\", \"version\": 1, \"node\": []}",
                        "unknown key \"node\" in the graph; did you mean 'nodes'?", line: 1, column: 54)
        expectJSONError(header + input + outputs, "the graph has no \"nodes\"", line: 1, column: 1)
        expectJSONError(graph(inputs: "\"inputs\": {\"x\": {\"dataType\": \"float64\", \"shape\": [2]}},\n"),
                        "\"dataType\" of \"x\" must be one of \"float32\", \"float16\", \"int32\", \"uint32\", \"int64\", \"uint64\", \"int8\", \"uint8\", found a string",
                        line: 2, column: 30)
        expectJSONError(graph(inputs: "\"inputs\": {\"x\": {\"dataType\": \"int4\", \"shape\": [2]}},\n"),
                        "data type \"int4\" is not supported: webnnc's IR has no 4-bit types", line: 2, column: 30)
        expectJSONError(graph(inputs: "\"inputs\": {\"x\": {\"dataType\": \"float32\", \"shape\": [0]}},\n"),
                        "a dimension must be a positive integer or {\"name\", \"maxSize\"}, found a number", line: 2, column: 51)
        expectJSONError(graph(inputs: "\"inputs\": {\"x-1\": {\"dataType\": \"float32\", \"shape\": [2]}},\n"),
                        "\"x-1\" is not a name of the format (first A-Z a-z _ / $, then A-Z a-z 0-9 _ . /)", line: 2, column: 19)
        expectJSONError(graph(inputs: "\"inputs\": {\"x\": {\"dataType\": \"float32\", \"shape\": [4294967296, 4294967296, 4294967296]}},\n"),
                        "tensor shape [4294967296, 4294967296, 4294967296] is too large (more than 2^53 bytes)", line: 2, column: 50)
        expectJSONError(graph(consts: "{\"w\": {\"dataType\": \"float32\", \"shape\": [{\"name\": \"n\", \"maxSize\": 2}], \"init\": {\"kind\": \"scalar\", \"value\": 1}}}"),
                        "constant shapes must be static: dynamic dimensions are allowed only in inputs", line: 3, column: 51)
        expectJSONError(graph(consts: "{\"w\": {\"dataType\": \"float32\", \"shape\": [2], \"init\": {\"kind\": \"file\"}}}"),
                        "\"kind\" must be one of \"weights\", \"scalar\", \"inlineBytes\", found a string", line: 3, column: 72)
        expectJSONError(graph(consts: "{\"w\": {\"dataType\": \"float32\", \"shape\": [2], \"init\": {\"kind\": \"inlineBytes\", \"bytes\": [1, 256]}}}"),
                        "a byte must be an integer in 0...255, found a number", line: 3, column: 100)
        expectJSONError(graph(nodes: "[{\"id\": \"y\", \"op\": \"relu\", \"inputs\": [\"xx\"]}]"),
                        "'xx' is not defined; did you mean 'x'?", line: 4, column: 48)
        expectJSONError(graph(nodes: "[{\"id\": \"y\", \"op\": \"relu\", \"inputs\": \"x\"}]"),
                        "\"inputs\" must be an array of names, found a string", line: 4, column: 47)
        expectJSONError(graph(nodes: "[{\"id\": \"y\", \"op\": \"softmax\", \"inputs\": [\"x\"], \"options\": {\"axis\": \"one\"}}]"),
                        "'axis' of softmax must be an integer, found string \"one\"", line: 4, column: 77)
        expectJSONError(graph(nodes: "[{\"id\": \"y\", \"op\": \"relu\", \"inputs\": [\"x\"], \"option\": {}}]"),
                        "unknown key \"option\" in a node; did you mean 'options'?", line: 4, column: 64)
        expectJSONError(graph(nodes: "[{\"id\": \"y\", \"op\": \"\", \"inputs\": [\"x\", \"x\"]}]"),
                        "an alias node (op \"\") has exactly one input and one output", line: 4, column: 29)
        expectJSONError(graph(rest: "\"outputs\": {\"y\": 3}}"), "output \"y\" must be a value name (a string), found a number", line: 5, column: 18)
        expectJSONError(header + "\"inputs\": {\"x\": ", "invalid JSON: unexpected end of file", line: 2, column: 17)
    }

    @Test func readingNeverCrashesOnGarbage() {
        var generator = SystemRandomNumberGenerator()
        let good = Array(GraphJSONTests.json.utf8)
        for length in 0..<300 {
            var mutated = Array(good.prefix(length * good.count / 300))
            if !mutated.isEmpty { mutated[Int.random(in: 0..<mutated.count, using: &generator)] = UInt8.random(in: 0x20...0x7E, using: &generator) }
            mutated += Array("}".utf8)
            _ = try? GraphLoader.parse(SourceText(bytes: mutated, file: "garbage.webnn"))
            _ = try? load(String(decoding: mutated, as: UTF8.self))
        }
    }
}
