import WebNNBasics
import WebNNIR

/// Where to find a graph's weights, and the values of its dynamic dimensions. Nil paths default
/// to the files beside the graph file (see `WeightsPaths(besideGraphAt:)`).
public struct FrontendOptions: Sendable {
    /// The weights manifest; nil means `<stem>.manifest.json`, then `manifest.json`, beside the graph.
    public var manifestPath: String?
    /// The weights file (`.safetensors` or binary `.weights`); nil means the first of
    /// `<stem>.safetensors`, `<stem>.weights`, `model.safetensors`, `model.weights` beside the graph.
    public var weightsPath: String?
    /// The value of each `dyn("name", max)` input dimension (`--dim name=N`).
    public var dimensions: [String: Int]

    public init(manifestPath: String? = nil, weightsPath: String? = nil, dimensions: [String: Int] = [:]) {
        self.manifestPath = manifestPath
        self.weightsPath = weightsPath
        self.dimensions = dimensions
    }
}

/// The frontend's entry point: `.webnn` text (or its JSON twin) to a bound, shape-checked
/// `WebNNIR.Graph`.
public enum GraphLoader {
    /// Reads, parses and binds the graph file at `path` (`.webnn` or `.wnn`; a file whose first
    /// character is `{` is the JSON form), reading the weights its constants need.
    public static func load(path: String, options: FrontendOptions = FrontendOptions()) throws -> Graph {
        let beside = WeightsPaths(besideGraphAt: path)
        var paths = beside
        if let manifestPath = options.manifestPath {
            paths.manifestCandidates = [manifestPath]
            // An explicit manifest goes with a binary weights file.
            paths.weightsCandidates = beside.weightsCandidates.filter { !WeightsPaths.isSafetensors($0) }
        }
        if let weightsPath = options.weightsPath { paths.weightsCandidates = [weightsPath] }
        return try load(SourceText(bytes: try readFile(path), file: path), weights: paths, dimensions: options.dimensions)
    }

    /// Parses and binds graph text (or JSON), binding its dynamic dimensions to `dimensions` and
    /// reading weights from `weights` when a constant needs them.
    public static func load(_ source: SourceText, weights: WeightsPaths, dimensions: [String: Int] = [:]) throws -> Graph {
        let syntax = try parse(source).specialized(dimensions: dimensions, source: source)
        let constants = try ConstantLoader.loadConstants(of: syntax, source: source, weights: weights)
        return try Binder.bind(syntax, constants: constants, source: source)
    }

    /// The syntax tree of graph text or of its JSON twin.
    public static func parse(_ source: SourceText) throws(Diagnostic) -> GraphSyntax {
        GraphJSONReader.isJSON(source) ? try GraphJSONReader.parse(source) : try Parser.parse(source)
    }
}
