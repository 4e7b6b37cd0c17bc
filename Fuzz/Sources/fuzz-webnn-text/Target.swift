import FuzzSupport
import WebNNFrontend

/// `.webnn` text to a bound, verified graph, as `webnnc model.webnn` reads it (weights absent).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWebNNText(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    loadGraph(SourceText(bytes: fuzzInput(data, count), file: "fuzz.webnn"))
    return 0
}
