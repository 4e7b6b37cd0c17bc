import WebNNBasics
import WebNNIR

/// Random graphs for the numeric tests of the passes and of the compiled code (a support target
/// shared by test targets), built from a seed: each seed picks a motif that the
/// passes rewrite (conv2d / gemm / matmul followed by per-channel affine ops, shape and identity
/// chains, constant subgraphs with duplicates) with random shapes, layouts and options.
public struct RandomGraphs {
    private var random: SeededGenerator
    private var graph = Graph(name: "random")
    private var inputs: [String: TensorData] = [:]

    /// A verified random graph and random values for its inputs.
    public static func make(seed: UInt64) throws -> (graph: Graph, inputs: [String: TensorData]) {
        var builder = RandomGraphs(random: SeededGenerator(seed: seed))
        switch seed % 6 {
        case 0: try builder.convolution()
        case 1: try builder.dense()
        case 2: try builder.shapeChain()
        case 3: try builder.constantSubgraphs()
        case 4: try builder.epilogues()
        default: try builder.elementwiseChains()
        }
        try Verifier.verify(builder.graph, after: "random graph")
        return (builder.graph, builder.inputs)
    }

    private init(random: SeededGenerator) { self.random = random }

    // MARK: Motifs

    /// conv2d (random layouts, groups, window) + affine ops, sometimes with a second user.
    private mutating func convolution() throws {
        let layout: InputLayout = coin() ? .nchw : .nhwc
        let channels = int(1...4), outputChannels = int(1...5)
        let depthwise = coin()
        let groups = depthwise ? channels : 1
        let filterOutputs = depthwise ? channels : outputChannels
        let (height, width) = (int(3...6), int(3...6))
        let (kh, kw) = (int(1...3), int(1...3))
        let filterLayout = Conv2dFilterLayout.allCases.randomElement(using: &random)!
        let filterShape: [Int]
        switch filterLayout {
        case .oihw: filterShape = [filterOutputs, channels / groups, kh, kw]
        case .hwio: filterShape = [kh, kw, channels / groups, filterOutputs]
        case .ohwi: filterShape = [filterOutputs, kh, kw, channels / groups]
        case .ihwo: filterShape = [channels / groups, kh, kw, filterOutputs]
        }
        let x = try input(layout.shape(batch: int(1...2), channels: channels, height: height, width: width))
        let filter = try constant(filterShape)
        let bias: ValueID? = coin() ? try constant([filterOutputs]) : nil
        let pad = int(0...1)
        var value = try node("conv2d", [x, filter, bias], [
            "padding": .ints([Int64(pad), Int64(int(0...1)), Int64(pad), 0]), "strides": .ints([Int64(int(1...2)), 1]),
            "groups": .int(Int64(groups)), "inputLayout": .string(layout.rawValue), "filterLayout": .string(filterLayout.rawValue),
        ])
        if coin(0.2) { graph.addOutput(try node("relu", [value])) }
        value = try affineOps(after: value, channelAxis: layout == .nchw ? 1 : 3)
        value = try layoutFollowers(after: value, layout: layout)
        graph.addOutput(value)
    }

    /// Each sometimes: a pool, a concat along channels, a softmax over channels, a reduction of
    /// random axes (what `convert-layout` moves along with the convolution).
    private mutating func layoutFollowers(after start: ValueID, layout: InputLayout) throws -> ValueID {
        var value = start
        let channelAxis = layout == .nchw ? 1 : 3
        if coin(0.4) {
            let (_, _, height, width) = layout.logicalSizes(graph[value].type.shape)
            value = try node(coin() ? "maxPool2d" : "averagePool2d", [value], [
                "windowDimensions": .ints([Int64(min(2, height)), Int64(min(2, width))]), "layout": .string(layout.rawValue),
            ])
        }
        if coin(0.3) { value = try node("concat", [value, value], ["axis": .int(Int64(channelAxis))]) }
        if coin(0.3) { value = try node("softmax", [value], ["axis": .int(Int64(channelAxis))]) }
        if coin(0.3) {
            let axes = (0..<4).filter { _ in coin() }
            value = try node("reduceMean", [value], ["axes": .ints(axes.map(Int64.init)), "keepDimensions": .bool(coin())])
        }
        return value
    }

