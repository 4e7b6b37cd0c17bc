import WebNNBasics

/// Recursive-descent parser for the `.webnn` text format (see docs/format.md).
///
/// It accepts the webnn-graph grammar with these deliberate strictnesses: the graph ends with
/// exactly one `}` and nothing follows it, strings stay on one line, dimensions are positive,
/// `@bytes` values fit in a byte, data types are WebNN's, and a statement assigns a call or a
/// name (never a literal). The first error stops parsing.
public struct Parser {
    private static let blockNames = ["inputs", "consts", "nodes", "outputs"]
    private static let constantAnnotations = ["weights", "scalar", "bytes"]

    private let source: SourceText
    private var lexer: Lexer
    private var current: Token
    /// Just past the last consumed token.
    private var previousEnd: SourceLocation

    /// Parses a whole `.webnn` file.
    public static func parse(_ source: SourceText) throws(Diagnostic) -> GraphSyntax {
        var parser = try Parser(source: source)
        return try parser.parseGraph()
    }

    private init(source: SourceText) throws(Diagnostic) {
        self.source = source
        lexer = Lexer(source: source)
        current = try lexer.nextToken()
        previousEnd = current.location
    }

    // MARK: Graph structure

    private mutating func parseGraph() throws(Diagnostic) -> GraphSyntax {
        let start = current.location
        guard case .identifier("webnn_graph") = current.kind else {
            throw error("expected 'webnn_graph' at the start of the file", at: current.location)
        }
        try advance()
        guard case .string(let name) = current.kind else {
            throw error("expected the graph name (a string) after 'webnn_graph'", at: current.location)
        }
        try advance()
        let version = try parseVersion()
        var isQuantized = false
        if case .annotation(let annotation) = current.kind {
            guard annotation == "quantized" else {
                throw error("unknown header annotation '@\(annotation)'"
                            + SpellingSuggestion.didYouMean(annotation, in: ["quantized"]), at: current.location)
            }
            isQuantized = true
            try advance()
        }
        let openingBrace = current.location
        try expect("{", after: "the graph header")

        var graph = GraphSyntax(name: name, version: version, isQuantized: isQuantized, inputs: [], constants: [],
                                statements: [], outputs: [], location: start)
        while try !consume("}") {
            if current.kind == .endOfFile {
                throw error("expected '}' at the end of the graph", at: current.location,
                            notes: [source.note("the graph's '{' is here", at: openingBrace)])
            }
            try parseBlock(into: &graph)
        }
        if current.kind != .endOfFile {
            throw error("unexpected \(current.quoted) after the graph's closing '}'", at: current.location)
        }
        return graph
    }

    /// `v1`, or `v 1`; the format has versions 1 and 2.
    private mutating func parseVersion() throws(Diagnostic) -> Int {
        let location = current.location
        var digits: Substring?
        if case .identifier(let word) = current.kind, word.first == "v" {
            if word == "v" {
                try advance()
                if case .number(.integer(let number)) = current.kind, number >= 0 { digits = Substring(String(number)) }
            } else {
                digits = word.dropFirst()
            }
        }
        guard let digits, let version = Int(digits), digits.allSatisfy(\.isNumber) else {
            throw error("expected the format version (v1) after the graph name", at: current.location)
        }
        guard version == 1 || version == 2 else {
            throw error("unsupported format version \(version); expected v1 or v2", at: location)
        }
        try advance()
        return version
    }

    private mutating func parseBlock(into graph: inout GraphSyntax) throws(Diagnostic) {
        guard case .identifier(let blockName) = current.kind, Parser.blockNames.contains(blockName) else {
            var message = "expected a block (inputs, consts, nodes or outputs), found \(current.quoted)"
            if case .identifier(let word) = current.kind {
                message += SpellingSuggestion.didYouMean(word, in: Parser.blockNames)
            }
            throw error(message, at: current.location)
        }
        try advance()
        try expect("{", after: "'\(blockName)'")
        while try !consume("}") {
            switch blockName {
            case "inputs": graph.inputs.append(try parseInputDeclaration())
            case "consts": graph.constants.append(try parseConstantDeclaration())
            case "nodes": graph.statements.append(try parseStatement())
            default: graph.outputs.append(try parseOutputName())
            }
        }
    }

    // MARK: Declarations

