import WebNNBasics

/// A safetensors file: an 8-byte little-endian header length N, N bytes of JSON header
/// (`{"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, "__metadata__": {..}}`),
/// then the data, which the offsets index (relative to the end of the header).
///
/// Every entry is checked when the file is read: offsets inside the data, `end - begin` equal to
/// the shape's element count times the dtype's size. Errors in the header are located in it
/// (the header's text is quoted as `<file> header`).
public struct SafetensorsFile: Sendable {
    /// One tensor of the header.
    public struct Entry: Sendable {
        public var name: String
        /// The safetensors dtype as written (`F32`, `BF16`, ...).
        public var dtype: String
        public var shape: [Int]
        /// Absolute byte range in the file.
        public var range: Range<Int>
        public var location: SourceLocation
    }

    /// The largest header the reader accepts (the format's own limit).
    static let maximumHeaderSize = 100_000_000

    /// Element sizes of the safetensors dtypes, in bytes.
    static let dtypeSizes: [String: Int] = [
        "BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "F8_E8M0": 1,
        "I16": 2, "U16": 2, "F16": 2, "BF16": 2,
        "I32": 4, "U32": 4, "F32": 4,
        "I64": 8, "U64": 8, "F64": 8,
    ]

    /// The WebNN data type each dtype stores exactly.
    static let dataTypes: [String: DataType] = [
        "F32": .float32, "F16": .float16, "I32": .int32, "U32": .uint32,
        "I64": .int64, "U64": .uint64, "I8": .int8, "U8": .uint8,
    ]

    public let file: String
    public let entries: [String: Entry]
    /// The `__metadata__` strings.
    public let metadata: [String: String]
    /// The header text, for errors that quote an entry.
    let header: SourceText
    private let bytes: [UInt8]