    /// gemm or matmul with a constant b, then affine ops along the last axis.
    private mutating func dense() throws {
        let (m, k, n) = (int(1...4), int(1...5), int(1...5))
        var value: ValueID
        if coin() {
            let aTranspose = coin(), bTranspose = coin()
            let a = try input(aTranspose ? [k, m] : [m, k])
            let b = try constant(bTranspose ? [n, k] : [k, n])
            let cShapes: [[Int]] = [[n], [m, n], [1, n], [m, 1], []]
            let c: ValueID? = coin() ? try constant(cShapes.randomElement(using: &random)!) : nil
            value = try node("gemm", [a, b, c], [
                "alpha": .double(double(0.5...2)), "beta": .double(double(0.5...2)),
                "aTranspose": .bool(aTranspose), "bTranspose": .bool(bTranspose),
            ])
        } else {
            let batch = coin() ? [int(1...3)] : []
            value = try node("matmul", [try input(batch + [m, k]), try constant([k, n])])
        }
        let rank = graph[value].type.rank
        value = try affineOps(after: value, channelAxis: rank - 1)
        graph.addOutput(value)
    }

    /// conv2d, convTranspose2d, gemm or matmul followed by what `fuse-epilogues` absorbs: a bias
    /// add, a residual add, an activation (each sometimes absent, sometimes with a second user or
    /// as an output).
    private mutating func epilogues() throws {
        var value: ValueID
        var channelAxis: Int
        switch int(0...3) {
        case 0:
            let nhwc = coin(), channels = int(1...3), outputChannels = int(1...4)
            let x = try input((nhwc ? InputLayout.nhwc : .nchw).shape(batch: 1, channels: channels, height: int(2...4), width: int(2...4)))
            let bias: ValueID? = coin() ? try constant([outputChannels]) : nil
            value = try node("conv2d", [x, try constant([outputChannels, channels, 1, int(1...2)]), bias],
                             ["inputLayout": .string(nhwc ? "nhwc" : "nchw"), "padding": .ints([0, 0, Int64(int(0...1)), 0])])
            channelAxis = nhwc ? 3 : 1
        case 1:
            let (m, k, n) = (int(1...3), int(1...4), int(1...4))
            let c: ValueID? = coin() ? try constant([n]) : nil
            value = try node("gemm", [try input([m, k]), try constant([k, n]), c], ["alpha": .double(double(0.5...2)), "beta": .double(double(0.5...2))])
            channelAxis = 1
        case 2:
            let channels = int(1...3), outputChannels = int(1...4)
            let bias: ValueID? = coin() ? try constant([outputChannels]) : nil
            value = try node("convTranspose2d", [try input([1, channels, int(2...4), int(2...4)]),
                                                 try constant([channels, outputChannels, int(1...2), 2]), bias],
                             ["strides": .ints([1, Int64(int(1...2))])])
            channelAxis = 1
        default:
            let batch = coin() ? [int(1...2)] : []
            value = try node("matmul", [try input(batch + [int(1...3), int(1...4)]), try constant([graph[graph.inputs.last!].type.shape.last!, int(1...4)])])
            channelAxis = graph[value].type.rank - 1
        }
        let shape = graph[value].type.shape
        if coin(0.6) {
            let bias = coin(0.8) ? try constant(perChannelShape(shape, channelAxis: channelAxis)) : try input([shape[channelAxis]])
            value = try node(coin(0.7) ? "add" : "sub", coin() ? [value, bias] : [bias, value])
        }
        if coin(0.6) {
            let residual = coin(0.8) ? try input(shape) : try constant(shape)
            value = try node("add", coin() ? [value, residual] : [residual, value])
        }
        if coin(0.15) { graph.addOutput(value) }
        if coin(0.8) {
            switch int(0...9) {
            case 0: value = try node("relu", [value])
            case 1: value = try node("clamp", [value], coin() ? ["minValue": .double(0), "maxValue": .double(6)] : ["maxValue": .double(0.5)])
            case 2: value = try node("sigmoid", [value])
            case 3: value = try node("tanh", [value])
            case 4: value = try node("leakyRelu", [value], coin() ? ["alpha": .double(0.2)] : [:])
            case 5: value = try node("hardSwish", [value])
            case 6: value = try node("elu", [value], coin() ? ["alpha": .double(0.5)] : [:])
            case 7: value = try node("hardSigmoid", [value], coin() ? ["alpha": .double(0.3), "beta": .double(0.4)] : [:])
            case 8: value = try node("gelu", [value])
            default: value = try node("prelu", [value, try constant(perChannelShape(shape, channelAxis: channelAxis))])
            }
        }
        if coin(0.2) { value = try node("relu", [value]) }
        graph.addOutput(value)
    }

