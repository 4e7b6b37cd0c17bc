import Testing
import WebNNBasics
import WebNNIR
import WebNNReference

@Suite struct SlicingTests {
    private let matrix = f32(counting(6), [2, 3])  // [[1, 2, 3], [4, 5, 6]]

    @Test func splitIntoEqualParts() throws {
        let parts = try runAll("split", [f32(counting(12), [2, 6])], ["splits": .int(3), "axis": .int(1)])
        #expect(parts.count == 3)
        expectTensor(parts[0], [1, 2, 7, 8], [2, 2])
        expectTensor(parts[1], [3, 4, 9, 10], [2, 2])
        expectTensor(parts[2], [5, 6, 11, 12], [2, 2])
    }

    @Test func splitBySizesAlongTheDefaultAxis() throws {
        let parts = try runAll("split", [f32(counting(6), [3, 2])], ["splits": .ints([1, 2])])
        expectTensor(parts[0], [1, 2], [1, 2])
        expectTensor(parts[1], [3, 4, 5, 6], [2, 2])
        let int8 = try runAll("split", [TensorData(.int8, shape: [3], integers: [-1, 2, -3])], ["splits": .ints([2, 1])])
        #expect(int8.map(\.integers) == [[-1, 2], [-3]])
    }

    @Test func sliceWithStartsSizesAndStrides() throws {
        expectTensor(try run("slice", [matrix], ["starts": .ints([1, 1]), "sizes": .ints([1, 2])]), [5, 6], [1, 2])
        // Columns 0 and 2 of both rows: size 3 with stride 2 gives ceil(3 / 2) = 2 columns.
        expectTensor(try run("slice", [matrix], ["starts": .ints([0, 0]), "sizes": .ints([2, 3]), "strides": .ints([1, 2])]),
                     [1, 3, 4, 6], [2, 2])
        expectTensor(try run("slice", [f32(counting(10), [10])], ["starts": .ints([1]), "sizes": .ints([8]), "strides": .ints([3])]),
                     [2, 5, 8], [3])
    }

    @Test func padConstantEdgeAndReflection() throws {
        let row = f32([1, 2, 3], [3])
        let padding: [String: Attribute] = ["beginningPadding": .ints([2]), "endingPadding": .ints([2])]
        expectTensor(try run("pad", [row], padding), [0, 0, 1, 2, 3, 0, 0], [7])
        expectTensor(try run("pad", [row], padding.merging(["value": .double(-1.5)]) { $1 }), [-1.5, -1.5, 1, 2, 3, -1.5, -1.5], [7])
        expectTensor(try run("pad", [row], padding.merging(["mode": .string("edge")]) { $1 }), [1, 1, 1, 2, 3, 3, 3], [7])
        expectTensor(try run("pad", [row], padding.merging(["mode": .string("reflection")]) { $1 }), [3, 2, 1, 2, 3, 2, 1], [7])
        // 2-D: one row above, one column after.
        expectTensor(try run("pad", [matrix], ["beginningPadding": .ints([1, 0]), "endingPadding": .ints([0, 1]), "mode": .string("edge")]),
                     [1, 2, 3, 3, 1, 2, 3, 3, 4, 5, 6, 6], [3, 4])
        // The value is cast to the input type: 300 wraps to 44 in uint8.
        let bytes = try run("pad", [TensorData(.uint8, shape: [1], integers: [7])],
                            ["beginningPadding": .ints([1]), "endingPadding": .ints([0]), "value": .int(300)])
        #expect(bytes.integers == [44, 7])
    }

    @Test func expandBroadcastsTheInputToNewShape() throws {
        expectTensor(try run("expand", [f32([1, 2], [2, 1])], ["newShape": .ints([2, 3])]), [1, 1, 1, 2, 2, 2], [2, 3])
        expectTensor(try run("expand", [f32([5], [])], ["newShape": .ints([2, 2])]), [5, 5, 5, 5], [2, 2])
        expectTensor(try run("expand", [f32([1, 2, 3], [3])], ["newShape": .ints([2, 3])]), [1, 2, 3, 1, 2, 3], [2, 3])
        // The spec broadcasts unidirectionally: a 1 in newShape does not keep a larger input size.
        #expect(throws: (any Error).self) { try run("expand", [f32([1, 2, 3], [3])], ["newShape": .ints([2, 1])]) }
    }

    @Test func tileRepeatsEachAxis() throws {
        expectTensor(try run("tile", [f32([1, 2, 3, 4], [2, 2])], ["repetitions": .ints([2, 3])]),
                     [1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4, 1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4], [4, 6])
    }

