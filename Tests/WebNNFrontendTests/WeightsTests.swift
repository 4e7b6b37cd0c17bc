import Foundation
import Testing
import WebNNBasics
import WebNNIR
@testable import WebNNFrontend

@Suite struct WeightsTests {
    static let convBiasRelu = """
        # conv2d (3x3, pad 1) + per-channel bias + relu, NCHW / OIHW
        webnn_graph "conv_bias_relu" v1 {
          inputs {
            image: f32[1, 3, 32, 32];
          }

          consts {
            conv1_w: f32[16, 3, 3, 3]  @weights("conv1_w");
            conv1_b: f32[1, 16, 1, 1]  @weights("conv1_b");   # pre-shaped for broadcasting
          }

          nodes {
            conv1    = conv2d(image, conv1_w, padding=[1, 1, 1, 1], strides=[1, 1],
                              dilations=[1, 1], groups=1, inputLayout="nchw", filterLayout="oihw");
            conv1_bb = add(conv1, conv1_b);
            act1     = relu(conv1_bb);
          }

          outputs { act1; }
        }
        """

    static let mlpSoftmax = """
        # logits = x @ W + b ; probs = softmax(logits, axis 1)
        webnn_graph "mlp_softmax" v1 {
          inputs {
            x: f32[1, 64];
          }
          consts {
            fc_w: f32[64, 10] @weights("fc_w");
            fc_b: f32[10]     @weights("fc_b");
          }
          nodes {
            mm     = matmul(x, fc_w);
            logits = add(mm, fc_b);
            probs  = softmax(logits, axis=1);
          }
          outputs { probs; }
        }
        """

    static let filterValues = (0..<(16 * 27)).map { Float($0) / 8 }
    static let biasValues = (0..<16).map { -Float($0) }

    /// The doc's example 7a with its weights (WGWT variant), in a temporary directory.
    static func convBiasReluDirectory() throws -> URL {
        try temporaryDirectory(files: [
            "model.webnn": Array(convBiasRelu.utf8),
            "model.manifest.json": manifestJSON([("conv1_b", .float32, [1, 16, 1, 1], 1736), ("conv1_w", .float32, [16, 3, 3, 3], 8)]),
            "model.weights": weightsHeader + float32Bytes(filterValues) + float32Bytes(biasValues),
        ])
    }

    @Test func loadsTheConvExampleWithHeaderedWeights() throws {
        let directory = try WeightsTests.convBiasReluDirectory()
        let graph = try GraphLoader.load(path: directory.appendingPathComponent("model.webnn").path)
        #expect(graph.name == "conv_bias_relu")
        #expect(graph.outputs.map { graph[$0].type } == [TensorType(.float32, [1, 16, 32, 32])])
        #expect(graph.constants[graph.value(named: "conv1_w")!]?.data.floats == WeightsTests.filterValues)
        #expect(graph.constants[graph.value(named: "conv1_b")!]?.data.floats == WeightsTests.biasValues)
        #expect(graph.constants[graph.value(named: "conv1_b")!]?.weightsKey == "conv1_b")
        #expect(graph.nodes.map(\.op) == ["conv2d", "add", "relu"])
        #expect(graph.nodes[0].ints("padding") == [1, 1, 1, 1])
    }

    @Test func loadsTheMLPExampleWithHeaderlessWeightsAndExplicitPaths() throws {
        let weightValues = (0..<640).map { Float($0) }
        let biasValues = (0..<10).map { Float(-$0) }
        let directory = try temporaryDirectory(files: [
            "mlp.wnn": Array(WeightsTests.mlpSoftmax.utf8),
            "custom.json": manifestJSON([("fc_w", .float32, [64, 10], 0), ("fc_b", .float32, [10], 2560)]),
            "custom.bin": float32Bytes(weightValues) + float32Bytes(biasValues),
        ])
        let options = FrontendOptions(manifestPath: directory.appendingPathComponent("custom.json").path,
                                      weightsPath: directory.appendingPathComponent("custom.bin").path)
        let graph = try GraphLoader.load(path: directory.appendingPathComponent("mlp.wnn").path, options: options)
        #expect(graph.outputs.map { graph[$0].type } == [TensorType(.float32, [1, 10])])
        #expect(graph.constants[graph.value(named: "fc_w")!]?.data.floats == weightValues)
        #expect(graph.constants[graph.value(named: "fc_b")!]?.data.floats == biasValues)
        #expect(graph.nodes[2].int("axis") == 1)
    }

