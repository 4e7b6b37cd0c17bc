import FuzzSupport
import WebNNFrontend

/// JSON graphs: the webnn-graph-json twin of the text (a `.webnn` that starts with `{`), bound as
/// the CLI binds it, and the conformance-test JSON that `webnnc conformance` reads.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWebNNJSON(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let source = SourceText(bytes: fuzzInput(data, count), file: "fuzz.json")
    loadGraph(source)
    _ = try? ConformanceLoader.load(source)
    return 0
}
