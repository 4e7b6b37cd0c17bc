import WebNNBasics

/// Splits `.webnn` text into tokens, one at a time.
///
/// Identifiers are scanned whole, so `trueValue` and `nullMask` are identifiers, never the
/// literal `true` followed by `Value` (the pitfall of the reference PEG grammar).
struct Lexer {
    private let source: SourceText
    private var offset = 0

    init(source: SourceText) {
        self.source = source
    }

    /// The next token; `.endOfFile` (repeatedly) at the end.
    mutating func nextToken() throws(Diagnostic) -> Token {
        skipWhitespaceAndComments()
        let location = source.location(ofOffset: offset)
        let kind = try scanToken(at: location)
        return Token(kind: kind, location: location, end: source.location(ofOffset: offset))
    }

    private mutating func scanToken(at location: SourceLocation) throws(Diagnostic) -> Token.Kind {
        let start = offset
        guard let byte = peek() else { return .endOfFile }

        if byte == UInt8(ascii: "-"), start > 0, Lexer.isIdentifierContinuation(source.bytes[start - 1]) {
            throw source.error("'-' is not allowed in names", at: location)
        }
        if byte == UInt8(ascii: "/"), peek(1) == UInt8(ascii: "/") {
            throw source.error("'//' comments are not part of the format; comments start with '#'", at: location)
        }
        if Lexer.isIdentifierStart(byte) {
            return .identifier(scanIdentifierTail(from: start))
        }
        if byte == UInt8(ascii: "-") || Lexer.isDigit(byte) {
            return .number(try scanNumber(at: location))
        }
        switch byte {
        case UInt8(ascii: "\""):
            return .string(try scanString(at: location))
        case UInt8(ascii: "@"):
            offset += 1
            guard let first = peek(), Lexer.isIdentifierStart(first) else {
                throw source.error("expected an annotation name after '@'", at: location)
            }
            return .annotation(scanIdentifierTail(from: offset))
        case UInt8(ascii: "{"), UInt8(ascii: "}"), UInt8(ascii: "["), UInt8(ascii: "]"),
             UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: ","), UInt8(ascii: ";"),
             UInt8(ascii: ":"), UInt8(ascii: "="):
            offset += 1
            return .punctuation(Character(Unicode.Scalar(byte)))
        default:
            throw source.error(unexpectedCharacterMessage(byte), at: location)
        }
    }

    private func peek(_ distance: Int = 0) -> UInt8? {
        offset + distance < source.bytes.count ? source.bytes[offset + distance] : nil
    }

    private mutating func skipWhitespaceAndComments() {
        while let byte = peek() {
            if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\n")
                || byte == UInt8(ascii: "\r") {
                offset += 1
            } else if byte == UInt8(ascii: "#") {
                while let next = peek(), next != UInt8(ascii: "\n") { offset += 1 }
            } else {
                return
            }
        }
    }

    /// Consumes identifier characters from `start` (whose first byte is already validated).
    private mutating func scanIdentifierTail(from start: Int) -> String {
        offset = start + 1
        while let byte = peek(), Lexer.isIdentifierContinuation(byte) { offset += 1 }
        return String(decoding: source.bytes[start..<offset], as: UTF8.self)
    }

    /// `-?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?`
    private mutating func scanNumber(at location: SourceLocation) throws(Diagnostic) -> NumberLiteral {
        let start = offset
        if peek() == UInt8(ascii: "-") {
            offset += 1
            if let byte = peek(), Lexer.isIdentifierStart(byte) {
                var end = offset
                while end < source.bytes.count, Lexer.isIdentifierContinuation(source.bytes[end]) { end += 1 }
                let word = String(decoding: source.bytes[offset..<end], as: UTF8.self)
                if ["inf", "Infinity", "nan", "NaN"].contains(word) {
                    throw source.error("the format has no '-\(word)' literal (numbers are finite; a Python repr written by a converter?)",
                                       at: location)
                }
            }
        }
        try scanDigits(after: "'-'")
        var isInteger = true
        if peek() == UInt8(ascii: ".") {
            offset += 1
            isInteger = false
            try scanDigits(after: "'.' in a number")
        }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            offset += 1
            isInteger = false
            if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { offset += 1 }
            try scanDigits(after: "the exponent of a number")
        }
        if let byte = peek(), Lexer.isIdentifierStart(byte) {
            throw source.error("unexpected '\(Character(Unicode.Scalar(byte)))' after a number",
                               at: source.location(ofOffset: offset))
        }
        let text = String(decoding: source.bytes[start..<offset], as: UTF8.self)
        if isInteger {
            guard let value = Int64(text) else {
                throw source.error("integer literal \(text) does not fit in 64 bits", at: location)
            }
            return .integer(value)
        }
        guard let value = Double(text), value.isFinite else {
            throw source.error("number \(text) is out of range", at: location)
        }
        return .float(value)
    }

    /// Consumes one or more digits; throws "expected a digit after <context>" when there are none.
    private mutating func scanDigits(after context: String) throws(Diagnostic) {
        guard let first = peek(), Lexer.isDigit(first) else {
            throw source.error("expected a digit after \(context)", at: source.location(ofOffset: offset))
        }
        while let byte = peek(), Lexer.isDigit(byte) { offset += 1 }
    }

    /// A double-quoted string; only `\"` and `\\` are escapes, other backslashes are kept.
    private mutating func scanString(at location: SourceLocation) throws(Diagnostic) -> String {
        offset += 1
        var value: [UInt8] = []
        while let byte = peek() {
            switch byte {
            case UInt8(ascii: "\""):
                offset += 1
                return String(decoding: value, as: UTF8.self)
            case UInt8(ascii: "\n"):
                throw source.error("unterminated string (strings cannot span lines)", at: location)
            case UInt8(ascii: "\\") where peek(1) == UInt8(ascii: "\"") || peek(1) == UInt8(ascii: "\\"):
                value.append(peek(1)!)
                offset += 2
            default:
                value.append(byte)
                offset += 1
            }
        }
        throw source.error("unterminated string", at: location)
    }

    private func unexpectedCharacterMessage(_ byte: UInt8) -> String {
        switch byte {
        case UInt8(ascii: "+"): return "unexpected '+'; numbers are written without a leading '+'"
        case UInt8(ascii: "."): return "unexpected '.'; write fractions with a leading digit (0.5)"
        case UInt8(ascii: "'"): return "unexpected \"'\"; strings use double quotes"
        case 0x21...0x7E: return "unexpected character '\(Character(Unicode.Scalar(byte)))'"
        default: return "unexpected byte 0x\(String(byte, radix: 16, uppercase: true))"
        }
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    private static func isLetter(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z")) || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
    }

    static func isIdentifierStart(_ byte: UInt8) -> Bool {
        isLetter(byte) || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "/") || byte == UInt8(ascii: "$")
    }

    static func isIdentifierContinuation(_ byte: UInt8) -> Bool {
        isLetter(byte) || isDigit(byte) || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".")
            || byte == UInt8(ascii: "/")
    }
}
