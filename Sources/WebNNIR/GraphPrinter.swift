import Foundation
import WebNNBasics

/// Writes a graph as `.webnn` text that reads back into the same graph.
///
/// Constants loaded from a weights file keep their key (`@weights("key")`). Other constants
/// (inline or computed by a pass) are written inline when uniform (`@scalar`) or small
/// (`@bytes`, up to `inlineLimit` elements), otherwise under their own name as key. With
/// `writeWeights`, every referenced tensor goes into a new weights file (manifest + "WGWT"
/// binary) so the text reads back on its own; without it, the text reads back next to the
/// original weights files.
public struct GraphPrinter {
    public var inlineLimit = 16
    public var writeWeights: Bool

    public init(writeWeights: Bool) { self.writeWeights = writeWeights }

    /// The text, and the weights file it refers to (nil unless `writeWeights` and some constant needs one).
    public func print(_ graph: Graph) -> (text: String, weights: WeightsWriter?) {
        var weights = WeightsWriter()
        var text = "webnn_graph \(quoted(graph.name)) v1 {\n"
        if !graph.inputs.isEmpty {
            text += "  inputs {\n"
            for id in graph.inputs { text += "    \(graph[id].name): \(graph[id].type);\n" }
            text += "  }\n"
        }
        if !graph.constants.isEmpty {
            text += "  consts {\n"
            for id in graph.constants.keys.sorted() {
                let constant = graph.constants[id]!
                text += "    \(graph[id].name): \(constant.data.type) \(initializer(constant, name: graph[id].name, into: &weights));\n"
            }
            text += "  }\n"
        }
        text += "  nodes {\n"
        for node in graph.nodes { text += "    " + statement(node, graph) + "\n" }
        text += "  }\n"
        text += "  outputs { " + graph.outputs.map { graph[$0].name + ";" }.joined(separator: " ") + " }\n}\n"
        return (text, weights.tensors.isEmpty ? nil : weights)
    }

    /// `name = op(args);` for one node.
    public func statement(_ node: Node, _ graph: Graph) -> String {
        let schema = node.schema
        var arguments: [String] = []
        var operandIndex = 0
        func nextOperand() -> String? {
            defer { operandIndex += 1 }
            return node.operands[operandIndex].map { argumentName(graph[$0].name) }
        }
        for parameter in schema.positional {
            switch parameter.kind {
            case .operand: arguments.append(nextOperand() ?? "null")
            case .operandList:
                arguments.append("[" + node.operands.compactMap { $0.map { argumentName(graph[$0].name) } }.joined(separator: ", ") + "]")
                operandIndex = node.operands.count
            default: arguments.append(node.attributes[parameter.name]?.description ?? "null")
            }
        }
        for option in schema.options {
            if option.kind.isOperand {
                if let name = nextOperand() { arguments.append("\(option.name)=\(name)") }
            } else if let value = node.attributes[option.name] {
                arguments.append("\(option.name)=\(value)")
            }
        }
        let outputs = node.outputs.map { graph[$0].name }
        let target = outputs.count == 1 ? outputs[0] : "[" + outputs.joined(separator: ", ") + "]"
        return "\(target) = \(node.op)(\(arguments.joined(separator: ", ")));"
    }

    /// An operand name as an argument. webnn-graph's PEG grammar reads an argument that begins
    /// with `true`, `false` or `null` as that literal (then fails on the rest of the name), so such
    /// names are written as strings, which both readers take as operand names.
    private func argumentName(_ name: String) -> String {
        ["true", "false", "null"].contains { name.hasPrefix($0) } ? quoted(name) : name
    }

    private func initializer(_ constant: Constant, name: String, into weights: inout WeightsWriter) -> String {
        let data = constant.data
        if let key = constant.weightsKey {
            return "@weights(\(quoted(writeWeights ? weights.add(data, preferredKey: key) : key)))"
        }
        if isUniform(data), let scalar = exactScalar(data) { return "@scalar(\(scalar))" }
        if data.elementCount <= inlineLimit {
            return "@bytes([" + data.bytes.map(String.init).joined(separator: ", ") + "])"
        }
        return "@weights(\(quoted(writeWeights ? weights.add(data, preferredKey: name) : name)))"
    }

    private func isUniform(_ data: TensorData) -> Bool {
        let size = data.type.dataType.byteSize
        let first = data.bytes.prefix(size)
        return stride(from: size, to: data.bytes.count, by: size).allSatisfy { data.bytes[$0..<($0 + size)].elementsEqual(first) }
    }

    /// The single value of a uniform tensor as text, if `@scalar` reproduces its bits exactly.
    private func exactScalar(_ data: TensorData) -> String? {
        let value = data.double(at: 0)
        guard value.isFinite, !(value == 0 && value.sign == .minus) else { return nil }
        let text = data.type.dataType.isFloatingPoint ? formatNumber(value) : String(data.integer(at: 0))
        guard let parsed = Double(text), parsed == value, abs(value) < 9e15 else { return nil }
        return text
    }

    private func quoted(_ text: String) -> String { Attribute.string(text).description }
}

/// A weights file being written: a manifest and a "WGWT" binary with absolute offsets.
public struct WeightsWriter: Sendable {
    public private(set) var tensors: [(key: String, type: TensorType, offset: Int)] = []
    /// The binary contents, starting with the "WGWT" magic and version 1.
    public private(set) var binary: [UInt8] = Array("WGWT".utf8) + [1, 0, 0, 0]

    public init() {}

    /// Appends a tensor under `preferredKey` (made unique) and returns the key used.
    public mutating func add(_ data: TensorData, preferredKey: String) -> String {
        var key = preferredKey
        var suffix = 1
        while tensors.contains(where: { $0.key == key }) { key = "\(preferredKey)_\(suffix)"; suffix += 1 }
        tensors.append((key, data.type, binary.count))
        binary.append(contentsOf: data.bytes)
        return key
    }

    /// The `wg-weights-manifest` JSON text.
    public var manifestJSON: String {
        let entries = tensors.map { tensor in
            "    \(Attribute.string(tensor.key)): {\"dataType\": \"\(tensor.type.dataType.rawValue)\", \"shape\": [\(tensor.type.shape.map(String.init).joined(separator: ", "))], \"byteOffset\": \(tensor.offset), \"byteLength\": \(tensor.type.byteSize), \"layout\": \"row-major\"}"
        }
        return "{\n  \"format\": \"wg-weights-manifest\",\n  \"version\": 1,\n  \"endianness\": \"little\",\n  \"tensors\": {\n"
            + entries.joined(separator: ",\n") + "\n  }\n}\n"
    }

    /// Writes `<stem>.manifest.json` and `<stem>.weights`.
    public func write(stem: URL) throws {
        try Data(manifestJSON.utf8).write(to: stem.appendingPathExtension("manifest.json"))
        try Data(binary).write(to: stem.appendingPathExtension("weights"))
    }
}
