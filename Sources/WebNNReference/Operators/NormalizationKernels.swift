import Foundation
import WebNNBasics
import WebNNIR

/// softmax and batchNormalization, computed in Double and rounded once per element.
enum NormalizationKernels {
    static let table: [String: Kernel] = ["softmax": softmax, "batchNormalization": batchNormalization]

    /// exp(x - max) / sum(exp(x - max)) along `axis`.
    private static func softmax(_ call: OperatorCall) throws -> [TensorValue] {
        let input = try call.operand("input")
        let x = try call.floats(of: input)
        guard let axis = call.node.int("axis") else { throw InterpreterError.invalidNode(op: call.op, message: "missing axis") }
        let (outer, size, inner) = splitShape(input.shape, at: axis)
        var output = [Float](repeating: 0, count: x.count)
        for before in 0..<outer {
            for after in 0..<inner {
                let indices = (0..<size).map { (before * size + $0) * inner + after }
                let largest = indices.reduce(-Float.infinity) { maximumPropagatingNaN($0, x[$1]) }
                let exponentials = indices.map { Foundation.exp(Double(x[$0]) - Double(largest)) }
                let sum = exponentials.reduce(0, +)
                for (index, exponential) in zip(indices, exponentials) { output[index] = Float(exponential / sum) }
            }
        }
        return call.output(floats: output)
    }

    /// (x - mean) / sqrt(variance + epsilon) * scale + bias, with the 1-D statistics along `axis`;
    /// scale defaults to 1 and bias to 0; epsilon is cast to the input type.
    private static func batchNormalization(_ call: OperatorCall) throws -> [TensorValue] {
        let input = try call.operand("input")
        let x = try call.floats(of: input)
        let mean = try call.floats("mean"), variance = try call.floats("variance")
        let scale = try call.optionalOperand("scale").map(call.floats(of:))
        let bias = try call.optionalOperand("bias").map(call.floats(of:))
        let axis = call.node.int("axis") ?? 1
        let epsilon = try call.floatNumber(call.node.double("epsilon") ?? 1e-5)
        let (_, size, inner) = splitShape(input.shape, at: axis)
        let output = [Float](count: x.count) { index in
            let channel = index / inner % size
            let normalized = (Double(x[index]) - Double(mean[channel])) / (Double(variance[channel]) + epsilon).squareRoot()
            return Float(normalized * Double(scale?[channel] ?? 1) + Double(bias?[channel] ?? 0))
        }
        return call.output(floats: output)
    }

    /// The element counts before `axis`, along it, and after it.
    private static func splitShape(_ shape: [Int], at axis: Int) -> (outer: Int, size: Int, inner: Int) {
        (shape[..<axis].reduce(1, *), shape[axis], shape[(axis + 1)...].reduce(1, *))
    }
}
