import Foundation
import Testing
import WebNNBasics
import WebNNFrontend
import WebNNIR
@testable import WebNNTransforms

@Suite struct PassManagerTests {
    static let network = """
        webnn_graph "net" v1 {
          inputs { x: f32[1, 2, 3, 3]; }
          consts { w: f32[2, 2, 1, 1] @scalar(2); mean: f32[2] @scalar(1); variance: f32[2] @scalar(4); one: f32[] @scalar(1); }
          nodes {
            conv = conv2d(x, w);
            bn = batchNormalization(conv, mean, variance, epsilon=0);
            same = reshape(bn, [1, 2, 3, 3]);
            y = mul(same, one);
            z = relu(y);
          }
          outputs { z; }
        }
        """

    @Test func optimizationLevelPipelines() {
        #expect(PassRegistry.pipeline(optimizationLevel: 0).description == "")
        #expect(PassRegistry.pipeline(optimizationLevel: 1).description == "dce,constant-fold,simplify,dce")
        #expect(PassRegistry.pipeline(optimizationLevel: 2).description == "dce,fuse-qdq,fixed-point(constant-fold,simplify,cse,fold-batchnorm),fuse-epilogues,dense-as-conv,convert-layout,fixed-point(constant-fold,simplify,cse),hoist-strides,fuse-elementwise")
        #expect(PassRegistry.pipeline(optimizationLevel: 3).description == PassRegistry.pipeline(optimizationLevel: 2).description)
    }

    @Test func pipelineTextRoundTrips() throws {
        for text in ["dce", "simplify,cse", "dce,fixed-point(simplify,cse),fold-batchnorm", "fixed-point(dce)", ""] {
            #expect(try PassRegistry.pipeline(parsing: text).description == text)
        }
        #expect(try PassRegistry.pipeline(parsing: " dce , fixed-point( cse ,simplify ) ").description == "dce,fixed-point(cse,simplify)")
    }

    @Test func pipelineErrors() {
        func error(_ text: String) -> String {
            do { _ = try PassRegistry.pipeline(parsing: text); return "no error" } catch { return "\(error)" }
        }
        #expect(error("dce,simplfy") == "unknown pass 'simplfy'; did you mean 'simplify'? (--print-passes lists every pass)")
        #expect(error("fold-batchnorms") == "unknown pass 'fold-batchnorms'; did you mean 'fold-batchnorm'? (--print-passes lists every pass)")
        #expect(error("inline") == "unknown pass 'inline' (--print-passes lists every pass)")
        #expect(error("dce,,cse") == "invalid pass pipeline: empty pass name in 'dce,,cse'")
        #expect(error("dce,") == "invalid pass pipeline: empty pass name in 'dce,'")
        #expect(error("fixed-point(dce") == "invalid pass pipeline: missing ')' in 'fixed-point(dce'")
        #expect(error("fixed-point(dce,fixed-point(cse))") == "invalid pass pipeline: fixed-point groups do not nest in 'fixed-point(dce,fixed-point(cse))'")
        #expect(error("repeat(dce)") == "invalid pass pipeline: 'repeat(dce)' is not a pass or 'fixed-point(...)'")
        #expect(error("fixed-point(dce)x") == "invalid pass pipeline: unexpected text after ')' in 'fixed-point(dce)x'")
    }

    @Test func passListingHasEveryPass() {
        let lines = PassRegistry.passListing.split(separator: "\n")
        #expect(lines.count == PassRegistry.passes.count)
        #expect(lines.first == "  dce               remove nodes and constants no output depends on")
    }

    @Test func stopAfterStopsAtTheFirstRun() throws {
        var graph = try load(PassManagerTests.network)
        let timer = TimePassesInstrumentation()
        try PassManager(pipeline: PassRegistry.pipeline(optimizationLevel: 2), stopAfter: "simplify", instrumentations: [timer]).run(&graph)
        #expect(timer.runs.map(\.passName) == ["dce", "fuse-qdq", "constant-fold", "simplify"])
        #expect(graph.nodes.map(\.op) == ["conv2d", "batchNormalization", "relu"])

        let notInPipeline = PassManager(pipeline: PassRegistry.pipeline(optimizationLevel: 1), stopAfter: "cse")
        #expect(throws: PipelineError.notInPipeline("cse", pipeline: "dce,constant-fold,simplify,dce")) { try notInPipeline.run(&graph) }
    }

    @Test func fixedPointRepeatsUntilNothingChanges() throws {
        var graph = try load(PassManagerTests.network)
        let timer = TimePassesInstrumentation()
        try PassManager(pipeline: try PassRegistry.pipeline(parsing: "fixed-point(fold-batchnorm,simplify)"), instrumentations: [timer]).run(&graph)
        // Round 1 changes the graph, round 2 confirms nothing is left to do.
        #expect(timer.runs.map(\.passName) == ["fold-batchnorm", "simplify", "fold-batchnorm", "simplify"])
        #expect(graph.nodes.map(\.op) == ["conv2d", "relu"])
    }

