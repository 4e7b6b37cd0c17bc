import Foundation
import Testing
import WebNNBasics
@testable import WebNNCodeGen
import WebNNIR
import WebNNLowering
import WebNNReference
import WebNNTransforms

/// The integer convolution (`quantizedConv2d`) kernels against the interpreter, exactly: random
/// shapes, zero points, scales, bounds, uint8 and int8 inputs, weights that saturate
/// `vpmaddubsw` and weights that cannot, every packing (pairs16, maddubs, depthwise, the VNNI
/// kernels through their generic-IR stand-in) and the plain fallback (nchw, grouped).
@Suite struct QuantizedConv2dTests {
    /// A random quantizedConv2d graph. `smallWeights`: |w| ≤ 64, so no pair can saturate.
    static func randomGraph(seed: UInt64, round: Int, nhwc: Bool, depthwise: Bool, smallWeights: Bool,
                            signedInput: Bool, zeroPadding: Bool = false) throws -> GraphMaker {
        var maker = GraphMaker(seed: seed)
        var g = maker.generator
        let inputChannels = depthwise ? [3, 8, 16, 19][round % 4] : Int.random(in: 1...37, using: &g)
        let outputChannels = depthwise ? inputChannels : [1, 5, 8, 9, 16, 17, 24, 33][Int.random(in: 0...7, using: &g)]
        let pointwise = round % 3 == 0
        let (kh, kw) = pointwise ? (1, 1) : (Int.random(in: 1...3, using: &g), Int.random(in: 1...3, using: &g))
        let strides = [Int.random(in: 1...2, using: &g), Int.random(in: 1...2, using: &g)]
        let dilations = pointwise ? [1, 1] : [Int.random(in: 1...2, using: &g), Int.random(in: 1...2, using: &g)]
        let padding = pointwise || zeroPadding ? [0, 0, 0, 0] : (0..<4).map { _ in Int.random(in: 0...2, using: &g) }
        let (height, width) = (Int.random(in: 5...11, using: &g), Int.random(in: 5...23, using: &g))
        let inputType: DataType = signedInput ? .int8 : .uint8
        let outputType: DataType = round % 2 == 0 ? .uint8 : .int8
        let inputZeroPoint = Int.random(in: (signedInput ? -128 : 0)...(signedInput ? 127 : 255), using: &g)
        let outputRange = QuantizedConv2dParameters.range(outputType)
        let outputZeroPoint = Int.random(in: outputRange, using: &g)
        let weightLimit = smallWeights ? 64 : 128
        let filterCount = outputChannels * (depthwise ? 1 : inputChannels) * kh * kw
        let weights = (0..<filterCount).map { _ in Int64(Int.random(in: -weightLimit...(weightLimit - 1), using: &g)) }
        let bias = (0..<outputChannels).map { _ in Int64(Int.random(in: -5000...5000, using: &g)) }
        // Scales that spread the sums over the output range: about 1 / (255 · 64 · √taps).
        let taps = Double((depthwise ? 1 : inputChannels) * kh * kw)
        let scales = (0..<outputChannels).map { _ in Float(Double.random(in: 0.2...4, using: &g) / (255 * 40 * taps.squareRoot())) }
        var bounds: [String: Attribute] = [:]
        if round % 4 == 1 { bounds["outputMinValue"] = .int(Int64(outputZeroPoint)) }  // a fused relu
        if round % 4 == 2 {
            bounds["outputMinValue"] = .int(Int64(max(outputRange.lowerBound, outputZeroPoint - 20)))
            bounds["outputMaxValue"] = .int(Int64(min(outputRange.upperBound, outputZeroPoint + 60)))
        }
        maker.generator = g
        let input = try maker.input("input", nhwc ? [1, height, width, inputChannels] : [1, inputChannels, height, width],
                                    inputType)
        let filter = try maker.graph.addConstant("filter", Constant(data: TensorData(
            .int8, shape: nhwc ? [outputChannels, kh, kw, depthwise ? 1 : inputChannels] : [outputChannels, depthwise ? 1 : inputChannels, kh, kw],
            integers: weights)))
        let biasValue = try maker.graph.addConstant("bias", Constant(data: TensorData(.int32, shape: [outputChannels], integers: bias)))
        let scaleValue = try maker.graph.addConstant("scale", Constant(data: TensorData(float32: scales, shape: [outputChannels])))
        try maker.node(QuantizedConv2dParameters.operatorName, [input, filter, biasValue, scaleValue], [
            "padding": .ints(padding.map(Int64.init)), "strides": .ints(strides.map(Int64.init)),
            "dilations": .ints(dilations.map(Int64.init)), "groups": .int(depthwise ? Int64(inputChannels) : 1),
            "inputLayout": .string(nhwc ? "nhwc" : "nchw"), "filterLayout": .string(nhwc ? "ohwi" : "oihw"),
            "inputZeroPoint": .int(Int64(inputZeroPoint)), "outputZeroPoint": .int(Int64(outputZeroPoint)),
            "outputDataType": .string(outputType.rawValue),
        ].merging(bounds) { $1 })
        return maker
    }

