import Foundation
import WebNNFrontend
import WebNNIR

/// The bytes libFuzzer passes to `LLVMFuzzerTestOneInput`.
public func fuzzInput(_ data: UnsafePointer<UInt8>?, _ count: Int) -> [UInt8] {
    guard let data, count > 0 else { return [] }
    return Array(UnsafeBufferPointer(start: data, count: count))
}

/// Weights files that do not exist: graphs whose constants need weights get the loader's error.
public let absentWeights = WeightsPaths(manifest: "/nonexistent/fuzz.manifest.json", weights: "/nonexistent/fuzz.weights")

/// Parses, specializes and binds a graph as the CLI does (`GraphLoader.load`), giving each
/// dynamic dimension a small value within its maximum, then prints the bound graph (`--emit=ir`).
/// Errors are the expected outcome for most inputs; only a crash, hang or runaway allocation is a finding.
public func loadGraph(_ source: SourceText, weights: WeightsPaths = absentWeights) {
    guard let syntax = try? GraphLoader.parse(source) else { return }
    var dimensions: [String: Int] = [:]
    for input in syntax.inputs {
        for dynamic in input.type.dynamicDimensions { dimensions[dynamic.name] = max(1, min(dynamic.maximum, 3)) }
    }
    guard let graph = try? GraphLoader.load(source, weights: weights, dimensions: dimensions) else { return }
    _ = GraphPrinter(writeWeights: true).print(graph)
}

/// The input cut at its first `count` zero bytes into `count + 1` parts (nil with fewer zeros):
/// a graph's text, then the files beside it.
public func splitAtZeros(_ bytes: [UInt8], count: Int) -> [ArraySlice<UInt8>]? {
    let parts = bytes.split(separator: 0, maxSplits: count, omittingEmptySubsequences: false)
    return parts.count == count + 1 ? parts : nil
}

/// A fresh file in this process's scratch folder holding `bytes` (the loader reads weights from files).
public func scratchFile(_ name: String, _ bytes: ArraySlice<UInt8>) -> String {
    let path = scratchDirectory + "/" + name
    FileManager.default.createFile(atPath: path, contents: Data(bytes))
    return path
}

private let scratchDirectory: String = {
    let path = NSTemporaryDirectory() + "/webnnc-fuzz-\(ProcessInfo.processInfo.processIdentifier)"
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}()
