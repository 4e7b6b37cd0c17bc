import Foundation

/// A webnnc-generated shared library loaded through its C ABI (docs/abi.md), ready to run.
///
/// Runs may happen concurrently from several threads: each gets its own scratch.
public final class Model: Sendable, CustomStringConvertible {
    /// The ABI version this runtime implements (`WEBNNC_ABI_VERSION`).
    public static let abiVersion: Int32 = 1

    /// The library's path, as given.
    public var path: String { library.path }
    /// The prefix P of the library's symbols (`P_run`, ...).
    public var prefix: String { library.prefix }
    /// The graph's name.
    public let name: String
    /// The compiler that made the library, like `webnnc 0.1.0 (LLVM 19.1.7)`.
    public let compilerVersion: String
    /// What the code was compiled for.
    public let target: Target
    public let inputs: [TensorInfo]
    public let outputs: [TensorInfo]
    /// Bytes of scratch a run needs.
    public let scratchSize: Int
    /// The library's own description (`P_describe`), a JSON object.
    public let descriptionJSON: String
    /// The steps a run executes, in order (what `run(inputs:outputs:stepTicks:)` times), with
    /// the kernels of the variant that runs.
    public let steps: [Step]
    /// The index in `target.variants` of the variant runs use on this CPU (0 for a library
    /// without variants).
    public let variant: Int
    /// The pool that runs the library's parallel tasks; with one thread, runs are serial.
    public let threadPool: ThreadPool

    private let library: ModelLibrary
    private let scratch: ScratchPool

    /// Loads the library at `path` (a file path). Its symbol prefix is found in its dynamic
    /// symbol table unless `prefix` is given. Checks the ABI version and the CPU, and that the
    /// description JSON agrees with the query functions.
    public init(path: String, prefix: String? = nil, threadPool: ThreadPool = .shared) throws {
        library = try ModelLibrary(path: path, prefix: prefix)
        self.threadPool = threadPool
        let described = try ModelDescription(library)
        guard let variant = described.variant else {
            throw ModelError.unsupportedCPU(path: path, compiledFor: described.cpuFeatures)
        }
        self.variant = variant
        descriptionJSON = described.json
        let library = self.library
        inputs = try (0..<library.inputCount()).map { try library.tensorInfo(output: false, index: $0) }
        outputs = try (0..<library.outputCount()).map { try library.tensorInfo(output: true, index: $0) }
        name = string(library.modelName())
        compilerVersion = string(library.compilerVersion())
        target = described.target
        scratchSize = Int(library.scratchSize())
        guard scratchSize >= 0 else {
            throw ModelError.badDescription(path: path, detail: "negative scratch size \(scratchSize)")
        }
        scratch = ScratchPool(byteCount: scratchSize)
        steps = described.steps
        try checkAgreement(with: described)
    }

    /// Throws unless the description JSON says what the query functions say.
    private func checkAgreement(with described: ModelDescription) throws {
        func check<Value: Equatable>(_ field: String, _ json: Value, _ queried: Value) throws {
            guard json == queried else {
                throw ModelError.descriptionMismatch(
                    path: path, detail: "\"\(field)\" is \(json) in the JSON, \(queried) from the query functions")
            }
        }
        try check("prefix", described.prefix, prefix)
        try check("name", described.name, name)
        try check("compiler", described.compilerVersion, compilerVersion)
        try check("scratchSize", described.scratchSize, scratchSize)
        try check("inputs", described.inputs, inputs)
        try check("outputs", described.outputs, outputs)
    }

    /// Runs the model on `inputs`, keyed by input name, and returns the outputs by name.
    /// Every input must be given, with the model's data type and shape.
    public func run(inputs given: [String: Tensor]) throws -> [String: Tensor] {
        let inputNames = inputs.map(\.name)
        for name in given.keys.sorted() where !inputNames.contains(name) {
            throw RunError.unknownInput(name: name, suggestion: closest(to: name, among: inputNames), inputs: inputNames)
        }
        let inputTensors = try inputs.map { info in
            guard let tensor = given[info.name] else { throw RunError.missingInput(info) }
            guard tensor.dataType == info.dataType else {
                throw RunError.dataTypeMismatch(input: info.name, expected: info.dataType, actual: tensor.dataType)
            }
            guard tensor.shape == info.shape else {
                throw RunError.shapeMismatch(input: info.name, expected: info.shape, actual: tensor.shape)
            }
            return tensor
        }
        let outputTensors = try outputs.map { try Tensor(uninitializedOf: $0.dataType, shape: $0.shape) }
        try withExtendedLifetime((inputTensors, outputTensors)) {
            try run(inputs: inputTensors.map { UnsafeRawPointer($0.baseAddress) }, outputs: outputTensors.map(\.baseAddress))
        }
        return Dictionary(uniqueKeysWithValues: zip(outputs.map(\.name), outputTensors))
    }

