import CLLVM

/// A value produced while emitting a function. Arithmetic and comparison operators emit
/// instructions at the emitter's insertion point: integer operands are `i64` (signed, no
/// wrap: indices and counts), float operands are `float` and use plain IEEE operations (no
/// fast-math flags). Tensor elements of any data type go through the typed operations of
/// `FunctionEmitter+Elements.swift` (`TypedBuffer` loads and stores, `add(_:_:of:)`, ...).
struct IRValue {
    let reference: LLVMValueRef
    unowned let emitter: FunctionEmitter

    var type: LLVMTypeRef { LLVMTypeOf(reference) }
    /// A `float` or `double`, or a vector of them (the operators below then use float instructions).
    var isFloat: Bool {
        let scalar = LLVMGetTypeKind(type) == LLVMVectorTypeKind ? LLVMGetElementType(type)! : type
        return LLVMGetTypeKind(scalar) == LLVMFloatTypeKind || LLVMGetTypeKind(scalar) == LLVMDoubleTypeKind
    }
}

/// Emits the body of one function: loops, branches, typed memory access and float math.
///
/// Kernels use it to read like plain loops: `emitter.forLoop(from: 0, to: n) { i in ... }`.
final class FunctionEmitter {
    let module: IRModule
    let function: LLVMValueRef
    let builder: LLVMBuilderRef
    let types: IRTypes

    /// Starts `function` with an entry block and positions at it.
    init(module: IRModule, function: LLVMValueRef) {
        self.module = module
        self.function = function
        types = IRTypes(module.context)
        builder = LLVMCreateBuilderInContext(module.context)
        LLVMPositionBuilderAtEnd(builder, LLVMAppendBasicBlockInContext(module.context, function, "entry"))
    }

    deinit { LLVMDisposeBuilder(builder) }

    func wrap(_ reference: LLVMValueRef) -> IRValue { IRValue(reference: reference, emitter: self) }

    /// The function's `index`-th parameter.
    func parameter(_ index: Int) -> IRValue { wrap(LLVMGetParam(function, UInt32(index))) }

    // MARK: Constants

    /// An `i64` constant.
    func int(_ value: Int) -> IRValue { wrap(LLVMConstInt(types.i64, UInt64(bitPattern: Int64(value)), 1)) }
    /// An `i32` constant.
    func int32(_ value: Int32) -> IRValue { wrap(LLVMConstInt(types.i32, UInt64(UInt32(bitPattern: value)), 1)) }
    /// A `float` constant.
    func float(_ value: Float) -> IRValue { wrap(LLVMConstReal(types.f32, Double(value))) }

    // MARK: Control flow

    private func newBlock(_ name: String) -> LLVMBasicBlockRef {
        LLVMAppendBasicBlockInContext(module.context, function, name)
    }

    /// `for (i = start; i < end; i += step) body(i)` over `i64`; `step` must be positive.
    /// `vectorized: false` tells LLVM not to vectorize it (`llvm.loop.vectorize.enable` false).
    func forLoop(from start: IRValue, to end: IRValue, step: Int = 1, vectorized: Bool = true, _ body: (IRValue) -> Void) {
        let preheader = LLVMGetInsertBlock(builder)!
        let header = newBlock("loop"), bodyBlock = newBlock("loop.body"), exit = newBlock("loop.exit")
        LLVMBuildBr(builder, header)
        LLVMPositionBuilderAtEnd(builder, header)
        let index = LLVMBuildPhi(builder, types.i64, "i")!
        LLVMBuildCondBr(builder, (wrap(index) < end).reference, bodyBlock, exit)
        LLVMPositionBuilderAtEnd(builder, bodyBlock)
        body(wrap(index))
        let next = wrap(index) + step
        let latch = LLVMGetInsertBlock(builder)!
        let backEdge = LLVMBuildBr(builder, header)!
        if !vectorized { addLoopHint(backEdge, "llvm.loop.vectorize.enable", false) }
        var incomingValues: [LLVMValueRef?] = [start.reference, next.reference]
        var incomingBlocks: [LLVMBasicBlockRef?] = [preheader, latch]
        LLVMAddIncoming(index, &incomingValues, &incomingBlocks, 2)
        LLVMPositionBuilderAtEnd(builder, exit)
    }

