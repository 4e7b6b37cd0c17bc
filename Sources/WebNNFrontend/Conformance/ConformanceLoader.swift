import WebNNBasics
import WebNNIR

/// One WPT conformance case: its graph, the data of its inputs, and the expected outputs.
public struct ConformanceCase: Sendable {
    public var name: String
    public var graph: Graph
    /// Data of the graph inputs, by input name.
    public var inputs: [String: TensorData]
    /// Expected data of the graph outputs, by output name.
    public var expectedOutputs: [String: TensorData]
}

/// The cases of one conformance file, and those that could not be loaded.
public struct ConformanceSuite: Sendable {
    public var cases: [ConformanceCase]
    /// Cases whose operator, data type or graph webnnc does not support, with the reason.
    public var unsupported: [(name: String, reason: String)]
}

/// Reads the WPT conformance vectors (`../shared/conformance/*.json`) into graphs, through the
/// same binder and schema table as `.webnn` files: each operator becomes a call whose
/// arguments are the WebNN arguments in order, with the options dictionary as named arguments.
public enum ConformanceLoader {
    /// Loads every case of the conformance file at `path`.
    public static func load(path: String) throws -> ConformanceSuite {
        try load(SourceText(bytes: try readFile(path), file: path))
    }

    /// Loads every case of a conformance file's text. A malformed file throws; a case that
    /// webnnc cannot build is listed in `unsupported`.
    public static func load(_ source: SourceText) throws -> ConformanceSuite {
        let root = try JSONParser.parse(source)
        guard let caseValues = root.arrayElements else {
            throw source.error("a conformance file must be a JSON list of cases", at: root.location)
        }
        var suite = ConformanceSuite(cases: [], unsupported: [])
        for caseValue in caseValues {
            guard let name = caseValue["name"]?.stringValue else {
                throw source.error("a conformance case needs a \"name\" string", at: caseValue.location)
            }
            do {
                suite.cases.append(try loadCase(named: name, caseValue, source: source))
            } catch let diagnostic as Diagnostic {
                suite.unsupported.append((name, diagnostic.message))
            }
        }
        return suite
    }

    private static func loadCase(named name: String, _ caseValue: JSONValue, source: SourceText) throws -> ConformanceCase {
        guard let graphValue = caseValue["graph"] else { throw source.error("case has no \"graph\"", at: caseValue.location) }
        var syntax = GraphSyntax(name: name, version: 1, isQuantized: false, inputs: [], constants: [], statements: [],
                                 outputs: [], location: graphValue.location)
        var constants: [String: TensorData] = [:]
        var inputs: [String: TensorData] = [:]
        for (operandName, operand) in try members(graphValue["inputs"], "inputs", in: source, near: graphValue) {
            let identifier = IdentifierSyntax(operandName, at: operand.location)
            let data = try tensorData(operand, in: source)
            let type = TensorTypeSyntax(type: data.type, location: operand.location)
            if operand["constant"]?.kind == .boolean(true) {
                constants[operandName] = data
                let initializer = ConstantInitializerSyntax(kind: .bytes(data.bytes), location: operand.location)
                syntax.constants.append(ConstantDeclarationSyntax(name: identifier, type: type, initializer: initializer))
            } else {
                inputs[operandName] = data
                syntax.inputs.append(OperandDeclarationSyntax(name: identifier, type: type))
            }
        }
        for operation in graphValue["operators"]?.arrayElements ?? [] {
            syntax.statements.append(try statement(operation, in: source))
        }
        var expectedOutputs: [String: TensorData] = [:]
        for (outputName, output) in try members(graphValue["expectedOutputs"], "expectedOutputs", in: source, near: graphValue) {
            expectedOutputs[outputName] = try tensorData(output, in: source)
            syntax.outputs.append(IdentifierSyntax(outputName, at: output.location))
        }
        let graph = try Binder.bind(syntax, constants: constants, source: source)
        return ConformanceCase(name: name, graph: graph, inputs: inputs, expectedOutputs: expectedOutputs)
    }

    private static func members(_ value: JSONValue?, _ key: String, in source: SourceText,
                                near parent: JSONValue) throws -> [(key: String, value: JSONValue)] {
        guard let members = value?.objectMembers else {
            throw source.error("\"\(key)\" must be an object", at: value?.location ?? parent.location)
        }
        return members
    }

    /// `{"name": "conv2d", "arguments": [{"input": "x"}, ..., {"options": {...}}], "outputs": "y"}`.
    private static func statement(_ operation: JSONValue, in source: SourceText) throws -> StatementSyntax {
        guard let name = operation["name"]?.stringValue else {
            throw source.error("an operator needs a \"name\" string", at: operation.location)
        }
        var arguments: [ArgumentSyntax] = []
        for argument in operation["arguments"]?.arrayElements ?? [] {
            guard let members = argument.objectMembers, members.count == 1, let (parameter, value) = members.first else {
                throw source.error("each argument must be a one-key object", at: argument.location)
            }
            if parameter == "options" {
                for (option, optionValue) in try Self.members(value, "options", in: source, near: argument) {
                    arguments.append(ArgumentSyntax(label: IdentifierSyntax(option, at: optionValue.location),
                                                    value: try argumentValue(optionValue, in: source)))
                }
            } else {
                arguments.append(ArgumentSyntax(label: nil, value: try argumentValue(value, in: source)))
            }
        }
        let outputValues = operation["outputs"].map { $0.arrayElements ?? [$0] } ?? []
        let targets = try outputValues.map { value throws -> IdentifierSyntax in
            guard let name = value.stringValue else { throw source.error("an output must be a name", at: value.location) }
            return IdentifierSyntax(name, at: value.location)
        }
        let call = CallSyntax(operation: IdentifierSyntax(name, at: operation.location), arguments: arguments)
        return StatementSyntax(targets: targets, expression: .call(call), location: operation.location)
    }

