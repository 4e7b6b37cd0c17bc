import Foundation
import Testing
import WebNNBasics
@testable import WebNNCodeGen
import WebNNIR
import WebNNLowering
import WebNNReference

/// Libraries that carry several CPU variants of their kernels and choose one by CPUID when they
/// run (docs/abi.md, "Variants"). The expectations are computed from this host's features, so
/// they hold on any x86-64 machine; the output says which variant ran.
@Suite struct VariantTests {
    typealias Int32Function = @convention(c) () -> Int32

    /// Whether this host passes the CPUID check of a variant: it has every checked feature.
    static func hostRuns(_ variant: LibraryDescription.VariantDescription) throws -> Bool {
        let host = Set(try ResolvedTarget(TargetOptions()).enabledFeatures)
        return variant.features.split(separator: ",").map { String($0.dropFirst()) }
            .allSatisfy { CPUIDBit.byLLVMFeature[$0] == nil || host.contains($0) }
    }

    static func options(_ variants: [String], prefix: String = "model") throws -> CodeGenOptions {
        var options = CodeGenOptions(prefix: prefix)
        options.variants = try variants.map(TargetVariant.init)
        return options
    }

    /// An int8 (quantizedConv2d, nhwc, 3×3) graph whose packing differs per variant.
    static func int8Graph(seed: UInt64) throws -> GraphMaker {
        try QuantizedConv2dTests.randomGraph(seed: seed, round: 3, nhwc: true, depthwise: false, smallWeights: false,
                                             signedInput: false, zeroPadding: true)
    }

    /// Builds the library, checks that it runs the first variant (most capable first) this host
    /// can run and that its outputs equal the interpreter's (serial and parallel); returns the
    /// index of the variant that ran.
    @discardableResult
    static func expectBestVariantMatchesReference(_ variants: [String], seed: UInt64) throws -> Int {
        let maker = try int8Graph(seed: seed)
        let library = try GeneratedLibrary(try Lowering.lower(maker.graph), options: try options(variants))
        let described = library.compiled.description.variants
        #expect(Set(described.map(\.name)) == Set(variants))
        let expected = try described.firstIndex { try hostRuns($0) } ?? -1
        let chosen = Int(try library.symbol("variant", as: Int32Function.self)())
        #expect(chosen == expected)
        print("variants \(described.map(\.name)): this host runs [\(chosen)] \(chosen >= 0 ? described[chosen].name : "none"),"
              + " kernel \(chosen >= 0 ? described[chosen].kernels[0] : "-")")
        let inputs = maker.graph.inputs.map { maker.inputs[maker.graph[$0].name]! }
        let serial = try library.run(data: inputs)
        let parallel = try library.run(data: inputs, parallelFor: concurrentParallelFor)
        guard chosen >= 0 else {
            #expect(serial.status == 2 && parallel.status == 2)
            return chosen
        }
        #expect(serial.status == 0 && parallel.status == 0, "seed \(seed)")
        let expectedOutput = try Interpreter(maker.graph).run(maker.inputs)[maker.graph[maker.graph.outputs[0]].name]!
        #expect(serial.outputs[0].bytes == expectedOutput.bytes, "seed \(seed): \(described[chosen].name) differs from the interpreter")
        #expect(parallel.outputs[0].bytes == serial.outputs[0].bytes, "seed \(seed)")
        return chosen
    }

    /// AVX2, AVX-VNNI and AVX-512 + VNNI variants: the best this host has runs (on an Ice Lake
    /// server, the AVX-512 VNNI one) and equals the interpreter.
    @Test func int8LibraryRunsTheBestVariant() throws {
        try Self.expectBestVariantMatchesReference(["x86-64-v3", "x86-64-v3+avxvnni", "x86-64-v4+avx512vnni"], seed: testSeed())
    }

    /// With only variants this host lacks above it (AVX-VNNI, and Sapphire Rapids' AMX and
    /// AVX512-FP16), the AVX2 variant runs, and equals the interpreter.
    @Test func avx2VariantRunsWhereNothingBetterFits() throws {
        let chosen = try Self.expectBestVariantMatchesReference(["sapphirerapids", "x86-64-v3+avxvnni", "x86-64-v3"], seed: testSeed())
        if chosen != 2 { print("avx2VariantRunsWhereNothingBetterFits: this host runs a better variant than AVX2 (\(chosen))") }
    }