    func forLoop(from start: Int, to end: IRValue, step: Int = 1, _ body: (IRValue) -> Void) {
        forLoop(from: int(start), to: end, step: step, body)
    }

    func forLoop(from start: Int, to end: Int, step: Int = 1, _ body: (IRValue) -> Void) {
        forLoop(from: int(start), to: int(end), step: step, body)
    }

    /// A loop that carries `initial` values from one iteration to the next (a reduction);
    /// `body` gets the index and the current values and returns the next ones. `unrolled:
    /// false` tells LLVM not to unroll it (`llvm.loop.unroll.disable`).
    func forLoop(from start: IRValue, to end: IRValue, carrying initial: [IRValue], unrolled: Bool = true,
                 _ body: (IRValue, [IRValue]) -> [IRValue]) -> [IRValue] {
        let preheader = LLVMGetInsertBlock(builder)!
        let header = newBlock("loop"), bodyBlock = newBlock("loop.body"), exit = newBlock("loop.exit")
        LLVMBuildBr(builder, header)
        LLVMPositionBuilderAtEnd(builder, header)
        let index = LLVMBuildPhi(builder, types.i64, "i")!
        let carried = initial.map { LLVMBuildPhi(builder, $0.type, "carried")! }
        LLVMBuildCondBr(builder, (wrap(index) < end).reference, bodyBlock, exit)
        LLVMPositionBuilderAtEnd(builder, bodyBlock)
        let updated = body(wrap(index), carried.map(wrap))
        let next = wrap(index) + 1
        let latch = LLVMGetInsertBlock(builder)!
        let backEdge = LLVMBuildBr(builder, header)!
        if !unrolled { addLoopHint(backEdge, "llvm.loop.unroll.disable") }
        for (phi, (first, last)) in zip([index] + carried, zip([start] + initial, [next] + updated)) {
            var values: [LLVMValueRef?] = [first.reference, last.reference]
            var blocks: [LLVMBasicBlockRef?] = [preheader, latch]
            LLVMAddIncoming(phi, &values, &blocks, 2)
        }
        LLVMPositionBuilderAtEnd(builder, exit)
        return carried.map(wrap)
    }

    /// Marks the loop whose back edge is `branch` with the hint `name` (and its flag, if any):
    /// a loop ID node that refers to itself, then the hint.
    private func addLoopHint(_ branch: LLVMValueRef, _ name: String, _ flag: Bool? = nil) {
        let context = module.context
        var hint: [LLVMMetadataRef?] = [LLVMMDStringInContext2(context, name, name.utf8.count)]
        if let flag { hint.append(LLVMValueAsMetadata(LLVMConstInt(types.i1, flag ? 1 : 0, 0))) }
        var none: [LLVMMetadataRef?] = []
        let placeholder = LLVMTemporaryMDNode(context, &none, 0)
        var operands: [LLVMMetadataRef?] = [placeholder, LLVMMDNodeInContext2(context, &hint, hint.count)]
        let loopID = LLVMMDNodeInContext2(context, &operands, 2)!
        LLVMMetadataReplaceAllUsesWith(placeholder, loopID)
        LLVMSetMetadata(branch, LLVMGetMDKindIDInContext(context, "llvm.loop", 9), LLVMMetadataAsValue(context, loopID))
    }

    /// `if (condition) body()`.
    func ifThen(_ condition: IRValue, _ body: () -> Void) {
        let then = newBlock("then"), merge = newBlock("endif")
        LLVMBuildCondBr(builder, condition.reference, then, merge)
        LLVMPositionBuilderAtEnd(builder, then)
        body()
        LLVMBuildBr(builder, merge)
        LLVMPositionBuilderAtEnd(builder, merge)
    }

