import WebNNBasics

/// Compares a computed output with the expected one under `tolerance` (the WPT rule): floats by
/// ULP distance (float16 after rounding `expected` to float16) or absolute error, +0 equal to
/// -0 and NaN equal to NaN; integers exactly. Returns the worst failing element, or nil when
/// every element passes. `expected` may be of any data type; its values are taken as numbers.
///
/// With `magnitudes` (from `Interpreter.magnitudes`), a float element within a ULP tolerance of N
/// also passes when it is within N ULPs *of its magnitude* of the expected value: the error bound
/// of a float32 sum whose terms cancel, for tests on random data of mixed signs.
public func compare(actual: TensorData, expected: TensorData, tolerance: Tolerance,
                    magnitudes: TensorData? = nil) -> ToleranceViolation? {
    let dataType = actual.type.dataType
    let magnitudeValues = magnitudes.map(numbers)
    let actualValues = numbers(actual)
    var expectedValues = numbers(expected)
    if dataType == .float16 { expectedValues = Array(count: expectedValues.count) { Double(Float16(expectedValues[$0])) } }
    let deviation = elementDeviation(dataType, tolerance)
    let actualIntegers = dataType.isFloatingPoint ? [] : actual.integers
    let expectedIntegers = dataType.isFloatingPoint ? [] : expected.integers
    var worst: ToleranceViolation?
    func record(_ violation: ToleranceViolation) {
        if worst.map({ violation.magnitude > $0.magnitude }) ?? true { worst = violation }
    }
    for index in 0..<min(actualValues.count, expectedValues.count) {
        if dataType.isFloatingPoint {
            guard let failure = deviation(actualValues[index], expectedValues[index]) else { continue }
            if case .ulp(let count) = tolerance, let magnitudeValues, index < magnitudeValues.count,
               (actualValues[index] - expectedValues[index]).magnitude
                <= Double(count) * unitInLastPlace(max(magnitudeValues[index].magnitude, expectedValues[index].magnitude), dataType) {
                continue
            }
            record(ToleranceViolation(index: index, actual: actualValues[index], expected: expectedValues[index], deviation: failure))
        } else if actualIntegers[index] != expectedIntegers[index] {
            record(ToleranceViolation(index: index, actual: actualValues[index], expected: expectedValues[index],
                                      deviation: .absolute(abs(actualValues[index] - expectedValues[index]))))
        }
    }
    if actualValues.count != expectedValues.count {
        let index = min(actualValues.count, expectedValues.count)
        record(ToleranceViolation(index: index, actual: index < actualValues.count ? actualValues[index] : .nan,
                                  expected: index < expectedValues.count ? expectedValues[index] : .nan, deviation: .missing))
    }
    return worst
}

/// How one float element deviates from its expected value when it is outside `tolerance`
/// (nil when within it), for outputs of `dataType`.
private func elementDeviation(_ dataType: DataType, _ tolerance: Tolerance) -> (Double, Double) -> ToleranceViolation.Deviation? {
    switch tolerance {
    case .absolute(let bound):
        return { actual, expected in
            if actual == expected || (actual.isNaN && expected.isNaN) { return nil }
            let difference = (actual - expected).magnitude
            return difference <= bound ? nil : .absolute(difference)
        }
    case .ulp(let count):
        let allowed = UInt64(Swift.max(0, count))
        let isFloat16 = dataType == .float16
        return { actual, expected in
            let distance = isFloat16 ? ulpDistance(Float16(actual), Float16(expected)) : ulpDistance(Float(actual), Float(expected))
            return distance <= allowed ? nil : .ulps(distance)
        }
    }
}

/// The spacing of `dataType`'s floats at `value`.
private func unitInLastPlace(_ value: Double, _ dataType: DataType) -> Double {
    dataType == .float16 ? Double(Float16(value).ulp) : Double(Float(value).ulp)
}

/// The elements of `tensor` as Doubles, decoded in one pass.
private func numbers(_ tensor: TensorData) -> [Double] {
    switch TensorValue(tensor).elements {
    case .floats(let values): return Array(count: values.count) { Double(values[$0]) }
    case .signed(let values): return Array(count: values.count) { Double(values[$0]) }
    case .unsigned(let values): return Array(count: values.count) { Double(values[$0]) }
    }
}

/// The number of float32 values between `a` and `b`: 0 for equal values, for +0 and -0, and
/// for two NaNs; `UInt64.max` when exactly one is NaN. Infinity is one step past the largest
/// finite value.
public func ulpDistance(_ a: Float, _ b: Float) -> UInt64 {
    if a == b { return 0 }
    if a.isNaN || b.isNaN { return a.isNaN && b.isNaN ? 0 : .max }
    return signMagnitudeDistance(UInt64(a.bitPattern), UInt64(b.bitPattern), signBit: 1 << 31)
}

/// The number of float16 values between `a` and `b`, with the same rules as for float32.
public func ulpDistance(_ a: Float16, _ b: Float16) -> UInt64 {
    if a == b { return 0 }
    if a.isNaN || b.isNaN { return a.isNaN && b.isNaN ? 0 : .max }
    return signMagnitudeDistance(UInt64(a.bitPattern), UInt64(b.bitPattern), signBit: 1 << 15)
}

/// Distance between two IEEE bit patterns: without the sign bit a pattern is the position of
/// the value's magnitude among the non-negative values, so same-sign values are the difference
/// of positions apart and opposite-sign values the sum.
private func signMagnitudeDistance(_ a: UInt64, _ b: UInt64, signBit: UInt64) -> UInt64 {
    let (first, second) = (a & ~signBit, b & ~signBit)
    if a & signBit == b & signBit { return first > second ? first - second : second - first }
    return first + second
}
