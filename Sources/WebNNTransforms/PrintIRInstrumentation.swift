import WebNNIR

/// `--print-ir-before=P`, `--print-ir-after=P`, `--print-ir-after-all`: hands the graph's
/// `.webnn` text, under a `#` banner (so the text still parses), to `write`.
///
/// After a pass that changed nothing, only the banner is written, ending in "omitted because no
/// change". Large computed constants print as `@weights` keys that no weights file holds; use
/// `DumpDirectoryInstrumentation` for dumps that compile on their own.
public final class PrintIRInstrumentation: PassInstrumentation {
    private let before: Set<String>
    private let after: Set<String>
    private let afterAll: Bool
    private let write: (String) -> Void

    /// Prints before the passes named in `before`, after those in `after` (or after every pass
    /// with `afterAll`), handing each dump to `write`.
    public init(before: Set<String> = [], after: Set<String> = [], afterAll: Bool = false,
                write: @escaping (String) -> Void) {
        self.before = before
        self.after = after
        self.afterAll = afterAll
        self.write = write
    }

    public func passWillRun(_ execution: PassExecution, on graph: Graph) {
        guard before.contains(execution.passName) else { return }
        write(banner("Before", execution) + "\n" + GraphPrinter(writeWeights: false).print(graph).text)
    }

    public func passDidRun(_ execution: PassExecution, producing graph: Graph, changed: Bool, duration: Duration) {
        guard afterAll || after.contains(execution.passName) else { return }
        guard changed else {
            write(banner("After", execution) + " omitted because no change\n")
            return
        }
        write(banner("After", execution) + "\n" + GraphPrinter(writeWeights: false).print(graph).text)
    }

    private func banner(_ when: String, _ execution: PassExecution) -> String {
        "# *** IR Dump \(when) \(execution.passName) (#\(execution.number)) ***"
    }
}
