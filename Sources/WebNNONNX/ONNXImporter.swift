import Foundation
import SwiftProtobuf
import WebNNBasics
import WebNNIR

/// What the import of an ONNX model needs besides the model.
public struct ONNXImportOptions: Sendable {
    /// The static shape of each input that has dynamic dimensions (`--input-shape name=1,3,224,224`).
    public var inputShapes: [String: [Int]]
    /// The graph's name; nil takes the file's stem.
    public var graphName: String?

    public init(inputShapes: [String: [Int]] = [:], graphName: String? = nil) {
        self.inputShapes = inputShapes
        self.graphName = graphName
    }
}

/// An imported model: the WebNN graph (its weights as constants) and the names its inputs and
/// outputs got (ONNX names that are not `.webnn` identifiers are renamed).
public struct ImportedModel: Sendable {
    public var graph: Graph
    /// ONNX input name → graph input name, in the model's order.
    public var inputs: [(onnx: String, webnn: String)]
    /// ONNX output name → graph output name, in the model's order.
    public var outputs: [(onnx: String, webnn: String)]
}

/// The ONNX front end: an ONNX model (protobuf) to a `WebNNIR.Graph` with static shapes.
///
/// Dynamic input dimensions are fixed by `ONNXImportOptions.inputShapes`. Nodes are visited in
/// order; a node whose inputs are all known at import time and that computes shapes or indices
/// (Shape, Gather, Unsqueeze, Concat, Reshape, Cast, Slice, arithmetic, ...) is evaluated at once
/// (`ConstantEvaluator`), so shape chains disappear; every other node becomes WebNN operators
/// (`OperatorMapping`), whose shape rules give every value its static shape. Unsupported
/// operators are all reported together, with their node names.
public enum ONNXImporter {
    /// Reads and imports the model file at `path`.
    public static func importModel(path: String, options: ONNXImportOptions = ONNXImportOptions()) throws -> ImportedModel {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw Diagnostic("\(path): cannot read the file: \(error.localizedDescription)")
        }
        var options = options
        if options.graphName == nil { options.graphName = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent }
        return try importModel(data: data, file: path, options: options)
    }

    /// Imports a serialized `ModelProto`; `file` names it in errors.
    public static func importModel(data: Data, file: String, options: ONNXImportOptions = ONNXImportOptions()) throws -> ImportedModel {
        let model: Onnx_ModelProto
        do {
            model = try Onnx_ModelProto(serializedBytes: data)
        } catch {
            throw Diagnostic("\(file): not a valid ONNX model (protobuf decoding failed: \(error))")
        }
        do {
            var importer = try ImportContext(model: model, options: options)
            return try importer.run()
        } catch let error as Diagnostic {
            throw Diagnostic("\(file): \(error.message)", notes: error.notes)
        }
    }
}

/// A value of the ONNX graph during import: computed at run time (a graph value) or known now.
enum Known {
    case runtime(ValueID)
    case constant(TensorData)
}

/// The state of one import.
struct ImportContext {
    let model: Onnx_ModelProto
    let options: ONNXImportOptions
    /// The default-domain opset version.
    let opset: Int
    var graph: Graph
    /// Every ONNX value seen so far, by name.
    var values: [String: Known] = [:]
    /// Graph constants already made from import-time values, by ONNX name.
    var materialized: [String: ValueID] = [:]

    init(model: Onnx_ModelProto, options: ONNXImportOptions) throws(Diagnostic) {
        self.model = model
        self.options = options
        let versions = model.opsetImport.filter { $0.domain == "" || $0.domain == "ai.onnx" }.map(\.version)
        guard let version = versions.first else {
            throw Diagnostic("the model imports no version of the default ONNX operator set")
        }
        opset = Int(version)
        guard (7...Int(ImportContext.newestOpset)).contains(opset) else {
            throw Diagnostic("operator set version \(opset) is not supported (supported: 11 to 21; 7 to 10 and 22 to \(ImportContext.newestOpset) best effort)")
        }
        graph = Graph(name: sanitizedName(options.graphName ?? model.graph.name, fallback: "model"))
    }

    /// Opsets 22 to 25 only added data types to the operators mapped here.
    static let newestOpset: Int64 = 25

