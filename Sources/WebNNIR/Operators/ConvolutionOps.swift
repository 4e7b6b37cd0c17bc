import WebNNBasics

/// The sizes shared by conv2d and convTranspose2d, and what follows from them.
public protocol ConvolutionGeometry {
    var groups: Int { get }
    var inputLayout: InputLayout { get }
    var batch: Int { get }
    var inputChannels: Int { get }
    var inputHeight: Int { get }
    var inputWidth: Int { get }
    var outputChannels: Int { get }
    var outputHeight: Int { get }
    var outputWidth: Int { get }
}

extension ConvolutionGeometry {
    /// The input and filter types, after the rules both convolutions share: float, same type, rank 4.
    static func checkedInputAndFilter(_ types: OperandTypes) throws -> (input: TensorType, filter: TensorType) {
        let input = try types("input"), filter = try types("filter")
        try ShapeRules.require(input, "input", in: ShapeRules.floats)
        try ShapeRules.requireSameDataType(input, "input", filter, "filter")
        try ShapeRules.requireRank(input, "input", 4...4)
        try ShapeRules.requireRank(filter, "filter", 4...4)
        return (input, filter)
    }

    public var inputStrides: ActivationStrides {
        ActivationStrides(layout: inputLayout, channels: inputChannels, height: inputHeight, width: inputWidth)
    }
    public var outputStrides: ActivationStrides {
        ActivationStrides(layout: inputLayout, channels: outputChannels, height: outputHeight, width: outputWidth)
    }
    public var inputChannelsPerGroup: Int { inputChannels / groups }
    public var outputChannelsPerGroup: Int { outputChannels / groups }
    public var outputShape: [Int] {
        inputLayout.shape(batch: batch, channels: outputChannels, height: outputHeight, width: outputWidth)
    }
}

/// `MLConv2dFilterOperandLayout`.
public enum Conv2dFilterLayout: String, CaseIterable, Sendable {
    case oihw, hwio, ohwi, ihwo
}

/// Everything about one conv2d node, resolved from its attributes and operand types.
public struct Conv2dParameters: ConvolutionGeometry, Hashable, Sendable {
    public var window: Window2d
    public var groups: Int
    public var inputLayout: InputLayout
    public var filterLayout: Conv2dFilterLayout
    public var batch: Int
    public var inputChannels: Int, inputHeight: Int, inputWidth: Int
    public var outputChannels: Int, outputHeight: Int, outputWidth: Int
    public var kernelHeight: Int, kernelWidth: Int
    /// Element strides of the filter by logical axis (output channel, input channel within the group, kh, kw).
    public var filterStrides: (o: Int, i: Int, h: Int, w: Int) { strides(filterLayout) }

    public init(_ node: Node, _ graph: Graph) throws {
        let types = OperandTypes(node, graph)
        let (input, filter) = try Self.checkedInputAndFilter(types)
        try self.init(node, input: input, filter: filter)
        if let bias = types.optional("bias") {
            try ShapeRules.requireSameDataType(input, "input", bias, "bias")
            guard bias.shape == [outputChannels] else {
                throw ShapeError("bias must have shape [\(outputChannels)], but has \(bias.shape)")
            }
        }
    }

    /// The geometry of a convolution of `input` with `filter` (rank 4 each) under `node`'s
    /// window, groups and layout options, without conv2d's type rules (quantizedConv2d shares it).
    public init(_ node: Node, input: TensorType, filter: TensorType) throws {
        window = try Window2d(node: node)
        groups = node.int("groups") ?? 1
        inputLayout = InputLayout(rawValue: node.string("inputLayout") ?? "nchw") ?? .nchw
        filterLayout = Conv2dFilterLayout(rawValue: node.string("filterLayout") ?? "oihw") ?? .oihw
        (batch, inputChannels, inputHeight, inputWidth) = inputLayout.logicalSizes(input.shape)
        let f = filter.shape
        let filterInputChannels: Int
        switch filterLayout {
        case .oihw: (outputChannels, filterInputChannels, kernelHeight, kernelWidth) = (f[0], f[1], f[2], f[3])
        case .hwio: (kernelHeight, kernelWidth, filterInputChannels, outputChannels) = (f[0], f[1], f[2], f[3])
        case .ohwi: (outputChannels, kernelHeight, kernelWidth, filterInputChannels) = (f[0], f[1], f[2], f[3])
        case .ihwo: (filterInputChannels, kernelHeight, kernelWidth, outputChannels) = (f[0], f[1], f[2], f[3])
        }
        guard groups > 0 else { throw ShapeError("groups must be > 0, got \(groups)") }
        guard filterInputChannels.multipliedReportingOverflow(by: groups) == (inputChannels, false) else {
            throw ShapeError("filter input channels (\(filterInputChannels)) x groups (\(groups)) != input channels (\(inputChannels))")
        }
        guard outputChannels % groups == 0 else {
            throw ShapeError("output channels (\(outputChannels)) are not divisible by groups (\(groups))")
        }
        let (height, width) = try window.unroundedOutput(height: inputHeight, width: inputWidth,
                                                         kernel: (kernelHeight, kernelWidth))
        (outputHeight, outputWidth) = (Int(height.rounded(.down)), Int(width.rounded(.down)))
    }

