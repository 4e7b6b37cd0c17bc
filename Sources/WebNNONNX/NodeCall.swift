import Foundation
import WebNNBasics
import WebNNIR

/// One ONNX node being imported: its attributes and inputs, read with the checks every mapping
/// needs (errors are prefixed with the node's name by the importer).
struct NodeCall {
    let node: Onnx_NodeProto
    let opset: Int
    let attributes: [String: Onnx_AttributeProto]

    init(node: Onnx_NodeProto, opset: Int) {
        self.node = node
        self.opset = opset
        var attributes: [String: Onnx_AttributeProto] = [:]
        for attribute in node.attribute { attributes[attribute.name] = attribute }
        self.attributes = attributes
    }

    var op: String { node.opType }

    // MARK: attributes

    func has(_ name: String) -> Bool { attributes[name] != nil }

    func int(_ name: String) throws(Diagnostic) -> Int? {
        guard let attribute = attributes[name] else { return nil }
        guard attribute.type == .int || (attribute.type == .undefined && attribute.i != 0) else {
            throw Diagnostic("attribute '\(name)' must be an integer")
        }
        guard let value = Int(exactly: attribute.i) else { throw Diagnostic("attribute '\(name)' is out of range") }
        return value
    }

    func int(_ name: String, default value: Int) throws(Diagnostic) -> Int { try int(name) ?? value }

    func float(_ name: String, default value: Double) throws(Diagnostic) -> Double {
        guard let attribute = attributes[name] else { return value }
        guard attribute.type == .float || attribute.type == .undefined else { throw Diagnostic("attribute '\(name)' must be a float") }
        return Double(attribute.f)
    }

    func ints(_ name: String) throws(Diagnostic) -> [Int]? {
        guard let attribute = attributes[name] else { return nil }
        guard attribute.type == .ints || attribute.type == .undefined else { throw Diagnostic("attribute '\(name)' must be a list of integers") }
        var result: [Int] = []
        for value in attribute.ints {
            guard let int = Int(exactly: value), abs(int) < Int(Int32.max) else { throw Diagnostic("attribute '\(name)': \(value) is out of range") }
            result.append(int)
        }
        return result
    }

    func floats(_ name: String) throws(Diagnostic) -> [Double]? {
        guard let attribute = attributes[name] else { return nil }
        guard attribute.type == .floats || attribute.type == .undefined else { throw Diagnostic("attribute '\(name)' must be a list of floats") }
        return attribute.floats.map(Double.init)
    }

    func string(_ name: String, default value: String) throws(Diagnostic) -> String {
        guard let attribute = attributes[name] else { return value }
        guard attribute.type == .string || attribute.type == .undefined else { throw Diagnostic("attribute '\(name)' must be a string") }
        return String(decoding: attribute.s, as: UTF8.self)
    }

    func strings(_ name: String) throws(Diagnostic) -> [String]? {
        guard let attribute = attributes[name] else { return nil }
        return attribute.strings.map { String(decoding: $0, as: UTF8.self) }
    }

    func tensor(_ name: String) throws(Diagnostic) -> TensorData? {
        guard let attribute = attributes[name] else { return nil }
        return try TensorData(onnx: attribute.t, what: "attribute '\(name)'")
    }

    /// Rejects attributes this import cannot honour when they differ from their default.
    func require(_ name: String, is expected: Int, _ why: String) throws(Diagnostic) {
        if let value = try int(name), value != expected { throw Diagnostic("\(name)=\(value) is not supported: \(why)") }
    }

    // MARK: inputs and outputs

    /// The name of input `index`, or nil when it is absent (past the end or empty).
    func inputName(_ index: Int) -> String? {
        index < node.input.count && !node.input[index].isEmpty ? node.input[index] : nil
    }

    func outputName(_ index: Int) -> String? {
        index < node.output.count && !node.output[index].isEmpty ? node.output[index] : nil
    }

    /// The names of the inputs that are given.
    var presentInputs: [String] { node.input.filter { !$0.isEmpty } }

    func requireInputs(_ count: Int) throws(Diagnostic) {
        for index in 0..<count where inputName(index) == nil {
            throw Diagnostic("input \(index) is missing (the operator takes at least \(count))")
        }
    }
}