    /// Chains and trees of element-wise operators, for `fuse-elementwise`: operands sometimes
    /// broadcast ([n] against [m, n]), intermediates sometimes graph outputs or read twice.
    private mutating func elementwiseChains() throws {
        let shape = [int(1...3), int(1...4)]
        var values = [try input(shape), try input(shape), try constant([shape[1]])]
        let unary: [(String, [String: Attribute])] = [
            ("relu", [:]), ("sigmoid", [:]), ("tanh", [:]), ("clamp", ["minValue": .double(-0.5)]), ("leakyRelu", ["alpha": .double(0.2)]),
            ("neg", [:]), ("abs", [:]), ("linear", ["alpha": .double(2), "beta": .double(-0.5)]), ("exp", [:]),
        ]
        for _ in 0..<int(2...7) {
            let other = values[int(0...values.count - 1)]
            if coin() {
                let (op, attributes) = unary[int(0...unary.count - 1)]
                values.append(try node(op, [values.last!], attributes))
            } else {
                let op = ["add", "sub", "mul", "max", "min"][int(0...4)]
                values.append(try node(op, coin() ? [values.last!, other] : [other, values.last!]))
            }
            if coin(0.15) { graph.addOutput(values.last!) }
        }
        graph.addOutput(values.last!)
    }

    /// Reshape and transpose chains, identity arithmetic and clamps.
    private mutating func shapeChain() throws {
        let shape = [int(1...3), int(1...3), int(1...4)]
        var value = try input(shape)
        for _ in 0..<int(2...6) {
            let current = graph[value].type.shape
            switch int(0...9) {
            case 0: value = try node("reshape", [value], ["newShape": .ints(shuffledFactors(current).map(Int64.init))])
            case 1: value = try node("reshape", [value], ["newShape": .ints(current.map(Int64.init))])
            case 2:
                let permutation = Array(0..<current.count).shuffled(using: &random)
                value = try node("transpose", [value], coin() ? ["permutation": .ints(permutation.map(Int64.init))] : [:])
            case 3:
                let (op, neutral) = [("mul", 1.0), ("add", 0.0), ("sub", 0.0), ("div", 1.0)].randomElement(using: &random)!
                let constantShape = Array(current.suffix(int(0...current.count))).map { coin() ? $0 : 1 }
                let neutralConstant = try graph.addConstant(name("c"), Constant(data: TensorData(filling: .float32, shape: constantShape, with: neutral)))
                value = try node(op, op == "sub" || op == "div" || coin() ? [value, neutralConstant] : [neutralConstant, value])
            case 4: value = try node("clamp", [value], coin() ? [:] : ["minValue": .double(-0.5)])
            default: value = try node("tanh", [value])
            }
        }
        graph.addOutput(value)
    }

