import Foundation
import Testing
import WebNNRuntime

/// The `webnnc` executable: its commands, outputs, errors and exit codes.
@Suite struct CommandLineTests {
    let exampleFolder = packageRoot.appendingPathComponent("Examples/conv-relu")
    var example: String { exampleFolder.appendingPathComponent("model.webnn").path }
    var image: String { exampleFolder.appendingPathComponent("image.npy").path }

    @Test func compileRunAndInfo() throws {
        let folder = try TemporaryFolder()
        let compile = try webnnc([example, "-o", folder.path("libmodel.so")])
        #expect(compile.status == 0, "\(compile.standardError)")
        #expect(FileManager.default.fileExists(atPath: folder.path("libmodel.h")))

        let info = try webnnc(["info", folder.path("libmodel.so")])
        #expect(info.status == 0)
        #expect(info.standardOutput.contains("image: float32 [1, 3, 32, 32]"))
        #expect(info.standardOutput.contains("act1: float32 [1, 16, 32, 32]"))

        let run = try webnnc(["run", folder.path("libmodel.so"), "--input", "image=\(image)", "--output-dir", folder.path("out")])
        #expect(run.status == 0, "\(run.standardError)")
        let interpreted = try webnnc(["run", example, "--interpret", "--input", "image=\(image)", "--output-dir", folder.path("ref")])
        #expect(interpreted.status == 0, "\(interpreted.standardError)")
        let compiled = try NPY.read(URL(fileURLWithPath: folder.path("out/act1.npy"))).values(as: Float.self)
        let reference = try NPY.read(URL(fileURLWithPath: folder.path("ref/act1.npy"))).values(as: Float.self)
        #expect(compiled.count == 16 * 32 * 32)
        #expect(zip(compiled, reference).allSatisfy { abs($0 - $1) <= 1e-5 * max(1, abs($1)) })
    }

