/// Where a graph's weights manifest and binary weights file are.
public struct WeightsPaths: Equatable, Sendable {
    public var manifest: String
    public var weights: String

    public init(manifest: String, weights: String) {
        self.manifest = manifest
        self.weights = weights
    }

    /// The files beside a graph file: `dir/model.webnn` → `dir/model.manifest.json` and
    /// `dir/model.weights` (the extension `.webnn` or `.wnn` is replaced).
    public init(besideGraphAt graphPath: String) {
        var stem = Substring(graphPath)
        for graphExtension in [".webnn", ".wnn"] where stem.hasSuffix(graphExtension) {
            stem = stem.dropLast(graphExtension.count)
            break
        }
        self.init(manifest: stem + ".manifest.json", weights: stem + ".weights")
    }
}
