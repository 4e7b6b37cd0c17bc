import ArgumentParser
import Foundation
import WebNNCompiler

/// `--input-shape name=d0,d1,...`: static shapes for an ONNX model's dynamic inputs.
struct ONNXFlags: ParsableArguments {
    @Option(name: .customLong("input-shape"),
            help: ArgumentHelp("The static shape of an ONNX input with dynamic dimensions (repeat for each).", valueName: "name=d0,d1,..."))
    var inputShapeArguments: [String] = []

    func validate() throws { _ = try inputShapes() }

    /// The shapes by input name.
    func inputShapes() throws -> [String: [Int]] {
        var shapes: [String: [Int]] = [:]
        for argument in inputShapeArguments {
            guard let equals = argument.lastIndex(of: "="), equals != argument.startIndex else {
                throw ValidationError("--input-shape \(argument): expected NAME=d0,d1,...")
            }
            let name = String(argument[..<equals])
            let text = argument[argument.index(after: equals)...]
            let dims = text.isEmpty ? [] : text.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard dims.allSatisfy({ $0 != nil && $0! > 0 }) else {
                throw ValidationError("--input-shape \(argument): the dimensions must be positive integers separated by commas")
            }
            guard shapes[name] == nil else { throw ValidationError("--input-shape \(name) is given twice") }
            shapes[name] = dims.map { $0! }
        }
        return shapes
    }
}

/// `webnnc import model.onnx -o model.webnn`: the ONNX front end alone, writing `.webnn` text
/// with its weights beside it.
struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Import an ONNX model and write it as a .webnn graph (weights beside it as <stem>.manifest.json and <stem>.weights).")

    @Argument(help: "The ONNX model (.onnx, weights inside it).")
    var model: String

    @Option(name: .shortAndLong, help: "Output .webnn file.")
    var output: String

    @OptionGroup var onnx: ONNXFlags

    @Option(help: "Graph name (default: the model file's stem).")
    var name: String?

    @Option(name: .customLong("io-map"), help: "Also write a JSON file mapping the ONNX input and output names to the graph's (with the input shapes).")
    var ioMap: String?

    func run() throws {
        var options = CompilerOptions()
        options.onnx.inputShapes = try onnx.inputShapes()
        options.onnx.graphName = name
        let imported = try Compiler(options: options).importONNX(path: model)
        try writeGraph(imported.graph, to: output)
        if let ioMap {
            let graph = imported.graph
            let map: [String: Any] = [
                "inputs": Dictionary(imported.inputs.map { ($0.onnx, $0.webnn) }, uniquingKeysWith: { first, _ in first }),
                "outputs": Dictionary(imported.outputs.map { ($0.onnx, $0.webnn) }, uniquingKeysWith: { first, _ in first }),
                "shapes": Dictionary(imported.inputs.map { ($0.onnx, graph[graph.value(named: $0.webnn)!].type.shape) }, uniquingKeysWith: { first, _ in first }),
            ]
            try JSONSerialization.data(withJSONObject: map, options: [.prettyPrinted, .sortedKeys]).write(to: URL(fileURLWithPath: ioMap))
        }
    }
}
