import WebNNBasics
import WebNNIR

/// Resolved options of `instanceNormalization` and `layerNormalization`:
/// `(x − mean) / sqrt(variance + epsilon) · scale + bias`, where mean and (population) variance
/// are taken over the input axes `reducedAxes` for each position of the other axes, and scale
/// and bias element `Σ position[axis] · parameterStrides[axis]` applies to an element.
public struct MeanVarianceNormalizationAttributes: Hashable, Sendable {
    /// The axes each mean and variance is taken over, ascending.
    public var reducedAxes: [Int]
    /// Element strides of scale and bias per input axis (0 on axes they do not depend on).
    public var parameterStrides: [Int]
    /// epsilon as an `MLNumber` (cast to the input type where it is used).
    public var epsilon: Double
    public var hasScale: Bool
    public var hasBias: Bool

    public init(reducedAxes: [Int], parameterStrides: [Int], epsilon: Double = 1e-5, hasScale: Bool = false, hasBias: Bool = false) {
        self.reducedAxes = reducedAxes
        self.parameterStrides = parameterStrides
        self.epsilon = epsilon
        self.hasScale = hasScale
        self.hasBias = hasBias
    }
}

/// Resolved options of `resample2d`: output coordinate o of `axes[i]` reads input coordinate
/// clamp((o + 0.5) / scales[i] − 0.5, 0, size − 1) (half-pixel).
public struct Resample2dAttributes: Hashable, Sendable {
    public var mode: InterpolationMode
    /// The two resampled axes.
    public var axes: [Int]
    /// Output size / input size per resampled axis.
    public var scales: [Double]

    public init(mode: InterpolationMode, axes: [Int], scales: [Double]) {
        self.mode = mode
        self.axes = axes
        self.scales = scales
    }
}

/// The kernels of convTranspose2d, l2Pool2d, instanceNormalization, layerNormalization,
/// resample2d, quantizeLinear and dequantizeLinear, with their operands (nil operands left out).
func lowerSpatialOrNormalization(_ node: Node, _ graph: Graph) throws -> (Kernel, [ValueID]) {
    let present = node.operands.compactMap { $0 }
    func operands(_ names: String...) -> [ValueID] { names.compactMap { node.operand($0) } }
    switch node.op {
    case "convTranspose2d":
        let p = try ConvTranspose2dParameters(node, graph)
        var attributes = ConvTranspose2dAttributes(padding: p.window.padding, strides: p.window.strides,
                                                   dilations: p.window.dilations, groups: p.groups,
                                                   inputLayout: p.inputLayout, filterLayout: p.filterLayout)
        attributes.epilogue = Epilogue(node, graph)
        return (.convTranspose2d(attributes), operands("input", "filter", "bias", "residual", "fusedSlope"))
    case "l2Pool2d":
        let p = try Pool2dParameters(node, graph)
        let attributes = Pool2dAttributes(kind: .l2, windowDimensions: [p.windowHeight, p.windowWidth],
                                          padding: p.window.padding, strides: p.window.strides,
                                          dilations: p.window.dilations, layout: p.layout)
        return (.pool2d(attributes), operands("input"))
    case "instanceNormalization":
        let rank = 4
        let nhwc = node.string("layout") == InputLayout.nhwc.rawValue
        let channelAxis = nhwc ? 3 : 1
        let attributes = MeanVarianceNormalizationAttributes(
            reducedAxes: nhwc ? [1, 2] : [2, 3],
            parameterStrides: (0..<rank).map { $0 == channelAxis ? 1 : 0 },
            epsilon: node.double("epsilon") ?? 1e-5,
            hasScale: node.operand("scale") != nil, hasBias: node.operand("bias") != nil)
        return (.meanVarianceNormalization(attributes), operands("input", "scale", "bias"))
    case "layerNormalization":
        guard let input = node.operand("input") else { throw Diagnostic("layerNormalization without input", at: node.location) }
        let shape = graph[input].type.shape
        let axes = layerNormalizationAxes(node, rank: shape.count)
        let axisStrides = rowMajorStrides(axes.map { shape[$0] })
        var parameterStrides = [Int](repeating: 0, count: shape.count)
        for (axis, stride) in zip(axes, axisStrides) { parameterStrides[axis] = stride }
        let attributes = MeanVarianceNormalizationAttributes(
            reducedAxes: axes.sorted(), parameterStrides: parameterStrides,
            epsilon: node.double("epsilon") ?? 1e-5,
            hasScale: node.operand("scale") != nil, hasBias: node.operand("bias") != nil)
        return (.meanVarianceNormalization(attributes), operands("input", "scale", "bias"))
    case "resample2d":
        let p = try Resample2dParameters(node, graph)
        return (.resample2d(Resample2dAttributes(mode: p.mode, axes: p.axes, scales: p.scales)), operands("input"))
    case "quantizeLinear":
        return (.quantizeLinear, present)
    case "dequantizeLinear":
        return (.dequantizeLinear, present)
    default:
        throw Diagnostic("operator '\(node.op)' is not supported by the code generator yet", at: node.location)
    }
}