    /// Reads and checks the header of the safetensors bytes of `file`.
    public init(bytes: [UInt8], file: String) throws(Diagnostic) {
        self.file = file
        self.bytes = bytes
        guard bytes.count >= 8 else {
            throw Diagnostic("safetensors file '\(file)' is truncated: it has \(bytes.count) bytes, fewer than the "
                             + "8-byte header length")
        }
        let declaredLength = bytes[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard declaredLength <= UInt64(SafetensorsFile.maximumHeaderSize) else {
            throw Diagnostic("safetensors file '\(file)': header length \(declaredLength) is larger than the format's "
                             + "limit of \(SafetensorsFile.maximumHeaderSize) bytes (not a safetensors file?)")
        }
        let headerLength = Int(declaredLength)
        guard headerLength <= bytes.count - 8 else {
            throw Diagnostic("safetensors file '\(file)' is truncated: its header is \(headerLength) bytes but only "
                             + "\(bytes.count - 8) follow the header length")
        }
        let header = SourceText(bytes: Array(bytes[8..<(8 + headerLength)]), file: file + " header")
        self.header = header
        let dataStart = 8 + headerLength
        let root = try JSONParser.parse(header)
        guard let members = root.objectMembers else {
            throw header.error("the safetensors header must be a JSON object, found \(root.kindDescription)", at: root.location)
        }
        var entries: [String: Entry] = [:]
        var metadata: [String: String] = [:]
        for (name, value) in members {
            if name == "__metadata__" {
                guard let items = value.objectMembers else {
                    throw header.error("\"__metadata__\" must be an object of strings", at: value.location)
                }
                for (key, item) in items {
                    guard let text = item.stringValue else {
                        throw header.error("\"__metadata__\" value \"\(key)\" must be a string", at: item.location)
                    }
                    metadata[key] = text
                }
                continue
            }
            entries[name] = try SafetensorsFile.parseEntry(name: name, value, header: header, dataStart: dataStart,
                                                           dataSize: bytes.count - dataStart)
        }
        self.entries = entries
        self.metadata = metadata
    }

    private static func parseEntry(name: String, _ value: JSONValue, header: SourceText, dataStart: Int,
                                   dataSize: Int) throws(Diagnostic) -> Entry {
        func fail(_ message: String, at location: SourceLocation) -> Diagnostic {
            header.error("tensor \"\(name)\": \(message)", at: location)
        }
        guard value.objectMembers != nil else { throw fail("must be an object", at: value.location) }
        guard let dtypeValue = value["dtype"] else { throw fail("missing \"dtype\"", at: value.location) }
        guard let dtype = dtypeValue.stringValue else { throw fail("\"dtype\" must be a string", at: dtypeValue.location) }
        guard let shapeValue = value["shape"] else { throw fail("missing \"shape\"", at: value.location) }
        guard let dimensions = shapeValue.arrayElements else { throw fail("\"shape\" must be an array", at: shapeValue.location) }
        var shape: [Int] = []
        for dimension in dimensions {
            guard let size = dimension.integerValue, size >= 0, let dimensionSize = Int(exactly: size) else {
                throw fail("shape dimensions must be non-negative integers", at: dimension.location)
            }
            shape.append(dimensionSize)
        }
        guard let offsetsValue = value["data_offsets"] else { throw fail("missing \"data_offsets\"", at: value.location) }
        guard let offsets = offsetsValue.arrayElements, offsets.count == 2,
              let begin = offsets[0].integerValue.flatMap({ Int(exactly: $0) }),
              let end = offsets[1].integerValue.flatMap({ Int(exactly: $0) }), begin >= 0, begin <= end else {
            throw fail("\"data_offsets\" must be [begin, end] with 0 <= begin <= end", at: offsetsValue.location)
        }
        guard end <= dataSize else {
            throw fail("\"data_offsets\" [\(begin), \(end)] extend past the data, which has \(dataSize) bytes "
                       + "(the file is truncated?)", at: offsetsValue.location)
        }
        if let size = dtypeSizes[dtype] {
            let dataType = dataTypes[dtype] ?? .uint8
            guard let byteSize = TensorType.checkedByteSize(dataType, shape).map({ $0 / dataType.byteSize * size }) else {
                throw fail("shape \(shape) is too large", at: shapeValue.location)
            }
            guard end - begin == byteSize else {
                throw fail("\"data_offsets\" [\(begin), \(end)] hold \(end - begin) bytes but \(dtype) \(shape) takes "
                           + "\(byteSize / max(size, 1)) × \(size) = \(byteSize)", at: offsetsValue.location)
            }
        }
        return Entry(name: name, dtype: dtype, shape: shape, range: (dataStart + begin)..<(dataStart + end),
                     location: value.location)
    }

    /// The bytes of `entry` (checked to lie inside the file when it was read).
    public func bytes(of entry: Entry) -> ArraySlice<UInt8> { bytes[entry.range] }

    /// The entry for a `@weights` key: the name as written, else webnn-graph's sanitized form
    /// (`::` → `__`, `.` → `_`) of a stored name. Throws when two stored names sanitize alike.
    func entry(forKey key: String) throws(Diagnostic) -> Entry? {
        if let entry = entries[key] { return entry }
        return try sanitizedMatch(forKey: key, in: entries, describe: { "tensors \"\($0)\" and \"\($1)\" of '\(file)'" })
    }
}

/// webnn-graph's sanitizing of weights names: `::` → `__`, then `.` → `_`.
func sanitizedWeightsKey(_ name: String) -> String {
    name.replacingOccurrences(of: "::", with: "__").replacingOccurrences(of: ".", with: "_")
}

/// The entry whose sanitized name equals `key` or `key` sanitized; nil if none, an error if several.
func sanitizedMatch<Entry>(forKey key: String, in entries: [String: Entry],
                           describe: (String, String) -> String) throws(Diagnostic) -> Entry? {
    let wanted = sanitizedWeightsKey(key)
    let matches = entries.keys.filter { sanitizedWeightsKey($0) == wanted }.sorted()
    guard let first = matches.first else { return nil }
    guard matches.count == 1 else {
        throw Diagnostic("weights key \"\(key)\" is ambiguous: \(describe(matches[0], matches[1])) both read as \"\(wanted)\"")
    }
    return entries[first]
}

extension TensorData {
    /// float32 data from little-endian bfloat16 bytes (each value widened exactly).
    static func widenedFromBFloat16(_ type: TensorType, bytes: ArraySlice<UInt8>) -> TensorData? {
        guard type.dataType == .float32, bytes.count == type.elementCount * 2 else { return nil }
        var widened = [UInt8](repeating: 0, count: bytes.count * 2)
        var index = bytes.startIndex
        for element in 0..<type.elementCount {
            widened[element * 4 + 2] = bytes[index]
            widened[element * 4 + 3] = bytes[index + 1]
            index += 2
        }
        return TensorData(type: type, bytes: widened)
    }
}
