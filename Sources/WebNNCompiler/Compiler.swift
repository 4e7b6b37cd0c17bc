import Foundation
import WebNNBasics
import WebNNCodeGen
import WebNNFrontend
import WebNNIR
import WebNNLowering
import WebNNONNX

/// The memory plan report of a compiled library (from WebNNLowering).
public typealias MemoryPlanReport = WebNNLowering.MemoryPlanReport
/// A CPU variant of a library's kernels (from WebNNCodeGen).
public typealias TargetVariant = WebNNCodeGen.TargetVariant
import WebNNTransforms

/// Everything that controls one compilation.
public struct CompilerOptions: Sendable {
    /// `-O0`...`-O3`: the graph pass pipeline and LLVM's optimization level.
    public var optimizationLevel = 3
    /// Target triple, CPU and features; nil fields mean the host's.
    public var targetTriple: String?
    public var cpu: String?
    public var features: String?
    /// CPU variants of the kernels in one library (`--variants`), chosen by CPUID when it runs;
    /// empty: one, for `cpu` and `features`.
    public var variants: [TargetVariant] = []
    /// Threads that run LLVM (`-j`); nil: one per processor.
    public var threads: Int?
    /// Exported symbol prefix; nil derives it from the graph's name.
    public var symbolPrefix: String?
    /// Run the library with flush-to-zero and denormals-are-zero.
    public var flushDenormals = false
    /// `CodeGenOptions.vnniStandInLanes`: 8 or 16 runs the VNNI int8 kernels through an exact
    /// generic-IR stand-in for `vpdpbusd`; nil: VNNI only where the target has it.
    public var vnniStandInLanes: Int?
    /// Verify the graph after every pass.
    public var verifyEach = false
    /// A custom pass pipeline (`--passes`); nil runs the optimization level's pipeline.
    public var passes: String?
    /// Stop the pass pipeline after the first run of this pass (`--stop-after`).
    public var stopAfter: String?
    /// Where the graph's weights are (defaults: beside the graph file).
    public var frontend = FrontendOptions()
    /// The static input shapes of an ONNX model (`--input-shape`).
    public var onnx = ONNXImportOptions()
    /// The C compiler driver used to link the shared object.
    public var linker = "cc"

    public init() {}
}

/// The whole pipeline, as a library: parse, verify, optimize, lower, generate, link.
/// It never prints or exits; every failure is a thrown `Diagnostic`/`DiagnosticList` (the
/// user's input is wrong) or another error (an internal failure).
public struct Compiler: Sendable {
    public static let version = "webnnc 0.1.0"
    public var options: CompilerOptions

    public init(options: CompilerOptions = CompilerOptions()) { self.options = options }

    /// Reads and verifies a `.webnn`/`.wnn` graph with its weights, or imports an ONNX model
    /// (a `.onnx` file).
    public func loadGraph(path: String) throws -> Graph {
        if Compiler.isONNX(path: path) { return try importONNX(path: path).graph }
        let graph = try GraphLoader.load(path: path, options: options.frontend)
        try Verifier.verify(graph, after: "frontend")
        return graph
    }

    /// Whether `path` names an ONNX model (by its extension).
    public static func isONNX(path: String) -> Bool { path.lowercased().hasSuffix(".onnx") }

    /// Imports and verifies an ONNX model, with the names its inputs and outputs got.
    public func importONNX(path: String) throws -> ImportedModel {
        let model = try ONNXImporter.importModel(path: path, options: options.onnx)
        try Verifier.verify(model.graph, after: "ONNX import")
        return model
    }

    /// The pass pipeline: `passes` if given, otherwise the optimization level's.
    public func pipeline() throws -> Pipeline {
        try options.passes.map(PassRegistry.pipeline(parsing:)) ?? PassRegistry.pipeline(optimizationLevel: options.optimizationLevel)
    }

    /// Runs the pass pipeline, reporting to `instrumentations` (printing, dumps, timing).
    public func optimize(_ graph: Graph, instrumentations: [any PassInstrumentation] = []) throws -> Graph {
        var optimized = graph
        try PassManager(pipeline: try pipeline(), verifyEach: options.verifyEach, stopAfter: options.stopAfter,
                        instrumentations: instrumentations).run(&optimized)
        return optimized
    }

    /// Optimizes, lowers and generates code for a graph.
    public func generate(_ graph: Graph, instrumentations: [any PassInstrumentation] = []) throws -> CompiledLibrary {
        let optimized = try optimize(graph, instrumentations: instrumentations)
        var lowering = CodeGenTimings()
        let program = try lowering.measure("lower to kernels") { try Lowering.lower(optimized) }
        let prefix = options.symbolPrefix ?? CodeGen.defaultPrefix(forModelName: graph.name)
        let target = TargetOptions(triple: options.targetTriple, cpu: options.cpu, features: options.features,
                                   optimizationLevel: options.optimizationLevel)
        var codeGenOptions = CodeGenOptions(prefix: prefix, target: target, flushDenormals: options.flushDenormals,
                                            compilerName: Compiler.version)
        codeGenOptions.vnniStandInLanes = options.vnniStandInLanes
        codeGenOptions.variants = options.variants
        if let threads = options.threads { codeGenOptions.threads = threads }
        let library = try CodeGen.compile(program, options: codeGenOptions)
        for phase in lowering.phases { library.addTiming(phase.name, cpuSeconds: phase.cpuSeconds, wallSeconds: phase.wallSeconds) }
        return library
    }

    /// What `buildLibrary` wrote, the memory plan of the library, and where code generation
    /// spent its time.
    public struct BuiltLibrary: Sendable {
        public var headerPath: String
        public var memoryPlan: MemoryPlanReport
        public var timings: CodeGenTimings
    }

    /// Compiles `graph` into the shared object `libraryPath` and writes its C header beside it
    /// (`libmodel.so` gets `libmodel.h`).
    @discardableResult
    public func buildLibrary(_ graph: Graph, at libraryPath: String,
                             instrumentations: [any PassInstrumentation] = []) throws -> BuiltLibrary {
        let library = try generate(graph, instrumentations: instrumentations)
        try library.linkSharedLibrary(to: libraryPath, compiler: options.linker)
        let headerPath = Compiler.headerPath(forLibrary: libraryPath)
        try Data(library.header.utf8).write(to: URL(fileURLWithPath: headerPath))
        return BuiltLibrary(headerPath: headerPath, memoryPlan: library.description.memoryPlan, timings: library.timings)
    }

    /// What `emit` can produce besides a linked library.
    public enum Artifact: Sendable {
        case llvmIR, assembly, object, header
    }

    /// Generates code for `graph` and returns one artifact's bytes.
    public func emit(_ graph: Graph, _ artifact: Artifact, instrumentations: [any PassInstrumentation] = []) throws -> [UInt8] {
        let library = try generate(graph, instrumentations: instrumentations)
        switch artifact {
        case .llvmIR: return try library.emit(.llvmIR)
        case .assembly: return try library.emit(.assembly)
        case .object: return try library.emit(.object)
        case .header: return Array(library.header.utf8)
        }
    }

    /// `dir/libmodel.so` → `dir/libmodel.h`.
    public static func headerPath(forLibrary libraryPath: String) -> String {
        let url = URL(fileURLWithPath: libraryPath)
        return url.deletingPathExtension().appendingPathExtension("h").path
    }
}
