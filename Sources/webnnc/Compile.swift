import ArgumentParser
import Foundation
import WebNNCompiler
import WebNNIR
import WebNNTransforms

/// What `--emit` can produce.
enum EmitKind: String, ExpressibleByArgument, CaseIterable {
    case ir, dot, llvm, asm, obj, so, header
}

/// Flags shared by every command that compiles a graph.
struct CompileFlags: ParsableArguments {
    @Option(name: .customShort("O", allowingJoined: true), help: "Optimization level 0-3.")
    var optimizationLevel: Int = 3

    @Option(name: .customLong("mcpu"), help: "Target CPU (default: the host's, e.g. znver5).")
    var cpu: String?

    @Option(name: .customLong("mattr"), help: "Target features, LLVM syntax (e.g. +avx512f,+avx512vnni).")
    var features: String?

    @Option(name: .customLong("target-triple"), help: "Target triple (default: the host's).")
    var targetTriple: String?

    @Option(name: .customLong("variants"),
            help: ArgumentHelp("Several CPU variants of the kernels in one library, the best one the running CPU has chosen when it runs (x86-64; instead of --mcpu/--mattr). WEBNNC_VARIANT=NAME forces one.",
                               valueName: "cpu[+feature...],..."))
    var variants: String?

    @Option(name: [.customShort("j"), .customLong("jobs")], help: "Threads that run LLVM (default: one per processor).")
    var jobs: Int?

    @Option(name: .customLong("name"), help: "Prefix of the exported symbols (default: from the graph's name).")
    var symbolPrefix: String?

    @Flag(name: .customLong("flush-denormals"), help: "Run with flush-to-zero and denormals-are-zero.")
    var flushDenormals = false

    @Option(name: .customLong("vnni-stand-in"),
            help: "Run the VNNI int8 kernels (8: AVX-VNNI's ymm shape, 16: AVX512-VNNI's zmm) with vpdpbusd replaced by exact generic IR, on any AVX2 target (for testing).")
    var vnniStandIn: Int?

    @Flag(name: .customLong("verify-each"), help: "Verify the graph after every pass.")
    var verifyEach = false

    @Option(help: "Weights manifest (default: <graph stem>.manifest.json beside the graph).")
    var manifest: String?

    @Option(help: "Weights file, .safetensors or binary .weights (default: the first of <stem>.safetensors, <stem>.weights, model.safetensors, model.weights beside the graph).")
    var weights: String?

    @Option(name: .customLong("dim"), help: ArgumentHelp("The value of a dynamic input dimension dyn(\"NAME\", max) (repeat for each).", valueName: "name=N"))
    var dimensionArguments: [String] = []

    @OptionGroup var onnx: ONNXFlags

    func validate() throws {
        guard (0...3).contains(optimizationLevel) else {
            throw ValidationError("-O\(optimizationLevel): the optimization level must be 0, 1, 2 or 3")
        }
        if variants != nil && (cpu != nil || features != nil) {
            throw ValidationError("--variants names the CPU and features of each variant: it cannot be combined with --mcpu or --mattr")
        }
        _ = try targetVariants()
        if let jobs, jobs < 1 { throw ValidationError("-j \(jobs): the number of threads must be at least 1") }
        if let vnniStandIn, vnniStandIn != 8 && vnniStandIn != 16 {
            throw ValidationError("--vnni-stand-in=\(vnniStandIn): the lanes must be 8 or 16")
        }
        _ = try dimensions()
    }

    /// `--variants` as variants (empty without it).
    func targetVariants() throws -> [TargetVariant] {
        guard let variants else { return [] }
        do {
            return try variants.split(separator: ",", omittingEmptySubsequences: false).map { try TargetVariant(String($0)) }
        } catch {
            throw ValidationError("--variants=\(variants): \(error)")
        }
    }

