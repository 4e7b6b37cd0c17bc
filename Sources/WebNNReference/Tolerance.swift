import WebNNBasics
import WebNNIR

/// How far a float output may be from its expected value: the WebNN conformance (WPT) rule of
/// `shared/conformance/README.md`. Integer outputs are always compared exactly.
public enum Tolerance: Equatable, Sendable, CustomStringConvertible {
    /// At most this many units in the last place of the output's float type.
    case ulp(Int)
    /// At most this absolute difference.
    case absolute(Double)

    public var description: String {
        switch self {
        case .ulp(let count): return "\(count) ULP"
        case .absolute(let bound): return "absolute \(bound)"
        }
    }

    /// The tolerance of graph output `output`: the sum of the tolerances of the nodes it depends
    /// on. ULP counts add up, absolute bounds add up, and once an operator judged by absolute
    /// error is involved the output is judged by absolute error.
    public static func wpt(for output: ValueID, in graph: Graph) throws -> Tolerance {
        var total = Tolerance.ulp(0)
        for index in producingNodeIndices(of: output, in: graph) {
            total = total.adding(try wpt(for: graph.nodes[index], in: graph))
        }
        return total
    }

    /// The tolerance of one node (for the data type of its first output).
    public static func wpt(for node: Node, in graph: Graph) throws -> Tolerance {
        do {
            if node.op == ElementwiseProgram.operatorName { return try fusedElementwise(node, graph) }
            if absoluteRules.contains(node.op) { return .absolute(try node.schema.inferOutputs(node, graph)[0].dataType == .float16 ? 1.0 / 512 : 1.0 / 1024) }
            guard let rule = rules[node.op] else { throw ToleranceError.noRule(op: node.op) }
            let outputType = try node.schema.inferOutputs(node, graph)[0]
            return .ulp(try rule(node, graph, outputType.dataType) + fusedEpilogueULP(node, graph, outputType.dataType))
        } catch let error as ShapeError {
            throw ToleranceError.invalidNode(op: node.op, message: error.message)
        }
    }

    /// The ULP counts of the operators a node absorbed (webnnc's fused epilogue options): the
    /// matmul `bias` and the residual count as `add`, the activation as its standalone operator.
    private static func fusedEpilogueULP(_ node: Node, _ graph: Graph, _ dataType: DataType) throws -> Int {
        guard node.schema.parameter(named: "fusedActivation") != nil else { return 0 }
        let epilogue = FusedEpilogue(node)
        var absorbed = [Node]()
        if node.op == "matmul" && node.operand("bias") != nil { absorbed.append(Node(op: "add", operands: [])) }
        if epilogue.residual != nil { absorbed.append(Node(op: "add", operands: [])) }
        if let activation = epilogue.activationNode(input: nil) { absorbed.append(activation) }
        return try absorbed.reduce(0) { total, op in
            guard let rule = rules[op.op] else { throw ToleranceError.noRule(op: op.op) }
            return total + (try rule(op, graph, dataType))
        }
    }

    /// A `fusedElementwise` node's tolerance: that of its instructions as separate nodes (their
    /// sum, as for any chain of nodes).
    private static func fusedElementwise(_ node: Node, _ graph: Graph) throws -> Tolerance {
        let expanded = try ElementwiseProgram.expanded(node, in: graph)
        return try wpt(for: expanded.outputs[0], in: expanded)
    }

    /// The operators with a tolerance rule (every operator of `OpSchema.registry` should have one).
    public static var operatorsWithRules: Set<String> { Set(rules.keys).union(absoluteRules).union([ElementwiseProgram.operatorName]) }

    /// Operators WPT judges by absolute error instead of ULPs: 1/1024 for float32, 1/512 for float16.
    private static let absoluteRules: Set<String> = ["log", "sin", "cos", "tan", "erf", "layerNormalization"]

    private func adding(_ other: Tolerance) -> Tolerance {
        switch (self, other) {
        case (.ulp(let a), .ulp(let b)): return .ulp(a + b)
        case (.absolute(let a), .absolute(let b)): return .absolute(a + b)
        case (.absolute, .ulp): return self
        case (.ulp, .absolute): return other
        }
    }

    /// Indices of the nodes `value` is computed from, itself included.
    private static func producingNodeIndices(of value: ValueID, in graph: Graph) -> Set<Int> {
        var found: Set<Int> = []
        var pending = [value]
        while let id = pending.popLast() {
            guard case .node(let index, _) = graph[id].definition, found.insert(index).inserted else { continue }
            pending += graph.nodes[index].operands.compactMap { $0 }
        }
        return found
    }

    /// An operator's ULP count given the node, its graph and its output data type.
    private typealias Rule = @Sendable (Node, Graph, DataType) throws -> Int

    private static func constant(_ count: Int) -> Rule { { _, _, _ in count } }

    /// A reduce* rule: the ULP count as a function of N, the number of elements reduced into each output.
    private static func reduced(_ count: @escaping @Sendable (Int) -> Int) -> Rule {
        { node, graph, _ in count(try ReductionParameters(node, graph).reducedElementCount) }
    }

