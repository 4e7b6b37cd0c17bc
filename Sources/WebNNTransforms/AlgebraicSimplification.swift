import WebNNBasics
import WebNNIR

/// Algebraic identities that remove or merge nodes:
/// - `reshape` to the input's own shape → the input; `reshape(reshape(x))` → `reshape(x)`;
/// - `transpose` by the identity permutation → the input; `transpose(transpose(x))` → one
///   transpose by the composed permutation, or `x` when they cancel; a transpose that only
///   moves axes of size 1 → a reshape (same elements in the same order);
/// - `x * 1`, `1 * x`, `x + 0`, `0 + x`, `x - 0`, `x / 1` (the constant uniform) → `x`, only when
///   broadcasting the constant does not change the output's shape or type;
/// - `clamp` without `minValue` and `maxValue` → the input; `expand` to the input's own shape →
///   the input;
/// - `gemm` with `bTranspose` and a constant `b` → `gemm` of `transpose(b)` (which
///   `constant-fold` folds): the kernel then reads rows of `b` contiguously.
/// A node whose output is a graph output is not replaced by an existing value (the output's
/// name is part of the library's interface); merging a chain into it still happens.
enum AlgebraicSimplification {
    static let pass = Pass("simplify", "remove identity reshape/transpose/clamp, x*1, x+0, x-0, x/1; merge reshape and transpose chains") { graph in
        try GraphRebuilder.rewrite(&graph, with: simplified)
    }

    private static func simplified(_ node: Node, _ rebuilder: inout GraphRebuilder) throws -> [ValueID]? {
        switch node.op {
        case "reshape": return try reshapeSimplified(node, &rebuilder)
        case "transpose": return try transposeSimplified(node, &rebuilder)
        case "clamp":
            let unbounded = node.attributes["minValue"] == nil && node.attributes["maxValue"] == nil
            return unbounded ? forwarded(node.operands[0]!, for: node, rebuilder) : nil
        case "mul": return neutralOperandRemoved(node, neutral: 1, commutative: true, rebuilder)
        case "add": return neutralOperandRemoved(node, neutral: 0, commutative: true, rebuilder)
        case "sub": return neutralOperandRemoved(node, neutral: 0, commutative: false, rebuilder)
        case "div": return neutralOperandRemoved(node, neutral: 1, commutative: false, rebuilder)
        case "gemm": return try constantTransposeHoisted(node, &rebuilder)
        case "expand":
            let input = node.operands[0]!
            let outputType = try? node.schema.inferOutputs(node, rebuilder.graph)[0]
            return outputType == rebuilder.graph[input].type ? forwarded(input, for: node, rebuilder) : nil
        default: return nil
        }
    }

    private static func reshapeSimplified(_ node: Node, _ rebuilder: inout GraphRebuilder) throws -> [ValueID]? {
        var input = node.operands[0]!
        let inner = rebuilder.producer(of: input).flatMap { $0.op == "reshape" ? $0 : nil }
        if let inner { input = inner.operands[0]! }
        if rebuilder.graph[input].type.shape == node.ints("newShape"), let forwarded = forwarded(input, for: node, rebuilder) {
            return forwarded
        }
        guard inner != nil else { return nil }
        var merged = node
        merged.operands = [input]
        return try rebuilder.addNode(merged, outputNames: rebuilder.sourceNames(of: node.outputs))
    }

    private static func transposeSimplified(_ node: Node, _ rebuilder: inout GraphRebuilder) throws -> [ValueID]? {
        var input = node.operands[0]!
        let rank = rebuilder.graph[input].type.rank
        var permutation = transposePermutation(node, rank: rank)
        let inner = rebuilder.producer(of: input).flatMap { $0.op == "transpose" ? $0 : nil }
        if let inner {
            // Output axis i of the outer transpose is its input's axis permutation[i], which is
            // axis innerPermutation[permutation[i]] of the inner transpose's input.
            let innerPermutation = transposePermutation(inner, rank: rank)
            permutation = permutation.map { innerPermutation[$0] }
            input = inner.operands[0]!
        }
        if permutation == Array(0..<rank), let forwarded = forwarded(input, for: node, rebuilder) {
            return forwarded
        }
        let inputShape = rebuilder.graph[input].type.shape
        let nonUnitAxes = permutation.filter { inputShape[$0] != 1 }
        if permutation != Array(0..<rank) && nonUnitAxes == nonUnitAxes.sorted() {
            let reshape = Node(op: "reshape", operands: [input],
                               attributes: ["newShape": .ints(permutation.map { Int64(inputShape[$0]) })], location: node.location)
            return try rebuilder.addNode(reshape, outputNames: rebuilder.sourceNames(of: node.outputs))
        }
        guard inner != nil else { return nil }
        var merged = node
        merged.operands = [input]
        merged.attributes["permutation"] = .ints(permutation.map(Int64.init))
        return try rebuilder.addNode(merged, outputNames: rebuilder.sourceNames(of: node.outputs))
    }

    /// `gemm(a, b, bTranspose=true)` with a constant `b` → `gemm(a, transpose(b))`.
    private static func constantTransposeHoisted(_ node: Node, _ rebuilder: inout GraphRebuilder) throws -> [ValueID]? {
        guard node.bool("bTranspose") == true, let b = node.operand("b"), rebuilder.constant(b) != nil else { return nil }
        let transposed = try rebuilder.addNode(
            Node(op: "transpose", operands: [b], attributes: ["permutation": .ints([1, 0])], location: node.location),
            outputNames: [rebuilder.freshName(rebuilder.graph[b].name + "_t")])[0]
        var rewritten = node
        rewritten.operands[1] = transposed
        rewritten.attributes["bTranspose"] = nil
        return try rebuilder.addNode(rewritten, outputNames: rebuilder.sourceNames(of: node.outputs))
    }

    /// `x` for `x op c` (or `c op x` when `commutative`) where `c` is a constant whose every
    /// element is `neutral` and the node's output has `x`'s type.
    private static func neutralOperandRemoved(_ node: Node, neutral: Double, commutative: Bool,
                                              _ rebuilder: GraphRebuilder) -> [ValueID]? {
        let a = node.operands[0]!, b = node.operands[1]!
        let outputType = try? node.schema.inferOutputs(node, rebuilder.graph)[0]
        for (kept, constant) in commutative ? [(a, b), (b, a)] : [(a, b)] {
            guard rebuilder.graph[kept].type == outputType,
                  let data = rebuilder.constant(constant),
                  (0..<data.elementCount).allSatisfy({ data.double(at: $0) == neutral }) else { continue }
            return forwarded(kept, for: node, rebuilder)
        }
        return nil
    }

    /// `[value]` as the replacement of `node`'s single output, unless that output is a graph output.
    private static func forwarded(_ value: ValueID, for node: Node, _ rebuilder: GraphRebuilder) -> [ValueID]? {
        rebuilder.producesGraphOutput(node) ? nil : [value]
    }
}
