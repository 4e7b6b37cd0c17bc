/// A user-facing error (or note) with an optional source location, rendered like clang:
///
///     model.webnn:12:9: error: conv2d: filter input channels (4) x groups (1) != input channels (3)
///         y = conv2d(x, w);
///             ^
public struct Diagnostic: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Severity: String, Sendable { case error, warning, note }

    public var severity: Severity
    public var message: String
    public var location: SourceLocation?
    /// The text of the source line at `location`, to print under the message with a caret.
    public var sourceLine: String?
    /// Further diagnostics that explain this one (e.g. "previous definition is here").
    public var notes: [Diagnostic]

    public init(_ message: String, at location: SourceLocation? = nil, sourceLine: String? = nil,
                notes: [Diagnostic] = [], severity: Severity = .error) {
        self.severity = severity
        self.message = message
        self.location = location
        self.sourceLine = sourceLine
        self.notes = notes
    }

    public var description: String {
        var text = ""
        if let location { text += "\(location): " }
        text += "\(severity.rawValue): \(message)"
        if let sourceLine, let location {
            let caretPadding = sourceLine.prefix(max(0, location.column - 1))
                .map { $0 == "\t" ? "\t" : " " }.joined()
            text += "\n    \(sourceLine)\n    \(caretPadding)^"
        }
        for note in notes { text += "\n" + note.description }
        return text
    }
}

/// Several diagnostics reported together (e.g. every error found in one file).
public struct DiagnosticList: Error, Equatable, Sendable, CustomStringConvertible {
    public var diagnostics: [Diagnostic]
    public init(_ diagnostics: [Diagnostic]) { self.diagnostics = diagnostics }
    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}

/// A broken invariant inside the compiler (not the user's fault); names the stage that broke it.
public struct InternalError: Error, Equatable, Sendable, CustomStringConvertible {
    public var stage: String
    public var message: String
    public init(stage: String, _ message: String) {
        self.stage = stage
        self.message = message
    }
    public var description: String { "internal error in \(stage): \(message)" }
}
