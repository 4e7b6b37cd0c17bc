import WebNNBasics

/// `MLRoundingType`.
public enum RoundingType: String, CaseIterable, Sendable {
    case floor, ceil
}

/// Everything about one pooling node, resolved from its attributes and input type.
public struct Pool2dParameters: Hashable, Sendable {
    public var window: Window2d
    public var windowHeight: Int, windowWidth: Int
    public var layout: InputLayout
    public var batch: Int, channels: Int
    public var inputHeight: Int, inputWidth: Int
    public var outputHeight: Int, outputWidth: Int
    public var inputStrides: ActivationStrides {
        ActivationStrides(layout: layout, channels: channels, height: inputHeight, width: inputWidth)
    }
    public var outputStrides: ActivationStrides {
        ActivationStrides(layout: layout, channels: channels, height: outputHeight, width: outputWidth)
    }
    public var outputShape: [Int] {
        layout.shape(batch: batch, channels: channels, height: outputHeight, width: outputWidth)
    }

    public init(_ node: Node, _ graph: Graph) throws {
        let input = try OperandTypes(node, graph)("input")
        try ShapeRules.requireRank(input, "input", 4...4)
        window = try Window2d(node: node)
        layout = InputLayout(rawValue: node.string("layout") ?? "nchw") ?? .nchw
        (batch, channels, inputHeight, inputWidth) = layout.logicalSizes(input.shape)
        let dimensions = node.ints("windowDimensions") ?? [inputHeight, inputWidth]
        try ShapeRules.requireCount(dimensions, 2, "windowDimensions")
        try ShapeRules.requirePositive(dimensions, "windowDimensions")
        (windowHeight, windowWidth) = (dimensions[0], dimensions[1])
        let (height, width) = try window.unroundedOutput(height: inputHeight, width: inputWidth,
                                                         kernel: (windowHeight, windowWidth))
        let floorSizes = [Int(height.rounded(.down)), Int(width.rounded(.down))]
        let ceilSizes = [Int(height.rounded(.up)), Int(width.rounded(.up))]
        if let sizes = node.ints("outputSizes") {
            try ShapeRules.requireCount(sizes, 2, "outputSizes")
            for axis in 0..<2 where sizes[axis] != floorSizes[axis] && sizes[axis] != ceilSizes[axis] {
                throw ShapeError("outputSizes \(sizes) must match the floor \(floorSizes) or ceil \(ceilSizes) output size")
            }
            (outputHeight, outputWidth) = (sizes[0], sizes[1])
        } else if node.string("outputShapeRounding") == RoundingType.ceil.rawValue {
            (outputHeight, outputWidth) = (ceilSizes[0], ceilSizes[1])
        } else {
            (outputHeight, outputWidth) = (floorSizes[0], floorSizes[1])
        }
    }
}

enum PoolingOps {
    static func pool(_ name: String, types: Set<DataType>) -> OpSchema {
        OpSchema(
            name, positional: [Parameter("input", .operand)],
            options: [Parameter("windowDimensions", .ints)] + ConvolutionOps.windowOptions + [
                Parameter("layout", .enumeration(InputLayout.allCases.map(\.rawValue)), default: .string("nchw")),
                Parameter("outputShapeRounding", .enumeration(RoundingType.allCases.map(\.rawValue)), default: .string("floor")),
                Parameter("outputSizes", .ints),
            ]
        ) { node, graph in
            let input = try OperandTypes(node, graph)("input")
            try ShapeRules.require(input, "input", in: types)
            return [TensorType(input.dataType, try Pool2dParameters(node, graph).outputShape)]
        }
    }

    static var schemas: [OpSchema] {
        [pool("averagePool2d", types: ShapeRules.floats), pool("l2Pool2d", types: ShapeRules.floats),
         pool("maxPool2d", types: ShapeRules.all)]
    }
}
