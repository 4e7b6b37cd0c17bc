import Foundation
import Testing
import WebNNBasics
import WebNNIR
import WebNNReference

@Suite struct NormalizationTests {
    @Test func softmaxOverTheLastAxis() throws {
        // softmax([1, 2, 3]) = e^k / (e + e^2 + e^3); a constant row gives 1/3 each.
        let output = try run("softmax", [f32([1, 2, 3, 1, 1, 1], [2, 3])], ["axis": .int(1)])
        expectClose(output, [0.09003057317038046, 0.24472847105479764, 0.6652409557748219, 1.0 / 3, 1.0 / 3, 1.0 / 3])
    }

    @Test func softmaxOverTheFirstAxis() throws {
        // Columns [1, 1], [2, 1], [3, 1]: halves, then sigmoid(1) and sigmoid(2) with their complements.
        let output = try run("softmax", [f32([1, 2, 3, 1, 1, 1], [2, 3])], ["axis": .int(0)])
        expectClose(output, [0.5, 0.7310585786300049, 0.8807970779778823, 0.5, 0.2689414213699951, 0.11920292202211755])
    }

    @Test func softmaxSubtractsTheMaximum() throws {
        let output = try run("softmax", [f32([1000, 1001], [2])], ["axis": .int(0)])
        expectClose(output, [0.2689414213699951, 0.7310585786300049])
    }

    @Test(arguments: 0..<3)
    func softmaxSumsToOneAlongEachAxis(axis: Int) throws {
        let shape = [2, 3, 4]
        let values = (0..<24).map { Float(($0 * 7) % 10) * 0.75 - 3 }
        let output = try run("softmax", [f32(values, shape)], ["axis": .int(Int64(axis))]).floats
        let strides = rowMajorStrides(shape)
        for start in 0..<24 where start / strides[axis] % shape[axis] == 0 {
            let sum = (0..<shape[axis]).reduce(0.0) { $0 + Double(output[start + $1 * strides[axis]]) }
            #expect(abs(sum - 1) < 1e-6, "axis \(axis), slice from \(start) sums to \(sum)")
        }
    }

    @Test func batchNormalizationWithoutScaleAndBias() throws {
        // Channel 0 [1, 2]: mean 1.5, variance 0.25 -> [-1, 1]; channel 1 [3, 4]: mean 3.5, variance 1 -> [-0.5, 0.5].
        let output = try run("batchNormalization", [f32([1, 2, 3, 4], [1, 2, 2]), f32([1.5, 3.5], [2]), f32([0.25, 1], [2])],
                             ["epsilon": .double(0)])
        expectTensor(output, [-1, 1, -0.5, 0.5], [1, 2, 2])
    }

    @Test func batchNormalizationWithScaleAndBias() throws {
        let output = try run("batchNormalization",
                             [f32([1, 2, 3, 4], [1, 2, 2]), f32([1.5, 3.5], [2]), f32([0.25, 1], [2]), f32([2, 3], [2]), f32([10, 20], [2])],
                             ["epsilon": .double(0)])
        expectTensor(output, [8, 12, 18.5, 21.5], [1, 2, 2])
        let biasOnly = try run("batchNormalization",
                               [f32([1, 2, 3, 4], [1, 2, 2]), f32([1.5, 3.5], [2]), f32([0.25, 1], [2]), nil, f32([10, 20], [2])],
                               ["epsilon": .double(0)])
        expectTensor(biasOnly, [9, 11, 19.5, 20.5], [1, 2, 2])
    }