    private func strides(_ layout: Conv2dFilterLayout) -> (o: Int, i: Int, h: Int, w: Int) {
        let (o, i, h, w) = (outputChannels, inputChannelsPerGroup, kernelHeight, kernelWidth)
        switch layout {
        case .oihw: return (i * h * w, h * w, w, 1)
        case .hwio: return (1, o, w * i * o, i * o)
        case .ohwi: return (h * w * i, 1, w * i, i)
        case .ihwo: return (1, h * w * o, w * o, o)
        }
    }
}

/// `MLConvTranspose2dFilterOperandLayout`.
public enum ConvTranspose2dFilterLayout: String, CaseIterable, Sendable {
    case iohw, hwoi, ohwi
}

/// Everything about one convTranspose2d node, resolved from its attributes and operand types.
/// Output element (oh, ow) receives input element (ih, iw) through kernel tap (kh, kw) when
/// oh = ih * strideH - padTop + kh * dilationH (and likewise for columns).
public struct ConvTranspose2dParameters: ConvolutionGeometry, Hashable, Sendable {
    public var window: Window2d
    public var outputPadding: [Int]
    public var groups: Int
    public var inputLayout: InputLayout
    public var filterLayout: ConvTranspose2dFilterLayout
    public var batch: Int
    public var inputChannels: Int, inputHeight: Int, inputWidth: Int
    public var outputChannels: Int, outputHeight: Int, outputWidth: Int
    public var kernelHeight: Int, kernelWidth: Int
    /// Element strides of the filter by logical axis (input channel, output channel within the group, kh, kw).
    public var filterStrides: (i: Int, o: Int, h: Int, w: Int) {
        let (i, o, h, w) = (inputChannels, outputChannelsPerGroup, kernelHeight, kernelWidth)
        switch filterLayout {
        case .iohw: return (o * h * w, h * w, w, 1)
        case .hwoi: return (1, i, w * o * i, o * i)
        case .ohwi: return (1, h * w * i, w * i, i)
        }
    }

