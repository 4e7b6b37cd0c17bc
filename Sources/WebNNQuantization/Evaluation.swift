import WebNNBasics

/// How closely a quantized graph's outputs follow the float graph's, accumulated over samples.
public struct OutputAgreement: Sendable {
    public let name: String
    /// Positions where the argmax over axis 1 (the classes of `[N, C]` or `[N, C, H, W]`)
    /// agrees, out of `positions` (0 when axis 1 has one element or the rank is below 2).
    public private(set) var agreeing = 0
    public private(set) var positions = 0
    /// The largest |quantized − float| and the largest |float|.
    public private(set) var maxAbsoluteError = 0.0
    public private(set) var maxMagnitude = 0.0

    /// For `[1, C]` outputs: each sample's float and quantized rows, for `centeredAgreement`.
    private var rows: [(float: [Double], quantized: [Double])] = []

    public init(name: String) { self.name = name }

    /// For `[1, C]` outputs: the fraction of samples whose argmax of the output minus the float
    /// output's mean over all samples agrees. A classifier with random weights predicts nearly
    /// the same class for every input; this top-1 measures the part of the output that depends on
    /// the input.
    public var centeredAgreement: Double? {
        guard rows.count > 1 else { return nil }
        let count = Double(rows.count)
        let mean = rows.dropFirst().reduce(rows[0].float) { zip($0, $1.float).map(+) }.map { $0 / count }
        func argmax(_ row: [Double]) -> Int { row.indices.max { row[$0] - mean[$0] < row[$1] - mean[$1] }! }
        return Double(rows.filter { argmax($0.float) == argmax($0.quantized) }.count) / count
    }

    /// Fraction of positions whose argmax agrees (nil when there are none).
    public var argmaxAgreement: Double? { positions > 0 ? Double(agreeing) / Double(positions) : nil }
    /// The largest absolute error relative to the largest float magnitude.
    public var relativeError: Double { maxMagnitude > 0 ? maxAbsoluteError / maxMagnitude : maxAbsoluteError }

    /// Adds one sample's outputs (same type and shape).
    public mutating func add(float: TensorData, quantized: TensorData) {
        let expected = float.doubles, actual = quantized.doubles
        for (e, a) in zip(expected, actual) {
            maxAbsoluteError = max(maxAbsoluteError, abs(a - e))
            maxMagnitude = max(maxMagnitude, abs(e))
        }
        let shape = float.type.shape
        if shape.count == 2, shape[0] == 1 { rows.append((expected, actual)) }
        guard shape.count >= 2, shape[1] > 1 else { return }
        let classes = shape[1], inner = shape[2...].reduce(1, *)
        for n in 0..<shape[0] {
            for position in 0..<inner {
                let base = n * classes * inner + position
                func argmax(_ values: [Double]) -> Int {
                    (0..<classes).max { values[base + $0 * inner] < values[base + $1 * inner] }!
                }
                if argmax(expected) == argmax(actual) { agreeing += 1 }
                positions += 1
            }
        }
    }

    /// One line: argmax agreement (if any), max abs and relative error.
    public var summary: String {
        var text = "\(name):"
        if let agreement = argmaxAgreement {
            text += " argmax agreement \(String(format: "%.2f", agreement * 100)) % (\(agreeing)/\(positions))"
        }
        if let centered = centeredAgreement {
            text += String(format: ", centered top-1 agreement %.2f %%", centered * 100)
        }
        return text + String(format: ", max abs error %.4g, relative to max |float| %.4g", maxAbsoluteError, relativeError)
    }
}

/// Runs the float and the quantized graph on every sample of `samples` and compares each output.
public func compareOutputs(float: any GraphRunner, quantized: any GraphRunner,
                           samples: CalibrationSet) throws -> [OutputAgreement] {
    var agreements: [String: OutputAgreement] = [:]
    for sample in samples.samples.indices {
        let inputs = try samples.inputs(ofSample: sample)
        let expected = try float.run(inputs), actual = try quantized.run(inputs)
        for (name, data) in expected {
            guard let other = actual[name], other.type == data.type else {
                throw InternalError(stage: "quantize", "the quantized graph's output '\(name)' does not match the float graph's")
            }
            agreements[name, default: OutputAgreement(name: name)].add(float: data, quantized: other)
        }
    }
    return agreements.values.sorted { $0.name < $1.name }
}
