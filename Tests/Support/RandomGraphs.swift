import WebNNBasics
import WebNNIR

/// Random graphs for the numeric tests of the passes and of the compiled code (a support target
/// shared by test targets), built from a seed: each seed picks a motif that the
/// passes rewrite (conv2d / gemm / matmul followed by per-channel affine ops, shape and identity
/// chains, constant subgraphs with duplicates) with random shapes, layouts and options.
public struct RandomGraphs {
    private var gen: RandomGraphBuilder

    /// A verified random graph and random values for its inputs.
    public static func make(seed: UInt64) throws -> (graph: Graph, inputs: [String: TensorData]) {
        var builder = RandomGraphs(seed: seed)
        switch seed % 6 {
        case 0: try builder.convolution()
        case 1: try builder.dense()
        case 2: try builder.shapeChain()
        case 3: try builder.constantSubgraphs()
        case 4: try builder.epilogues()
        default: try builder.elementwiseChains()
        }
        try Verifier.verify(builder.gen.graph, after: "random graph")
        return (builder.gen.graph, builder.gen.inputs)
    }

    private init(seed: UInt64) { gen = RandomGraphBuilder(seed: seed) }

    // MARK: Motifs

    /// conv2d (random layouts, groups, window) + affine ops, sometimes with a second user.
    private mutating func convolution() throws {
        let layout: InputLayout = gen.coin() ? .nchw : .nhwc
        let channels = gen.int(1...4), outputChannels = gen.int(1...5)
        let depthwise = gen.coin()
        let groups = depthwise ? channels : 1
        let filterOutputs = depthwise ? channels : outputChannels
        let (height, width) = (gen.int(3...6), gen.int(3...6))
        let (kh, kw) = (gen.int(1...3), gen.int(1...3))
        let filterLayout = Conv2dFilterLayout.allCases.randomElement(using: &gen.random)!
        let filterShape: [Int]
        switch filterLayout {
        case .oihw: filterShape = [filterOutputs, channels / groups, kh, kw]
        case .hwio: filterShape = [kh, kw, channels / groups, filterOutputs]
        case .ohwi: filterShape = [filterOutputs, kh, kw, channels / groups]
        case .ihwo: filterShape = [channels / groups, kh, kw, filterOutputs]
        }
        let x = try gen.input(layout.shape(batch: gen.int(1...2), channels: channels, height: height, width: width))
        let filter = try gen.constant(filterShape)
        let bias: ValueID? = gen.coin() ? try gen.constant([filterOutputs]) : nil
        let pad = gen.int(0...1)
        var value = try gen.node("conv2d", [x, filter, bias], [
            "padding": .ints([Int64(pad), Int64(gen.int(0...1)), Int64(pad), 0]), "strides": .ints([Int64(gen.int(1...2)), 1]),
            "groups": .int(Int64(groups)), "inputLayout": .string(layout.rawValue), "filterLayout": .string(filterLayout.rawValue),
        ])
        if gen.coin(0.2) { gen.graph.addOutput(try gen.node("relu", [value])) }
        value = try affineOps(after: value, channelAxis: layout == .nchw ? 1 : 3)
        value = try layoutFollowers(after: value, layout: layout)
        gen.graph.addOutput(value)
    }

    /// Each sometimes: a pool, a concat along channels, a softmax over channels, a reduction of
    /// random axes (what `convert-layout` moves along with the convolution).
    private mutating func layoutFollowers(after start: ValueID, layout: InputLayout) throws -> ValueID {
        var value = start
        let channelAxis = layout == .nchw ? 1 : 3
        if gen.coin(0.4) {
            let (_, _, height, width) = layout.logicalSizes(gen.graph[value].type.shape)
            value = try gen.node(gen.coin() ? "maxPool2d" : "averagePool2d", [value], [
                "windowDimensions": .ints([Int64(min(2, height)), Int64(min(2, width))]), "layout": .string(layout.rawValue),
            ])
        }
        if gen.coin(0.3) { value = try gen.node("concat", [value, value], ["axis": .int(Int64(channelAxis))]) }
        if gen.coin(0.3) { value = try gen.node("softmax", [value], ["axis": .int(Int64(channelAxis))]) }
        if gen.coin(0.3) {
            let axes = (0..<4).filter { _ in gen.coin() }
            value = try gen.node("reduceMean", [value], ["axes": .ints(axes.map(Int64.init)), "keepDimensions": .bool(gen.coin())])
        }
        return value
    }

