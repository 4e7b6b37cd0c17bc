import Testing
import WebNNBasics
import WebNNIR
import WebNNReference

@Suite struct PoolingTests {
    @Test func globalWindowByDefault() throws {
        let x = f32([1, 2, 3, 4, 5, 6, 7, 8], [1, 2, 2, 2])
        expectTensor(try run("averagePool2d", [x]), [2.5, 6.5], [1, 2, 1, 1])
        expectTensor(try run("maxPool2d", [x]), [4, 8], [1, 2, 1, 1])
    }

    @Test func averageExcludesPadding() throws {
        // 2x2 input [[1, 2], [3, 4]], 2x2 window, padding 1 all round: each output averages only the input it covers.
        let output = try run("averagePool2d", [f32([1, 2, 3, 4], [1, 1, 2, 2])],
                             ["windowDimensions": .ints([2, 2]), "padding": .ints([1, 1, 1, 1])])
        expectTensor(output, [1, 1.5, 2, 2, 2.5, 3, 3, 3.5, 4], [1, 1, 3, 3])
    }

    @Test func maxIgnoresPadding() throws {
        // Negative inputs: padding must not act as 0.
        let output = try run("maxPool2d", [f32([-1, -2, -3, -4], [1, 1, 2, 2])],
                             ["windowDimensions": .ints([2, 2]), "padding": .ints([1, 1, 1, 1])])
        expectTensor(output, [-1, -1, -2, -1, -1, -2, -3, -3, -4], [1, 1, 3, 3])
    }

    @Test func ceilRoundingAddsPartialWindows() throws {
        // 3x3 input 1...9, 2x2 window, strides 2: (3-2)/2+1 = 1.5 windows per axis; ceil keeps the partial ones.
        let x = f32(counting(9), [1, 1, 3, 3])
        let ceil: [String: Attribute] = ["windowDimensions": .ints([2, 2]), "strides": .ints([2, 2]), "outputShapeRounding": .string("ceil")]
        expectTensor(try run("averagePool2d", [x], ceil), [3, 4.5, 7.5, 9], [1, 1, 2, 2])
        expectTensor(try run("maxPool2d", [x], ceil), [5, 6, 8, 9], [1, 1, 2, 2])
        let floor: [String: Attribute] = ["windowDimensions": .ints([2, 2]), "strides": .ints([2, 2])]
        expectTensor(try run("averagePool2d", [x], floor), [3], [1, 1, 1, 1])
    }

    @Test func outputSizesPickTheRounding() throws {
        let x = f32(counting(9), [1, 1, 3, 3])
        let window: [String: Attribute] = ["windowDimensions": .ints([2, 2]), "strides": .ints([2, 2])]
        expectTensor(try run("maxPool2d", [x], window.merging(["outputSizes": .ints([2, 2])]) { $1 }), [5, 6, 8, 9], [1, 1, 2, 2])
        expectTensor(try run("maxPool2d", [x], window.merging(["outputSizes": .ints([1, 1]),
                                                                "outputShapeRounding": .string("ceil")]) { $1 }), [5], [1, 1, 1, 1])
    }

    @Test func dilatedWindows() throws {
        // 4x4 input 1...16, 2x2 window dilated by 2: each window reads x[i][j], x[i][j+2], x[i+2][j], x[i+2][j+2].
        let x = f32(counting(16), [1, 1, 4, 4])
        let dilated: [String: Attribute] = ["windowDimensions": .ints([2, 2]), "dilations": .ints([2, 2])]
        expectTensor(try run("averagePool2d", [x], dilated), [6, 7, 10, 11], [1, 1, 2, 2])
        expectTensor(try run("maxPool2d", [x], dilated), [11, 12, 15, 16], [1, 1, 2, 2])
    }