    /// No variant this CPU can run: every entry point says WEBNNC_ERROR_UNSUPPORTED_CPU.
    @Test func noFittingVariantIsUnsupported() throws {
        let library = try GeneratedLibrary(tinyProgram(), options: try Self.options(["x86-64-v3+avxvnni+avx512fp16", "sapphirerapids"]))
        let fits = try library.compiled.description.variants.contains { try Self.hostRuns($0) }
        let checkCPU = try library.symbol("check_cpu", as: Int32Function.self)()
        let variant = try library.symbol("variant", as: Int32Function.self)()
        let status = try library.run([[1, 2, 3, 4, 5, 6], [1, 1, 1]]).status
        if fits {
            print("noFittingVariantIsUnsupported: this host runs AVX-VNNI + AVX512-FP16 or Sapphire Rapids; checking it runs")
            #expect(checkCPU == 0 && variant >= 0 && status == 0)
        } else {
            #expect(checkCPU == 2 && variant == -1 && status == 2)
        }
    }

    /// The objects of the AVX512-VNNI variant use `vpdpbusd`; those of the AVX2 variant do not
    /// (objdump of the linked library, whose local symbols name each variant's functions).
    @Test func vpdpbusdOnlyInTheVNNIVariant() throws {
        let maker = try Self.int8Graph(seed: 7)
        let library = try GeneratedLibrary(try Lowering.lower(maker.graph), options: try Self.options(["x86-64-v3", "x86-64-v4+avx512vnni"]))
        let names = library.compiled.description.variants.map(\.name)
        #expect(names == ["x86-64-v4+avx512vnni", "x86-64-v3"])
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["objdump", "-d", "--no-show-raw-insn", library.libraryPath]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let disassembly = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "objdump failed")
        /// The instructions of the functions whose symbols start with `prefix`.
        func code(_ prefix: String) -> String {
            disassembly.components(separatedBy: "\n\n").filter { $0.contains("<\(prefix)") }.joined(separator: "\n")
        }
        let vnni = code("model.v0."), avx2 = code("model.v1.")
        #expect(vnni.contains("vpdpbusd") && vnni.contains("zmm"))
        #expect(!avx2.isEmpty && !avx2.contains("vpdpbusd") && !avx2.contains("zmm"))
        #expect(avx2.contains("vpmaddubsw") || avx2.contains("vpmaddwd"))
    }

    /// The generated code does not depend on how many threads compiled it.
    @Test func codeIsTheSameForAnyNumberOfThreads() throws {
        let program = try Lowering.lower(try Self.int8Graph(seed: 3).graph)
        var options = try Self.options(["x86-64-v3", "x86-64-v4+avx512vnni"])
        options.threads = 1
        let serial = try CodeGen.compile(program, options: options).emit(.assembly)
        options.threads = 3
        #expect(try CodeGen.compile(program, options: options).emit(.assembly) == serial)
    }

    @Test func badVariants() throws {
        #expect(throws: CodeGenError.self) { try TargetVariant("x86-64-v3++avx2") }
        #expect(throws: CodeGenError.self) { try TargetVariant("") }
        #expect(throws: CodeGenError.self) { try CodeGen.compile(tinyProgram(), options: try Self.options(["x86-64-v3", "x86-64-v3"])) }
        #expect(throws: CodeGenError.self) { try CodeGen.compile(tinyProgram(), options: try Self.options(["x86-64-v3", "pentium-zen9"])) }
        var withCPU = try Self.options(["x86-64-v3"])
        withCPU.target.cpu = "znver4"
        #expect(throws: CodeGenError.self) { try CodeGen.compile(tinyProgram(), options: withCPU) }
        var arm = try Self.options(["x86-64-v3", "x86-64-v4"])
        arm.target.triple = "aarch64-linux-gnu"
        #expect(throws: CodeGenError.self) { try CodeGen.compile(tinyProgram(), options: arm) }
        let parsed = try TargetVariant("x86-64-v3+avxvnni+avx512vnni")
        #expect(parsed.cpu == "x86-64-v3" && parsed.features == "+avxvnni,+avx512vnni")
    }
}
