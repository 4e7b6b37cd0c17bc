import Foundation
import WebNNBasics
import WebNNIR

/// Seeded random graphs shaped like whole convolution networks (`RandomGraphs` makes single
/// patterns; some compiler bugs only show when patterns meet: YOLOv8n's head was wrong because two
/// same-shaped convolutions shared one step body while only one wrote into a concat's buffer).
///
/// A network is a stem, 1 or 2 stages (`large`: 2 to 5) and 1 head (`large`: 1 to 3), in
/// one layout (nchw or nhwc). A stage repeats one block (mostly twice; `large`: 1 to 3 times) with
/// the same shapes, so that the code generator shares step
/// bodies between the repeats: residual and bottleneck blocks, C2f and CSP blocks (split or
/// slices, concat), SPP/SPPF (max pools in series or in parallel + concat), SqueezeNet fire
/// modules (convolutions that feed only a concat), inverted residuals (depthwise), ResNeXt blocks
/// (grouped), squeeze-and-excitation, element-wise chains, down-sampling (strided convolutions,
/// pools, ResNet v1's stride-2 bottleneck) and up-sampling (`resample2d`) joined to earlier feature maps by concat (FPN/PAN necks).
/// Heads: YOLO-like detection (two conv branches per scale, concat, reshape/transpose, concat
/// over scales, split, softmax/sigmoid), classifiers (global pool, reshape, gemm/matmul, softmax),
/// segmentation (1x1 conv + resize), attention-like batched matmuls, slice/transpose crops, and
/// feature maps as extra outputs. Convolutions come with or without bias and
/// batchNormalization, and one of relu, relu6 (clamp), sigmoid, swish (x * sigmoid(x)),
/// hardSwish, leakyRelu, tanh, elu, gelu or none. Channel counts are drawn from a small palette
/// per network (mostly not multiples of 8), so equal shapes recur in different places. Weights
/// are scaled by 1/sqrt(fan-in), so values stay near unit size through the depth.
public struct RandomNetworks {
    /// `fast`: 4x4 to 8x8 images, 2 to 12 channels, about 30 nodes (hundreds of networks in CI);
    /// `large`: up to 40x40 and 40 channels (local runs).
    public enum Size: String, Sendable, CaseIterable { case fast, large }

    /// A verified random network and random values for its inputs.
    public static func make(seed: UInt64, size: Size = .fast) throws -> (graph: Graph, inputs: [String: TensorData]) {
        var network = RandomNetworks(seed: seed, size: size)
        try network.build()
        try Verifier.verify(network.b.graph, after: "random network")
        return (network.b.graph, network.b.inputs)
    }

    private enum Activation: CaseIterable { case relu, relu6, sigmoid, swish, hardSwish, leakyRelu, tanh, elu, gelu, none }

    /// The choices a stage makes once, so that its repeated blocks have equal shapes.
    private struct Style {
        var batchNorm: Bool
        var bias: Bool
        var activation: Activation
    }

    private var b: RandomGraphBuilder
    private let size: Size
    private let layout: InputLayout
    /// The filter layout of most convolutions (as in a real model, where equal shapes then give
    /// equal kernels that share a step body).
    private let filterLayout: Conv2dFilterLayout
    private var palette: [Int] = []
    private var taps: [ValueID] = []
    private var outputs: [ValueID] = []

    private init(seed: UInt64, size: Size) {
        b = RandomGraphBuilder(seed: seed, name: "network")
        self.size = size
        layout = b.coin() ? .nchw : .nhwc
        filterLayout = b.pick(Conv2dFilterLayout.allCases)
    }

    // MARK: The network

