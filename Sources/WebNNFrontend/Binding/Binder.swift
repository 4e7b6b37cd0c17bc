import Foundation
import WebNNBasics
import WebNNIR

/// Turns a parsed graph into a `WebNNIR.Graph`: declares inputs and constants, binds each
/// statement's call through the operator schema table, and resolves outputs. Errors point at
/// the offending name or argument and quote its source line.
public struct Binder {
    /// A name in scope: the value it denotes and where the name was defined.
    private struct Definition {
        var value: ValueID
        var location: SourceLocation
    }

    private let source: SourceText
    private var graph: Graph
    private var scope: [String: Definition] = [:]

    /// Binds `syntax` (parsed from `source`) with the data of its constants, by constant name.
    public static func bind(_ syntax: GraphSyntax, constants: [String: TensorData], source: SourceText) throws -> Graph {
        // A graph with unbound `dyn` dimensions cannot be compiled: report them.
        let syntax = try syntax.specialized(dimensions: [:], source: source)
        var binder = Binder(source: source, graph: Graph(name: syntax.name))
        try binder.declareOperands(of: syntax, constants: constants)
        for statement in syntax.statements { try binder.bind(statement) }
        try binder.bindOutputs(syntax.outputs, graphLocation: syntax.location)
        return binder.graph
    }

    private init(source: SourceText, graph: Graph) {
        self.source = source
        self.graph = graph
    }

    /// Inputs and constants, in the order they are written (blocks may interleave).
    private mutating func declareOperands(of syntax: GraphSyntax, constants: [String: TensorData]) throws {
        enum Declaration {
            case input(OperandDeclarationSyntax)
            case constant(ConstantDeclarationSyntax)
        }
        let declarations = (syntax.inputs.map { (location: $0.name.location, declaration: Declaration.input($0)) }
            + syntax.constants.map { (location: $0.name.location, declaration: Declaration.constant($0)) })
            .sorted { ($0.location.line, $0.location.column) < ($1.location.line, $1.location.column) }
        for (_, declaration) in declarations {
            switch declaration {
            case .input(let input):
                try define(input.name) { graph in try graph.addInput(input.name.name, input.type.type, at: input.name.location) }
            case .constant(let constant):
                guard let data = constants[constant.name.name] else {
                    throw InternalError(stage: "frontend", "no data for constant '\(constant.name.name)'")
                }
                var weightsKey: String?
                if case .weights(let key) = constant.initializer.kind { weightsKey = key }
                try define(constant.name) { graph in
                    try graph.addConstant(constant.name.name, Constant(data: data, weightsKey: weightsKey), at: constant.name.location)
                }
            }
        }
    }

    private mutating func bind(_ statement: StatementSyntax) throws {
        switch statement.expression {
        case .alias(let original):
            // `y = x;` is `y = identity(x);`: a value of its own, so it can be an output named y.
            guard statement.targets.count == 1 else {
                throw source.error("an alias assigns exactly one name", at: statement.location)
            }
            let value = try lookUp(original)
            let target = statement.targets[0]
            try checkUndefined(target)
            let node = Node(op: "identity", operands: [value], location: target.location)
            let output = try withSourceLine { try $0.addNode(node, outputNames: [target.name]) }[0]
            scope[target.name] = Definition(value: output, location: target.location)
        case .call(let call) where call.operation.name == "constant" && OpSchema.registry["constant"] == nil:
            try bindConstantCall(call, targets: statement.targets, at: statement.location)
        case .call(let call):
            guard let schema = OpSchema.registry[call.operation.name] else {
                throw source.error("unknown operator '\(call.operation.name)'"
                                   + SpellingSuggestion.didYouMean(call.operation.name, in: OpSchema.registry.keys),
                                   at: call.operation.location)
            }
            let binding = try CallBinder.bind(call, to: schema, source: source)
            let operands = try binding.operands.map { name in try name.map(lookUp) }
            for target in statement.targets { try checkUndefined(target) }
            let node = Node(op: schema.name, operands: operands, attributes: binding.attributes,
                            location: call.operation.location)
            let outputs = try withSourceLine { try $0.addNode(node, outputNames: statement.targets.map(\.name)) }
            for (target, value) in zip(statement.targets, outputs) {
                scope[target.name] = Definition(value: value, location: target.location)
            }
        }
    }

