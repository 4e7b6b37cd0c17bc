import Foundation
import Testing
import WebNNBasics
import WebNNIR
import WebNNLowering
import WebNNReference

/// convTranspose2d, l2Pool2d, instanceNormalization, layerNormalization, resample2d,
/// quantizeLinear and dequantizeLinear compiled and compared with the reference interpreter
/// (`expectMatchesReference`: WPT tolerance, integers exactly, serial and parallel runs
/// bit-identical), over their data types and options on random shapes.
@Suite struct SpatialNormalizationTests {
    private static func ints(_ values: [Int]) -> Attribute { .ints(values.map(Int64.init)) }

    @Test(arguments: [DataType.float32, .float16], 0..<12) func convTranspose2d(_ dataType: DataType, _ round: Int) throws {
        let seed = testSeed()
        var maker = GraphMaker(seed: seed)
        var g = maker.generator
        let groups = [1, 1, 2, 3][Int.random(in: 0...3, using: &g)]
        let inputChannelsPerGroup = Int.random(in: 1...5, using: &g)
        let outputChannelsPerGroup = round % 4 == 3 ? 9 : Int.random(in: 1...6, using: &g)
        let inputChannels = inputChannelsPerGroup * groups, outputChannels = outputChannelsPerGroup * groups
        let (kh, kw) = (Int.random(in: 1...4, using: &g), Int.random(in: 1...3, using: &g))
        let strides = [round % 3 == 0 ? 2 : Int.random(in: 1...3, using: &g), Int.random(in: 1...3, using: &g)]
        let dilations = [Int.random(in: 1...2, using: &g), Int.random(in: 1...2, using: &g)]
        let padding = (0..<4).map { _ in Int.random(in: 0...1, using: &g) }
        let (height, width) = (Int.random(in: 3...9, using: &g), Int.random(in: 3...11, using: &g))
        let batch = Int.random(in: 1...2, using: &g)
        let outputPadding = strides.map { Int.random(in: 0..<$0, using: &g) }
        maker.generator = g
        let nhwc = round % 2 == 1
        let filterLayout = ConvTranspose2dFilterLayout.allCases[round % 3]
        let inputShape = nhwc ? [batch, height, width, inputChannels] : [batch, inputChannels, height, width]
        let filterShape: [Int] = {
            switch filterLayout {
            case .iohw: return [inputChannels, outputChannelsPerGroup, kh, kw]
            case .hwoi: return [kh, kw, outputChannelsPerGroup, inputChannels]
            case .ohwi: return [outputChannelsPerGroup, kh, kw, inputChannels]
            }
        }()
        let input = try maker.input("input", inputShape, dataType, in: -2...2)
        let filter = try maker.constant("filter", filterShape, dataType, in: -2...2)
        let bias = round % 3 == 1 ? nil : try maker.constant("bias", [outputChannels], dataType, in: -2...2)
        var options: [String: Attribute] = [
            "padding": Self.ints(padding), "strides": Self.ints(strides), "dilations": Self.ints(dilations),
            "groups": .int(Int64(groups)), "inputLayout": .string(nhwc ? "nhwc" : "nchw"),
            "filterLayout": .string(filterLayout.rawValue)]
        if round % 4 == 2 {
            // outputSizes: the unpadded size plus outputPadding (any value below the stride).
            let inputSizes = [height, width], kernel = [kh, kw]
            let sizes = (0..<2).map { (axis: Int) -> Int in
                let spread: Int = (inputSizes[axis] - 1) * strides[axis]
                let reach: Int = (kernel[axis] - 1) * dilations[axis] + 1
                let cropped: Int = padding[2 * axis] + padding[2 * axis + 1]
                return spread + reach - cropped + outputPadding[axis]
            }
            options["outputSizes"] = Self.ints(sizes)
        } else {
            options["outputPadding"] = Self.ints(outputPadding)
        }
        try maker.node("convTranspose2d", [input, filter, bias], options)
        try expectMatchesReference(maker, seed: seed)
    }

