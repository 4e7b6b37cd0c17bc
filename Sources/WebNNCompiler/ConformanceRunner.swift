import Foundation
import WebNNBasics
import WebNNFrontend
import WebNNIR
import WebNNReference
import WebNNRuntime

/// The outcome of one conformance case.
public struct ConformanceResult: Sendable, CustomStringConvertible {
    public enum Status: Sendable, Equatable {
        case passed
        /// Which output failed and how (worst element against the allowed error), or why it could not run.
        case failed(String)
        case skipped(reason: String)
    }

    public var name: String
    /// The operators of the case's graph (for per-operator counts).
    public var operators: [String]
    public var status: Status

    public var description: String {
        switch status {
        case .passed: return "PASS \(name)"
        case .failed(let detail): return "FAIL \(name): \(detail)"
        case .skipped(let reason): return "SKIP \(name): \(reason)"
        }
    }
}

/// Runs WebNN conformance vectors (the WPT JSON format) through the reference interpreter or
/// through compiled libraries, judging each output by the WPT tolerance of its graph.
public struct ConformanceRunner: Sendable {
    public enum Mode: Sendable {
        case interpret
        /// Compile each case with this compiler into a temporary library, load it and run it.
        case compile(Compiler)
    }

    public var mode: Mode

    public init(mode: Mode) { self.mode = mode }

    /// Runs every case of a loaded suite; cases the loader could not build are reported as skipped.
    public func run(_ suite: ConformanceSuite) -> [ConformanceResult] {
        suite.cases.map(run) + suite.unsupported.map { ConformanceResult(name: $0.name, operators: [], status: .skipped(reason: $0.reason)) }
    }

    /// Runs one case.
    public func run(_ testCase: ConformanceCase) -> ConformanceResult {
        let operators = testCase.graph.nodes.map(\.op)
        do {
            let outputs = try execute(testCase)
            for id in testCase.graph.outputs {
                let name = testCase.graph[id].name
                guard let expected = testCase.expectedOutputs[name] else { continue }
                guard let actual = outputs[name] else {
                    return ConformanceResult(name: testCase.name, operators: operators, status: .failed("output \(name) missing"))
                }
                let tolerance = try Tolerance.wpt(for: id, in: testCase.graph)
                if let violation = compare(actual: actual, expected: expected, tolerance: tolerance) {
                    return ConformanceResult(name: testCase.name, operators: operators,
                                             status: .failed("output \(name): \(violation) (allowed \(tolerance))"))
                }
            }
            return ConformanceResult(name: testCase.name, operators: operators, status: .passed)
        } catch {
            return ConformanceResult(name: testCase.name, operators: operators, status: .failed("\(error)"))
        }
    }

    private func execute(_ testCase: ConformanceCase) throws -> [String: TensorData] {
        switch mode {
        case .interpret:
            return try Interpreter(testCase.graph).run(testCase.inputs)
        case .compile(let compiler):
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("webnnc-conformance-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            let library = folder.appendingPathComponent("libcase.so").path
            try compiler.buildLibrary(testCase.graph, at: library)
            let model = try Model(path: library)
            let inputs = try testCase.inputs.mapValues { data in
                try Tensor(dataType: runtimeType(data.type.dataType), shape: data.type.shape, bytes: data.bytes)
            }
            return try model.run(inputs: inputs).mapValues { tensor in
                TensorData(type: TensorType(WebNNBasics.DataType(rawValue: tensor.dataType.webnnName)!, tensor.shape), bytes: tensor.bytes)!
            }
        }
    }

    private func runtimeType(_ type: WebNNBasics.DataType) -> WebNNRuntime.DataType {
        WebNNRuntime.DataType(webnnName: type.rawValue)!
    }
}