extension ImportContext {
    /// The import-time value of `call`'s input `index` (nil when absent); an error when it is
    /// computed at run time.
    func constantInput(_ call: NodeCall, _ index: Int, _ what: String) throws(Diagnostic) -> TensorData? {
        guard let name = call.inputName(index) else { return nil }
        switch values[name] {
        case .constant(let data)?: return data
        case .runtime?: throw Diagnostic("\(what) (input \(index), '\(name)') must be known at import time; it is computed at run time")
        case nil: throw Diagnostic("value '\(name)' is not defined")
        }
    }

    /// The import-time value of input `index` as integers.
    func constantInts(_ call: NodeCall, _ index: Int, _ what: String) throws(Diagnostic) -> [Int]? {
        guard let data = try constantInput(call, index, what) else { return nil }
        guard !data.type.dataType.isFloatingPoint else { throw Diagnostic("\(what) must be integers, got \(data.type)") }
        return data.integers.map { Int(clamping: $0) }
    }

    /// The type of input `index` (which must be given).
    func type(_ call: NodeCall, _ index: Int) throws(Diagnostic) -> TensorType {
        guard let name = call.inputName(index) else { throw Diagnostic("input \(index) is missing") }
        return try type(of: name)
    }

    func type(of name: String) throws(Diagnostic) -> TensorType {
        switch values[name] {
        case .runtime(let id)?: return graph[id].type
        case .constant(let data)?: return data.type
        case nil: throw Diagnostic("value '\(name)' is not defined")
        }
    }

    /// The graph value of input `index` (which must be given).
    mutating func input(_ call: NodeCall, _ index: Int) throws(Diagnostic) -> ValueID {
        guard let name = call.inputName(index) else { throw Diagnostic("input \(index) is missing") }
        return try operand(name)
    }

    /// The graph value of input `index`, or nil when it is absent.
    mutating func optionalInput(_ call: NodeCall, _ index: Int) throws(Diagnostic) -> ValueID? {
        guard let name = call.inputName(index) else { return nil }
        return try operand(name)
    }

    /// Adds a WebNN node with operands by parameter name; returns its outputs. `outputs` names
    /// them after the ONNX outputs (nil: generated names).
    @discardableResult
    mutating func emit(_ op: String, _ operands: [String: ValueID] = [:], list: [ValueID]? = nil,
                       _ attributes: [String: Attribute] = [:], outputs: [String]? = nil) throws(Diagnostic) -> [ValueID] {
        guard let schema = OpSchema.registry[op] else { throw Diagnostic("internal: no WebNN operator '\(op)'") }
        let ordered: [ValueID?] = list ?? schema.operandParameterNames.map { operands[$0] }
        let node = Node(op: op, operands: ordered, attributes: attributes)
        do {
            return try graph.addNode(node, outputNames: outputs.map { $0.map { graph.uniqueName(base: sanitizedName($0, fallback: "v")) } })
        } catch let error as Diagnostic {
            throw error
        } catch {
            throw Diagnostic("\(error)")
        }
    }

    /// Emits `op` and binds its first output to the node's first ONNX output.
    mutating func emitResult(_ call: NodeCall, _ op: String, _ operands: [String: ValueID] = [:], list: [ValueID]? = nil,
                             _ attributes: [String: Attribute] = [:]) throws(Diagnostic) {
        guard let output = call.outputName(0) else { return }
        let id = try emit(op, operands, list: list, attributes, outputs: [output])[0]
        values[output] = .runtime(id)
    }

    /// Binds ONNX output `index` of `call` to `id`.
    mutating func bind(_ call: NodeCall, _ index: Int, _ id: ValueID) {
        if let output = call.outputName(index) { values[output] = .runtime(id) }
    }

    /// A helper value's name, derived from the node's first output.
    func helperName(_ call: NodeCall, _ suffix: String) -> String {
        "\(call.outputName(0) ?? call.op)_\(suffix)"
    }

    /// `id` reshaped to `shape` (no node when it already has that shape).
    mutating func reshape(_ id: ValueID, _ shape: [Int], name: String) throws(Diagnostic) -> ValueID {
        if graph[id].type.shape == shape { return id }
        return try emit("reshape", ["input": id], ["newShape": .ints(shape.map(Int64.init))], outputs: [name])[0]
    }
}