    private mutating func build() throws {
        let spatial = size == .fast ? 4...8 : 12...40
        let channelRange = size == .fast ? 2...12 : 6...40
        palette = (0..<3).map { _ in b.int(channelRange) }
        let batch = b.coin(0.15) ? 2 : 1
        let image = try b.input(layout.shape(batch: batch, channels: b.int(1...4), height: b.int(spatial), width: b.int(spatial)))
        var x = try convBlock(image, channels(), kernel: 3, stride: b.coin(0.4) ? 2 : 1, style: style())
        for stage in 0..<b.int(size == .fast ? 1...2 : 2...5) {
            if stage > 0, b.coin(0.5) { x = try downsample(x) }
            x = try self.stage(x)
            if b.coin(0.6) { taps.append(x) }
        }
        if !taps.contains(x) { taps.append(x) }
        if taps.count > 1, b.coin(size == .fast ? 0.3 : 0.5) { x = try neck(x) }
        for _ in 0..<(size == .fast ? 1 : b.int(1...3)) { try head(b.coin(0.6) ? x : b.pick(taps)) }
        if b.coin(0.15) { addOutput(b.pick(taps)) }
        for output in outputs { b.graph.addOutput(output) }
    }

    /// One block kind, repeated with the same shapes.
    private mutating func stage(_ input: ValueID) throws -> ValueID {
        var x = input
        let style = style()
        let repeats = size == .fast ? (b.coin(0.65) ? 2 : 1) : b.int(1...3)
        let c = sizes(x).channels
        switch b.int(0...10) {
        case 0:
            let bottleneck = b.coin() ? channels() : nil
            for _ in 0..<repeats { x = try residual(x, bottleneck: bottleneck, style: style) }
        case 1:
            let (output, hidden, count, shortcut) = (channels(), channels(), size == .fast ? 1 : b.int(1...2), b.coin())
            for _ in 0..<repeats { x = try c2f(x, output: output, hidden: hidden, count: count, shortcut: shortcut, style: style) }
        case 2:
            let (output, hidden, count) = (channels(), channels(), size == .fast ? 1 : b.int(1...2))
            for _ in 0..<repeats { x = try csp(x, output: output, hidden: hidden, count: count, style: style) }
        case 3:
            let (output, window, parallel) = (channels(), b.pick([3, 5]), b.coin(0.3))
            for _ in 0..<repeats { x = try spp(x, output: output, window: window, parallel: parallel, style: style) }
        case 4:
            let (squeeze, expand1, expand3, activated) = (channels(), channels(), channels(), b.coin(0.8))
            for _ in 0..<repeats { x = try fire(x, squeeze: squeeze, expand1: expand1, expand3: expand3, activated: activated) }
        case 5:
            let (expansion, output) = (b.int(1...3), b.coin() ? c : channels())
            for index in 0..<repeats {
                let stride = index == 0 && canHalve(x) && b.coin(0.3) ? 2 : 1
                x = try invertedResidual(x, expansion: expansion, output: output, stride: stride, style: style)
            }
        case 6:
            let (groups, perGroup) = (b.int(2...3), b.int(1...4))
            for _ in 0..<repeats { x = try grouped(x, groups: groups, perGroup: perGroup, style: style) }
        case 7:
            let reduced = b.int(1...max(1, c / 2))
            for _ in 0..<repeats { x = try squeezeExcite(x, reduced: reduced, style: style) }
        case 8:
            for _ in 0..<repeats { x = try elementwiseChain(x) }
        case 9:
            let (output, kernel, dilation) = (channels(), b.pick([1, 3, 3]), b.coin(0.2) ? 2 : 1)
            for _ in 0..<repeats { x = try convBlock(x, output, kernel: kernel, dilation: dilation, style: style) }
        default:
            let (output, hidden) = (channels(), channels())
            for _ in 0..<repeats {
                // Two parallel branches summed (an Inception-like join by add).
                let a = try convBlock(x, hidden, kernel: 1, style: style)
                let branch = try convBlock(x, hidden, kernel: 3, style: style)
                x = try convBlock(try b.node("add", [a, branch]), output, kernel: 1, style: style)
            }
        }
        return x
    }

    // MARK: Blocks

