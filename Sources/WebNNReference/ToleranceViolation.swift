import WebNNBasics

/// The element of a computed output that is farthest outside its tolerance.
public struct ToleranceViolation: Equatable, Sendable, CustomStringConvertible {
    /// How far an element is from its expected value.
    public enum Deviation: Equatable, Sendable {
        /// Distance in units in the last place of the output's float type.
        case ulps(UInt64)
        /// Absolute difference (absolute tolerances and integer outputs).
        case absolute(Double)
        /// One of the tensors has no element at this index (their element counts differ).
        case missing
    }

    /// Row-major index of the element.
    public var index: Int
    /// The computed value (NaN if missing).
    public var actual: Double
    /// The expected value, rounded to float16 for float16 outputs (NaN if missing).
    public var expected: Double
    public var deviation: Deviation

    public init(index: Int, actual: Double, expected: Double, deviation: Deviation) {
        self.index = index
        self.actual = actual
        self.expected = expected
        self.deviation = deviation
    }

    public var description: String {
        let how: String
        switch deviation {
        case .ulps(let count): how = "\(count) ULP apart"
        case .absolute(let difference): how = "off by \(difference)"
        case .missing: return "element \(index): the element counts differ"
        }
        return "element \(index): got \(actual), expected \(expected) (\(how))"
    }

    /// The size of the deviation, for picking the worst element.
    var magnitude: Double {
        switch deviation {
        case .ulps(let count): return Double(count)
        case .absolute(let difference): return difference.isNaN ? .infinity : difference
        case .missing: return .infinity
        }
    }
}
