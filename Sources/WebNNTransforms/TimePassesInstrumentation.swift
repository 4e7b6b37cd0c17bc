import Foundation
import WebNNIR

/// `--time-passes`: records the wall time of every pass run; `report()` is a table like LLVM's,
/// one row per pass (its runs summed), slowest first, with the share of the total.
public final class TimePassesInstrumentation: PassInstrumentation {
    /// Every pass run, in order.
    public private(set) var runs: [(passName: String, duration: Duration)] = []

    public init() {}

    public func passDidRun(_ execution: PassExecution, producing graph: Graph, changed: Bool, duration: Duration) {
        runs.append((execution.passName, duration))
    }

    /// The timing table.
    public func report() -> String {
        var totals: [String: (seconds: Double, runs: Int)] = [:]
        var order: [String] = []
        for run in runs {
            if totals[run.passName] == nil { order.append(run.passName) }
            totals[run.passName, default: (0, 0)].seconds += run.duration.seconds
            totals[run.passName, default: (0, 0)].runs += 1
        }
        let total = totals.values.reduce(0) { $0 + $1.seconds }
        func row(_ seconds: Double, _ runs: Int, _ name: String) -> String {
            let percent = total > 0 ? 100 * seconds / total : 0
            return String(format: "  %9.4f (%5.1f%%)  %5d  ", seconds, percent, runs) + name + "\n"
        }
        let rule = "===" + String(repeating: "-", count: 58) + "===\n"
        var text = rule + "                  Pass execution timing report\n" + rule
        text += String(format: "  Total Execution Time: %.4f seconds\n\n", total)
        text += "     ---Wall Time---   Runs  --- Name ---\n"
        let sorted = order.sorted { totals[$0]!.seconds > totals[$1]!.seconds }
        for name in sorted { text += row(totals[name]!.seconds, totals[name]!.runs, name) }
        text += row(total, runs.count, "Total")
        return text
    }
}

extension Duration {
    /// The duration in seconds.
    fileprivate var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) * 1e-18
    }
}