    /// Constant-only subgraphs feeding a computation, with duplicated nodes and constants.
    private mutating func constantSubgraphs() throws {
        let (m, k, n) = (int(1...3), int(1...4), int(1...4))
        let x = try input([m, k])
        let weights = try constant([n, k])
        let transposed = try node("transpose", [weights])
        let product = try node("matmul", [x, transposed])
        let offset = try node(["add", "mul", "max"].randomElement(using: &random)!, [try constant([n]), try constant([n])])
        let sum = try node("add", [product, offset])
        let duplicate = try node("add", [product, offset])
        let sigmoid = try node("sigmoid", [sum])
        let sigmoidAgain = try node("sigmoid", [duplicate])
        graph.addOutput(try node("sub", [sigmoid, sigmoidAgain]))
        graph.addOutput(try node("relu", [sum]))
    }

    /// One to three of: batchNormalization, mul, add, sub by constants varying along `channelAxis`
    /// (sometimes not per-channel, or with an extra user, so that some must not fold).
    private mutating func affineOps(after start: ValueID, channelAxis: Int) throws -> ValueID {
        var value = start
        for _ in 0..<int(1...3) {
            let shape = graph[value].type.shape
            let channels = shape[channelAxis]
            switch int(0...4) {
            case 0:
                value = try node("batchNormalization", [
                    value, try constant([channels]), try constant([channels], range: 0.5...2),
                    coin() ? try constant([channels]) : nil, coin() ? try constant([channels]) : nil,
                ], ["axis": .int(Int64(channelAxis)), "epsilon": .double(double(0.0001...0.01))])
            case 1, 2, 3:
                let op = ["mul", "add", "sub"][int(0...2)]
                let parameter = try constant(perChannelShape(shape, channelAxis: channelAxis))
                value = try node(op, op == "sub" || coin() ? [value, parameter] : [parameter, value])
            default:
                value = try node("relu", [value])
            }
        }
        return value
    }

    // MARK: Building blocks

    private mutating func input(_ shape: [Int]) throws -> ValueID {
        let inputName = name("x")
        let id = try graph.addInput(inputName, TensorType(.float32, shape))
        inputs[inputName] = randomTensor(shape)
        return id
    }

    private mutating func constant(_ shape: [Int], range: ClosedRange<Double> = -1...1) throws -> ValueID {
        try graph.addConstant(name("w"), Constant(data: randomTensor(shape, range: range)))
    }

    private mutating func node(_ op: String, _ operands: [ValueID?], _ attributes: [String: Attribute] = [:]) throws -> ValueID {
        try graph.addNode(Node(op: op, operands: operands, attributes: attributes), outputNames: [name(op)])[0]
    }

    private func name(_ base: String) -> String { graph.uniqueName(base: base) }

    private mutating func randomTensor(_ shape: [Int], range: ClosedRange<Double> = -1...1) -> TensorData {
        TensorData(.float32, shape: shape, values: (0..<shape.reduce(1, *)).map { _ in double(range) })
    }

    /// A shape that broadcasts against `shape` along `channelAxis` only: [C], [C, 1, 1],
    /// [1, C, 1, 1], a scalar, or (sometimes) a shape that is not per-channel.
    private mutating func perChannelShape(_ shape: [Int], channelAxis: Int) -> [Int] {
        if coin(0.15) { return shape }
        if coin(0.15) { return [] }
        let trailing = shape.count - channelAxis
        let leading = int(0...channelAxis)
        return [Int](repeating: 1, count: leading) + [shape[channelAxis]] + [Int](repeating: 1, count: trailing - 1)
    }

    /// The dimensions of `shape` regrouped into a random shape with the same element count.
    private mutating func shuffledFactors(_ shape: [Int]) -> [Int] {
        let count = shape.reduce(1, *)
        let first = (1...count).filter { count % $0 == 0 }.randomElement(using: &random)!
        return coin() ? [first, count / first] : [count / first, 1, first]
    }

    private mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &random) }
    private mutating func double(_ range: ClosedRange<Double>) -> Double { Double.random(in: range, using: &random) }
    private mutating func coin(_ probability: Double = 0.5) -> Bool { Double.random(in: 0..<1, using: &random) < probability }
}
