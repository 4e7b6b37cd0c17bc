import WebNNIR
import WebNNTransforms

/// What `fuse-qdq` makes of a QDQ graph: how many integer operators, and which float
/// convolutions and matrix products still read dequantized values.
public struct FusionCheck: Sendable {
    public let integerOperators: Int
    /// Output names of the conv2d, gemm and matmul nodes left reading a dequantizeLinear.
    public let unfused: [String]

    public init(_ quantized: Graph) throws {
        var fused = quantized
        try PassManager(pipeline: try PassRegistry.pipeline(parsing: "dce,fuse-qdq")).run(&fused)
        integerOperators = fused.nodes.filter { $0.op == QuantizedConv2dParameters.operatorName }.count
        unfused = fused.nodes.filter { node in
            ["conv2d", "gemm", "matmul"].contains(node.op)
                && node.operands.contains { $0.flatMap(fused.producer(of:))?.op == "dequantizeLinear" }
        }.map { fused[$0.outputs[0]].name }
    }

    public var summary: String {
        "fuse-qdq: \(integerOperators) integer convolution\(integerOperators == 1 ? "" : "s")"
            + (unfused.isEmpty ? ", no float conv2d/gemm/matmul left reading dequantized values"
                               : "; still float, reading dequantized values: \(unfused.joined(separator: ", "))")
    }
}
