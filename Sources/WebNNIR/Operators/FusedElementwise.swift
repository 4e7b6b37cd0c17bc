import WebNNBasics

/// The program of webnnc's extension operator `fusedElementwise(inputs, program=[...])`: a chain
/// or tree of element-wise operators computed per element in one loop (the `fuse-elementwise`
/// pass writes it; see docs/format.md). Each line is one instruction, an operator and its
/// operands, then its options: `"clamp %1 minValue=0.0 maxValue=6.0"`. `$i` is the node's input
/// i, `%j` the result of instruction j (an earlier one); the last instruction's result is the
/// node's result. The result is exactly that of the instructions as separate nodes, with WebNN
/// broadcasting at each operator.
public struct ElementwiseProgram: Hashable, Sendable {
    /// What an instruction reads.
    public enum Operand: Hashable, Sendable, CustomStringConvertible {
        /// `$i`: the node's input i.
        case input(Int)
        /// `%j`: the result of instruction j.
        case result(Int)

        public var description: String {
            switch self {
            case .input(let index): return "$\(index)"
            case .result(let index): return "%\(index)"
            }
        }
    }

    /// One operator application.
    public struct Instruction: Hashable, Sendable, CustomStringConvertible {
        /// A WebNN operator name, one of `ElementwiseProgram.operators`.
        public var op: String
        public var operands: [Operand]
        /// The operator's options that are given (numbers: clamp's bounds, alpha, beta).
        public var options: [String: Double]

        public init(_ op: String, _ operands: [Operand], options: [String: Double] = [:]) {
            self.op = op
            self.operands = operands
            self.options = options
        }

        /// The instruction as a program line: `"leakyRelu %0 alpha=0.2"` (options sorted by name).
        public var description: String {
            ([op] + operands.map(\.description) + options.sorted { $0.key < $1.key }.map { "\($0.key)=\(formatNumber($0.value))" })
                .joined(separator: " ")
        }
    }

    /// The operator's name in `.webnn` text.
    public static let operatorName = "fusedElementwise"

    /// The binary operators a program may use.
    public static let binaryOperators: Set<String> = ["add", "sub", "mul", "div", "max", "min", "pow", "prelu"]

    /// Every operator a program may use: the float element-wise operators that keep their
    /// operand's type (no cast, comparison or logical operator).
    public static let operators: Set<String> = binaryOperators.union([
        "relu", "sigmoid", "tanh", "clamp", "leakyRelu", "hardSwish", "hardSigmoid", "elu", "gelu", "linear",
        "neg", "abs", "sign", "ceil", "floor", "roundEven", "exp", "log", "sqrt", "erf", "sin", "cos", "tan",
        "softplus", "softsign", "reciprocal",
    ])

    public var instructions: [Instruction]

    public init(_ instructions: [Instruction]) { self.instructions = instructions }

    /// The program of a `fusedElementwise` node; nil for other nodes and malformed programs.
    public init?(_ node: Node) {
        guard node.op == ElementwiseProgram.operatorName, let lines = node.attribute("program")?.stringsValue,
              let program = try? ElementwiseProgram(parsing: lines, inputCount: node.operands.count) else { return nil }
        self = program
    }

    /// The program's lines, as the `program` option holds them.
    public var lines: [String] { instructions.map(\.description) }

