import ArgumentParser
import Foundation
import WebNNCompiler
import WebNNFrontend

/// `webnnc conformance DIR`: runs WebNN conformance vectors (WPT JSON) and reports failures.
struct Conformance: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a folder of WebNN conformance vectors (WPT JSON format) and report failures.",
        discussion: "Prints one line per failing case and, last, 'N passed, N failed, N skipped'.")

    @Argument(help: "A folder of *.json conformance files, or one file.")
    var path: String

    @Flag(help: "Run the reference interpreter instead of compiled code.")
    var interpret = false

    @Flag(help: "Also list skipped cases with their reasons.")
    var showSkipped = false

    @OptionGroup var flags: CompileFlags

    func run() throws {
        let runner = ConformanceRunner(mode: interpret ? .interpret : .compile(flags.compiler))
        var counts = (passed: 0, failed: 0, skipped: 0)
        for file in try conformanceFiles() {
            for result in runner.run(try ConformanceLoader.load(path: file)) {
                switch result.status {
                case .passed: counts.passed += 1
                case .failed: counts.failed += 1; print(result)
                case .skipped: counts.skipped += 1; if showSkipped { print(result) }
                }
            }
        }
        print("\(counts.passed) passed, \(counts.failed) failed, \(counts.skipped) skipped")
        if counts.failed > 0 { throw ExitCode(1) }
    }

    private func conformanceFiles() throws -> [String] {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else { throw UserError("\(path): no such file or folder") }
        guard isFolder.boolValue else { return [path] }
        return try FileManager.default.contentsOfDirectory(atPath: path).filter { $0.hasSuffix(".json") }.sorted()
            .map { URL(fileURLWithPath: path).appendingPathComponent($0).path }
    }
}
