import WebNNBasics

/// Reads the JSON twin of the text format (`"format": "webnn-graph-json"`, webnn-graph's
/// `GraphJson`) into the same syntax tree the text parser builds, so one binder checks both.
///
/// ```json
/// {"format": "webnn-graph-json", "version": 2, "name": "g", "quantized": false,
///  "inputs": {"x": {"dataType": "float32", "shape": [{"name": "batch", "maxSize": 8}, 4]}},
///  "consts": {"w": {"dataType": "float32", "shape": [4], "init": {"kind": "weights", "ref": "w"}}},
///  "nodes": [{"id": "y", "op": "add", "inputs": ["x", "w"], "options": {}},
///            {"id": "a", "op": "split", "inputs": ["y"], "options": {"splits": 2, "axis": 1}, "outputs": ["a", "b"]}],
///  "outputs": {"y": "y"}}
/// ```
///
/// A node's `inputs` are its positional operands; every other argument is an option by name. An
/// `outputs` entry whose name differs from the value it names becomes an alias. Names must be
/// names of the text format (so the graph prints as text). Unknown keys are errors.
public struct GraphJSONReader {
    private let source: SourceText

    /// Whether `source` holds the JSON form (its first non-blank character is `{`).
    public static func isJSON(_ source: SourceText) -> Bool {
        var bytes = source.bytes[...]
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        return bytes.first { ![0x20, 0x09, 0x0A, 0x0D].contains($0) } == UInt8(ascii: "{")
    }

    /// Parses a `webnn-graph-json` document.
    public static func parse(_ source: SourceText) throws(Diagnostic) -> GraphSyntax {
        try GraphJSONReader(source: source).readGraph(try JSONParser.parse(source))
    }

    private init(source: SourceText) {
        self.source = source
    }

    private func readGraph(_ root: JSONValue) throws(Diagnostic) -> GraphSyntax {
        try checkKeys(of: root, in: "the graph", allowed: ["format", "version", "name", "quantized", "inputs", "consts", "nodes", "outputs"])
        let format = try member(root, "format", in: "the graph")
        guard format.stringValue == "webnn-graph-json" else {
            throw source.error("unknown graph format; expected \"webnn-graph-json\"", at: format.location)
        }
        let versionValue = try member(root, "version", in: "the graph")
        guard let version = versionValue.integerValue, version == 1 || version == 2 else {
            throw source.error("unsupported format version; expected 1 or 2", at: versionValue.location)
        }
        var name = "graph"
        if let nameValue = root["name"], nameValue.kind != .null {
            guard let text = nameValue.stringValue else { throw mismatch(nameValue, "\"name\"", expected: "a string") }
            name = text
        }
        var isQuantized = false
        if let quantized = root["quantized"] {
            guard case .boolean(let flag) = quantized.kind else { throw mismatch(quantized, "\"quantized\"", expected: "a boolean") }
            isQuantized = flag
        }
        var graph = GraphSyntax(name: name, version: Int(version), isQuantized: isQuantized, inputs: [], constants: [],
                                statements: [], outputs: [], location: root.location)
        for (key, value) in try objectMembers(root["inputs"], "\"inputs\"") {
            let identifier = try identifier(key, at: value.location)
            graph.inputs.append(OperandDeclarationSyntax(name: identifier, type: try operandType(value, of: key, allowDynamic: true)))
        }
        for (key, value) in try objectMembers(root["consts"], "\"consts\"") {
            graph.constants.append(try constant(key, value))
        }
        let nodes = try member(root, "nodes", in: "the graph")
        guard let nodeValues = nodes.arrayElements else { throw mismatch(nodes, "\"nodes\"", expected: "an array") }
        for node in nodeValues { graph.statements.append(try statement(node)) }
        let outputs = try member(root, "outputs", in: "the graph")
        for (key, value) in try objectMembers(outputs, "\"outputs\"") {
            guard let reference = value.stringValue else { throw mismatch(value, "output \"\(key)\"", expected: "a value name (a string)") }
            let output = try identifier(key, at: value.location)
            if reference != key {
                // {"out": "y"}: the output is named differently from the value: an alias.
                let original = try identifier(reference, at: value.location)
                graph.statements.append(StatementSyntax(targets: [output], expression: .alias(original), location: value.location))
            }
            graph.outputs.append(output)
        }
        return graph
    }

    // MARK: Declarations