    @Test func defaultPathsSitBesideTheGraph() {
        // webnn-graph's order: {stem}.safetensors, {stem}.weights, model.safetensors, model.weights.
        #expect(WeightsPaths(besideGraphAt: "dir/g.webnn") == WeightsPaths(
            manifestCandidates: ["dir/g.manifest.json", "dir/manifest.json"],
            weightsCandidates: ["dir/g.safetensors", "dir/g.weights", "dir/model.safetensors", "dir/model.weights"]))
        #expect(WeightsPaths(besideGraphAt: "m.wnn") == WeightsPaths(
            manifestCandidates: ["m.manifest.json", "manifest.json"],
            weightsCandidates: ["m.safetensors", "m.weights", "model.safetensors", "model.weights"]))
        #expect(WeightsPaths(besideGraphAt: "dir/model.webnn").weightsCandidates == ["dir/model.safetensors", "dir/model.weights"])
    }

    @Test func inlineConstantsOfEveryDataType() throws {
        let graph = try load("""
            webnn_graph "inline" v1 {
              consts {
                a: f32[2] @scalar(1.5);
                b: f16[2, 2] @scalar(-2);
                c: i32[2] @scalar(-7);
                d: u32[1] @scalar(4000000000);
                e: i64[] @scalar(-9000000000000000000);
                f: u64[1] @scalar(9000000000000000000);
                g: i8[3] @bytes([255, 0, 127]);
                h: u8[2] @bytes([1, 2]);
              }
              nodes { y = relu(a); }
              outputs { y; }
            }
            """)
        func data(_ name: String) -> TensorData? { graph.constants[graph.value(named: name)!]?.data }
        #expect(data("a")?.floats == [1.5, 1.5])
        #expect(data("b")?.doubles == [-2, -2, -2, -2])
        #expect(data("c")?.integers == [-7, -7])
        #expect(data("d")?.integers == [4_000_000_000])
        #expect(data("e")?.integers == [-9_000_000_000_000_000_000])
        #expect(data("f")?.integers == [9_000_000_000_000_000_000])
        #expect(data("g")?.integers == [-1, 0, 127])
        #expect(data("h")?.type == TensorType(.uint8, [2]))
    }

    @Test func inlineConstantErrors() {
        expectLoadError("webnn_graph \"g\" v1 {\n  consts { w: f32[2] @bytes([1, 2, 3]); }\n}",
                        "@bytes has 3 bytes but f32[2] takes 2 × 4 = 8", line: 2, column: 22)
        expectLoadError("webnn_graph \"g\" v1 {\n  consts { w: u8[2] @scalar(256); }\n}",
                        "@scalar(256) is not a u8 value (an integer in 0...255)", line: 2, column: 21)
        expectLoadError("webnn_graph \"g\" v1 {\n  consts { w: i32[2] @scalar(1.5); }\n}",
                        "@scalar(1.5) is not a i32 value (an integer in -2147483648...2147483647)", line: 2, column: 22)
        expectLoadError("webnn_graph \"g\" v1 {\n  consts { w: f16[2] @scalar(1e6); }\n}",
                        "@scalar(1000000.0) is out of range for f16", line: 2, column: 22)
    }

    /// Loads example 7a after `change` edits its files, and checks the diagnostic it throws; `message`
    /// receives the directory path (messages name the files).
    private func convExampleError(line: Int, column: Int, in file: String = "model.webnn",
                                  sourceLocation: Testing.SourceLocation = #_sourceLocation,
                                  _ message: (String) -> String, change: (URL) throws -> Void) throws {
        let directory = try WeightsTests.convBiasReluDirectory()
        try change(directory)
        expectDiagnostic(message(directory.path), line: line, column: column,
                         file: directory.appendingPathComponent(file).path, sourceLocation: sourceLocation) {
            _ = try GraphLoader.load(path: directory.appendingPathComponent("model.webnn").path)
        }
    }

    private static let goodBiasEntry =
        "\"conv1_b\": {\"dataType\": \"float32\", \"shape\": [1, 16, 1, 1], \"byteOffset\": 1736, \"byteLength\": 64},"
    private static let goodHeader = "{\"format\": \"wg-weights-manifest\", \"version\": 1, \"endianness\": \"little\","

    /// A manifest: header line, `"tensors": {`, the bias entry, then `filterEntry` on line 4.
    private static func manifest(filterEntry: String, header: String = goodHeader) -> String {
        "\(header)\n\"tensors\": {\n\(goodBiasEntry)\n\(filterEntry)\n}}\n"
    }

    private static func filterEntry(dataType: String = "float32", shape: String = "[16, 3, 3, 3]", length: Int = 1728) -> String {
        "\"conv1_w\": {\"dataType\": \"\(dataType)\", \"shape\": \(shape), \"byteOffset\": 8, \"byteLength\": \(length)}"
    }

    private static func writeManifest(_ text: String, in directory: URL) throws {
        try Data(text.utf8).write(to: directory.appendingPathComponent("model.manifest.json"))
    }

    /// 1-based column of the first `needle` in `line`.
    private static func column(of needle: String, in line: String) -> Int {
        line.distance(from: line.startIndex, to: line.range(of: needle)!.lowerBound) + 1
    }

    @Test func missingWeightsFiles() throws {
        try convExampleError(line: 8, column: 32, {
            "constant 'conv1_w' needs the weights manifest '\($0)/model.manifest.json', which does not exist"
        }) { try FileManager.default.removeItem(at: $0.appendingPathComponent("model.manifest.json")) }
        try convExampleError(line: 8, column: 32, {
            "constant 'conv1_w' needs a weights file, and none of '\($0)/model.safetensors', '\($0)/model.weights' exists"
        }) { try FileManager.default.removeItem(at: $0.appendingPathComponent("model.weights")) }
    }

    @Test func manifestDisagreesWithTheDeclarations() throws {
        try convExampleError(line: 8, column: 32, {
            "weights key \"conv1_w\" is not in '\($0)/model.manifest.json'; did you mean \"conv1_W\"?"
        }) { try WeightsTests.writeManifest(WeightsTests.manifest(filterEntry: WeightsTests.filterEntry().replacingOccurrences(of: "conv1_w", with: "conv1_W")), in: $0) }
        try convExampleError(line: 8, column: 32, {
            "constant 'conv1_w' is declared f32[16, 3, 3, 3] but weights key \"conv1_w\" in '\($0)/model.manifest.json' is f16[16, 3, 3, 3]"
        }) { try WeightsTests.writeManifest(WeightsTests.manifest(filterEntry: WeightsTests.filterEntry(dataType: "float16", length: 864)), in: $0) }
        try convExampleError(line: 8, column: 32, {
            "constant 'conv1_w' is declared f32[16, 3, 3, 3] but weights key \"conv1_w\" in '\($0)/model.manifest.json' is f32[16, 27]"
        }) { try WeightsTests.writeManifest(WeightsTests.manifest(filterEntry: WeightsTests.filterEntry(shape: "[16, 27]")), in: $0) }
    }

    @Test func truncatedWeights() throws {
        try convExampleError(line: 9, column: 32, {
            "weights file '\($0)/model.weights' is truncated: weights key \"conv1_b\" needs bytes 1736..<1800 but the file has 1790 bytes"
        }) { directory in
            let url = directory.appendingPathComponent("model.weights")
            try Data(try Data(contentsOf: url).prefix(1790)).write(to: url)
        }
    }

    @Test func badManifests() throws {
        let badLength = WeightsTests.filterEntry(length: 100)
        try convExampleError(line: 4, column: WeightsTests.column(of: "100", in: badLength), in: "model.manifest.json", { _ in
            "tensor \"conv1_w\": \"byteLength\" is 100 but f32[16, 3, 3, 3] takes 432 × 4 = 1728 bytes"
        }) { try WeightsTests.writeManifest(WeightsTests.manifest(filterEntry: badLength), in: $0) }

        try convExampleError(line: 1, column: 12, in: "model.manifest.json", { _ in "invalid JSON: unexpected end of file" }) {
            try WeightsTests.writeManifest("{\"format\": ", in: $0)
        }

        let badVersion = WeightsTests.goodHeader.replacingOccurrences(of: "\"version\": 1", with: "\"version\": 2")
        try convExampleError(line: 1, column: WeightsTests.column(of: "2", in: badVersion), in: "model.manifest.json", { _ in
            "unsupported weights manifest version; expected 1"
        }) { try WeightsTests.writeManifest(WeightsTests.manifest(filterEntry: WeightsTests.filterEntry(), header: badVersion), in: $0) }

        let badFormat = WeightsTests.goodHeader.replacingOccurrences(of: "wg-weights-manifest", with: "safetensors")
        try convExampleError(line: 1, column: 12, in: "model.manifest.json", { _ in
            "unknown weights manifest format; expected \"wg-weights-manifest\""
        }) { try WeightsTests.writeManifest(WeightsTests.manifest(filterEntry: WeightsTests.filterEntry(), header: badFormat), in: $0) }

        let packed = WeightsTests.filterEntry(dataType: "int4", length: 432)
        try convExampleError(line: 4, column: WeightsTests.column(of: "\"int4\"", in: packed), in: "model.manifest.json", { _ in
            "tensor \"conv1_w\": \"dataType\" int4 (packed 4-bit) is not supported: webnnc's IR has no 4-bit types"
        }) { try WeightsTests.writeManifest(WeightsTests.manifest(filterEntry: packed), in: $0) }

        // Found by the weights fuzz target: the byte size of this shape overflowed Int (a trap).
        let huge = WeightsTests.filterEntry(shape: "[9223372036854775807, 2]")
        try convExampleError(line: 4, column: WeightsTests.column(of: "[9223372036854775807", in: huge), in: "model.manifest.json", { _ in
            "tensor \"conv1_w\": shape [9223372036854775807, 2] is too large (more than 2^53 bytes)"
        }) { try WeightsTests.writeManifest(WeightsTests.manifest(filterEntry: huge), in: $0) }

        let bigEndian = WeightsTests.goodHeader.replacingOccurrences(of: "little", with: "big")
        try convExampleError(line: 1, column: WeightsTests.column(of: "\"big\"", in: bigEndian), in: "model.manifest.json", { _ in
            "unsupported endianness; only \"little\" is supported"
        }) { try WeightsTests.writeManifest(WeightsTests.manifest(filterEntry: WeightsTests.filterEntry(), header: bigEndian), in: $0) }
    }

    @Test func unsupportedContainerVersion() throws {
        let directory = try WeightsTests.convBiasReluDirectory()
        let url = directory.appendingPathComponent("model.weights")
        var bytes = [UInt8](try Data(contentsOf: url))
        bytes[4] = 2
        try Data(bytes).write(to: url)
        #expect(throws: Diagnostic("\(url.path): unsupported WGWT weights version 2; expected 1")) {
            _ = try GraphLoader.load(path: directory.appendingPathComponent("model.webnn").path)
        }
    }

    @Test func readingNeverCrashesOnGarbage() {
        var generator = SystemRandomNumberGenerator()
        for length in 0..<200 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            _ = try? WeightsManifest.parse(SourceText(bytes: bytes, file: "garbage.json"))
            _ = try? Parser.parse(SourceText(bytes: bytes, file: "garbage.webnn"))
            let printable = String(decoding: bytes.map { 0x20 + $0 % 0x5F }, as: UTF8.self)
            _ = try? Parser.parse(SourceText("webnn_graph \"g\" v1 { " + printable, file: "garbage.webnn"))
        }
    }
}
