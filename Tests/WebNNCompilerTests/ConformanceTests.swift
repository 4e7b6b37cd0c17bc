import Foundation
import Testing
import WebNNBasics
import WebNNCompiler
import WebNNFrontend
import WebNNIR

/// The WPT conformance vectors of the foundation operators, in every data type they have
/// (float32, float16 and the integer types), through the reference interpreter and through
/// compiled libraries. Every loaded case must pass; the counts per operator and data type are
/// printed for the record.
@Suite(.enabled(if: conformanceFolder != nil, "needs ../shared/conformance"))
struct ConformanceTests {
    /// Conformance files of the operators the foundation covers.
    static let files = [
        "conv2d", "add", "sub", "mul", "div", "max", "min", "relu", "clamp", "sigmoid", "tanh",
        "matmul", "softmax", "reshape", "transpose", "concat", "batch_normalization",
        // convolution transpose and normalizations:
        "conv_transpose2d", "instance_normalization", "layer_normalization",
        // data movement and reductions:
        "split", "slice", "expand", "gather", "reduce_sum", "reduce_l1", "reduce_l2", "reduce_max", "reduce_mean",
        "reduce_min", "reduce_product", "reduce_sum_square", "reduce_log_sum", "reduce_log_sum_exp",
        // element-wise operators:
        "abs", "neg", "ceil", "floor", "exp", "log", "sqrt", "elu", "leaky_relu", "hard_sigmoid", "hard_swish", "linear",
        "pow", "equal", "greater", "greater_or_equal", "lesser", "lesser_or_equal", "logical_not", "cast",
    ]

    /// The cases of one file, and the ones the loader could not build with the reason.
    static func cases(of file: String) throws -> (run: [ConformanceCase], skipped: [(String, String)]) {
        let suite = try ConformanceLoader.load(path: conformanceFolder!.appendingPathComponent("\(file).json").path)
        return (suite.cases, suite.unsupported.map { ($0.name, $0.reason) })
    }

    /// The data types of a case's graph, e.g. `float16` (`int32+float32` when mixed).
    static func dataTypes(of testCase: ConformanceCase) -> String {
        let types = Set(testCase.graph.values.map(\.type.dataType))
        return DataType.allCases.filter(types.contains).map(\.rawValue).joined(separator: "+")
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
        var counts: [String: (passed: Int, total: Int)] = [:]
        for (testCase, result) in zip(cases, results) {
            let key = ConformanceTests.dataTypes(of: testCase)
            counts[key, default: (0, 0)].total += 1
            if result.status == .passed { counts[key, default: (0, 0)].passed += 1 }
        }
        let perType = counts.keys.sorted().map { "\($0) \(counts[$0]!.passed)/\(counts[$0]!.total)" }.joined(separator: ", ")
        print("conformance \(file) [\(mode)]: \(results.count - failures.count) passed, \(failures.count) failed, \(skipped.count) skipped (\(perType))")
        for (name, reason) in skipped { print("  skipped \(name): \(reason)") }
        #expect(!cases.isEmpty)
    }
}