    private mutating func residual(_ x: ValueID, bottleneck: Int?, style: Style) throws -> ValueID {
        let c = sizes(x).channels
        var y: ValueID
        if let bottleneck {
            y = try convBlock(x, bottleneck, kernel: 1, style: style)
            y = try convBlock(y, bottleneck, kernel: 3, style: style)
        } else {
            y = try convBlock(x, c, kernel: 3, style: style)
        }
        y = try convBlock(y, c, kernel: bottleneck == nil ? 3 : 1, style: Style(batchNorm: style.batchNorm, bias: style.bias, activation: .none))
        y = try b.node("add", b.coin() ? [x, y] : [y, x])
        return try activate(y, style.activation)
    }

    /// YOLOv8's C2f: 1x1 conv to 2h channels, split in halves, `count` bottlenecks on the last
    /// part (each appended), concat of all parts, 1x1 conv.
    private mutating func c2f(_ x: ValueID, output: Int, hidden: Int, count: Int, shortcut: Bool, style: Style) throws -> ValueID {
        let first = try convBlock(x, 2 * hidden, kernel: 1, style: style)
        var parts = try splitChannels(first, [hidden, hidden])
        for _ in 0..<count {
            var y = try convBlock(parts.last!, hidden, kernel: 3, style: style)
            y = try convBlock(y, hidden, kernel: 3, style: style)
            if shortcut { y = try b.node("add", [parts.last!, y]) }
            parts.append(y)
        }
        return try convBlock(try concat(parts), output, kernel: 1, style: style)
    }

    /// CSP: two 1x1 branches, bottlenecks on one, concat, 1x1.
    private mutating func csp(_ x: ValueID, output: Int, hidden: Int, count: Int, style: Style) throws -> ValueID {
        var a = try convBlock(x, hidden, kernel: 1, style: style)
        let other = try convBlock(x, hidden, kernel: 1, style: style)
        for _ in 0..<count { a = try residual(a, bottleneck: nil, style: style) }
        return try convBlock(try concat(b.coin() ? [a, other] : [other, a]), output, kernel: 1, style: style)
    }

    /// SPPF (three max pools in series) or SPP (pools of growing windows in parallel) + concat.
    private mutating func spp(_ x: ValueID, output: Int, window: Int, parallel: Bool, style: Style) throws -> ValueID {
        let first = try convBlock(x, max(1, sizes(x).channels / 2), kernel: 1, style: style)
        var parts = [first]
        for index in 0..<3 {
            let k = parallel ? window + 2 * index : window
            parts.append(try b.node("maxPool2d", [parallel ? first : parts.last!], [
                "windowDimensions": .ints([Int64(k), Int64(k)]), "padding": .ints([Int64(k / 2), Int64(k / 2), Int64(k / 2), Int64(k / 2)]),
                "layout": .string(layout.rawValue),
            ]))
        }
        return try convBlock(try concat(parts), output, kernel: 1, style: style)
    }

    /// SqueezeNet's fire module: both expand convolutions feed only the concat.
    private mutating func fire(_ x: ValueID, squeeze: Int, expand1: Int, expand3: Int, activated: Bool) throws -> ValueID {
        let style = Style(batchNorm: false, bias: true, activation: activated ? .relu : .none)
        let s = try convBlock(x, squeeze, kernel: 1, style: Style(batchNorm: false, bias: true, activation: .relu))
        return try concat([try convBlock(s, expand1, kernel: 1, style: style), try convBlock(s, expand3, kernel: 3, style: style)])
    }

    /// MobileNet v2: 1x1 expand, depthwise 3x3, 1x1 project, residual when the shape allows.
    private mutating func invertedResidual(_ x: ValueID, expansion: Int, output: Int, stride: Int, style: Style) throws -> ValueID {
        let c = sizes(x).channels, hidden = c * expansion
        var y = expansion == 1 ? x : try convBlock(x, hidden, kernel: 1, style: Style(batchNorm: style.batchNorm, bias: style.bias, activation: .relu6))
        y = try convBlock(y, hidden, kernel: 3, stride: stride, groups: hidden, style: Style(batchNorm: style.batchNorm, bias: style.bias, activation: .relu6))
        y = try convBlock(y, output, kernel: 1, style: Style(batchNorm: style.batchNorm, bias: style.bias, activation: .none))
        return stride == 1 && c == output ? try b.node("add", [x, y]) : y
    }

