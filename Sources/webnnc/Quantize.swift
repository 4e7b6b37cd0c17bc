import ArgumentParser
import Foundation
import WebNNIR
import WebNNQuantization

/// `webnnc quantize`: post-training static quantization of a float graph into a QDQ graph.
struct Quantize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Quantize a float graph to int8 (QDQ form) from .npy calibration inputs.",
        discussion: """
            Runs the float graph on the calibration inputs, observes every tensor that feeds or \
            leaves a conv2d, gemm, matmul, add, concat, pooling or resample2d, and writes the \
            graph with uint8 activations (quantizeLinear -> dequantizeLinear), per-channel \
            symmetric int8 weights and int32 biases, which the compiler's fuse-qdq pass turns \
            into integer kernels. Then it compares the float and the quantized graph on the \
            evaluation inputs: argmax agreement over axis 1 (top-1 for classifiers, pixel-wise \
            for segmentation) and the largest error. DIR holds one subfolder per sample with \
            <input name>.npy in it, or (for a one-input graph) one .npy file per sample. \
            docs/quantization.md has the details.
            """)

    @Argument(help: "The float graph: a .webnn or .wnn file (weights beside it).")
    var graph: String

    @Option(help: ArgumentHelp("Folder of calibration inputs (.npy).", valueName: "dir"))
    var calibration: String

    @Option(name: .shortAndLong, help: "Output .webnn (its weights go beside it).")
    var output: String

    @Option(help: ArgumentHelp("How a tensor's range is chosen: minmax, or percentile (clips the tails, see --percentile).", valueName: "method"))
    var calibrationMethod: String = "minmax"

    @Option(help: ArgumentHelp("With --calibration-method percentile: the range runs from the (100 - P) % to the P % quantile of the observed values.", valueName: "P"))
    var percentile: Double = 99.99

    @Option(name: .customLong("keep-float"), help: ArgumentHelp("A node to leave in float, by the name of its output (repeat).", valueName: "name"))
    var keepFloat: [String] = []

    @Option(help: ArgumentHelp("Folder of evaluation inputs, laid out like --calibration (default: the calibration inputs).", valueName: "dir"))
    var eval: String?

    @Option(help: "Use at most this many calibration (and evaluation) samples.")
    var samples: Int?

    @Flag(help: "Run calibration and evaluation with the reference interpreter instead of compiled code (slow; for small graphs).")
    var interpret = false

    @Flag(help: "Skip the comparison of the float and the quantized graph.")
    var noEval = false

    @OptionGroup var flags: CompileFlags

    func validate() throws {
        guard ["minmax", "percentile"].contains(calibrationMethod) else {
            throw ValidationError("--calibration-method \(calibrationMethod): expected minmax or percentile")
        }
        guard percentile > 50, percentile <= 100 else { throw ValidationError("--percentile must be in (50, 100]") }
        if let samples, samples < 1 { throw ValidationError("--samples must be at least 1") }
        guard isGraphFile(graph) else { throw ValidationError("quantize reads a .webnn or .wnn graph, not \(graph)") }
    }

    func run() throws {
        let compiler = flags.compiler
        let source = try compiler.loadGraph(path: graph)
        let method: CalibrationMethod = calibrationMethod == "minmax" ? .minMax : .percentile(percentile / 100)
        let makeRunner: (Graph) throws -> any GraphRunner = { [interpret] graph in
            interpret ? InterpreterRunner(graph) as any GraphRunner : try CompiledRunner(graph, compiler: compiler)
        }
        let clock = ContinuousClock(), start = clock.now
        func log(_ message: String) {
            let elapsed = (clock.now - start).components
            print(message + String(format: " [%.1f s]", Double(elapsed.seconds) + Double(elapsed.attoseconds) * 1e-18))
        }
        let calibrationSet = try CalibrationSet(directory: calibration, for: source, limit: samples)
        let (float, quantized) = try StaticQuantizer.quantize(source, samples: calibrationSet, method: method, keepFloat: Set(keepFloat),
                                                              makeRunner: makeRunner, progress: log)
        try writeGraph(quantized, to: output)
        log("wrote \(output)")
        print(try FusionCheck(quantized).summary)
        guard !noEval else { return }
        let evaluationSet = try eval.map { try CalibrationSet(directory: $0, for: source, limit: samples) } ?? calibrationSet
        let agreements = try compareOutputs(float: try makeRunner(float), quantized: try makeRunner(quantized), samples: evaluationSet)
        log("float32 vs int8 on \(evaluationSet.samples.count) sample\(evaluationSet.samples.count == 1 ? "" : "s"):")
        agreements.forEach { print("  " + $0.summary) }
    }
}
