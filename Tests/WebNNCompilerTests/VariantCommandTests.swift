import Foundation
import Testing
import WebNNRuntime

/// `--variants`: one library with several CPU variants of its kernels, `webnnc info` listing
/// them, and `WEBNNC_VARIANT` forcing one (docs/abi.md, "Variants").
@Suite struct VariantCommandTests {
    /// A QDQ convolution (uint8 activations, per-channel int8 weights, relu) as `.webnn` text
    /// with its constants inline; `fuse-qdq` makes it one integer convolution.
    static func qdqConvolution() -> String {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {  // xorshift64*: the same weights every run
            state ^= state >> 12; state ^= state << 25; state ^= state >> 27
            return state &* 0x2545_F491_4F6C_DD1D
        }
        func constant(_ name: String, _ type: String, _ shape: [Int], _ bytes: [UInt8]) -> String {
            "    \(name) = constant(data=\"\(Data(bytes).base64EncodedString())\", dataType=\"\(type)\", shape=\(shape));\n"
        }
        func floats(_ values: [Float]) -> [UInt8] { values.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) } }
        func int32s(_ values: [Int32]) -> [UInt8] { values.flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) } }
        let (channels, filters) = (16, 32)
        let weights = (0..<filters * channels * 9).map { _ in UInt8(truncatingIfNeeded: Int(next() % 255) - 127) }
        let scales = (0..<filters).map { _ in Float(0.002 + Double(next() % 1000) * 0.000008) }
        let bias = (0..<filters).map { _ in Int32(next() % 600) - 300 }
        return "webnn_graph \"qdq_conv\" v1 {\n  inputs { x: u8[1, 16, 10, 10]; }\n  nodes {\n"
            + constant("sx", "float32", [1, 1, 1, 1], floats([0.01])) + constant("zx", "uint8", [1, 1, 1, 1], [0])
            + constant("w", "int8", [filters, channels, 3, 3], weights)
            + constant("ws", "float32", [filters, 1, 1, 1], floats(scales))
            + constant("wz", "int8", [filters, 1, 1, 1], Array(repeating: 0, count: filters))
            + constant("b", "int32", [filters], int32s(bias)) + constant("bs", "float32", [filters], floats(scales.map { $0 * 0.01 }))
            + constant("bz", "int32", [filters], int32s(Array(repeating: 0, count: filters)))
            + constant("ys", "float32", [1, 1, 1, 1], floats([0.02])) + constant("yz", "uint8", [1, 1, 1, 1], [0])
            + """
                dx = dequantizeLinear(x, sx, zx);
                dw = dequantizeLinear(w, ws, wz);
                db = dequantizeLinear(b, bs, bz);
                conv = conv2d(dx, dw, bias=db, padding=[1, 1, 1, 1]);
                act = relu(conv);
                y = quantizeLinear(act, ys, yz);
              }
              outputs { y; }
            }

            """
    }

    /// Builds the QDQ convolution with an AVX2 and an AVX-512 VNNI variant; the forced AVX2
    /// variant, the default choice and the interpreter agree; `info` says which runs.
    @Test func forcedAndChosenVariantsAgree() throws {
        let folder = try TemporaryFolder()
        let graph = try folder.write("qdq.webnn", Self.qdqConvolution())
        let input = (0..<1600).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ $0 / 7) }
        try NPY.write(try Tensor(input, shape: [1, 16, 10, 10]), to: URL(fileURLWithPath: folder.path("x.npy")))
        let library = folder.path("libqdq.so")
        let compile = try webnnc([graph, "-o", library, "--variants=x86-64-v3,x86-64-v4+avx512vnni"])
        try #require(compile.status == 0, "\(compile.standardError)")

        let info = try webnnc(["info", library])
        #expect(info.status == 0, "\(info.standardError)")
        #expect(info.standardOutput.contains("[0] x86-64-v4+avx512vnni: x86-64-v4 +"))
        #expect(info.standardOutput.contains("[1] x86-64-v3: x86-64-v3 +"))
        print("VariantCommandTests: webnnc info says\n\(info.standardOutput)")
        let forcedInfo = try webnnc(["info", library], environment: ["WEBNNC_VARIANT": "x86-64-v3"])
        #expect(forcedInfo.standardOutput.contains("* [1] x86-64-v3:"))
        #expect(forcedInfo.standardOutput.contains("this CPU:  variant 1 (x86-64-v3)"))

        func run(_ name: String, _ arguments: [String], environment: [String: String] = [:]) throws -> [UInt8] {
            let result = try webnnc(["run"] + arguments + ["--input", "x=\(folder.path("x.npy"))", "--output-dir", folder.path(name)],
                                    environment: environment)
            try #require(result.status == 0, "\(name): \(result.standardError)")
            return try NPY.read(URL(fileURLWithPath: folder.path("\(name)/y.npy"))).values(as: UInt8.self)
        }
        let avx2 = try run("avx2", [library], environment: ["WEBNNC_VARIANT": "x86-64-v3"])
        let chosen = try run("chosen", [library])
        let interpreted = try run("interpreted", [graph, "--interpret"])
        #expect(avx2.count == 32 * 100)
        #expect(avx2 == chosen)
        // The integer kernel is exact; the QDQ float graph may round a value differently by one step.
        #expect(zip(avx2, interpreted).allSatisfy { abs(Int($0) - Int($1)) <= 1 })
        #expect(zip(avx2, interpreted).filter { $0 != $1 }.count * 20 <= avx2.count)
        // A name the library lacks is ignored.
        #expect(try run("unknown", [library], environment: ["WEBNNC_VARIANT": "pentium"]) == chosen)
    }

    /// Forcing a variant this CPU cannot run is refused (no fallback, no fault); the
    /// options are checked.
    @Test func forcedUnsupportedVariantAndBadOptions() throws {
        let folder = try TemporaryFolder()
        let example = packageRoot.appendingPathComponent("Examples/conv-relu/model.webnn").path
        let library = folder.path("libmodel.so")
        let compile = try webnnc([example, "-o", library, "--variants=x86-64-v3,sapphirerapids", "-j", "2"])
        try #require(compile.status == 0, "\(compile.standardError)")
        let image = packageRoot.appendingPathComponent("Examples/conv-relu/image.npy").path
        let sapphireRapids = ["WEBNNC_VARIANT": "sapphirerapids"]
        let forced = try webnnc(["run", library, "--input", "image=\(image)", "--output-dir", folder.path("out")],
                                environment: sapphireRapids)
        let described = try webnnc(["info", library], environment: sapphireRapids)
        let hostHasAMX = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?.contains("amx_tile") ?? false
        if hostHasAMX {
            print("forcedUnsupportedVariantAndBadOptions: this host has AMX; Sapphire Rapids code can run here")
        } else {
            #expect(forced.status == 1)
            #expect(forced.standardError.contains("needs a CPU this machine is not"), "\(forced.standardError)")
            // info still describes the library, and says that it cannot run here.
            #expect(described.status == 0, "\(described.standardError)")
            #expect(described.standardOutput.contains("cannot run here") && !described.standardOutput.contains("* ["))
        }
        for bad in [["--variants=x86-64-v3", "--mcpu=znver4"], ["--variants=x86-64-v3,,znver4"], ["-j", "0"]] {
            let result = try webnnc([example, "-o", folder.path("libbad.so")] + bad)
            #expect(result.status == 1, "\(bad): \(result.standardError)")
        }
        let unknown = try webnnc([example, "-o", folder.path("libbad.so"), "--variants=x86-64-v3,pentium-zen9"])
        #expect(unknown.status == 1 && unknown.standardError.contains("pentium-zen9"), "\(unknown.standardError)")
    }
}