    /// gemm or matmul with a constant b, then affine ops along the last axis.
    private mutating func dense() throws {
        let (m, k, n) = (gen.int(1...4), gen.int(1...5), gen.int(1...5))
        var value: ValueID
        if gen.coin() {
            let aTranspose = gen.coin(), bTranspose = gen.coin()
            let a = try gen.input(aTranspose ? [k, m] : [m, k])
            let b = try gen.constant(bTranspose ? [n, k] : [k, n])
            let cShapes: [[Int]] = [[n], [m, n], [1, n], [m, 1], []]
            let c: ValueID? = gen.coin() ? try gen.constant(cShapes.randomElement(using: &gen.random)!) : nil
            value = try gen.node("gemm", [a, b, c], [
                "alpha": .double(gen.double(0.5...2)), "beta": .double(gen.double(0.5...2)),
                "aTranspose": .bool(aTranspose), "bTranspose": .bool(bTranspose),
            ])
        } else {
            let batch = gen.coin() ? [gen.int(1...3)] : []
            value = try gen.node("matmul", [try gen.input(batch + [m, k]), try gen.constant([k, n])])
        }
        let rank = gen.graph[value].type.rank
        value = try affineOps(after: value, channelAxis: rank - 1)
        gen.graph.addOutput(value)
    }

    /// conv2d, convTranspose2d, gemm or matmul followed by what `fuse-epilogues` absorbs: a bias
    /// add, a residual add, an activation (each sometimes absent, sometimes with a second user or
    /// as an output).
    private mutating func epilogues() throws {
        var value: ValueID
        var channelAxis: Int
        switch gen.int(0...3) {
        case 0:
            let nhwc = gen.coin(), channels = gen.int(1...3), outputChannels = gen.int(1...4)
            let x = try gen.input((nhwc ? InputLayout.nhwc : .nchw).shape(batch: 1, channels: channels, height: gen.int(2...4), width: gen.int(2...4)))
            let bias: ValueID? = gen.coin() ? try gen.constant([outputChannels]) : nil
            value = try gen.node("conv2d", [x, try gen.constant([outputChannels, channels, 1, gen.int(1...2)]), bias],
                             ["inputLayout": .string(nhwc ? "nhwc" : "nchw"), "padding": .ints([0, 0, Int64(gen.int(0...1)), 0])])
            channelAxis = nhwc ? 3 : 1
        case 1:
            let (m, k, n) = (gen.int(1...3), gen.int(1...4), gen.int(1...4))
            let c: ValueID? = gen.coin() ? try gen.constant([n]) : nil
            value = try gen.node("gemm", [try gen.input([m, k]), try gen.constant([k, n]), c], ["alpha": .double(gen.double(0.5...2)), "beta": .double(gen.double(0.5...2))])
            channelAxis = 1
        case 2:
            let channels = gen.int(1...3), outputChannels = gen.int(1...4)
            let bias: ValueID? = gen.coin() ? try gen.constant([outputChannels]) : nil
            value = try gen.node("convTranspose2d", [try gen.input([1, channels, gen.int(2...4), gen.int(2...4)]),
                                                 try gen.constant([channels, outputChannels, gen.int(1...2), 2]), bias],
                             ["strides": .ints([1, Int64(gen.int(1...2))])])
            channelAxis = 1
        default:
            let batch = gen.coin() ? [gen.int(1...2)] : []
            value = try gen.node("matmul", [try gen.input(batch + [gen.int(1...3), gen.int(1...4)]), try gen.constant([gen.graph[gen.graph.inputs.last!].type.shape.last!, gen.int(1...4)])])
            channelAxis = gen.graph[value].type.rank - 1
        }
        let shape = gen.graph[value].type.shape
        if gen.coin(0.6) {
            let bias = gen.coin(0.8) ? try gen.constant(gen.perChannelShape(shape, channelAxis: channelAxis)) : try gen.input([shape[channelAxis]])
            value = try gen.node(gen.coin(0.7) ? "add" : "sub", gen.coin() ? [value, bias] : [bias, value])
        }
        if gen.coin(0.6) {
            let residual = gen.coin(0.8) ? try gen.input(shape) : try gen.constant(shape)
            value = try gen.node("add", gen.coin() ? [value, residual] : [residual, value])
        }
        if gen.coin(0.15) { gen.graph.addOutput(value) }
        if gen.coin(0.8) {
            switch gen.int(0...9) {
            case 0: value = try gen.node("relu", [value])
            case 1: value = try gen.node("clamp", [value], gen.coin() ? ["minValue": .double(0), "maxValue": .double(6)] : ["maxValue": .double(0.5)])
            case 2: value = try gen.node("sigmoid", [value])
            case 3: value = try gen.node("tanh", [value])
            case 4: value = try gen.node("leakyRelu", [value], gen.coin() ? ["alpha": .double(0.2)] : [:])
            case 5: value = try gen.node("hardSwish", [value])
            case 6: value = try gen.node("elu", [value], gen.coin() ? ["alpha": .double(0.5)] : [:])
            case 7: value = try gen.node("hardSigmoid", [value], gen.coin() ? ["alpha": .double(0.3), "beta": .double(0.4)] : [:])
            case 8: value = try gen.node("gelu", [value])
            default: value = try gen.node("prelu", [value, try gen.constant(gen.perChannelShape(shape, channelAxis: channelAxis))])
            }
        }
        if gen.coin(0.2) { value = try gen.node("relu", [value]) }
        gen.graph.addOutput(value)
    }