    public init(_ node: Node, _ graph: Graph) throws {
        let types = OperandTypes(node, graph)
        let (input, filter) = try Self.checkedInputAndFilter(types)
        window = try Window2d(node: node)
        outputPadding = node.ints("outputPadding") ?? [0, 0]
        try ShapeRules.requireCount(outputPadding, 2, "outputPadding")
        groups = node.int("groups") ?? 1
        inputLayout = InputLayout(rawValue: node.string("inputLayout") ?? "nchw") ?? .nchw
        filterLayout = ConvTranspose2dFilterLayout(rawValue: node.string("filterLayout") ?? "iohw") ?? .iohw
        (batch, inputChannels, inputHeight, inputWidth) = inputLayout.logicalSizes(input.shape)
        let f = filter.shape
        let filterInputChannels, filterOutputChannels: Int
        switch filterLayout {
        case .iohw: (filterInputChannels, filterOutputChannels, kernelHeight, kernelWidth) = (f[0], f[1], f[2], f[3])
        case .hwoi: (kernelHeight, kernelWidth, filterOutputChannels, filterInputChannels) = (f[0], f[1], f[2], f[3])
        case .ohwi: (filterOutputChannels, kernelHeight, kernelWidth, filterInputChannels) = (f[0], f[1], f[2], f[3])
        }
        guard groups > 0 else { throw ShapeError("groups must be > 0, got \(groups)") }
        guard filterInputChannels == inputChannels else {
            throw ShapeError("filter input channels (\(filterInputChannels)) != input channels (\(inputChannels))")
        }
        guard inputChannels % groups == 0 else {
            throw ShapeError("input channels (\(inputChannels)) are not divisible by groups (\(groups))")
        }
        outputChannels = filterOutputChannels * groups
        // The spec checks outputPadding only without outputSizes (which then wins and ignores it).
        for axis in 0..<2 where node.ints("outputSizes") == nil && (outputPadding[axis] < 0 || outputPadding[axis] >= window.strides[axis]) {
            throw ShapeError("outputPadding \(outputPadding) must be >= 0 and less than strides \(window.strides)")
        }
        let inputSizes = [inputHeight, inputWidth], kernel = [kernelHeight, kernelWidth]
        let padding = [window.padTop + window.padBottom, window.padLeft + window.padRight]
        let strides = window.strides, dilations = window.dilations
        let sizes = (0..<2).map { axis -> Int in
            let spread: Int = (inputSizes[axis] - 1) * strides[axis]
            let reach: Int = (kernel[axis] - 1) * dilations[axis] + 1
            return spread + reach - padding[axis]
        }
        guard sizes.allSatisfy({ $0 > 0 }) else {
            throw ShapeError("padding \(window.padding) leaves no output (output sizes before padding would be \(sizes))")
        }
        if let outputSizes = node.ints("outputSizes") {
            try ShapeRules.requireCount(outputSizes, 2, "outputSizes")
            for axis in 0..<2 where outputSizes[axis] < sizes[axis] || outputSizes[axis] >= sizes[axis] + window.strides[axis] {
                throw ShapeError("outputSizes \(outputSizes) must be at least \(sizes) and less than that plus strides \(window.strides)")
            }
            (outputHeight, outputWidth) = (outputSizes[0], outputSizes[1])
        } else {
            (outputHeight, outputWidth) = (sizes[0] + outputPadding[0], sizes[1] + outputPadding[1])
        }
        if let bias = types.optional("bias") {
            try ShapeRules.requireSameDataType(input, "input", bias, "bias")
            guard bias.shape == [outputChannels] else {
                throw ShapeError("bias must have shape [\(outputChannels)], but has \(bias.shape)")
            }
        }
    }
}

enum ConvolutionOps {
    static let windowOptions = [
        Parameter("padding", .ints, default: .ints([0, 0, 0, 0])),
        Parameter("strides", .ints, default: .ints([1, 1])),
        Parameter("dilations", .ints, default: .ints([1, 1])),
    ]

    static let conv2d = OpSchema(
        "conv2d", positional: [Parameter("input", .operand), Parameter("filter", .operand)],
        options: windowOptions + [
            Parameter("groups", .int, default: .int(1)),
            Parameter("inputLayout", .enumeration(InputLayout.allCases.map(\.rawValue)), default: .string("nchw")),
            Parameter("filterLayout", .enumeration(Conv2dFilterLayout.allCases.map(\.rawValue)), default: .string("oihw")),
            Parameter("bias", .operand),
        ] + FusedEpilogue.options
    ) { node, graph in
        let parameters = try Conv2dParameters(node, graph)
        let output = TensorType(graph[node.operands[0]!].type.dataType, parameters.outputShape)
        try FusedEpilogue.check(node, graph, output: output)
        return [output]
    }

    static let convTranspose2d = OpSchema(
        "convTranspose2d", positional: [Parameter("input", .operand), Parameter("filter", .operand)],
        options: windowOptions + [
            Parameter("outputPadding", .ints, default: .ints([0, 0])),
            Parameter("outputSizes", .ints),
            Parameter("groups", .int, default: .int(1)),
            Parameter("inputLayout", .enumeration(InputLayout.allCases.map(\.rawValue)), default: .string("nchw")),
            Parameter("filterLayout", .enumeration(ConvTranspose2dFilterLayout.allCases.map(\.rawValue)), default: .string("iohw")),
            Parameter("bias", .operand),
        ] + FusedEpilogue.options
    ) { node, graph in
        let parameters = try ConvTranspose2dParameters(node, graph)
        let output = TensorType(graph[node.operands[0]!].type.dataType, parameters.outputShape)
        try FusedEpilogue.check(node, graph, output: output)
        return [output]
    }

    static var schemas: [OpSchema] { [conv2d, convTranspose2d] }
}
