/// Why code generation, emission or linking failed.
public enum CodeGenError: Error, Equatable, Sendable, CustomStringConvertible {
    /// LLVM has no target for the triple, or rejected the CPU/features.
    case targetUnavailable(triple: String, reason: String)
    /// The generated IR failed LLVM's verifier: a broken invariant in CodeGen.
    case verificationFailed(function: String, message: String)
    /// An optimization pipeline failed to run.
    case optimizationFailed(pipeline: String, message: String)
    /// Writing IR, assembly or an object failed.
    case emissionFailed(String)
    /// The kernel program is malformed or uses something CodeGen does not implement.
    case unsupported(String)
    /// The prefix is not a C identifier.
    case invalidPrefix(String)
    /// The C compiler driver failed to link the shared library.
    case linkFailed(command: String, exitStatus: Int32, diagnostics: String)

    public var description: String {
        switch self {
        case .targetUnavailable(let triple, let reason):
            return "codegen: target '\(triple)' is unavailable: \(reason)"
        case .verificationFailed(let function, let message):
            return "internal error in codegen: function '\(function)' failed LLVM verification: \(message)"
        case .optimizationFailed(let pipeline, let message):
            return "internal error in codegen: pass pipeline '\(pipeline)' failed: \(message)"
        case .emissionFailed(let message):
            return "codegen: emission failed: \(message)"
        case .unsupported(let message):
            return "codegen: unsupported: \(message)"
        case .invalidPrefix(let prefix):
            return "codegen: symbol prefix '\(prefix)' is not a C identifier"
        case .linkFailed(let command, let status, let diagnostics):
            return "link: '\(command)' failed with exit status \(status)\(diagnostics.isEmpty ? "" : ":\n" + diagnostics)"
        }
    }
}
