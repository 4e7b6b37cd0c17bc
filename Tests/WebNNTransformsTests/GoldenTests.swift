import Foundation
import Testing
import WebNNIR
@testable import WebNNTransforms

/// Golden tests: each `Golden/<case>.webnn` starts with `# RUN: <pipeline>` (`--passes` syntax,
/// or `-O<n>`); the graph after that pipeline, printed, must equal `Golden/<case>.expected.webnn`.
/// Set `WEBNNC_RECORD=1` to (re)write the expected files from the current output.
@Suite struct GoldenTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")
    static let expectedSuffix = ".expected.webnn"

    static var cases: [String] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return files.filter { $0.hasSuffix(".webnn") && !$0.hasSuffix(expectedSuffix) }
            .map { String($0.dropLast(".webnn".count)) }.sorted()
    }

    @Test func everyPassHasGoldenTests() {
        for pass in PassRegistry.passes where pass.name != "dce" {
            #expect(GoldenTests.cases.contains { $0.hasPrefix(pass.name) }, "no golden test for \(pass.name)")
        }
    }

    @Test(arguments: cases) func golden(_ name: String) throws {
        let input = try String(contentsOf: GoldenTests.directory.appendingPathComponent(name + ".webnn"), encoding: .utf8)
        let run = try #require(input.split(separator: "\n").first.flatMap { line in
            line.hasPrefix("# RUN:") ? line.dropFirst("# RUN:".count).trimmingCharacters(in: .whitespaces) : nil
        }, "\(name).webnn must start with '# RUN: <pipeline>'")
        let pipeline = run.hasPrefix("-O") ? PassRegistry.pipeline(optimizationLevel: Int(run.dropFirst(2)) ?? 3)
            : try PassRegistry.pipeline(parsing: run)
        var graph = try load(input, file: name + ".webnn")
        try PassManager(pipeline: pipeline, verifyEach: true).run(&graph)
        let actual = printed(graph)

        let expectedURL = GoldenTests.directory.appendingPathComponent(name + GoldenTests.expectedSuffix)
        if ProcessInfo.processInfo.environment["WEBNNC_RECORD"] == "1" {
            try Data(actual.utf8).write(to: expectedURL)
            return
        }
        guard let expected = try? String(contentsOf: expectedURL, encoding: .utf8) else {
            Issue.record("missing \(expectedURL.lastPathComponent); run the tests with WEBNNC_RECORD=1 to record it")
            return
        }
        #expect(actual == expected, "\(name): the output differs from \(expectedURL.lastPathComponent):\n\(actual)")
        // Every dump is valid input: it reads back to the same text.
        #expect(printed(try load(actual)) == actual)
    }
}
