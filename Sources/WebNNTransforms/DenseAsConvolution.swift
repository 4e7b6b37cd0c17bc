import WebNNBasics
import WebNNIR

/// Runs a float32 dense layer, `gemm(a, b, c)` with a constant `[K, N]` weight `b`, as a 1×1
/// convolution: `a` `[M, K]` is read as an nhwc image of one row of M pixels with K channels
/// (a reshape, free), `b` as an `ihwo` filter `[K, 1, 1, N]`, a 1-D `c` as the bias, and the
/// result `[1, 1, M, N]` is reshaped back under the gemm's name. Code generation gives
/// convolutions packed weights and register tiles, and splits them over output channels, so a
/// classifier's single row runs on every thread instead of one. Fused epilogues move along
/// (a residual reshaped like the result); a gemm with transposes left, `alpha` or `beta` other
/// than 1, a `c` that is not per column, or a prelu slope stays as it is.
enum DenseAsConvolution {
    static let pass = Pass("dense-as-conv",
                           "run float32 gemm with constant weights as a 1x1 nhwc conv2d (packed weights, register tiles, parallel over output channels)") { graph in
        try GraphRebuilder.rewrite(&graph, with: convolution)
    }

    private static func convolution(_ gemm: Node, _ rebuilder: inout GraphRebuilder) throws -> [ValueID]? {
        guard gemm.op == "gemm", let a = gemm.operand("a"), let b = gemm.operand("b"), rebuilder.constant(b) != nil,
              gemm.bool("aTranspose") != true, gemm.bool("bTranspose") != true,
              gemm.double("alpha") ?? 1 == 1, gemm.double("beta") ?? 1 == 1, gemm.operand("fusedSlope") == nil,
              rebuilder.graph[a].type.dataType == .float32 else { return nil }
        let (m, k) = (rebuilder.graph[a].type.shape[0], rebuilder.graph[a].type.shape[1])
        let n = rebuilder.graph[b].type.shape[1]
        let c = gemm.operand("c")
        guard c.map({ rebuilder.graph[$0].type.shape == [n] }) ?? true else { return nil }
        let name = rebuilder.sourceNames(of: gemm.outputs)[0]
        func reshaped(_ value: ValueID, _ shape: [Int], _ suffix: String) throws -> ValueID {
            try rebuilder.addNode(Node(op: "reshape", operands: [value], attributes: ["newShape": .ints(shape.map(Int64.init))],
                                       location: gemm.location),
                                  outputNames: [rebuilder.freshName(rebuilder.graph[value].name + suffix)])[0]
        }
        var epilogue = FusedEpilogue(gemm)
        epilogue.residual = try epilogue.residual.map { try reshaped($0, [1, 1, m, n], "_nhwc") }
        var convolution = Node(op: "conv2d", operands: [try reshaped(a, [1, 1, m, k], "_nhwc"), try reshaped(b, [k, 1, 1, n], "_ihwo")],
                               attributes: ["inputLayout": .string("nhwc"), "filterLayout": .string("ihwo")],
                               location: gemm.location)
        if let c { convolution.operands += [c] }
        epilogue.apply(to: &convolution)
        let image = try rebuilder.addNode(convolution, outputNames: [rebuilder.freshName(name + "_nhwc")])[0]
        return try rebuilder.addNode(Node(op: "reshape", operands: [image], attributes: ["newShape": .ints([Int64(m), Int64(n)])],
                                          location: gemm.location), outputNames: [name])
    }
}
