import WebNNBasics

/// The text of one source file, with the line index needed to quote lines in diagnostics.
public struct SourceText: Sendable {
    /// The path used in locations (`file:line:col`).
    public let file: String
    /// The file's bytes (UTF-8).
    public let bytes: [UInt8]
    /// Byte offset at which each line starts (line 1 starts at 0).
    private let lineStarts: [Int]
    /// Lines (by index) that contain non-ASCII bytes, where columns must count characters.
    private let nonASCIILines: Set<Int>

    /// Wraps `text` read from `file`.
    public init(_ text: String, file: String) {
        self.init(bytes: Array(text.utf8), file: file)
    }

    /// Wraps raw UTF-8 bytes read from `file`.
    public init(bytes: [UInt8], file: String) {
        self.file = file
        self.bytes = bytes
        var starts = [0]
        var nonASCII: Set<Int> = []
        for (offset, byte) in bytes.enumerated() {
            if byte == UInt8(ascii: "\n") { starts.append(offset + 1) }
            if byte >= 0x80 { nonASCII.insert(starts.count - 1) }
        }
        lineStarts = starts
        nonASCIILines = nonASCII
    }

    /// The location of byte `offset` (columns count characters from 1).
    public func location(ofOffset offset: Int) -> SourceLocation {
        let lineIndex = lineIndex(ofOffset: offset)
        let lineStart = lineStarts[lineIndex]
        let column = nonASCIILines.contains(lineIndex)
            ? String(decoding: bytes[lineStart..<offset], as: UTF8.self).count + 1
            : offset - lineStart + 1
        return SourceLocation(file: file, line: lineIndex + 1, column: column)
    }

    /// The text of line `line` (counting from 1) without its line break; nil when out of range.
    public func lineText(_ line: Int) -> String? {
        guard line >= 1, line <= lineStarts.count else { return nil }
        let start = lineStarts[line - 1]
        var end = line < lineStarts.count ? lineStarts[line] - 1 : bytes.count
        if end > start, bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        return String(decoding: bytes[start..<max(start, end)], as: UTF8.self)
    }

    /// An error at `location`, quoting its source line when `location` is in this file.
    public func error(_ message: String, at location: SourceLocation, notes: [Diagnostic] = []) -> Diagnostic {
        Diagnostic(message, at: location, sourceLine: quotedLine(at: location), notes: notes)
    }

    /// A note at `location` (e.g. "previous definition is here"), quoting its source line.
    public func note(_ message: String, at location: SourceLocation) -> Diagnostic {
        Diagnostic(message, at: location, sourceLine: quotedLine(at: location), severity: .note)
    }

    private func quotedLine(at location: SourceLocation) -> String? {
        location.file == file ? lineText(location.line) : nil
    }

    private func lineIndex(ofOffset offset: Int) -> Int {
        var low = 0
        var high = lineStarts.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if lineStarts[middle] <= offset { low = middle } else { high = middle - 1 }
        }
        return low
    }
}