    private mutating func parseInputDeclaration() throws(Diagnostic) -> OperandDeclarationSyntax {
        let name = try parseIdentifier(expected: "an input name or '}'")
        try expect(":", after: "the input name")
        let type = try parseTensorType(allowDynamic: true)
        try expect(";", after: "input declaration")
        return OperandDeclarationSyntax(name: name, type: type)
    }

    private mutating func parseConstantDeclaration() throws(Diagnostic) -> ConstantDeclarationSyntax {
        let name = try parseIdentifier(expected: "a constant name or '}'")
        try expect(":", after: "the constant name")
        let type = try parseTensorType(allowDynamic: false)
        // Without an annotation the data is the weights tensor named like the constant; the last one wins.
        var initializer = ConstantInitializerSyntax(kind: .weights(key: name.name), location: name.location)
        while case .annotation = current.kind {
            initializer = try parseConstantAnnotation()
        }
        try expect(";", after: "constant declaration")
        return ConstantDeclarationSyntax(name: name, type: type, initializer: initializer)
    }

    private mutating func parseConstantAnnotation() throws(Diagnostic) -> ConstantInitializerSyntax {
        guard case .annotation(let annotation) = current.kind else { preconditionFailure("not at an annotation") }
        let location = current.location
        guard Parser.constantAnnotations.contains(annotation) else {
            throw error("unknown constant annotation '@\(annotation)'; expected @weights, @scalar or @bytes"
                        + SpellingSuggestion.didYouMean(annotation, in: Parser.constantAnnotations), at: location)
        }
        try advance()
        try expect("(", after: "'@\(annotation)'")
        let kind: ConstantInitializerSyntax.Kind
        switch annotation {
        case "weights":
            guard case .string(let key) = current.kind else {
                throw error("expected the weights key (a string) in @weights(...)", at: current.location)
            }
            try advance()
            kind = .weights(key: key)
        case "scalar":
            guard case .number(let value) = current.kind else {
                if case .identifier(let word) = current.kind, let message = Parser.pythonLiteralMessage(word, in: "@scalar") {
                    throw error(message, at: current.location)
                }
                throw error("expected a number in @scalar(...), found \(current.quoted)", at: current.location)
            }
            try advance()
            kind = .scalar(value)
        default:
            kind = .bytes(try parseByteList())
        }
        try expect(")", after: "the '@\(annotation)' argument")
        return ConstantInitializerSyntax(kind: kind, location: location)
    }

    /// `[b, b, ...]` with each value in 0...255.
    private mutating func parseByteList() throws(Diagnostic) -> [UInt8] {
        try expect("[", after: "'@bytes('")
        var bytes: [UInt8] = []
        if try consume("]") { return bytes }
        repeat {
            guard case .number(.integer(let value)) = current.kind, let byte = UInt8(exactly: value) else {
                throw error("expected a byte value (an integer in 0...255), found \(current.quoted)", at: current.location)
            }
            bytes.append(byte)
            try advance()
        } while try consume(",")
        try expect("]", after: "the byte list")
        return bytes
    }

