import CLLVM
import CLLVMTargetParser
import Glibc

/// The machine code is generated for: the host by default, or an explicit triple/CPU/features.
public struct TargetOptions: Equatable, Sendable {
    /// LLVM target triple; nil means the host's.
    public var triple: String?
    /// CPU name (`znver5`, `x86-64-v3`, ...); nil means the host CPU when the triple is the host's,
    /// otherwise `generic`.
    public var cpu: String?
    /// LLVM feature string (`+avx2,+fma`); nil means the host's features when `cpu` is nil and the
    /// triple is the host's, otherwise none beyond what `cpu` implies.
    public var features: String?
    /// 0 to 3, as `-O0`...`-O3`: selects the `default<On>` pipeline and the code generator level.
    public var optimizationLevel: Int

    public init(triple: String? = nil, cpu: String? = nil, features: String? = nil, optimizationLevel: Int = 3) {
        self.triple = triple
        self.cpu = cpu
        self.features = features
        self.optimizationLevel = optimizationLevel
    }
}

/// One CPU variant of a library that carries several (`--variants`): a CPU name with optional
/// extra features, written `cpu[+feature...]` (`x86-64-v3`, `x86-64-v3+avxvnni`, `icelake-server`).
public struct TargetVariant: Equatable, Sendable {
    /// As written: what the description lists and `WEBNNC_VARIANT` selects.
    public var name: String
    public var cpu: String
    /// The LLVM feature string of the extra features, `+a,+b` (empty: none).
    public var features: String

    /// Parses `cpu[+feature...]`; the CPU itself is checked when the target is resolved.
    public init(_ spec: String) throws {
        let parts = spec.split(separator: "+", omittingEmptySubsequences: false).map(String.init)
        let wellFormed = parts.allSatisfy { part in
            !part.isEmpty && part.unicodeScalars.allSatisfy { ("0"..."9").contains($0) || ("a"..."z").contains($0)
                || ("A"..."Z").contains($0) || $0 == "-" || $0 == "_" || $0 == "." }
        }
        guard wellFormed else {
            throw CodeGenError.unsupported("variant '\(spec)' (expected a CPU name with optional +features, like x86-64-v3+avxvnni)")
        }
        name = spec
        cpu = parts[0]
        features = parts.dropFirst().map { "+" + $0 }.joined(separator: ",")
    }
}

/// A target with every default filled in.
struct ResolvedTarget: Equatable {
    /// The variant's name in a library with several (`TargetVariant.name`); otherwise the CPU's.
    var name: String
    var triple: String
    var cpu: String
    var features: String
    var optimizationLevel: Int

    var isX86_64: Bool { triple.hasPrefix("x86_64") }

    /// Every feature the generated code may use (what `P_check_cpu` must verify and what the
    /// kernels choose their vector width by). On x86-64: the CPU's own features and the explicit
    /// ones with all they imply, less what an explicit `-x` disables, as LLVM's X86 target parser
    /// (clang's tables) resolves them; elsewhere the `+` entries of the feature string.
    let enabledFeatures: [String]

    /// Resolves `options`; `name` names the variant (default: the CPU).
    init(_ options: TargetOptions, name: String? = nil) throws {
        guard (0...3).contains(options.optimizationLevel) else {
            throw CodeGenError.unsupported("optimization level \(options.optimizationLevel) (expected 0 to 3)")
        }
        LLVMTargets.initializeOnce()
        let hostTriple = takeMessage(LLVMGetDefaultTargetTriple())
        triple = options.triple.map { takeMessage(LLVMNormalizeTargetTriple($0)) } ?? hostTriple
        let isHost = triple == hostTriple
        cpu = options.cpu ?? (isHost ? takeMessage(LLVMGetHostCPUName()) : "generic")
        features = options.features ?? (isHost && options.cpu == nil ? takeMessage(LLVMGetHostCPUFeatures()) : "")
        optimizationLevel = options.optimizationLevel
        self.name = name ?? cpu
        if triple.hasPrefix("x86_64") {
            guard let resolved = webnnc_x86_enabled_features(cpu, features) else {
                throw CodeGenError.targetUnavailable(triple: triple, reason: "'\(cpu)' is not an x86-64 CPU that LLVM \(LLVMTargets.version) knows")
            }
            defer { free(resolved) }
            enabledFeatures = String(cString: resolved).split(separator: ",").map { String($0.dropFirst()) }
        } else {
            enabledFeatures = features.split(separator: ",").filter { $0.hasPrefix("+") }.map { String($0.dropFirst()) }
        }
    }