    /// Runs the model on caller-owned buffers, in the order of `inputs` and `outputs`, without
    /// copying. Each buffer must hold `byteSize` bytes of its tensor's data.
    ///
    /// With `stepTicks` (one entry per step), each step's time in time-stamp-counter ticks is
    /// added to its entry: a profile of where the time goes.
    public func run(inputs inputBuffers: [UnsafeRawPointer], outputs outputBuffers: [UnsafeMutableRawPointer],
                    stepTicks: UnsafeMutableBufferPointer<UInt64>? = nil) throws {
        if let stepTicks {
            guard library.runProfiled != nil else { throw RunError.noProfile(path: path) }
            guard stepTicks.count == steps.count else {
                throw RunError.bufferCountMismatch(kind: "step tick", expected: steps.count, actual: stepTicks.count)
            }
        }
        let ticks = stepTicks?.baseAddress
        let run = { (inputs: UnsafePointer<UnsafeRawPointer?>, outputs: UnsafePointer<UnsafeMutableRawPointer?>,
                     scratch: UnsafeMutableRawPointer?, parallelFor: ParallelForFunction?, pool: UnsafeMutableRawPointer?) in
            ticks == nil ? self.library.run(inputs, outputs, scratch, parallelFor, pool)
                : self.library.runProfiled!(inputs, outputs, scratch, parallelFor, pool, ticks)
        }
        guard inputBuffers.count == inputs.count else {
            throw RunError.bufferCountMismatch(kind: "input", expected: inputs.count, actual: inputBuffers.count)
        }
        guard outputBuffers.count == outputs.count else {
            throw RunError.bufferCountMismatch(kind: "output", expected: outputs.count, actual: outputBuffers.count)
        }
        let inputPointers: [UnsafeRawPointer?] = inputBuffers, outputPointers: [UnsafeMutableRawPointer?] = outputBuffers
        let status = scratch.withScratch { scratch in
            if threadPool.threads == 1 {
                return run(inputPointers, outputPointers, scratch, nil, nil)
            }
            return run(inputPointers, outputPointers, scratch, { poolContext, count, task, taskContext in
                guard let poolContext, let task else { return }
                let call = TaskCall(function: task, context: taskContext)
                Unmanaged<ThreadPool>.fromOpaque(poolContext).takeUnretainedValue()
                    .parallelFor(count: Int(count)) { call.function(call.context, Int64($0)) }
            }, Unmanaged.passUnretained(threadPool).toOpaque())
        }
        guard status == 0 else { throw RunError(status: status) }
    }

    /// A summary: name, prefix, compiler, target, inputs, outputs and scratch size.
    public var description: String {
        var lines = ["\(name) (prefix \(prefix)) by \(compilerVersion) for \(target.triple) \(target.cpu)"]
        lines += inputs.map { "  input  \($0) (\($0.byteSize) bytes)" }
        lines += outputs.map { "  output \($0) (\($0.byteSize) bytes)" }
        lines.append("  scratch \(scratchSize) bytes")
        return lines.joined(separator: "\n")
    }
}

/// A task of the library and its context, called from pool threads.
private struct TaskCall: @unchecked Sendable {  // the ABI lets tasks run concurrently
    let function: TaskFunction
    let context: UnsafeMutableRawPointer?
}

extension Model {
    /// One step of a run: the graph value it computes and the generated code that computes it
    /// (e.g. `FastConv2dKernel`; a general fallback path is named as such).
    public struct Step: Sendable, Equatable {
        public let label: String
        public let kernel: String
    }
}

/// A C string from the library, or "" for NULL.
func string(_ pointer: UnsafePointer<CChar>?) -> String {
    pointer.map { String(cString: $0) } ?? ""
}

/// The name in `names` closest to `name` by edit distance, if it is close enough to be a typo.
private func closest(to name: String, among names: [String]) -> String? {
    let scored = names.map { (name: $0, distance: editDistance(name, $0)) }
    guard let best = scored.min(by: { $0.distance < $1.distance }) else { return nil }
    return best.distance <= max(2, name.count / 3) ? best.name : nil
}

/// The Levenshtein distance between `a` and `b`, ignoring case.
private func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a.lowercased()), b = Array(b.lowercased())
    var previous = Array(0...b.count)
    for (i, characterOfA) in a.enumerated() {
        var current = [i + 1]
        for (j, characterOfB) in b.enumerated() {
            current.append(min(previous[j + 1] + 1, current[j] + 1, previous[j] + (characterOfA == characterOfB ? 0 : 1)))
        }
        previous = current
    }
    return previous[b.count]
}
