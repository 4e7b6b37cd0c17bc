import WebNNBasics
import WebNNIR

/// Observes the ranges of a plan's values by running the float graph on calibration samples.
public enum Calibration {
    /// `graph` with every observed value of `plan` that is not a graph input made an extra
    /// output (named as the value), so one run yields them all.
    public static func observationGraph(_ graph: Graph, _ plan: QuantizationPlan) -> Graph {
        var observed = graph
        let outputs = Set(graph.outputs)
        for id in plan.observedValues where graph[id].definition != .input && !outputs.contains(id) {
            observed.addOutput(id)
        }
        return observed
    }

    /// The range of every observed value of `plan` over `samples`, run by `runner` (which runs
    /// `observationGraph(graph, plan)`). `progress` hears about each finished pass.
    public static func ranges(of graph: Graph, _ plan: QuantizationPlan, samples: CalibrationSet,
                              method: CalibrationMethod, runner: any GraphRunner,
                              progress: (String) -> Void = { _ in }) throws -> [ValueID: ClosedRange<Float>] {
        let observed = plan.observedValues
        guard !samples.samples.isEmpty else { throw QuantizationError("no calibration samples") }
        func forEachObservation(_ body: (Int, UnsafeBufferPointer<Float>) -> Void) throws {
            for sample in samples.samples.indices {
                let inputs = try samples.inputs(ofSample: sample)
                let outputs = try runner.run(inputs)
                for (index, id) in observed.enumerated() {
                    let name = graph[id].name
                    guard let data = inputs[name] ?? outputs[name], data.type.dataType == .float32 else {
                        throw InternalError(stage: "quantize", "the observation run did not produce '\(name)'")
                    }
                    data.bytes.withUnsafeBytes { body(index, $0.bindMemory(to: Float.self)) }
                }
            }
        }
        var minMax = [MinMaxObserver](repeating: MinMaxObserver(), count: observed.count)
        try forEachObservation { minMax[$0].observe($1) }
        progress("observed \(observed.count) tensors on \(samples.samples.count) sample\(samples.samples.count == 1 ? "" : "s") (min/max)")
        var ranges = minMax.map(\.range)
        if case .percentile(let fraction) = method {
            var histograms = ranges.map { HistogramObserver(bounds: $0) }
            try forEachObservation { histograms[$0].observe($1) }
            ranges = histograms.map { $0.range(keeping: fraction) }
            progress("observed \(observed.count) histograms (percentile \(fraction * 100) %)")
        }
        return Dictionary(uniqueKeysWithValues: zip(observed, ranges))
    }
}

/// The whole post-training static quantization of a float graph.
public enum StaticQuantizer {
    /// The QDQ graph of `graph`: prepared (`QDQWriter.preparation`), planned, calibrated on
    /// `samples` with `method` (the observation graph run by a runner from `makeRunner`) and
    /// written by `QDQWriter`. Also returns the prepared float graph.
    public static func quantize(_ graph: Graph, samples: CalibrationSet, method: CalibrationMethod,
                                keepFloat: Set<String> = [], makeRunner: (Graph) throws -> any GraphRunner,
                                progress: (String) -> Void = { _ in }) throws -> (float: Graph, quantized: Graph) {
        let prepared = try QDQWriter.prepare(graph)
        let plan = try QuantizationPlan(prepared, keepFloat: keepFloat)
        guard !plan.values.isEmpty else { throw QuantizationError("the graph has nothing to quantize (no conv2d, gemm, matmul, add, concat, pooling or resample2d on float32 values)") }
        progress("quantizing \(plan.values.count) tensors, \(plan.weightedNodes.count) weighted nodes")
        let runner = try makeRunner(Calibration.observationGraph(prepared, plan))
        let ranges = try Calibration.ranges(of: prepared, plan, samples: samples, method: method, runner: runner, progress: progress)
        let quantized = try QDQWriter.quantize(prepared, plan, parameters: QDQWriter.parameters(plan, ranges: ranges))
        return (prepared, quantized)
    }
}
