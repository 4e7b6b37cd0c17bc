/// An ordered list of passes, each run once or, in a group, repeated until none of them changes
/// the graph. Pipelines are data: `-O` levels are named pipelines, and `--passes` builds one
/// from text in the same syntax `description` writes, e.g.
/// `dce,constant-fold,fixed-point(simplify,cse)`.
public struct Pipeline: Sendable, CustomStringConvertible {
    public enum Step: Sendable {
        /// Run the pass once.
        case once(Pass)
        /// Run the passes in order, again and again, until a round changes nothing.
        case fixedPoint([Pass])

        var passes: [Pass] {
            switch self {
            case .once(let pass): return [pass]
            case .fixedPoint(let passes): return passes
            }
        }
    }

    public var steps: [Step]

    public init(_ steps: [Step]) { self.steps = steps }

    /// Whether some step runs the pass named `name`.
    public func contains(passNamed name: String) -> Bool {
        steps.contains { $0.passes.contains { $0.name == name } }
    }

    /// The pipeline in `--passes` syntax (empty for an empty pipeline).
    public var description: String {
        steps.map { step in
            switch step {
            case .once(let pass): return pass.name
            case .fixedPoint(let passes): return "fixed-point(" + passes.map(\.name).joined(separator: ",") + ")"
            }
        }.joined(separator: ",")
    }

    /// Parses `--passes` text: pass names separated by commas, where `fixed-point(a,b)` repeats
    /// `a` then `b` until neither changes the graph. Whitespace is ignored; groups do not nest.
    public init(parsing text: String, lookUp: (String) throws -> Pass) throws {
        let compact = text.filter { !$0.isWhitespace }
        steps = try Pipeline.topLevelItems(of: compact).map { item in
            let prefix = Pipeline.fixedPointKeyword + "("
            guard item.hasPrefix(prefix) else { return .once(try Pipeline.pass(item, in: text, lookUp)) }
            guard item.hasSuffix(")") else { throw PipelineError.syntax("unexpected text after ')' in '\(text)'") }
            let names = item.dropFirst(prefix.count).dropLast().split(separator: ",", omittingEmptySubsequences: false)
            return .fixedPoint(try names.map { try Pipeline.pass($0, in: text, lookUp) })
        }
    }

    private static let fixedPointKeyword = "fixed-point"

    /// Splits at the commas outside parentheses (an empty text has no items).
    private static func topLevelItems(of text: String) throws -> [Substring] {
        guard !text.isEmpty else { return [] }
        var items: [Substring] = []
        var depth = 0
        var start = text.startIndex
        for index in text.indices {
            switch text[index] {
            case "(":
                depth += 1
                if depth > 1 { throw PipelineError.syntax("fixed-point groups do not nest in '\(text)'") }
            case ")":
                depth -= 1
                if depth < 0 { throw PipelineError.syntax("unmatched ')' in '\(text)'") }
            case "," where depth == 0:
                items.append(text[start..<index])
                start = text.index(after: index)
            default: break
            }
        }
        if depth != 0 { throw PipelineError.syntax("missing ')' in '\(text)'") }
        items.append(text[start...])
        return items
    }

    private static func pass(_ name: Substring, in text: String, _ lookUp: (String) throws -> Pass) throws -> Pass {
        guard !name.isEmpty else { throw PipelineError.syntax("empty pass name in '\(text)'") }
        guard !name.contains("(") else { throw PipelineError.syntax("'\(name)' is not a pass or 'fixed-point(...)'") }
        return try lookUp(String(name))
    }
}

/// A pipeline or pass name the user gave is wrong.
public enum PipelineError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No pass is called `name`; `suggestion` is the closest pass name, if any is close.
    case unknownPass(String, suggestion: String?)
    /// The pipeline text is malformed.
    case syntax(String)
    /// `--stop-after` names a pass that the pipeline never runs.
    case notInPipeline(String, pipeline: String)

    public var description: String {
        switch self {
        case .unknownPass(let name, let suggestion):
            return "unknown pass '\(name)'" + (suggestion.map { "; did you mean '\($0)'?" } ?? "")
                + " (--print-passes lists every pass)"
        case .syntax(let message):
            return "invalid pass pipeline: \(message)"
        case .notInPipeline(let name, let pipeline):
            return "pass '\(name)' is not in the pipeline '\(pipeline)'"
        }
    }
}