    /// `info` describes a library built for a CPU this machine is not (AMX, absent on these
    /// machines), saying it cannot run here, where `run` refuses it with the CPU it needs.
    @Test func infoDescribesALibraryThisCPUCannotRun() throws {
        let folder = try TemporaryFolder()
        let compile = try webnnc([example, "--mcpu=x86-64", "--mattr=+amx-tile,+avx2", "-o", folder.path("libamx.so")])
        #expect(compile.status == 0, "\(compile.standardError)")
        let runsHere = try ModelDescription(path: folder.path("libamx.so")).variant != nil
        print("infoDescribesALibraryThisCPUCannotRun: this CPU \(runsHere ? "has AMX: the library runs" : "lacks AMX")")
        let info = try webnnc(["info", folder.path("libamx.so")])
        #expect(info.status == 0, "\(info.standardError)")
        #expect(info.standardOutput.contains("image: float32 [1, 3, 32, 32]"))
        #expect(info.standardOutput.contains("+amx-tile"))
        #expect(info.standardOutput.contains("cannot run here") == !runsHere)
        let run = try webnnc(["run", folder.path("libamx.so"), "--input", "image=\(image)", "--output-dir", folder.path("out")])
        #expect(run.status == (runsHere ? 0 : 1))
        if !runsHere { #expect(run.standardError.contains("needs a CPU this machine is not")) }
    }

    @Test func cProgramLinksTheLibrary() throws {
        let folder = try TemporaryFolder()
        #expect(try webnnc([example, "-o", folder.path("libmodel.so")]).status == 0)
        let build = Process()
        build.executableURL = URL(fileURLWithPath: "/usr/bin/cc")
        build.arguments = ["-pthread", packageRoot.appendingPathComponent("Examples/c-app/main.c").path, "-I", folder.url.path,
                           "-L", folder.url.path, "-lmodel", "-Wl,-rpath,\(folder.url.path)", "-o", folder.path("app")]
        try build.run()
        build.waitUntilExit()
        #expect(build.terminationStatus == 0)
        let app = Process()
        app.executableURL = URL(fileURLWithPath: folder.path("app"))
        app.standardOutput = FileHandle.nullDevice
        try app.run()
        app.waitUntilExit()
        #expect(app.terminationStatus == 0)
    }

    @Test func dumpIsValidInputThatPrintsTheSame() throws {
        let folder = try TemporaryFolder()
        let dump = try webnnc([example, "--dump-ir"])
        #expect(dump.status == 0)
        #expect(dump.standardOutput.contains("conv1 = conv2d(image, conv1_w, padding=[1, 1, 1, 1], bias=conv1_b);"))
        let emitted = try webnnc([example, "--emit=ir", "-o", folder.path("dump.webnn")])
        #expect(emitted.status == 0, "\(emitted.standardError)")
        #expect(FileManager.default.fileExists(atPath: folder.path("dump.weights")))
        let again = try webnnc([folder.path("dump.webnn"), "--dump-ir"])
        #expect(again.status == 0, "\(again.standardError)")
        // --emit=ir writes the optimized graph (conv1 + relu fused and run in nhwc at -O3); read
        // back, it prints the same.
        #expect(again.standardOutput == (try String(contentsOfFile: folder.path("dump.webnn"), encoding: .utf8)))
        #expect(again.standardOutput.contains(
            "act1_nhwc = conv2d(image_nhwc, conv1_w, padding=[1, 1, 1, 1], inputLayout=\"nhwc\", bias=conv1_b, fusedActivation=\"relu\");"))
        #expect(try webnnc([folder.path("dump.webnn"), "-o", folder.path("libagain.so")]).status == 0)
    }

    @Test func optRunsPassesTextToText() throws {
        let golden = packageRoot.appendingPathComponent("Tests/WebNNTransformsTests/Golden")
        let fused = try webnnc(["opt", golden.appendingPathComponent("fuse-epilogues-conv.webnn").path, "--passes=fuse-epilogues"])
        #expect(fused.status == 0, "\(fused.standardError)")
        let expected = try String(contentsOf: golden.appendingPathComponent("fuse-epilogues-conv.expected.webnn"), encoding: .utf8)
        #expect(fused.standardOutput == expected)

        // Large weights need -o: they are written beside the .webnn, which compiles again to the same numbers.
        let toStdout = try webnnc(["opt", example, "-O2"])
        #expect(toStdout.status == 1 && toStdout.standardError.contains("-o"))
        let folder = try TemporaryFolder()
        let optimized = try webnnc(["opt", example, "-O2", "-o", folder.path("opt.webnn")])
        #expect(optimized.status == 0, "\(optimized.standardError)")
        #expect(FileManager.default.fileExists(atPath: folder.path("opt.weights")))
        #expect(try String(contentsOfFile: folder.path("opt.webnn"), encoding: .utf8).contains("fusedActivation=\"relu\""))
        for (graph, name) in [(example, "original"), (folder.path("opt.webnn"), "opt")] {
            #expect(try webnnc([graph, "-o", folder.path("lib\(name).so")]).status == 0)
            let run = try webnnc(["run", folder.path("lib\(name).so"), "--input", "image=\(image)", "--output-dir", folder.path(name)])
            #expect(run.status == 0, "\(run.standardError)")
        }
        let original = try NPY.read(URL(fileURLWithPath: folder.path("original/act1.npy"))).values(as: Float.self)
        let again = try NPY.read(URL(fileURLWithPath: folder.path("opt/act1.npy"))).values(as: Float.self)
        #expect(original.count == 16 * 32 * 32 && again == original)
    }

    @Test func quantizeWritesAnInt8GraphAndReportsAgreement() throws {
        // The example's convolution + relu, then a pool and a float sigmoid.
        let folder = try TemporaryFolder()
        for file in ["model.manifest.json", "model.weights"] {
            try FileManager.default.copyItem(at: exampleFolder.appendingPathComponent(file), to: folder.url.appendingPathComponent(file))
        }
        let graph = try folder.write("model.webnn", """
            webnn_graph "pooled" v1 {
              inputs { image: f32[1, 3, 32, 32]; }
              consts { conv1_w: f32[16, 3, 3, 3]; conv1_b: f32[16]; }
              nodes {
                conv1 = conv2d(image, conv1_w, bias=conv1_b, padding=[1, 1, 1, 1]);
                act1 = relu(conv1);
                pooled = averagePool2d(act1);
                out = sigmoid(pooled);
              }
              outputs { out; }
            }
            """)
        try FileManager.default.createDirectory(atPath: folder.path("calib"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: image, toPath: folder.path("calib/0.npy"))
        let result = try webnnc(["quantize", graph, "--calibration", folder.path("calib"), "-o", folder.path("int8.webnn"),
                                 "--calibration-method", "percentile"])
        #expect(result.status == 0, "\(result.standardError)")
        #expect(result.standardOutput.contains("fuse-qdq: 1 integer convolution, no float conv2d/gemm/matmul left reading dequantized values"))
        #expect(result.standardOutput.contains("out: argmax agreement 100.00 % (1/1)"))
        let written = try String(contentsOfFile: folder.path("int8.webnn"), encoding: .utf8)
        #expect(written.contains("act1_quantized = quantizeLinear(act1, act1_scale, act1_zero_point);"))
        #expect(try webnnc([folder.path("int8.webnn"), "-o", folder.path("libint8.so")]).status == 0)

        let missing = try webnnc(["quantize", graph, "--calibration", folder.path("nothing"), "-o", folder.path("x.webnn")])
        #expect(missing.status == 1 && missing.standardError.contains("nothing: no such folder"))
        let method = try webnnc(["quantize", graph, "--calibration", folder.path("calib"), "-o", folder.path("x.webnn"), "--calibration-method", "entropy"])
        #expect(method.status == 1 && method.standardError.contains("expected minmax or percentile"))
    }

    @Test(arguments: ["llvm", "asm", "header"]) func emitsText(kind: String) throws {
        let result = try webnnc([example, "--emit=\(kind)"])
        #expect(result.status == 0, "\(result.standardError)")
        let marker = ["llvm": "define", "asm": "conv_relu_run", "header": "conv_relu_run("][kind]!
        #expect(result.standardOutput.contains(marker))
    }

    @Test func sourceErrorsPointAtTheLine() throws {
        let folder = try TemporaryFolder()
        let graph = try folder.write("bad.webnn", """
            webnn_graph "bad" v1 {
              inputs { x: f32[1, 3, 8, 8]; }
              consts { w: f32[4, 4, 3, 3] @scalar(1); }
              nodes { y = conv2d(x, w); }
              outputs { y; }
            }
            """)
        let result = try webnnc([graph, "-o", folder.path("libbad.so")])
        #expect(result.status == 1)
        #expect(result.standardError.contains("bad.webnn:4:15: error: conv2d: filter input channels (4) x groups (1) != input channels (3)"))
        #expect(result.standardError.contains("  nodes { y = conv2d(x, w); }"))
    }

    @Test func runRejectsWrongInputs() throws {
        let folder = try TemporaryFolder()
        #expect(try webnnc([example, "-o", folder.path("libmodel.so")]).status == 0)
        let small = try Tensor([Float](repeating: 1, count: 12), shape: [1, 3, 2, 2])
        try NPY.write(small, to: URL(fileURLWithPath: folder.path("small.npy")))
        let wrongShape = try webnnc(["run", folder.path("libmodel.so"), "--input", "image=\(folder.path("small.npy"))"], in: folder.url)
        #expect(wrongShape.status == 1)
        #expect(wrongShape.standardError.contains("image"))
        #expect(wrongShape.standardError.contains("[1, 3, 32, 32]"))

        try folder.write("broken.npy", "\u{93}NUMPY garbage")
        let broken = try webnnc(["run", folder.path("libmodel.so"), "--input", "image=\(folder.path("broken.npy"))"], in: folder.url)
        #expect(broken.status == 1)

        let missing = try webnnc(["run", folder.path("libmodel.so")], in: folder.url)
        #expect(missing.status == 1)
        #expect(missing.standardError.contains("image"))
    }

    @Test func usageErrorsExitWithOne() throws {
        #expect(try webnnc([example, "-O7"]).status == 1)
        #expect(try webnnc(["/nonexistent/model.webnn"]).status == 1)
        #expect(try webnnc(["info", "/nonexistent/libx.so"]).status == 1)
        let help = try webnnc(["--help"])
        #expect(help.status == 0 && help.standardOutput.contains("webnnc run"))
    }
}