    mutating func run() throws -> ImportedModel {
        let onnxGraph = model.graph
        for (index, initializer) in onnxGraph.initializer.enumerated() {
            let name = initializer.name.isEmpty ? "initializer #\(index)" : "initializer '\(initializer.name)'"
            values[initializer.name] = .constant(try TensorData(onnx: initializer, what: name))
        }
        var inputs: [(onnx: String, webnn: String)] = []
        for input in onnxGraph.input where values[input.name] == nil {
            let type = try inputType(input)
            let name = graph.uniqueName(base: sanitizedName(input.name, fallback: "input"))
            values[input.name] = .runtime(try graph.addInput(name, type))
            inputs.append((input.name, name))
        }
        let inputNames = Set(onnxGraph.input.map(\.name))
        if let unknown = options.inputShapes.keys.sorted().first(where: { !inputNames.contains($0) || values[$0].map(isConstant) == true }) {
            throw Diagnostic("--input-shape \(unknown): the model has no input '\(unknown)' (inputs: \(inputs.map(\.onnx).joined(separator: ", ")))")
        }
        try checkSupported(onnxGraph.node)
        for node in onnxGraph.node {
            try importNode(node)
        }
        var outputs: [(onnx: String, webnn: String)] = []
        for output in onnxGraph.output {
            guard let known = values[output.name] else {
                throw Diagnostic("graph output '\(output.name)' is not computed by any node")
            }
            var id: ValueID
            switch known {
            case .runtime(let value):
                id = value
                if graph.outputs.contains(id) || graph.inputs.contains(id) {
                    id = try graph.addNode(Node(op: "identity", operands: [id]),
                                           outputNames: [graph.uniqueName(base: sanitizedName(output.name, fallback: "output"))])[0]
                }
            case .constant:
                id = try graph.addNode(Node(op: "identity", operands: [try operand(output.name)]),
                                       outputNames: [graph.uniqueName(base: sanitizedName(output.name, fallback: "output") + "_out")])[0]
            }
            graph.addOutput(id)
            outputs.append((output.name, graph[id].name))
        }
        guard !outputs.isEmpty else { throw Diagnostic("the model has no outputs") }
        guard !graph.inputs.isEmpty else { throw Diagnostic("the model has no run-time inputs (everything is constant)") }
        return ImportedModel(graph: graph, inputs: inputs, outputs: outputs)
    }

    private func isConstant(_ known: Known) -> Bool {
        if case .constant = known { return true }
        return false
    }

    /// The static type of a graph input: its declared dims, dynamic ones fixed by `inputShapes`.
    private func inputType(_ input: Onnx_ValueInfoProto) throws(Diagnostic) -> TensorType {
        guard case .tensorType(let tensor)? = input.type.value else {
            throw Diagnostic("input '\(input.name)' is not a tensor (sequences, maps and optionals are not supported)")
        }
        guard let dataType = ONNXDataType.webnn(tensor.elemType) else {
            throw Diagnostic("input '\(input.name)' has data type \(ONNXDataType.name(tensor.elemType)), which WebNN does not have")
        }
        guard tensor.hasShape else {
            throw Diagnostic("input '\(input.name)' has no shape; give it with --input-shape \(input.name)=d0,d1,...")
        }
        let dims = tensor.shape.dim
        if let given = options.inputShapes[input.name] {
            guard given.count == dims.count else {
                throw Diagnostic("--input-shape \(input.name): the input has rank \(dims.count), the shape given has \(given.count) dimensions \(given)")
            }
            for (index, (dim, size)) in zip(dims, given).enumerated() {
                guard size > 0 else { throw Diagnostic("--input-shape \(input.name): dimension \(index) must be > 0, got \(size)") }
                if case .dimValue(let fixed)? = dim.value, fixed > 0, fixed != size {
                    throw Diagnostic("--input-shape \(input.name): dimension \(index) is fixed to \(fixed) in the model, the shape given has \(size)")
                }
            }
            return TensorType(dataType, given)
        }
        var shape: [Int] = []
        for (index, dim) in dims.enumerated() {
            switch dim.value {
            case .dimValue(let size)? where size > 0 && size <= Int64(Int32.max):
                shape.append(Int(size))
            case .dimParam(let param)? where !param.isEmpty:
                throw Diagnostic("input '\(input.name)': dimension \(index) is dynamic ('\(param)'); fix it with --input-shape \(input.name)=\(describe(dims))")
            default:
                throw Diagnostic("input '\(input.name)': dimension \(index) is dynamic; fix it with --input-shape \(input.name)=\(describe(dims))")
            }
        }
        return TensorType(dataType, shape)
    }

