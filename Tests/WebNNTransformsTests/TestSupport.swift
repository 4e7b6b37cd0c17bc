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
