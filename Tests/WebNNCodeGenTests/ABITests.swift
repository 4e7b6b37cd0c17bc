import Foundation
import Testing
import WebNNBasics
@testable import WebNNCodeGen
import WebNNLowering

/// `y = relu(a + b)` with a [2, 3] + b [3], through a scratch intermediate.
func tinyProgram() -> KernelProgram {
    let a = TensorType(.float32, [2, 3]), b = TensorType(.float32, [3])
    return KernelProgram(
        name: "tiny add-relu", inputs: [ProgramTensor(name: "a", type: a), ProgramTensor(name: "b", type: b)],
        outputs: [ProgramTensor(name: "y", type: a)], constants: [], scratchSize: 64,
        steps: [KernelStep(.binary(.add), operands: [BufferRef(.input(0), a), BufferRef(.input(1), b)],
                           result: BufferRef(.scratch(byteOffset: 0), a)),
                KernelStep(.unary(.relu), operands: [BufferRef(.scratch(byteOffset: 0), a)], result: BufferRef(.output(0), a))])
}

@Suite struct ABITests {
    @Test func tinyKernelProgramRuns() throws {
        let library = try GeneratedLibrary(tinyProgram())
        let (status, outputs) = try library.run([[1, -2, 3, -4, 5, -6], [0.5, 0.5, 0.5]])
        #expect(status == 0)
        #expect(outputs[0] == [1.5, 0, 3.5, 0, 5.5, 0])
    }

    @Test func queriesAndDescribeJSON() throws {
        let library = try GeneratedLibrary(tinyProgram(), prefix: "tiny")
        typealias StringFunction = @convention(c) () -> UnsafePointer<CChar>
        typealias Int32Function = @convention(c) () -> Int32
        typealias Int64Function = @convention(c) () -> Int64
        typealias InfoFunction = @convention(c) (Int32) -> UnsafeRawPointer?
        #expect(try library.symbol("abi_version", as: Int32Function.self)() == 1)
        #expect(try library.symbol("num_inputs", as: Int32Function.self)() == 2)
        #expect(try library.symbol("num_outputs", as: Int32Function.self)() == 1)
        #expect(try library.symbol("scratch_size", as: Int64Function.self)() == 64)
        #expect(String(cString: try library.symbol("model_name", as: StringFunction.self)()) == "tiny add-relu")
        #expect(String(cString: try library.symbol("compiler_version", as: StringFunction.self)()).contains("(LLVM "))
        let inputInfo = try library.symbol("input_info", as: InfoFunction.self)
        #expect(inputInfo(2) == nil && inputInfo(-1) == nil)
        let info = try #require(inputInfo(1))
        #expect(String(cString: info.load(as: UnsafePointer<CChar>.self)) == "b")
        #expect(info.load(fromByteOffset: 8, as: Int32.self) == 0)   // float32
        #expect(info.load(fromByteOffset: 12, as: Int32.self) == 1)  // rank
        #expect(info.load(fromByteOffset: 16, as: UnsafePointer<Int64>.self).pointee == 3)
        #expect(info.load(fromByteOffset: 24, as: Int64.self) == 12)

        let json = String(cString: try library.symbol("describe", as: StringFunction.self)())
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(object["abiVersion"] as? Int == 1)
        #expect(object["prefix"] as? String == "tiny")
        #expect(object["scratchSize"] as? Int == 64)
        let inputs = try #require(object["inputs"] as? [[String: Any]])
        #expect(inputs.map { $0["name"] as? String } == ["a", "b"])
        #expect(inputs[0]["shape"] as? [Int] == [2, 3])
        #expect(inputs[0]["byteSize"] as? Int == 24)
        #expect((object["target"] as? [String: Any])?["cpu"] as? String != nil)
    }

    @Test func checkCPUSucceedsOnHost() throws {
        let library = try GeneratedLibrary(tinyProgram())
        typealias Int32Function = @convention(c) () -> Int32
        #expect(try library.symbol("check_cpu", as: Int32Function.self)() == 0)
    }

