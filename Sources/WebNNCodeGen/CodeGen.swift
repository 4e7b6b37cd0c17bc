import Foundation
import WebNNBasics
import WebNNLowering

/// Options of code generation.
public struct CodeGenOptions: Equatable, Sendable {
    /// The symbol prefix `P` of every exported function (a C identifier).
    public var prefix: String
    public var target: TargetOptions
    /// Several CPU variants of the kernels in one library, the best one the running CPU has
    /// chosen by CPUID (docs/abi.md); empty: one, for `target`. With variants, `target` gives
    /// only the triple and the optimization level.
    public var variants: [TargetVariant]
    /// Run with MXCSR 0x9FC0 (flush-to-zero, denormals-are-zero) instead of 0x1F80.
    public var flushDenormals: Bool
    /// Name and version of the compiler, e.g. `webnnc 0.1.0`; ` (LLVM x.y.z)` is appended.
    public var compilerName: String
    /// Run the VNNI integer kernels (8 lanes: AVX-VNNI's shape, 16: AVX512-VNNI's) with `vpdpbusd`
    /// replaced by an exact generic-IR equivalent, so they run and can be tested on any AVX2
    /// machine; nil: VNNI only where the target has it.
    public var vnniStandInLanes: Int?
    /// How many threads run LLVM at once (the kernels are split over several modules); the
    /// generated code is the same for any number.
    public var threads: Int

    public init(prefix: String, target: TargetOptions = TargetOptions(), flushDenormals: Bool = false,
                compilerName: String = "webnnc 0.1.0") {
        self.prefix = prefix
        self.target = target
        variants = []
        self.flushDenormals = flushDenormals
        self.compilerName = compilerName
        vnniStandInLanes = nil
        threads = ProcessInfo.processInfo.activeProcessorCount
    }
}

/// Compiles kernel programs to native code through LLVM.
public enum CodeGen {
    /// Builds, verifies and optimizes the LLVM modules of a library for `program`: one module
    /// with the entry points, the tables and the weights, and the kernels of each variant in
    /// modules of their own, built on `options.threads` threads.
    public static func compile(_ program: KernelProgram, options: CodeGenOptions) throws -> CompiledLibrary {
        guard isCIdentifier(options.prefix) else { throw CodeGenError.invalidPrefix(options.prefix) }
        let started = ContinuousClock.now
        var timings = CodeGenTimings()
        let targets = try resolveTargets(options)
        let variants = try timings.measure("pack weights, choose kernels") {
            try targets.map { try VariantProgram(program, target: $0, vnniStandIn: options.vnniStandInLanes) }
        }
        let libraryTarget = targets.count == 1 ? targets[0] : try targets[0].baseline()
        var description = LibraryDescription(
            prefix: options.prefix, modelName: program.name,
            compilerVersion: "\(options.compilerName) (LLVM \(LLVMTargets.version))",
            triple: libraryTarget.triple, cpu: libraryTarget.cpu,
            features: libraryTarget.enabledFeatureList, scratchSize: program.scratchSize,
            memoryPlan: MemoryPlanReport(program), inputs: program.inputs, outputs: program.outputs)
        description.steps = zip(program.steps, variants[0].kernels).map { .init(label: $0.label, kernel: $1.name) }
        if targets.count > 1 {
            description.variants = variants.map {
                .init(name: $0.target.name, cpu: $0.target.cpu, features: $0.target.enabledFeatureList, kernels: $0.kernels.map(\.name))
            }
        }

        let weights = WeightPool(variants)
        let units = [ModuleUnit.library] + variants.indices.flatMap { variant in
            variants[variant].bodyGroups.map { ModuleUnit.kernels(variant: variant, bodies: $0.bodies, pipeline: $0.pipeline) }
        }
        let threads = max(1, min(options.threads, units.count))
        let built = try parallelMap(units.count, threads: threads) { index -> (IRModule, CodeGenTimings) in
            var moduleTimings = CodeGenTimings()
            let module: IRModule
            var pipeline = OptimizationPipeline.standard
            switch units[index] {
            case .library:
                module = IRModule(name: options.prefix, machine: try TargetMachine(libraryTarget))
                moduleTimings.measure("emit IR") {
                    LibraryEmitter(module: module, description: description, variants: variants, weights: weights,
                                   flushDenormals: options.flushDenormals).emit()
                }
            case .kernels(let variant, let bodies, let kernelPipeline):
                pipeline = kernelPipeline
                module = IRModule(name: "\(options.prefix).v\(variant)", machine: try TargetMachine(variants[variant].target))
                moduleTimings.measure("emit IR") {
                    KernelModuleEmitter(module: module, variant: variants[variant],
                                        symbolPrefix: kernelSymbolPrefix(options.prefix, variant: variant),
                                        flushDenormals: options.flushDenormals).emit(bodies: bodies)
                }
            }
            try moduleTimings.measure("verify") { try module.verify() }
            try moduleTimings.measure("optimize (LLVM)") { try module.optimize(pipeline) }
            return (module, moduleTimings)
        }
        for (_, moduleTimings) in built { timings.merge(moduleTimings) }
        timings.modules = units.count
        timings.threads = threads
        timings.wallSeconds = (ContinuousClock.now - started).seconds
        return CompiledLibrary(modules: built.map(\.0), description: description, timings: timings, threads: threads)
    }

