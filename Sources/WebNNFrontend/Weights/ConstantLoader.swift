import WebNNBasics

/// Produces the data of a graph's constants from their initializers: `@scalar` fills the
/// declared shape, `@bytes` are taken as-is, and `@weights` are read through the manifest.
/// The manifest and weights file are read only when some constant needs them.
public struct ConstantLoader {
    private let source: SourceText
    private let paths: WeightsPaths
    private var manifest: WeightsManifest?
    private var weightsBinary: WeightsBinary?

    /// The data of every constant of `graph` (parsed from `source`), by constant name.
    public static func loadConstants(of graph: GraphSyntax, source: SourceText,
                                     weights paths: WeightsPaths) throws(Diagnostic) -> [String: TensorData] {
        var loader = ConstantLoader(source: source, paths: paths)
        var constants: [String: TensorData] = [:]
        for constant in graph.constants {
            constants[constant.name.name] = try loader.data(of: constant)
        }
        return constants
    }

    private init(source: SourceText, paths: WeightsPaths) {
        self.source = source
        self.paths = paths
    }

    private mutating func data(of constant: ConstantDeclarationSyntax) throws(Diagnostic) -> TensorData {
        let type = constant.type.type
        let location = constant.initializer.location
        switch constant.initializer.kind {
        case .scalar(let number):
            return try scalarData(number, of: constant)
        case .bytes(let bytes):
            guard let data = TensorData(type: type, bytes: bytes) else {
                throw source.error("@bytes has \(bytes.count) bytes but \(type) takes \(type.elementCount) × "
                                   + "\(type.dataType.byteSize) = \(type.byteSize)", at: location)
            }
            return data
        case .weights(let key):
            let manifest = try loadManifest(for: constant)
            guard let entry = manifest.entries[key] else {
                let suggestion = SpellingSuggestion.closest(to: key, in: manifest.entries.keys).map { "; did you mean \"\($0)\"?" }
                throw source.error("weights key \"\(key)\" is not in '\(manifest.file)'\(suggestion ?? "")", at: location)
            }
            guard entry.type == type else {
                throw source.error("constant '\(constant.name.name)' is declared \(type) but weights key \"\(key)\" "
                                   + "in '\(manifest.file)' is \(entry.type)", at: location,
                                   notes: [Diagnostic("weights entry \"\(key)\" is here", at: entry.location, severity: .note)])
            }
            let weights = try loadWeightsBinary(manifest: manifest, for: constant)
            guard let bytes = weights.bytes(of: entry), let data = TensorData(type: type, bytes: bytes) else {
                throw source.error("weights file '\(weights.file)' is truncated: weights key \"\(key)\" needs bytes "
                                   + "\(entry.byteOffset)..<\(entry.byteOffset + entry.byteLength) but the file has "
                                   + "\(weights.byteCount) bytes", at: location)
            }
            return data
        }
    }

    /// The declared shape filled with an `@scalar` value, which must be representable in the data type.
    private func scalarData(_ number: NumberLiteral, of constant: ConstantDeclarationSyntax) throws(Diagnostic) -> TensorData {
        let type = constant.type.type
        if type.dataType.isFloatingPoint {
            let element = TensorData(type.dataType, shape: [1], values: [number.doubleValue])
            guard element.double(at: 0).isFinite else {
                throw source.error("@scalar(\(number)) is out of range for \(type.dataType.shortName)",
                                   at: constant.initializer.location)
            }
            return TensorData.filled(type, with: element)
        }
        let range = integerRange(of: type.dataType)
        guard case .integer(let integer) = number, range.contains(integer) else {
            throw source.error("@scalar(\(number)) is not a \(type.dataType.shortName) value (an integer in \(range))",
                               at: constant.initializer.location)
        }
        return TensorData.filled(type, with: TensorData(type.dataType, shape: [1], integers: [integer]))
    }

    private mutating func loadManifest(for constant: ConstantDeclarationSyntax) throws(Diagnostic) -> WeightsManifest {
        if let manifest { return manifest }
        guard let bytes = try readFileIfPresent(paths.manifest) else {
            throw source.error("constant '\(constant.name.name)' needs the weights manifest '\(paths.manifest)', "
                               + "which does not exist", at: constant.initializer.location)
        }
        let loaded = try WeightsManifest.parse(SourceText(bytes: bytes, file: paths.manifest))
        manifest = loaded
        return loaded
    }

    private mutating func loadWeightsBinary(manifest: WeightsManifest,
                                          for constant: ConstantDeclarationSyntax) throws(Diagnostic) -> WeightsBinary {
        if let weightsBinary { return weightsBinary }
        guard let bytes = try readFileIfPresent(paths.weights) else {
            throw source.error("constant '\(constant.name.name)' needs the weights file '\(paths.weights)', "
                               + "which does not exist", at: constant.initializer.location)
        }
        let loaded = try WeightsBinary(bytes: bytes, file: paths.weights, manifest: manifest)
        weightsBinary = loaded
        return loaded
    }
}

/// The values an integer data type holds (uint64 is limited to Int64's range here).
private func integerRange(of dataType: DataType) -> ClosedRange<Int64> {
    switch dataType {
    case .int8: return Int64(Int8.min)...Int64(Int8.max)
    case .uint8: return 0...Int64(UInt8.max)
    case .int32: return Int64(Int32.min)...Int64(Int32.max)
    case .uint32: return 0...Int64(UInt32.max)
    case .uint64: return 0...Int64.max
    case .int64, .float32, .float16: return Int64.min...Int64.max
    }
}