    /// `if (condition) then() else otherwise()`.
    func ifThenElse(_ condition: IRValue, then: () -> Void, else otherwise: () -> Void) {
        let thenBlock = newBlock("then"), elseBlock = newBlock("else"), merge = newBlock("endif")
        LLVMBuildCondBr(builder, condition.reference, thenBlock, elseBlock)
        LLVMPositionBuilderAtEnd(builder, thenBlock)
        then()
        LLVMBuildBr(builder, merge)
        LLVMPositionBuilderAtEnd(builder, elseBlock)
        otherwise()
        LLVMBuildBr(builder, merge)
        LLVMPositionBuilderAtEnd(builder, merge)
    }

    /// `if (condition) return value;` then continues emitting in the fall-through path.
    func returnIf(_ condition: IRValue, _ value: IRValue) { returnIf(condition, computing: { value }) }

    /// `if (condition) return value();`, with `value` emitted only on the returning path; then
    /// continues emitting in the fall-through path.
    func returnIf(_ condition: IRValue, computing value: () -> IRValue) {
        let exit = newBlock("early.return"), next = newBlock("continue")
        LLVMBuildCondBr(builder, condition.reference, exit, next)
        LLVMPositionBuilderAtEnd(builder, exit)
        LLVMBuildRet(builder, value().reference)
        LLVMPositionBuilderAtEnd(builder, next)
    }

    func returnValue(_ value: IRValue) { LLVMBuildRet(builder, value.reference) }
    func returnVoid() { LLVMBuildRetVoid(builder) }

    func select(_ condition: IRValue, _ ifTrue: IRValue, _ ifFalse: IRValue) -> IRValue {
        wrap(LLVMBuildSelect(builder, condition.reference, ifTrue.reference, ifFalse.reference, ""))
    }

    // MARK: Memory
    //
    // Every load, store and address computation goes through these functions, so kernels need
    // not care which kind of pointers the LLVM they are built with has. From LLVM 15 on pointers
    // are opaque (`ptr`, whatever they point to); LLVM 14 still has typed pointers, where a load,
    // store or GEP must go through a pointer to exactly the type it accesses (a `<8 x float>`
    // load through a `float*` fails verification or worse). `typedPointer` casts the address
    // to that type; with opaque pointers the cast is no instruction at all (the builder returns
    // a value that already has the requested type), so the IR for LLVM 19 is unchanged.

    /// `address` as a pointer to `type`: a bitcast under typed pointers (LLVM 14) when it points
    /// to something else, `address` itself with opaque pointers.
    func typedPointer(_ address: IRValue, to type: LLVMTypeRef) -> LLVMValueRef {
        let pointerType = LLVMPointerType(type, LLVMGetPointerAddressSpace(address.type))
        return LLVMBuildPointerCast(builder, address.reference, pointerType, "")!
    }

    /// Loads a value of `type` from `address`; `alignment` in bytes, else `type`'s ABI alignment.
    func load(_ type: LLVMTypeRef, from address: IRValue, alignment: UInt32? = nil) -> IRValue {
        let load = LLVMBuildLoad2(builder, type, typedPointer(address, to: type), "")!
        if let alignment { LLVMSetAlignment(load, alignment) }
        return wrap(load)
    }

    /// Stores `value` at `address`; `alignment` in bytes, else its type's ABI alignment.
    func store(_ value: IRValue, to address: IRValue, alignment: UInt32? = nil) {
        let store = LLVMBuildStore(builder, value.reference, typedPointer(address, to: value.type))!
        if let alignment { LLVMSetAlignment(store, alignment) }
    }

    /// Pointer to element `index` of type `elementType` in the buffer at `base`.
    func elementPointer(_ elementType: LLVMTypeRef, _ base: IRValue, _ index: IRValue) -> IRValue {
        var indices: [LLVMValueRef?] = [index.reference]
        return wrap(LLVMBuildInBoundsGEP2(builder, elementType, typedPointer(base, to: elementType), &indices, 1, ""))
    }