    /// The targets of the library, most capable first: `options.target`, or its variants.
    private static func resolveTargets(_ options: CodeGenOptions) throws -> [ResolvedTarget] {
        guard !options.variants.isEmpty else { return [try ResolvedTarget(options.target)] }
        guard options.target.cpu == nil && options.target.features == nil else {
            throw CodeGenError.unsupported("variants together with a CPU or features (each variant names its own)")
        }
        return try ResolvedTarget.variants(options.variants, triple: options.target.triple,
                                           optimizationLevel: options.target.optimizationLevel)
    }

    /// The default prefix for a model name (docs/abi.md): lower-case, every character that is
    /// not a letter or digit becomes `_`, and a leading digit (or an empty name) gets a `_`.
    public static func defaultPrefix(forModelName name: String) -> String {
        let mapped = String(name.lowercased().unicodeScalars.map { scalar -> Character in
            scalar.isASCII && (CharacterSet.alphanumerics.contains(scalar)) ? Character(scalar) : "_"
        })
        return mapped.first.map { $0.isNumber } ?? true ? "_" + mapped : mapped
    }

    private static func isCIdentifier(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, !("0"..."9").contains(first) else { return false }
        return text.unicodeScalars.allSatisfy { $0 == "_" || ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) }
    }
}

/// What one LLVM module of a library holds.
private enum ModuleUnit {
    /// The entry points, tables, weights, CPU dispatch and each variant's run loop.
    case library
    /// These step bodies of one variant, each with its task function, optimized by `pipeline`.
    case kernels(variant: Int, bodies: [Int], pipeline: OptimizationPipeline)
}

/// A compiled library: optimized LLVM modules, ready to be emitted and linked.
public final class CompiledLibrary {
    /// The library module first, then the kernel modules.
    private let modules: [IRModule]
    /// The library's self-description (`P_describe` and the header are made from it).
    public let description: LibraryDescription
    /// Where compiling (and linking, once done) spent its time.
    public private(set) var timings: CodeGenTimings
    private let threads: Int

    init(modules: [IRModule], description: LibraryDescription, timings: CodeGenTimings, threads: Int) {
        self.modules = modules
        self.description = description
        self.timings = timings
        self.threads = threads
    }

    /// The C header `libNAME.h`.
    public var header: String { description.header }

    /// Adds a phase that ran before code generation (lowering) to `timings`.
    public func addTiming(_ phase: String, cpuSeconds: Double, wallSeconds: Double) {
        timings.add(phase, cpuSeconds: cpuSeconds, wallSeconds: wallSeconds)
        timings.wallSeconds += wallSeconds
    }

    /// The library as IR text, assembly text or one object file: its modules linked into one
    /// (each function keeps the CPU and features of its variant).
    public func emit(_ kind: EmitKind) throws -> [UInt8] {
        guard modules.count > 1 else { return try modules[0].emit(kind) }
        return try IRModule(linking: modules).emit(kind)
    }

    /// Writes `emit(kind)` to `path`.
    public func write(_ kind: EmitKind, to path: String) throws {
        let bytes = try emit(kind)
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
            throw CodeGenError.emissionFailed("cannot write \(path)")
        }
    }

    /// Generates one object file per module (on the compile's threads) in a temporary folder
    /// beside `outputPath`, links the shared library `outputPath` with `cc`, and removes them.
    public func linkSharedLibrary(to outputPath: String, compiler: String = "cc") throws {
        let started = ContinuousClock.now
        let folder = outputPath + ".objects"
        try? FileManager.default.removeItem(atPath: folder)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let objects = modules.indices.map { "\(folder)/\($0).o" }
        let modules = self.modules
        let machineCode = try parallelMap(modules.count, threads: threads) { index in
            var moduleTimings = CodeGenTimings()
            try moduleTimings.measure("machine code (LLVM)") { try modules[index].writeObject(to: objects[index]) }
            return moduleTimings
        }
        for moduleTimings in machineCode { timings.merge(moduleTimings) }
        try timings.measure("link (\(compiler))") {
            try Linker.linkSharedLibrary(objectPaths: objects, outputPath: outputPath, compiler: compiler)
        }
        timings.wallSeconds += (ContinuousClock.now - started).seconds
    }
}