    /// `x86_64-pc-linux-gnu znver5 +avx512f,...` (`P_cpu_features`): the enabled features only.
    var summary: String { "\(triple) \(cpu) \(enabledFeatureList)" }

    /// The enabled features, sorted, as `+a,+b` (what the description shows).
    var enabledFeatureList: String { enabledFeatures.sorted().map { "+" + $0 }.joined(separator: ",") }

    /// The variants of a library for `triple`, most capable first: a variant whose features
    /// include all of another's is tried before it (more enabled features first, ties in the
    /// order given). Several variants need x86-64 (they are chosen by CPUID) and distinct names.
    static func variants(_ variants: [TargetVariant], triple: String?, optimizationLevel: Int) throws -> [ResolvedTarget] {
        let resolved = try variants.map {
            try ResolvedTarget(TargetOptions(triple: triple, cpu: $0.cpu, features: $0.features,
                                             optimizationLevel: optimizationLevel), name: $0.name)
        }
        if let first = resolved.first, !first.isX86_64 {
            throw CodeGenError.unsupported("variants on \(first.triple) (they are chosen by CPUID: x86-64 only)")
        }
        for (index, variant) in resolved.enumerated() where resolved[..<index].contains(where: { $0.name == variant.name }) {
            throw CodeGenError.unsupported("variant '\(variant.name)' given twice")
        }
        return resolved.enumerated().sorted {
            ($0.element.enabledFeatures.count, -$0.offset) > ($1.element.enabledFeatures.count, -$1.offset)
        }.map(\.element)
    }

    /// The code every variant runs on (the entry points and the CPU dispatch): x86-64's
    /// baseline for the same triple and optimization level.
    func baseline() throws -> ResolvedTarget {
        try ResolvedTarget(TargetOptions(triple: triple, cpu: "x86-64", features: "", optimizationLevel: optimizationLevel))
    }
}

/// Registers LLVM's targets once per process (asm parsers too: inline asm needs them).
enum LLVMTargets {
    private static let initialized: Bool = {
        LLVMInitializeAllTargetInfos()
        LLVMInitializeAllTargets()
        LLVMInitializeAllTargetMCs()
        LLVMInitializeAllAsmPrinters()
        LLVMInitializeAllAsmParsers()
        return true
    }()

    static func initializeOnce() { _ = initialized }

    /// The LLVM release CodeGen is built against, e.g. `19.1.7`.
    static let version = LLVM_VERSION_STRING
}

/// Copies and frees a string LLVM allocated.
func takeMessage(_ message: UnsafeMutablePointer<CChar>?) -> String {
    guard let message else { return "" }
    defer { LLVMDisposeMessage(message) }
    return String(cString: message)
}

/// An `LLVMTargetMachineRef` for a resolved target.
final class TargetMachine {
    let target: ResolvedTarget
    let reference: LLVMTargetMachineRef

    init(_ target: ResolvedTarget) throws {
        var llvmTarget: LLVMTargetRef?
        var error: UnsafeMutablePointer<CChar>?
        if LLVMGetTargetFromTriple(target.triple, &llvmTarget, &error) != 0 || llvmTarget == nil {
            throw CodeGenError.targetUnavailable(triple: target.triple, reason: takeMessage(error))
        }
        let level: LLVMCodeGenOptLevel = [LLVMCodeGenLevelNone, LLVMCodeGenLevelLess,
                                          LLVMCodeGenLevelDefault, LLVMCodeGenLevelAggressive][target.optimizationLevel]
        guard let machine = LLVMCreateTargetMachine(llvmTarget, target.triple, target.cpu, target.features,
                                                    level, LLVMRelocPIC, LLVMCodeModelDefault) else {
            throw CodeGenError.targetUnavailable(triple: target.triple, reason: "LLVMCreateTargetMachine failed")
        }
        self.target = target
        reference = machine
    }

    deinit { LLVMDisposeTargetMachine(reference) }

    /// The data layout string modules for this machine must carry.
    var dataLayout: String {
        let layout = LLVMCreateTargetDataLayout(reference)
        defer { LLVMDisposeTargetData(layout) }
        return takeMessage(LLVMCopyStringRepOfTargetData(layout))
    }
}
