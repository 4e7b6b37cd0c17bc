import CLLVM

/// Where CPUID reports an x86 feature: `cpuid(leaf, subleaf)`, register, bit.
struct CPUIDBit: Hashable {
    enum Register: Int { case eax = 0, ebx, ecx, edx }
    var leaf: UInt32
    var subleaf: UInt32
    var register: Register
    var bit: Int

    init(_ leaf: UInt32, _ subleaf: UInt32, _ register: Register, _ bit: Int) {
        self.leaf = leaf
        self.subleaf = subleaf
        self.register = register
        self.bit = bit
    }

    /// The CPUID location of each LLVM x86 feature name that denotes instructions generated code
    /// may contain. Features not listed need no check: tuning flags (`fast-gather`, `evex512`,
    /// `64bit`), and the system features whose instructions LLVM emits only from their own
    /// intrinsics, which no kernel calls (enclaves and protection keys: `sgx`, `pconfig`,
    /// `pku`; cache and TLB management: `clflushopt`, `clwb`, `cldemote`, `wbnoinvd`,
    /// `invpcid`; `rdrnd`, `rdseed`, `rdpid`, `fsgsbase`, the `xsave` variants, `waitpkg`,
    /// `shstk`, `uintr`, `serialize`, `tsxldtrk`, `hreset`, `movdiri`, `movdir64b`, `enqcmd`,
    /// `mwaitx`, `clzero`). Virtual machines often hide those, and a library for their CPU
    /// (`icelake-server`) must still run there.
    static let byLLVMFeature: [String: CPUIDBit] = [
        "cx8": .init(1, 0, .edx, 8), "cmov": .init(1, 0, .edx, 15), "mmx": .init(1, 0, .edx, 23),
        "fxsr": .init(1, 0, .edx, 24), "sse": .init(1, 0, .edx, 25), "sse2": .init(1, 0, .edx, 26),
        "sse3": .init(1, 0, .ecx, 0), "pclmul": .init(1, 0, .ecx, 1), "ssse3": .init(1, 0, .ecx, 9),
        "fma": .init(1, 0, .ecx, 12), "cx16": .init(1, 0, .ecx, 13), "sse4.1": .init(1, 0, .ecx, 19),
        "sse4.2": .init(1, 0, .ecx, 20), "crc32": .init(1, 0, .ecx, 20), "movbe": .init(1, 0, .ecx, 22),
        "popcnt": .init(1, 0, .ecx, 23), "aes": .init(1, 0, .ecx, 25), "xsave": .init(1, 0, .ecx, 26),
        "avx": .init(1, 0, .ecx, 28), "f16c": .init(1, 0, .ecx, 29), "bmi": .init(7, 0, .ebx, 3),
        "avx2": .init(7, 0, .ebx, 5), "bmi2": .init(7, 0, .ebx, 8), "avx512f": .init(7, 0, .ebx, 16),
        "avx512dq": .init(7, 0, .ebx, 17), "adx": .init(7, 0, .ebx, 19), "avx512ifma": .init(7, 0, .ebx, 21),
        "avx512cd": .init(7, 0, .ebx, 28), "sha": .init(7, 0, .ebx, 29), "avx512bw": .init(7, 0, .ebx, 30),
        "avx512vl": .init(7, 0, .ebx, 31), "prefetchwt1": .init(7, 0, .ecx, 0),
        "avx512vbmi": .init(7, 0, .ecx, 1), "avx512vbmi2": .init(7, 0, .ecx, 6), "gfni": .init(7, 0, .ecx, 8),
        "vaes": .init(7, 0, .ecx, 9), "vpclmulqdq": .init(7, 0, .ecx, 10), "avx512vnni": .init(7, 0, .ecx, 11),
        "avx512bitalg": .init(7, 0, .ecx, 12), "avx512vpopcntdq": .init(7, 0, .ecx, 14),
        "avx512vp2intersect": .init(7, 0, .edx, 8), "amx-bf16": .init(7, 0, .edx, 22),
        "avx512fp16": .init(7, 0, .edx, 23), "amx-tile": .init(7, 0, .edx, 24),
        "amx-int8": .init(7, 0, .edx, 25), "avxvnni": .init(7, 1, .eax, 4), "avx512bf16": .init(7, 1, .eax, 5),
        "avxifma": .init(7, 1, .eax, 23), "sahf": .init(0x8000_0001, 0, .ecx, 0),
        "lzcnt": .init(0x8000_0001, 0, .ecx, 5), "sse4a": .init(0x8000_0001, 0, .ecx, 6),
        "prfchw": .init(0x8000_0001, 0, .ecx, 8), "xop": .init(0x8000_0001, 0, .ecx, 11),
        "fma4": .init(0x8000_0001, 0, .ecx, 16), "tbm": .init(0x8000_0001, 0, .ecx, 21),
    ]
}

/// Emits the body of a CPU check `int32_t check(void)` (0 or WEBNNC_ERROR_UNSUPPORTED_CPU) for x86-64: every enabled feature's CPUID bit must be set,
/// and the OS must save the vector state the code uses (XCR0 via `xgetbv`: SSE+AVX state for
/// AVX-family features, plus opmask/ZMM state for AVX-512).
struct CPUFeatureCheck {
    let features: [String]