/// Where code generation spent its time (`webnnc --time-passes`): each phase's CPU time and wall
/// time, summed over the modules (which `threads` threads compile at once), and the wall time of
/// the whole. CPU times stay meaningful on a loaded machine.
public struct CodeGenTimings: Sendable {
    /// A phase: its summed CPU and wall seconds.
    public struct Phase: Sendable {
        public var name: String
        public var cpuSeconds: Double
        public var wallSeconds: Double
    }
    /// Phases in the order they first ran.
    public private(set) var phases: [Phase] = []
    public var wallSeconds = 0.0
    public var modules = 0
    public var threads = 1

    public init() {}

    /// Adds the times to phase `name`.
    public mutating func add(_ name: String, cpuSeconds: Double, wallSeconds: Double) {
        if let index = phases.firstIndex(where: { $0.name == name }) {
            phases[index].cpuSeconds += cpuSeconds
            phases[index].wallSeconds += wallSeconds
        } else {
            phases.append(Phase(name: name, cpuSeconds: cpuSeconds, wallSeconds: wallSeconds))
        }
    }

    /// Runs `body` on this thread, adding its CPU time (this thread's, plus that of the child
    /// processes it waited for) and wall time to phase `name`.
    public mutating func measure<Result>(_ name: String, _ body: () throws -> Result) rethrows -> Result {
        let (cpu, wall) = (cpuSeconds(), ContinuousClock.now)
        defer { add(name, cpuSeconds: cpuSeconds() - cpu, wallSeconds: (ContinuousClock.now - wall).seconds) }
        return try body()
    }

    mutating func merge(_ other: CodeGenTimings) {
        for phase in other.phases { add(phase.name, cpuSeconds: phase.cpuSeconds, wallSeconds: phase.wallSeconds) }
    }

    /// A table like the pass timing report's.
    public func report() -> String {
        let rule = "===" + String(repeating: "-", count: 58) + "===\n"
        var text = rule + "                  Code generation timing report\n" + rule
        text += String(format: "  Wall time: %.4f seconds (%d LLVM modules on %d threads)\n\n", wallSeconds, modules, threads)
        text += "     ---CPU---   ---Wall---  --- Phase (summed over threads) ---\n"
        func row(_ cpu: Double, _ wall: Double, _ name: String) -> String { String(format: "  %9.4f  %9.4f  ", cpu, wall) + name + "\n" }
        for phase in phases { text += row(phase.cpuSeconds, phase.wallSeconds, phase.name) }
        return text + row(phases.reduce(0) { $0 + $1.cpuSeconds }, phases.reduce(0) { $0 + $1.wallSeconds }, "Total")
    }
}

/// CPU seconds of the calling thread and of the waited-for child processes (the linker).
private func cpuSeconds() -> Double {
    var thread = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &thread)
    var children = rusage()
    getrusage(RUSAGE_CHILDREN.rawValue, &children)
    func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) * 1e-6 }
    return Double(thread.tv_sec) + Double(thread.tv_nsec) * 1e-9 + seconds(children.ru_utime) + seconds(children.ru_stime)
}

extension Duration {
    /// The duration in seconds.
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) * 1e-18
    }
}

/// `work(i)` for every i in `0..<count` on up to `threads` threads (each takes the next index
/// when it is done), the results in index order. The first error by index is rethrown after all
/// have finished.
func parallelMap<Result>(_ count: Int, threads: Int, _ work: (Int) throws -> Result) throws -> [Result] {
    let results = UnsafeSendableBox([Swift.Result<Result, any Error>?](repeating: nil, count: count))
    let next = UnsafeSendableBox(0)
    let lock = NSLock()
    withoutActuallyEscaping(work) { work in
        let shared = UnsafeSendableBox(work)
        DispatchQueue.concurrentPerform(iterations: max(1, min(threads, count))) { _ in
            while true {
                let index: Int = lock.withLock {
                    defer { next.value += 1 }
                    return next.value
                }
                guard index < count else { return }
                let result = Swift.Result { try shared.value(index) }
                lock.withLock { results.value[index] = result }
            }
        }
    }
    return try results.value.map { try $0!.get() }
}

/// A value shared by the threads of `parallelMap`, guarded by its lock (or, for the work
/// closure and what it captures, only read, and the LLVM objects of one module touched by one
/// thread at a time).
private final class UnsafeSendableBox<Value>: @unchecked Sendable {
    var value: Value
    init(_ value: Value) { self.value = value }
}
