import CLLVM

/// More vectorizable float32 functions in plain IR (no libm calls; see `FunctionEmitter+Math`):
/// rounding to integral values, log, expm1, log1p, sin, cos, tan, erf, gelu, and pow (computed in
/// double, so that `y·log x` keeps enough bits for a float result within a few ULP).
///
/// Accuracy against a double-precision result: log about 2 ULP (finite, positive arguments); expm1,
/// log1p a few ULP; pow within WebNN's 32 ULP (its logarithm and exponential are in double);
/// sin, cos and tan reduce by a three-part (Cody–Waite) π/2, so they are accurate for moderate
/// |x| (tested to 100) and decay for very large |x|; erf ≤ 1.5e-7 absolute (Abramowitz–Stegun
/// 7.1.26). WebNN judges log, sin, cos, tan and erf by an absolute error of 1/1024. These bounds
/// are the formulas' design targets; the tests check WPT tolerances against the interpreter.
extension FunctionEmitter {
    /// How `rounded(_:_:)` rounds.
    enum Rounding { case down, up, toNearestOrEven }

    /// x rounded to an integral float; NaN, infinities, ±0 and integral values are kept, and the
    /// result has x's sign (ceil(−0.5) = −0).
    func rounded(_ x: IRValue, _ rounding: Rounding) -> IRValue {
        let magnitude = absolute(x)
        let result: IRValue
        switch rounding {
        case .toNearestOrEven:
            // Adding 2^23 to a smaller magnitude leaves no fraction bits: the add rounds to even.
            result = (magnitude + float(8_388_608)) - float(8_388_608)
        case .down, .up:
            let truncated = wrap(LLVMBuildSIToFP(builder, wrap(LLVMBuildFPToSI(builder, x.reference, types.i32, "")).reference,
                                                 types.f32, ""))
            result = rounding == .down ? truncated - select(truncated > x, float(1), float(0))
                                       : truncated + select(truncated < x, float(1), float(0))
        }
        let signed = callIntrinsic("llvm.copysign", overloadedOn: [types.f32], [result, x])
        // |x| ≥ 2^23 is integral already; NaN fails the comparison and is kept too.
        return select(magnitude < float(8_388_608), signed, x)
    }

    /// The exponent e and mantissa m ∈ [√½, √2) of a finite x > 0 (subnormals included):
    /// x = m·2^e, e as a float.
    private func logDecomposition(_ x: IRValue) -> (exponent: IRValue, mantissa: IRValue) {
        let isSubnormal = x < float(.leastNormalMagnitude)
        let scaled = select(isSubnormal, x * float(8_388_608), x)
        let bits = bitCast(scaled, to: types.i32)
        let biased = wrap(LLVMBuildLShr(builder, bits.reference, int32(23).reference, ""))
        var exponent = biased - select(isSubnormal, int32(127 + 23), int32(127))
        var mantissa = bitCast(or(and(bits, int32(0x007F_FFFF)), int32(0x3F80_0000)), to: types.f32)
        let large = mantissa > float(1.414_213_56)
        mantissa = select(large, mantissa * float(0.5), mantissa)
        exponent = exponent + zeroExtend(large, to: types.i32)
        return (wrap(LLVMBuildSIToFP(builder, exponent.reference, types.f32, "")), mantissa)
    }

    /// ln x (Cephes logf: x = m·2^e, ln m by a degree-9 polynomial, ln 2 in two parts); −inf
    /// at ±0, NaN below 0, +inf at +inf, NaN kept.
    func log(_ x: IRValue) -> IRValue {
        let (exponent, mantissa) = logDecomposition(x)
        let f = mantissa - float(1)
        let square = f * f
        let coefficients: [Float] = [3.333_333_117_4e-1, -2.499_999_399_3e-1, 2.000_071_476_5e-1, -1.666_805_766_5e-1,
                                     1.424_932_278_7e-1, -1.242_014_084_6e-1, 1.167_699_874_0e-1, -1.151_461_031_0e-1,
                                     7.037_683_629_2e-2]
        var y = f * square * polynomial(f, coefficients)
        y = mulAdd(exponent, float(-2.121_944_40e-4), y)
        y = mulAdd(square, float(-0.5), y)
        var result = mulAdd(exponent, float(0.693_359_375), f + y)
        result = select(x == float(.infinity), x, result)
        result = select(x == float(0), float(-.infinity), result)
        result = select(x < float(0), float(.nan), result)
        return select(isNaN(x), x, result)
    }

