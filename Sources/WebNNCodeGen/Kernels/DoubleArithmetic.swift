import CLLVM
import WebNNBasics

/// Double-precision arithmetic for kernels that compute in `double` as the reference
/// interpreter does (statistics of normalizations, resampling weights, quantization). The
/// `IRValue` operators treat every non-`float` value as an integer, so doubles use these.
/// Plain IEEE operations: no fast-math flags, so nothing is contracted or reassociated.
extension FunctionEmitter {
    var f64: LLVMTypeRef { LLVMDoubleTypeInContext(module.context) }

    func double(_ value: Double) -> IRValue { wrap(LLVMConstReal(f64, value)) }

    func addDouble(_ a: IRValue, _ b: IRValue) -> IRValue { wrap(LLVMBuildFAdd(builder, a.reference, b.reference, "")) }
    func subtractDouble(_ a: IRValue, _ b: IRValue) -> IRValue { wrap(LLVMBuildFSub(builder, a.reference, b.reference, "")) }
    func multiplyDouble(_ a: IRValue, _ b: IRValue) -> IRValue { wrap(LLVMBuildFMul(builder, a.reference, b.reference, "")) }
    func divideDouble(_ a: IRValue, _ b: IRValue) -> IRValue { wrap(LLVMBuildFDiv(builder, a.reference, b.reference, "")) }
    /// Ordered comparisons of floats of any width (false when either is NaN).
    func isLessDouble(_ a: IRValue, _ b: IRValue) -> IRValue { wrap(LLVMBuildFCmp(builder, LLVMRealOLT, a.reference, b.reference, "")) }
    func isGreaterDouble(_ a: IRValue, _ b: IRValue) -> IRValue { wrap(LLVMBuildFCmp(builder, LLVMRealOGT, a.reference, b.reference, "")) }
    func isEqualDouble(_ a: IRValue, _ b: IRValue) -> IRValue { wrap(LLVMBuildFCmp(builder, LLVMRealOEQ, a.reference, b.reference, "")) }

    /// `float` (or `half`) to `double`, exactly.
    func extendToDouble(_ value: IRValue) -> IRValue { wrap(LLVMBuildFPExt(builder, value.reference, f64, "")) }
    /// A float to a narrower float type, rounding to nearest even.
    func roundFloat(_ value: IRValue, to type: LLVMTypeRef) -> IRValue { wrap(LLVMBuildFPTrunc(builder, value.reference, type, "")) }
    /// An `i64` index to `double` (exact below 2^53).
    func doubleFromInteger(_ value: IRValue) -> IRValue { wrap(LLVMBuildSIToFP(builder, value.reference, f64, "")) }
    /// A `double` holding an integer to `i64` (truncating toward zero).
    func integerFromDouble(_ value: IRValue) -> IRValue { wrap(LLVMBuildFPToSI(builder, value.reference, types.i64, "")) }

    /// An element of integer `dataType` (in its storage type) as a `double`, signed or unsigned.
    func doubleFromElement(_ value: IRValue, of dataType: DataType) -> IRValue {
        wrap(dataType.isSigned ? LLVMBuildSIToFP(builder, value.reference, f64, "")
                               : LLVMBuildUIToFP(builder, value.reference, f64, ""))
    }

    /// Rounding of floats of any width by LLVM intrinsics.
    func floorOf(_ x: IRValue) -> IRValue { callIntrinsic("llvm.floor", overloadedOn: [x.type], [x]) }
    func ceilOf(_ x: IRValue) -> IRValue { callIntrinsic("llvm.ceil", overloadedOn: [x.type], [x]) }
    /// Rounds half to even.
    func roundEvenOf(_ x: IRValue) -> IRValue { callIntrinsic("llvm.roundeven", overloadedOn: [x.type], [x]) }
}
