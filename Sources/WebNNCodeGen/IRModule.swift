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

/// Which optimization pipeline a module gets (`IRModule.optimize`).
enum OptimizationPipeline {
    case standard
    /// For modules of register-tiled kernels only (`VariantProgram.registerTiledKernels`).
    case registerTiled
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

    /// One module holding all of `modules` (for one target triple), linked through bitcode in
    /// a context of its own; each function keeps its `target-cpu` and `target-features`, so
    /// the kernels of every variant are generated for their CPU. The first module's machine
    /// generates the code.
    convenience init(linking modules: [IRModule]) throws {
        var length = 0
        self.init(name: String(cString: LLVMGetModuleIdentifier(modules[0].module, &length)), machine: modules[0].machine)
        for source in modules {
            let bitcode = LLVMWriteBitcodeToMemoryBuffer(source.module)!
            defer { LLVMDisposeMemoryBuffer(bitcode) }
            var parsed: LLVMModuleRef?
            guard LLVMParseBitcodeInContext2(context, bitcode, &parsed) == 0, let parsed else {
                throw CodeGenError.emissionFailed("cannot read back the bitcode of a module")
            }
            guard LLVMLinkModules2(module, parsed) == 0 else {  // consumes `parsed`
                throw CodeGenError.emissionFailed("cannot link the library's modules into one")
            }
        }
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

    /// Runs LLVM's optimization pipeline for the machine's optimization level: `default<On>`, or
    /// for register-tiled kernels at -O3 on LLVM 19 the same without dead-store elimination.
    func optimize(_ kind: OptimizationPipeline = .standard) throws {
        let level = machine.target.optimizationLevel
        let pipeline = kind == .registerTiled && level == 3 && LLVMTargets.version.hasPrefix("19.") ? llvm19O3WithoutDSE
            : "default<O\(level)>"
        let options = LLVMCreatePassBuilderOptions()
        defer { LLVMDisposePassBuilderOptions(options) }
        LLVMPassBuilderOptionsSetLoopVectorization(options, 1)
        LLVMPassBuilderOptionsSetSLPVectorization(options, 1)
        if let error = LLVMRunPasses(module, pipeline, machine.reference, options) {
            let shown = pipeline.count > 100 ? "default<O3> without dse" : pipeline
            throw CodeGenError.optimizationFailed(pipeline: shown, message: takeMessage(LLVMGetErrorMessage(error)))
        }
    }

    /// The module as IR text, assembly or an object file. Code generation runs on a clone, so
    /// the module can be emitted several times.
    func emit(_ kind: EmitKind) throws -> [UInt8] {
        if kind == .llvmIR {
            return Array(takeMessage(LLVMPrintModuleToString(module)).utf8)
        }
        return try withClone { clone in
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

    /// Writes the module's object file to `path` (generated from a clone, like `emit`).
    func writeObject(to path: String) throws {
        try withClone { clone in
            var error: UnsafeMutablePointer<CChar>?
            var file = Array(path.utf8CString)  // `char *` before LLVM 15
            if LLVMTargetMachineEmitToFile(machine.reference, clone, &file, LLVMObjectFile, &error) != 0 {
                throw CodeGenError.emissionFailed("\(path): \(takeMessage(error))")
            }
        }
    }

    private func withClone<Result>(_ body: (LLVMModuleRef) throws -> Result) throws -> Result {
        guard let clone = LLVMCloneModule(module) else { throw CodeGenError.emissionFailed("cannot clone the module") }
        defer { LLVMDisposeModule(clone) }
        return try body(clone)
    }
}

/// The name of an LLVM value (a function, a global).
func valueName(_ value: LLVMValueRef) -> String {
    var length = 0
    guard let name = LLVMGetValueName2(value, &length) else { return "" }
    return String(cString: name)
}