    @Test func checkCPURejectsMissingFeature() throws {
        // AMX is absent on this host (Zen 5); a library built for it must refuse to run.
        let options = CodeGenOptions(prefix: "amx", target: TargetOptions(cpu: "x86-64", features: "+amx-tile,+sse2"))
        let library = try GeneratedLibrary(tinyProgram(), prefix: "amx", options: options)
        typealias Int32Function = @convention(c) () -> Int32
        #expect(try library.symbol("check_cpu", as: Int32Function.self)() == 2)
        #expect(try library.run([[1, 2, 3, 4, 5, 6], [1, 1, 1]]).status == 2)
    }

    /// `--mcpu` alone implies features: a library for Zen 4 lists AVX-512 and checks it, so on a
    /// CPU without it `check_cpu` and `run` return WEBNNC_ERROR_UNSUPPORTED_CPU instead of the
    /// code faulting with SIGILL.
    @Test func checkCPUCoversTheFeaturesACPUImplies() throws {
        let host = try CodeGen.compile(tinyProgram(), options: CodeGenOptions(prefix: "host")).description
        let zen4 = try CodeGen.compile(tinyProgram(), options: CodeGenOptions(prefix: "zen4", target: TargetOptions(cpu: "znver4")))
            .description
        let hostFeatures = Set(host.features.split(separator: ","))
        let zen4Features = Set(zen4.features.split(separator: ","))
        #expect(zen4Features.isSuperset(of: ["+avx512f", "+avx512vnni", "+avx512bw", "+avx2", "+fma", "+sse4.2"]))
        let library = try GeneratedLibrary(tinyProgram(), prefix: "zen4",
                                           options: CodeGenOptions(prefix: "zen4", target: TargetOptions(cpu: "znver4")))
        typealias Int32Function = @convention(c) () -> Int32
        let status = try library.symbol("check_cpu", as: Int32Function.self)()
        // Features with a CPUID bit are checked; the rest (tuning flags, x87, ...) need none.
        let missing = zen4Features.subtracting(hostFeatures).filter { CPUIDBit.byLLVMFeature[String($0.dropFirst())] != nil }
        print("checkCPUCoversTheFeaturesACPUImplies: this host lacks \(missing.sorted()) of Zen 4's features")
        #expect(status == (missing.isEmpty ? 0 : 2))
        if !missing.isEmpty { #expect(try library.run([[1, 2, 3, 4, 5, 6], [1, 1, 1]]).status == 2) }
        // An explicit `-x` takes x and what depends on it away from the CPU's set.
        let noAVX512 = try CodeGen.compile(tinyProgram(), options: CodeGenOptions(
            prefix: "zen4", target: TargetOptions(cpu: "znver4", features: "-avx512f"))).description
        #expect(!noAVX512.features.contains("avx512") && noAVX512.features.contains("+avx2"))
    }

    @Test func unknownCPUIsAnError() throws {
        #expect(throws: CodeGenError.self) {
            try CodeGen.compile(tinyProgram(), options: CodeGenOptions(prefix: "x", target: TargetOptions(cpu: "pentium-zen9")))
        }
    }

