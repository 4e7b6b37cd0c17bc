import Foundation
import Testing
import WebNNCompiler
import WebNNFrontend
import WebNNIR

/// The WPT conformance vectors of the foundation operators, in float32, through the reference
/// interpreter and through compiled libraries. Every loaded case must pass; the counts per
/// operator are printed for the record.
@Suite(.enabled(if: conformanceFolder != nil, "needs ../shared/conformance"))
struct ConformanceTests {
    /// Conformance files of the operators the foundation covers.
    static let files = [
        "conv2d", "add", "sub", "mul", "div", "max", "min", "relu", "clamp", "sigmoid", "tanh",
        "matmul", "softmax", "reshape", "transpose", "concat", "batch_normalization",
    ]

    /// The float32 cases of one file, and the others with the reason they are not run here.
    static func cases(of file: String) throws -> (run: [ConformanceCase], skipped: [(String, String)]) {
        let suite = try ConformanceLoader.load(path: conformanceFolder!.appendingPathComponent("\(file).json").path)
        var run: [ConformanceCase] = [], skipped = suite.unsupported.map { ($0.name, $0.reason) }
        for testCase in suite.cases {
            let types = Set(testCase.graph.values.map(\.type.dataType))
            if types == [.float32] { run.append(testCase) } else {
                skipped.append((testCase.name, "data types \(types.map(\.rawValue).sorted()) are not float32 (covered by the every-type work)"))
            }
        }
        return (run, skipped)
    }

    @Test(arguments: files) func interpreter(file: String) throws {
        try check(file: file, runner: ConformanceRunner(mode: .interpret))
    }

    @Test(arguments: files) func compiled(file: String) throws {
        try check(file: file, runner: ConformanceRunner(mode: .compile(Compiler())))
    }

    private func check(file: String, runner: ConformanceRunner) throws {
        let (cases, skipped) = try ConformanceTests.cases(of: file)
        let results = cases.map(runner.run)
        let failures = results.filter { $0.status != .passed }
        for failure in failures { Issue.record("\(failure)") }
        let mode = if case .interpret = runner.mode { "interpreter" } else { "compiled" }
        print("conformance \(file) [\(mode)]: \(results.count - failures.count) passed, \(failures.count) failed, \(skipped.count) skipped")
        for (name, reason) in skipped { print("  skipped \(name): \(reason)") }
        #expect(!cases.isEmpty)
    }
}