    private func describe(_ dims: [Onnx_TensorShapeProto.Dimension]) -> String {
        dims.map { dim -> String in
            if case .dimValue(let size)? = dim.value, size > 0 { return String(size) }
            if case .dimParam(let param)? = dim.value, !param.isEmpty { return "<\(param)>" }
            return "<?>"
        }.joined(separator: ",")
    }

    /// Fails listing every node whose operator is neither mapped nor evaluated at import time.
    private func checkSupported(_ nodes: [Onnx_NodeProto]) throws(Diagnostic) {
        var unsupported: [String] = []
        for (index, node) in nodes.enumerated() {
            let label = node.name.isEmpty ? "node #\(index)" : "node '\(node.name)'"
            if node.domain != "" && node.domain != "ai.onnx" {
                unsupported.append("\(node.opType) (\(label)) in domain '\(node.domain)'")
            } else if OperatorMapping.table[node.opType] == nil && !ConstantEvaluator.importTimeOnly.contains(node.opType) {
                unsupported.append("\(node.opType) (\(label))")
            }
        }
        if !unsupported.isEmpty {
            throw Diagnostic("unsupported operators, not imported:\n  " + unsupported.joined(separator: "\n  "))
        }
    }

    private mutating func importNode(_ node: Onnx_NodeProto) throws {
        let label = "node '\(node.name.isEmpty ? node.output.first ?? "?" : node.name)' (\(node.opType))"
        do {
            for input in node.input where !input.isEmpty && values[input] == nil {
                throw Diagnostic("input '\(input)' is neither a graph input, an initializer nor the output of an earlier node")
            }
            let call = NodeCall(node: node, opset: opset)
            if let results = try ConstantEvaluator.evaluate(call, self) {
                for (output, result) in zip(node.output, results) where !output.isEmpty {
                    values[output] = .constant(result)
                }
                return
            }
            guard let mapping = OperatorMapping.table[node.opType] else {
                throw Diagnostic("its inputs must be known at import time (this operator is only evaluated, not compiled)")
            }
            try mapping(call, &self)
        } catch let error as Diagnostic {
            throw Diagnostic("\(label): \(error.message)")
        }
    }

    /// The graph value of an ONNX value (an import-time value becomes a graph constant).
    mutating func operand(_ name: String) throws(Diagnostic) -> ValueID {
        switch values[name] {
        case .runtime(let id)?: return id
        case .constant(let data)?:
            if let id = materialized[name] { return id }
            let id = try constant(data, base: name)
            materialized[name] = id
            return id
        case nil: throw Diagnostic("value '\(name)' is not defined")
        }
    }

    /// A new graph constant.
    mutating func constant(_ data: TensorData, base: String) throws(Diagnostic) -> ValueID {
        guard data.type.shape.allSatisfy({ $0 > 0 }) else {
            throw Diagnostic("constant '\(base)' of shape \(data.type.shape) is empty; WebNN has no empty tensors")
        }
        do {
            let name = graph.uniqueName(base: sanitizedName(base, fallback: "const"))
            return try graph.addConstant(name, Constant(data: data, weightsKey: name))
        } catch let error as Diagnostic {
            throw error
        } catch {
            throw Diagnostic("\(error)")
        }
    }
}

/// `name` as a `.webnn` identifier: letters, digits and `_`, not starting with a digit.
func sanitizedName(_ name: String, fallback: String) -> String {
    var result = String(name.unicodeScalars.map { scalar -> Character in
        (scalar.isASCII && (CharacterSet.alphanumerics.contains(scalar) || scalar == "_")) ? Character(scalar) : "_"
    })
    if result.isEmpty { result = fallback }
    if let first = result.unicodeScalars.first, CharacterSet.decimalDigits.contains(first) { result = "v_" + result }
    return result
}