    /// ResNeXt: 1x1, grouped 3x3, 1x1, residual.
    private mutating func grouped(_ x: ValueID, groups: Int, perGroup: Int, style: Style) throws -> ValueID {
        let c = sizes(x).channels, width = groups * perGroup
        var y = try convBlock(x, width, kernel: 1, style: style)
        y = try convBlock(y, width, kernel: 3, groups: groups, style: style)
        y = try convBlock(y, c, kernel: 1, style: Style(batchNorm: style.batchNorm, bias: style.bias, activation: .none))
        return try activate(try b.node("add", [y, x]), style.activation)
    }

    /// Squeeze-and-excitation: global pool, 1x1 down, 1x1 up, sigmoid, channel-wise scale.
    private mutating func squeezeExcite(_ x: ValueID, reduced: Int, style: Style) throws -> ValueID {
        var s = try globalPool(x, keepDimensions: true)
        s = try convBlock(s, reduced, kernel: 1, style: Style(batchNorm: false, bias: true, activation: .relu))
        s = try conv(s, sizes(x).channels, kernel: 1, bias: true)
        s = try b.node(b.coin() ? "sigmoid" : "hardSigmoid", [s])
        return try b.node("mul", b.coin() ? [x, s] : [s, x])
    }

    /// Per-channel scales and shifts, activations, and element-wise joins with an earlier tap.
    private mutating func elementwiseChain(_ input: ValueID) throws -> ValueID {
        var x = input
        let shape = b.graph[x].type.shape
        for _ in 0..<b.int(2...5) {
            switch b.int(0...5) {
            case 0: x = try b.node("mul", [x, try b.constant(b.perChannelShape(shape, channelAxis: channelAxis), range: 0.5...1.5)])
            case 1: x = try b.node(b.coin() ? "add" : "sub", [x, try b.constant(b.perChannelShape(shape, channelAxis: channelAxis), range: -0.5...0.5)])
            case 2: x = try activate(x, b.pick(Activation.allCases))
            case 3: x = try b.node(b.pick(["max", "min"]), [x, try b.constant(b.perChannelShape(shape, channelAxis: channelAxis))])
            case 4:
                if let tap = taps.last(where: { b.graph[$0].type.shape == shape }) {
                    x = try b.node(b.pick(["add", "mul", "sub"]), b.coin() ? [x, tap] : [tap, x])
                } else {
                    x = try b.node("clamp", [x], ["minValue": .double(-1), "maxValue": .double(1)])
                }
            default: x = try b.node("div", [x, try b.constant(b.perChannelShape(shape, channelAxis: channelAxis), range: 0.5...2)])
            }
        }
        return x
    }

    /// A strided conv, a 2x2 max pool or a 3x3 average pool with stride 2.
    private mutating func downsample(_ x: ValueID) throws -> ValueID {
        guard canHalve(x) else { return x }
        switch b.int(0...4) {
        case 0, 1: return try convBlock(x, channels(), kernel: b.pick([1, 3]), stride: 2, style: style())
        case 4: return try resnetDownsampling(x)
        case 2:
            return try b.node("maxPool2d", [x], ["windowDimensions": .ints([2, 2]), "strides": .ints([2, 2]), "layout": .string(layout.rawValue)])
        default:
            return try b.node("averagePool2d", [x], ["windowDimensions": .ints([3, 3]), "strides": .ints([2, 2]), "padding": .ints([1, 1, 1, 1]),
                                                     "layout": .string(layout.rawValue)])
        }
    }

    /// ResNet v1's first block of a stage: a bottleneck whose first 1×1 convolution has the
    /// stride, and a 1×1 stride-2 shortcut, so both read `x` at stride 2 (`hoist-strides` then
    /// computes `x`'s block at stride 2 when nothing else reads it).
    private mutating func resnetDownsampling(_ x: ValueID) throws -> ValueID {
        let (style, hidden, output) = (style(), channels(), channels())
        let linear = Style(batchNorm: style.batchNorm, bias: style.bias, activation: .none)
        var y = try convBlock(x, hidden, kernel: 1, stride: 2, style: style)
        y = try convBlock(y, hidden, kernel: 3, style: style)
        y = try convBlock(y, output, kernel: 1, style: linear)
        let shortcut = try convBlock(x, output, kernel: 1, stride: 2, style: linear)
        return try activate(try b.node("add", b.coin() ? [y, shortcut] : [shortcut, y]), style.activation)
    }

