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
            guard let rule = rules[node.op] else { throw ToleranceError.noRule(op: node.op) }
            let outputType = try node.schema.inferOutputs(node, graph)[0]
            return .ulp(try rule(node, graph, outputType.dataType))
        } catch let error as ShapeError {
            throw ToleranceError.invalidNode(op: node.op, message: error.message)
        }
    }

    /// The operators with a tolerance rule (every operator of `OpSchema.registry` should have one).
    public static var operatorsWithRules: Set<String> { Set(rules.keys) }

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

    private static let rules: [String: Rule] = [
        "max": constant(0), "min": constant(0), "relu": constant(0), "clamp": constant(0), "maxPool2d": constant(0),
        "identity": constant(0), "reshape": constant(0), "transpose": constant(0), "concat": constant(0),
        "add": constant(1), "sub": constant(1), "mul": constant(1),
        "div": constant(2),
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
