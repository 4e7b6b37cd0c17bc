import Foundation
import Testing
@testable import WebNNRuntime

#if canImport(Glibc)
import Glibc
#endif

@Suite struct RunTests {
    private let x = try! Tensor([0, 1, 2, 3, 4, 5] as [Float], shape: [2, 3])
    private let bias = Tensor(scalar: Float(0.5))
    private let expected: [Float] = [0.5, 1.5, 2.5, 3.5, 4.5, 5.5]

    /// How many runs of the loaded library at `path` got a parallel_for callback.
    private func parallelCalls(path: String, prefix: String) -> Int64 {
        let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL)!
        defer { dlclose(handle) }
        return dlsym(handle, "\(prefix)_parallel_calls")!.load(as: Int64.self)
    }

    @Test func runsOnThePool() throws {
        let path = try MockModel.build(prefix: "pooled")
        let model = try Model(path: path, threadPool: ThreadPool(threads: 3))
        let outputs = try model.run(inputs: ["x": x, "bias": bias])
        #expect(Array(outputs.keys) == ["y"])
        #expect(outputs["y"]?.shape == [2, 3])
        #expect(try outputs["y"]?.values(as: Float.self) == expected)
        #expect(parallelCalls(path: path, prefix: "pooled") == 1)
    }

    @Test func runsSeriallyWithOneThread() throws {
        let path = try MockModel.build(prefix: "serial")
        let model = try Model(path: path, threadPool: ThreadPool(threads: 1))
        #expect(try model.run(inputs: ["x": x, "bias": bias])["y"]?.values(as: Float.self) == expected)
        #expect(parallelCalls(path: path, prefix: "serial") == 0)
    }

    @Test func runsOnCallerOwnedBuffers() throws {
        let model = try Model(path: try MockModel.build())
        var output = [Float](repeating: 0, count: 6)
        try [Float](repeating: 1, count: 6).withUnsafeBytes { xBytes in
            try [Float(2)].withUnsafeBytes { biasBytes in
                try output.withUnsafeMutableBytes { outputBytes in
                    try model.run(inputs: [xBytes.baseAddress!, biasBytes.baseAddress!], outputs: [outputBytes.baseAddress!])
                }
            }
        }
        #expect(output == [Float](repeating: 3, count: 6))
        let pointer = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 64)
        defer { pointer.deallocate() }
        #expect(throws: RunError.bufferCountMismatch(kind: "input", expected: 2, actual: 1)) {
            try model.run(inputs: [UnsafeRawPointer(pointer)], outputs: [pointer])
        }
        #expect(throws: RunError.bufferCountMismatch(kind: "output", expected: 1, actual: 2)) {
            try model.run(inputs: [UnsafeRawPointer(pointer), UnsafeRawPointer(pointer)], outputs: [pointer, pointer])
        }
    }

    /// A profiled run goes through `P_run_profiled` with one tick entry per described step.
    @Test func profiledRunsCountTicksPerStep() throws {
        let model = try Model(path: try MockModel.build())
        #expect(model.steps == [Model.Step(label: "y", kernel: "MockAdd")])
        var output = [Float](repeating: 0, count: 6)
        var ticks: [UInt64] = [0]
        try [Float](repeating: 1, count: 6).withUnsafeBytes { xBytes in
            try [Float(2)].withUnsafeBytes { biasBytes in
                try output.withUnsafeMutableBytes { outputBytes in
                    try ticks.withUnsafeMutableBufferPointer { stepTicks in
                        for _ in 0..<2 {
                            try model.run(inputs: [xBytes.baseAddress!, biasBytes.baseAddress!], outputs: [outputBytes.baseAddress!],
                                          stepTicks: stepTicks)
                        }
                    }
                }
            }
        }
        #expect(output == [Float](repeating: 3, count: 6))
        #expect(ticks == [2])
        var tooMany: [UInt64] = [0, 0]
        #expect(throws: RunError.bufferCountMismatch(kind: "step tick", expected: 1, actual: 2)) {
            try tooMany.withUnsafeMutableBufferPointer { try model.run(inputs: [], outputs: [], stepTicks: $0) }
        }
    }

    @Test func rejectsUnknownInputsWithASuggestion() throws {
        let model = try Model(path: try MockModel.build())
        let error = #expect(throws: RunError.unknownInput(name: "bais", suggestion: "bias", inputs: ["x", "bias"])) {
            try model.run(inputs: ["x": x, "bais": bias])
        }
        #expect(error?.description == "run: unknown input 'bais' (did you mean 'bias'?); the model's inputs are 'x', 'bias'")
        #expect(throws: RunError.unknownInput(name: "temperature", suggestion: nil, inputs: ["x", "bias"])) {
            try model.run(inputs: ["x": x, "bias": bias, "temperature": bias])
        }
    }

    @Test func rejectsMissingInputs() throws {
        let model = try Model(path: try MockModel.build())
        let error = #expect(throws: RunError.missingInput(model.inputs[1])) { try model.run(inputs: ["x": x]) }
        #expect(error?.description == "run: missing input bias: float32[]")
    }

    @Test func rejectsWrongDataTypesAndShapes() throws {
        let model = try Model(path: try MockModel.build())
        let error = #expect(throws: RunError.dataTypeMismatch(input: "x", expected: .float32, actual: .int32)) {
            try model.run(inputs: ["x": Tensor([0, 1, 2, 3, 4, 5] as [Int32], shape: [2, 3]), "bias": bias])
        }
        #expect(error?.description == "run: input 'x' has data type int32, expected float32")
        #expect(throws: RunError.shapeMismatch(input: "x", expected: [2, 3], actual: [3, 2])) {
            try model.run(inputs: ["x": Tensor([0, 1, 2, 3, 4, 5] as [Float], shape: [3, 2]), "bias": bias])
        }
        #expect(throws: RunError.shapeMismatch(input: "bias", expected: [], actual: [1])) {
            try model.run(inputs: ["x": x, "bias": Tensor([1] as [Float], shape: [1])])
        }
    }

    @Test(arguments: [(Int32(1), RunError.nullArgument), (2, .unsupportedCPU), (3, .misalignedScratch), (42, .unknownStatus(42))])
    func turnsStatusesIntoErrors(status: Int32, error: RunError) throws {
        let model = try Model(path: try MockModel.build(defines: ["RUN_STATUS=\(status)"]))
        #expect(throws: error) { try model.run(inputs: ["x": x, "bias": bias]) }
        #expect(error.description.hasPrefix("run: "))
    }

    @Test func runsConcurrentlyOnOneModel() throws {
        let model = try Model(path: try MockModel.build(prefix: "concurrent"), threadPool: ThreadPool(threads: 2))
        let failures = Failures()
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            for iteration in 0..<50 {
                let bias = Float(worker * 1000 + iteration)
                do {
                    let y = try model.run(inputs: ["x": x, "bias": Tensor(scalar: bias)])["y"]?.values(as: Float.self)
                    if y != [0, 1, 2, 3, 4, 5].map({ $0 + bias }) { failures.record("bias \(bias): got \(String(describing: y))") }
                } catch {
                    failures.record("bias \(bias): \(error)")
                }
            }
        }
        #expect(failures.messages.isEmpty)
    }
}

/// Messages recorded from several threads.
private final class Failures: @unchecked Sendable {
    private let lock = NSLock()
    private var recorded: [String] = []
    func record(_ message: String) { lock.withLock { recorded.append(message) } }
    var messages: [String] { lock.withLock { recorded } }
}
