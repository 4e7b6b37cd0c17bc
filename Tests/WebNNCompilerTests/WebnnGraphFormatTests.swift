import Foundation
import Testing
import WebNNRuntime

/// The webnn-graph 0.3 constructs end to end through the command line: a v2 graph with a `dyn`
/// input bound by `--dim`, `[x] =` assignments, an object literal, ONNX-style names, cast
/// spellings, and weights from a safetensors sidecar with dotted names (one BF16), compiled and
/// run against the interpreter; the same graph in the JSON form too.
@Suite struct WebnnGraphFormatTests {
    static let text = """
        webnn_graph "fmt_e2e" v2 @quantized {
          inputs { x: f32[dyn("batch", 8), 4]; }
          consts {
            w: f32[4, 6] @weights("encoder.layer.0.weight");
            b: f32[6] @weights("encoder_layer_0_bias");   # stored as "encoder.layer.0.bias" (BF16)
          }
          nodes {
            [mm] = matmul(x, w, metadata={source: "test", axes: [1], exact: true});
            [h] = add(mm, b);
            [lo, hi] = split(h, 2, axis=1);
            /blk.0/act = relu(lo);
            $t = tanh(hi);
            [cat] = concat([/blk.0/act, $t], axis=1);
            half = cast(cat, to="float16");
            y = cast(half, dataType="Float32");
          }
          outputs { y; }
        }
        """

    static let json = """
        {"format": "webnn-graph-json", "version": 2, "name": "fmt_e2e", "quantized": true,
         "inputs": {"x": {"dataType": "float32", "shape": [{"name": "batch", "maxSize": 8}, 4]}},
         "consts": {"b": {"dataType": "float32", "shape": [6], "init": {"kind": "weights", "ref": "encoder_layer_0_bias"}},
                    "w": {"dataType": "float32", "shape": [4, 6], "init": {"kind": "weights", "ref": "encoder.layer.0.weight"}}},
         "nodes": [{"id": "mm", "op": "matmul", "inputs": ["x", "w"], "options": {"metadata": {"source": "test"}}, "outputs": ["mm"]},
                   {"id": "h", "op": "add", "inputs": ["mm", "b"]},
                   {"id": "lo", "op": "split", "inputs": ["h"], "options": {"splits": 2, "axis": 1}, "outputs": ["lo", "hi"]},
                   {"id": "/blk.0/act", "op": "relu", "inputs": ["lo"]},
                   {"id": "$t", "op": "tanh", "inputs": ["hi"]},
                   {"id": "cat", "op": "concat", "inputs": ["/blk.0/act", "$t"], "options": {"axis": 1}},
                   {"id": "half", "op": "cast", "inputs": ["cat"], "options": {"to": "float16"}},
                   {"id": "y", "op": "cast", "inputs": ["half"], "options": {"dataType": "float32"}}],
         "outputs": {"y": "y"}}
        """

    /// The safetensors sidecar: an F32 weight and a BF16 bias (values bfloat16 holds exactly).
    static func sidecar() -> [UInt8] {
        let weight = (0..<24).flatMap { index -> [UInt8] in
            withUnsafeBytes(of: (Float(index % 7) / 4 - 0.75).bitPattern.littleEndian) { Array($0) }
        }
        let bias = (0..<6).flatMap { index -> [UInt8] in
            let bits = (Float(index) / 2 - 1.25).bitPattern >> 16
            return [UInt8(bits & 0xFF), UInt8(bits >> 8)]
        }
        var header = Array(("{\"__metadata__\": {\"format\": \"pt\"}, "
            + "\"encoder.layer.0.weight\": {\"dtype\": \"F32\", \"shape\": [4, 6], \"data_offsets\": [0, 96]}, "
            + "\"encoder.layer.0.bias\": {\"dtype\": \"BF16\", \"shape\": [6], \"data_offsets\": [96, 108]}}").utf8)
        while header.count % 8 != 0 { header.append(UInt8(ascii: " ")) }
        return (0..<8).map { UInt8(truncatingIfNeeded: UInt64(header.count) >> (8 * $0)) } + header + weight + bias
    }

    @Test(arguments: ["model.webnn", "json.webnn", "model.json"])
    func compiledMatchesTheInterpreter(graphFile: String) throws {
        let folder = try TemporaryFolder()
        let graph = try folder.write(graphFile, graphFile == "model.webnn" ? WebnnGraphFormatTests.text : WebnnGraphFormatTests.json)
        let stem = (graphFile as NSString).deletingPathExtension
        try Data(WebnnGraphFormatTests.sidecar()).write(to: folder.url.appendingPathComponent(stem + ".safetensors"))
        let input = try Tensor((0..<12).map { Float($0) / 3 - 2 }, shape: [3, 4])
        try NPY.write(input, to: folder.url.appendingPathComponent("x.npy"))

        let unbound = try webnnc([graph, "-o", folder.path("lib.so")])
        #expect(unbound.status == 1)
        #expect(unbound.standardError.contains("input 'x' has the dynamic dimension \"batch\"; a compiled graph needs a value "
                                               + "for each (e.g. --dim batch=8); dynamic dimensions: batch ≤ 8"), "\(unbound.standardError)")
        let tooLarge = try webnnc([graph, "--dim", "batch=9", "-o", folder.path("lib.so")])
        #expect(tooLarge.status == 1 && tooLarge.standardError.contains("--dim batch=9 is outside 1...8"), "\(tooLarge.standardError)")
        let malformed = try webnnc([graph, "--dim", "batch", "-o", folder.path("lib.so")])
        #expect(malformed.status == 1 && malformed.standardError.contains("--dim batch: expected NAME=N"), "\(malformed.standardError)")

        let compile = try webnnc([graph, "--dim", "batch=3", "-o", folder.path("lib.so")])
        #expect(compile.status == 0, "\(compile.standardError)")
        let run = try webnnc(["run", folder.path("lib.so"), "--input", "x=\(folder.path("x.npy"))", "--output-dir", folder.path("out")])
        #expect(run.status == 0, "\(run.standardError)")
        let interpreted = try webnnc(["run", graph, "--interpret", "--dim", "batch=3", "--input", "x=\(folder.path("x.npy"))",
                                      "--output-dir", folder.path("ref")])
        #expect(interpreted.status == 0, "\(interpreted.standardError)")
        let compiled = try NPY.read(URL(fileURLWithPath: folder.path("out/y.npy")))
        let reference = try NPY.read(URL(fileURLWithPath: folder.path("ref/y.npy")))
        #expect(compiled.shape == [3, 6] && reference.shape == [3, 6])
        let (a, b) = (try compiled.values(as: Float.self), try reference.values(as: Float.self))
        // Both round through float16 after tanh: allow one float16 ulp.
        #expect(zip(a, b).allSatisfy { abs($0 - $1) <= 1e-3 * max(1, abs($1)) }, "\(a) vs \(b)")
        #expect(b.contains { $0 != 0 })

        // opt writes text that reads back (the dyn is specialized; the weights go beside it).
        let opt = try webnnc(["opt", graph, "--dim", "batch=3", "-O2", "-o", folder.path("opt.webnn")])
        #expect(opt.status == 0, "\(opt.standardError)")
        let again = try webnnc(["run", folder.path("opt.webnn"), "--interpret", "--input", "x=\(folder.path("x.npy"))",
                                "--output-dir", folder.path("opt")])
        #expect(again.status == 0, "\(again.standardError)")
        #expect(try NPY.read(URL(fileURLWithPath: folder.path("opt/y.npy"))).values(as: Float.self) == b)
    }
}