    /// Loads element `index` (a float unless `type` says otherwise) of the buffer at `base`.
    func load(_ base: IRValue, _ index: IRValue, type: LLVMTypeRef? = nil) -> IRValue {
        let elementType = type ?? types.f32
        return load(elementType, from: elementPointer(elementType, base, index))
    }

    /// Stores `value` into element `index` of the buffer at `base`.
    func store(_ value: IRValue, _ base: IRValue, _ index: IRValue) {
        store(value, to: elementPointer(value.type, base, index))
    }

    /// Asks the cache for the line holding float element `index` of the buffer at `base`
    /// (`llvm.prefetch` into L1). The address may lie past the buffer: a prefetch never faults,
    /// and its address is computed without `inbounds`, so it is not poison either.
    func prefetch(_ base: IRValue, _ index: IRValue) {
        var indices: [LLVMValueRef?] = [index.reference]
        let address = wrap(LLVMBuildGEP2(builder, types.f32, typedPointer(base, to: types.f32), &indices, 1, ""))
        callIntrinsic("llvm.prefetch", overloadedOn: [address.type],
                      [address, int32(0), int32(3), int32(1)])  // read, keep in all levels, data
    }

    /// A byte pointer `offset` bytes after `base`.
    func bytePointer(_ base: IRValue, offset: IRValue) -> IRValue {
        wrap(LLVMBuildPointerCast(builder, elementPointer(types.i8, base, offset).reference, types.pointer, ""))
    }

    /// Stack storage for `count` values of `type`, allocated in the entry block.
    func entryAlloca(_ type: LLVMTypeRef, count: Int) -> IRValue {
        let current = LLVMGetInsertBlock(builder)!
        let entry = LLVMGetEntryBasicBlock(function)!
        if let first = LLVMGetFirstInstruction(entry) {
            LLVMPositionBuilderBefore(builder, first)
        } else {
            LLVMPositionBuilderAtEnd(builder, entry)
        }
        let storage = LLVMBuildAlloca(builder, LLVMArrayType(type, UInt32(count)), "")!
        LLVMPositionBuilderAtEnd(builder, current)
        return wrap(LLVMBuildPointerCast(builder, storage, types.pointer, ""))
    }

    // MARK: Calls and math

    /// Calls a function, bit-casting pointer arguments to the parameter types if needed.
    @discardableResult
    func call(_ callee: LLVMValueRef, type functionType: LLVMTypeRef, _ arguments: [IRValue]) -> IRValue {
        var parameterTypes = [LLVMTypeRef?](repeating: nil, count: Int(LLVMCountParamTypes(functionType)))
        LLVMGetParamTypes(functionType, &parameterTypes)
        var values: [LLVMValueRef?] = zip(arguments, parameterTypes).map { argument, parameterType in
            LLVMGetTypeKind(parameterType) == LLVMPointerTypeKind
                ? LLVMBuildPointerCast(builder, argument.reference, parameterType, "") : argument.reference
        }
        let typedCallee = LLVMBuildPointerCast(builder, callee, LLVMPointerType(functionType, 0), "")
        return wrap(LLVMBuildCall2(builder, functionType, typedCallee, &values, UInt32(values.count), ""))
    }

    /// Calls the LLVM intrinsic `name`, overloaded on `overloadTypes` (looked up by name, so
    /// signature changes between LLVM releases are picked up).
    @discardableResult
    func callIntrinsic(_ name: String, overloadedOn overloadTypes: [LLVMTypeRef] = [], _ arguments: [IRValue]) -> IRValue {
        let (callee, type) = module.intrinsic(name, overloadedOn: overloadTypes)
        return call(callee, type: type, arguments)
    }