    /// The packing a graph's quantizedConv2d step gets on this host (nil: not packed).
    static func packing(_ maker: GraphMaker, standIn: Int? = nil, target: TargetOptions = TargetOptions()) throws -> QuantizedPacking? {
        let packed = QuantizedConvPacking.pack(try Lowering.lower(maker.graph), target: try ResolvedTarget(target),
                                               vnniStandIn: standIn)
        for step in packed.steps { if case .quantizedConv2d(let attributes) = step.kernel { return attributes.packing } }
        return nil
    }

    static var hostFeatures: Set<String> { Set((try? ResolvedTarget(TargetOptions()))?.enabledFeatures ?? []) }
    static var hostHasAVX2: Bool { hostFeatures.contains("avx2") }
    /// AVX2 + FMA without VNNI (as on Zen 3): the `vpmaddubsw` and `vpmaddwd` kernels, on any AVX2 host.
    static let avx2 = TargetOptions(cpu: "x86-64-v3")
    /// AVX512-VNNI on 8 lanes (EVEX ymm `vpdpbusd`), where the host can run it.
    static let vnni256 = TargetOptions(cpu: "x86-64-v3", features: "+avx512vl,+avx512vnni")

    /// Groups 1 on the host's best kernels (VNNI where it has it), and on AVX2-only and
    /// 8-lane VNNI code (where the host runs it).
    @Test(arguments: 0..<24) func groupsOne(_ round: Int) throws {
        let seed = testSeed()
        let maker = try Self.randomGraph(seed: seed, round: round, nhwc: round % 8 != 7, depthwise: false,
                                         smallWeights: round % 2 == 0, signedInput: round % 5 == 4)
        var options = CodeGenOptions(prefix: "model")
        switch round % 3 {
        case 1 where Self.hostHasAVX2: options.target = Self.avx2
        case 2 where Self.hostFeatures.contains("avx512vnni"): options.target = Self.vnni256
        default: break
        }
        try expectMatchesReference(maker, seed: seed, options: options)
    }