    /// `{"dataType": "float32", "shape": [1, {"name": "batch", "maxSize": 8}]}`.
    private func operandType(_ value: JSONValue, of name: String, allowDynamic: Bool,
                             extraKeys: [String] = []) throws(Diagnostic) -> TensorTypeSyntax {
        let context = "\"\(name)\""
        try checkKeys(of: value, in: context, allowed: ["dataType", "shape"] + extraKeys)
        let dataTypeValue = try member(value, "dataType", in: context)
        guard let dataTypeName = dataTypeValue.stringValue, let dataType = DataType(rawValue: dataTypeName) else {
            if let word = dataTypeValue.stringValue, ["int4", "uint4"].contains(word) {
                throw source.error("data type \"\(word)\" is not supported: webnnc's IR has no 4-bit types", at: dataTypeValue.location)
            }
            throw mismatch(dataTypeValue, "\"dataType\" of \(context)",
                           expected: "one of " + DataType.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", "))
        }
        let shapeValue = try member(value, "shape", in: context)
        guard let dimensions = shapeValue.arrayElements else { throw mismatch(shapeValue, "\"shape\" of \(context)", expected: "an array") }
        var shape: [Int] = []
        var dynamic: [DynamicDimensionSyntax] = []
        for dimension in dimensions {
            if dimension.objectMembers != nil {
                guard allowDynamic else {
                    throw source.error("constant shapes must be static: dynamic dimensions are allowed only in inputs",
                                       at: dimension.location)
                }
                try checkKeys(of: dimension, in: "a dynamic dimension", allowed: ["name", "maxSize"])
                let nameValue = try member(dimension, "name", in: "a dynamic dimension")
                guard let dimensionName = nameValue.stringValue, !dimensionName.isEmpty else {
                    throw mismatch(nameValue, "\"name\" of a dynamic dimension", expected: "a non-empty string")
                }
                let maximumValue = try member(dimension, "maxSize", in: "a dynamic dimension")
                guard let maximum = maximumValue.integerValue, maximum > 0, let size = Int(exactly: maximum) else {
                    throw mismatch(maximumValue, "\"maxSize\"", expected: "a positive integer")
                }
                dynamic.append(DynamicDimensionSyntax(axis: shape.count, name: dimensionName, maximum: size, location: dimension.location))
                shape.append(size)
                continue
            }
            guard let size = dimension.integerValue, size > 0, let dimensionSize = Int(exactly: size) else {
                throw mismatch(dimension, "a dimension", expected: allowDynamic ? "a positive integer or {\"name\", \"maxSize\"}" : "a positive integer")
            }
            shape.append(dimensionSize)
        }
        guard TensorType.checkedByteSize(dataType, shape) != nil else {
            throw source.error("tensor shape \(shape) is too large (more than 2^53 bytes)", at: shapeValue.location)
        }
        return TensorTypeSyntax(type: TensorType(dataType, shape), location: value.location, dynamicDimensions: dynamic)
    }

    /// `{"dataType", "shape", "init": {"kind": "weights", "ref": "k"} | {"kind": "scalar", "value": n} | {"kind": "inlineBytes", "bytes": [..]}}`.
    private func constant(_ name: String, _ value: JSONValue) throws(Diagnostic) -> ConstantDeclarationSyntax {
        let identifier = try identifier(name, at: value.location)
        let type = try operandType(value, of: name, allowDynamic: false, extraKeys: ["init"])
        let initValue = try member(value, "init", in: "\"\(name)\"")
        let kindValue = try member(initValue, "kind", in: "the \"init\" of \"\(name)\"")
        let kind: ConstantInitializerSyntax.Kind
        switch kindValue.stringValue {
        case "weights":
            try checkKeys(of: initValue, in: "the \"init\" of \"\(name)\"", allowed: ["kind", "ref"])
            let reference = try member(initValue, "ref", in: "the \"init\" of \"\(name)\"")
            guard let key = reference.stringValue else { throw mismatch(reference, "\"ref\"", expected: "a string") }
            kind = .weights(key: key)
        case "scalar":
            try checkKeys(of: initValue, in: "the \"init\" of \"\(name)\"", allowed: ["kind", "value"])
            let scalar = try member(initValue, "value", in: "the \"init\" of \"\(name)\"")
            guard let number = scalar.numberValue else { throw mismatch(scalar, "\"value\"", expected: "a number") }
            kind = .scalar(number)
        case "inlineBytes":
            try checkKeys(of: initValue, in: "the \"init\" of \"\(name)\"", allowed: ["kind", "bytes"])
            let bytesValue = try member(initValue, "bytes", in: "the \"init\" of \"\(name)\"")
            guard let elements = bytesValue.arrayElements else { throw mismatch(bytesValue, "\"bytes\"", expected: "an array") }
            var bytes: [UInt8] = []
            for element in elements {
                guard let number = element.integerValue, let byte = UInt8(exactly: number) else {
                    throw mismatch(element, "a byte", expected: "an integer in 0...255")
                }
                bytes.append(byte)
            }
            kind = .bytes(bytes)
        default:
            throw mismatch(kindValue, "\"kind\"", expected: "one of \"weights\", \"scalar\", \"inlineBytes\"")
        }
        return ConstantDeclarationSyntax(name: identifier, type: type,
                                         initializer: ConstantInitializerSyntax(kind: kind, location: initValue.location))
    }

    // MARK: Nodes

    /// `{"id", "op", "inputs": [names], "options": {...}, "outputs": [names] | null}`; op "" is an alias.
    private func statement(_ node: JSONValue) throws(Diagnostic) -> StatementSyntax {
        guard node.objectMembers != nil else { throw mismatch(node, "a node", expected: "an object") }
        try checkKeys(of: node, in: "a node", allowed: ["id", "op", "inputs", "options", "outputs"])
        let idValue = try member(node, "id", in: "a node")
        guard let id = idValue.stringValue else { throw mismatch(idValue, "\"id\"", expected: "a string") }
        let opValue = try member(node, "op", in: "node \"\(id)\"")
        guard let op = opValue.stringValue else { throw mismatch(opValue, "\"op\"", expected: "a string") }
        let inputsValue = try member(node, "inputs", in: "node \"\(id)\"")
        guard let inputElements = inputsValue.arrayElements else { throw mismatch(inputsValue, "\"inputs\"", expected: "an array of names") }
        var inputs: [IdentifierSyntax] = []
        for element in inputElements {
            guard let name = element.stringValue else { throw mismatch(element, "an input", expected: "a value name (a string)") }
            inputs.append(try identifier(name, at: element.location))
        }
        var targets = [try identifier(id, at: idValue.location)]
        if let outputsValue = node["outputs"], outputsValue.kind != .null {
            guard let names = outputsValue.arrayElements, !names.isEmpty else {
                throw mismatch(outputsValue, "\"outputs\"", expected: "a non-empty array of names")
            }
            targets = []
            for element in names {
                guard let name = element.stringValue else { throw mismatch(element, "an output", expected: "a name (a string)") }
                targets.append(try identifier(name, at: element.location))
            }
        }
        if op.isEmpty {
            guard inputs.count == 1, targets.count == 1 else {
                throw source.error("an alias node (op \"\") has exactly one input and one output", at: opValue.location)
            }
            return StatementSyntax(targets: targets, expression: .alias(inputs[0]), location: node.location)
        }
        var arguments = inputs.map { ArgumentSyntax(label: nil, value: ValueSyntax(kind: .identifier($0.name), location: $0.location)) }
        if let options = node["options"], options.kind != .null {
            guard let members = options.objectMembers else { throw mismatch(options, "\"options\"", expected: "an object") }
            for (key, value) in members {
                arguments.append(ArgumentSyntax(label: IdentifierSyntax(key, at: value.location), value: self.value(value)))
            }
        }
        return StatementSyntax(targets: targets, expression: .call(CallSyntax(operation: IdentifierSyntax(op, at: opValue.location),
                                                                              arguments: arguments)),
                               location: node.location)
    }

    /// An option value as the text parser would have built it (strings stay strings: the binder
    /// reads them as operand names or enum values where the schema wants those).
    private func value(_ json: JSONValue) -> ValueSyntax {
        let kind: ValueSyntax.Kind
        switch json.kind {
        case .null: kind = .null
        case .boolean(let flag): kind = .boolean(flag)
        case .number(let number): kind = .number(number)
        case .string(let text): kind = .string(text)
        case .array(let elements): kind = .array(elements.map(value))
        case .object(let members):
            kind = .object(members.map { ObjectMemberSyntax(key: IdentifierSyntax($0.key, at: $0.value.location), value: value($0.value)) })
        }
        return ValueSyntax(kind: kind, location: json.location)
    }

    // MARK: Helpers

    /// A name of the text format (so the graph can be printed as text), at `location`.
    private func identifier(_ name: String, at location: SourceLocation) throws(Diagnostic) -> IdentifierSyntax {
        let bytes = Array(name.utf8)
        guard let first = bytes.first, Lexer.isIdentifierStart(first), bytes.dropFirst().allSatisfy(Lexer.isIdentifierContinuation),
              !name.hasPrefix("//"), !["true", "false", "null"].contains(name) else {
            throw source.error("\"\(name)\" is not a name of the format (first A-Z a-z _ / $, then A-Z a-z 0-9 _ . /)", at: location)
        }
        return IdentifierSyntax(name, at: location)
    }

    private func member(_ object: JSONValue, _ key: String, in context: String) throws(Diagnostic) -> JSONValue {
        guard object.objectMembers != nil else { throw mismatch(object, context, expected: "an object") }
        guard let value = object[key] else { throw source.error("\(context) has no \"\(key)\"", at: object.location) }
        return value
    }

    /// The members of an optional object (absent or null: none).
    private func objectMembers(_ value: JSONValue?, _ context: String) throws(Diagnostic) -> [(key: String, value: JSONValue)] {
        guard let value, value.kind != .null else { return [] }
        guard let members = value.objectMembers else { throw mismatch(value, context, expected: "an object") }
        return members
    }

    private func checkKeys(of object: JSONValue, in context: String, allowed: [String]) throws(Diagnostic) {
        guard let members = object.objectMembers else { throw mismatch(object, context, expected: "an object") }
        for (key, value) in members where !allowed.contains(key) {
            throw source.error("unknown key \"\(key)\" in \(context)" + SpellingSuggestion.didYouMean(key, in: allowed), at: value.location)
        }
    }

    private func mismatch(_ value: JSONValue, _ what: String, expected: String) -> Diagnostic {
        source.error("\(what) must be \(expected), found \(value.kindDescription)", at: value.location)
    }
}