    func absolute(_ x: IRValue) -> IRValue { callIntrinsic("llvm.fabs", overloadedOn: [x.type], [x]) }
    func squareRoot(_ x: IRValue) -> IRValue { callIntrinsic("llvm.sqrt", overloadedOn: [x.type], [x]) }
    /// `a * b + c`, fused or not as the target prefers (LLVM's `fmuladd`: `contract` semantics).
    func mulAdd(_ a: IRValue, _ b: IRValue, _ c: IRValue) -> IRValue {
        callIntrinsic("llvm.fmuladd", overloadedOn: [a.type], [a, b, c])
    }

    /// Smaller of two `i64`s.
    func minimum(_ a: IRValue, _ b: IRValue) -> IRValue { select(a < b, a, b) }
    /// Larger of two `i64`s.
    func maximum(_ a: IRValue, _ b: IRValue) -> IRValue { select(a > b, a, b) }

    func isNaN(_ x: IRValue) -> IRValue { wrap(LLVMBuildFCmp(builder, LLVMRealUNO, x.reference, x.reference, "")) }

    func bitCast(_ value: IRValue, to type: LLVMTypeRef) -> IRValue {
        wrap(LLVMBuildBitCast(builder, value.reference, type, ""))
    }

    func truncate(_ value: IRValue, to type: LLVMTypeRef) -> IRValue {
        wrap(LLVMBuildTrunc(builder, value.reference, type, ""))
    }

    func zeroExtend(_ value: IRValue, to type: LLVMTypeRef) -> IRValue {
        wrap(LLVMBuildZExt(builder, value.reference, type, ""))
    }

    /// Bitwise and, or, shift on integers of any width.
    func and(_ a: IRValue, _ b: IRValue) -> IRValue { wrap(LLVMBuildAnd(builder, a.reference, b.reference, "")) }
    func or(_ a: IRValue, _ b: IRValue) -> IRValue { wrap(LLVMBuildOr(builder, a.reference, b.reference, "")) }
    func shiftLeft(_ a: IRValue, _ b: IRValue) -> IRValue { wrap(LLVMBuildShl(builder, a.reference, b.reference, "")) }
    func arithmeticShiftRight(_ a: IRValue, _ b: IRValue) -> IRValue { wrap(LLVMBuildAShr(builder, a.reference, b.reference, "")) }
    /// Integer add without the no-wrap flag (for bit manipulation on any integer width).
    func wrappingAdd(_ a: IRValue, _ b: IRValue) -> IRValue { wrap(LLVMBuildAdd(builder, a.reference, b.reference, "")) }
}

/// The LLVM types CodeGen uses. `pointer` is `i8*` (just `ptr` with opaque pointers).
struct IRTypes {
    let void, i1, i8, i32, i64, f32, pointer: LLVMTypeRef

    init(_ context: LLVMContextRef) {
        void = LLVMVoidTypeInContext(context)
        i1 = LLVMInt1TypeInContext(context)
        i8 = LLVMInt8TypeInContext(context)
        i32 = LLVMInt32TypeInContext(context)
        i64 = LLVMInt64TypeInContext(context)
        f32 = LLVMFloatTypeInContext(context)
        pointer = LLVMPointerType(i8, 0)
    }
}

// MARK: Operators

private func binary(_ a: IRValue, _ b: IRValue,
                    integer: (LLVMBuilderRef, LLVMValueRef, LLVMValueRef) -> LLVMValueRef?,
                    float: (LLVMBuilderRef, LLVMValueRef, LLVMValueRef) -> LLVMValueRef?) -> IRValue {
    let builder = a.emitter.builder
    return a.emitter.wrap((a.isFloat ? float : integer)(builder, a.reference, b.reference)!)
}

private func constant(like value: IRValue, _ number: Int) -> IRValue {
    value.isFloat ? value.emitter.wrap(LLVMConstReal(value.type, Double(number)))
        : value.emitter.wrap(LLVMConstInt(value.type, UInt64(bitPattern: Int64(number)), 1))
}