    /// Parses and checks program lines for a node with `inputCount` inputs: known operators with
    /// their operand count and options, operands that exist, and every input and every result
    /// but the last used.
    public init(parsing lines: [String], inputCount: Int) throws {
        guard !lines.isEmpty else { throw ShapeError("program is empty") }
        instructions = []
        var used = Set<Operand>()
        for (index, line) in lines.enumerated() {
            func fail(_ message: String) -> ShapeError { ShapeError("program line \(index) \"\(line)\": \(message)") }
            let words = line.split(separator: " ").map(String.init)
            guard let op = words.first else { throw fail("expected an operator") }
            guard ElementwiseProgram.operators.contains(op), let schema = OpSchema.registry[op] else {
                throw fail("'\(op)' is not an element-wise operator a program can use"
                           + SpellingSuggestion.didYouMean(op, in: ElementwiseProgram.operators))
            }
            var instruction = Instruction(op, [])
            for word in words.dropFirst() {
                if let equals = word.firstIndex(of: "=") {
                    let name = String(word[..<equals]), text = word[word.index(after: equals)...]
                    guard schema.options.contains(where: { $0.name == name && $0.kind == .number }) else {
                        throw fail("\(op) has no option '\(name)'" + SpellingSuggestion.didYouMean(name, in: schema.options.map(\.name)))
                    }
                    guard let value = Double(text), value.isFinite else { throw fail("'\(name)' must be a finite number, found '\(text)'") }
                    guard instruction.options.updateValue(value, forKey: name) == nil else { throw fail("'\(name)' is given twice") }
                    continue
                }
                guard instruction.options.isEmpty else { throw fail("operand '\(word)' after an option") }
                let operand: Operand
                switch (word.first, Int(word.dropFirst())) {
                case ("$", let input?) where input >= 0:
                    guard input < inputCount else { throw fail("$\(input) does not exist: the node has \(inputCount) input\(inputCount == 1 ? "" : "s")") }
                    operand = .input(input)
                case ("%", let result?) where result >= 0:
                    guard result < index else { throw fail("%\(result) is not the result of an earlier instruction") }
                    operand = .result(result)
                default:
                    throw fail("expected an operand ($<input> or %<instruction>) or an option (name=number), found '\(word)'")
                }
                instruction.operands.append(operand)
                used.insert(operand)
            }
            let expected = schema.positional.count
            guard instruction.operands.count == expected else {
                throw fail("\(op) takes \(expected) operand\(expected == 1 ? "" : "s"), found \(instruction.operands.count)")
            }
            instructions.append(instruction)
        }
        if let unused = (0..<inputCount).first(where: { !used.contains(.input($0)) }) {
            throw ShapeError("program never reads input $\(unused)")
        }
        if let unused = (0..<lines.count - 1).first(where: { !used.contains(.result($0)) }) {
            throw ShapeError("program never uses the result of line \(unused) \"\(lines[unused])\"")
        }
    }

    /// The instructions as a graph of standalone nodes: inputs `$0`, `$1`, ... typed like
    /// `inputs`, one node per instruction (its result named `%j`), the last result the output.
    /// The operators' own shape rules check it; the interpreter evaluates and `Tolerance` judges
    /// a fused node through it.
    public func expanded(inputs: [TensorType]) throws -> Graph {
        var graph = Graph(name: ElementwiseProgram.operatorName)
        var line = 0
        do {
            let inputIDs = try inputs.indices.map { try graph.addInput("$\($0)", inputs[$0]) }
            var results: [ValueID] = []
            for (index, instruction) in instructions.enumerated() {
                line = index
                let operands = instruction.operands.map { operand in
                    switch operand {
                    case .input(let input): return inputIDs[input]
                    case .result(let result): return results[result]
                    }
                }
                let node = Node(op: instruction.op, operands: operands, attributes: instruction.options.mapValues(Attribute.double))
                results += try graph.addNode(node, outputNames: ["%\(index)"])
            }
            graph.addOutput(results.last!)
        } catch let error as Diagnostic {
            throw ShapeError("program line \(line) \"\(instructions[line])\": \(error.message)")
        }
        return graph
    }

    /// The program of `fusedElementwise` node `node` of `graph` as a graph of standalone nodes
    /// (see `expanded(inputs:)`), after checking the program.
    public static func expanded(_ node: Node, in graph: Graph) throws -> Graph {
        guard let lines = node.attribute("program")?.stringsValue else { throw ShapeError("missing option 'program'") }
        let inputs = OperandTypes(node, graph).all
        return try ElementwiseProgram(parsing: lines, inputCount: inputs.count).expanded(inputs: inputs)
    }

    /// The shape rule of `fusedElementwise`: inputs of one float type, a valid program; the
    /// result is the last instruction's.
    static let schema = OpSchema(
        operatorName, positional: [Parameter("inputs", .operandList)], options: [Parameter("program", .strings)]
    ) { node, graph in
        let inputs = OperandTypes(node, graph).all
        for (index, input) in inputs.enumerated() {
            try ShapeRules.require(input, "input $\(index)", in: ShapeRules.floats)
            try ShapeRules.requireSameDataType(inputs[0], "input $0", input, "input $\(index)")
        }
        let expanded = try ElementwiseProgram.expanded(node, in: graph)
        return [expanded[expanded.outputs[0]].type]
    }
}
