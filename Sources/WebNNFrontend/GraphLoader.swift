import WebNNBasics
import WebNNIR

/// Where to find a graph's weights; nil paths default to the files beside the graph file.
public struct FrontendOptions: Sendable {
    /// The weights manifest; nil means `<stem>.manifest.json` beside the graph.
    public var manifestPath: String?
    /// The binary weights file; nil means `<stem>.weights` beside the graph.
    public var weightsPath: String?

    public init(manifestPath: String? = nil, weightsPath: String? = nil) {
        self.manifestPath = manifestPath
        self.weightsPath = weightsPath
    }
}

/// The frontend's entry point: `.webnn` text to a bound, shape-checked `WebNNIR.Graph`.
public enum GraphLoader {
    /// Reads, parses and binds the graph file at `path` (`.webnn` or `.wnn`), reading the
    /// weights its constants need.
    public static func load(path: String, options: FrontendOptions = FrontendOptions()) throws -> Graph {
        let beside = WeightsPaths(besideGraphAt: path)
        let paths = WeightsPaths(manifest: options.manifestPath ?? beside.manifest,
                                 weights: options.weightsPath ?? beside.weights)
        return try load(SourceText(bytes: try readFile(path), file: path), weights: paths)
    }

    /// Parses and binds graph text, reading weights from `weights` when a constant needs them.
    public static func load(_ source: SourceText, weights: WeightsPaths) throws -> Graph {
        let syntax = try Parser.parse(source)
        let constants = try ConstantLoader.loadConstants(of: syntax, source: source, weights: weights)
        return try Binder.bind(syntax, constants: constants, source: source)
    }
}