    @Test func batchNormalizationAxisAndDefaultEpsilon() throws {
        // axis 0 of [[1, 2], [3, 4]]: row statistics.
        let rows = try run("batchNormalization", [f32([1, 2, 3, 4], [2, 2]), f32([1.5, 3.5], [2]), f32([1, 1], [2])],
                           ["axis": .int(0), "epsilon": .double(0)])
        expectTensor(rows, [-0.5, 0.5, -0.5, 0.5], [2, 2])
        let defaultEpsilon = try run("batchNormalization", [f32([1, 2, 3, 4], [2, 2]), f32([2, 3], [2]), f32([1, 1], [2])])
        let scale = 1 / (1 + Double(Float(1e-5))).squareRoot()
        expectClose(defaultEpsilon, [-scale, -scale, scale, scale])
    }
}

@Suite struct InstanceAndLayerNormalizationTests {
    @Test func instanceNormalizationPerSampleAndChannel() throws {
        // Channel 0 [1, 3]: mean 2, variance 1 -> [-1, 1]; channel 1 [2, 6]: mean 4, variance 4 -> [-1, 1].
        let x = f32([1, 3, 2, 6], [1, 2, 1, 2])
        expectTensor(try run("instanceNormalization", [x], ["epsilon": .double(0)]), [-1, 1, -1, 1], [1, 2, 1, 2])
        let scaled = try run("instanceNormalization", [x, f32([2, 3], [2]), f32([10, 20], [2])], ["epsilon": .double(0)])
        expectTensor(scaled, [8, 12, 17, 23], [1, 2, 1, 2])
        // nhwc: the same pixels with the channels last.
        let nhwc = try run("instanceNormalization", [f32([1, 2, 3, 6], [1, 1, 2, 2]), nil, f32([10, 20], [2])],
                           ["epsilon": .double(0), "layout": .string("nhwc")])
        expectTensor(nhwc, [9, 19, 11, 21], [1, 1, 2, 2])
    }

    @Test func instanceNormalizationDefaultEpsilon() throws {
        let output = try run("instanceNormalization", [f32([1, 3], [1, 1, 1, 2])])
        let value = 1 / (1 + Double(Float(1e-5))).squareRoot()
        expectClose(output, [-value, value])
    }

    @Test func layerNormalizationDefaultAxesSkipTheFirst() throws {
        // Each row of [[1, 3], [2, 6]] normalizes on its own: [-1, 1] twice.
        let x = f32([1, 3, 2, 6], [2, 2])
        expectTensor(try run("layerNormalization", [x], ["epsilon": .double(0)]), [-1, 1, -1, 1], [2, 2])
        expectTensor(try run("layerNormalization", [x, f32([2, 3], [2]), f32([1, 0], [2])], ["epsilon": .double(0)]),
                     [-1, 3, -1, 3], [2, 2])
    }

    @Test func layerNormalizationAxes() throws {
        // axes [0]: each column [1, 2] and [3, 6]; axes [0, 1]: all four values (mean 3, variance 3.5).
        let x = f32([1, 3, 2, 6], [2, 2])
        expectTensor(try run("layerNormalization", [x], ["axes": .ints([0]), "epsilon": .double(0)]), [-1, -1, 1, 1], [2, 2])
        let all = try run("layerNormalization", [x], ["axes": .ints([0, 1]), "epsilon": .double(0)])
        let deviations: [Double] = [-2, 0, -1, 3]
        expectClose(all, deviations.map { $0 / 3.5.squareRoot() })
        // Empty axes normalize nothing: every element is its own mean, so the output is the bias.
        expectTensor(try run("layerNormalization", [x, nil, f32([7], [])], ["axes": .ints([])]), [7, 7, 7, 7], [2, 2])
        // Reversed axes: scale[i][j] applies at input position (j, i).
        let scaled = try run("layerNormalization", [x, f32([1, 2, 10, 20], [2, 2])], ["axes": .ints([1, 0]), "epsilon": .double(0)])
        let products: [Double] = [-2 * 1, 0 * 10, -1 * 2, 3 * 20]
        expectClose(scaled, products.map { $0 / 3.5.squareRoot() })
    }

    @Test func layerNormalizationOfAScalar() throws {
        expectTensor(try run("layerNormalization", [f32([5], [])]), [0], [])
    }
}
