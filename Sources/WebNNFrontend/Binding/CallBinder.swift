import WebNNBasics
import WebNNIR

/// Matches the arguments of one call against its operator's schema: positional arguments follow
/// the WebNN signature, named ones are looked up by WebNN name, operand-valued options name
/// operands. No operator is special-cased; everything comes from `OpSchema`.
struct CallBinder {
    /// The operand names a call binds (in `Node.operands` order), and its non-operand attributes.
    struct Binding {
        var operands: [IdentifierSyntax?]
        var attributes: [String: Attribute]
    }

    private let call: CallSyntax
    private let schema: OpSchema
    private let source: SourceText
    /// The value given to each parameter, with its location (a list parameter maps to an array).
    private var given: [String: ArgumentSyntax] = [:]

    /// Binds `call` to `schema`.
    static func bind(_ call: CallSyntax, to schema: OpSchema, source: SourceText) throws -> Binding {
        var binder = CallBinder(call: call, schema: schema, source: source)
        try binder.assignArguments()
        return try binder.makeBinding()
    }

    private init(call: CallSyntax, schema: OpSchema, source: SourceText) {
        self.call = call
        self.schema = schema
        self.source = source
    }

    // MARK: Matching arguments to parameters

    private mutating func assignArguments() throws {
        var positional = call.arguments.filter { $0.label == nil }[...]
        for parameter in schema.positional {
            guard let argument = positional.first else { break }
            let names = positional.prefix { text(of: $0.value) != nil }
            if parameter.kind == .operandList, !names.isEmpty {
                // The format's habit: `concat(a, b, c, axis=1)` lists the operands flattened.
                given[parameter.name] = ArgumentSyntax(
                    label: nil, value: ValueSyntax(kind: .array(names.map(\.value)), location: argument.location))
                positional.removeFirst(names.count)
            } else {
                given[parameter.name] = argument
                positional.removeFirst()
            }
        }
        if let extra = positional.first {
            throw source.error(tooManyArgumentsMessage(extra), at: extra.location)
        }
        for argument in call.arguments {
            guard let label = argument.label else { continue }
            if try isFormatAnnotation(argument, label: label) { continue }
            guard let parameter = schema.parameter(named: label.name) ?? dataTypeParameter(spelled: label.name) else {
                let names = (schema.positional + schema.options).map(\.name)
                throw source.error("\(schema.name) has no parameter or option '\(label.name)'"
                                   + SpellingSuggestion.didYouMean(label.name, in: names), at: label.location)
            }
            if let previous = given[parameter.name] {
                throw source.error("'\(label.name)' is given twice", at: label.location,
                                   notes: [source.note("first given here", at: previous.location)])
            }
            given[parameter.name] = argument
        }
        for parameter in schema.positional where given[parameter.name] == nil {
            throw source.error("\(schema.name) is missing its argument '\(parameter.name)' "
                               + "(\(parameter.kind.displayName))", at: call.operation.location)
        }
    }

    /// Named arguments that annotate a call in the format but are not WebNN parameters, and are
    /// dropped: `metadata={...}` (any value; webnn-graph's example writes an object) and WebNN's
    /// `label="..."` (MLOperatorOptions; a string).
    private func isFormatAnnotation(_ argument: ArgumentSyntax, label: IdentifierSyntax) throws -> Bool {
        guard schema.parameter(named: label.name) == nil else { return false }
        switch label.name {
        case "metadata":
            return true
        case "label":
            guard case .string = argument.value.kind else {
                throw source.error("'label' of \(schema.name) must be a string, found \(describe(argument.value))",
                                   at: argument.value.location)
            }
            return true
        default:
            return false
        }
    }

    /// `to=` names the op's data-type parameter (cast's `to="float32"`, as converters write it).
    private func dataTypeParameter(spelled name: String) -> Parameter? {
        guard name == "to" else { return nil }
        let candidates = (schema.positional + schema.options).filter { $0.kind == .dataType }
        return candidates.count == 1 ? candidates[0] : nil
    }

    private func tooManyArgumentsMessage(_ extra: ArgumentSyntax) -> String {
        let names = schema.positional.map(\.name).joined(separator: ", ")
        var message = "too many arguments: \(schema.name) takes \(schema.positional.count) positional "
            + "argument\(schema.positional.count == 1 ? "" : "s") (\(names))"
        if let name = text(of: extra.value), let option = schema.options.first(where: { $0.kind.isOperand && given[$0.name] == nil }) {
            message += "; pass optional operands by name, e.g. \(option.name)=\(name)"
        }
        return message
    }

    // MARK: Converting values