    /// `x = constant(data="<base64>", dataType="float16", shape=[..]);`, as webnn-graph's ONNX
    /// converter writes folded constants: a constant of the graph (not an operator).
    private mutating func bindConstantCall(_ call: CallSyntax, targets: [IdentifierSyntax], at location: SourceLocation) throws {
        guard targets.count == 1 else {
            throw source.error("constant produces 1 output but \(targets.count) names are assigned", at: location)
        }
        var given: [String: ValueSyntax] = [:]
        for argument in call.arguments {
            guard let label = argument.label else {
                throw source.error("constant takes named arguments only: data=\"<base64>\", dataType=..., shape=[...]",
                                   at: argument.location)
            }
            guard ["data", "dataType", "shape"].contains(label.name) else {
                throw source.error("constant has no argument '\(label.name)' (it takes data, dataType, shape)"
                                   + SpellingSuggestion.didYouMean(label.name, in: ["data", "dataType", "shape"]), at: label.location)
            }
            guard given[label.name] == nil else { throw source.error("'\(label.name)' is given twice", at: label.location) }
            given[label.name] = argument.value
        }
        func required(_ name: String) throws -> ValueSyntax {
            guard let value = given[name] else {
                throw source.error("constant is missing its argument '\(name)'", at: call.operation.location)
            }
            return value
        }
        let dataTypeValue = try required("dataType")
        guard case .string(let dataTypeName) = dataTypeValue.kind,
              let dataType = DataType(rawValue: dataTypeName.lowercased()) ?? DataType(shortName: dataTypeName.lowercased()) else {
            throw source.error("'dataType' of constant must be a data type name (float32, float16, int32, uint32, int64, uint64, "
                               + "int8, uint8)", at: dataTypeValue.location)
        }
        let shapeValue = try required("shape")
        var shape: [Int] = []
        if case .array(let elements) = shapeValue.kind {
            for element in elements {
                guard case .number(.integer(let size)) = element.kind, size > 0, let dimension = Int(exactly: size) else {
                    throw source.error("'shape' of constant must be a list of positive integers", at: element.location)
                }
                shape.append(dimension)
            }
        } else {
            throw source.error("'shape' of constant must be a list of positive integers", at: shapeValue.location)
        }
        guard let byteSize = TensorType.checkedByteSize(dataType, shape) else {
            throw source.error("constant shape \(shape) is too large", at: shapeValue.location)
        }
        let dataValue = try required("data")
        guard case .string(let base64) = dataValue.kind, let decoded = Data(base64Encoded: base64) else {
            throw source.error("'data' of constant must be a base64 string", at: dataValue.location)
        }
        let type = TensorType(dataType, shape)
        guard let data = TensorData(type: type, bytes: [UInt8](decoded)) else {
            throw source.error("'data' of constant has \(decoded.count) bytes but \(type) takes \(byteSize)", at: dataValue.location)
        }
        try define(targets[0]) { graph in try graph.addConstant(targets[0].name, Constant(data: data), at: targets[0].location) }
    }

    private mutating func bindOutputs(_ outputs: [IdentifierSyntax], graphLocation: SourceLocation) throws {
        guard !outputs.isEmpty else {
            throw source.error("the graph has no outputs (add an 'outputs { name; }' block)", at: graphLocation)
        }
        var listed: [String: SourceLocation] = [:]
        for output in outputs {
            guard let definition = scope[output.name] else {
                throw source.error("output '\(output.name)' is not defined" + suggestion(for: output.name), at: output.location)
            }
            if let previous = listed[output.name] {
                throw source.error("output '\(output.name)' is listed twice", at: output.location,
                                   notes: [source.note("first listed here", at: previous)])
            }
            if graph.outputs.contains(definition.value) {
                throw source.error("output '\(output.name)' is the same value as an earlier output "
                                   + "'\(graph[definition.value].name)'", at: output.location)
            }
            listed[output.name] = output.location
            graph.addOutput(definition.value)
        }
    }

    // MARK: Names

    private func lookUp(_ name: IdentifierSyntax) throws -> ValueID {
        guard let definition = scope[name.name] else {
            throw source.error("'\(name.name)' is not defined" + suggestion(for: name.name), at: name.location)
        }
        return definition.value
    }

    private func checkUndefined(_ name: IdentifierSyntax) throws {
        if let previous = scope[name.name] {
            throw source.error("'\(name.name)' is already defined", at: name.location,
                               notes: [source.note("previous definition of '\(name.name)' is here", at: previous.location)])
        }
    }

    private func suggestion(for name: String) -> String {
        SpellingSuggestion.didYouMean(name, in: scope.keys)
    }

    /// Declares `name` through `add`, which adds it to the graph.
    private mutating func define(_ name: IdentifierSyntax, _ add: (inout Graph) throws -> ValueID) throws {
        try checkUndefined(name)
        let value = try withSourceLine(add)
        scope[name.name] = Definition(value: value, location: name.location)
    }

    /// Runs a graph-building step, adding the quoted source line to the diagnostics it throws.
    private mutating func withSourceLine<Result>(_ step: (inout Graph) throws -> Result) throws -> Result {
        do {
            return try step(&graph)
        } catch let diagnostic as Diagnostic {
            guard let location = diagnostic.location else { throw diagnostic }
            throw source.error(diagnostic.message, at: location, notes: diagnostic.notes)
        }
    }
}
