import Testing
import WebNNBasics
import WebNNIR
import WebNNReference

@Suite struct ConvolutionTests {
    @Test func plainConvolution() throws {
        // Each output is x[i][j] + x[i+1][j+1] of the 3x3 input 1...9.
        let output = try run("conv2d", [f32(counting(9), [1, 1, 3, 3]), f32([1, 0, 0, 1], [1, 1, 2, 2])])
        expectTensor(output, [6, 8, 12, 14], [1, 1, 2, 2])
    }

    @Test func asymmetricPaddingStridesAndDilations() throws {
        // Input 4x4 = 1...16, filter [[1, 2], [3, 4]], padding top 1 / bottom 0 / left 0 / right 1,
        // strides [2, 1], dilations [1, 2]: out H = (4+1-2)/2+1 = 2, out W = (4+1-3)/1+1 = 3.
        // Row 0 sees padding then input row 0; row 1 sees input rows 1 and 2; columns j and j+2.
        let attributes: [String: Attribute] = ["padding": .ints([1, 0, 0, 1]), "strides": .ints([2, 1]), "dilations": .ints([1, 2])]
        let input = f32(counting(16), [1, 1, 4, 4]), filter = f32([1, 2, 3, 4], [1, 1, 2, 2])
        expectTensor(try run("conv2d", [input, filter], attributes), [15, 22, 9, 90, 100, 40], [1, 1, 2, 3])
        let withBias = try run("conv2d", [input, filter, f32([0.5], [1])], attributes)
        expectTensor(withBias, [15.5, 22.5, 9.5, 90.5, 100.5, 40.5], [1, 1, 2, 3])
    }

    @Test func sumsOverInputChannels() throws {
        // Two input channels [1, 2, 3, 4] and [5, 6, 7, 8], 1x1 filter [1, 10]: ch0 + 10 * ch1.
        let output = try run("conv2d", [f32(counting(8), [1, 2, 2, 2]), f32([1, 10], [1, 2, 1, 1])])
        expectTensor(output, [51, 62, 73, 84], [1, 1, 2, 2])
    }

    @Test func groupsMapOutputChannelsToTheirGroup() throws {
        // groups = 2, two output channels per group: outputs 0, 1 read channel 0, outputs 2, 3 read channel 1.
        let output = try run("conv2d", [f32(counting(8), [1, 2, 2, 2]), f32([1, 10, 100, 1000], [4, 1, 1, 1])],
                             ["groups": .int(2)])
        expectTensor(output, [1, 2, 3, 4, 10, 20, 30, 40, 500, 600, 700, 800, 5000, 6000, 7000, 8000], [1, 4, 2, 2])
    }

    @Test func depthwiseWithPadding() throws {
        // Channel 0 [[1, 2], [3, 4]] with an all-ones 2x2 filter and padding below and right: window sums 10, 6, 7, 4.
        // Channel 1 [[5, 6], [7, 8]] with filter [[1, 0], [0, 0]]: a copy.
        let output = try run("conv2d", [f32(counting(8), [1, 2, 2, 2]), f32([1, 1, 1, 1, 1, 0, 0, 0], [2, 1, 2, 2])],
                             ["groups": .int(2), "padding": .ints([0, 1, 0, 1])])
        expectTensor(output, [10, 6, 7, 4, 5, 6, 7, 8], [1, 2, 2, 2])
    }

    @Test func batchesAreIndependent() throws {
        let output = try run("conv2d", [f32([1, 2, 3, 4], [2, 1, 1, 2]), f32([1, 1], [1, 1, 1, 2])])
        expectTensor(output, [3, 7], [2, 1, 1, 1])
    }

    /// A grouped, padded, strided, dilated convolution with an uneven kernel, used to compare layouts.
    private static let attributes: [String: Attribute] = [
        "groups": .int(2), "padding": .ints([1, 0, 2, 1]), "strides": .ints([1, 2]), "dilations": .ints([2, 1]),
    ]
    private static let inputShape = [2, 4, 5, 6]            // nchw
    private static let filterShape = [6, 2, 2, 3]           // oihw: 3 outputs per group, 2 inputs per group
    private static let input = (0..<240).map { Float(($0 * 7) % 11) - 5 }
    private static let filter = (0..<72).map { Float(($0 * 5) % 9) - 4 }

    @Test(arguments: [("hwio", [2, 3, 1, 0]), ("ohwi", [0, 2, 3, 1]), ("ihwo", [1, 2, 3, 0])])
    func everyFilterLayoutMatchesOihw(layout: String, permutation: [Int]) throws {
        let bias = f32([1, 2, 3, 4, 5, 6], [6])
        let oihw = try run("conv2d", [f32(Self.input, Self.inputShape), f32(Self.filter, Self.filterShape), bias],
                           Self.attributes)
        let filter = f32(permuted(Self.filter, Self.filterShape, permutation), permutation.map { Self.filterShape[$0] })
        var attributes = Self.attributes
        attributes["filterLayout"] = .string(layout)
        let output = try run("conv2d", [f32(Self.input, Self.inputShape), filter, bias], attributes)
        #expect(oihw.type.shape == [2, 6, 4, 4])
        #expect(output == oihw)
    }

