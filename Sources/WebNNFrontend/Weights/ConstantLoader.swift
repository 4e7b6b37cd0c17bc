import WebNNBasics

/// Produces the data of a graph's constants from their initializers: `@scalar` fills the
/// declared shape, `@bytes` are taken as-is, and `@weights` are read through the manifest.
/// The manifest and weights file are read only when some constant needs them.
public struct ConstantLoader {
    /// The file `@weights` read from, once found.
    private enum WeightsSource {
        case safetensors(SafetensorsFile)
        case manifest(WeightsManifest, weightsFile: String)
    }

    private let source: SourceText
    private let paths: WeightsPaths
    private var weightsSource: WeightsSource?
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
            switch try loadWeightsSource(for: constant) {
            case .safetensors(let file):
                return try safetensorsData(key: key, of: constant, in: file)
            case .manifest(let manifest, let weightsFile):
                return try manifestData(key: key, of: constant, in: manifest, weightsFile: weightsFile)
            }
        }
    }

    /// The tensor `key` of a safetensors file (as written, else by sanitized name), checked against
    /// the declaration; BF16 data is widened for a float32 constant.
    private func safetensorsData(key: String, of constant: ConstantDeclarationSyntax,
                                 in file: SafetensorsFile) throws(Diagnostic) -> TensorData {
        let type = constant.type.type
        let location = constant.initializer.location
        let found: SafetensorsFile.Entry?
        do {
            found = try file.entry(forKey: key)
        } catch {
            throw source.error(error.message, at: location)
        }
        guard let entry = found else {
            let suggestion = SpellingSuggestion.closest(to: key, in: file.entries.keys).map { "; did you mean \"\($0)\"?" }
            throw source.error("weights key \"\(key)\" is not in '\(file.file)'\(suggestion ?? "")", at: location)
        }
        let note = [file.header.note("tensor \"\(entry.name)\" is here", at: entry.location)]
        guard entry.shape == type.shape else {
            throw source.error("constant '\(constant.name.name)' is declared \(type) but tensor \"\(entry.name)\" in "
                               + "'\(file.file)' has shape \(entry.shape)", at: location, notes: note)
        }
        let bytes = file.bytes(of: entry)
        if SafetensorsFile.dataTypes[entry.dtype] == type.dataType, let data = TensorData(type: type, bytes: Array(bytes)) {
            return data
        }
        if entry.dtype == "BF16", type.dataType == .float32, let data = TensorData.widenedFromBFloat16(type, bytes: bytes) {
            return data
        }
        throw source.error("constant '\(constant.name.name)' is declared \(type.dataType.shortName) but tensor \"\(entry.name)\" in "
                           + "'\(file.file)' is \(entry.dtype)" + (type.dataType == .float32 ? " (float32 constants read F32 or BF16)" : ""),
                           at: location, notes: note)
    }

    /// The tensor `key` of the manifest (as written, else by sanitized name) from the binary file.
    private mutating func manifestData(key: String, of constant: ConstantDeclarationSyntax, in manifest: WeightsManifest,
                                       weightsFile: String) throws(Diagnostic) -> TensorData {
        let type = constant.type.type
        let location = constant.initializer.location
        var matched = manifest.entries[key]
        if matched == nil {
            do {
                matched = try sanitizedMatch(forKey: key, in: manifest.entries, describe: {
                    "entries \"\($0)\" and \"\($1)\" of '\(manifest.file)'"
                })
            } catch {
                throw source.error(error.message, at: location)
            }
        }
        guard let entry = matched else {
            let suggestion = SpellingSuggestion.closest(to: key, in: manifest.entries.keys).map { "; did you mean \"\($0)\"?" }
            throw source.error("weights key \"\(key)\" is not in '\(manifest.file)'\(suggestion ?? "")", at: location)
        }
        guard entry.type == type else {
            throw source.error("constant '\(constant.name.name)' is declared \(type) but weights key \"\(key)\" "
                               + "in '\(manifest.file)' is \(entry.type)", at: location,
                               notes: [Diagnostic("weights entry \"\(key)\" is here", at: entry.location, severity: .note)])
        }
        let weights = try loadWeightsBinary(manifest: manifest, file: weightsFile)
        guard let bytes = weights.bytes(of: entry), let data = TensorData(type: type, bytes: bytes) else {
            throw source.error("weights file '\(weights.file)' is truncated: weights key \"\(key)\" needs bytes "
                               + "\(entry.byteOffset)..<\(entry.byteOffset + entry.byteLength) but the file has "
                               + "\(weights.byteCount) bytes", at: location)
        }
        return data
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
            return try filled(type, with: element, at: constant.initializer.location)
        }
        let range = integerRange(of: type.dataType)
        guard case .integer(let integer) = number, range.contains(integer) else {
            throw source.error("@scalar(\(number)) is not a \(type.dataType.shortName) value (an integer in \(range))",
                               at: constant.initializer.location)
        }
        return try filled(type, with: TensorData(type.dataType, shape: [1], integers: [integer]), at: constant.initializer.location)
    }

    private func filled(_ type: TensorType, with element: TensorData, at location: SourceLocation) throws(Diagnostic) -> TensorData {
        guard let data = TensorData.filled(type, with: element) else {
            throw source.error(TensorData.tooLargeToFill(type, what: "@scalar"), at: location)
        }
        return data
    }

    /// The first weights file that exists among the candidates: a safetensors file, or a binary
    /// `.weights` file with the first manifest that exists.
    private mutating func loadWeightsSource(for constant: ConstantDeclarationSyntax) throws(Diagnostic) -> WeightsSource {
        if let weightsSource { return weightsSource }
        let location = constant.initializer.location
        var found: (path: String, bytes: [UInt8])?
        for candidate in paths.weightsCandidates {
            if let bytes = try readFileIfPresent(candidate) { found = (candidate, bytes); break }
        }
        guard let found else {
            let files = paths.weightsCandidates.map { "'\($0)'" }
            let which = files.count == 1 ? "the weights file \(files[0]), which does not exist"
                : "a weights file, and none of \(files.joined(separator: ", ")) exists"
            throw source.error("constant '\(constant.name.name)' needs \(which)", at: location)
        }
        let loaded: WeightsSource
        if WeightsPaths.isSafetensors(found.path) {
            loaded = .safetensors(try SafetensorsFile(bytes: found.bytes, file: found.path))
        } else {
            var manifestFile: (path: String, bytes: [UInt8])?
            for candidate in paths.manifestCandidates {
                if let bytes = try readFileIfPresent(candidate) { manifestFile = (candidate, bytes); break }
            }
            guard let manifestFile else {
                throw source.error("constant '\(constant.name.name)' needs the weights manifest '\(paths.manifest)', "
                                   + "which does not exist", at: location)
            }
            let manifest = try WeightsManifest.parse(SourceText(bytes: manifestFile.bytes, file: manifestFile.path))
            weightsBinary = try WeightsBinary(bytes: found.bytes, file: found.path, manifest: manifest)
            loaded = .manifest(manifest, weightsFile: found.path)
        }
        weightsSource = loaded
        return loaded
    }

    private mutating func loadWeightsBinary(manifest: WeightsManifest, file: String) throws(Diagnostic) -> WeightsBinary {
        guard let weightsBinary else { throw Diagnostic("internal: weights file '\(file)' was not read") }
        return weightsBinary
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
