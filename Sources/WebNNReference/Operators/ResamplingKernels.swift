import WebNNBasics
import WebNNIR

/// resample2d with the half-pixel coordinate map: output coordinate o of an axis with scale s
/// reads input coordinate (o + 0.5) / s - 0.5, clamped to [0, size - 1]. nearest-neighbor takes
/// ceil(coordinate - 0.5) (halves round down); linear interpolates between floor(coordinate)
/// and the next element (the last one at the border), separably along the two axes, in Double.
/// Integer (int8, uint8) linear results round half to even.
enum ResamplingKernels {
    static let table: [String: Kernel] = ["resample2d": resample2d]

    /// The input elements one output coordinate reads along one axis, with their weights.
    private typealias Taps = [(index: Int, weight: Double)]

    private static func resample2d(_ call: OperatorCall) throws -> [TensorValue] {
        let input = try call.operand("input")
        let p = try call.parameters(Resample2dParameters.init)
        let axisTaps = (0..<2).map { taps(axis: $0, p) }
        let inputStrides = rowMajorStrides(input.shape)
        let outputShape = call.outputType.shape
        // For each output element, the (input index, weight) pairs it sums.
        var reads: [Taps] = []
        reads.reserveCapacity(call.outputType.elementCount)
        _ = StridedIndices.positionalIndices(shape: outputShape) { position in
            var base = 0
            for axis in 0..<position.count where !p.axes.contains(axis) { base += position[axis] * inputStrides[axis] }
            var read: Taps = []
            for first in axisTaps[0][position[p.axes[0]]] {
                for second in axisTaps[1][position[p.axes[1]]] {
                    read.append((base + first.index * inputStrides[p.axes[0]] + second.index * inputStrides[p.axes[1]],
                                 first.weight * second.weight))
                }
            }
            reads.append(read)
            return 0
        }
        func interpolate<Element>(_ x: [Element], _ value: (Element) -> Double) -> [Double] {
            Array(count: reads.count) { output in reads[output].reduce(0.0) { $0 + $1.weight * value(x[$1.index]) } }
        }
        switch input.elements {
        case .floats(let x):
            if p.mode == .nearestNeighbor { return call.output(.floats(Array(count: reads.count) { x[reads[$0][0].index] })) }
            return call.output(floats: interpolate(x) { Double($0) }.map { Float($0) })
        case .signed(let x):
            return call.output(.signed(interpolate(x) { Double($0) }.map { Int64($0.rounded(.toNearestOrEven)) }))
        case .unsigned(let x):
            return call.output(.unsigned(interpolate(x) { Double($0) }.map { UInt64($0.rounded(.toNearestOrEven)) }))
        }
    }

    /// For each output coordinate of resampled axis `axis` (0 or 1), the input coordinates it reads.
    private static func taps(axis: Int, _ p: Resample2dParameters) -> [Taps] {
        let size = p.inputSizes[axis], scale = p.scales[axis]
        return (0..<p.outputSizes[axis]).map { output in
            let source = min(max((Double(output) + 0.5) / scale - 0.5, 0), Double(size - 1))
            switch p.mode {
            case .nearestNeighbor:
                return [(Int((source - 0.5).rounded(.up)), 1)]
            case .linear:
                let low = Int(source.rounded(.down)), fraction = source - source.rounded(.down)
                return fraction == 0 ? [(low, 1)] : [(low, 1 - fraction), (min(low + 1, size - 1), fraction)]
            }
        }
    }
}
