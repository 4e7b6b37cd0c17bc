import Foundation
import WebNNBasics
import WebNNLowering

/// Options of code generation.
public struct CodeGenOptions: Equatable, Sendable {
    /// The symbol prefix `P` of every exported function (a C identifier).
    public var prefix: String
    public var target: TargetOptions
    /// Run with MXCSR 0x9FC0 (flush-to-zero, denormals-are-zero) instead of 0x1F80.
    public var flushDenormals: Bool
    /// Name and version of the compiler, e.g. `webnnc 0.1.0`; ` (LLVM x.y.z)` is appended.
    public var compilerName: String
    /// Run the VNNI integer kernels (8 lanes: AVX-VNNI's shape, 16: AVX512-VNNI's) with `vpdpbusd`
    /// replaced by an exact generic-IR equivalent, so they run and can be tested on any AVX2
    /// machine; nil: VNNI only where the target has it.
    public var vnniStandInLanes: Int?

    public init(prefix: String, target: TargetOptions = TargetOptions(), flushDenormals: Bool = false,
                compilerName: String = "webnnc 0.1.0") {
        self.prefix = prefix
        self.target = target
        self.flushDenormals = flushDenormals
        self.compilerName = compilerName
        vnniStandInLanes = nil
    }
}

/// Compiles kernel programs to native code through LLVM.
public enum CodeGen {
    /// Builds, verifies and optimizes the LLVM module of a library for `program`.
    public static func compile(_ program: KernelProgram, options: CodeGenOptions) throws -> CompiledLibrary {
        guard isCIdentifier(options.prefix) else { throw CodeGenError.invalidPrefix(options.prefix) }
        let target = try ResolvedTarget(options.target)
        let module = IRModule(name: options.prefix, machine: try TargetMachine(target))
        let filters = RecurrentPacking.pack(FastConv2dPacking.pack(program, target: target), target: target)
        let packed = QuantizedConvPacking.pack(GemmPacking.pack(filters, target: target),
                                               target: target, vnniStandIn: options.vnniStandInLanes)
        let vectorWidth = FastConv2dPacking.vectorWidth(target)
        let kernels = try packed.steps.map { try makeKernelEmitter(for: $0, vectorWidth: vectorWidth) }
        var description = LibraryDescription(
            prefix: options.prefix, modelName: program.name,
            compilerVersion: "\(options.compilerName) (LLVM \(LLVMTargets.version))",
            triple: target.triple, cpu: target.cpu,
            features: target.enabledFeatureList, scratchSize: program.scratchSize,
            memoryPlan: MemoryPlanReport(program), inputs: program.inputs, outputs: program.outputs)
        description.steps = zip(packed.steps, kernels).map { .init(label: $0.label, kernel: $1.name) }
        try LibraryEmitter(module: module, program: packed, kernels: kernels, description: description,
                           flushDenormals: options.flushDenormals).emit()
        try module.verify()
        try module.optimize()
        try module.verify()
        return CompiledLibrary(module: module, description: description)
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

/// A compiled library: an optimized LLVM module, ready to be emitted and linked.
public final class CompiledLibrary {
    private let module: IRModule
    /// The library's self-description (`P_describe` and the header are made from it).
    public let description: LibraryDescription

    init(module: IRModule, description: LibraryDescription) {
        self.module = module
        self.description = description
    }

    /// The C header `libNAME.h`.
    public var header: String { description.header }

    /// The module as IR text, assembly text or an object file.
    public func emit(_ kind: EmitKind) throws -> [UInt8] { try module.emit(kind) }

    /// Writes `emit(kind)` to `path`.
    public func write(_ kind: EmitKind, to path: String) throws {
        let bytes = try emit(kind)
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
            throw CodeGenError.emissionFailed("cannot write \(path)")
        }
    }

    /// Writes the object file next to `outputPath` (as `outputPath.o`), links the shared library
    /// `outputPath` with `cc`, and removes the object.
    public func linkSharedLibrary(to outputPath: String, compiler: String = "cc") throws {
        let objectPath = outputPath + ".o"
        try write(.object, to: objectPath)
        defer { try? FileManager.default.removeItem(atPath: objectPath) }
        try Linker.linkSharedLibrary(objectPath: objectPath, outputPath: outputPath, compiler: compiler)
    }
}