    @Test(arguments: 0..<12) func depthwise(_ round: Int) throws {
        let seed = testSeed()
        let maker = try Self.randomGraph(seed: seed, round: round, nhwc: round != 7, depthwise: true, smallWeights: false,
                                         signedInput: round % 3 == 2)
        if Self.hostHasAVX2 && round != 7 { #expect(try Self.packing(maker)?.dotProduct == .depthwise, "seed \(seed)") }
        var options = CodeGenOptions(prefix: "model")
        if round % 2 == 1 && Self.hostHasAVX2 { options.target = Self.avx2 }  // 8 lanes (16 with AVX512-BW)
        try expectMatchesReference(maker, seed: seed, options: options)
    }

    /// The VNNI kernels (8 and 16 lanes) with `vpdpbusd`'s generic-IR stand-in: uint8 input with
    /// zero point 0 and padding, or any zero point without padding (folded).
    @Test(arguments: 0..<8) func vnniStandIn(_ round: Int) throws {
        let seed = testSeed()
        let maker = try Self.randomGraph(seed: seed, round: round, nhwc: true, depthwise: false, smallWeights: false,
                                         signedInput: false, zeroPadding: true)
        let lanes = round % 2 == 0 ? 8 : 16
        if Self.hostHasAVX2 { #expect(try Self.packing(maker, standIn: lanes) == QuantizedPacking(dotProduct: .vnniStandIn, lanes: lanes, inRegisterZeroPoint: 0)) }
        var options = CodeGenOptions(prefix: "model")
        options.vnniStandInLanes = lanes
        try expectMatchesReference(maker, seed: seed, options: options)
    }

    /// The dot product is chosen per layer from the constant weights: full-range int8 weights
    /// saturate `vpmaddubsw` (pairs16), small ones cannot (maddubs); int8 input and a nonzero
    /// zero point with padding need pairs16.
    @Test func dotProductChoice() throws {
        guard Self.hostHasAVX2 else { return }
        /// The packing of a 3×3 conv of [1, 6, 6, 8] with every weight `weight`.
        func choice(weight: Int64, _ inputType: DataType, zeroPoint: Int, padding: Int) throws -> QuantizedPacking? {
            var maker = GraphMaker(seed: 1)
            let x = try maker.input("x", [1, 6, 6, 8], inputType)
            let w = try maker.graph.addConstant("w", Constant(data: TensorData(.int8, shape: [8, 3, 3, 8], integers: Array(repeating: weight, count: 8 * 9 * 8))))
            let b = try maker.graph.addConstant("b", Constant(data: TensorData(.int32, shape: [8], integers: Array(repeating: 0, count: 8))))
            let s = try maker.graph.addConstant("s", Constant(data: TensorData(float32: Array(repeating: 0.01, count: 8), shape: [8])))
            let p = Int64(padding)
            try maker.node(QuantizedConv2dParameters.operatorName, [x, w, b, s], [
                "inputLayout": .string("nhwc"), "filterLayout": .string("ohwi"), "padding": .ints([p, p, p, p]),
                "inputZeroPoint": .int(Int64(zeroPoint)), "outputDataType": .string(inputType.rawValue)])
            return try Self.packing(maker, target: Self.avx2)
        }
        // 64 + 64 ≤ 128: vpmaddubsw cannot saturate; 65 + 65 can.
        #expect(try choice(weight: 64, .uint8, zeroPoint: 0, padding: 1)?.dotProduct == .maddubs)
        #expect(try choice(weight: -64, .uint8, zeroPoint: 0, padding: 1)?.dotProduct == .maddubs)
        #expect(try choice(weight: 65, .uint8, zeroPoint: 0, padding: 1)?.dotProduct == .pairs16)
        // A zero point is folded into the initial accumulators where no tap reads padding...
        #expect(try choice(weight: 64, .uint8, zeroPoint: 9, padding: 0)
                == QuantizedPacking(dotProduct: .maddubs, lanes: 8, inRegisterZeroPoint: 0))
        // ...and subtracted in registers (16-bit pairs) where taps read padding; int8 input: pairs.
        #expect(try choice(weight: 64, .uint8, zeroPoint: 9, padding: 1)
                == QuantizedPacking(dotProduct: .pairs16, lanes: 8, inRegisterZeroPoint: 9))
        #expect(try choice(weight: 1, .int8, zeroPoint: 0, padding: 0)?.dotProduct == .pairs16)
        // Any VNNI target takes vpdpbusd for uint8.
        #expect(try QuantizedConvPacking.pack(try Lowering.lower(try { () -> GraphMaker in
            var maker = GraphMaker(seed: 1)
            let x = try maker.input("x", [1, 6, 6, 8], .uint8)
            let w = try maker.graph.addConstant("w", Constant(data: TensorData(.int8, shape: [8, 1, 1, 8], integers: Array(repeating: 127, count: 64))))
            let b = try maker.graph.addConstant("b", Constant(data: TensorData(.int32, shape: [8], integers: Array(repeating: 0, count: 8))))
            let s = try maker.graph.addConstant("s", Constant(data: TensorData(float32: Array(repeating: 0.01, count: 8), shape: [8])))
            try maker.node(QuantizedConv2dParameters.operatorName, [x, w, b, s], ["inputLayout": .string("nhwc"), "filterLayout": .string("ohwi")])
            return maker
        }().graph), target: try ResolvedTarget(TargetOptions(cpu: "znver4")), vnniStandIn: nil).steps.contains {
            if case .quantizedConv2d(let a) = $0.kernel { return a.packing == QuantizedPacking(dotProduct: .vnni, lanes: 16, inRegisterZeroPoint: 0) }
            return false
        })
    }

    /// Pointwise convolutions on narrow images run as one row of H·W pixels: every width's
    /// tiles, on the host's kernels and on AVX2's (both dot products).
    @Test(arguments: [(7, 7, 64, 40), (14, 14, 24, 33), (5, 3, 9, 16), (1, 1, 40, 24), (2, 15, 8, 8)])
    func pointwiseImages(_ height: Int, _ width: Int, _ inputChannels: Int, _ outputChannels: Int) throws {
        let seed = testSeed()
        for (target, small) in [(TargetOptions(), false), (Self.avx2, true), (Self.avx2, false)] {
            var maker = GraphMaker(seed: seed)
            let x = try maker.input("x", [1, height, width, inputChannels], .uint8)
            let limit = small ? 64 : 128
            let weights = (0..<inputChannels * outputChannels).map { _ in Int64(Int.random(in: -limit..<limit, using: &maker.generator)) }
            let w = try maker.graph.addConstant("w", Constant(data: TensorData(.int8, shape: [outputChannels, 1, 1, inputChannels], integers: weights)))
            let b = try maker.graph.addConstant("b", Constant(data: TensorData(.int32, shape: [outputChannels], integers: (0..<outputChannels).map { Int64($0 * 37 - 500) })))
            let scale = Float(1.0 / (255 * 40 * Double(inputChannels).squareRoot()))
            let s = try maker.graph.addConstant("s", Constant(data: TensorData(float32: Array(repeating: scale, count: outputChannels), shape: [outputChannels])))
            try maker.node(QuantizedConv2dParameters.operatorName, [x, w, b, s], [
                "inputLayout": .string("nhwc"), "filterLayout": .string("ohwi"), "inputZeroPoint": .int(17), "outputZeroPoint": .int(100)])
            if target == Self.avx2 && !Self.hostHasAVX2 { continue }
            var options = CodeGenOptions(prefix: "model")
            options.target = target
            try expectMatchesReference(maker, seed: seed, options: options)
        }
    }

    /// A convolution on AVX2's 16-bit pairs with the input widened on the stack: odd channel
    /// counts (padded to quads), a zero point subtracted while widening (with padding) or folded
    /// (without), int8 input, a 1×1 kernel with a stride (compacted rows) and padding, more
    /// output channels than one task covers (several chunks of groups, a partial last group),
    /// a 7×7 stride-2 stem on 3 channels, dilation; and rows too wide to widen on the stack
    /// (`widenedBytesLimit`), widened in registers instead; a pointwise one on narrow rows (7 rows
    /// of 6 pixels joined into one); two images.
    @Test(arguments: [
        (height: 9, width: 13, inputChannels: 5, outputChannels: 150, kernel: 3, stride: 1, padding: 1, dilation: 1, signed: false, zeroPoint: 17),
        (height: 11, width: 12, inputChannels: 24, outputChannels: 40, kernel: 1, stride: 2, padding: 1, dilation: 1, signed: false, zeroPoint: 3),
        (height: 8, width: 15, inputChannels: 16, outputChannels: 272, kernel: 1, stride: 2, padding: 0, dilation: 1, signed: true, zeroPoint: -5),
        (height: 19, width: 23, inputChannels: 3, outputChannels: 16, kernel: 7, stride: 2, padding: 3, dilation: 1, signed: false, zeroPoint: 127),
        (height: 12, width: 14, inputChannels: 36, outputChannels: 24, kernel: 3, stride: 1, padding: 2, dilation: 2, signed: true, zeroPoint: 0),
        (height: 7, width: 7, inputChannels: 64, outputChannels: 33, kernel: 3, stride: 1, padding: 0, dilation: 1, signed: false, zeroPoint: 200),
        (height: 4, width: 260, inputChannels: 64, outputChannels: 9, kernel: 3, stride: 1, padding: 1, dilation: 1, signed: false, zeroPoint: 1),
        (height: 14, width: 6, inputChannels: 20, outputChannels: 24, kernel: 1, stride: 1, padding: 0, dilation: 1, signed: false, zeroPoint: 9),
    ])
    func widenedPairs(_ shape: (height: Int, width: Int, inputChannels: Int, outputChannels: Int, kernel: Int, stride: Int,
                                padding: Int, dilation: Int, signed: Bool, zeroPoint: Int)) throws {
        guard Self.hostHasAVX2 else {
            print("QuantizedConv2dTests.widenedPairs: skipped, this host has no AVX2")
            return
        }
        let seed = testSeed()
        var maker = GraphMaker(seed: seed)
        let (o, i, k) = (shape.outputChannels, shape.inputChannels, shape.kernel)
        let x = try maker.input("x", [2, shape.height, shape.width, i], shape.signed ? .int8 : .uint8)
        let weights = (0..<o * k * k * i).map { _ in Int64(Int.random(in: -128...127, using: &maker.generator)) }
        let w = try maker.graph.addConstant("w", Constant(data: TensorData(.int8, shape: [o, k, k, i], integers: weights)))
        let b = try maker.graph.addConstant("b", Constant(data: TensorData(.int32, shape: [o], integers: (0..<o).map { Int64($0 * 37 - 2000) })))
        let scale = Float(1.0 / (255 * 40 * Double(i * k * k).squareRoot()))
        let s = try maker.graph.addConstant("s", Constant(data: TensorData(float32: Array(repeating: scale, count: o), shape: [o])))
        let (p, stride, dilation) = (Int64(shape.padding), Int64(shape.stride), Int64(shape.dilation))
        try maker.node(QuantizedConv2dParameters.operatorName, [x, w, b, s], [
            "inputLayout": .string("nhwc"), "filterLayout": .string("ohwi"), "padding": .ints([p, p, p, p]),
            "strides": .ints([stride, stride]), "dilations": .ints([dilation, dilation]),
            "inputZeroPoint": .int(Int64(shape.zeroPoint)), "outputZeroPoint": .int(100), "outputDataType": .string("uint8")])
        let program = QuantizedConvPacking.pack(try Lowering.lower(maker.graph), target: try ResolvedTarget(Self.avx2),
                                                vnniStandIn: nil)
        let step = try #require(program.steps.first { if case .quantizedConv2d = $0.kernel { true } else { false } })
        guard case .quantizedConv2d(let attributes) = step.kernel else { return }
        let widened = k * shape.width * (i + 3) / 4 * 4 * 2 <= PackedQuantizedConv2dKernel.widenedBytesLimit
        #expect(widened == (shape.width < 200))
        #expect(try makeQuantizedConv2dEmitter(attributes, step).name
                == "PackedQuantizedConv2dKernel(pairs16 x8\(widened ? " widened" : ""))")
        try expectMatchesReference(maker, seed: seed, options: CodeGenOptions(prefix: "model", target: Self.avx2))
    }

    @Test func saturationRule() {
        #expect(QuantizedConvPacking.isSaturationFree([(64, 64), (127, -128), (-64, -64), (0, -128), (128, 0)]))
        #expect(!QuantizedConvPacking.isSaturationFree([(127, 2)]))
        #expect(!QuantizedConvPacking.isSaturationFree([(-128, -1)]))
        #expect(!QuantizedConvPacking.isSaturationFree([(65, 64)]))
        // 255·128 fits an int16, 255·129 does not: the bound is exact.
        #expect(255 * 128 <= Int(Int16.max) && 255 * 129 > Int(Int16.max) && -255 * 128 >= Int(Int16.min))
    }

    /// A library built for AVX-VNNI (`--mattr=+avxvnni`) or Zen 4 (AVX512-VNNI) uses `vpdpbusd`
    /// (compiled only: this machine may not execute it).
    /// (`--mattr=+avxvnni` on an AVX2 CPU: the VEX ymm form; `--mcpu=znver4`: zmm.)
    @Test(arguments: [(TargetOptions(cpu: "x86-64-v3", features: "+avxvnni"), "ymm"), (TargetOptions(cpu: "znver4"), "zmm")])
    func vnniInstruction(_ target: TargetOptions, _ register: String) throws {
        let maker = try Self.randomGraph(seed: 1, round: 3, nhwc: true, depthwise: false, smallWeights: false,
                                         signedInput: false, zeroPadding: true)
        let compiled = try CodeGen.compile(try Lowering.lower(maker.graph), options: CodeGenOptions(prefix: "vnni", target: target))
        let asm = String(decoding: try compiled.emit(.assembly), as: UTF8.self)
        #expect(asm.range(of: "vpdpbusd\t[^\n]*%\(register)", options: .regularExpression) != nil)
        #expect(compiled.description.steps.contains { $0.kernel.contains("vnni x\(register == "zmm" ? 16 : 8)") })
    }
}

