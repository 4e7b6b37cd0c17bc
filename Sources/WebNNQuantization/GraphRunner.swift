import Foundation
import WebNNBasics
import WebNNCompiler
import WebNNIR
import WebNNReference
import WebNNRuntime

/// Runs a graph on named inputs and returns its outputs by name: how calibration observes a
/// graph's values and how the report compares the float and the quantized graph.
public protocol GraphRunner {
    func run(_ inputs: [String: TensorData]) throws -> [String: TensorData]
}

/// Runs a graph with the reference interpreter (exact, plain loops: for small graphs and tests).
public struct InterpreterRunner: GraphRunner {
    let interpreter: Interpreter
    public init(_ graph: Graph) { interpreter = Interpreter(graph) }
    public func run(_ inputs: [String: TensorData]) throws -> [String: TensorData] { try interpreter.run(inputs) }
}

/// Runs a graph compiled by `compiler` into a temporary shared library (removed once loaded).
public struct CompiledRunner: GraphRunner {
    let model: Model

    public init(_ graph: Graph, compiler: Compiler, threadPool: ThreadPool = .shared) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("webnnc-quantize-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let library = folder.appendingPathComponent("libmodel.so").path
        try compiler.buildLibrary(graph, at: library)
        model = try Model(path: library, threadPool: threadPool)
    }

    public func run(_ inputs: [String: TensorData]) throws -> [String: TensorData] {
        let tensors = try inputs.mapValues { data in
            try Tensor(dataType: WebNNRuntime.DataType(webnnName: data.type.dataType.rawValue)!, shape: data.type.shape, bytes: data.bytes)
        }
        return try model.run(inputs: tensors).mapValues { tensor in
            guard let dataType = WebNNBasics.DataType(rawValue: tensor.dataType.webnnName),
                  let data = TensorData(type: TensorType(dataType, tensor.shape), bytes: tensor.bytes) else {
                throw InternalError(stage: "quantize", "cannot read the library's output \(tensor)")
            }
            return data
        }
    }
}
