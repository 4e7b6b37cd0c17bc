/// Where a graph's weights may be: candidate files, the first that exists is used.
///
/// Beside `dir/g.webnn` the weights file is the first that exists, in webnn-graph's order:
/// `dir/g.safetensors`, `dir/g.weights`, `dir/model.safetensors`, `dir/model.weights`. A safetensors file holds its own
/// directory; a `.weights` file needs a manifest: `{stem}.manifest.json`, then `manifest.json`.
public struct WeightsPaths: Equatable, Sendable {
    /// Weights manifests to try, in order (for a `.weights` file).
    public var manifestCandidates: [String]
    /// Weights files to try, in order: `.safetensors` files or binary `.weights` files.
    public var weightsCandidates: [String]

    /// Exactly these two files.
    public init(manifest: String, weights: String) {
        self.init(manifestCandidates: [manifest], weightsCandidates: [weights])
    }

    public init(manifestCandidates: [String], weightsCandidates: [String]) {
        func unique(_ paths: [String]) -> [String] {
            var seen: Set<String> = []
            return paths.filter { seen.insert($0).inserted }
        }
        self.manifestCandidates = unique(manifestCandidates)
        self.weightsCandidates = unique(weightsCandidates)
    }

    /// The files beside a graph file (the extension `.webnn`, `.wnn` or `.json` is replaced).
    public init(besideGraphAt graphPath: String) {
        var stem = Substring(graphPath)
        for graphExtension in [".webnn", ".wnn", ".json"] where stem.hasSuffix(graphExtension) {
            stem = stem.dropLast(graphExtension.count)
            break
        }
        let directory = graphPath.lastIndex(of: "/").map { String(graphPath[...$0]) } ?? ""
        self.init(manifestCandidates: [stem + ".manifest.json", directory + "manifest.json"],
                  weightsCandidates: [stem + ".safetensors", stem + ".weights",
                                      directory + "model.safetensors", directory + "model.weights"])
    }

    /// The first manifest candidate (where an error says the manifest should be).
    public var manifest: String { manifestCandidates.first ?? "" }

    /// Whether `path` names a safetensors file (by its extension).
    static func isSafetensors(_ path: String) -> Bool {
        let lowered = path.lowercased()
        return lowered.hasSuffix(".safetensors") || lowered.hasSuffix(".safetensor")
    }
}
