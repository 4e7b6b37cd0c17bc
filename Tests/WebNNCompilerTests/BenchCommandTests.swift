import Foundation
import Testing

/// `webnnc bench`: its JSON output and its errors.
@Suite struct BenchCommandTests {
    let example = packageRoot.appendingPathComponent("Examples/conv-relu/model.webnn").path

    @Test func jsonHasEveryStatistic() throws {
        let folder = try TemporaryFolder()
        let compile = try webnnc([example, "-o", folder.path("libmodel.so")])
        #expect(compile.status == 0, "\(compile.standardError)")
        let bench = try webnnc(["bench", folder.path("libmodel.so"), "--iterations", "5", "--warmup", "1", "--threads", "1", "--json"])
        #expect(bench.status == 0, "\(bench.standardError)")
        let object = try JSONSerialization.jsonObject(with: Data(bench.standardOutput.utf8)) as? [String: Any]
        let result = try #require(object)
        #expect(result["model"] as? String == "conv_relu")
        #expect(result["iterations"] as? Int == 5)
        #expect(result["warmup"] as? Int == 1)
        #expect(result["threads"] as? Int == 1)
        let statistics = try ["minMs", "medianMs", "p90Ms", "meanMs", "stddevMs"].map { key in
            try #require(result[key] as? Double, "missing \(key)")
        }
        let (minimum, median, p90, mean, stddev) = (statistics[0], statistics[1], statistics[2], statistics[3], statistics[4])
        #expect(minimum > 0 && minimum <= median && median <= p90)
        #expect(minimum <= mean && stddev >= 0)
        let samples = try #require(result["samplesMs"] as? [Double])
        #expect(samples.count == 5 && samples.min() == minimum)
    }

    /// `--profile` times every step: the example's conv2d (with relu fused, in nhwc) and the
    /// transposes at its edges, each with its kernel, their shares adding up to the whole run.
    @Test func profileListsEveryStepWithItsKernel() throws {
        let folder = try TemporaryFolder()
        #expect(try webnnc([example, "-o", folder.path("libmodel.so")]).status == 0)
        let bench = try webnnc(["bench", folder.path("libmodel.so"), "--iterations", "3", "--threads", "1", "--json", "--profile"])
        #expect(bench.status == 0, "\(bench.standardError)")
        let object = try JSONSerialization.jsonObject(with: Data(bench.standardOutput.utf8)) as? [String: Any]
        let steps = try #require((object?["profile"] as? [String: Any])?["steps"] as? [[String: Any]])
        #expect(steps.map { $0["label"] as? String } == ["image_nhwc", "act1_nhwc", "act1"])
        #expect(steps.map { $0["kernel"] as? String } == ["ChannelsLastTransposeKernel", "FastConv2dKernel", "StridedCopyKernel"])
        let shares = steps.compactMap { $0["share"] as? Double }
        #expect(shares.count == 3 && shares.allSatisfy { $0 > 0 } && abs(shares.reduce(0, +) - 1) < 1e-9)
        let text = try webnnc(["bench", folder.path("libmodel.so"), "--iterations", "3", "--profile"])
        #expect(text.standardOutput.contains("act1_nhwc  [FastConv2dKernel]"), "\(text.standardOutput)")
        #expect(text.standardOutput.contains("per kernel:"))
    }

    @Test func badArgumentsExitWithOne() throws {
        let folder = try TemporaryFolder()
        #expect(try webnnc([example, "-o", folder.path("libmodel.so")]).status == 0)
        let zeroIterations = try webnnc(["bench", folder.path("libmodel.so"), "--iterations", "0"])
        #expect(zeroIterations.status == 1)
        #expect(zeroIterations.standardError.contains("--iterations must be at least 1"))
        let graph = try webnnc(["bench", example])
        #expect(graph.status == 1)
        #expect(graph.standardError.contains("compile the graph first"))
        let missing = try webnnc(["bench", folder.path("absent.so")])
        #expect(missing.status == 1)
        #expect(missing.standardError.contains("no such file"))
    }
}
