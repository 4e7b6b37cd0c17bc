import Foundation
import Testing
import WebNNBasics
import WebNNIR
@testable import WebNNFrontend

/// The webnn-graph format as written today (crate 0.3): v2 headers, `dyn` dimensions, object
/// literals, bracket assignments, lowercase type names, and the writer bugs it rejects.
@Suite struct FormatTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/webnn-graph")

    private static func graph(_ inputs: String = "x: f32[2, 4];", consts: String = "", nodes: String, outputs: String = "y;") -> String {
        "webnn_graph \"g\" v2 {\n  inputs { \(inputs) }\n  consts { \(consts) }\n  nodes {\n    \(nodes)\n  }\n  outputs { \(outputs) }\n}\n"
    }

    // MARK: format_reference.webnn (webnn-graph's maintained syntax example)

    /// The fixture in a temporary directory with a safetensors sidecar for its `encoder.weight`.
    static func formatReferenceDirectory(weight: [Float] = (0..<16).map(Float.init)) throws -> URL {
        try temporaryDirectory(files: [
            "format_reference.webnn": [UInt8](try Data(contentsOf: fixtures.appendingPathComponent("format_reference.webnn"))),
            "format_reference.safetensors": safetensors([("encoder.weight", "F32", [4, 4], float32Bytes(weight))]),
        ])
    }

    @Test func formatReferenceLoadsWithItsBatchBound() throws {
        let directory = try FormatTests.formatReferenceDirectory()
        let path = directory.appendingPathComponent("format_reference.webnn").path
        let graph = try GraphLoader.load(path: path, options: FrontendOptions(dimensions: ["batch": 3]))
        try Verifier.verify(graph, after: "test")
        #expect(graph.name == "format_reference")
        #expect(graph.inputs.map { graph[$0].type } == [TensorType(.float32, [3, 4])])
        #expect(graph.outputs.map { graph[$0].type } == [TensorType(.float32, [3, 4])])
        #expect(graph.nodes.map(\.op) == ["add", "split", "concat"])
        #expect(graph.constants[graph.value(named: "external_weight")!]?.data.floats == (0..<16).map(Float.init))
        #expect(graph.constants[graph.value(named: "inline_mask")!]?.data.bytes == [1, 1, 0, 0])

        // Without a value for "batch" it stops at the dyn, listing the dynamic dimensions.
        expectDiagnostic("input 'input' has the dynamic dimension \"batch\"; a compiled graph needs a value for each "
                         + "(e.g. --dim batch=8); dynamic dimensions: batch ≤ 8", line: 4, column: 16, file: path) {
            _ = try GraphLoader.load(path: path)
        }
    }

    // MARK: dyn dimensions

    @Test func dynamicDimensionsAreBoundByName() throws {
        let text = FormatTests.graph("a: f32[dyn(\"batch\", 8), 4]; b: f32[dyn(\"batch\", 8), dyn(\"seq\", 16)];",
                                     nodes: "y = matmul(a, b, metadata={note: \"shapes\"});", outputs: "y;")
        let syntax = try parse(text)
        #expect(syntax.inputs[1].type.dynamicDimensions.map(\.name) == ["batch", "seq"])
        // Wrong: matmul [2,4] x [2,5]; right shapes with batch=4: [4,4] x [4,5].
        let graph = try GraphLoader.load(SourceText(text, file: testFile), weights: noWeights, dimensions: ["batch": 4, "seq": 5])
        #expect(graph.inputs.map { graph[$0].type.shape } == [[4, 4], [4, 5]])
        #expect(graph[graph.outputs[0]].type.shape == [4, 5])

        func loadError(_ dimensions: [String: Int], _ message: String, line: Int = 2, column: Int,
                       sourceLocation: Testing.SourceLocation = #_sourceLocation) {
            expectDiagnostic(message, line: line, column: column, sourceLocation: sourceLocation) {
                _ = try GraphLoader.load(SourceText(text, file: testFile), weights: noWeights, dimensions: dimensions)
            }
        }
        loadError(["batch": 4], "input 'b' has the dynamic dimension \"seq\"; a compiled graph needs a value for each "
                  + "(e.g. --dim seq=16); dynamic dimensions: batch ≤ 8, seq ≤ 16", column: 64)
        loadError(["batch": 9, "seq": 1], "--dim batch=9 is outside 1...8, the range of dyn(\"batch\", 8)", column: 19)
        loadError(["batch": 0, "seq": 1], "--dim batch=0 is outside 1...8, the range of dyn(\"batch\", 8)", column: 19)
        #expect(throws: Diagnostic("--dim bacth=2: test.webnn has no dynamic dimension \"bacth\" (it has batch ≤ 8, seq ≤ 16)")) {
            _ = try GraphLoader.load(SourceText(text, file: testFile), weights: noWeights, dimensions: ["batch": 2, "seq": 2, "bacth": 2])
        }
        expectLoadError(FormatTests.graph("a: f32[dyn(\"n\", 8)]; b: f32[dyn(\"n\", 4)];", nodes: "y = add(a, b);"),
                        "dynamic dimension \"n\" is declared with maximum 4 here but 8 before", line: 2, column: 40)
    }

    @Test func dynamicDimensionErrors() {
        expectParseError(FormatTests.graph(consts: "w: f32[dyn(\"n\", 4)] @scalar(1);", nodes: "y = relu(x);"),
                         "constant shapes must be static: dyn(...) dimensions are allowed only in inputs", line: 3, column: 19)
        expectParseError(FormatTests.graph("x: f32[dyn(n, 4)];", nodes: "y = relu(x);"),
                         "expected the dimension's name (a string) in dyn(\"name\", max), found 'n'", line: 2, column: 23)
        expectParseError(FormatTests.graph("x: f32[dyn(\"n\", 0)];", nodes: "y = relu(x);"),
                         "expected the dimension's maximum (a positive integer) in dyn(\"n\", max), found number 0", line: 2, column: 28)
        expectParseError(FormatTests.graph("x: f32[dyn(\"n\" 4)];", nodes: "y = relu(x);"),
                         "expected ',' after the dimension's name", line: 2, column: 26)
        expectParseError(FormatTests.graph("x: f32[dyn(\"n\", 4];", nodes: "y = relu(x);"),
                         "expected ')' after the dimension's maximum", line: 2, column: 29)
        expectParseError(FormatTests.graph("x: f32[4294967296, 4294967296, 4294967296];", nodes: "y = relu(x);"),
                         "tensor type f32[4294967296, 4294967296, 4294967296] is too large (more than 2^53 bytes)", line: 2, column: 15)
        expectParseError(FormatTests.graph("x: f32[dyn(\"n\", 9223372036854775807), 4];", nodes: "y = relu(x);"),
                         "tensor type f32[9223372036854775807, 4] is too large (more than 2^53 bytes)", line: 2, column: 15)
    }

    // MARK: Calls

    @Test func bracketAssignmentObjectsAndOperandLists() throws {
        let graph = try load(FormatTests.graph("x: f32[2, 4]; /model.0/conv/Conv_output_0: f32[2, 4]; $in: f32[2, 4];",
                                               nodes: """
            [a] = add(x, /model.0/conv/Conv_output_0, metadata={kind: "reference", "axes": [1], nested: {ok: true}, none: null});
                [b.1] = relu($in, label="act");
                y = concat([a, b.1, x], axis=1);
            """))
        #expect(graph.nodes.map(\.op) == ["add", "relu", "concat"])
        #expect(graph.nodes[0].attributes.isEmpty && graph.nodes[1].attributes.isEmpty)
        #expect(graph[graph.outputs[0]].type == TensorType(.float32, [2, 12]))
        #expect(graph.value(named: "b.1") != nil && graph.value(named: "$in") != nil)
    }

    @Test func objectLiteralErrors() {
        expectParseError(FormatTests.graph(nodes: "y = relu(x, metadata={a: 1, a: 2});"),
                         "key 'a' is given twice in the object", line: 5, column: 33)
        expectParseError(FormatTests.graph(nodes: "y = relu(x, metadata={a 1});"),
                         "expected ':' after the object key 'a'", line: 5, column: 28)
        expectParseError(FormatTests.graph(nodes: "y = relu(x, metadata={1: 1});"),
                         "expected an object key (a name or a string), found number 1", line: 5, column: 27)
        expectParseError(FormatTests.graph(nodes: "y = relu(x, metadata={a: 1);"),
                         "expected '}' after the object's members", line: 5, column: 31)
        expectLoadError(FormatTests.graph(nodes: "y = softmax(x, axis={value: 1});"),
                        "'axis' of softmax must be an integer, found an object", line: 5, column: 25)
        expectLoadError(FormatTests.graph(nodes: "y = relu(x, label=3);"),
                        "'label' of relu must be a string, found number 3", line: 5, column: 23)
    }

    @Test func castSpellings() throws {
        let graph = try load(FormatTests.graph(nodes: """
            a = cast(x, to="float16");
                b = cast(x, to="Int32");
                c = cast(x, dataType="uint8");
                d = cast(x, "INT64");
                e = cast(x, i8);
                y = cast(x, to=f32);
            """, outputs: "a; b; c; d; e; y;"))
        #expect(graph.outputs.map { graph[$0].type.dataType } == [.float16, .int32, .uint8, .int64, .int8, .float32])
        expectLoadError(FormatTests.graph(nodes: "y = cast(x, to=\"int4\");"),
                        "'dataType' of cast: data type int4 is not supported: webnnc's IR has no 4-bit types", line: 5, column: 20)
        expectLoadError(FormatTests.graph(nodes: "y = cast(x, to=\"float64\");"),
                        "'dataType' of cast must be a data type (float32, float16, int32, uint32, int64, uint64, int8, uint8), found string \"float64\"",
                        line: 5, column: 20)
        expectLoadError(FormatTests.graph(nodes: "y = cast(x, to=\"int32\", dataType=\"int8\");"),
                        "'dataType' is given twice", line: 5, column: 29)
        expectParseError(FormatTests.graph("x: u4[2];", nodes: "y = relu(x);"),
                         "data type 'u4' is not supported: webnnc's IR has no 4-bit types (expected f32, f16, i32, u32, i64, u64, i8, u8)",
                         line: 2, column: 15)
    }

    // MARK: Writer bugs

    @Test func knownWriterBugsAreRejectedWithALocation() {
        expectParseError(FormatTests.graph(nodes: "y = relu(x);  // a C++ comment"),
                         "'//' comments are not part of the format; comments start with '#'", line: 5, column: 19)
        expectParseError(FormatTests.graph(consts: "w: f32[] @scalar(inf);", nodes: "y = relu(x);"),
                         "@scalar(inf): the format has no 'inf' literal (numbers are finite; a Python repr written by a converter?)",
                         line: 3, column: 29)
        expectParseError(FormatTests.graph(consts: "w: f32[] @scalar(-inf);", nodes: "y = relu(x);"),
                         "the format has no '-inf' literal (numbers are finite; a Python repr written by a converter?)",
                         line: 3, column: 29)
        expectParseError(FormatTests.graph(consts: "w: f32[] @scalar(nan);", nodes: "y = relu(x);"),
                         "@scalar(nan): the format has no 'nan' literal (numbers are finite; a Python repr written by a converter?)",
                         line: 3, column: 29)
        expectParseError(FormatTests.graph(consts: "w: u8[] @scalar(True);", nodes: "y = relu(x);"),
                         "@scalar(True): 'True' is a Python boolean, not a number of the format (write 1 or 0)", line: 3, column: 28)
        expectLoadError(FormatTests.graph(nodes: "y = gemm(x, x, aTranspose=True);"),
                        "'aTranspose' of gemm must be a boolean, found name 'True' (a Python literal; the format writes true, false, null)",
                        line: 5, column: 31)
    }

    // MARK: Printing

    /// Names that begin with `true`/`false`/`null` are read by the reference PEG grammar as the
    /// literal; the printer quotes them where they are arguments (a string names an operand).
    @Test func printedTextAvoidsTheLiteralPrefixPitfall() throws {
        let graph = try load(FormatTests.graph("trueValue: f32[2, 4]; null_mask: f32[2, 4];",
                                               nodes: "y = add(trueValue, null_mask);"))
        let text = GraphPrinter(writeWeights: false).print(graph).text
        #expect(text.contains("y = add(\"trueValue\", \"null_mask\");"))
        let again = try load(text)
        #expect(GraphPrinter(writeWeights: false).print(again).text == text)
    }
}