    @Test func argumentChecks() throws {
        let library = try GeneratedLibrary(tinyProgram())
        let run = try library.symbol("run", as: GeneratedLibrary.RunFunction.self)
        let scratch = UnsafeMutableRawPointer.allocate(byteCount: 128, alignment: 64)
        defer { scratch.deallocate() }
        var a = [Float](repeating: 1, count: 6), b = [Float](repeating: 1, count: 3), y = [Float](repeating: 0, count: 6)
        try a.withUnsafeMutableBytes { aBytes in
            try b.withUnsafeMutableBytes { bBytes in
                try y.withUnsafeMutableBytes { yBytes in
                    let inputs: [UnsafeRawPointer?] = [UnsafeRawPointer(aBytes.baseAddress), UnsafeRawPointer(bBytes.baseAddress)]
                    let outputs: [UnsafeMutableRawPointer?] = [yBytes.baseAddress]
                    #expect(run(nil, outputs, scratch, nil, nil) == 1)
                    #expect(run([inputs[0], nil], outputs, scratch, nil, nil) == 1)
                    #expect(run(inputs, [nil], scratch, nil, nil) == 1)
                    #expect(run(inputs, outputs, nil, nil, nil) == 1)
                    #expect(run(inputs, outputs, scratch + 4, nil, nil) == 3)
                    #expect(run(inputs, outputs, scratch, nil, nil) == 0)
                    _ = try #require(yBytes.baseAddress)
                }
            }
        }
        #expect(y == [2, 2, 2, 2, 2, 2])
    }

    @Test func callerMXCSRIsRestored() throws {
        let library = try GeneratedLibrary(tinyProgram())
        let original = readMXCSR()
        defer { writeMXCSR(original) }
        // Round toward zero, flush-to-zero and denormals-are-zero: none of it may leak in or out.
        let unusual: UInt32 = 0x1F80 | 0x6000 | 0x8000 | 0x0040
        writeMXCSR(unusual)
        let denormal = Float(bitPattern: 0x0001_1111), threeQuartersULP = Float.ulpOfOne * 0.75
        let (status, outputs) = try library.run([[0, 1, 0, 0, 0, 0], [denormal, threeQuartersULP, 0]],
                                                parallelFor: concurrentParallelFor)
        let after = readMXCSR()
        writeMXCSR(original)
        #expect(status == 0)
        #expect(after == unusual)
        // The library ran with MXCSR 0x1F80: denormals kept, rounding to nearest.
        #expect(outputs[0][0] == denormal)
        #expect(outputs[0][1] == 1 + Float.ulpOfOne)
    }

    @Test func headerCompiles() throws {
        let library = try GeneratedLibrary(tinyProgram(), prefix: "tiny")
        let second = try CodeGen.compile(tinyProgram(), options: CodeGenOptions(prefix: "other"))
        let headerPath = library.directory.appendingPathComponent("libtiny.h").path
        let otherPath = library.directory.appendingPathComponent("libother.h").path
        try library.compiled.header.write(toFile: headerPath, atomically: true, encoding: .utf8)
        try second.header.write(toFile: otherPath, atomically: true, encoding: .utf8)
        let source = library.directory.appendingPathComponent("use.c").path
        try """
            #include "libtiny.h"
            #include "libother.h"
            int main(void) { return tiny_abi_version() == WEBNNC_ABI_VERSION && other_num_inputs() == 2 ? 0 : 1; }
            """.write(toFile: source, atomically: true, encoding: .utf8)
        let status = try runCommand(["cc", "-fsyntax-only", "-Wall", "-Werror", "-std=c99", source])
        #expect(status == 0)
    }

    @Test func emitsIRAndAssembly() throws {
        let compiled = try CodeGen.compile(tinyProgram(), options: CodeGenOptions(prefix: "tiny"))
        let ir = String(decoding: try compiled.emit(.llvmIR), as: UTF8.self)
        #expect(ir.range(of: "define [^\n]*i32 @tiny_run\\(", options: .regularExpression) != nil)
        let assembly = String(decoding: try compiled.emit(.assembly), as: UTF8.self)
        #expect(assembly.contains("tiny_run:"))
        #expect(!(try compiled.emit(.object)).isEmpty)
    }

    @Test func defaultPrefix() {
        #expect(CodeGen.defaultPrefix(forModelName: "Conv-Bias.ReLU") == "conv_bias_relu")
        #expect(CodeGen.defaultPrefix(forModelName: "3d net") == "_3d_net")
    }
}

/// Runs a command and returns its exit status.
func runCommand(_ arguments: [String]) throws -> Int32 {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    try process.run()
    process.waitUntilExit()
    return process.terminationStatus
}
