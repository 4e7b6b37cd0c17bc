import FuzzSupport
import WebNNFrontend

/// A `.safetensors` weights sidecar: read directly, and through a graph whose `@weights`
/// constants load from it (name fallbacks, bf16 widening). Input: graph text, 0, safetensors file.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafetensors(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    guard let parts = splitAtZeros(fuzzInput(data, count), count: 1) else { return 0 }
    let (graph, sidecar) = (parts[0], parts[1])
    if let file = try? SafetensorsFile(bytes: Array(sidecar), file: "fuzz.safetensors") {
        for entry in file.entries.values { _ = file.bytes(of: entry) }
    }
    let paths = WeightsPaths(manifestCandidates: [], weightsCandidates: [scratchFile("fuzz.safetensors", sidecar)])
    loadGraph(SourceText(bytes: Array(graph), file: "fuzz.webnn"), weights: paths)
    return 0
}
