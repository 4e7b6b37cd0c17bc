import Foundation
import Testing
import WebNNBasics
import WebNNFrontend
import WebNNIR
import WebNNReference

/// Runs the WPT conformance vectors (`../shared/conformance`) through the interpreter and checks
/// every output with the WPT tolerance. Each operator prints its passed/failed/skipped counts;
/// a skipped case always has a reason.
@Suite struct ConformanceTests {
    /// Operators checked here, with the conformance file holding their cases.
    static let operatorFiles: [(op: String, file: String)] = [
        ("conv2d", "conv2d"), ("add", "add"), ("sub", "sub"), ("mul", "mul"), ("div", "div"), ("max", "max"),
        ("min", "min"), ("relu", "relu"), ("clamp", "clamp"), ("sigmoid", "sigmoid"), ("tanh", "tanh"),
        ("matmul", "matmul"), ("softmax", "softmax"), ("reshape", "reshape"), ("transpose", "transpose"),
        ("concat", "concat"), ("batchNormalization", "batch_normalization"),
        ("abs", "abs"), ("neg", "neg"), ("ceil", "ceil"), ("floor", "floor"), ("exp", "exp"), ("log", "log"), ("sqrt", "sqrt"),
        ("pow", "pow"), ("cast", "cast"), ("elu", "elu"), ("leakyRelu", "leaky_relu"), ("hardSigmoid", "hard_sigmoid"),
        ("hardSwish", "hard_swish"), ("linear", "linear"), ("equal", "equal"), ("greater", "greater"),
        ("greaterOrEqual", "greater_or_equal"), ("lesser", "lesser"), ("lesserOrEqual", "lesser_or_equal"),
        ("logicalNot", "logical_not"), ("reduceSum", "reduce_sum"), ("reduceL1", "reduce_l1"), ("reduceL2", "reduce_l2"),
        ("reduceLogSum", "reduce_log_sum"), ("reduceLogSumExp", "reduce_log_sum_exp"), ("reduceMax", "reduce_max"),
        ("reduceMean", "reduce_mean"), ("reduceMin", "reduce_min"), ("reduceProduct", "reduce_product"),
        ("reduceSumSquare", "reduce_sum_square"),
        ("split", "split"), ("slice", "slice"), ("expand", "expand"), ("gather", "gather"), ("convTranspose2d", "conv_transpose2d"), ("instanceNormalization", "instance_normalization"), ("layerNormalization", "layer_normalization"),
    ]

    /// `../shared/conformance`, next to the package root (symbolic links resolved).
    static let directory = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath()
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("shared/conformance")

    @Test(arguments: operatorFiles)
    func cases(op: String, file: String) throws {
        let path = Self.directory.appendingPathComponent("\(file).json").path
        try #require(FileManager.default.fileExists(atPath: path), "conformance vectors not found at \(path)")
        let suite = try ConformanceLoader.load(path: path)
        var passed = 0, failed = 0
        var byType: [String: (passed: Int, runs: Int)] = [:]
        var skipped: [String: Int] = [:]
        for (_, reason) in suite.unsupported { skipped["not loaded: \(reason)", default: 0] += 1 }
        for testCase in suite.cases {
            if let reason = Self.skipReason(testCase) {
                skipped[reason, default: 0] += 1
                continue
            }
            let problems = Self.check(testCase)
            let types = Set(testCase.graph.values.map(\.type.dataType.rawValue)).sorted().joined(separator: "+")
            byType[types, default: (0, 0)].runs += 1
            if problems.isEmpty {
                passed += 1
                byType[types, default: (0, 0)].passed += 1
            } else {
                failed += 1
                Issue.record("\(op) case '\(testCase.name)': \(problems.joined(separator: "; "))")
            }
        }
        let reasons = skipped.sorted { $0.key < $1.key }.map { "\($0.value) x \($0.key)" }.joined(separator: "; ")
        let types = byType.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value.passed)/\($0.value.runs)" }.joined(separator: ", ")
        print("conformance \(op): \(passed) passed, \(failed) failed, \(skipped.values.reduce(0, +)) skipped [\(types)]"
              + (reasons.isEmpty ? "" : " (\(reasons))"))
        #expect(passed > 0)
    }

    /// Why a loaded case is not run here (nil: it runs). Cases of every data type run: the
    /// interpreter implements each operator in every type the schema accepts.
    private static func skipReason(_ testCase: ConformanceCase) -> String? {
        nil
    }

    /// Runs one case; returns what went wrong (empty when every output is within tolerance).
    private static func check(_ testCase: ConformanceCase) -> [String] {
        let graph = testCase.graph
        let outputs: [String: TensorData]
        do {
            outputs = try Interpreter(graph).run(testCase.inputs)
        } catch {
            return ["\(error)"]
        }
        var problems: [String] = []
        for (name, expected) in testCase.expectedOutputs.sorted(by: { $0.key < $1.key }) {
            guard let id = graph.value(named: name), let actual = outputs[name] else {
                problems.append("\(name): no such output")
                continue
            }
            guard actual.type.shape == expected.type.shape else {
                problems.append("\(name): shape \(actual.type.shape), expected \(expected.type.shape)")
                continue
            }
            do {
                let tolerance = try Tolerance.wpt(for: id, in: graph)
                if let violation = compare(actual: actual, expected: expected, tolerance: tolerance) {
                    problems.append("\(name): \(violation) (tolerance \(tolerance))")
                }
            } catch {
                problems.append("\(name): \(error)")
            }
        }
        return problems
    }
}