    /// `--dim name=N` values by name.
    func dimensions() throws -> [String: Int] {
        var values: [String: Int] = [:]
        for argument in dimensionArguments {
            guard let equals = argument.firstIndex(of: "="), equals != argument.startIndex,
                  let value = Int(argument[argument.index(after: equals)...]) else {
                throw ValidationError("--dim \(argument): expected NAME=N with N an integer")
            }
            let name = String(argument[..<equals])
            guard values[name] == nil else { throw ValidationError("--dim \(name) is given twice") }
            values[name] = value
        }
        return values
    }

    var compiler: Compiler {
        var options = CompilerOptions()
        options.optimizationLevel = optimizationLevel
        options.cpu = cpu
        options.features = features
        options.targetTriple = targetTriple
        options.variants = (try? targetVariants()) ?? []
        options.threads = jobs
        options.symbolPrefix = symbolPrefix
        options.flushDenormals = flushDenormals
        options.vnniStandInLanes = vnniStandIn
        options.verifyEach = verifyEach
        options.frontend.manifestPath = manifest
        options.frontend.weightsPath = weights
        options.frontend.dimensions = (try? dimensions()) ?? [:]
        options.onnx.inputShapes = (try? onnx.inputShapes()) ?? [:]
        return Compiler(options: options)
    }
}

/// `webnnc <graph> -o <lib.so>`: the main job.
struct Compile: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compile a graph into a shared library and its C header (the default command).")

    @Argument(help: "The graph: a .webnn or .wnn file (weights beside it), or an ONNX model (.onnx).")
    var graph: String?

    @Option(name: .shortAndLong, help: "Output file (default: lib<graph name>.so, or stdout for text kinds).")
    var output: String?

    @Option(help: "What to write: \(EmitKind.allCases.map(\.rawValue).joined(separator: ", ")).")
    var emit: EmitKind = .so

    @Flag(help: "Print the parsed, verified graph as .webnn text and stop.")
    var dumpIR = false

    @OptionGroup var flags: CompileFlags

    @OptionGroup(title: "Passes") var passFlags: PassFlags

    func validate() throws {
        if graph == nil && !passFlags.printPasses && !passFlags.printPipeline {
            throw ValidationError("Missing expected argument '<graph>'")
        }
    }

    func run() throws {
        var compiler = flags.compiler
        if try passFlags.configure(&compiler) { return }
        guard let path = self.graph else { return }
        let graph = try compiler.loadGraph(path: path)
        if dumpIR {
            print(GraphPrinter(writeWeights: false).print(graph).text, terminator: "")
            return
        }
        let (instrumentations, timer) = passFlags.instrumentations()
        defer { if let timer { FileHandle.standardError.write(Data(timer.report().utf8)) } }
        switch passFlags.stopAfter == nil ? emit : .ir {
        case .so:
            let library = output ?? "lib\(URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent).so"
            let built = try compiler.buildLibrary(graph, at: library, instrumentations: instrumentations)
            if passFlags.timePasses {
                FileHandle.standardError.write(Data("memory plan: \(built.memoryPlan)\n".utf8))
                FileHandle.standardError.write(Data(built.timings.report().utf8))
            }
        case .ir:
            let optimized = try compiler.optimize(graph, instrumentations: instrumentations)
            guard let output else {
                print(GraphPrinter(writeWeights: false).print(optimized).text, terminator: "")
                return
            }
            try writeGraph(optimized, to: output)
        case .dot: try write(Data(GraphDot.render(try compiler.optimize(graph, instrumentations: instrumentations)).utf8))
        case .header: try write(Data(try compiler.emit(graph, .header, instrumentations: instrumentations)))
        case .llvm: try write(Data(try compiler.emit(graph, .llvmIR, instrumentations: instrumentations)))
        case .asm: try write(Data(try compiler.emit(graph, .assembly, instrumentations: instrumentations)))
        case .obj: try write(Data(try compiler.emit(graph, .object, instrumentations: instrumentations)))
        }
    }

    /// Writes to `-o`, or to standard output for text.
    private func write(_ data: Data) throws {
        if let output {
            try data.write(to: URL(fileURLWithPath: output))
        } else if emit == .obj {
            throw UserError("--emit=obj needs -o FILE")
        } else {
            FileHandle.standardOutput.write(data)
        }
    }
}
