import FuzzSupport
import WebNNFrontend

/// A weights manifest and binary `.weights` file: read directly, and through a graph whose
/// `@weights` constants load from them. Input: graph text, 0, manifest JSON, 0, binary.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWeights(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let parts = splitAtZeros(fuzzInput(data, count), count: 2) else { return 0 }
    let (graph, manifest, binary) = (parts[0], parts[1], parts[2])
    if let parsed = try? WeightsManifest.parse(SourceText(bytes: Array(manifest), file: "fuzz.manifest.json")),
       let weights = try? WeightsBinary(bytes: Array(binary), file: "fuzz.weights", manifest: parsed) {
        for entry in parsed.entries.values { _ = weights.bytes(of: entry) }
    }
    let paths = WeightsPaths(manifest: scratchFile("fuzz.manifest.json", manifest), weights: scratchFile("fuzz.weights", binary))
    loadGraph(SourceText(bytes: Array(graph), file: "fuzz.webnn"), weights: paths)
    return 0
}
