import Foundation
import Testing
import WebNNBasics
import WebNNIR
@testable import WebNNFrontend

/// Weights from safetensors sidecars, webnn-graph's sidecar lookup, and malformed files.
@Suite struct SafetensorsTests {
    static let graphText = """
        webnn_graph "st" v2 {
          inputs { x: f32[2, 2]; }
          consts {
            w: f32[2, 2] @weights("encoder.layer.0.weight");
            b: f32[2] @weights("encoder_layer_0_bias");
            h: f16[2] @weights("head::scale");
          }
          nodes {
            m = matmul(x, w);
            y = add(m, b);
          }
          outputs { y; }
        }
        """

    static let weightValues: [Float] = [1, 2, 3, 4]
    static let biasValues: [Float] = [0.5, -0.5]

    /// bfloat16 bytes of values that bfloat16 holds exactly.
    static func bfloat16Bytes(_ values: [Float]) -> [UInt8] {
        values.flatMap { value -> [UInt8] in
            let bits = value.bitPattern >> 16
            return [UInt8(bits & 0xFF), UInt8(bits >> 8)]
        }
    }

    static let goodTensors: [(name: String, dtype: String, shape: [Int], data: [UInt8])] = [
        ("encoder.layer.0.weight", "F32", [2, 2], float32Bytes(weightValues)),
        ("encoder.layer.0.bias", "BF16", [2], bfloat16Bytes(biasValues)),      // "encoder_layer_0_bias" in the graph
        ("head::scale", "F16", [2], [0x00, 0x3C, 0x00, 0x40]),                  // 1.0, 2.0
    ]

    /// Loads the graph from a directory holding `files` (the graph is `g.webnn`).
    static func load(files: [String: [UInt8]], graph: String = graphText) throws -> Graph {
        let directory = try temporaryDirectory(files: files.merging(["g.webnn": Array(graph.utf8)]) { $1 })
        return try GraphLoader.load(path: directory.appendingPathComponent("g.webnn").path)
    }

    @Test func readsDottedNamesSanitizedNamesAndWidensBFloat16() throws {
        let graph = try SafetensorsTests.load(files: ["g.safetensors": safetensors(SafetensorsTests.goodTensors, metadata: ["format": "pt"])])
        func data(_ name: String) -> TensorData? { graph.constants[graph.value(named: name)!]?.data }
        #expect(data("w")?.floats == SafetensorsTests.weightValues)
        #expect(data("b")?.floats == SafetensorsTests.biasValues)
        #expect(data("h")?.doubles == [1, 2])
        #expect(graph.constants[graph.value(named: "w")!]?.weightsKey == "encoder.layer.0.weight")
    }

    @Test func lookupOrderIsWebnnGraphs() throws {
        // {stem}.safetensors wins over {stem}.weights; model.safetensors and model.weights come after.
        let other = safetensors([("encoder.layer.0.weight", "F32", [2, 2], float32Bytes([9, 9, 9, 9])),
                                 ("encoder_layer_0_bias", "F32", [2], float32Bytes([9, 9])),
                                 ("head__scale", "F16", [2], [0, 0, 0, 0])])
        var graph = try SafetensorsTests.load(files: ["g.safetensors": safetensors(SafetensorsTests.goodTensors),
                                                      "model.safetensors": other])
        #expect(graph.constants[graph.value(named: "w")!]?.data.floats == SafetensorsTests.weightValues)
        graph = try SafetensorsTests.load(files: ["model.safetensors": other])
        #expect(graph.constants[graph.value(named: "w")!]?.data.floats == [9, 9, 9, 9])

        // model.weights with manifest.json, the manifest's "layout": null, and sanitized manifest keys.
        let manifest = """
            {"format": "wg-weights-manifest", "version": 1, "endianness": "little", "tensors": {
             "encoder.layer.0.weight": {"dataType": "float32", "shape": [2, 2], "byteOffset": 8, "byteLength": 16, "layout": null},
             "encoder.layer.0.bias": {"dataType": "float32", "shape": [2], "byteOffset": 24, "byteLength": 8},
             "head::scale": {"dataType": "float16", "shape": [2], "byteOffset": 32, "byteLength": 4}}}
            """
        graph = try SafetensorsTests.load(files: [
            "manifest.json": Array(manifest.utf8),
            "model.weights": weightsHeader + float32Bytes(SafetensorsTests.weightValues) + float32Bytes(SafetensorsTests.biasValues) + [0, 0x3C, 0, 0x40],
        ])
        #expect(graph.constants[graph.value(named: "b")!]?.data.floats == SafetensorsTests.biasValues)
    }

    /// Loads the graph with `g.safetensors` = `bytes` and checks the error (in `file`, default the graph).
    private func expectError(_ bytes: [UInt8], _ message: String, line: Int? = nil, column: Int? = nil, inHeader: Bool = false,
                             graph: String = graphText, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
        let directory = try temporaryDirectory(files: ["g.webnn": Array(graph.utf8), "g.safetensors": bytes])
        let safetensorsPath = directory.appendingPathComponent("g.safetensors").path
        let expected = message.replacingOccurrences(of: "$F", with: safetensorsPath)
        do {
            _ = try GraphLoader.load(path: directory.appendingPathComponent("g.webnn").path)
            Issue.record("expected \(expected)", sourceLocation: sourceLocation)
        } catch let diagnostic as Diagnostic {
            #expect(diagnostic.message == expected, sourceLocation: sourceLocation)
            if let line, let column {
                let file = inHeader ? safetensorsPath + " header" : directory.appendingPathComponent("g.webnn").path
                #expect(diagnostic.location == WebNNBasics.SourceLocation(file: file, line: line, column: column), sourceLocation: sourceLocation)
            } else {
                #expect(diagnostic.location == nil, sourceLocation: sourceLocation)
            }
        }
    }

