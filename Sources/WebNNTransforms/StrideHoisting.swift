import WebNNBasics
import WebNNIR

/// Computes only the pixels that strided 1×1 convolutions read (`hoist-strides`; OpenVINO's
/// StridesOptimization does the same). When every use of a value is the input of an unpadded
/// 1×1 convolution (`conv2d` or `quantizedConv2d`) with the same strides s > 1 (ResNet v1's
/// downsampling blocks: both branches read the previous block's sum at stride 2), its producer
/// computes it at stride s and those convolutions take stride 1:
///
/// - a **convolution** producer multiplies its strides by s. Output i of the new one is output
///   i·s of the old (same padding and dilations), and the sizes agree: ⌊⌊L/t⌋/s⌋ = ⌊L/(t·s)⌋
///   for L = padded input − dilated window. If it is itself 1×1 and unpadded it now reads its
///   input at stride t·s, so the stride moves on up; its fused residual is read subsampled;
/// - an **element-wise** producer (the float operators of `ElementwiseProgram`, `quantizedAdd`)
///   takes each operand of its own shape subsampled, and leaves operands that broadcast along
///   the spatial axes (size 1 there) as they are. It moves the stride only when one of those
///   operands is itself computed at stride s: otherwise it would only trade its strided readers
///   for strided slices of its operands.
///
/// An operand that is not computed at stride s (it has other uses at full size, or a producer
/// that cannot move the stride) is read through a `slice` with strides. Graph outputs keep their
/// size. Results are bit-identical: every kept pixel is computed by the same operations.
///
/// ResNet-50 v1: the last block of each of the first three stages computes a quarter of its 3×3
/// and 1×1 convolutions' pixels (9 % of the network's multiply-adds).
enum StrideHoisting {
    static let pass = Pass("hoist-strides",
                           "compute only the pixels that strided 1x1 convolutions read: move their strides into the convolutions and element-wise operators that produce their input") { graph in
        let plan = Plan(graph)
        guard !plan.subsampled.isEmpty else { return false }
        return try GraphRebuilder.rewrite(&graph) { node, rebuilder in try plan.rewrite(node, &rebuilder) }
    }

    /// Keeping every `strides[i]`-th element along `axes[i]` (the spatial axes of a layout).
    struct Subsampling: Equatable {
        var strides: [Int]
        var axes: [Int]
    }

    /// What a convolution-like node reads and how.
    private struct Convolution {
        var strides: [Int]
        var axes: [Int]
        /// 1×1 filter, no padding: output pixel i reads input pixel i·strides only.
        var isPointwise: Bool

        init?(_ node: Node, _ graph: Graph) {
            let parameters: Conv2dParameters
            if node.op == "conv2d", let p = try? Conv2dParameters(node, graph) {
                parameters = p
            } else if node.op == QuantizedConv2dParameters.operatorName, let p = try? QuantizedConv2dParameters(node, graph) {
                parameters = p.convolution
            } else {
                return nil
            }
            strides = parameters.window.strides
            axes = parameters.inputLayout == .nhwc ? [1, 2] : [2, 3]
            isPointwise = parameters.kernelHeight == 1 && parameters.kernelWidth == 1 && parameters.window.padding.allSatisfy { $0 == 0 }
        }
    }

    private static func isElementwise(_ node: Node) -> Bool {
        ElementwiseProgram.operators.contains(node.op) || node.op == QuantizedAddParameters.operatorName
    }

    /// The values computed subsampled, decided from the outputs back to the inputs.
    private struct Plan {
        let graph: Graph
        private(set) var subsampled: [ValueID: Subsampling] = [:]

        init(_ graph: Graph) {
            self.graph = graph
            let users = graph.users()
            let outputs = Set(graph.outputs)
            for node in graph.nodes.reversed() {
                guard node.outputs.count == 1, let value = node.outputs.first, !outputs.contains(value),
                      let users = users[value], let subsampling = requiredSubsampling(of: value, users: Set(users)) else { continue }
                if let convolution = Convolution(node, graph) {
                    guard FusedEpilogue(node).slope == nil, convolution.axes == subsampling.axes else { continue }
                    subsampled[value] = subsampling
                } else if StrideHoisting.isElementwise(node),
                          node.operands.allSatisfy({ $0.map { operandRole($0, of: value, axes: subsampling.axes) != nil } ?? true }) {
                    subsampled[value] = subsampling
                }
            }
            // An element-wise node moves the stride only when an operand of its is computed
            // subsampled; its operands come before it, so one pass in order settles chains.
            for node in graph.nodes where StrideHoisting.isElementwise(node) {
                guard let value = node.outputs.first, let subsampling = subsampled[value] else { continue }
                let computed = node.operands.contains { operand in
                    operand.map { graph[$0].type.shape == graph[value].type.shape && subsampled[$0] == subsampling } ?? false
                }
                if !computed { subsampled[value] = nil }
            }
        }

