import Testing
import WebNNBasics
import WebNNIR
import WebNNReference
@testable import WebNNTransforms
import WebNNTestSupport

/// Every pass and pipeline keeps what random graphs compute: the interpreter's results before
/// and after agree within float tolerance, and the verifier passes after every pass. A failure
/// prints the seed; `RandomGraphs.make(seed:)` rebuilds that graph.
@Suite struct NumericTests {
    static let seeds: [UInt64] = Array(0..<120)
    static let pipelines = PassRegistry.passes.map(\.name) + ["-O1", "-O2"]

    @Test(arguments: pipelines) func resultsAreKept(_ pipelineName: String) throws {
        let pipeline = pipelineName.hasPrefix("-O") ? PassRegistry.pipeline(optimizationLevel: Int(pipelineName.dropFirst(2))!)
            : try PassRegistry.pipeline(parsing: pipelineName)
        for seed in NumericTests.seeds {
            let (graph, inputs) = try RandomGraphs.make(seed: seed)
            var optimized = graph
            do {
                try PassManager(pipeline: pipeline, verifyEach: true).run(&optimized)
            } catch {
                Issue.record("seed \(seed), \(pipelineName): \(error)\n\(printed(graph))")
                continue
            }
            let expected = try Interpreter(graph).run(inputs)
            let actual = try Interpreter(optimized).run(inputs)
            for (name, value) in expected {
                guard let result = actual[name] else {
                    Issue.record("seed \(seed), \(pipelineName): output \(name) is gone")
                    continue
                }
                if let difference = largestDifference(result, value) {
                    Issue.record("seed \(seed), \(pipelineName): output \(name) \(difference)\nbefore:\n\(printed(graph))after:\n\(printed(optimized))")
                }
            }
        }
    }

    /// The optimizations do fire on these graphs: -O2 removes nodes from most of them.
    @Test func optimizationsFire() throws {
        var shrunk = 0
        for seed in NumericTests.seeds {
            var graph = try RandomGraphs.make(seed: seed).graph
            let before = graph.nodes.count
            try PassManager(pipeline: PassRegistry.pipeline(optimizationLevel: 2)).run(&graph)
            if graph.nodes.count < before { shrunk += 1 }
        }
        #expect(shrunk * 2 > NumericTests.seeds.count, "only \(shrunk) of \(NumericTests.seeds.count) graphs shrank")
    }

    /// A description of the worst element farther apart than 1e-4 relative (to 1 + |expected|).
    private func largestDifference(_ actual: TensorData, _ expected: TensorData) -> String? {
        guard actual.type == expected.type else { return "has type \(actual.type), expected \(expected.type)" }
        let differences = zip(actual.doubles, expected.doubles).enumerated().map { index, pair in
            (index: index, error: abs(pair.0 - pair.1) / (1 + abs(pair.1)), actual: pair.0, expected: pair.1)
        }
        guard let worst = differences.max(by: { $0.error < $1.error }), worst.error > 1e-4 || worst.error.isNaN else { return nil }
        return "element \(worst.index): got \(worst.actual), expected \(worst.expected)"
    }
}