    /// An argument as the binder reads it: strings name operands or enum values, except the
    /// special number spellings ("Infinity", "NaN", "123n", ...).
    private static func argumentValue(_ value: JSONValue, in source: SourceText) throws -> ValueSyntax {
        let kind: ValueSyntax.Kind
        switch value.kind {
        case .null: kind = .null
        case .boolean(let flag): kind = .boolean(flag)
        case .number(let number): kind = .number(number)
        case .string(let text): kind = specialNumber(text).map { .number($0) } ?? .string(text)
        case .array(let elements): kind = .array(try elements.map { try argumentValue($0, in: source) })
        case .object: throw source.error("nested objects are not supported as arguments", at: value.location)
        }
        return ValueSyntax(kind: kind, location: value.location)
    }

    /// `{"data": [..] | number, "descriptor": {"shape": [..], "dataType": "float32"}}`.
    private static func tensorData(_ operand: JSONValue, in source: SourceText) throws -> TensorData {
        guard let descriptor = operand["descriptor"], let shapeValues = descriptor["shape"]?.arrayElements,
              let dataTypeName = descriptor["dataType"]?.stringValue else {
            throw source.error("operand needs a descriptor with \"shape\" and \"dataType\"", at: operand.location)
        }
        guard let dataType = DataType(rawValue: dataTypeName) else {
            throw source.error("unsupported data type \"\(dataTypeName)\"", at: descriptor.location)
        }
        let shape = try shapeValues.map { value throws -> Int in
            guard let size = value.integerValue, size > 0, let dimension = Int(exactly: size) else {
                throw source.error("unsupported dimension (dimensions must be positive integers)", at: value.location)
            }
            return dimension
        }
        let type = TensorType(dataType, shape)
        guard TensorType.checkedByteSize(dataType, shape) != nil else {
            throw source.error("tensor shape \(shape) is too large (more than 2^53 bytes)", at: descriptor["shape"]?.location ?? descriptor.location)
        }
        guard let dataValue = operand["data"] else { throw source.error("operand has no \"data\"", at: operand.location) }
        let elements = try (dataValue.arrayElements ?? [dataValue]).map { try number($0, in: source) }
        if elements.count == 1, type.elementCount > 1 {
            // A single value fills the whole shape.
            let element = try tensorData(TensorType(dataType, [1]), elements, in: source, at: dataValue.location)
            guard let filled = TensorData.filled(type, with: element) else {
                throw source.error(TensorData.tooLargeToFill(type, what: "a single data value"), at: dataValue.location)
            }
            return filled
        }
        guard elements.count == type.elementCount else {
            throw source.error("\(elements.count) values given for \(type)", at: dataValue.location)
        }
        return try tensorData(type, elements, in: source, at: dataValue.location)
    }

    private static func tensorData(_ type: TensorType, _ elements: [NumberLiteral], in source: SourceText,
                                   at location: SourceLocation) throws -> TensorData {
        if type.dataType.isFloatingPoint {
            return TensorData(type.dataType, shape: type.shape, values: elements.map(\.doubleValue))
        }
        return TensorData(type.dataType, shape: type.shape, integers: try elements.map { element throws -> Int64 in
            guard case .integer(let integer) = element else {
                throw source.error("\(element) is not an integer for \(type.dataType.rawValue) data", at: location)
            }
            return integer
        })
    }

    private static func number(_ value: JSONValue, in source: SourceText) throws -> NumberLiteral {
        if let number = value.numberValue ?? value.stringValue.flatMap(specialNumber) { return number }
        throw source.error("expected a number", at: value.location)
    }

    /// "Infinity", "-Infinity", "NaN", "-0", and 64-bit integers written "123n" or "123" (uint64
    /// values above Int64.max keep their bit pattern).
    private static func specialNumber(_ text: String) -> NumberLiteral? {
        switch text {
        case "Infinity": return .float(.infinity)
        case "-Infinity": return .float(-.infinity)
        case "NaN": return .float(.nan)
        case "-0": return .float(-0.0)
        default:
            // 64-bit integers are also written as plain decimal strings ("102"), without the "n".
            let digits = text.hasSuffix("n") ? text.dropLast() : Substring(text)
            if let value = Int64(digits) { return .integer(value) }
            return UInt64(digits).map { .integer(Int64(bitPattern: $0)) }
        }
    }
}
