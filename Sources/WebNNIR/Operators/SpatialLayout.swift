/// Element strides of a 4-D activation tensor, by logical axis, whatever its memory layout.
public struct ActivationStrides: Hashable, Sendable {
    public var batch: Int, channel: Int, height: Int, width: Int

    /// Strides of a dense tensor of logical size `channels x height x width` per batch item.
    public init(layout: InputLayout, channels: Int, height: Int, width: Int) {
        switch layout {
        case .nchw: (batch, channel, self.height, self.width) = (channels * height * width, height * width, width, 1)
        case .nhwc: (batch, channel, self.height, self.width) = (height * width * channels, 1, width * channels, channels)
        }
    }
}

/// `MLInputOperandLayout`.
public enum InputLayout: String, CaseIterable, Sendable {
    case nchw, nhwc

    /// Logical (N, C, H, W) sizes of a shape in this layout.
    public func logicalSizes(_ shape: [Int]) -> (batch: Int, channels: Int, height: Int, width: Int) {
        switch self {
        case .nchw: return (shape[0], shape[1], shape[2], shape[3])
        case .nhwc: return (shape[0], shape[3], shape[1], shape[2])
        }
    }

    /// The shape in this layout of logical sizes (N, C, H, W).
    public func shape(batch: Int, channels: Int, height: Int, width: Int) -> [Int] {
        switch self {
        case .nchw: return [batch, channels, height, width]
        case .nhwc: return [batch, height, width, channels]
        }
    }
}

/// Padding, strides and dilations of a 2-D window over H and W.
public struct Window2d: Hashable, Sendable {
    /// [beginH, endH, beginW, endW], as in WebNN.
    public var padding: [Int]
    public var strides: [Int]
    public var dilations: [Int]

    public var padTop: Int { padding[0] }
    public var padBottom: Int { padding[1] }
    public var padLeft: Int { padding[2] }
    public var padRight: Int { padding[3] }

    init(node: Node) throws {
        padding = node.ints("padding") ?? [0, 0, 0, 0]
        strides = node.ints("strides") ?? [1, 1]
        dilations = node.ints("dilations") ?? [1, 1]
        try ShapeRules.requireCount(padding, 4, "padding")
        try ShapeRules.requireCount(strides, 2, "strides")
        try ShapeRules.requireCount(dilations, 2, "dilations")
        guard padding.allSatisfy({ $0 >= 0 }) else { throw ShapeError("padding must be >= 0, got \(padding)") }
        try ShapeRules.requirePositive(strides, "strides")
        try ShapeRules.requirePositive(dilations, "dilations")
    }

    /// Output sizes (H, W) before rounding, for an input of `height x width` and a `kernel`.
    func unroundedOutput(height: Int, width: Int, kernel: (Int, Int)) throws -> (Double, Double) {
        (try ShapeRules.windowedSize(input: height, window: kernel.0, dilation: dilations[0], stride: strides[0],
                                     padBegin: padTop, padEnd: padBottom, role: "height"),
         try ShapeRules.windowedSize(input: width, window: kernel.1, dilation: dilations[1], stride: strides[1],
                                     padBegin: padLeft, padEnd: padRight, role: "width"))
    }
}
