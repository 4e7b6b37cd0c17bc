import WebNNBasics

/// A strict RFC 8259 JSON parser that records a source location on every value.
public struct JSONParser {
    private let source: SourceText
    private var offset = 0
    /// Arrays and objects nested deeper than this are rejected (guards the stack).
    private static let maximumDepth = 256

    /// Parses the whole text as a single JSON value.
    public static func parse(_ source: SourceText) throws(Diagnostic) -> JSONValue {
        var parser = JSONParser(source: source)
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        if parser.offset < source.bytes.count {
            throw parser.error("unexpected text after the JSON value")
        }
        return value
    }

    private init(source: SourceText) {
        self.source = source
    }

    private func peek() -> UInt8? {
        offset < source.bytes.count ? source.bytes[offset] : nil
    }

    private func error(_ message: String) -> Diagnostic {
        source.error("invalid JSON: \(message)", at: source.location(ofOffset: offset))
    }

    private mutating func skipWhitespace() {
        while let byte = peek(), byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D { offset += 1 }
    }

    private mutating func parseValue(depth: Int) throws(Diagnostic) -> JSONValue {
        skipWhitespace()
        guard depth < JSONParser.maximumDepth else { throw error("nested too deeply") }
        let location = source.location(ofOffset: offset)
        guard let byte = peek() else { throw error("unexpected end of file") }
        let kind: JSONValue.Kind
        switch byte {
        case UInt8(ascii: "{"): kind = .object(try parseObjectMembers(depth: depth))
        case UInt8(ascii: "["): kind = .array(try parseArrayElements(depth: depth))
        case UInt8(ascii: "\""): kind = .string(try parseString())
        case UInt8(ascii: "t"): try expectWord("true"); kind = .boolean(true)
        case UInt8(ascii: "f"): try expectWord("false"); kind = .boolean(false)
        case UInt8(ascii: "n"): try expectWord("null"); kind = .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): kind = .number(try parseNumber())
        default: throw error("unexpected character '\(Character(Unicode.Scalar(byte)))'")
        }
        return JSONValue(kind: kind, location: location)
    }

    private mutating func expectWord(_ word: String) throws(Diagnostic) {
        for expected in word.utf8 {
            guard peek() == expected else { throw error("expected '\(word)'") }
            offset += 1
        }
    }

    private mutating func parseObjectMembers(depth: Int) throws(Diagnostic) -> [(key: String, value: JSONValue)] {
        offset += 1
        var members: [(key: String, value: JSONValue)] = []
        var keys: Set<String> = []
        skipWhitespace()
        if peek() == UInt8(ascii: "}") { offset += 1; return members }
        while true {
            skipWhitespace()
            guard peek() == UInt8(ascii: "\"") else { throw error("expected a string key") }
            let keyOffset = offset
            let key = try parseString()
            guard keys.insert(key).inserted else {
                offset = keyOffset
                throw error("duplicate key \"\(key)\"")
            }
            skipWhitespace()
            guard peek() == UInt8(ascii: ":") else { throw error("expected ':' after the key") }
            offset += 1
            members.append((key, try parseValue(depth: depth + 1)))
            skipWhitespace()
            if peek() == UInt8(ascii: ",") { offset += 1; continue }
            guard peek() == UInt8(ascii: "}") else { throw error("expected ',' or '}' in an object") }
            offset += 1
            return members
        }
    }

    private mutating func parseArrayElements(depth: Int) throws(Diagnostic) -> [JSONValue] {
        offset += 1
        var elements: [JSONValue] = []
        skipWhitespace()
        if peek() == UInt8(ascii: "]") { offset += 1; return elements }
        while true {
            elements.append(try parseValue(depth: depth + 1))
            skipWhitespace()
            if peek() == UInt8(ascii: ",") { offset += 1; continue }
            guard peek() == UInt8(ascii: "]") else { throw error("expected ',' or ']' in an array") }
            offset += 1
            return elements
        }
    }

    private mutating func parseString() throws(Diagnostic) -> String {
        offset += 1
        var scalars = String.UnicodeScalarView()
        var run: [UInt8] = []
        func flush() {
            scalars.append(contentsOf: String(decoding: run, as: UTF8.self).unicodeScalars)
            run.removeAll(keepingCapacity: true)
        }
        while let byte = peek() {
            offset += 1
            switch byte {
            case UInt8(ascii: "\""):
                flush()
                return String(scalars)
            case UInt8(ascii: "\\"):
                flush()
                scalars.append(try parseEscape())
            case 0x00..<0x20:
                offset -= 1
                throw error("control character in a string")
            default:
                run.append(byte)
            }
        }
        throw error("unterminated string")
    }

    /// The character after a backslash (already consumed).
    private mutating func parseEscape() throws(Diagnostic) -> Unicode.Scalar {
        guard let byte = peek() else { throw error("unterminated string") }
        offset += 1
        switch byte {
        case UInt8(ascii: "\""): return "\""
        case UInt8(ascii: "\\"): return "\\"
        case UInt8(ascii: "/"): return "/"
        case UInt8(ascii: "b"): return "\u{08}"
        case UInt8(ascii: "f"): return "\u{0C}"
        case UInt8(ascii: "n"): return "\n"
        case UInt8(ascii: "r"): return "\r"
        case UInt8(ascii: "t"): return "\t"
        case UInt8(ascii: "u"):
            let high = try parseHexQuad()
            if (0xD800..<0xDC00).contains(high), peek() == UInt8(ascii: "\\") {
                offset += 1
                guard peek() == UInt8(ascii: "u") else { throw error("expected a low surrogate") }
                offset += 1
                let low = try parseHexQuad()
                guard (0xDC00..<0xE000).contains(low) else { throw error("invalid low surrogate") }
                return Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)) ?? "\u{FFFD}"
            }
            return Unicode.Scalar(high) ?? "\u{FFFD}"
        default:
            offset -= 1
            throw error("invalid escape '\\\(Character(Unicode.Scalar(byte)))'")
        }
    }

    private mutating func parseHexQuad() throws(Diagnostic) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let byte = peek(), let digit = Character(Unicode.Scalar(byte)).hexDigitValue else {
                throw error("expected 4 hex digits after '\\u'")
            }
            value = value * 16 + UInt32(digit)
            offset += 1
        }
        return value
    }

    private mutating func parseNumber() throws(Diagnostic) -> NumberLiteral {
        let start = offset
        func isDigit(_ byte: UInt8?) -> Bool { byte.map { $0 >= 0x30 && $0 <= 0x39 } ?? false }
        if peek() == UInt8(ascii: "-") { offset += 1 }
        guard isDigit(peek()) else { throw error("expected a digit") }
        if peek() == UInt8(ascii: "0") { offset += 1 } else { while isDigit(peek()) { offset += 1 } }
        var isInteger = true
        if peek() == UInt8(ascii: ".") {
            offset += 1
            isInteger = false
            guard isDigit(peek()) else { throw error("expected a digit after '.'") }
            while isDigit(peek()) { offset += 1 }
        }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            offset += 1
            isInteger = false
            if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { offset += 1 }
            guard isDigit(peek()) else { throw error("expected a digit in the exponent") }
            while isDigit(peek()) { offset += 1 }
        }
        let text = String(decoding: source.bytes[start..<offset], as: UTF8.self)
        if isInteger, let value = Int64(text) { return .integer(value) }
        guard let value = Double(text), value.isFinite else {
            offset = start
            throw error("number \(text) is out of range")
        }
        return .float(value)
    }
}