    @Test(arguments: [DataType.float32, .float16], 0..<6) func l2Pool2d(_ dataType: DataType, _ round: Int) throws {
        let seed = testSeed()
        var maker = GraphMaker(seed: seed)
        let (x, options) = try maker.randomPooling(dataType, round: round, of: 6)
        try maker.node("l2Pool2d", [x], options)
        try maker.node("l2Pool2d", [x], ["layout": options["layout"]!])  // global
        try expectMatchesReference(maker, seed: seed)
    }

    @Test(arguments: [DataType.float32, .float16], ["nchw", "nhwc"]) func instanceNormalization(_ dataType: DataType, _ layout: String) throws {
        let seed = testSeed()
        var maker = GraphMaker(seed: seed)
        let (channels, height, width) = (11, 7, 13)
        let shape = layout == "nhwc" ? [2, height, width, channels] : [2, channels, height, width]
        let x = try maker.input("x", shape, dataType, in: -3...5)
        let scale = try maker.constant("scale", [channels], dataType, in: 0.5...2)
        let bias = try maker.input("bias", [channels], dataType, in: -1...1)
        try maker.node("instanceNormalization", [x, scale, bias], ["layout": .string(layout), "epsilon": .double(1e-3)])
        try maker.node("instanceNormalization", [x, nil, nil], ["layout": .string(layout)])
        try maker.node("instanceNormalization", [x, scale, nil], ["layout": .string(layout)])
        let wide = try maker.input("wide", layout == "nhwc" ? [1, 3, 2, 600] : [1, 600, 3, 2], dataType, in: -1...1)
        try maker.node("instanceNormalization", [wide, nil, nil], ["layout": .string(layout)])
        try expectMatchesReference(maker, seed: seed)
    }

    @Test(arguments: [DataType.float32, .float16]) func layerNormalization(_ dataType: DataType) throws {
        let seed = testSeed()
        var maker = GraphMaker(seed: seed)
        let shape = [3, 5, 7, 9]
        let x = try maker.input("x", shape, dataType, in: -3...5)
        for axes in [nil, [3], [1, 2], [3, 1], [0, 2], [2, 0, 3], [], [0, 1, 2, 3]] as [[Int]?] {
            let reduced = axes ?? [1, 2, 3]
            let parameterShape = reduced.map { shape[$0] }
            let name = reduced.map(String.init).joined()
            let scale = try maker.constant("scale\(name)", parameterShape, dataType, in: 0.5...2)
            let bias = try maker.constant("bias\(name)", parameterShape, dataType, in: -1...1)
            var options: [String: Attribute] = ["epsilon": .double(1e-4)]
            if let axes { options["axes"] = Self.ints(axes) }
            try maker.node("layerNormalization", [x, scale, bias], options)
            try maker.node("layerNormalization", [x, nil, reduced.count == 2 ? bias : nil], options)
        }
        let vector = try maker.input("vector", [1000], dataType, in: -1...1)
        try maker.node("layerNormalization", [vector, nil, nil], ["axes": Self.ints([0])])
        // A transformer's rows: 233 slices of 40, several slices a task (`elementsPerTask`),
        // the last task shorter.
        let rows = try maker.input("rows", [233, 40], dataType, in: -2...2)
        try maker.node("layerNormalization", [rows, try maker.constant("rowScale", [40], dataType, in: 0.5...2),
                                              try maker.constant("rowBias", [40], dataType, in: -1...1)], ["axes": Self.ints([1])])
        try expectMatchesReference(maker, seed: seed)
    }

    @Test(arguments: [DataType.float32, .float16, .int8, .uint8], ["nearest-neighbor", "linear"])
    func resample2d(_ dataType: DataType, _ mode: String) throws {
        let seed = testSeed()
        var maker = GraphMaker(seed: seed)
        let x = try maker.input("x", [2, 3, 5, 7], dataType, in: -4...4)
        let cases: [[String: Attribute]] = [
            [:],
            ["scales": .doubles([2, 3])],
            ["scales": .doubles([0.5, 0.75])],
            ["scales": .doubles([1.7, 0.4])],
            ["sizes": Self.ints([11, 4])],
            ["sizes": Self.ints([3, 13]), "axes": Self.ints([1, 2])],
            ["scales": .doubles([2.5, 1.5]), "axes": Self.ints([3, 0])],
            ["sizes": Self.ints([4, 2]), "axes": Self.ints([1, 3])],
        ]
        for options in cases {
            var attributes = options
            attributes["mode"] = .string(mode)
            try maker.node("resample2d", [x], attributes)
        }
        try expectMatchesReference(maker, seed: seed)
    }