    /// FPN/PAN: up-sample to an earlier tap's size and concat with it, then a block; sometimes
    /// down again with a strided conv and concat with the previous level.
    private mutating func neck(_ input: ValueID) throws -> ValueID {
        var x = input
        let style = style()
        for tap in taps.reversed() where tap != x && b.coin(0.7) {
            let (_, _, height, width) = sizes(tap)
            let up = try resize(x, height: height, width: width)
            let joined = try concat(b.coin(0.7) ? [up, tap] : [tap, up])
            let previous = x
            x = b.coin() ? try c2f(joined, output: channels(), hidden: channels(), count: 1, shortcut: false, style: style)
                         : try convBlock(joined, channels(), kernel: 1, style: style)
            taps.append(x)
            if b.coin(0.3), canHalve(x), sizes(previous).height == (sizes(x).height + 1) / 2, sizes(previous).width == (sizes(x).width + 1) / 2 {
                let down = try convBlock(x, channels(), kernel: 3, stride: 2, style: style)
                x = try convBlock(try concat([down, previous]), channels(), kernel: 1, style: style)
                taps.append(x)
            }
        }
        return x
    }

    // MARK: Heads

    private mutating func head(_ x: ValueID) throws {
        switch b.int(0...5) {
        case 0, 1: try detect(Array(Set(taps + [x])).sorted().suffix(size == .fast ? 1 : b.int(1...3)))
        case 2: try classifier(x)
        case 3:
            // Segmentation: 1x1 conv to classes, resized to the image, sometimes channels-last.
            let image = b.graph.inputs[0]
            let (_, _, height, width) = sizes(image)
            var y = try resize(try conv(x, b.int(1...5), kernel: 1, bias: true), height: height, width: width, linear: b.coin())
            if b.coin(0.3) { y = try b.node("transpose", [y], ["permutation": .ints(layout == .nchw ? [0, 2, 3, 1] : [0, 3, 1, 2])]) }
            addOutput(y)
        case 4: try attention(x)
        default:
            // A crop: a channel range and a window, transposed and flattened.
            let shape = b.graph[x].type.shape
            let starts = shape.map { b.int(0...($0 - 1) / 2) }
            let lengths = zip(shape, starts).map { b.int(1...($0 - $1)) }
            var y = try b.node("slice", [x], ["starts": .ints(starts.map(Int64.init)), "sizes": .ints(lengths.map(Int64.init))])
            y = try b.node("transpose", [y], ["permutation": .ints(Array(0..<4).shuffled(using: &b.random).map(Int64.init))])
            if b.coin() { y = try b.node("reshape", [y], ["newShape": .ints(b.shuffledFactors(b.graph[y].type.shape).map(Int64.init))]) }
            addOutput(b.coin() ? try activate(y, b.pick(Activation.allCases)) : y)
        }
    }

