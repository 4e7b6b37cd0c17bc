import CLLVM

/// Functions, globals, attributes and intrinsics of an `IRModule`.
extension IRModule {
    var types: IRTypes { IRTypes(context) }

    /// Adds a function. Every function is `nounwind` and compiled for the module's target
    /// (`target-cpu`, `target-features`, and 512-bit vectors when AVX-512 is enabled).
    func addFunction(_ name: String, returning returnType: LLVMTypeRef, parameters: [LLVMTypeRef],
                     exported: Bool) -> LLVMValueRef {
        var parameterTypes: [LLVMTypeRef?] = parameters
        let type = LLVMFunctionType(returnType, &parameterTypes, UInt32(parameters.count), 0)
        let function = LLVMAddFunction(module, name, type)!
        LLVMSetLinkage(function, exported ? LLVMExternalLinkage : LLVMInternalLinkage)
        if exported { LLVMSetVisibility(function, LLVMDefaultVisibility) }
        addEnumAttribute("nounwind", to: function, at: functionAttributeIndex)
        let target = machine.target
        addStringAttribute("target-cpu", target.cpu, to: function)
        if !target.features.isEmpty { addStringAttribute("target-features", target.features, to: function) }
        if target.enabledFeatures.contains("avx512f") {
            addStringAttribute("min-legal-vector-width", "512", to: function)
            addStringAttribute("prefer-vector-width", "512", to: function)
        }
        return function
    }

    /// Declares a function defined elsewhere: in libc, or (`hidden`) in another module of the
    /// same library. Returns the existing declaration when there is one.
    func declareExternalFunction(_ name: String, returning returnType: LLVMTypeRef, parameters: [LLVMTypeRef],
                                 hidden: Bool = false) -> LLVMValueRef {
        if let existing = LLVMGetNamedFunction(module, name) { return existing }
        var parameterTypes: [LLVMTypeRef?] = parameters
        let function = LLVMAddFunction(module, name, LLVMFunctionType(returnType, &parameterTypes, UInt32(parameters.count), 0))!
        if hidden { LLVMSetVisibility(function, LLVMHiddenVisibility) }
        addEnumAttribute("nounwind", to: function, at: functionAttributeIndex)
        return function
    }

    /// The function type of a function value.
    func functionType(of function: LLVMValueRef) -> LLVMTypeRef { LLVMGlobalGetValueType(function) }

    func addEnumAttribute(_ name: String, to function: LLVMValueRef, at index: LLVMAttributeIndex) {
        let kind = LLVMGetEnumAttributeKindForName(name, name.utf8.count)
        LLVMAddAttributeAtIndex(function, index, LLVMCreateEnumAttribute(context, kind, 0))
    }

    /// Marks parameter `parameterIndex` (0-based) `noalias`.
    func markNoAlias(_ function: LLVMValueRef, parameter parameterIndex: Int) {
        addEnumAttribute("noalias", to: function, at: LLVMAttributeIndex(parameterIndex + 1))
    }

    private func addStringAttribute(_ key: String, _ value: String, to function: LLVMValueRef) {
        let attribute = LLVMCreateStringAttribute(context, key, UInt32(key.utf8.count), value, UInt32(value.utf8.count))
        LLVMAddAttributeAtIndex(function, functionAttributeIndex, attribute)
    }

    /// The declaration and function type of an LLVM intrinsic, looked up by name.
    func intrinsic(_ name: String, overloadedOn overloadTypes: [LLVMTypeRef]) -> (LLVMValueRef, LLVMTypeRef) {
        let id = LLVMLookupIntrinsicID(name, name.utf8.count)
        precondition(id != 0, "LLVM has no intrinsic \(name)")
        var overloads: [LLVMTypeRef?] = overloadTypes
        let declaration = LLVMGetIntrinsicDeclaration(module, id, &overloads, overloads.count)!
        return (declaration, LLVMIntrinsicGetType(context, id, &overloads, overloads.count))
    }

    /// A private read-only global holding `bytes`, aligned to `alignment`; returns an `i8*`.
    func addConstantBytes(_ name: String, _ bytes: [UInt8], alignment: UInt32 = 64) -> LLVMValueRef {
        let initializer = bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) {
                LLVMConstStringInContext(context, $0.baseAddress, UInt32(bytes.count), 1)!
            }
        }
        return addGlobal(name, initializer, alignment: alignment)
    }

    /// A private NUL-terminated string constant; returns an `i8*`.
    func addCString(_ name: String, _ text: String) -> LLVMValueRef {
        addGlobal(name, LLVMConstStringInContext(context, text, UInt32(text.utf8.count), 0)!, alignment: 1)
    }

    /// An internal writable global initialized with `initializer`; returns it cast to `i8*`.
    func addMutableGlobal(_ name: String, _ initializer: LLVMValueRef) -> LLVMValueRef {
        let global = LLVMAddGlobal(module, LLVMTypeOf(initializer), name)!
        LLVMSetInitializer(global, initializer)
        LLVMSetLinkage(global, LLVMInternalLinkage)
        return LLVMConstPointerCast(global, types.pointer)
    }

    /// A private read-only global initialized with `initializer`; returns it cast to `i8*`.
    func addGlobal(_ name: String, _ initializer: LLVMValueRef, alignment: UInt32) -> LLVMValueRef {
        let global = LLVMAddGlobal(module, LLVMTypeOf(initializer), name)!
        LLVMSetInitializer(global, initializer)
        LLVMSetGlobalConstant(global, 1)
        LLVMSetLinkage(global, LLVMPrivateLinkage)
        LLVMSetUnnamedAddress(global, LLVMGlobalUnnamedAddr)
        LLVMSetAlignment(global, alignment)
        return LLVMConstPointerCast(global, types.pointer)
    }
}

/// The attribute index that designates the function itself.
let functionAttributeIndex = LLVMAttributeIndex(truncatingIfNeeded: LLVMAttributeFunctionIndex)