    private static let rules: [String: Rule] = [
        "max": constant(0), "min": constant(0), "relu": constant(0), "clamp": constant(0), "maxPool2d": constant(0),
        "identity": constant(0), "reshape": constant(0), "transpose": constant(0), "concat": constant(0),
        "split": constant(0), "slice": constant(0), "pad": constant(0), "expand": constant(0), "tile": constant(0), "reverse": constant(0), "triangular": constant(0), "gather": constant(0), "gatherElements": constant(0), "gatherND": constant(0), "scatterElements": constant(0), "scatterND": constant(0), "quantizeLinear": constant(0), "dequantizeLinear": constant(1), "quantizedConv2d": constant(0), "quantizedAdd": constant(0),
        "gru": constant(3), "gruCell": constant(3), "lstm": constant(3), "lstmCell": constant(3), "recurrentLoop": constant(3),
        "add": constant(1), "sub": constant(1), "mul": constant(1),
        "div": constant(2),
        "abs": constant(0), "neg": constant(0), "sign": constant(0), "ceil": constant(0), "floor": constant(0), "roundEven": constant(0),
        "equal": constant(0), "notEqual": constant(0), "greater": constant(0), "greaterOrEqual": constant(0), "lesser": constant(0),
        "lesserOrEqual": constant(0), "logicalAnd": constant(0), "logicalOr": constant(0), "logicalXor": constant(0),
        "logicalNot": constant(0), "isNaN": constant(0), "isInfinite": constant(0), "where": constant(0), "cast": constant(0),
        "argMin": constant(0), "argMax": constant(0), "reduceMax": constant(0), "reduceMin": constant(0),
        "prelu": constant(1), "leakyRelu": constant(1), "sqrt": constant(1),
        "linear": constant(2), "hardSigmoid": constant(2), "reciprocal": constant(2),
        "softsign": constant(3), "hardSwish": constant(4), "elu": constant(18), "gelu": constant(18), "softplus": constant(18),
        "exp": { _, _, dataType in dataType == .float16 ? 1 : 32 },
        "reduceSum": reduced { $0 }, "reduceL1": reduced { $0 }, "reduceProduct": reduced { $0 }, "reduceMean": reduced { $0 + 2 },
        "reduceL2": reduced { 2 * $0 + 1 }, "reduceSumSquare": reduced { 2 * $0 }, "reduceLogSum": reduced { $0 + 18 },
        "reduceLogSumExp": reduced { 2 * $0 + 18 },
        "cumulativeSum": { node, graph, _ in graph[node.operands[0]!].type.shape[node.int("axis") ?? 0] },
        "batchNormalization": constant(6),
        "tanh": constant(16),
        "pow": { _, _, dataType in dataType == .float16 ? 2 : 32 },
        "sigmoid": { _, _, dataType in dataType == .float16 ? 10 : 34 },
        "softmax": { node, graph, _ in
            let axis = node.int("axis") ?? 0
            return 3 * graph[node.operands[0]!].type.shape[axis] + 3
        },
        "conv2d": { node, graph, _ in
            let p = try Conv2dParameters(node, graph)
            return 2 * p.kernelHeight * p.kernelWidth * p.inputChannelsPerGroup
        },
        "matmul": { node, graph, _ in 2 * (try MatmulParameters(node, graph).k) },
        "gemm": { node, graph, _ in
            let p = try GemmParameters(node, graph)
            var count = 2 * p.k + (p.alpha != 1 ? 1 : 0)
            if node.operand("c") != nil && p.beta != 0 { count += p.beta != 1 ? 2 : 1 }
            return count
        },
        "l2Pool2d": { node, graph, _ in let p = try Pool2dParameters(node, graph); return p.windowHeight * p.windowWidth + 2 },
        "resample2d": { node, graph, dataType in try Resample2dParameters(node, graph).mode == .nearestNeighbor ? 0 : dataType == .float16 ? 10 : 84 },
        "convTranspose2d": { node, graph, _ in let p = try ConvTranspose2dParameters(node, graph); return 2 * p.kernelHeight * p.kernelWidth * p.inputChannelsPerGroup },
        "instanceNormalization": { _, _, dataType in dataType == .float16 ? 8400 : 840 },
        "averagePool2d": { node, graph, _ in
            let p = try Pool2dParameters(node, graph)
            return p.windowHeight * p.windowWidth + 2
        },
    ]
}

/// Why no tolerance could be given for a node.
public enum ToleranceError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Operator `op` has no tolerance rule.
    case noRule(op: String)
    /// The node does not satisfy its operator's rules.
    case invalidNode(op: String, message: String)

    public var description: String {
        switch self {
        case .noRule(let op): return "tolerance: no rule for operator '\(op)'"
        case .invalidNode(let op, let message): return "tolerance: invalid \(op) node: \(message)"
        }
    }
}