    /// YOLO's detect head: per scale a box branch and a class branch (3x3, 3x3, 1x1; `fast`
    /// leaves out the second 3x3), concat
    /// along channels, flattened to [N, no, H*W]; concat over scales, split into boxes and
    /// classes; a softmax over the box bins and a sigmoid over the classes.
    private mutating func detect(_ scales: [ValueID]) throws {
        let (boxHidden, classHidden) = (channels(), channels())
        let (bins, classes) = (b.int(1...4), b.int(1...6))
        let style = style()
        var flattened: [ValueID] = []
        for x in scales {
            var box = try convBlock(x, boxHidden, kernel: 3, style: style)
            if size == .large { box = try convBlock(box, boxHidden, kernel: 3, style: style) }
            box = try conv(box, 4 * bins, kernel: 1, bias: true)
            var cls = try convBlock(x, classHidden, kernel: 3, style: style)
            if size == .large { cls = try convBlock(cls, classHidden, kernel: 3, style: style) }
            cls = try conv(cls, classes, kernel: 1, bias: true)
            let joined = try concat([box, cls])
            let (batch, channels, height, width) = sizes(joined)
            if layout == .nchw {
                flattened.append(try b.node("reshape", [joined], ["newShape": .ints([batch, channels, height * width].map(Int64.init))]))
            } else {
                let rows = try b.node("reshape", [joined], ["newShape": .ints([batch, height * width, channels].map(Int64.init))])
                flattened.append(try b.node("transpose", [rows], ["permutation": .ints([0, 2, 1])]))
            }
        }
        let all = flattened.count == 1 ? flattened[0] : try b.node("concat", flattened, ["axis": .int(2)])
        let parts = try b.nodes("split", [all], ["splits": .ints([Int64(4 * bins), Int64(classes)]), "axis": .int(1)], outputs: 2)
        let anchors = b.graph[all].type.shape[2], batch = b.graph[all].type.shape[0]
        var boxes = try b.node("reshape", [parts[0]], ["newShape": .ints([batch, 4, bins, anchors].map(Int64.init))])
        boxes = try b.node("softmax", [boxes], ["axis": .int(2)])
        let scores = try b.node("sigmoid", [parts[1]])
        if b.coin() {
            addOutput(boxes)
            addOutput(scores)
        } else {
            let flatBoxes = try b.node("reshape", [boxes], ["newShape": .ints([batch, 4 * bins, anchors].map(Int64.init))])
            addOutput(try b.node("concat", [flatBoxes, scores], ["axis": .int(1)]))
        }
    }

    /// Global pool, flatten, one or two dense layers (gemm or matmul), softmax or an activation.
    private mutating func classifier(_ x: ValueID) throws {
        let pooled = try globalPool(x, keepDimensions: b.coin())
        let batch = sizes(x).batch
        var y = try b.node("reshape", [pooled], ["newShape": .ints([Int64(batch), Int64(sizes(x).channels)])])
        for layer in 0..<b.int(1...2) {
            let (k, n) = (b.graph[y].type.shape[1], b.int(1...12))
            let scale = (3.0 / Double(k)).squareRoot()
            switch b.int(0...2) {
            case 0: y = try b.node("gemm", [y, try b.constant([k, n], range: -scale...scale), try b.constant([n])])
            case 1: y = try b.node("gemm", [y, try b.constant([n, k], range: -scale...scale), b.coin() ? try b.constant([n]) : nil], ["bTranspose": .bool(true)])
            default: y = try b.node("add", [try b.node("matmul", [y, try b.constant([k, n], range: -scale...scale)]), try b.constant([n])])
            }
            if layer == 0, b.coin(0.2) { y = try b.node("add", [y, try b.input([batch, n])]) }
            if b.coin(0.7) { y = try activate(y, b.pick(Activation.allCases)) }
        }
        addOutput(b.coin() ? try b.node("softmax", [y], ["axis": .int(1)]) : y)
    }