    private func makeBinding() throws -> Binding {
        var binding = Binding(operands: [], attributes: [:])
        for parameter in schema.positional + schema.options {
            guard let argument = given[parameter.name] else {
                if parameter.kind == .operand { binding.operands.append(nil) }
                continue
            }
            let value = argument.value
            switch parameter.kind {
            case .operand:
                binding.operands.append(try operand(value, for: parameter))
            case .operandList:
                guard case .array(let elements) = value.kind, !elements.isEmpty else {
                    throw mismatch(value, parameter, expected: "non-empty list of operands")
                }
                binding.operands += try elements.map { try operand($0, for: parameter) }
            default:
                binding.attributes[parameter.name] = try attribute(value, for: parameter)
            }
        }
        return binding
    }

    /// An operand reference: a name (or, as in the format's JSON, a string holding a name).
    private func operand(_ value: ValueSyntax, for parameter: Parameter) throws -> IdentifierSyntax {
        guard let name = text(of: value) else { throw mismatch(value, parameter, expected: "operand name") }
        return IdentifierSyntax(name, at: value.location)
    }

    private func attribute(_ value: ValueSyntax, for parameter: Parameter) throws -> Attribute {
        switch (parameter.kind, value.kind) {
        case (.int, .number(.integer(let number))), (.intOrInts, .number(.integer(let number))):
            return .int(number)
        case (.number, .number(.integer(let number))):
            return .int(number)
        case (.number, .number(.float(let number))):
            return .double(number)
        case (.bool, .boolean(let flag)):
            return .bool(flag)
        case (.enumeration(let cases), _):
            guard let word = text(of: value) else { throw mismatch(value, parameter, expected: parameter.kind.displayName) }
            guard cases.contains(word) else {
                throw source.error("invalid value \"\(word)\" for '\(parameter.name)'; expected \(parameter.kind.displayName)"
                                   + SpellingSuggestion.didYouMean(word, in: cases), at: value.location)
            }
            return .string(word)
        case (.enumerationList(let cases), .array(let elements)):
            return .strings(try elements.map { element throws -> String in
                guard let word = text(of: element), cases.contains(word) else {
                    throw mismatch(element, parameter, expected: parameter.kind.displayName)
                }
                return word
            })
        case (.strings, .array(let elements)):
            return .strings(try elements.map { element throws -> String in
                guard case .string(let text) = element.kind else { throw mismatch(element, parameter, expected: "string") }
                return text
            })
        case (.dataType, _):
            // WebNN names, short names, in any case: "float32", "f32", "Float32" (a converter's Rust Debug name).
            let word = text(of: value)?.lowercased()
            if let word, ["int4", "uint4", "i4", "u4"].contains(word) {
                throw source.error("'\(parameter.name)' of \(schema.name): data type \(word) is not supported: webnnc's IR "
                                   + "has no 4-bit types", at: value.location)
            }
            guard let word, let dataType = DataType(rawValue: word) ?? DataType(shortName: word) else {
                throw mismatch(value, parameter, expected: "data type (" + DataType.allCases.map(\.rawValue).joined(separator: ", ") + ")")
            }
            return .string(dataType.rawValue)
        case (.ints, .array(let elements)), (.intOrInts, .array(let elements)):
            return .ints(try elements.map { element throws -> Int64 in
                guard case .number(.integer(let number)) = element.kind else {
                    throw mismatch(element, parameter, expected: "list of integers")
                }
                return number
            })
        case (.numbers, .array(let elements)):
            return .doubles(try elements.map { element throws -> Double in
                guard case .number(let number) = element.kind else { throw mismatch(element, parameter, expected: "list of numbers") }
                return number.doubleValue
            })
        default:
            throw mismatch(value, parameter, expected: parameter.kind.displayName)
        }
    }

    /// "'strides' must be a list of integers, found string "x"".
    private func mismatch(_ value: ValueSyntax, _ parameter: Parameter, expected: String) -> Diagnostic {
        let article = expected.hasPrefix("one of") ? "" : "aeiou".contains(expected.first ?? "x") ? "an " : "a "
        return source.error("'\(parameter.name)' of \(schema.name) must be \(article)\(expected), "
                            + "found \(describe(value))", at: value.location)
    }

    private func describe(_ value: ValueSyntax) -> String {
        switch value.kind {
        case .identifier(let name) where ["True", "False", "None"].contains(name):
            return "name '\(name)' (a Python literal; the format writes true, false, null)"
        case .identifier(let name): return "name '\(name)'"
        case .string(let text): return "string \"\(text)\""
        case .number(let number): return "number \(number)"
        case .boolean(let flag): return "\(flag)"
        case .null: return "null"
        case .array: return "a list"
        case .object: return "an object"
        }
    }

    /// A name or a string: an operand reference (strings, as in the format's JSON twin) or an enum
    /// value (`inputLayout=nchw` or `inputLayout="nchw"`).
    private func text(of value: ValueSyntax) -> String? {
        switch value.kind {
        case .identifier(let name), .string(let name): return name
        default: return nil
        }
    }
}
