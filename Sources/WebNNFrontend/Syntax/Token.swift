import WebNNBasics

/// A lexical token of the `.webnn` text format.
struct Token: Equatable {
    enum Kind: Equatable {
        /// A name: `A-Z a-z _ / $` first, then `A-Z a-z 0-9 _ . /`. Keywords are not reserved.
        case identifier(String)
        /// A double-quoted string, escapes resolved.
        case string(String)
        /// A number literal.
        case number(NumberLiteral)
        /// `@name`, e.g. `@weights` or `@quantized` (the name without the `@`).
        case annotation(String)
        /// One of `{ } [ ] ( ) , ; : =`.
        case punctuation(Character)
        case endOfFile
    }

    var kind: Kind
    /// Where the token starts.
    var location: SourceLocation
    /// Just past the token's last character (where "expected ';' after ..." points).
    var end: SourceLocation

    /// How the token reads in an error message: `';'`, `identifier 'x'`, `end of file`, ...
    var quoted: String {
        switch kind {
        case .identifier(let name): return "'\(name)'"
        case .string(let value): return "string \"\(value)\""
        case .number(let number): return "number \(number)"
        case .annotation(let name): return "'@\(name)'"
        case .punctuation(let character): return "'\(character)'"
        case .endOfFile: return "end of file"
        }
    }
}