    /// A transformer-like mixer over the pixels: [N, HW, C] x [C, D], gelu, x [D, C], residual;
    /// then either nothing, the softmax of the tokens' products, or self-attention over heads
    /// (scores, scale, softmax, probabilities × values: what lowering runs head by head).
    private mutating func attention(_ x: ValueID) throws {
        let (batch, c, height, width) = sizes(x)
        var tokens: ValueID
        if layout == .nchw {
            tokens = try b.node("reshape", [x], ["newShape": .ints([batch, c, height * width].map(Int64.init))])
            tokens = try b.node("transpose", [tokens], ["permutation": .ints([0, 2, 1])])
        } else {
            tokens = try b.node("reshape", [x], ["newShape": .ints([batch, height * width, c].map(Int64.init))])
        }
        let d = channels()
        var y = try b.node("matmul", [tokens, try b.constant([c, d], range: -(3.0 / Double(c)).squareRoot()...(3.0 / Double(c)).squareRoot())])
        y = try activate(try b.node("add", [y, try b.constant([d])]), b.pick([.gelu, .relu, .swish]))
        y = try b.node("matmul", [y, try b.constant([d, c], range: -(3.0 / Double(d)).squareRoot()...(3.0 / Double(d)).squareRoot())])
        y = try b.node("add", [tokens, y])
        switch b.int(0...2) {
        case 0:
            let scores = try b.node("matmul", [y, try b.node("transpose", [y], ["permutation": .ints([0, 2, 1])])])
            y = try b.node("softmax", [scores], ["axis": .int(2)])
        case 1:
            let heads = b.pick([1, 2, 3, 4].filter { c % $0 == 0 })
            let tokenCount = height * width
            var values = try b.node("reshape", [y], ["newShape": .ints([batch, tokenCount, heads, c / heads].map(Int64.init))])
            values = try b.node("transpose", [values], ["permutation": .ints([0, 2, 1, 3])])
            var scores = try b.node("matmul", [values, try b.node("transpose", [values], ["permutation": .ints([0, 1, 3, 2])])])
            scores = try b.node("mul", [scores, try b.constant([1], range: 0.1...0.5)])
            let probabilities = try b.node("softmax", [scores], ["axis": .int(3)])
            y = try b.node("transpose", [try b.node("matmul", [probabilities, values])], ["permutation": .ints([0, 2, 1, 3])])
            y = try b.node("reshape", [y], ["newShape": .ints([batch, tokenCount, c].map(Int64.init))])
        default:
            break
        }
        addOutput(y)
    }

    // MARK: Layers

    /// conv2d (+ batchNormalization) (+ activation), "same" padding.
    private mutating func convBlock(_ x: ValueID, _ outputs: Int, kernel: Int, stride: Int = 1, groups: Int = 1, dilation: Int = 1,
                                    style: Style) throws -> ValueID {
        var y = try conv(x, outputs, kernel: kernel, stride: stride, groups: groups, dilation: dilation, bias: style.bias || !style.batchNorm)
        if style.batchNorm { y = try batchNorm(y) }
        return try activate(y, style.activation)
    }

    private mutating func conv(_ x: ValueID, _ outputs: Int, kernel k: Int, stride: Int = 1, groups: Int = 1, dilation: Int = 1,
                               bias: Bool) throws -> ValueID {
        let inputs = sizes(x).channels / groups
        let filterLayout = b.coin(0.1) ? b.pick(Conv2dFilterLayout.allCases) : filterLayout
        let shape: [Int]
        switch filterLayout {
        case .oihw: shape = [outputs, inputs, k, k]
        case .hwio: shape = [k, k, inputs, outputs]
        case .ohwi: shape = [outputs, k, k, inputs]
        case .ihwo: shape = [inputs, k, k, outputs]
        }
        let scale = (3.0 / Double(inputs * k * k)).squareRoot()
        let filter = try b.constant(shape, range: -scale...scale)
        let pad = Int64(dilation * (k - 1) / 2)
        var attributes: [String: Attribute] = ["filterLayout": .string(filterLayout.rawValue)]
        if layout == .nhwc || b.coin(0.3) { attributes["inputLayout"] = .string(layout.rawValue) }
        if pad > 0 { attributes["padding"] = .ints([pad, pad, pad, pad]) }
        if stride > 1 { attributes["strides"] = .ints([Int64(stride), Int64(stride)]) }
        if dilation > 1 { attributes["dilations"] = .ints([Int64(dilation), Int64(dilation)]) }
        if groups > 1 { attributes["groups"] = .int(Int64(groups)) }
        return try b.node("conv2d", [x, filter, bias ? try b.constant([outputs], range: -0.5...0.5) : nil], attributes)
    }

    private mutating func batchNorm(_ x: ValueID) throws -> ValueID {
        let c = sizes(x).channels
        return try b.node("batchNormalization", [
            x, try b.constant([c], range: -0.5...0.5), try b.constant([c], range: 0.5...2),
            b.coin(0.8) ? try b.constant([c], range: 0.5...1.5) : nil, b.coin(0.8) ? try b.constant([c], range: -0.5...0.5) : nil,
        ], ["axis": .int(Int64(channelAxis)), "epsilon": .double(b.pick([1e-5, 1e-3]))])
    }