    @Test func nhwcGivesThePermutedResult() throws {
        let nchw = try run("conv2d", [f32(Self.input, Self.inputShape), f32(Self.filter, Self.filterShape)], Self.attributes)
        var attributes = Self.attributes
        attributes["inputLayout"] = .string("nhwc")
        let nhwcInput = f32(permuted(Self.input, Self.inputShape, [0, 2, 3, 1]), [2, 5, 6, 4])
        let nhwc = try run("conv2d", [nhwcInput, f32(Self.filter, Self.filterShape)], attributes)
        expectTensor(nhwc, permuted(nchw.floats, nchw.type.shape, [0, 2, 3, 1]), [2, 4, 4, 6])
    }
}

@Suite struct ConvTranspose2dTests {
    private let x = f32([1, 2, 3, 4], [1, 1, 2, 2])
    private let ones = f32([1, 1, 1, 1], [1, 1, 2, 2])

    @Test func eachInputScattersTheKernel() throws {
        // Overlapping 2x2 blocks of ones, weighted by 1, 2, 3, 4.
        expectTensor(try run("convTranspose2d", [x, ones]), [1, 3, 2, 4, 10, 6, 3, 7, 4], [1, 1, 3, 3])
        // Stride 2: the blocks no longer overlap.
        expectTensor(try run("convTranspose2d", [x, ones], ["strides": .ints([2, 2])]),
                     [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4], [1, 1, 4, 4])
    }

    @Test func paddingCropsAndOutputPaddingExtends() throws {
        expectTensor(try run("convTranspose2d", [x, ones], ["padding": .ints([1, 1, 1, 1])]), [10], [1, 1, 1, 1])
        expectTensor(try run("convTranspose2d", [x, ones], ["padding": .ints([0, 1, 1, 0])]), [3, 2, 10, 6], [1, 1, 2, 2])
        // outputPadding adds a row at the bottom (and outputSizes picks the same size, ignoring outputPadding).
        let padded = try run("convTranspose2d", [x, ones], ["strides": .ints([2, 2]), "outputPadding": .ints([1, 0])])
        expectTensor(padded, [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4, 0, 0, 0, 0], [1, 1, 5, 4])
        let sized = try run("convTranspose2d", [x, ones], ["strides": .ints([2, 2]), "outputSizes": .ints([5, 4]),
                                                         "outputPadding": .ints([0, 1])])
        #expect(sized == padded)
    }

    @Test func dilationsGroupsAndBias() throws {
        // Dilation 2 spreads the 1x2 kernel [1, 10] over columns c and c + 2.
        expectTensor(try run("convTranspose2d", [f32([1, 2], [1, 1, 1, 2]), f32([1, 10], [1, 1, 1, 2])], ["dilations": .ints([1, 2])]),
                     [1, 2, 10, 20], [1, 1, 1, 4])
        // Two groups of one channel each: channel 0 times 3, channel 1 times 5, plus bias.
        let grouped = try run("convTranspose2d", [f32([1, 2], [1, 2, 1, 1]), f32([3, 5], [2, 1, 1, 1]), f32([0.5, -1], [2])],
                              ["groups": .int(2)])
        expectTensor(grouped, [3.5, 9], [1, 2, 1, 1])
        // One input channel to two output channels (iohw filter [1, 2, 1, 1]).
        expectTensor(try run("convTranspose2d", [f32([2], [1, 1, 1, 1]), f32([3, 4], [1, 2, 1, 1])]), [6, 8], [1, 2, 1, 1])
    }

    @Test func layouts() throws {
        // Input channels 2, output channels 3, 1x1 kernel: out[o] = sum_i x[i] * w[i][o].
        let input = f32([1, 10], [1, 1, 1, 2])  // nhwc
        let iohw: [Float] = [1, 2, 3, 4, 5, 6]  // w[i][o]
        let expected: [Float] = [41, 52, 63]
        expectTensor(try run("convTranspose2d", [input, f32(iohw, [2, 3, 1, 1])], ["inputLayout": .string("nhwc")]), expected, [1, 1, 1, 3])
        // hwoi [1, 1, 3, 2] and ohwi [3, 1, 1, 2] both store w[o][i].
        let oi: [Float] = [1, 4, 2, 5, 3, 6]
        expectTensor(try run("convTranspose2d", [input, f32(oi, [1, 1, 3, 2])], ["inputLayout": .string("nhwc"), "filterLayout": .string("hwoi")]),
                     expected, [1, 1, 1, 3])
        expectTensor(try run("convTranspose2d", [f32([1, 10], [1, 2, 1, 1]), f32(oi, [3, 1, 1, 2])], ["filterLayout": .string("ohwi")]),
                     expected, [1, 3, 1, 1])
    }
}