    /// e^x − 1, accurate near 0 (a Taylor polynomial for |x| < 0.5, e^x − 1 elsewhere).
    func expm1(_ x: IRValue) -> IRValue {
        let taylor: [Float] = [1, 1.0 / 2, 1.0 / 6, 1.0 / 24, 1.0 / 120, 1.0 / 720, 1.0 / 5040, 1.0 / 40320]
        let series = x * polynomial(x, taylor)
        return select(absolute(x) < float(0.5), series, exp(x) - float(1))
    }

    /// ln(1 + u), accurate for small u (Goldberg: ln(w)·u/(w − 1) with w = 1 + u rounded).
    func log1p(_ u: IRValue) -> IRValue {
        let w = u + float(1)
        let denominator = w - float(1)
        return select(denominator == float(0), u, log(w) * (u / denominator))
    }

    /// x − n·π/2 for the integer n nearest x·2/π, and n mod 4 (as `i32`).
    private func quadrantReduction(_ x: IRValue) -> (reduced: IRValue, quadrant: IRValue) {
        let magic: Float = 12_582_912
        let n = (x * float(0.636_619_772) + float(magic)) - float(magic)
        var reduced = mulAdd(n, float(-1.570_312_5), x)
        reduced = mulAdd(n, float(-4.837_512_969_970_703_125e-4), reduced)
        reduced = mulAdd(n, float(-7.549_789_954_891_882_16e-8), reduced)
        let quadrant = and(wrap(LLVMBuildFPToSI(builder, n.reference, types.i32, "")), int32(3))
        return (reduced, quadrant)
    }

    /// sin and cos of r ∈ [−π/4, π/4] (Cephes sinf/cosf polynomials).
    private func sineAndCosine(_ r: IRValue) -> (sine: IRValue, cosine: IRValue) {
        let z = r * r
        let sine = mulAdd(r * z, polynomial(z, [-1.666_665_461_1e-1, 8.332_160_873_6e-3, -1.951_529_589_1e-4]), r)
        let cosine = mulAdd(z * z, polynomial(z, [4.166_664_568_298_827e-2, -1.388_731_625_493_765e-3, 2.443_315_711_809_948e-5]),
                            mulAdd(z, float(-0.5), float(1)))
        return (sine, cosine)
    }

    /// sin x, or cos x (sin of x + π/2: one quadrant further).
    func sine(_ x: IRValue, cosine isCosine: Bool = false) -> IRValue {
        let (r, quadrant) = quadrantReduction(x)
        let (sine, cosine) = sineAndCosine(r)
        let q = isCosine ? and(quadrant + int32(1), int32(3)) : quadrant
        let magnitude = select(and(q, int32(1)) == int32(0), sine, cosine)
        return select(and(q, int32(2)) == int32(0), magnitude, -magnitude)
    }

    /// tan x: sin/cos of the reduced argument, or −cos/sin in odd quadrants.
    func tangent(_ x: IRValue) -> IRValue {
        let (r, quadrant) = quadrantReduction(x)
        let (sine, cosine) = sineAndCosine(r)
        return select(and(quadrant, int32(1)) == int32(0), sine / cosine, -cosine / sine)
    }

    /// erf x (Abramowitz–Stegun 7.1.26, absolute error ≤ 1.5e-7), odd; NaN kept.
    func erf(_ x: IRValue) -> IRValue {
        let magnitude = absolute(x)
        let t = float(1) / mulAdd(magnitude, float(0.327_591_1), float(1))
        let p = t * polynomial(t, [0.254_829_592, -0.284_496_736, 1.421_413_741, -1.453_152_027, 1.061_405_429])
        let result = float(1) - p * exp(-(magnitude * magnitude))
        return callIntrinsic("llvm.copysign", overloadedOn: [types.f32], [result, x])
    }

    /// gelu(x) = x·Φ(x) = 0.5·x·erfc(−x/√2), with erfc by Numerical Recipes' Chebyshev fit
    /// (relative error ≤ 1.2e-7 everywhere): t·e^(−z² + P(t)), t = 1/(1 + z/2). z² = x²/2 is
    /// taken from x exactly (x split into two 12-bit halves), since e^(−z²) magnifies any error
    /// in z² by z², and its exact high part is reduced apart from the rest (`exponential(of:plus:)`,
    /// one exponential); for x ≥ 0, erfc(−z) = 2 − erfc(z).
    func gelu(_ x: IRValue) -> IRValue {
        let magnitude = absolute(x)
        let t = float(1) / mulAdd(magnitude, float(0.353_553_390_6), float(1))  // 1 + z/2, z = |x|/√2
        let p = polynomial(t, [-1.265_512_23, 1.000_023_68, 0.374_091_96, 0.096_784_18, -0.186_288_06, 0.278_868_07,
                               -1.135_203_98, 1.488_515_87, -0.822_152_23, 0.170_872_77])
        let bounded = select(magnitude < float(30), magnitude, float(30))  // beyond, erfc(z) is 0
        let scaled = bounded * float(4097)
        let high = scaled - (scaled - bounded), low = bounded - high
        let rest = mulAdd(high * float(2), low, low * low) * float(0.5)
        // erfc(|x|/√2) = t·e^(−high²/2 + (P − rest)); e^ of an argument below −104 is 0.
        let argument = -(high * high) * float(0.5)
        let tail = select(argument < float(-104), float(0), t * exponential(of: argument, plus: p - rest))
        let complement = select(x < float(0), tail, float(2) - tail)
        let result = x * float(0.5) * complement
        return select(magnitude == float(.infinity), select(x > float(0), x, float(-0.0)), result)
    }

