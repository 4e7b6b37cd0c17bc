import Foundation
import WebNNBasics
import WebNNIR

/// softmax, batchNormalization, instanceNormalization and layerNormalization, computed in Double
/// and rounded once per element.
enum NormalizationKernels {
    static let table: [String: Kernel] = [
        "softmax": softmax, "batchNormalization": batchNormalization,
        "instanceNormalization": instanceNormalization, "layerNormalization": layerNormalization,
    ]

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

    /// Each (sample, channel) normalized over its H x W elements, then scaled and shifted per channel.
    private static func instanceNormalization(_ call: OperatorCall) throws -> [TensorValue] {
        let input = try call.operand("input")
        let layout = InputLayout(rawValue: call.node.string("layout") ?? "nchw") ?? .nchw
        let (batch, channels, height, width) = layout.logicalSizes(input.shape)
        let strides = ActivationStrides(layout: layout, channels: channels, height: height, width: width)
        var groups: [[Int]] = [], channelOfGroup: [Int] = []
        for sample in 0..<batch {
            for channel in 0..<channels {
                groups.append((0..<height).flatMap { row in
                    (0..<width).map { sample * strides.batch + channel * strides.channel + row * strides.height + $0 * strides.width }
                })
                channelOfGroup.append(channel)
            }
        }
        return try normalized(call, input, groups: groups) { group, _ in channelOfGroup[group] }
    }

    /// Each slice over `axes` (every axis but the first by default) normalized, then scaled and
    /// shifted by the scale and bias elements at the element's position along `axes`.
    private static func layerNormalization(_ call: OperatorCall) throws -> [TensorValue] {
        let input = try call.operand("input")
        let axes = layerNormalizationAxes(call.node, rank: input.type.rank)
        let others = (0..<input.type.rank).filter { !axes.contains($0) }
        let otherStrides = rowMajorStrides(others.map { input.shape[$0] })
        let parameterStrides = rowMajorStrides(axes.map { input.shape[$0] })
        var groups = [[Int]](repeating: [], count: others.reduce(1) { $0 * input.shape[$1] })
        var parameterIndex = [Int](repeating: 0, count: input.type.elementCount)
        var flat = 0
        _ = StridedIndices.positionalIndices(shape: input.shape) { position in
            let group = zip(others, otherStrides).reduce(0) { $0 + position[$1.0] * $1.1 }
            groups[group].append(flat)
            parameterIndex[flat] = zip(axes, parameterStrides).reduce(0) { $0 + position[$1.0] * $1.1 }
            flat += 1
            return 0
        }
        return try normalized(call, input, groups: groups) { _, element in parameterIndex[element] }
    }

    /// (x - mean) / sqrt(variance + epsilon) * scale + bias over each group of flat indices
    /// (population variance); scale (default 1) and bias (default 0) are read at
    /// `parameterIndex(group, element)`; epsilon is cast to the input type.
    private static func normalized(_ call: OperatorCall, _ input: TensorValue, groups: [[Int]],
                                   parameterIndex: (Int, Int) -> Int) throws -> [TensorValue] {
        let x = try call.floats(of: input)
        let scale = try call.optionalOperand("scale").map(call.floats(of:))
        let bias = try call.optionalOperand("bias").map(call.floats(of:))
        let epsilon = try call.floatNumber(call.node.double("epsilon") ?? 1e-5)
        var output = [Float](repeating: 0, count: x.count)
        for (group, indices) in groups.enumerated() {
            let count = Double(indices.count)
            let mean = indices.reduce(0.0) { $0 + Double(x[$1]) } / count
            let variance = indices.reduce(0.0) { $0 + (Double(x[$1]) - mean) * (Double(x[$1]) - mean) } / count
            let deviation = (variance + epsilon).squareRoot()
            for index in indices {
                let parameter = parameterIndex(group, index)
                let normalized = (Double(x[index]) - mean) / deviation
                output[index] = Float(normalized * Double(scale?[parameter] ?? 1) + Double(bias?[parameter] ?? 0))
            }
        }
        return call.output(floats: output)
    }

    /// The element counts before `axis`, along it, and after it.
    private static func splitShape(_ shape: [Int], at axis: Int) -> (outer: Int, size: Int, inner: Int) {
        (shape[..<axis].reduce(1, *), shape[axis], shape[(axis + 1)...].reduce(1, *))
    }
}