extension IRValue {
    static func + (a: IRValue, b: IRValue) -> IRValue {
        binary(a, b, integer: { LLVMBuildNSWAdd($0, $1, $2, "") }, float: { LLVMBuildFAdd($0, $1, $2, "") })
    }
    static func - (a: IRValue, b: IRValue) -> IRValue {
        binary(a, b, integer: { LLVMBuildNSWSub($0, $1, $2, "") }, float: { LLVMBuildFSub($0, $1, $2, "") })
    }
    static func * (a: IRValue, b: IRValue) -> IRValue {
        binary(a, b, integer: { LLVMBuildNSWMul($0, $1, $2, "") }, float: { LLVMBuildFMul($0, $1, $2, "") })
    }
    /// Signed integer division (rounds toward zero) or float division.
    static func / (a: IRValue, b: IRValue) -> IRValue {
        binary(a, b, integer: { LLVMBuildSDiv($0, $1, $2, "") }, float: { LLVMBuildFDiv($0, $1, $2, "") })
    }
    static func % (a: IRValue, b: IRValue) -> IRValue {
        binary(a, b, integer: { LLVMBuildSRem($0, $1, $2, "") }, float: { LLVMBuildFRem($0, $1, $2, "") })
    }
    static func + (a: IRValue, b: Int) -> IRValue { a + constant(like: a, b) }
    static func - (a: IRValue, b: Int) -> IRValue { a - constant(like: a, b) }
    static func * (a: IRValue, b: Int) -> IRValue { a * constant(like: a, b) }
    static func / (a: IRValue, b: Int) -> IRValue { a / constant(like: a, b) }
    static func % (a: IRValue, b: Int) -> IRValue { a % constant(like: a, b) }
    static func + (a: Int, b: IRValue) -> IRValue { constant(like: b, a) + b }
    static func - (a: Int, b: IRValue) -> IRValue { constant(like: b, a) - b }
    static func * (a: Int, b: IRValue) -> IRValue { constant(like: b, a) * b }
    static prefix func - (a: IRValue) -> IRValue {
        a.isFloat ? a.emitter.wrap(LLVMBuildFNeg(a.emitter.builder, a.reference, "")!) : 0 - a
    }

    private static func compare(_ a: IRValue, _ b: IRValue, _ integer: LLVMIntPredicate, _ float: LLVMRealPredicate) -> IRValue {
        let builder = a.emitter.builder
        return a.emitter.wrap(a.isFloat ? LLVMBuildFCmp(builder, float, a.reference, b.reference, "")!
                                        : LLVMBuildICmp(builder, integer, a.reference, b.reference, "")!)
    }
    /// Signed integer or ordered float comparisons (false when either float is NaN), as `i1`.
    static func < (a: IRValue, b: IRValue) -> IRValue { compare(a, b, LLVMIntSLT, LLVMRealOLT) }
    static func <= (a: IRValue, b: IRValue) -> IRValue { compare(a, b, LLVMIntSLE, LLVMRealOLE) }
    static func > (a: IRValue, b: IRValue) -> IRValue { compare(a, b, LLVMIntSGT, LLVMRealOGT) }
    static func >= (a: IRValue, b: IRValue) -> IRValue { compare(a, b, LLVMIntSGE, LLVMRealOGE) }
    static func == (a: IRValue, b: IRValue) -> IRValue { compare(a, b, LLVMIntEQ, LLVMRealOEQ) }
    static func != (a: IRValue, b: IRValue) -> IRValue { compare(a, b, LLVMIntNE, LLVMRealUNE) }
    static func < (a: IRValue, b: Int) -> IRValue { a < constant(like: a, b) }
    static func > (a: IRValue, b: Int) -> IRValue { a > constant(like: a, b) }
    static func >= (a: IRValue, b: Int) -> IRValue { a >= constant(like: a, b) }
    static func == (a: IRValue, b: Int) -> IRValue { a == constant(like: a, b) }
}
