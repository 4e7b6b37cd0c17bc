import Testing
import WebNNBasics
import WebNNIR
import WebNNLowering
import WebNNReference
import WebNNTestSupport
import WebNNTransforms

/// The whole optimizer end to end: the seeded random graphs of the pass tests (convolutions with
/// affine ops, pools, concats, softmax and reductions; dense layers; fusable epilogues;
/// element-wise chains; shape chains; constant subgraphs) run through the -O0 and -O3 pipelines
/// with the verifier after every pass, compiled, and compared with the interpreter: on the
/// optimized graph within the conformance (WPT) tolerance of each output, and on the original
/// graph within 1e-4 relative; serial and parallel runs are bit-identical.
@Suite struct OptimizedRandomGraphTests {
    @Test(arguments: [0, 3]) func compiledGraphsMatchTheInterpreter(_ level: Int) throws {
        for seed in UInt64(0)..<72 {
            let (graph, inputs) = try RandomGraphs.make(seed: seed)
            var optimized = graph
            try PassManager(pipeline: PassRegistry.pipeline(optimizationLevel: level), verifyEach: true).run(&optimized)
            let library = try GeneratedLibrary(try Lowering.lower(optimized))
            let data = optimized.inputs.map { inputs[optimized[$0].name]! }
            let serial = try library.run(data: data)
            let parallel = try library.run(data: data, parallelFor: concurrentParallelFor)
            #expect(serial.status == 0 && parallel.status == 0, "seed \(seed), -O\(level)")
            // The compiled code against the interpreter on the same (optimized) graph, within the
            // WPT tolerance of each output; and the optimized graph against the original within the
            // bound of the pass tests (folding weights legitimately changes the rounding).
            let expected = try Interpreter(optimized).run(inputs)
            let magnitudes = try Interpreter(optimized).magnitudes(inputs)
            let original = try Interpreter(graph).run(inputs)
            for (index, output) in optimized.outputs.enumerated() {
                let name = optimized[output].name
                let actual = serial.outputs[index]
                let violation = compare(actual: actual, expected: expected[name]!,
                                        tolerance: try Tolerance.wpt(for: output, in: optimized), magnitudes: magnitudes[name])
                #expect(violation == nil, "seed \(seed), -O\(level), output \(name): \(violation.map(String.init(describing:)) ?? "")")
                let worst = zip(actual.doubles, original[name]!.doubles).map { abs($0 - $1) / (1 + abs($1)) }.max() ?? 0
                #expect(worst <= 1e-4, "seed \(seed), -O\(level), output \(name) is \(worst) (relative) from the original graph's")
                #expect(actual.bytes == parallel.outputs[index].bytes, "seed \(seed), -O\(level): serial and parallel runs differ")
            }
        }
    }
}