    /// `f32[1, 2, 3]`, `f32[]` (a scalar), or with `dyn("name", max)` dimensions where `allowDynamic`.
    private mutating func parseTensorType(allowDynamic: Bool) throws(Diagnostic) -> TensorTypeSyntax {
        let location = current.location
        guard case .identifier(let typeName) = current.kind else {
            throw error("expected a data type (f32, f16, i32, u32, i64, u64, i8, u8), found \(current.quoted)",
                        at: location)
        }
        guard let dataType = DataType(shortName: typeName) else {
            throw error(Parser.unknownDataTypeMessage(typeName), at: location)
        }
        try advance()
        try expect("[", after: "the data type (a scalar is written '\(typeName)[]')")
        var shape: [Int] = []
        var dynamicDimensions: [DynamicDimensionSyntax] = []
        if try !consume("]") {
            repeat {
                if case .identifier("dyn") = current.kind {
                    let dynamic = try parseDynamicDimension(axis: shape.count, allowed: allowDynamic)
                    dynamicDimensions.append(dynamic)
                    shape.append(dynamic.maximum)
                    continue
                }
                guard case .number(.integer(let dimension)) = current.kind, dimension > 0, let size = Int(exactly: dimension) else {
                    throw error("expected a dimension (a positive integer\(allowDynamic ? " or dyn(\"name\", max)" : "")), "
                                + "found \(current.quoted)", at: current.location)
                }
                shape.append(size)
                try advance()
            } while try consume(",")
            try expect("]", after: "the dimensions")
        }
        guard TensorType.checkedByteSize(dataType, shape) != nil else {
            throw error("tensor type \(typeName)[\(shape.map(String.init).joined(separator: ", "))] is too large "
                        + "(more than 2^53 bytes)", at: location)
        }
        return TensorTypeSyntax(type: TensorType(dataType, shape), location: location, dynamicDimensions: dynamicDimensions)
    }

    /// `dyn("name", max)`, at the `dyn`.
    private mutating func parseDynamicDimension(axis: Int, allowed: Bool) throws(Diagnostic) -> DynamicDimensionSyntax {
        let location = current.location
        guard allowed else {
            throw error("constant shapes must be static: dyn(...) dimensions are allowed only in inputs", at: location)
        }
        try advance()
        try expect("(", after: "'dyn'")
        guard case .string(let name) = current.kind else {
            throw error("expected the dimension's name (a string) in dyn(\"name\", max), found \(current.quoted)",
                        at: current.location)
        }
        guard !name.isEmpty else { throw error("a dynamic dimension needs a non-empty name", at: current.location) }
        try advance()
        try expect(",", after: "the dimension's name")
        guard case .number(.integer(let maximum)) = current.kind, maximum > 0, let size = Int(exactly: maximum) else {
            throw error("expected the dimension's maximum (a positive integer) in dyn(\"\(name)\", max), found \(current.quoted)",
                        at: current.location)
        }
        try advance()
        try expect(")", after: "the dimension's maximum")
        return DynamicDimensionSyntax(axis: axis, name: name, maximum: size, location: location)
    }

    private static func unknownDataTypeMessage(_ name: String) -> String {
        let shortNames = DataType.allCases.map(\.shortName)
        if name == "i4" || name == "u4" {
            return "data type '\(name)' is not supported: webnnc's IR has no 4-bit types (expected \(shortNames.joined(separator: ", ")))"
        }
        if let dataType = DataType(rawValue: name) {
            return "unknown data type '\(name)'; write '\(dataType.shortName)'"
        }
        return "unknown data type '\(name)'; expected one of \(shortNames.joined(separator: ", "))"
            + SpellingSuggestion.didYouMean(name, in: shortNames)
    }

    private mutating func parseOutputName() throws(Diagnostic) -> IdentifierSyntax {
        let name = try parseIdentifier(expected: "an output name or '}'")
        if try consume(",") {
            guard case .identifier = current.kind else {
                throw error("expected an output name after ','", at: current.location)
            }
        } else {
            _ = try consume(";")
        }
        return name
    }

    // MARK: Statements

    private mutating func parseStatement() throws(Diagnostic) -> StatementSyntax {
        let location = current.location
        var targets: [IdentifierSyntax] = []
        if try consume("[") {
            repeat {
                targets.append(try parseIdentifier(expected: "a name to assign"))
            } while try consume(",")
            try expect("]", after: "the assigned names")
        } else {
            targets.append(try parseIdentifier(expected: "a statement (name = op(...);) or '}'"))
        }
        try expect("=", after: targets.count > 1 ? "the assigned names" : "'\(targets[0].name)'")

        guard case .identifier(let name) = current.kind, !Parser.isLiteralKeyword(name) else {
            throw error("expected an operation call or an operand name after '=', found \(current.quoted)",
                        at: current.location)
        }
        let callee = IdentifierSyntax(name, at: current.location)
        try advance()
        let expression: StatementSyntax.Expression
        if try consume("(") {
            expression = .call(CallSyntax(operation: callee, arguments: try parseArguments()))
        } else {
            expression = .alias(callee)
        }
        try expect(";", after: "statement")
        return StatementSyntax(targets: targets, expression: expression, location: location)
    }

    /// Arguments after `(`, up to and including `)`.
    private mutating func parseArguments() throws(Diagnostic) -> [ArgumentSyntax] {
        var arguments: [ArgumentSyntax] = []
        if try consume(")") { return arguments }
        repeat {
            let value = try parseValue(expected: "an argument")
            if case .identifier(let label) = value.kind, try consume("=") {
                let labelSyntax = IdentifierSyntax(label, at: value.location)
                arguments.append(ArgumentSyntax(label: labelSyntax, value: try parseValue(expected: "a value after '\(label)='")))
            } else {
                arguments.append(ArgumentSyntax(label: nil, value: value))
            }
        } while try consume(",")
        try expect(")", after: "the arguments")
        return arguments
    }

    private mutating func parseValue(expected: String) throws(Diagnostic) -> ValueSyntax {
        let location = current.location
        let kind: ValueSyntax.Kind
        switch current.kind {
        case .identifier("true"): kind = .boolean(true)
        case .identifier("false"): kind = .boolean(false)
        case .identifier("null"): kind = .null
        case .identifier(let name): kind = .identifier(name)
        case .string(let value): kind = .string(value)
        case .number(let value): kind = .number(value)
        case .punctuation("["):
            try advance()
            var elements: [ValueSyntax] = []
            if try !consume("]") {
                repeat {
                    elements.append(try parseValue(expected: "an array element"))
                } while try consume(",")
                try expect("]", after: "the array elements")
            }
            return ValueSyntax(kind: .array(elements), location: location)
        case .punctuation("{"):
            try advance()
            return ValueSyntax(kind: .object(try parseObjectMembers()), location: location)
        default:
            throw error("expected \(expected), found \(current.quoted)", at: location)
        }
        try advance()
        return ValueSyntax(kind: kind, location: location)
    }

    /// The members of an object literal after its `{`, up to and including `}`: `key: value`
    /// with the key a name or a string, each key once.
    private mutating func parseObjectMembers() throws(Diagnostic) -> [ObjectMemberSyntax] {
        var members: [ObjectMemberSyntax] = []
        if try consume("}") { return members }
        repeat {
            let key: IdentifierSyntax
            switch current.kind {
            case .identifier(let name), .string(let name): key = IdentifierSyntax(name, at: current.location)
            default: throw error("expected an object key (a name or a string), found \(current.quoted)", at: current.location)
            }
            if let previous = members.first(where: { $0.key.name == key.name }) {
                throw error("key '\(key.name)' is given twice in the object", at: key.location,
                            notes: [source.note("first given here", at: previous.key.location)])
            }
            try advance()
            try expect(":", after: "the object key '\(key.name)'")
            members.append(ObjectMemberSyntax(key: key, value: try parseValue(expected: "a value after '\(key.name):'")))
        } while try consume(",")
        try expect("}", after: "the object's members")
        return members
    }

    /// A message for Python literals that converters write by mistake (`True`, `inf`), or nil.
    static func pythonLiteralMessage(_ word: String, in context: String) -> String? {
        switch word {
        case "True", "False":
            return "\(context)(\(word)): '\(word)' is a Python boolean, not a number of the format (write 1 or 0)"
        case "inf", "Infinity", "nan", "NaN", "None":
            return "\(context)(\(word)): the format has no '\(word)' literal (numbers are finite; a Python repr written by a converter?)"
        default:
            return nil
        }
    }

    private static func isLiteralKeyword(_ name: String) -> Bool {
        name == "true" || name == "false" || name == "null"
    }

    // MARK: Tokens

    private mutating func parseIdentifier(expected: String) throws(Diagnostic) -> IdentifierSyntax {
        guard case .identifier(let name) = current.kind else {
            throw error("expected \(expected), found \(current.quoted)", at: current.location)
        }
        let identifier = IdentifierSyntax(name, at: current.location)
        try advance()
        return identifier
    }

    private mutating func advance() throws(Diagnostic) {
        previousEnd = current.end
        current = try lexer.nextToken()
    }

    /// Consumes `punctuation` if it is the current token.
    private mutating func consume(_ punctuation: Character) throws(Diagnostic) -> Bool {
        guard current.kind == .punctuation(punctuation) else { return false }
        try advance()
        return true
    }

    /// Consumes `punctuation` or reports "expected 'p' after <context>" just after the previous token.
    private mutating func expect(_ punctuation: Character, after context: String) throws(Diagnostic) {
        guard try consume(punctuation) else {
            throw error("expected '\(punctuation)' after \(context)", at: previousEnd)
        }
    }

    private func error(_ message: String, at location: SourceLocation, notes: [Diagnostic] = []) -> Diagnostic {
        source.error(message, at: location, notes: notes)
    }
}