    @Test func declarationMismatches() throws {
        var tensors = SafetensorsTests.goodTensors
        tensors[0].shape = [4]
        try expectError(safetensors(tensors), "constant 'w' is declared f32[2, 2] but tensor \"encoder.layer.0.weight\" in '$F' has shape [4]",
                        line: 4, column: 18)
        tensors = SafetensorsTests.goodTensors
        tensors[2] = ("head::scale", "BF16", [2], [0, 0, 0, 0])
        try expectError(safetensors(tensors), "constant 'h' is declared f16 but tensor \"head::scale\" in '$F' is BF16", line: 6, column: 15)
        tensors = SafetensorsTests.goodTensors
        tensors[0] = ("encoder.layer.0.weight", "F64", [2, 2], [UInt8](repeating: 0, count: 32))
        try expectError(safetensors(tensors), "constant 'w' is declared f32 but tensor \"encoder.layer.0.weight\" in '$F' is F64 "
                        + "(float32 constants read F32 or BF16)", line: 4, column: 18)
        tensors = SafetensorsTests.goodTensors
        tensors[0].name = "encoder.layer.0.weights"
        try expectError(safetensors(tensors), "weights key \"encoder.layer.0.weight\" is not in '$F'; did you mean \"encoder.layer.0.weights\"?",
                        line: 4, column: 18)
        tensors = SafetensorsTests.goodTensors + [("encoder_layer.0.bias", "F32", [2], float32Bytes([0, 0]))]
        try expectError(safetensors(tensors), "weights key \"encoder_layer_0_bias\" is ambiguous: tensors \"encoder.layer.0.bias\" and "
                        + "\"encoder_layer.0.bias\" of '$F' both read as \"encoder_layer_0_bias\"", line: 5, column: 15)
    }

    @Test func malformedFilesAreLocatedErrors() throws {
        try expectError([1, 0, 0], "safetensors file '$F' is truncated: it has 3 bytes, fewer than the 8-byte header length")
        try expectError([0x10, 0, 0, 0, 0, 0, 0, 0] + Array("{}".utf8),
                        "safetensors file '$F' is truncated: its header is 16 bytes but only 2 follow the header length")
        try expectError([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF],
                        "safetensors file '$F': header length 18446744073709551615 is larger than the format's limit of 100000000 bytes (not a safetensors file?)")
        try expectError(safetensorsFile(header: "{\"w\": ", data: []), "invalid JSON: unexpected end of file", line: 1, column: 9, inHeader: true)
        try expectError(safetensorsFile(header: "[1]", data: []), "the safetensors header must be a JSON object, found an array",
                        line: 1, column: 1, inHeader: true)
        try expectError(safetensorsFile(header: "{\"w\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]}}", data: [0, 0, 0, 0]),
                        "tensor \"w\": \"data_offsets\" [0, 8] extend past the data, which has 4 bytes (the file is truncated?)",
                        line: 1, column: 54, inHeader: true)
        try expectError(safetensorsFile(header: "{\"w\": {\"dtype\": \"F32\", \"shape\": [3], \"data_offsets\": [0, 8]}}", data: [UInt8](repeating: 0, count: 8)),
                        "tensor \"w\": \"data_offsets\" [0, 8] hold 8 bytes but F32 [3] takes 3 × 4 = 12",
                        line: 1, column: 54, inHeader: true)
        try expectError(safetensorsFile(header: "{\"w\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [8, 0]}}", data: []),
                        "tensor \"w\": \"data_offsets\" must be [begin, end] with 0 <= begin <= end", line: 1, column: 54, inHeader: true)
        try expectError(safetensorsFile(header: "{\"w\": {\"dtype\": \"F32\", \"shape\": [-2], \"data_offsets\": [0, 0]}}", data: []),
                        "tensor \"w\": shape dimensions must be non-negative integers", line: 1, column: 34, inHeader: true)
        try expectError(safetensorsFile(header: "{\"w\": {\"dtype\": \"F32\", \"shape\": [4294967296, 4294967296, 4294967296], \"data_offsets\": [0, 0]}}", data: []),
                        "tensor \"w\": shape [4294967296, 4294967296, 4294967296] is too large", line: 1, column: 33, inHeader: true)
        try expectError(safetensorsFile(header: "{\"w\": {\"shape\": [2], \"data_offsets\": [0, 0]}}", data: []),
                        "tensor \"w\": missing \"dtype\"", line: 1, column: 7, inHeader: true)
        try expectError(safetensorsFile(header: "{\"__metadata__\": {\"a\": 1}}", data: []),
                        "\"__metadata__\" value \"a\" must be a string", line: 1, column: 24, inHeader: true)
    }

    @Test func readingNeverCrashesOnGarbage() {
        var generator = SystemRandomNumberGenerator()
        let good = safetensors(SafetensorsTests.goodTensors)
        for length in 0..<300 {
            let random = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            _ = try? SafetensorsFile(bytes: random, file: "garbage.safetensors")
            // A valid file with bytes flipped or cut short.
            var mutated = Array(good.prefix(length % (good.count + 1)))
            if !mutated.isEmpty { mutated[Int.random(in: 0..<mutated.count, using: &generator)] ^= UInt8.random(in: 1...255, using: &generator) }
            _ = try? SafetensorsFile(bytes: mutated, file: "mutated.safetensors")
        }
    }
}
