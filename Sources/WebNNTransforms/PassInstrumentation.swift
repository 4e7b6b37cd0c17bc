import WebNNIR

/// One run of one pass within a pipeline run.
public struct PassExecution: Sendable, Equatable {
    /// Counts the pass runs of the pipeline run from 1 (a pass repeated by a fixed-point step
    /// gets a new number each time); dumps are numbered by it.
    public var number: Int
    public var passName: String

    public init(number: Int, passName: String) {
        self.number = number
        self.passName = passName
    }
}

/// Hooks the pass manager calls around the passes it runs (LLVM's PassInstrumentation):
/// printing, dumping and timing are instrumentations, so a pipeline can be watched without
/// changing it. Every method has an empty default.
public protocol PassInstrumentation: AnyObject {
    /// Called once with the graph the pipeline starts from.
    func pipelineWillStart(_ graph: Graph) throws
    /// Called before a pass runs, with the graph it will see.
    func passWillRun(_ execution: PassExecution, on graph: Graph) throws
    /// Called after a pass ran (and, with verify-each, was verified), with the graph it produced.
    func passDidRun(_ execution: PassExecution, producing graph: Graph, changed: Bool, duration: Duration) throws
}

extension PassInstrumentation {
    public func pipelineWillStart(_ graph: Graph) throws {}
    public func passWillRun(_ execution: PassExecution, on graph: Graph) throws {}
    public func passDidRun(_ execution: PassExecution, producing graph: Graph, changed: Bool, duration: Duration) throws {}
}