/// A safetensors file holding `tensors` (offsets in order), with optional `__metadata__`.
func safetensors(_ tensors: [(name: String, dtype: String, shape: [Int], data: [UInt8])],
                 metadata: [String: String]? = nil) -> [UInt8] {
    var entries: [String] = []
    if let metadata {
        entries.append("\"__metadata__\": {" + metadata.sorted { $0.key < $1.key }.map { "\"\($0.key)\": \"\($0.value)\"" }.joined(separator: ", ") + "}")
    }
    var offset = 0
    var data: [UInt8] = []
    for tensor in tensors {
        entries.append("\"\(tensor.name)\": {\"dtype\": \"\(tensor.dtype)\", \"shape\": \(tensor.shape), "
                       + "\"data_offsets\": [\(offset), \(offset + tensor.data.count)]}")
        offset += tensor.data.count
        data += tensor.data
    }
    return safetensorsFile(header: "{" + entries.joined(separator: ", ") + "}", data: data)
}

/// A safetensors file from its header text (padded with spaces to 8 bytes) and data.
func safetensorsFile(header: String, data: [UInt8]) -> [UInt8] {
    var headerBytes = Array(header.utf8)
    while headerBytes.count % 8 != 0 { headerBytes.append(UInt8(ascii: " ")) }
    let length = UInt64(headerBytes.count)
    return (0..<8).map { UInt8(truncatingIfNeeded: length >> (8 * $0)) } + headerBytes + data
}

