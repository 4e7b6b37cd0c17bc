import Foundation
import Testing
import WebNNBasics
import WebNNFrontend
import WebNNIR
import WebNNReference
@testable import WebNNTransforms

/// Weights paths that do not exist (for graphs without `@weights`).
let noWeights = WeightsPaths(manifest: "/nonexistent/test.manifest.json", weights: "/nonexistent/test.weights")

/// Loads `.webnn` text with inline constants.
func load(_ text: String, file: String = "test.webnn") throws -> Graph {
    try GraphLoader.load(SourceText(text, file: file), weights: noWeights)
}

/// The `.webnn` text of a graph (weights by key, as `--print-ir-after` shows it).
func printed(_ graph: Graph) -> String {
    GraphPrinter(writeWeights: false).print(graph).text
}

/// A fresh, empty temporary directory.
func temporaryDirectory() throws -> URL {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("webnntransforms-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    return directory
}

/// SplitMix64: a small seedable generator, so a failing random graph can be replayed from its seed.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