    // MARK: pow

    private func powerConstant(_ value: Double) -> IRValue { wrap(LLVMConstReal(LLVMDoubleTypeInContext(module.context), value)) }
    private func widened(_ x: IRValue) -> IRValue {
        wrap(LLVMBuildFPExt(builder, x.reference, LLVMDoubleTypeInContext(module.context), ""))
    }

    /// x^y with C's `pow` special cases (pow(x, ±0) = 1, pow(1, y) = 1, pow(−1, ±inf) = 1,
    /// a negative finite x to a non-integral finite y is NaN, odd integral y keeps x's sign).
    ///
    /// |x| = m·2^e with ln m by the atanh series in double, t = y·ln|x| in double, and e^t by
    /// range reduction and a Taylor polynomial in double, scaled by 2^n in float.
    func power(_ x: IRValue, _ y: IRValue) -> IRValue {
        let magnitude = absolute(x)
        let (exponent, mantissa) = logDecomposition(magnitude)
        let f = widened(mantissa) - powerConstant(1)
        let s = f / (f + powerConstant(2)), s2 = s * s
        var series = powerConstant(1.0 / 15)
        for k in stride(from: 13, through: 1, by: -2) { series = mulAdd(series, s2, powerConstant(1 / Double(k))) }
        var logarithm = mulAdd(widened(exponent), powerConstant(0.693_147_180_559_945_3), powerConstant(2) * s * series)
        logarithm = select(magnitude == float(0), powerConstant(-.infinity), select(magnitude == float(.infinity), powerConstant(.infinity), logarithm))
        var t = widened(y) * logarithm
        t = select(isNaN(t), powerConstant(0), select(t > powerConstant(90), powerConstant(90), select(t < powerConstant(-110), powerConstant(-110), t)))
        let magic = 6_755_399_441_055_744.0  // 1.5·2^52
        let n = (t * powerConstant(1.442_695_040_888_963_4) + powerConstant(magic)) - powerConstant(magic)
        let r = mulAdd(n, powerConstant(-1.908_214_929_270_587_7e-10), mulAdd(n, powerConstant(-6.931_471_803_691_238_2e-1), t))
        var e = powerConstant(1.0 / 479_001_600)  // 1/12!
        var factorial = 479_001_600.0
        for k in stride(from: 11, through: 0, by: -1) {
            factorial /= Double(max(k + 1, 1))
            e = mulAdd(e, r, powerConstant(1 / factorial))
        }
        let narrowed = wrap(LLVMBuildFPTrunc(builder, e.reference, types.f32, ""))
        let exponentOfTwo = wrap(LLVMBuildFPToSI(builder, n.reference, types.i32, ""))
        let half = arithmeticShiftRight(exponentOfTwo, int32(1))
        var result = narrowed * scale(half) * scale(exponentOfTwo - half)
        // Signs and special cases, the later ones winning.
        let yIsIntegral = rounded(y, .toNearestOrEven) == y
        let yIsOdd = and(absolute(y) < float(16_777_216),
                         and(wrap(LLVMBuildFPToSI(builder, y.reference, types.i32, "")), int32(1)) == int32(1))
        let xIsNegative = bitCast(x, to: types.i32) < int32(0)
        result = select(and(and(xIsNegative, yIsIntegral), yIsOdd), -result, result)
        let finite = { (v: IRValue) in self.absolute(v) < self.float(.infinity) }
        result = select(and(and(x < float(0), finite(x)), and(finite(y), yIsIntegral == wrap(LLVMConstInt(types.i1, 0, 0)))),
                        float(.nan), result)
        result = select(or(isNaN(x), isNaN(y)), x + y, result)
        result = select(and(magnitude == float(1), absolute(y) == float(.infinity)), float(1), result)
        return select(or(x == float(1), y == float(0)), float(1), result)
    }

    /// 2^n as a float for an `i32` n in [−126, 127].
    private func scale(_ n: IRValue) -> IRValue {
        bitCast(shiftLeft(n + int32(127), int32(23)), to: types.f32)
    }
}
