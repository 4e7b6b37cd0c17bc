import CLLVM

/// The kinds of output CodeGen can emit from a compiled module.
public enum EmitKind: String, Sendable, CaseIterable {
    /// Textual LLVM IR (`.ll`).
    case llvmIR
    /// Target assembly text (`.s`).
    case assembly
    /// A relocatable object file (`.o`), position-independent.
    case object
}

/// An LLVM context and the one module built in it, for one target machine.
final class IRModule {
    let context: LLVMContextRef
    let module: LLVMModuleRef
    let machine: TargetMachine

    init(name: String, machine: TargetMachine) {
        self.machine = machine
        context = LLVMContextCreate()
        module = LLVMModuleCreateWithNameInContext(name, context)
        LLVMSetTarget(module, machine.target.triple)
        LLVMSetDataLayout(module, machine.dataLayout)
    }

    deinit {
        LLVMDisposeModule(module)
        LLVMContextDispose(context)
    }

    /// Runs LLVM's verifier; a failure is an internal error naming the first broken function.
    func verify() throws {
        var message: UnsafeMutablePointer<CChar>?
        guard LLVMVerifyModule(module, LLVMReturnStatusAction, &message) != 0 else {
            LLVMDisposeMessage(message)
            return
        }
        let text = takeMessage(message)
        var function = LLVMGetFirstFunction(module)
        while let current = function {
            if LLVMCountBasicBlocks(current) > 0 && LLVMVerifyFunction(current, LLVMReturnStatusAction) != 0 {
                throw CodeGenError.verificationFailed(function: valueName(current), message: text)
            }
            function = LLVMGetNextFunction(current)
        }
        throw CodeGenError.verificationFailed(function: "<module>", message: text)
    }

    /// Runs the new pass manager's `default<On>` pipeline for the machine's optimization level.
    func optimize() throws {
        let pipeline = "default<O\(machine.target.optimizationLevel)>"
        let options = LLVMCreatePassBuilderOptions()
        defer { LLVMDisposePassBuilderOptions(options) }
        LLVMPassBuilderOptionsSetLoopVectorization(options, 1)
        LLVMPassBuilderOptionsSetSLPVectorization(options, 1)
        if let error = LLVMRunPasses(module, pipeline, machine.reference, options) {
            throw CodeGenError.optimizationFailed(pipeline: pipeline, message: takeMessage(LLVMGetErrorMessage(error)))
        }
    }

    /// The module as IR text, assembly or an object file. Code generation runs on a clone, so
    /// the module can be emitted several times.
    func emit(_ kind: EmitKind) throws -> [UInt8] {
        if kind == .llvmIR {
            return Array(takeMessage(LLVMPrintModuleToString(module)).utf8)
        }
        guard let clone = LLVMCloneModule(module) else { throw CodeGenError.emissionFailed("cannot clone the module") }
        defer { LLVMDisposeModule(clone) }
        var error: UnsafeMutablePointer<CChar>?
        var buffer: LLVMMemoryBufferRef?
        let fileType = kind == .object ? LLVMObjectFile : LLVMAssemblyFile
        if LLVMTargetMachineEmitToMemoryBuffer(machine.reference, clone, fileType, &error, &buffer) != 0 || buffer == nil {
            throw CodeGenError.emissionFailed(takeMessage(error))
        }
        defer { LLVMDisposeMemoryBuffer(buffer) }
        let start = UnsafeRawPointer(LLVMGetBufferStart(buffer)!)
        return Array(UnsafeRawBufferPointer(start: start, count: LLVMGetBufferSize(buffer)))
    }
}

/// The name of an LLVM value (a function, a global).
func valueName(_ value: LLVMValueRef) -> String {
    var length = 0
    guard let name = LLVMGetValueName2(value, &length) else { return "" }
    return String(cString: name)
}