        /// Whether `operand` of the node producing `result` is read subsampled (true: it has the
        /// result's shape) or as it is (false: size 1 along the spatial axes, broadcast); nil
        /// when it is neither.
        private func operandRole(_ operand: ValueID, of result: ValueID, axes: [Int]) -> Bool? {
            let shape = graph[operand].type.shape, resultShape = graph[result].type.shape
            if shape == resultShape { return true }
            let offset = resultShape.count - shape.count
            guard offset >= 0 else { return nil }
            return axes.allSatisfy { $0 < offset || shape[$0 - offset] == 1 } ? false : nil
        }

        /// How every use of `value` reads it, when all read it subsampled alike: as the input of
        /// a pointwise convolution with strides (times the convolution's own subsampling), or as
        /// a same-shaped operand of an element-wise node or residual of a convolution that is
        /// itself computed subsampled. Nil when some use reads it whole.
        private func requiredSubsampling(of value: ValueID, users: Set<Int>) -> Subsampling? {
            var required: Subsampling?
            for index in users {
                let user = graph.nodes[index]
                let own = subsampled[user.outputs.first!]
                var use: Subsampling?
                if let convolution = Convolution(user, graph) {
                    let epilogue = FusedEpilogue(user)
                    if user.operands.filter({ $0 == value }).count != 1 { return nil }
                    if user.operands.first == value {
                        guard convolution.isPointwise else { return nil }
                        let strides = zip(convolution.strides, own?.strides ?? [1, 1]).map { $0 * $1 }
                        guard strides != [1, 1] else { return nil }
                        use = Subsampling(strides: strides, axes: convolution.axes)
                    } else if epilogue.residual == value {
                        use = own
                    }
                } else if StrideHoisting.isElementwise(user), let own, operandRole(value, of: user.outputs[0], axes: own.axes) == true {
                    use = own
                }
                guard let use, required == nil || required == use else { return nil }
                required = use
            }
            return required
        }

        /// The rebuilt node: convolutions with their new strides and element-wise nodes reading
        /// their operands subsampled; nil keeps the node as it is.
        func rewrite(_ node: Node, _ rebuilder: inout GraphRebuilder) throws -> [ValueID]? {
            guard let value = node.outputs.first, let source = graph.producer(of: value) else { return nil }
            let own = subsampled[value]
            var rewritten = node
            if let convolution = Convolution(source, graph) {
                let inputSubsampling = source.operands[0].flatMap { subsampled[$0] }?.strides ?? [1, 1]
                let strides = zip(zip(convolution.strides, own?.strides ?? [1, 1]), inputSubsampling).map { $0.0 * $0.1 / $1 }
                guard strides != convolution.strides || own != nil else { return nil }
                rewritten.attributes["strides"] = strides.allSatisfy { $0 == 1 } ? nil : .ints(strides.map(Int64.init))
                if let own, let residualIndex = source.schema.operandParameterNames.firstIndex(of: "residual"),
                   residualIndex < source.operands.count, let residual = source.operands[residualIndex] {
                    rewritten.operands[residualIndex] = try read(residual, node.operands[residualIndex]!, own, &rebuilder)
                }
            } else if let own {
                for (index, operand) in source.operands.enumerated() {
                    guard let operand, graph[operand].type.shape == graph[value].type.shape else { continue }
                    rewritten.operands[index] = try read(operand, node.operands[index]!, own, &rebuilder)
                }
            } else {
                return nil
            }
            return try rebuilder.addNode(rewritten, outputNames: rebuilder.sourceNames(of: node.outputs))
        }

        /// Source value `operand` (new value `mapped`) subsampled: itself where it is computed
        /// so, otherwise a strided slice of it.
        private func read(_ operand: ValueID, _ mapped: ValueID, _ subsampling: Subsampling,
                          _ rebuilder: inout GraphRebuilder) throws -> ValueID {
            if subsampled[operand] != nil { return mapped }
            let shape = graph[operand].type.shape
            var strides = Array(repeating: Int64(1), count: shape.count)
            for (axis, stride) in zip(subsampling.axes, subsampling.strides) { strides[axis] = Int64(stride) }
            let slice = Node(op: "slice", operands: [mapped],
                             attributes: ["starts": .ints(Array(repeating: 0, count: shape.count)), "sizes": .ints(shape.map(Int64.init)),
                                          "strides": .ints(strides)],
                             location: graph.producer(of: operand)?.location)
            return try rebuilder.addNode(slice, outputNames: [rebuilder.freshName(graph[operand].name + "_strided")])[0]
        }
    }
}