    /// Chains and trees of element-wise operators, for `fuse-elementwise`: operands sometimes
    /// broadcast ([n] against [m, n]), intermediates sometimes gen.graph outputs or read twice.
    private mutating func elementwiseChains() throws {
        let shape = [gen.int(1...3), gen.int(1...4)]
        var values = [try gen.input(shape), try gen.input(shape), try gen.constant([shape[1]])]
        let unary: [(String, [String: Attribute])] = [
            ("relu", [:]), ("sigmoid", [:]), ("tanh", [:]), ("clamp", ["minValue": .double(-0.5)]), ("leakyRelu", ["alpha": .double(0.2)]),
            ("neg", [:]), ("abs", [:]), ("linear", ["alpha": .double(2), "beta": .double(-0.5)]), ("exp", [:]),
        ]
        for _ in 0..<gen.int(2...7) {
            let other = values[gen.int(0...values.count - 1)]
            if gen.coin() {
                let (op, attributes) = unary[gen.int(0...unary.count - 1)]
                values.append(try gen.node(op, [values.last!], attributes))
            } else {
                let op = ["add", "sub", "mul", "max", "min"][gen.int(0...4)]
                values.append(try gen.node(op, gen.coin() ? [values.last!, other] : [other, values.last!]))
            }
            if gen.coin(0.15) { gen.graph.addOutput(values.last!) }
        }
        gen.graph.addOutput(values.last!)
    }

    /// Reshape and transpose chains, identity arithmetic and clamps.
    private mutating func shapeChain() throws {
        let shape = [gen.int(1...3), gen.int(1...3), gen.int(1...4)]
        var value = try gen.input(shape)
        for _ in 0..<gen.int(2...6) {
            let current = gen.graph[value].type.shape
            switch gen.int(0...9) {
            case 0: value = try gen.node("reshape", [value], ["newShape": .ints(gen.shuffledFactors(current).map(Int64.init))])
            case 1: value = try gen.node("reshape", [value], ["newShape": .ints(current.map(Int64.init))])
            case 2:
                let permutation = Array(0..<current.count).shuffled(using: &gen.random)
                value = try gen.node("transpose", [value], gen.coin() ? ["permutation": .ints(permutation.map(Int64.init))] : [:])
            case 3:
                let (op, neutral) = [("mul", 1.0), ("add", 0.0), ("sub", 0.0), ("div", 1.0)].randomElement(using: &gen.random)!
                let constantShape = Array(current.suffix(gen.int(0...current.count))).map { gen.coin() ? $0 : 1 }
                let neutralConstant = try gen.graph.addConstant(gen.name("c"), Constant(data: TensorData(filling: .float32, shape: constantShape, with: neutral)))
                value = try gen.node(op, op == "sub" || op == "div" || gen.coin() ? [value, neutralConstant] : [neutralConstant, value])
            case 4: value = try gen.node("clamp", [value], gen.coin() ? [:] : ["minValue": .double(-0.5)])
            default: value = try gen.node("tanh", [value])
            }
        }
        gen.graph.addOutput(value)
    }

    /// Constant-only subgraphs feeding a computation, with duplicated nodes and constants.
    private mutating func constantSubgraphs() throws {
        let (m, k, n) = (gen.int(1...3), gen.int(1...4), gen.int(1...4))
        let x = try gen.input([m, k])
        let weights = try gen.constant([n, k])
        let transposed = try gen.node("transpose", [weights])
        let product = try gen.node("matmul", [x, transposed])
        let offset = try gen.node(["add", "mul", "max"].randomElement(using: &gen.random)!, [try gen.constant([n]), try gen.constant([n])])
        let sum = try gen.node("add", [product, offset])
        let duplicate = try gen.node("add", [product, offset])
        let sigmoid = try gen.node("sigmoid", [sum])
        let sigmoidAgain = try gen.node("sigmoid", [duplicate])
        gen.graph.addOutput(try gen.node("sub", [sigmoid, sigmoidAgain]))
        gen.graph.addOutput(try gen.node("relu", [sum]))
    }

    /// One to three of: batchNormalization, mul, add, sub by constants varying along `channelAxis`
    /// (sometimes not per-channel, or with an extra user, so that some must not fold).
    private mutating func affineOps(after start: ValueID, channelAxis: Int) throws -> ValueID {
        var value = start
        for _ in 0..<gen.int(1...3) {
            let shape = gen.graph[value].type.shape
            let channels = shape[channelAxis]
            switch gen.int(0...4) {
            case 0:
                value = try gen.node("batchNormalization", [
                    value, try gen.constant([channels]), try gen.constant([channels], range: 0.5...2),
                    gen.coin() ? try gen.constant([channels]) : nil, gen.coin() ? try gen.constant([channels]) : nil,
                ], ["axis": .int(Int64(channelAxis)), "epsilon": .double(gen.double(0.0001...0.01))])
            case 1, 2, 3:
                let op = ["mul", "add", "sub"][gen.int(0...2)]
                let parameter = try gen.constant(gen.perChannelShape(shape, channelAxis: channelAxis))
                value = try gen.node(op, op == "sub" || gen.coin() ? [value, parameter] : [parameter, value])
            default:
                value = try gen.node("relu", [value])
            }
        }
        return value
    }
}
