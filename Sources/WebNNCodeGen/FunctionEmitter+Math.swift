import CLLVM

/// Vectorizable float32 transcendentals built from plain IR (no libm calls): the loop
/// vectorizer turns them into straight-line SIMD code. Accuracy, measured in ULP against a
/// double-precision result: exp ≤ 2, sigmoid ≤ 3, tanh ≤ 5 (WebNN allows 32, 34, 16).
extension FunctionEmitter {
    /// `c[0] + x*(c[1] + x*(c[2] + ...))` by Horner's rule (x a float or a float vector).
    func polynomial(_ x: IRValue, _ coefficients: [Float]) -> IRValue {
        var result = float(coefficients.last!, like: x)
        for coefficient in coefficients.dropLast().reversed() {
            result = mulAdd(result, x, float(coefficient, like: x))
        }
        return result
    }

    /// `value` as a constant of x's type: a float, or a vector of `value`s.
    private func float(_ value: Float, like x: IRValue) -> IRValue {
        LLVMGetTypeKind(x.type) == LLVMVectorTypeKind ? splat(float(value), width: Int(LLVMGetVectorSize(x.type))) : float(value)
    }

    /// The constants of `exponential` and `exponentialOfNonPositive`: log2(e); ln 2 in two parts
    /// (the high part has 9 bits, so n · high is exact); 1.5·2^23, whose addition rounds to an
    /// integer in the low bits; the Taylor coefficients of e^r for |r| ≤ ln2/2.
    private static let log2e: Float = 1.442_695_04
    private static let ln2High: Float = 0.693_359_375, ln2Low: Float = -2.121_944_4e-4
    private static let roundingMagic: Float = 12_582_912
    private static let exponentialTaylor: [Float] = [1, 1, 1.0 / 2, 1.0 / 6, 1.0 / 24, 1.0 / 120, 1.0 / 720, 1.0 / 5040]

    /// e^x, with IEEE results for overflow (+inf), underflow (denormals, then 0) and NaN.
    ///
    /// x = n·ln2 + r with |r| ≤ ln2/2 (Cody–Waite, two constants); e^r by a degree-7 Taylor
    /// polynomial; the 2^n scaling is split into two exact powers of two so that results in the
    /// denormal range are rounded once, correctly.
    func exp(_ x: IRValue) -> IRValue {
        let clamped = select(x > 89, float(89), select(x < -104, float(-104), x))
        return select(isNaN(x), x, exponential(of: clamped, plus: nil))
    }

    /// e^(x + small) for x in [−104, 89] (a clamped exponent) and |small| of a few units at
    /// most, reduced as x − n·ln2 + small: where x is large and exact (gelu's −z²), none of its
    /// bits are lost to the rounding of the sum x + small, which e^ would magnify by |x|.
    func exponential(of x: IRValue, plus small: IRValue?) -> IRValue {
        let shifted = (small.map { x + $0 } ?? x) * float(Self.log2e) + float(Self.roundingMagic)
        let n = shifted - float(Self.roundingMagic)
        let high = mulAdd(n, float(-Self.ln2High), x)  // exact (n has few bits, ln2's high part 9)
        let reduced = mulAdd(n, float(-Self.ln2Low), small.map { high + $0 } ?? high)
        let mantissa = polynomial(reduced, Self.exponentialTaylor)
        let exponent = bitCast(shifted, to: types.i32) - 0x4B40_0000
        let halfExponent = arithmeticShiftRight(exponent, wrap(LLVMConstInt(types.i32, 1, 0)))
        return mantissa * powerOfTwo(halfExponent) * powerOfTwo(exponent - halfExponent)
    }

    /// 2^n as a float, for an `i32` n in the normal exponent range [-126, 127].
    private func powerOfTwo(_ n: IRValue) -> IRValue {
        bitCast(shiftLeft(n + 127, wrap(LLVMConstInt(types.i32, 23, 0))), to: types.f32)
    }

    /// e^x of a `<width x float>` vector whose lanes are ≤ 0 or NaN (a softmax's x − max): the
    /// same reduction, polynomial and rounding as `exp` (bit-identical results; a NaN stays a
    /// NaN, maybe another one), in explicit vector code with no overflow clamp and no NaN
    /// select, and with AVX-512 the 2^n scaling in one `vscalefps` (which rounds a denormal
    /// result once, as the two exact multiplications do) instead of nine integer and float
    /// operations.
    func exponentialOfNonPositive(_ x: IRValue, width: Int) -> IRValue {
        let constant = { (value: Float) in self.float(value, like: x) }
        let clamped = select(x < constant(-104), constant(-104), x)  // (a NaN compares false: kept)
        let scaled = clamped * constant(Self.log2e)
        let n: IRValue, scale: (IRValue) -> IRValue
        let vectorType = LLVMVectorType(types.f32, UInt32(width))!
        if width == 16 && module.machine.target.enabledFeatures.contains("avx512f") {
            n = callIntrinsic("llvm.roundeven", overloadedOn: [vectorType], [scaled])
            scale = { mantissa in
                let allLanes = self.wrap(LLVMConstInt(LLVMInt16TypeInContext(self.module.context), 0xFFFF, 0))
                return self.callIntrinsic("llvm.x86.avx512.mask.scalef.ps.512",
                                          [mantissa, n, mantissa, allLanes, self.int32(4)])  // 4: MXCSR's rounding
            }
        } else {
            let magic = constant(Self.roundingMagic)
            let shifted = scaled + magic
            n = shifted - magic
            scale = { mantissa in
                let integerType = LLVMVectorType(self.types.i32, UInt32(width))!
                let integer = { (value: Int32) in self.splatValue(self.wrap(LLVMConstInt(self.types.i32, UInt64(UInt32(bitPattern: value)), 0)), lanes: width) }
                let exponent = self.bitCast(shifted, to: integerType) - integer(0x4B40_0000)
                let half = self.arithmeticShiftRight(exponent, integer(1))
                let power = { (k: IRValue) in self.bitCast(self.shiftLeft(k + integer(127), integer(23)), to: vectorType) }
                return mantissa * power(half) * power(exponent - half)
            }
        }
        let high = mulAdd(n, constant(-Self.ln2High), clamped)
        let reduced = mulAdd(n, constant(-Self.ln2Low), high)
        return scale(polynomial(reduced, Self.exponentialTaylor))
    }

    /// 1 / (1 + e^-x), computed from e^-|x| so that nothing overflows and tiny results keep
    /// their precision.
    func sigmoid(_ x: IRValue) -> IRValue {
        let e = exp(-absolute(x))
        let small = e / (e + 1)
        return select(x > 0, 1 - small, small)
    }

    /// tanh(x): an odd Taylor polynomial for |x| < 0.4 (where 1 − 2/(e^2|x| + 1) would cancel),
    /// that formula elsewhere; the sign is copied from x.
    func tanh(_ x: IRValue) -> IRValue {
        let magnitude = absolute(x)
        let square = magnitude * magnitude
        let oddTerms: [Float] = [-1.0 / 3, 2.0 / 15, -17.0 / 315, 62.0 / 2835, -1382.0 / 155_925, 21844.0 / 6_081_075]
        let series = mulAdd(magnitude * square, polynomial(square, oddTerms), magnitude)
        let viaExp = 1 - float(2) / (exp(magnitude * 2) + 1)
        let result = select(magnitude < float(0.4), series, viaExp)
        return callIntrinsic("llvm.copysign", overloadedOn: [types.f32], [result, x])
    }
}