    /// OR of the required bits per (leaf, subleaf, register).
    private var requiredMasks: [(CPUIDBit, UInt32)] {
        var masks: [CPUIDBit: UInt32] = [:]
        for feature in features {
            guard var location = CPUIDBit.byLLVMFeature[feature] else { continue }
            let bit = UInt32(1) << UInt32(location.bit)
            location.bit = 0
            masks[location, default: 0] |= bit
        }
        return masks.sorted { ($0.key.leaf, $0.key.subleaf, $0.key.register.rawValue) < ($1.key.leaf, $1.key.subleaf, $1.key.register.rawValue) }
    }

    /// XCR0 bits the OS must enable: 1 (SSE), 2 (AVX), 5-7 (AVX-512 opmask, ZMM_Hi256, Hi16_ZMM).
    private var requiredXCR0: UInt32 {
        if features.contains(where: { $0.hasPrefix("avx512") }) { return 0xE6 }
        if features.contains(where: { $0.hasPrefix("avx") || $0 == "fma" || $0 == "f16c" || $0 == "vaes" || $0 == "vpclmulqdq" }) { return 0x6 }
        return 0
    }

    func emit(into e: FunctionEmitter) {
        let unsupported = e.int32(2), ok = e.int32(0)
        let requiredStandardLeaf = requiredMasks.map(\.0.leaf).filter { $0 < 0x8000_0000 }.max() ?? 0
        let requiredExtendedLeaf = requiredMasks.map(\.0.leaf).filter { $0 >= 0x8000_0000 }.max() ?? 0
        e.returnIf(cpuid(e, 0, 0)[0] < e.int32(Int32(bitPattern: requiredStandardLeaf)), unsupported)
        if requiredExtendedLeaf != 0 {
            let maximum = cpuid(e, 0x8000_0000, 0)[0]
            e.returnIf(unsignedLess(e, maximum, requiredExtendedLeaf), unsupported)
        }
        for (location, mask) in requiredMasks {
            if location.leaf == 7 && location.subleaf > 0 {
                e.returnIf(unsignedLess(e, cpuid(e, 7, 0)[0], location.subleaf), unsupported)
            }
            let register = cpuid(e, location.leaf, location.subleaf)[location.register.rawValue]
            let maskValue = e.int32(Int32(bitPattern: mask))
            e.returnIf(e.and(register, maskValue) != maskValue, unsupported)
        }
        if requiredXCR0 != 0 {
            let osxsave = e.int32(1 << 27)
            e.returnIf(e.and(cpuid(e, 1, 0)[2], osxsave) == 0, unsupported)
            let xcr0 = xgetbv(e)
            let mask = e.int32(Int32(bitPattern: requiredXCR0))
            e.returnIf(e.and(xcr0, mask) != mask, unsupported)
        }
        e.returnValue(ok)
    }

    /// `a < b` for unsigned 32-bit values.
    private func unsignedLess(_ e: FunctionEmitter, _ a: IRValue, _ b: UInt32) -> IRValue {
        e.wrap(LLVMBuildICmp(e.builder, LLVMIntULT, a.reference, e.int32(Int32(bitPattern: b)).reference, ""))
    }

    /// [eax, ebx, ecx, edx] of `cpuid` with the given leaf and subleaf.
    private func cpuid(_ e: FunctionEmitter, _ leaf: UInt32, _ subleaf: UInt32) -> [IRValue] {
        let i32 = e.types.i32
        var fields: [LLVMTypeRef?] = [i32, i32, i32, i32]
        let resultType = LLVMStructTypeInContext(e.module.context, &fields, 4, 0)!
        let result = inlineAssembly(e, "cpuid", "={ax},={bx},={cx},={dx},{ax},{cx}", returning: resultType,
                                    [e.int32(Int32(bitPattern: leaf)), e.int32(Int32(bitPattern: subleaf))])
        return (0..<4).map { e.wrap(LLVMBuildExtractValue(e.builder, result.reference, UInt32($0), "")) }
    }

    /// The low 32 bits of XCR0.
    private func xgetbv(_ e: FunctionEmitter) -> IRValue {
        let i32 = e.types.i32
        var fields: [LLVMTypeRef?] = [i32, i32]
        let resultType = LLVMStructTypeInContext(e.module.context, &fields, 2, 0)!
        let result = inlineAssembly(e, "xgetbv", "={ax},={dx},{cx}", returning: resultType, [e.int32(0)])
        return e.wrap(LLVMBuildExtractValue(e.builder, result.reference, 0, ""))
    }

    private func inlineAssembly(_ e: FunctionEmitter, _ code: String, _ constraints: String,
                                returning resultType: LLVMTypeRef, _ arguments: [IRValue]) -> IRValue {
        var parameterTypes: [LLVMTypeRef?] = arguments.map(\.type)
        let type = LLVMFunctionType(resultType, &parameterTypes, UInt32(arguments.count), 0)!
        var codeBytes = Array(code.utf8CString), constraintBytes = Array(constraints.utf8CString)
        let assembly = codeBytes.withUnsafeMutableBufferPointer { codePointer in
            constraintBytes.withUnsafeMutableBufferPointer { constraintPointer in
                LLVMGetInlineAsm(type, codePointer.baseAddress, code.utf8.count, constraintPointer.baseAddress,
                                 constraints.utf8.count, 1, 0, LLVMInlineAsmDialectATT, 0)!
            }
        }
        return e.call(assembly, type: type, arguments)
    }
}