    private mutating func activate(_ x: ValueID, _ activation: Activation) throws -> ValueID {
        switch activation {
        case .relu: return try b.node("relu", [x])
        case .relu6: return try b.node("clamp", [x], ["minValue": .double(0), "maxValue": .double(6)])
        case .sigmoid: return try b.node("sigmoid", [x])
        case .swish:
            let gate = try b.node("sigmoid", [x])
            return try b.node("mul", b.coin() ? [x, gate] : [gate, x])
        case .hardSwish: return try b.node("hardSwish", [x])
        case .leakyRelu: return try b.node("leakyRelu", [x], ["alpha": .double(0.1)])
        case .tanh: return try b.node("tanh", [x])
        case .elu: return try b.node("elu", [x])
        case .gelu: return try b.node("gelu", [x])
        case .none: return x
        }
    }

    /// Two (or more) parts along the channel axis: one split, or slices.
    private mutating func splitChannels(_ x: ValueID, _ parts: [Int]) throws -> [ValueID] {
        if b.coin(0.7) {
            return try b.nodes("split", [x], ["splits": .ints(parts.map(Int64.init)), "axis": .int(Int64(channelAxis))], outputs: parts.count)
        }
        let shape = b.graph[x].type.shape
        var start = 0
        var slices: [ValueID] = []
        for part in parts {
            var starts = [Int64](repeating: 0, count: 4), lengths = shape.map(Int64.init)
            starts[channelAxis] = Int64(start)
            lengths[channelAxis] = Int64(part)
            slices.append(try b.node("slice", [x], ["starts": .ints(starts), "sizes": .ints(lengths)]))
            start += part
        }
        return slices
    }

    private mutating func concat(_ parts: [ValueID]) throws -> ValueID {
        try b.node("concat", parts, ["axis": .int(Int64(channelAxis))])
    }

    /// averagePool2d or maxPool2d over the whole image, or reduceMean over H and W.
    private mutating func globalPool(_ x: ValueID, keepDimensions: Bool) throws -> ValueID {
        if keepDimensions, b.coin(0.6) {
            return try b.node(b.coin(0.8) ? "averagePool2d" : "maxPool2d", [x], ["layout": .string(layout.rawValue)])
        }
        return try b.node("reduceMean", [x], ["axes": .ints(spatialAxes.map(Int64.init)), "keepDimensions": .bool(keepDimensions)])
    }

    private mutating func resize(_ x: ValueID, height: Int, width: Int, linear: Bool = false) throws -> ValueID {
        let (_, _, h, w) = sizes(x)
        var attributes: [String: Attribute] = ["axes": .ints(spatialAxes.map(Int64.init))]
        if linear { attributes["mode"] = .string("linear") }
        if height == 2 * h, width == 2 * w, b.coin(0.7) {
            attributes["scales"] = .doubles([2, 2])
        } else {
            attributes["sizes"] = .ints([Int64(height), Int64(width)])
        }
        return try b.node("resample2d", [x], attributes)
    }

    // MARK: Helpers

    private var channelAxis: Int { layout == .nchw ? 1 : 3 }
    private var spatialAxes: [Int] { layout == .nchw ? [2, 3] : [1, 2] }
    private func sizes(_ x: ValueID) -> (batch: Int, channels: Int, height: Int, width: Int) { layout.logicalSizes(b.graph[x].type.shape) }
    private func canHalve(_ x: ValueID) -> Bool { sizes(x).height >= 4 && sizes(x).width >= 4 }
    private mutating func channels() -> Int { b.coin(0.8) ? b.pick(palette) : b.int(size == .fast ? 2...12 : 6...40) }

    private mutating func style() -> Style {
        Style(batchNorm: b.coin(0.6), bias: b.coin(0.5), activation: b.coin(0.15) ? .none : b.pick(Activation.allCases))
    }

    private mutating func addOutput(_ value: ValueID) {
        if !outputs.contains(value) { outputs.append(value) }
    }
}