    /// The float32 path's compile-time tap tables on a DeepLab-like upsample (33 → 129) and on
    /// other axes, and infinities: a zero weight must not multiply them (0 · ∞ would be NaN), so
    /// an identity resample and the clamped borders of a 2× one pass them through.
    @Test func resample2dFloat32Tables() throws {
        let seed = testSeed()
        var maker = GraphMaker(seed: seed)
        let x = try maker.input("x", [1, 3, 33, 33])
        try maker.node("resample2d", [x], ["mode": .string("linear"), "sizes": Self.ints([129, 129])])
        try maker.node("resample2d", [x], ["mode": .string("linear"), "sizes": Self.ints([7, 70]), "axes": Self.ints([1, 2])])
        try maker.node("resample2d", [x], ["sizes": Self.ints([65, 20])])
        let special = try maker.input("special", .float32, doubles: [1, .infinity, 2, -3, 4, 5, -.infinity, 6, 7, 8, 9, 10])
        let image = try maker.node("reshape", [special], ["newShape": Self.ints([1, 1, 3, 4])], output: false)
        try maker.node("resample2d", [image], ["mode": .string("linear"), "scales": .doubles([2, 2])])
        try maker.node("resample2d", [image], ["mode": .string("linear"), "scales": .doubles([1, 1])])
        try expectMatchesReference(maker, seed: seed)
    }

    /// Scale and zero-point shapes for an input of [4, 6, 10]: per tensor, per axis, blocks.
    private static let parameterShapes = [[1, 1, 1], [1, 6, 1], [4, 1, 1], [2, 3, 5], [4, 1, 2], [1, 1, 10], [4, 6, 10]]

    @Test(arguments: [DataType.float32, .float16], [DataType.uint8, .int8, .uint32, .int32])
    func quantizeLinear(_ inputType: DataType, _ quantizedType: DataType) throws {
        let seed = testSeed()
        var maker = GraphMaker(seed: seed)
        let shape = [4, 6, 10]
        let x = try maker.input("x", shape, inputType, in: -300...300)
        // Some NaNs, infinities, halves and saturating values.
        var values = maker.inputs["x"]!.doubles
        let specials: [Double] = [.nan, .infinity, -.infinity, 0.5, 1.5, 2.5, -0.5, -2.5, 1e9, -1e9, 4e9, 65504, -65504]
        for (index, special) in specials.enumerated() { values[index * 17 % values.count] = special }
        maker.inputs["x"] = TensorData(inputType, shape: shape, values: values)
        for (index, parameterShape) in Self.parameterShapes.enumerated() {
            let scale = try maker.constant("scale\(index)", parameterShape, inputType, in: 0.05...3)
            let zeroPoint = try maker.constant("zeroPoint\(index)", parameterShape, quantizedType)
            try maker.node("quantizeLinear", [x, scale, zeroPoint])
        }
        let unit = try maker.constant("unit", [1, 1, 1], inputType, in: 1...1)
        let zero = try maker.graph.addConstant("zero", Constant(data: TensorData(quantizedType, shape: [1, 1, 1], integers: [0])))
        try maker.node("quantizeLinear", [x, unit, zero])
        try expectMatchesReference(maker, seed: seed)
    }

    @Test(arguments: [DataType.uint8, .int8, .uint32, .int32], [DataType.float32, .float16])
    func dequantizeLinear(_ quantizedType: DataType, _ scaleType: DataType) throws {
        let seed = testSeed()
        var maker = GraphMaker(seed: seed)
        let x = try maker.input("x", [4, 6, 10], quantizedType)
        for (index, parameterShape) in Self.parameterShapes.enumerated() {
            let scale = try maker.constant("scale\(index)", parameterShape, scaleType, in: 0.001...2)
            let zeroPoint = try maker.constant("zeroPoint\(index)", parameterShape, quantizedType)
            try maker.node("dequantizeLinear", [x, scale, zeroPoint])
        }
        try expectMatchesReference(maker, seed: seed)
    }
}
