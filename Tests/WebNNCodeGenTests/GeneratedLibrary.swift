import Foundation
import WebNNBasics
import WebNNCodeGen
import WebNNLowering

/// A kernel program compiled, linked into a temporary shared library and loaded with dlopen.
final class GeneratedLibrary: @unchecked Sendable {  // immutable after init; runs use their own buffers
    typealias TaskFunction = @convention(c) (UnsafeMutableRawPointer?, Int64) -> Void
    typealias ParallelFor = @convention(c) (UnsafeMutableRawPointer?, Int64, TaskFunction?, UnsafeMutableRawPointer?) -> Void
    typealias RunFunction = @convention(c) (UnsafePointer<UnsafeRawPointer?>?, UnsafePointer<UnsafeMutableRawPointer?>?,
                                            UnsafeMutableRawPointer?, ParallelFor?, UnsafeMutableRawPointer?) -> Int32

    let program: KernelProgram
    let compiled: CompiledLibrary
    let directory: URL
    let libraryPath: String
    private let handle: UnsafeMutableRawPointer
    let prefix: String

    init(_ program: KernelProgram, prefix: String = "model", options: CodeGenOptions? = nil) throws {
        self.program = program
        self.prefix = prefix
        compiled = try CodeGen.compile(program, options: options ?? CodeGenOptions(prefix: prefix))
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("webnnc-codegen-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        libraryPath = directory.appendingPathComponent("lib\(prefix).so").path
        try compiled.linkSharedLibrary(to: libraryPath)
        guard let handle = dlopen(libraryPath, RTLD_NOW | RTLD_LOCAL) else {
            throw TestFailure("dlopen: \(String(cString: dlerror()))")
        }
        self.handle = handle
    }

    deinit {
        dlclose(handle)
        try? FileManager.default.removeItem(at: directory)
    }

    func symbol<T>(_ name: String, as type: T.Type) throws -> T {
        guard let address = dlsym(handle, "\(prefix)_\(name)") else { throw TestFailure("no symbol \(prefix)_\(name)") }
        return unsafeBitCast(address, to: type)
    }

    /// Runs the model on inputs of any data type (their bytes); returns the status and the outputs.
    func run(data inputs: [TensorData], parallelFor: ParallelFor? = nil) throws -> (status: Int32, outputs: [TensorData]) {
        let run = try symbol("run", as: RunFunction.self)
        let scratch = UnsafeMutableRawPointer.allocate(byteCount: max(program.scratchSize, 64), alignment: 64)
        defer { scratch.deallocate() }
        let inputPointers = inputs.map { data in
            let pointer = UnsafeMutableRawPointer.allocate(byteCount: max(data.bytes.count, 1), alignment: 64)
            data.bytes.withUnsafeBytes { pointer.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
            return pointer
        }
        defer { inputPointers.forEach { $0.deallocate() } }
        let outputPointers = program.outputs.map { output in
            let pointer = UnsafeMutableRawPointer.allocate(byteCount: max(output.type.byteSize, 1), alignment: 64)
            pointer.initializeMemory(as: UInt8.self, repeating: 0xA5, count: max(output.type.byteSize, 1))
            return pointer
        }
        defer { outputPointers.forEach { $0.deallocate() } }
        let inputArray: [UnsafeRawPointer?] = inputPointers.map { UnsafeRawPointer($0) }
        let outputArray: [UnsafeMutableRawPointer?] = outputPointers
        let status = run(inputArray, outputArray, scratch, parallelFor, nil)
        let outputs = zip(program.outputs, outputPointers).map { output, pointer in
            TensorData(type: output.type, bytes: Array(UnsafeRawBufferPointer(start: pointer, count: output.type.byteSize)))!
        }
        return (status, outputs)
    }

    /// Runs the model on float inputs; returns the status and the outputs.
    func run(_ inputs: [[Float]], parallelFor: ParallelFor? = nil, scratch: UnsafeMutableRawPointer? = nil) throws
        -> (status: Int32, outputs: [[Float]]) {
        let run = try symbol("run", as: RunFunction.self)
        var outputs = program.outputs.map { [Float](repeating: .nan, count: $0.type.elementCount) }
        let scratchSize = max(program.scratchSize, 64)
        let ownScratch = UnsafeMutableRawPointer.allocate(byteCount: scratchSize, alignment: 64)
        defer { ownScratch.deallocate() }
        let inputPointers = inputs.map { array in
            let pointer = UnsafeMutablePointer<Float>.allocate(capacity: max(array.count, 1))
            pointer.initialize(from: array, count: array.count)
            return pointer
        }
        defer { inputPointers.forEach { $0.deallocate() } }
        let outputPointers = outputs.map { UnsafeMutablePointer<Float>.allocate(capacity: max($0.count, 1)) }
        defer { outputPointers.forEach { $0.deallocate() } }
        let inputArray: [UnsafeRawPointer?] = inputPointers.map { UnsafeRawPointer($0) }
        let outputArray: [UnsafeMutableRawPointer?] = outputPointers.map { UnsafeMutableRawPointer($0) }
        let status = run(inputArray, outputArray, scratch ?? ownScratch, parallelFor, nil)
        for index in outputs.indices {
            outputs[index] = Array(UnsafeBufferPointer(start: outputPointers[index], count: outputs[index].count))
        }
        return (status, outputs)
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A parallel_for that runs the tasks on concurrent threads (Dispatch), in any order.
let concurrentParallelFor: GeneratedLibrary.ParallelFor = { _, count, task, context in
    let address = UInt(bitPattern: context)
    DispatchQueue.concurrentPerform(iterations: Int(count)) { index in
        task!(UnsafeMutableRawPointer(bitPattern: address), Int64(index))
    }
}

/// A parallel_for that runs the tasks in reverse order on the calling thread.
let reversedParallelFor: GeneratedLibrary.ParallelFor = { _, count, task, context in
    for index in (0..<count).reversed() { task!(context, index) }
}

/// The calling thread's MXCSR register (glibc keeps it in `fenv_t`).
func readMXCSR() -> UInt32 {
    var environment = fenv_t()
    fegetenv(&environment)
    return environment.__mxcsr
}

/// Sets the calling thread's MXCSR register.
func writeMXCSR(_ value: UInt32) {
    var environment = fenv_t()
    fegetenv(&environment)
    environment.__mxcsr = value
    fesetenv(&environment)
}