    @Test func stridesAndAsymmetricPadding() throws {
        // 1x5 row 1...5, window 1x2, stride 2, padding left 1 right 0: windows {pad, 1}, {2, 3}, {4, 5}.
        let x = f32(counting(5), [1, 1, 1, 5])
        let attributes: [String: Attribute] = ["windowDimensions": .ints([1, 2]), "strides": .ints([1, 2]), "padding": .ints([0, 0, 1, 0])]
        expectTensor(try run("averagePool2d", [x], attributes), [1, 2.5, 4.5], [1, 1, 1, 3])
        expectTensor(try run("maxPool2d", [x], attributes), [1, 3, 5], [1, 1, 1, 3])
    }

    @Test func nhwcLayout() throws {
        // Pixels (channel 0, channel 1): (1, 10), (2, 20), (3, 30), (4, 40).
        let x = f32([1, 10, 2, 20, 3, 30, 4, 40], [1, 2, 2, 2])
        expectTensor(try run("averagePool2d", [x], ["layout": .string("nhwc")]), [2.5, 25], [1, 1, 1, 2])
        let rows = try run("maxPool2d", [x], ["layout": .string("nhwc"), "windowDimensions": .ints([1, 2])])
        expectTensor(rows, [2, 20, 4, 40], [1, 2, 1, 2])
    }

    @Test func windowsOverPaddingOnly() throws {
        // Stride 2 over one element padded by 2 on the right: the second window covers only padding.
        let attributes: [String: Attribute] = ["windowDimensions": .ints([1, 1]), "strides": .ints([1, 2]), "padding": .ints([0, 0, 0, 2])]
        let x = f32([7], [1, 1, 1, 1])
        let average = try run("averagePool2d", [x], attributes).floats
        #expect(average[0] == 7 && average[1].isNaN)
        expectTensor(try run("maxPool2d", [x], attributes), [7, -.infinity], [1, 1, 1, 2])
        let int8 = try run("maxPool2d", [TensorData(.int8, shape: [1, 1, 1, 1], integers: [-7])], attributes)
        #expect(int8.integers == [-7, -128])
    }

    @Test func maxPoolOfIntegers() throws {
        let output = try run("maxPool2d", [TensorData(.int8, shape: [1, 1, 2, 2], integers: [-5, -3, -8, -1])])
        #expect(output.integers == [-1])
        let unsigned = try run("maxPool2d", [TensorData(.uint32, shape: [1, 1, 1, 2], integers: [4_000_000_000, 7])])
        #expect(unsigned.integers == [4_000_000_000])
    }
}

@Suite struct L2PoolTests {
    @Test func l2NormOfEachWindow() throws {
        // Windows of [[3, 4], [0, 12]]: global sqrt(9 + 16 + 144) = 13; 1x2 windows: 5 and 12.
        let x = f32([3, 4, 0, 12], [1, 1, 2, 2])
        expectTensor(try run("l2Pool2d", [x]), [13], [1, 1, 1, 1])
        expectTensor(try run("l2Pool2d", [x], ["windowDimensions": .ints([1, 2])]), [5, 12], [1, 1, 2, 1])
    }

    @Test func l2PoolIgnoresPaddingAndSharesTheWindowOptions() throws {
        // Padding 1 on the left, stride 2, nhwc with 2 channels: windows {pad, x0} and {x1, x2}.
        let x = f32([3, -1, 4, 2, 12, 2], [1, 1, 3, 2])
        let attributes: [String: Attribute] = ["windowDimensions": .ints([1, 2]), "strides": .ints([1, 2]),
                                               "padding": .ints([0, 0, 1, 0]), "layout": .string("nhwc")]
        expectClose(try run("l2Pool2d", [x], attributes), [3, 1, (16.0 + 144).squareRoot(), (8.0).squareRoot()])
        let dilated = try run("l2Pool2d", [f32([3, 9, 4], [1, 1, 1, 3])], ["windowDimensions": .ints([1, 2]), "dilations": .ints([1, 2])])
        expectTensor(dilated, [5], [1, 1, 1, 1])
        let ceil = try run("l2Pool2d", [f32([3, 4, 5], [1, 1, 1, 3])],
                           ["windowDimensions": .ints([1, 2]), "strides": .ints([1, 2]), "outputShapeRounding": .string("ceil")])
        expectTensor(ceil, [5, 5], [1, 1, 1, 2])
    }
}
