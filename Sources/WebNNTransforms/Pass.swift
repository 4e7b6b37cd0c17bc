import WebNNIR

/// A graph-to-graph transformation, declared once in `PassRegistry`.
public struct Pass: Sendable {
    /// The name used in pipelines and flags (`fold-batchnorm`).
    public let name: String
    /// One line for `--print-passes`.
    public let summary: String
    private let body: @Sendable (inout Graph) throws -> Bool

    /// A pass whose `body` transforms the graph in place and returns whether it changed anything.
    public init(_ name: String, _ summary: String, body: @escaping @Sendable (inout Graph) throws -> Bool) {
        self.name = name
        self.summary = summary
        self.body = body
    }

    /// Runs the pass once; returns whether it changed the graph (fixed-point steps stop when no
    /// pass of the step reports a change).
    @discardableResult
    public func run(_ graph: inout Graph) throws -> Bool {
        try body(&graph)
    }
}
