import WebNNBasics
import WebNNIR

/// A graph-to-graph transformation, declared once in `PassRegistry`.
public struct Pass: Sendable {
    public var name: String
    /// One line for `--print-passes`.
    public var summary: String
    public var run: @Sendable (inout Graph) throws -> Void

    public init(_ name: String, _ summary: String, run: @escaping @Sendable (inout Graph) throws -> Void) {
        self.name = name
        self.summary = summary
        self.run = run
    }
}

/// Every pass, and the named pipelines (`-O0`..`-O3`) made of them.
public enum PassRegistry {
    public static let passes: [Pass] = [DeadCodeElimination.pass]

    public static func pass(named name: String) -> Pass? { passes.first { $0.name == name } }

    /// The pipeline of an optimization level.
    public static func pipeline(optimizationLevel level: Int) -> [Pass] {
        level == 0 ? [] : [DeadCodeElimination.pass]
    }
}

/// Runs a pipeline, verifying the graph after every pass when asked.
public struct PassManager {
    public var passes: [Pass]
    public var verifyEach: Bool
    /// Called after each pass with its name and the graph it produced (for dumps and timing).
    public var observer: ((String, Graph, Duration) -> Void)?

    public init(passes: [Pass], verifyEach: Bool = true, observer: ((String, Graph, Duration) -> Void)? = nil) {
        self.passes = passes
        self.verifyEach = verifyEach
        self.observer = observer
    }

    public func run(_ graph: inout Graph) throws {
        let clock = ContinuousClock()
        for pass in passes {
            let start = clock.now
            try pass.run(&graph)
            let elapsed = clock.now - start
            if verifyEach { try Verifier.verify(graph, after: pass.name) }
            observer?(pass.name, graph, elapsed)
        }
    }
}