/// The `fuse-qdq` pass: a QDQ convolution graph becomes quantizedConv2d nodes whose interpreter
/// results are within one quantization step of the QDQ float graph's, and whose compiled results
/// equal the interpreter's.
@Suite struct QDQFusionTests {
    @Test(arguments: 0..<9) func qdqConvolution(_ round: Int) throws {
        let seed = testSeed()
        var maker = GraphMaker(seed: seed)
        let layer = round % 3, depthwise = layer == 1, kernel = layer == 2 ? 1 : 3
        let inC = [3, 8, 16][Int.random(in: 0...2, using: &maker.generator)]
        let (height, width) = (Int.random(in: 6...12, using: &maker.generator), Int.random(in: 6...12, using: &maker.generator))
        let activationType: DataType = round % 2 == 0 ? .uint8 : .int8
        let image = try maker.input("image", [1, inC, height, width], in: -1...1)
        let inputScale: Float = 1.0 / 100, inputZero = activationType == .uint8 ? 128 : 3
        let x = try maker.node("quantizeLinear", [image, try maker.scaleConstant("sx", inputScale), try maker.zeroPointConstant("zx", inputZero, activationType)],
                               output: false)
        let outC = depthwise ? inC : [8, 16, 17][round % 3]
        let count = outC * (depthwise ? 1 : inC) * kernel * kernel
        let weights = (0..<count).map { _ in Int64(Int.random(in: -127...127, using: &maker.generator)) }
        let filterScales = (0..<outC).map { _ in Float.random(in: 0.002...0.01, using: &maker.generator) }
        let wq = try maker.graph.addConstant("w", Constant(data: TensorData(.int8, shape: [outC, depthwise ? 1 : inC, kernel, kernel], integers: weights)))
        let ws = try maker.graph.addConstant("ws", Constant(data: TensorData(float32: filterScales, shape: [outC, 1, 1, 1])))
        let wz = try maker.graph.addConstant("wz", Constant(data: TensorData(.int8, shape: [outC, 1, 1, 1], integers: Array(repeating: 0, count: outC))))
        let biasValues = (0..<outC).map { _ in Int64(Int.random(in: -300...300, using: &maker.generator)) }
        let bq = try maker.graph.addConstant("b", Constant(data: TensorData(.int32, shape: [outC], integers: biasValues)))
        let bs = try maker.graph.addConstant("bs", Constant(data: TensorData(float32: filterScales.map { $0 * inputScale }, shape: [outC])))
        let bz = try maker.graph.addConstant("bz", Constant(data: TensorData(.int32, shape: [outC], integers: Array(repeating: 0, count: outC))))
        let dx = try maker.node("dequantizeLinear", [x, try maker.scaleConstant("s", inputScale), try maker.zeroPointConstant("z", inputZero, activationType)], output: false)
        let dw = try maker.node("dequantizeLinear", [wq, ws, wz], output: false)
        let db = try maker.node("dequantizeLinear", [bq, bs, bz], output: false)
        var y = try maker.node("conv2d", [dx, dw, db], [
            "padding": .ints(kernel == 3 ? [1, 1, 1, 1] : [0, 0, 0, 0]), "strides": .ints(round % 4 == 0 ? [2, 2] : [1, 1]),
            "groups": .int(depthwise ? Int64(inC) : 1)], output: false)
        if round % 3 == 0 { y = try maker.node("relu", [y], output: false) }
        if round % 3 == 1 { y = try maker.node("clamp", [y], ["minValue": .double(0), "maxValue": .double(6)], output: false) }
        let outputScale = Float.random(in: 0.01...0.05, using: &maker.generator)
        let outputZero = activationType == .uint8 ? [0, 100][round % 2] : [-128, -10][round % 2]
        try maker.node("quantizeLinear", [y, try maker.scaleConstant("ys", outputScale), try maker.zeroPointConstant("yz", outputZero, activationType)])
        try expectQDQFusion(maker, seed: seed, into: QuantizedConv2dParameters.operatorName, removing: ["conv2d", "dequantizeLinear"],
                            rarelyOffByOne: true)
    }

