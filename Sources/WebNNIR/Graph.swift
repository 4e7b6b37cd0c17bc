import WebNNBasics

/// Identifies a value (an SSA operand) of a `Graph`.
public struct ValueID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let index: Int
    public init(_ index: Int) { self.index = index }
    public static func < (lhs: ValueID, rhs: ValueID) -> Bool { lhs.index < rhs.index }
    public var description: String { "%\(index)" }
}

/// Where a value comes from.
public enum ValueDefinition: Hashable, Sendable {
    case input
    case constant
    /// Output `output` of `nodes[node]`.
    case node(Int, output: Int)
}

/// An SSA value: a graph input, a constant or an operator result. Every value has a unique name.
public struct Value: Sendable {
    public let id: ValueID
    public var name: String
    public var type: TensorType
    public var definition: ValueDefinition
    public var location: SourceLocation?
}

/// A constant's contents, and the weights-file key it came from (nil for inline or computed data).
public struct Constant: Sendable, Equatable {
    public var data: TensorData
    public var weightsKey: String?
    public init(data: TensorData, weightsKey: String? = nil) {
        self.data = data
        self.weightsKey = weightsKey
    }
}

/// One operator application.
public struct Node: Sendable {
    /// The WebNN operator name (`conv2d`), a key of `OpSchema.registry`.
    public var op: String
    /// One entry per operand parameter of the schema, positional ones first, then operand-valued
    /// options (nil when absent). For an operand-list parameter (concat) the entries are the list.
    public var operands: [ValueID?]
    /// Non-operand parameters and options that were given; absent ones take the schema default.
    public var attributes: [String: Attribute]
    public var outputs: [ValueID]
    public var location: SourceLocation?

    public init(op: String, operands: [ValueID?], attributes: [String: Attribute] = [:],
                outputs: [ValueID] = [], location: SourceLocation? = nil) {
        self.op = op
        self.operands = operands
        self.attributes = attributes
        self.outputs = outputs
        self.location = location
    }

    public var schema: OpSchema {
        guard let schema = OpSchema.registry[op] else { preconditionFailure("node with unregistered op \(op)") }
        return schema
    }

    /// The operand bound to the operand parameter `name` (nil if absent).
    public func operand(_ name: String) -> ValueID? {
        guard let index = schema.operandParameterNames.firstIndex(of: name), index < operands.count else { return nil }
        return operands[index]
    }

    /// The given value of attribute `name`, or its schema default.
    public func attribute(_ name: String) -> Attribute? {
        attributes[name] ?? schema.parameter(named: name)?.defaultValue
    }

    public func int(_ name: String) -> Int? { attribute(name)?.intValue }
    public func double(_ name: String) -> Double? { attribute(name)?.doubleValue }
    public func ints(_ name: String) -> [Int]? { attribute(name)?.intsValue }
    public func bool(_ name: String) -> Bool? { attribute(name)?.boolValue }
    public func string(_ name: String) -> String? { attribute(name)?.stringValue }
}

/// A WebNN graph: typed SSA values with static shapes, and nodes in topological order.
public struct Graph: Sendable {
    public var name: String
    public private(set) var values: [Value] = []
    public private(set) var nodes: [Node] = []
    public private(set) var inputs: [ValueID] = []
    public private(set) var constants: [ValueID: Constant] = [:]
    public private(set) var outputs: [ValueID] = []
    private var valuesByName: [String: ValueID] = [:]

    public init(name: String) { self.name = name }

    public subscript(id: ValueID) -> Value { values[id.index] }

    public func value(named name: String) -> ValueID? { valuesByName[name] }

    /// The node that produces `id`, if any.
    public func producer(of id: ValueID) -> Node? {
        if case .node(let index, _) = values[id.index].definition { return nodes[index] }
        return nil
    }

    /// Adds a graph input.
    @discardableResult
    public mutating func addInput(_ name: String, _ type: TensorType, at location: SourceLocation? = nil) throws -> ValueID {
        try checkType(type, of: name, at: location)
        let id = try newValue(name, type, .input, at: location)
        inputs.append(id)
        return id
    }

    /// Adds a constant.
    @discardableResult
    public mutating func addConstant(_ name: String, _ constant: Constant, at location: SourceLocation? = nil) throws -> ValueID {
        try checkType(constant.data.type, of: name, at: location)
        let id = try newValue(name, constant.data.type, .constant, at: location)
        constants[id] = constant
        return id
    }

