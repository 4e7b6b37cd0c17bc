import CLLVM
import WebNNBasics

/// A buffer pointer and the data type of its elements: what kernels load from and store to.
///
/// Elements are computed in their *compute type*: `float` for float32 and float16 (a float16
/// load widens with `fpext`, a store rounds with `fptrunc`, to nearest even), and the integer
/// type of the element's width for integers (`i8`, `i32`, `i64`; unsigned types are the same
/// LLVM types, and the typed operations below choose unsigned division and comparisons).
struct TypedBuffer {
    let pointer: IRValue
    let dataType: DataType

    init(_ pointer: IRValue, _ dataType: DataType) {
        self.pointer = pointer
        self.dataType = dataType
    }
}

extension FunctionEmitter {
    // MARK: Element types

    /// The LLVM type elements of `dataType` are stored as.
    func storageType(_ dataType: DataType) -> LLVMTypeRef {
        switch dataType {
        case .float32: return types.f32
        case .float16: return LLVMHalfTypeInContext(module.context)
        default: return integerType(bytes: dataType.byteSize)
        }
    }

    /// The LLVM type elements of `dataType` are computed in (`float` for both float types).
    func computeType(_ dataType: DataType) -> LLVMTypeRef {
        dataType.isFloatingPoint ? types.f32 : storageType(dataType)
    }

    /// The integer type of `bytes` bytes (the type that copies an element's bits).
    func integerType(bytes: Int) -> LLVMTypeRef { LLVMIntTypeInContext(module.context, UInt32(bytes * 8)) }

    // MARK: Typed memory

    /// Element `index` of `buffer`, in its compute type.
    func load(_ buffer: TypedBuffer, _ index: IRValue) -> IRValue {
        let value = load(buffer.pointer, index, type: storageType(buffer.dataType))
        return buffer.dataType == .float16 ? wrap(LLVMBuildFPExt(builder, value.reference, types.f32, "")) : value
    }

    /// Stores `value` (in `buffer`'s compute type) into element `index`, rounding to float16 if
    /// that is the buffer's type.
    func store(_ value: IRValue, _ buffer: TypedBuffer, _ index: IRValue) {
        var stored = value
        if buffer.dataType == .float16 && LLVMGetTypeKind(value.type) == LLVMFloatTypeKind {
            stored = wrap(LLVMBuildFPTrunc(builder, value.reference, storageType(.float16), ""))
        }
        store(stored, buffer.pointer, index)
    }

    /// Element `index` of `buffer` as raw bits (an integer of the element's width): for copies.
    func loadBits(_ buffer: TypedBuffer, _ index: IRValue) -> IRValue {
        load(buffer.pointer, index, type: integerType(bytes: buffer.dataType.byteSize))
    }

    /// Stores raw bits loaded by `loadBits` from a buffer of the same element size.
    func storeBits(_ bits: IRValue, _ buffer: TypedBuffer, _ index: IRValue) {
        store(bits, buffer.pointer, index)
    }

    // MARK: Typed constants

    /// `number` cast to `dataType` as WebNN casts an `MLNumber` (floats round to nearest,
    /// float16 included; integers truncate toward zero and wrap), in the compute type.
    func constant(_ number: Double, as dataType: DataType) -> IRValue {
        let data = TensorData(dataType, shape: [], values: [number])
        if dataType.isFloatingPoint { return float(Float(data.double(at: 0))) }
        return wrap(LLVMConstInt(storageType(dataType), UInt64(bitPattern: data.integer(at: 0)), 0))
    }

    /// Zero in `dataType`'s compute type.
    func zero(_ dataType: DataType) -> IRValue { constant(0, as: dataType) }

    /// The identity of `larger(_:_:of:)`: −infinity, or the type's smallest integer.
    func lowest(_ dataType: DataType) -> IRValue {
        if dataType.isFloatingPoint { return float(-.infinity) }
        let bits = dataType.byteSize * 8
        let value: UInt64 = dataType.isSigned ? 1 << (bits - 1) : 0
        return wrap(LLVMConstInt(storageType(dataType), value, 0))
    }

    // MARK: Typed arithmetic (values in the compute type of `dataType`)