/// `constant(data="<base64>", dataType=..., shape=[..])`, as webnn-graph's ONNX converter writes
/// folded constants (e.g. huningxin/webnn-graph's all-MiniLM-L6-v2_fp16.webnn).
@Suite struct ConstantCallTests {
    @Test func convertedConstantsBecomeGraphConstants() throws {
        let graph = try load("""
            webnn_graph "torch_jit" v2 {
              inputs { x: f16[1, 2]; }
              nodes {
                two = constant(data="AEA=", dataType="float16", shape=[]);
                pair = constant(data="ADwAQA==", dataType="FLOAT16", shape=[1, 2]);
                p = pow(x, two);
                y = add(p, pair);
                last = cast(y, to="float32");
              }
              outputs { last; }
            }
            """)
        #expect(graph.constants[graph.value(named: "two")!]?.data.doubles == [2])
        #expect(graph.constants[graph.value(named: "pair")!]?.data.doubles == [1, 2])
        #expect(graph.nodes.map(\.op) == ["pow", "add", "cast"])
    }

    @Test func constantCallErrors() {
        func graph(_ call: String) -> String {
            "webnn_graph \"g\" v2 {\n  nodes {\n    c = \(call);\n  }\n  outputs { c; }\n}\n"
        }
        expectLoadError(graph("constant(data=\"AEA=\", dataType=\"float16\", shape=[2])"),
                        "'data' of constant has 2 bytes but f16[2] takes 4", line: 3, column: 23)
        expectLoadError(graph("constant(data=\"**\", dataType=\"float16\", shape=[])"),
                        "'data' of constant must be a base64 string", line: 3, column: 23)
        expectLoadError(graph("constant(data=\"AEA=\", dataType=\"float64\", shape=[])"),
                        "'dataType' of constant must be a data type name (float32, float16, int32, uint32, int64, uint64, int8, uint8)",
                        line: 3, column: 40)
        expectLoadError(graph("constant(data=\"AEA=\", dataType=\"float16\")"),
                        "constant is missing its argument 'shape'", line: 3, column: 9)
        expectLoadError(graph("constant(data=\"AEA=\", dataType=\"float16\", shape=[], value=1)"),
                        "constant has no argument 'value' (it takes data, dataType, shape)", line: 3, column: 61)
        expectLoadError(graph("constant(data=\"AEA=\", dataType=\"float16\", shape=[4294967296, 4294967296])"),
                        "constant shape [4294967296, 4294967296] is too large", line: 3, column: 57)
    }
}