    /// Adds a node after checking it against its schema and inferring its output types.
    /// Output values get `outputNames` (or generated names if nil).
    /// Trailing optional operands that are not given may be left out of `node.operands`; they
    /// are filled in as absent (nil).
    @discardableResult
    public mutating func addNode(_ node: Node, outputNames: [String]? = nil) throws -> [ValueID] {
        guard let schema = OpSchema.registry[node.op] else {
            throw Diagnostic("unknown operator '\(node.op)'", at: node.location)
        }
        var node = node
        let operandSlots = schema.operandParameterNames.count
        if !schema.positional.contains(where: { $0.kind == .operandList }) && node.operands.count < operandSlots {
            node.operands += [ValueID?](repeating: nil, count: operandSlots - node.operands.count)
        }
        for operand in node.operands.compactMap({ $0 }) where operand.index >= values.count {
            throw InternalError(stage: "graph builder", "operand \(operand) of \(node.op) is not defined")
        }
        let outputTypes: [TensorType]
        do {
            outputTypes = try schema.inferOutputs(node, self)
        } catch let error as ShapeError {
            throw Diagnostic("\(node.op): \(error.message)", at: node.location)
        }
        for type in outputTypes where TensorType.checkedByteSize(type.dataType, type.shape) == nil {
            throw Diagnostic("\(node.op): its result \(type) would exceed \(TensorType.maximumByteSize) bytes", at: node.location)
        }
        if let outputNames, outputNames.count != outputTypes.count {
            throw Diagnostic("\(node.op) produces \(outputTypes.count) output\(outputTypes.count == 1 ? "" : "s") but \(outputNames.count) name\(outputNames.count == 1 ? " is" : "s are") assigned", at: node.location)
        }
        var added = node
        added.outputs = []
        for (index, type) in outputTypes.enumerated() {
            let name = outputNames?[index] ?? uniqueName(base: "\(node.op)_\(nodes.count)" + (outputTypes.count > 1 ? "_\(index)" : ""))
            added.outputs.append(try newValue(name, type, .node(nodes.count, output: index), at: node.location))
        }
        nodes.append(added)
        return added.outputs
    }

    /// Marks `id` as a graph output (outputs are named by their value's name).
    public mutating func addOutput(_ id: ValueID) { outputs.append(id) }

    /// Replaces the graph's output list.
    public mutating func setOutputs(_ ids: [ValueID]) { outputs = ids }

    /// A name not used by any value yet, derived from `base`.
    public func uniqueName(base: String) -> String {
        if valuesByName[base] == nil { return base }
        var suffix = 1
        while valuesByName["\(base)_\(suffix)"] != nil { suffix += 1 }
        return "\(base)_\(suffix)"
    }

    /// Every node that reads each value.
    public func users() -> [ValueID: [Int]] {
        var users: [ValueID: [Int]] = [:]
        for (index, node) in nodes.enumerated() {
            for operand in node.operands.compactMap({ $0 }) { users[operand, default: []].append(index) }
        }
        return users
    }

    private mutating func newValue(_ name: String, _ type: TensorType, _ definition: ValueDefinition,
                                   at location: SourceLocation?) throws -> ValueID {
        if let existing = valuesByName[name] {
            throw Diagnostic("'\(name)' is already defined", at: location,
                             notes: values[existing.index].location.map { [Diagnostic("previous definition of '\(name)' is here", at: $0, severity: .note)] } ?? [])
        }
        let id = ValueID(values.count)
        values.append(Value(id: id, name: name, type: type, definition: definition, location: location))
        valuesByName[name] = id
        return id
    }

    private func checkType(_ type: TensorType, of name: String, at location: SourceLocation?) throws {
        if let bad = type.shape.first(where: { $0 <= 0 }) {
            throw Diagnostic("'\(name)': dimension \(bad) is not allowed (every dimension must be > 0)", at: location)
        }
        if type.shape.reduce(1.0, { $0 * Double($1) }) * Double(type.dataType.byteSize) > Double(Int32.max) * 64 {
            throw Diagnostic("'\(name)': tensor \(type) is too large", at: location)
        }
    }
}