    /// A padded convolution of an input with a zero point reads it padded with the zero point
    /// (a `pad` node, the convolution unpadded), so the VNNI kernel folds the zero point.
    @Test func zeroPointPadding() throws {
        var maker = GraphMaker(seed: 3)
        func constant(_ name: String, _ data: TensorData) throws -> ValueID { try maker.graph.addConstant(name, Constant(data: data)) }
        let image = try maker.input("image", [1, 3, 9, 9], in: -1...1)
        let x = try maker.node("quantizeLinear", [image, try constant("sx", TensorData(float32: [0.01], shape: [1, 1, 1, 1])),
                                                  try constant("zx", TensorData(.uint8, shape: [1, 1, 1, 1], integers: [128]))], output: false)
        let dx = try maker.node("dequantizeLinear", [x, try constant("sx2", TensorData(float32: [0.01], shape: [1, 1, 1, 1])),
                                                     try constant("zx2", TensorData(.uint8, shape: [1, 1, 1, 1], integers: [128]))], output: false)
        let weights = (0..<16 * 3 * 9).map { Int64($0 % 255 - 127) }
        let dw = try maker.node("dequantizeLinear", [try constant("w", TensorData(.int8, shape: [16, 3, 3, 3], integers: weights)),
                                                     try constant("ws", TensorData(float32: [0.004], shape: [1, 1, 1, 1])),
                                                     try constant("wz", TensorData(.int8, shape: [1, 1, 1, 1], integers: [0]))], output: false)
        let y = try maker.node("conv2d", [dx, dw], ["padding": .ints([1, 2, 1, 0]), "strides": .ints([2, 2])], output: false)
        try maker.node("quantizeLinear", [y, try constant("sy", TensorData(float32: [0.05], shape: [1, 1, 1, 1])),
                                          try constant("zy", TensorData(.uint8, shape: [1, 1, 1, 1], integers: [100]))])
        var fused = maker
        try PassManager(pipeline: PassRegistry.pipeline(optimizationLevel: 2)).run(&fused.graph)
        #expect(fused.graph.nodes.filter { $0.op == "pad" }.count == 1)
        let convolution = try #require(fused.graph.nodes.first { $0.op == QuantizedConv2dParameters.operatorName })
        #expect(convolution.ints("padding") == [0, 0, 0, 0])
        if QuantizedConv2dTests.hostHasAVX2 {
            #expect(try QuantizedConv2dTests.packing(fused, standIn: 16)?.dotProduct == .vnniStandIn)
        }
        try expectMatchesReference(fused, seed: 3)
        // The same as the QDQ graph, within a step.
        let name = maker.graph[maker.graph.outputs[0]].name
        let qdq = try Interpreter(maker.graph).run(maker.inputs)[name]!.integers
        let integer = try Interpreter(fused.graph).run(maker.inputs)[name]!.integers
        #expect(zip(qdq, integer).allSatisfy { abs($0 - $1) <= 1 })
    }

