import ArgumentParser
import Foundation
import WebNNBasics
import WebNNCompiler
import WebNNReference
import WebNNRuntime

/// `webnnc run`: runs a compiled library (or a graph, compiled on the fly or interpreted) on .npy inputs.
struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a model on .npy inputs and write one .npy file per output.",
        discussion: """
            MODEL is a library made by webnnc, or a .webnn/.wnn graph or .onnx model: a graph is compiled into a
            temporary library first, or run by the reference interpreter with --interpret.
            """)

    @Argument(help: "A generated library (.so) or a graph (.webnn, .wnn, .onnx).")
    var model: String

    @Option(name: .customLong("input"), help: ArgumentHelp("An input as NAME=FILE.npy (repeat for each input).", valueName: "name=file"))
    var inputs: [String] = []

    @Option(help: "Folder for the outputs (<output name>.npy).")
    var outputDir: String = "."

    @Flag(help: "Run a graph with the reference interpreter instead of compiling it.")
    var interpret = false

    @Option(help: "Threads to run on (default: all cores).")
    var threads: Int?

    @OptionGroup var flags: CompileFlags

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        if interpret && !isGraphFile(model) { throw ValidationError("--interpret needs a .webnn, .wnn or .onnx graph, not \(model)") }
    }

    func run() throws {
        let inputTensors = try readInputs()
        let outputs = interpret ? try interpretGraph(inputTensors) : try runLibrary(inputTensors)
        try FileManager.default.createDirectory(atPath: outputDir, withIntermediateDirectories: true)
        for (name, tensor) in outputs.sorted(by: { $0.key < $1.key }) {
            let fileName = name.replacingOccurrences(of: "/", with: "_") + ".npy"
            let url = URL(fileURLWithPath: outputDir).appendingPathComponent(fileName)
            try NPY.write(tensor, to: url)
            print("\(url.path): \(tensor)")
        }
    }

    private func readInputs() throws -> [String: Tensor] {
        var tensors: [String: Tensor] = [:]
        for argument in inputs {
            guard let equals = argument.firstIndex(of: "="), equals != argument.startIndex else {
                throw UserError("--input \(argument): expected NAME=FILE.npy")
            }
            let name = String(argument[..<equals])
            let path = String(argument[argument.index(after: equals)...])
            guard tensors[name] == nil else { throw UserError("--input \(name) is given twice") }
            do {
                tensors[name] = try NPY.read(URL(fileURLWithPath: path))
            } catch {
                throw UserError("--input \(name): \(path): \(error)")
            }
        }
        return tensors
    }

    private func runLibrary(_ inputs: [String: Tensor]) throws -> [String: Tensor] {
        let pool = threads.map { ThreadPool(threads: $0) } ?? ThreadPool.shared
        guard isGraphFile(model) else {
            return try Model(path: model, threadPool: pool).run(inputs: inputs)
        }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("webnnc-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let library = folder.appendingPathComponent("libmodel.so").path
        let compiler = flags.compiler
        try compiler.buildLibrary(try compiler.loadGraph(path: model), at: library)
        return try Model(path: library, threadPool: pool).run(inputs: inputs)
    }

    private func interpretGraph(_ inputs: [String: Tensor]) throws -> [String: Tensor] {
        let graph = try flags.compiler.loadGraph(path: model)
        var data: [String: TensorData] = [:]
        for (name, tensor) in inputs {
            guard let dataType = WebNNBasics.DataType(rawValue: tensor.dataType.webnnName),
                  let tensorData = TensorData(type: TensorType(dataType, tensor.shape), bytes: tensor.bytes) else {
                throw UserError("--input \(name): cannot use \(tensor)")
            }
            data[name] = tensorData
        }
        return try Interpreter(graph).run(data).mapValues { result in
            try Tensor(dataType: WebNNRuntime.DataType(webnnName: result.type.dataType.rawValue)!,
                       shape: result.type.shape, bytes: result.bytes)
        }
    }
}

/// Whether a path names a graph (rather than a compiled library): `.webnn`/`.wnn` text (or the
/// JSON form in such a file), the JSON form in a `.json` file, or an ONNX model.
func isGraphFile(_ path: String) -> Bool {
    path.hasSuffix(".webnn") || path.hasSuffix(".wnn") || path.hasSuffix(".json") || Compiler.isONNX(path: path)
}
