/// How calibration turns the values a tensor took into the range its 8-bit type covers.
public enum CalibrationMethod: Sendable, Equatable {
    /// The smallest and largest value seen.
    case minMax
    /// The values at the `fraction` and `1 - fraction` quantiles of every value seen (e.g.
    /// 0.9999), read from a 2048-bin histogram over the min/max range: outliers are clipped.
    case percentile(Double)

    /// How many passes over the calibration inputs the method needs.
    var passes: Int { self == .minMax ? 1 : 2 }
}

/// The smallest and largest value seen.
struct MinMaxObserver: Sendable {
    private(set) var lower = Float.infinity
    private(set) var upper = -Float.infinity

    mutating func observe(_ values: UnsafeBufferPointer<Float>) {
        var (low, high) = (lower, upper)
        for value in values where value.isFinite {
            low = min(low, value)
            high = max(high, value)
        }
        (lower, upper) = (low, high)
    }

    /// The observed range; (0, 0) when nothing finite was seen.
    var range: ClosedRange<Float> { lower <= upper ? lower...upper : 0...0 }
}

/// A histogram of values over a fixed range (the min/max a first pass found).
struct HistogramObserver: Sendable {
    static let binCount = 2048
    let bounds: ClosedRange<Float>
    private(set) var counts = [Int](repeating: 0, count: HistogramObserver.binCount)

    init(bounds: ClosedRange<Float>) { self.bounds = bounds }

    mutating func observe(_ values: UnsafeBufferPointer<Float>) {
        let width = Double(bounds.upperBound) - Double(bounds.lowerBound)
        guard width > 0 else { return }
        let perUnit = Double(HistogramObserver.binCount) / width, low = Double(bounds.lowerBound)
        counts.withUnsafeMutableBufferPointer { counts in
            for value in values where value.isFinite {
                let bin = Int((Double(value) - low) * perUnit)
                counts[min(max(bin, 0), HistogramObserver.binCount - 1)] += 1
            }
        }
    }

    /// The range from the `1 - fraction` quantile's bin's lower edge to the `fraction`
    /// quantile's bin's upper edge.
    func range(keeping fraction: Double) -> ClosedRange<Float> {
        let total = counts.reduce(0, +)
        guard total > 0, bounds.upperBound > bounds.lowerBound else { return bounds }
        let width = (Double(bounds.upperBound) - Double(bounds.lowerBound)) / Double(HistogramObserver.binCount)
        let tail = Double(total) * (1 - fraction)
        var seen = 0
        var first = 0
        while first < counts.count - 1, Double(seen + counts[first]) <= tail {
            seen += counts[first]
            first += 1
        }
        seen = 0
        var last = counts.count - 1
        while last > first, Double(seen + counts[last]) <= tail {
            seen += counts[last]
            last -= 1
        }
        let lower = first == 0 ? bounds.lowerBound : Float(Double(bounds.lowerBound) + Double(first) * width)
        let upper = last == counts.count - 1 ? bounds.upperBound : Float(Double(bounds.lowerBound) + Double(last + 1) * width)
        return lower...upper
    }
}

/// The scale and zero point of a uint8 tensor (asymmetric, the range stretched to include 0, as
/// ONNX Runtime computes them): scale = (max − min) / 255, zero point = round(−min / scale).
public struct ActivationQuantization: Sendable, Equatable {
    public let scale: Float
    public let zeroPoint: UInt8

    public init(scale: Float, zeroPoint: UInt8) {
        self.scale = scale
        self.zeroPoint = zeroPoint
    }

    public init(range: ClosedRange<Float>) {
        let lower = min(range.lowerBound, 0), upper = max(range.upperBound, 0)
        guard upper > lower else {
            self.init(scale: 1, zeroPoint: 0)
            return
        }
        let scale = (upper - lower) / 255
        let zeroPoint = (-lower / scale).rounded(.toNearestOrEven)
        self.init(scale: scale, zeroPoint: UInt8(min(max(zeroPoint, 0), 255)))
    }
}