    /// A QDQ gemm (per-column weight scales, int32 bias, relu; weights [K, N] or transposed
    /// [N, K]) becomes a 1×1 quantizedConv2d between reshapes. With `reshapedParameters`, the
    /// scales and zero points are what the ONNX importer writes: a scalar or vector constant
    /// reshaped to the operand's rank (fuse-qdq runs before constant folding; it missed these,
    /// and every imported QDQ model ran as float convolutions).
    @Test(arguments: [false, true], [false, true]) func qdqGemm(_ transposed: Bool, _ reshapedParameters: Bool) throws {
        let seed = testSeed()
        var maker = GraphMaker(seed: seed)
        let (m, k, n) = (3, 37, 19)
        let a = try maker.input("a", [m, k], in: -1...1)
        func constant(_ name: String, _ data: TensorData) throws -> ValueID { try maker.graph.addConstant(name, Constant(data: data)) }
        func parameter(_ name: String, _ data: TensorData) throws -> ValueID {
            guard reshapedParameters else { return try constant(name, data) }
            let count = data.type.elementCount
            let flat = TensorData(type: TensorType(data.type.dataType, count == 1 ? [] : [count]), bytes: data.bytes)!
            return try maker.node("reshape", [try constant(name, flat)], ["newShape": .ints(data.type.shape.map { Int64($0) })],
                                  output: false)
        }
        let aq = try maker.node("quantizeLinear", [a, try parameter("sa", TensorData(float32: [0.01], shape: [1, 1])),
                                                   try parameter("za", TensorData(.uint8, shape: [1, 1], integers: [120]))], output: false)
        let da = try maker.node("dequantizeLinear", [aq, try parameter("sa2", TensorData(float32: [0.01], shape: [1, 1])),
                                                     try parameter("za2", TensorData(.uint8, shape: [1, 1], integers: [120]))], output: false)
        let weights = (0..<k * n).map { _ in Int64(Int.random(in: -127...127, using: &maker.generator)) }
        let columnScales = (0..<n).map { _ in Float.random(in: 0.002...0.01, using: &maker.generator) }
        let scaleShape = transposed ? [n, 1] : [1, n]
        let db = try maker.node("dequantizeLinear", [
            try constant("w", TensorData(.int8, shape: transposed ? [n, k] : [k, n], integers: weights)),
            try parameter("ws", TensorData(float32: columnScales, shape: scaleShape)),
            try parameter("wz", TensorData(.int8, shape: scaleShape, integers: Array(repeating: 0, count: n)))], output: false)
        let dc = try maker.node("dequantizeLinear", [
            try constant("b", TensorData(.int32, shape: [n], integers: (0..<n).map { Int64($0 * 29 - 200) })),
            try constant("bs", TensorData(float32: columnScales.map { $0 * 0.01 }, shape: [n])),
            try constant("bz", TensorData(.int32, shape: [n], integers: Array(repeating: 0, count: n)))], output: false)
        let y = try maker.node("gemm", [da, db, dc], ["bTranspose": .bool(transposed)], output: false)
        let r = try maker.node("relu", [y], output: false)
        try maker.node("quantizeLinear", [r, try parameter("sy", TensorData(float32: [0.02], shape: [1, 1])),
                                          try parameter("zy", TensorData(.uint8, shape: [1, 1], integers: [5]))])
        try expectQDQFusion(maker, seed: seed, into: QuantizedConv2dParameters.operatorName, removing: ["gemm", "conv2d"],
                            rarelyOffByOne: false)
    }
}

