import Foundation

/// Reads and writes numpy `.npy` files: versions 1.0, 2.0 and 3.0 are read, 1.0 is written;
/// C order and little-endian only.
public enum NPY {
    private static let magic: [UInt8] = [0x93] + Array("NUMPY".utf8)
    /// numpy pads the header so that the data starts at a multiple of this.
    private static let headerAlignment = 64

    /// The tensor stored in the `.npy` file at `url`.
    public static func read(_ url: URL) throws -> Tensor {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw NPYError.cannotRead(path: url.path, reason: error.localizedDescription)
        }
        return try decode(data)
    }

    /// Writes `tensor` to `url` as a version 1.0 `.npy` file.
    public static func write(_ tensor: Tensor, to url: URL) throws {
        do {
            try encode(tensor).write(to: url)
        } catch {
            throw NPYError.cannotWrite(path: url.path, reason: error.localizedDescription)
        }
    }

    /// The tensor stored in the bytes of an `.npy` file.
    public static func decode(_ file: Data) throws -> Tensor {
        let bytes = [UInt8](file)
        guard bytes.prefix(magic.count).elementsEqual(magic.prefix(bytes.count)) else { throw NPYError.badMagic }
        guard bytes.count >= magic.count + 2 else { throw NPYError.truncated("the magic string and version") }
        let major = bytes[6], minor = bytes[7]
        let lengthFieldSize: Int
        switch (major, minor) {
        case (1, 0): lengthFieldSize = 2
        case (2, 0), (3, 0): lengthFieldSize = 4
        default: throw NPYError.unsupportedVersion(major: Int(major), minor: Int(minor))
        }
        let headerStart = 8 + lengthFieldSize
        guard bytes.count >= headerStart else { throw NPYError.truncated("the header length") }
        let headerLength = bytes[8..<headerStart].reversed().reduce(0) { $0 << 8 | Int($1) }
        guard bytes.count >= headerStart + headerLength else { throw NPYError.truncated("the header") }
        guard let header = String(bytes: bytes[headerStart..<headerStart + headerLength], encoding: .utf8) else {
            throw NPYError.badHeader("the header is not UTF-8 text")
        }
        let (dataType, shape) = try parseHeader(header)
        let dataStart = headerStart + headerLength
        let expected = try Tensor.byteCount(dataType: dataType, shape: shape)
        let actual = bytes.count - dataStart
        guard actual == expected else {
            throw NPYError.dataSizeMismatch(
                description: Tensor.describe(dataType: dataType, shape: shape), expected: expected, actual: actual)
        }
        return try Tensor(dataType: dataType, shape: shape, bytes: bytes[dataStart...])
    }

    /// The bytes of a version 1.0 `.npy` file holding `tensor`.
    public static func encode(_ tensor: Tensor) -> Data {
        let shapeText = tensor.shape.count == 1
            ? "(\(tensor.shape[0]),)"
            : "(\(tensor.shape.map(String.init).joined(separator: ", ")))"
        var header = "{'descr': '\(descriptor(tensor.dataType))', 'fortran_order': False, 'shape': \(shapeText), }"
        let unpadded = magic.count + 2 + 2 + header.utf8.count + 1
        header += String(repeating: " ", count: (headerAlignment - unpadded % headerAlignment) % headerAlignment)
        header += "\n"
        var file = Data(magic + [1, 0])
        let length = UInt16(header.utf8.count)
        file.append(contentsOf: [UInt8(length & 0xff), UInt8(length >> 8)])
        file.append(contentsOf: Array(header.utf8))
        tensor.withUnsafeBytes { file.append(contentsOf: $0) }
        return file
    }

    /// numpy's type descriptor of `dataType` (`<f4`, `|u1`, ...).
    private static func descriptor(_ dataType: DataType) -> String {
        switch dataType {
        case .float32: "<f4"
        case .float16: "<f2"
        case .int32: "<i4"
        case .uint32: "<u4"
        case .int64: "<i8"
        case .uint64: "<u8"
        case .int8: "|i1"
        case .uint8: "|u1"
        }
    }

    /// The data type of a numpy type descriptor: a byte order (`<`, `|`, `=` or `>`), a kind and
    /// a size. Booleans (`b1`) are read as uint8; `>` is refused for multi-byte types.
    private static func dataType(descriptor: String) throws -> DataType {
        let kindAndSize = descriptor.dropFirst()
        guard let match = kindAndSize == "b1" ? .uint8
                : DataType.allCases.first(where: { self.descriptor($0).dropFirst() == kindAndSize }) else {
            throw NPYError.unsupportedDataType(descriptor)
        }
        switch descriptor.first {
        case "<", "|", "=": return match  // "=" is native order: little-endian wherever this runs
        case ">" where match.elementSize == 1: return match
        case ">": throw NPYError.bigEndian(descriptor)
        default: throw NPYError.unsupportedDataType(descriptor)
        }
    }

    /// The data type and shape in a header like `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`.
    private static func parseHeader(_ header: String) throws -> (DataType, [Int]) {
        var parser = HeaderParser(text: header)
        let dictionary = try parser.parseDictionary()
        guard case .string(let descriptor)? = dictionary["descr"] else {
            throw NPYError.badHeader("no string 'descr' in \(header.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        guard case .boolean(let fortranOrder)? = dictionary["fortran_order"] else {
            throw NPYError.badHeader("no boolean 'fortran_order' in \(header.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        guard case .tuple(let shape)? = dictionary["shape"] else {
            throw NPYError.badHeader("no tuple 'shape' in \(header.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        guard !fortranOrder else { throw NPYError.fortranOrder }
        return (try dataType(descriptor: descriptor), shape)
    }
}

/// A value in an `.npy` header: the subset of Python literals numpy writes there.
private enum HeaderValue {
    case string(String)
    case boolean(Bool)
    case tuple([Int])
}

/// Parses the Python dictionary literal of an `.npy` header.
private struct HeaderParser {
    private let characters: [Character]
    private var position = 0

    init(text: String) { characters = Array(text) }

    mutating func parseDictionary() throws -> [String: HeaderValue] {
        try expect("{")
        var dictionary: [String: HeaderValue] = [:]
        while !take("}") {
            guard case .string(let key) = try parseValue() else { throw error("a string key") }
            try expect(":")
            dictionary[key] = try parseValue()
            if !take(",") {
                try expect("}")
                break
            }
        }
        skipSpaces()
        guard position == characters.count else { throw error("the end of the header") }
        return dictionary
    }

    private mutating func parseValue() throws -> HeaderValue {
        skipSpaces()
        guard position < characters.count else { throw error("a value") }
        switch characters[position] {
        case "'", "\"":
            let quote = characters[position]
            guard let end = characters[(position + 1)...].firstIndex(of: quote) else { throw error("a closing quote") }
            defer { position = end + 1 }
            return .string(String(characters[(position + 1)..<end]))
        case "(":
            position += 1
            var elements: [Int] = []
            while !take(")") {
                elements.append(try parseInteger())
                if !take(",") {
                    try expect(")")
                    break
                }
            }
            return .tuple(elements)
        default:
            if takeWord("True") { return .boolean(true) }
            if takeWord("False") { return .boolean(false) }
            throw error("a string, a tuple, True or False")
        }
    }

    private mutating func parseInteger() throws -> Int {
        skipSpaces()
        let start = position
        while position < characters.count, characters[position].isASCII, characters[position].isNumber { position += 1 }
        guard let value = Int(String(characters[start..<position])) else { throw error("a non-negative integer") }
        if position < characters.count, characters[position] == "L" { position += 1 }  // Python 2 longs
        return value
    }

    private mutating func skipSpaces() {
        while position < characters.count, characters[position].isWhitespace { position += 1 }
    }

    /// Consumes `character` (after spaces) if it is next.
    private mutating func take(_ character: Character) -> Bool {
        skipSpaces()
        guard position < characters.count, characters[position] == character else { return false }
        position += 1
        return true
    }

    private mutating func takeWord(_ word: String) -> Bool {
        let end = position + word.count
        guard end <= characters.count, String(characters[position..<end]) == word else { return false }
        position = end
        return true
    }

    private mutating func expect(_ character: Character) throws {
        guard take(character) else { throw error("'\(character)'") }
    }

    private func error(_ expected: String) -> NPYError {
        NPYError.badHeader("expected \(expected) at offset \(position) of \(String(characters).trimmingCharacters(in: .whitespacesAndNewlines))")
    }
}

/// An `.npy` file that cannot be read or written.
public enum NPYError: Error, Equatable, CustomStringConvertible {
    case cannotRead(path: String, reason: String)
    case cannotWrite(path: String, reason: String)
    /// The file ends before `what` is complete.
    case truncated(String)
    /// The file does not start with `\x93NUMPY`.
    case badMagic
    case unsupportedVersion(major: Int, minor: Int)
    /// The header dictionary is malformed or lacks a key.
    case badHeader(String)
    case unsupportedDataType(String)
    case bigEndian(String)
    case fortranOrder
    /// The data after the header is not as long as the shape and data type need.
    case dataSizeMismatch(description: String, expected: Int, actual: Int)

    public var description: String {
        switch self {
        case .cannotRead(let path, let reason): "npy: cannot read \(path): \(reason)"
        case .cannotWrite(let path, let reason): "npy: cannot write \(path): \(reason)"
        case .truncated(let what): "npy: file is truncated: it ends inside \(what)"
        case .badMagic: "npy: not an .npy file: it does not start with \\x93NUMPY"
        case .unsupportedVersion(let major, let minor): "npy: unsupported format version \(major).\(minor) (1.0, 2.0 and 3.0 are read)"
        case .badHeader(let detail): "npy: bad header: \(detail)"
        case .unsupportedDataType(let descriptor):
            "npy: unsupported dtype '\(descriptor)' (supported: <f4 <f2 <i4 <u4 <i8 <u8 |i1 |u1 |b1)"
        case .bigEndian(let descriptor): "npy: big-endian dtype '\(descriptor)' is not supported; save it little-endian"
        case .fortranOrder: "npy: fortran_order arrays are not supported; save the array in C order"
        case .dataSizeMismatch(let description, let expected, let actual):
            actual < expected
                ? "npy: file is truncated: \(description) needs \(expected) data bytes, the file has \(actual)"
                : "npy: \(description) needs \(expected) data bytes, the file has \(actual) (trailing bytes)"
        }
    }
}