    @Test func reverseAxes() throws {
        expectTensor(try run("reverse", [matrix]), [6, 5, 4, 3, 2, 1], [2, 3])
        expectTensor(try run("reverse", [matrix], ["axes": .ints([1])]), [3, 2, 1, 6, 5, 4], [2, 3])
        expectTensor(try run("reverse", [matrix], ["axes": .ints([])]), counting(6), [2, 3])
    }

    @Test func triangularUpperAndLower() throws {
        let square = f32(counting(9), [3, 3])
        expectTensor(try run("triangular", [square]), [1, 2, 3, 0, 5, 6, 0, 0, 9], [3, 3])
        expectTensor(try run("triangular", [square], ["upper": .bool(false)]), [1, 0, 0, 4, 5, 0, 7, 8, 9], [3, 3])
        expectTensor(try run("triangular", [square], ["diagonal": .int(1)]), [0, 2, 3, 0, 0, 6, 0, 0, 0], [3, 3])
        expectTensor(try run("triangular", [square], ["upper": .bool(false), "diagonal": .int(-1)]), [0, 0, 0, 4, 0, 0, 7, 8, 0], [3, 3])
        // Batched over leading axes, on a non-square matrix.
        expectTensor(try run("triangular", [f32(counting(12), [2, 2, 3])], ["upper": .bool(true), "diagonal": .int(1)]),
                     [0, 2, 3, 0, 0, 6, 0, 8, 9, 0, 0, 12], [2, 2, 3])
        #expect(try run("triangular", [TensorData(.int64, shape: [2, 2], integers: [.max, 1, 2, .min])]).integers == [.max, 1, 0, .min])
    }
}

/// Every data movement and indexing operator moves the values of every data type exactly: its
/// result on 1...n stored as each type equals its float32 result stored as that type.
@Suite struct DataMovementTypeTests {
    static let cases: [(op: String, attributes: [String: Attribute], extra: [TensorData?])] = [
        ("split", ["splits": .ints([1, 2]), "axis": .int(1)], []),
        ("slice", ["starts": .ints([1, 0]), "sizes": .ints([1, 3]), "strides": .ints([1, 2])], []),
        ("pad", ["beginningPadding": .ints([1, 2]), "endingPadding": .ints([0, 1]), "mode": .string("reflection")], []),
        ("pad", ["beginningPadding": .ints([1, 0]), "endingPadding": .ints([1, 1]), "value": .int(9)], []),
        ("expand", ["newShape": .ints([2, 2, 3])], []),
        ("tile", ["repetitions": .ints([2, 2])], []),
        ("reverse", ["axes": .ints([0])], []),
        ("triangular", ["upper": .bool(false)], []),
        ("gather", ["axis": .int(1)], [TensorData(.int64, shape: [2], integers: [2, -3])]),
        ("gatherElements", [:], [TensorData(.uint32, shape: [1, 3], integers: [1, 0, 1])]),
        ("gatherND", [:], [TensorData(.int32, shape: [2, 2], integers: [1, 2, 0, 0])]),
        ("scatterElements", ["axis": .int(1)], [TensorData(.int32, shape: [2, 1], integers: [2, 0]), nil]),
        ("scatterND", [:], [TensorData(.int32, shape: [1, 1], integers: [1]), nil]),
    ]

    @Test(arguments: DataType.allCases)
    func everyType(_ dataType: DataType) throws {
        let values: [Int64] = [1, 2, 3, 4, 5, 6]
        let input = TensorData(dataType, shape: [2, 3], integers: values)
        let float = TensorData(.float32, shape: [2, 3], integers: values)
        for (op, attributes, extra) in Self.cases {
            // Scatter updates: 7, 8, ... in the input's type, shaped like the indices (elements) or a row (ND).
            func operands(_ base: TensorData) -> [TensorData?] {
                guard op.hasPrefix("scatter"), let indices = extra[0] else { return [base] + extra }
                let shape = op == "scatterND" ? [1, 3] : indices.type.shape
                let updates = TensorData(base.type.dataType, shape: shape, integers: (0..<shape.reduce(1, *)).map { 7 + Int64($0) })
                return [base, indices, updates]
            }
            let typed = try runAll(op, operands(input), attributes)
            let reference = try runAll(op, operands(float), attributes)
            for (actual, expected) in zip(typed, reference) {
                #expect(actual.type.dataType == dataType, "\(op)")
                #expect(actual.type.shape == expected.type.shape, "\(op)")
                #expect(actual.doubles == expected.doubles, "\(op) on \(dataType.rawValue)")
            }
        }
    }
}