    @Test func oscillatingPassesAreAnInternalError() throws {
        let flipFlop = Pass("flip-flop", "always claims a change") { _ in true }
        var graph = try load(PassManagerTests.network)
        #expect(throws: InternalError(stage: "fixed-point(flip-flop)", "no fixed point after 16 rounds")) {
            try PassManager(pipeline: Pipeline([.fixedPoint([flipFlop])])).run(&graph)
        }
    }

    @Test func verifyEachNamesThePassThatBrokeTheGraph() throws {
        let breaker = Pass("breaker", "drops the outputs") { graph in
            graph.setOutputs([])
            return true
        }
        var graph = try load(PassManagerTests.network)
        #expect(throws: InternalError(stage: "breaker", "the graph has no outputs")) {
            try PassManager(pipeline: Pipeline([.once(DeadCodeElimination.pass), .once(breaker)]), verifyEach: true).run(&graph)
        }
    }

    @Test func passErrorsNameThePass() throws {
        let failing = Pass("failing", "throws a diagnostic") { _ in throw Diagnostic("boom") }
        var graph = try load(PassManagerTests.network)
        #expect(throws: InternalError(stage: "failing", "error: boom")) {
            try PassManager(pipeline: Pipeline([.once(failing)])).run(&graph)
        }
    }

    @Test func printIRBeforeAndAfter() throws {
        var graph = try load(PassManagerTests.network)
        var dumps: [String] = []
        let printer = PrintIRInstrumentation(before: ["simplify"], after: ["fold-batchnorm"], write: { dumps.append($0) })
        try PassManager(pipeline: try PassRegistry.pipeline(parsing: "simplify,fold-batchnorm,fold-batchnorm"),
                        instrumentations: [printer]).run(&graph)
        #expect(dumps.count == 3)
        #expect(dumps[0].hasPrefix("# *** IR Dump Before simplify (#1) ***\nwebnn_graph \"net\" v1 {\n"))
        #expect(dumps[0].contains("same = reshape(bn, [1, 2, 3, 3]);"))
        #expect(dumps[1].hasPrefix("# *** IR Dump After fold-batchnorm (#2) ***\nwebnn_graph"))
        #expect(dumps[1].contains("bn = conv2d(x, bn.filter, bias=bn.bias);"))
        #expect(dumps[2] == "# *** IR Dump After fold-batchnorm (#3) *** omitted because no change\n")
        // A dump is valid input.
        #expect(printed(try load(dumps[1])) == String(dumps[1].drop { $0 != "\n" }.dropFirst()))
    }

    @Test func printIRAfterAll() throws {
        var graph = try load(PassManagerTests.network)
        var banners: [String] = []
        let printer = PrintIRInstrumentation(afterAll: true, write: { banners.append(String($0.prefix { $0 != "\n" })) })
        try PassManager(pipeline: PassRegistry.pipeline(optimizationLevel: 1), instrumentations: [printer]).run(&graph)
        #expect(banners == [
            "# *** IR Dump After dce (#1) *** omitted because no change",
            "# *** IR Dump After constant-fold (#2) *** omitted because no change",
            "# *** IR Dump After simplify (#3) ***",
            "# *** IR Dump After dce (#4) *** omitted because no change",
        ])
    }

    @Test func dumpDirectoryWritesNumberedGraphsThatLoadOnTheirOwn() throws {
        // Weights large enough to go to a weights file.
        var graph = Graph(name: "dumped")
        let x = try graph.addInput("x", TensorType(.float32, [1, 4, 5, 5]))
        let w = try graph.addConstant("w", Constant(data: TensorData(float32: (0..<64).map(Float.init), shape: [4, 4, 2, 2]), weightsKey: "w"))
        let mean = try graph.addConstant("mean", Constant(data: TensorData(float32: [1, 2, 3, 4], shape: [4])))
        let variance = try graph.addConstant("variance", Constant(data: TensorData(float32: [1, 2, 3, 4], shape: [4])))
        let conv = try graph.addNode(Node(op: "conv2d", operands: [x, w, nil]), outputNames: ["conv"])[0]
        graph.addOutput(try graph.addNode(Node(op: "batchNormalization", operands: [conv, mean, variance, nil, nil]), outputNames: ["bn"])[0])

        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let dumper = DumpDirectoryInstrumentation(directory: directory.appendingPathComponent("dumps"))
        try PassManager(pipeline: try PassRegistry.pipeline(parsing: "dce,fold-batchnorm"), instrumentations: [dumper]).run(&graph)

        #expect(dumper.writtenFiles.map(\.lastPathComponent) == ["00-input.webnn", "01-dce.webnn", "02-fold-batchnorm.webnn"])
        let files = try FileManager.default.contentsOfDirectory(atPath: dumper.directory.path).sorted()
        #expect(files.contains("02-fold-batchnorm.manifest.json") && files.contains("02-fold-batchnorm.weights"))
        let reloaded = try GraphLoader.load(path: dumper.directory.appendingPathComponent("02-fold-batchnorm.webnn").path)
        #expect(reloaded.nodes.map(\.op) == ["conv2d"])
        #expect(reloaded.constants.values.map(\.data).contains(graph.constants[graph.nodes[0].operand("filter")!]!.data))
    }

    @Test func timePassesReport() throws {
        var graph = try load(PassManagerTests.network)
        let timer = TimePassesInstrumentation()
        try PassManager(pipeline: PassRegistry.pipeline(optimizationLevel: 1), instrumentations: [timer]).run(&graph)
        let report = timer.report()
        #expect(report.contains("Pass execution timing report"))
        #expect(report.contains("     ---Wall Time---   Runs  --- Name ---\n"))
        #expect(report.contains("      2  dce\n"))
        #expect(report.contains("(100.0%)      4  Total\n"))
    }
}
