import Testing
import WebNNBasics
import WebNNIR
import WebNNReference

@Suite struct ResamplingTests {
    private let x = f32([1, 2, 3, 4], [1, 1, 2, 2])

    @Test func defaultsKeepTheInput() throws {
        expectTensor(try run("resample2d", [x]), [1, 2, 3, 4], [1, 1, 2, 2])
    }

    @Test func nearestNeighborUpsampling() throws {
        // Scale 2: output o reads ceil((o + 0.5) / 2 - 1) clamped, i.e. 0, 0, 1, 1.
        expectTensor(try run("resample2d", [x], ["scales": .doubles([2, 2])]),
                     [1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4], [1, 1, 4, 4])
        // Scale 3 along W: sources (o + 0.5) / 3 - 0.5 = -1/3, 0, 1/3, 2/3, 1, 4/3 -> 0, 0, 0, 1, 1, 1.
        expectTensor(try run("resample2d", [x], ["sizes": .ints([1, 6])]), [1, 1, 1, 2, 2, 2], [1, 1, 1, 6])
    }

    @Test func nearestNeighborHalvesRoundDown() throws {
        // Downscale 4 -> 2: sources 0.5 and 2.5 round down to 0 and 2.
        let row = f32([1, 2, 3, 4], [1, 1, 1, 4])
        expectTensor(try run("resample2d", [row], ["scales": .doubles([1, 0.5])]), [1, 3], [1, 1, 1, 2])
    }

    @Test func linearUpsampling() throws {
        // Row [0, 4] at scale 2: sources -0.25 -> 0, 0.25, 0.75, 1.25 -> 1: values 0, 1, 3, 4.
        let row = f32([0, 4], [1, 1, 1, 2])
        expectTensor(try run("resample2d", [row], ["mode": .string("linear"), "scales": .doubles([1, 2])]), [0, 1, 3, 4], [1, 1, 1, 4])
        // Both axes at once: the interpolations multiply.
        let output = try run("resample2d", [x], ["mode": .string("linear"), "sizes": .ints([4, 4])])
        expectTensor(output, [1, 1.25, 1.75, 2, 1.5, 1.75, 2.25, 2.5, 2.5, 2.75, 3.25, 3.5, 3, 3.25, 3.75, 4], [1, 1, 4, 4])
    }

    @Test func axesChooseTheResampledDimensions() throws {
        // nhwc-style axes [1, 2] on [1, 2, 1, 2]: H doubles, channels untouched.
        let nhwc = f32([1, 2, 3, 4], [1, 2, 1, 2])
        expectTensor(try run("resample2d", [nhwc], ["scales": .doubles([2, 1]), "axes": .ints([1, 2])]),
                     [1, 2, 1, 2, 3, 4, 3, 4], [1, 4, 1, 2])
    }

    @Test func integerLinearRoundsHalfToEven() throws {
        // uint8 row [0, 2, 3] at scale 2: sources 0, 0.25, 0.75, 1.25, 1.75, 2 give 0, 0.5, 1.5, 2.25, 2.75, 3.
        let row = TensorData(.uint8, shape: [1, 1, 1, 3], integers: [0, 2, 3])
        let output = try run("resample2d", [row], ["mode": .string("linear"), "scales": .doubles([1, 2])])
        #expect(output.integers == [0, 0, 2, 2, 3, 3])
        let int8 = TensorData(.int8, shape: [1, 1, 1, 2], integers: [-128, 127])
        #expect(try run("resample2d", [int8], ["scales": .doubles([1, 2])]).integers == [-128, -128, 127, 127])
    }
}