    /// `a + b`: IEEE, or wrapping integer addition.
    func add(_ a: IRValue, _ b: IRValue, of dataType: DataType) -> IRValue {
        wrap(dataType.isFloatingPoint ? LLVMBuildFAdd(builder, a.reference, b.reference, "")
                                      : LLVMBuildAdd(builder, a.reference, b.reference, ""))
    }

    /// `a − b`: IEEE, or wrapping integer subtraction.
    func subtract(_ a: IRValue, _ b: IRValue, of dataType: DataType) -> IRValue {
        wrap(dataType.isFloatingPoint ? LLVMBuildFSub(builder, a.reference, b.reference, "")
                                      : LLVMBuildSub(builder, a.reference, b.reference, ""))
    }

    /// `a · b`: IEEE, or wrapping integer multiplication.
    func multiply(_ a: IRValue, _ b: IRValue, of dataType: DataType) -> IRValue {
        wrap(dataType.isFloatingPoint ? LLVMBuildFMul(builder, a.reference, b.reference, "")
                                      : LLVMBuildMul(builder, a.reference, b.reference, ""))
    }

    /// `a / b`: IEEE, or integer division truncating toward zero that never traps: like the
    /// reference interpreter, `a / 0 = a`, and `MIN / −1 = MIN` (the quotient wraps). Both are
    /// done by dividing by 1 instead.
    func divide(_ a: IRValue, _ b: IRValue, of dataType: DataType) -> IRValue {
        if dataType.isFloatingPoint { return wrap(LLVMBuildFDiv(builder, a.reference, b.reference, "")) }
        let one = constant(1, as: dataType), zero = zero(dataType)
        var divideByOne = compare(b, zero, LLVMIntEQ)
        if dataType.isSigned {
            let overflow = and(compare(a, lowest(dataType), LLVMIntEQ), compare(b, constant(-1, as: dataType), LLVMIntEQ))
            divideByOne = or(divideByOne, overflow)
        }
        let divisor = select(divideByOne, one, b)
        return wrap(dataType.isSigned ? LLVMBuildSDiv(builder, a.reference, divisor.reference, "")
                                      : LLVMBuildUDiv(builder, a.reference, divisor.reference, ""))
    }

    /// `a < b`: ordered float (false with NaN), signed or unsigned integer comparison.
    func isLess(_ a: IRValue, _ b: IRValue, of dataType: DataType) -> IRValue {
        dataType.isFloatingPoint ? wrap(LLVMBuildFCmp(builder, LLVMRealOLT, a.reference, b.reference, ""))
            : compare(a, b, dataType.isSigned ? LLVMIntSLT : LLVMIntULT)
    }

    /// `a > b`: ordered float (false with NaN), signed or unsigned integer comparison.
    func isGreater(_ a: IRValue, _ b: IRValue, of dataType: DataType) -> IRValue {
        dataType.isFloatingPoint ? wrap(LLVMBuildFCmp(builder, LLVMRealOGT, a.reference, b.reference, ""))
            : compare(a, b, dataType.isSigned ? LLVMIntSGT : LLVMIntUGT)
    }

    /// The larger of `a` and `b`; a NaN operand gives NaN, as in the reference interpreter (and
    /// JavaScript's `Math.max`). Compares and selects, which vectorize for every type.
    func larger(_ a: IRValue, _ b: IRValue, of dataType: DataType) -> IRValue {
        let pickA = isGreater(a, b, of: dataType)
        return select(dataType.isFloatingPoint ? or(pickA, isNaN(a)) : pickA, a, b)
    }

    /// The smaller of `a` and `b`; a NaN operand gives NaN.
    func smaller(_ a: IRValue, _ b: IRValue, of dataType: DataType) -> IRValue {
        let pickA = isLess(a, b, of: dataType)
        return select(dataType.isFloatingPoint ? or(pickA, isNaN(a)) : pickA, a, b)
    }

    /// An `int` to `float` conversion of an `i64` count.
    func floatFromInteger(_ value: IRValue) -> IRValue {
        wrap(LLVMBuildSIToFP(builder, value.reference, types.f32, ""))
    }

    private func compare(_ a: IRValue, _ b: IRValue, _ predicate: LLVMIntPredicate) -> IRValue {
        wrap(LLVMBuildICmp(builder, predicate, a.reference, b.reference, ""))
    }
}
