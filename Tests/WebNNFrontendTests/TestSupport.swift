import Foundation
import Testing
import WebNNBasics
import WebNNIR
@testable import WebNNFrontend

/// The path used for in-memory graph sources.
let testFile = "test.webnn"

/// Weights paths that do not exist (for graphs without `@weights`).
let noWeights = WeightsPaths(manifest: "/nonexistent/test.manifest.json", weights: "/nonexistent/test.weights")

func parse(_ text: String) throws -> GraphSyntax {
    try Parser.parse(SourceText(text, file: testFile))
}

func load(_ text: String, weights: WeightsPaths = noWeights) throws -> Graph {
    try GraphLoader.load(SourceText(text, file: testFile), weights: weights)
}

/// Runs `body` and checks that it throws a diagnostic `message` at `line`:`column`.
@discardableResult
func expectDiagnostic(_ message: String, line: Int, column: Int, file: String = testFile,
                      sourceLocation: Testing.SourceLocation = #_sourceLocation,
                      _ body: () throws -> Void) -> Diagnostic? {
    do {
        try body()
        Issue.record("expected the error \"\(message)\"", sourceLocation: sourceLocation)
    } catch let diagnostic as Diagnostic {
        #expect(diagnostic.message == message, sourceLocation: sourceLocation)
        #expect(diagnostic.location == WebNNBasics.SourceLocation(file: file, line: line, column: column),
                sourceLocation: sourceLocation)
        return diagnostic
    } catch {
        Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

/// Checks that parsing `text` fails with `message` at `line`:`column`.
func expectParseError(_ text: String, _ message: String, line: Int, column: Int,
                      sourceLocation: Testing.SourceLocation = #_sourceLocation) {
    expectDiagnostic(message, line: line, column: column, sourceLocation: sourceLocation) { _ = try parse(text) }
}

/// Checks that loading `text` fails with `message` at `line`:`column`.
@discardableResult
func expectLoadError(_ text: String, _ message: String, line: Int, column: Int, weights: WeightsPaths = noWeights,
                     sourceLocation: Testing.SourceLocation = #_sourceLocation) -> Diagnostic? {
    expectDiagnostic(message, line: line, column: column, sourceLocation: sourceLocation) {
        _ = try load(text, weights: weights)
    }
}

/// A fresh temporary directory holding the given files.
func temporaryDirectory(files: [String: [UInt8]]) throws -> URL {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("webnnfrontend-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    for (name, bytes) in files { try Data(bytes).write(to: directory.appendingPathComponent(name)) }
    return directory
}

/// Little-endian bytes of float32 values.
func float32Bytes(_ values: [Float]) -> [UInt8] {
    values.flatMap { value in withUnsafeBytes(of: value.bitPattern.littleEndian) { Array($0) } }
}

/// A manifest JSON with entries (key, dataType, shape, byteOffset).
func manifestJSON(_ entries: [(key: String, dataType: DataType, shape: [Int], offset: Int)]) -> [UInt8] {
    let tensors = entries.map { entry in
        let length = TensorType(entry.dataType, entry.shape).byteSize
        return "\"\(entry.key)\": {\"dataType\": \"\(entry.dataType.rawValue)\", \"shape\": \(entry.shape), "
            + "\"byteOffset\": \(entry.offset), \"byteLength\": \(length), \"layout\": \"row-major\"}"
    }
    let text = "{\"format\": \"wg-weights-manifest\", \"version\": 1, \"endianness\": \"little\",\n"
        + "\"tensors\": {\n" + tensors.joined(separator: ",\n") + "\n}}\n"
    return Array(text.utf8)
}

let weightsHeader: [UInt8] = Array("WGWT".utf8) + [1, 0, 0, 0]