extension GraphMaker {
    /// A float32 scale constant of shape [1, 1, 1, 1] (per tensor, broadcast over nchw).
    mutating func scaleConstant(_ name: String, _ value: Float) throws -> ValueID {
        try graph.addConstant(name, Constant(data: TensorData(float32: [value], shape: [1, 1, 1, 1])))
    }

    /// A zero-point constant of `type` and shape [1, 1, 1, 1].
    mutating func zeroPointConstant(_ name: String, _ value: Int, _ type: DataType) throws -> ValueID {
        try graph.addConstant(name, Constant(data: TensorData(type, shape: [1, 1, 1, 1], integers: [Int64(value)])))
    }
}

/// Runs the -O2 pipeline (fuse-qdq first) on `maker`'s QDQ graph and expects one `fusedOp` node and
/// none of `removed`; the fused graph's interpreted result within one quantization step of the QDQ
/// graph's (with `rarelyOffByOne`, at most 1 value in 20 off by one); and the compiled fused graph
/// equal to the interpreter.
func expectQDQFusion(_ maker: GraphMaker, seed: UInt64, into fusedOp: String, removing removed: Set<String>,
                     rarelyOffByOne: Bool, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
    let original = maker.graph
    var fused = original
    try PassManager(pipeline: PassRegistry.pipeline(optimizationLevel: 2)).run(&fused)
    #expect(fused.nodes.filter { $0.op == fusedOp }.count == 1, "seed \(seed)", sourceLocation: sourceLocation)
    #expect(!fused.nodes.contains { removed.contains($0.op) }, "seed \(seed)", sourceLocation: sourceLocation)
    let name = original[original.outputs[0]].name
    let qdq = try Interpreter(original).run(maker.inputs)[name]!.integers
    let integer = try Interpreter(fused).run(maker.inputs)[name]!.integers
    let differences = zip(qdq, integer).map { abs($0 - $1) }
    #expect(differences.allSatisfy { $0 <= 1 }, "seed \(seed): max difference \(differences.max() ?? 0)", sourceLocation: sourceLocation)
    if rarelyOffByOne {
        #expect(differences.filter { $0 != 0 }.count * 20 <= differences.count, "seed \(seed): too many off by one",
                sourceLocation: sourceLocation)
    }
    var compiled = maker
    compiled.graph = fused
    try expectMatchesReference(compiled, seed: seed, sourceLocation: sourceLocation)
}
