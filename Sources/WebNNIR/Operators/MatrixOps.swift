import WebNNBasics

/// Everything about one gemm node.
public struct GemmParameters: Hashable, Sendable {
    public var m: Int, k: Int, n: Int
    public var alpha: Double, beta: Double
    public var aTranspose: Bool, bTranspose: Bool

    public init(_ node: Node, _ graph: Graph) throws {
        let types = OperandTypes(node, graph)
        let a = try types("a"), b = try types("b")
        try ShapeRules.require(a, "a", in: ShapeRules.floats)
        try ShapeRules.requireSameDataType(a, "a", b, "b")
        try ShapeRules.requireRank(a, "a", 2...2)
        try ShapeRules.requireRank(b, "b", 2...2)
        aTranspose = node.bool("aTranspose") ?? false
        bTranspose = node.bool("bTranspose") ?? false
        alpha = node.double("alpha") ?? 1
        beta = node.double("beta") ?? 1
        (m, k) = aTranspose ? (a.shape[1], a.shape[0]) : (a.shape[0], a.shape[1])
        let (bk, bn) = bTranspose ? (b.shape[1], b.shape[0]) : (b.shape[0], b.shape[1])
        guard k == bk else { throw ShapeError("inner dimensions differ: a gives K = \(k), b gives K = \(bk)") }
        n = bn
        if let c = types.optional("c") {
            try ShapeRules.requireSameDataType(a, "a", c, "c")
            try ShapeRules.requireRank(c, "c", 0...2)
            try ShapeRules.requireUnidirectionalBroadcast(c.shape, to: [m, n], "c")
        }
    }
}

/// Everything about one matmul node: [...batch, M, K] x [...batch, K, N].
public struct MatmulParameters: Hashable, Sendable {
    public var batchShape: [Int]
    public var m: Int, k: Int, n: Int
    public var outputShape: [Int] { batchShape + [m, n] }

    public init(_ node: Node, _ graph: Graph) throws {
        let types = OperandTypes(node, graph)
        let a = try types("a"), b = try types("b")
        try ShapeRules.require(a, "a", in: ShapeRules.floats)
        try ShapeRules.requireSameDataType(a, "a", b, "b")
        try ShapeRules.requireRank(a, "a", 2...Int.max)
        try ShapeRules.requireRank(b, "b", 2...Int.max)
        (m, k) = (a.shape[a.rank - 2], a.shape[a.rank - 1])
        let bk = b.shape[b.rank - 2]
        n = b.shape[b.rank - 1]
        guard k == bk else { throw ShapeError("inner dimensions differ: a is \(a.shape), b is \(b.shape)") }
        batchShape = try ShapeRules.broadcast(Array(a.shape.dropLast(2)), Array(b.shape.dropLast(2)))
    }
}

enum MatrixOps {
    /// matmul; `bias` (a webnnc extension, `[N]`, added to every row) and the fused-epilogue
    /// options record work fused into it (see `FusedEpilogue`).
    static let matmul = OpSchema("matmul", positional: [Parameter("a", .operand), Parameter("b", .operand)],
                                 options: [Parameter("bias", .operand)] + FusedEpilogue.options) { node, graph in
        let parameters = try MatmulParameters(node, graph)
        let output = TensorType(graph[node.operands[0]!].type.dataType, parameters.outputShape)
        if let bias = OperandTypes(node, graph).optional("bias") {
            try ShapeRules.requireSameDataType(output, "a", bias, "bias")
            guard bias.shape == [parameters.n] else {
                throw ShapeError("bias must have shape [\(parameters.n)], but has \(bias.shape)")
            }
        }
        try FusedEpilogue.check(node, graph, output: output)
        return [output]
    }

    static let gemm = OpSchema(
        "gemm", positional: [Parameter("a", .operand), Parameter("b", .operand)],
        options: [
            Parameter("c", .operand),
            Parameter("alpha", .number, default: .double(1)),
            Parameter("beta", .number, default: .double(1)),
            Parameter("aTranspose", .bool, default: .bool(false)),
            Parameter("bTranspose", .bool, default: .bool(false)),
        ] + FusedEpilogue.options
    ) { node, graph in
        let parameters = try GemmParameters(node, graph)
        let output = TensorType(graph[node.operands[0]!].type.dataType, [parameters.m, parameters.n])
        try FusedEpilogue.check(node, graph, output: output)
        return [output]
    }

    static var schemas: [OpSchema] { [matmul, gemm] }
}
