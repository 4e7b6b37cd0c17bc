import WebNNBasics

/// A weights manifest (`<stem>.manifest.json`, format "wg-weights-manifest" version 1): where
/// each named tensor sits in the binary weights file.
public struct WeightsManifest: Sendable {
    /// One tensor of the manifest.
    public struct Entry: Equatable, Sendable {
        public var type: TensorType
        /// Absolute offset in the weights file.
        public var byteOffset: Int
        public var byteLength: Int
        /// Where the entry is written in the manifest.
        public var location: SourceLocation
    }

    /// The manifest's path.
    public let file: String
    /// Tensors by key.
    public let entries: [String: Entry]

    /// Parses and checks a manifest: format, version, endianness, and every entry's data type,
    /// shape, offset and length (which must be the element count times the element size).
    public static func parse(_ source: SourceText) throws(Diagnostic) -> WeightsManifest {
        let root = try JSONParser.parse(source)
        guard root.objectMembers != nil else {
            throw source.error("weights manifest must be a JSON object, found \(root.kindDescription)", at: root.location)
        }
        try checkHeader(root, in: source)
        guard let tensors = root["tensors"] else {
            throw source.error("weights manifest has no \"tensors\" object", at: root.location)
        }
        guard let members = tensors.objectMembers else {
            throw source.error("\"tensors\" must be an object, found \(tensors.kindDescription)", at: tensors.location)
        }
        var entries: [String: Entry] = [:]
        for (key, value) in members {
            entries[key] = try parseEntry(key: key, value, in: source)
        }
        return WeightsManifest(file: source.file, entries: entries)
    }

    private static func checkHeader(_ root: JSONValue, in source: SourceText) throws(Diagnostic) {
        guard let format = root["format"] else {
            throw source.error("weights manifest has no \"format\" (expected \"wg-weights-manifest\")", at: root.location)
        }
        guard format.stringValue == "wg-weights-manifest" else {
            throw source.error("unknown weights manifest format; expected \"wg-weights-manifest\"", at: format.location)
        }
        guard let version = root["version"] else {
            throw source.error("weights manifest has no \"version\" (expected 1)", at: root.location)
        }
        guard version.integerValue == 1 else {
            throw source.error("unsupported weights manifest version; expected 1", at: version.location)
        }
        guard let endianness = root["endianness"] else {
            throw source.error("weights manifest has no \"endianness\" (expected \"little\")", at: root.location)
        }
        guard endianness.stringValue == "little" else {
            throw source.error("unsupported endianness; only \"little\" is supported", at: endianness.location)
        }
    }

    private static func parseEntry(key: String, _ value: JSONValue, in source: SourceText) throws(Diagnostic) -> Entry {
        func fail(_ message: String, at location: SourceLocation) -> Diagnostic {
            source.error("tensor \"\(key)\": \(message)", at: location)
        }
        func member(_ name: String) throws(Diagnostic) -> JSONValue {
            guard let member = value[name] else { throw fail("missing \"\(name)\"", at: value.location) }
            return member
        }
        func nonNegativeInteger(_ name: String) throws(Diagnostic) -> Int {
            let member = try member(name)
            guard let number = member.integerValue, number >= 0, let result = Int(exactly: number) else {
                throw fail("\"\(name)\" must be a non-negative integer", at: member.location)
            }
            return result
        }

        guard value.objectMembers != nil else { throw fail("must be an object", at: value.location) }
        let dataTypeValue = try member("dataType")
        guard let dataTypeName = dataTypeValue.stringValue, let dataType = DataType(rawValue: dataTypeName) else {
            if let name = dataTypeValue.stringValue, name == "int4" || name == "uint4" {
                throw fail("\"dataType\" \(name) (packed 4-bit) is not supported: webnnc's IR has no 4-bit types",
                           at: dataTypeValue.location)
            }
            let allowed = DataType.allCases.map(\.rawValue).joined(separator: ", ")
            throw fail("unsupported \"dataType\"; expected one of \(allowed)", at: dataTypeValue.location)
        }
        let shapeValue = try member("shape")
        var shape: [Int] = []
        for dimension in shapeValue.arrayElements ?? [] {
            guard let size = dimension.integerValue, size > 0, let dimensionSize = Int(exactly: size) else {
                throw fail("shape dimensions must be positive integers", at: dimension.location)
            }
            shape.append(dimensionSize)
        }
        guard shapeValue.arrayElements != nil else { throw fail("\"shape\" must be an array", at: shapeValue.location) }
        if let layout = value["layout"], layout.kind != .null, layout.stringValue != "row-major" {
            throw fail("unsupported \"layout\"; only \"row-major\" is supported", at: layout.location)
        }

        guard TensorType.checkedByteSize(dataType, shape) != nil else {
            throw fail("shape \(shape) is too large (more than 2^53 bytes)", at: shapeValue.location)
        }
        let type = TensorType(dataType, shape)
        let byteOffset = try nonNegativeInteger("byteOffset")
        let byteLength = try nonNegativeInteger("byteLength")
        guard byteLength == type.byteSize else {
            throw fail("\"byteLength\" is \(byteLength) but \(type) takes \(type.elementCount) × \(dataType.byteSize) = "
                       + "\(type.byteSize) bytes", at: try member("byteLength").location)
        }
        return Entry(type: type, byteOffset: byteOffset, byteLength: byteLength, location: value.location)
    }
}
