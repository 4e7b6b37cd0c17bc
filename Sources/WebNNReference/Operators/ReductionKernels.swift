import Foundation
import WebNNBasics
import WebNNIR

/// A reduction of a group of elements to one, per element kind (nil: undefined for that kind).
/// Float groups are reduced in Double and rounded once.
struct ReductionFunction: Sendable {
    var float: @Sendable ([Double]) -> Double
    var signed: (@Sendable ([Int64]) -> Int64)? = nil
    var unsigned: (@Sendable ([UInt64]) -> UInt64)? = nil
}

/// reduce* (over `axes`, every axis by default, with keepDimensions), argMin/argMax along one
/// axis, and cumulativeSum. Float sums accumulate in Double; integer sums and products wrap.
enum ReductionKernels {
    static let table: [String: Kernel] = [
        "reduceSum": reduction(ReductionFunction(float: sum, signed: { $0.reduce(0, &+) }, unsigned: { $0.reduce(0, &+) })),
        "reduceL1": reduction(ReductionFunction(float: { sum($0.map(\.magnitude)) }, signed: { $0.reduce(0) { $0 &+ ($1 < 0 ? 0 &- $1 : $1) } },
                                                unsigned: { $0.reduce(0, &+) })),
        "reduceSumSquare": reduction(ReductionFunction(float: { sum($0.map { $0 * $0 }) }, signed: { $0.reduce(0) { $0 &+ $1 &* $1 } },
                                                       unsigned: { $0.reduce(0) { $0 &+ $1 &* $1 } })),
        "reduceProduct": reduction(ReductionFunction(float: { $0.reduce(1, *) }, signed: { $0.reduce(1, &*) }, unsigned: { $0.reduce(1, &*) })),
        "reduceMean": reduction(ReductionFunction(float: { sum($0) / Double($0.count) })),
        "reduceL2": reduction(ReductionFunction(float: { sum($0.map { $0 * $0 }).squareRoot() })),
        "reduceLogSum": reduction(ReductionFunction(float: { Foundation.log(sum($0)) })),
        "reduceLogSumExp": reduction(ReductionFunction(float: logSumExp)),
        "reduceMax": reduction(ReductionFunction(float: { $0.reduce(-.infinity) { $0.isNaN || $1.isNaN ? .nan : max($0, $1) } },
                                                 signed: { $0.max()! }, unsigned: { $0.max()! })),
        "reduceMin": reduction(ReductionFunction(float: { $0.reduce(.infinity) { $0.isNaN || $1.isNaN ? .nan : min($0, $1) } },
                                                 signed: { $0.min()! }, unsigned: { $0.min()! })),
        "argMax": argReduction(findsMaximum: true),
        "argMin": argReduction(findsMaximum: false),
        "cumulativeSum": cumulativeSum,
    ]

    private static func sum(_ values: [Double]) -> Double { values.reduce(0, +) }

    /// ln(sum(e^x)), with the largest element factored out so that large inputs do not overflow.
    private static func logSumExp(_ values: [Double]) -> Double {
        let largest = values.reduce(-Double.infinity) { $0.isNaN || $1.isNaN ? .nan : max($0, $1) }
        guard largest.isFinite else { return largest.isNaN || largest > 0 ? largest : Foundation.log(0) }
        return largest + Foundation.log(sum(values.map { Foundation.exp($0 - largest) }))
    }

    /// A kernel reducing, for each output element, the group of input elements that maps to it.
    private static func reduction(_ function: ReductionFunction) -> Kernel {
        { call in
            let input = try call.operand("input")
            let groups = try groupIndices(call.parameters(ReductionParameters.init))
            func reduce<Element>(_ x: [Element], _ f: (([Element]) -> Element)?) throws -> [Element] {
                guard let f else { throw InterpreterError.unsupportedDataType(op: call.op, input.dataType) }
                return Array(count: groups.count) { output in f(groups[output].map { x[$0] }) }
            }
            switch input.elements {
            case .floats(let x):
                let values = Array(count: x.count) { Double(x[$0]) }
                return call.output(.floats(Array(count: groups.count) { Float(function.float(groups[$0].map { values[$0] })) }))
            case .signed(let x): return call.output(.signed(try reduce(x, function.signed)))
            case .unsigned(let x): return call.output(.unsigned(try reduce(x, function.unsigned)))
            }
        }
    }

    /// For each output element (row-major), the flat indices of the input elements reduced into it.
    private static func groupIndices(_ p: ReductionParameters) -> [[Int]] {
        let reduced = Set(p.axes)
        let keptShape = p.inputShape.indices.map { reduced.contains($0) ? 1 : p.inputShape[$0] }
        let keptStrides = rowMajorStrides(keptShape)
        // Each input element's output index: its position with the reduced axes dropped.
        let outputIndices = StridedIndices.sourceIndices(
            shape: p.inputShape, sourceStrides: p.inputShape.indices.map { reduced.contains($0) ? 0 : keptStrides[$0] })
        var groups = [[Int]](repeating: [], count: keptShape.reduce(1, *))
        for (input, output) in outputIndices.enumerated() { groups[output].append(input) }
        return groups
    }

    /// The element counts before `axis`, along it, and after it.
    private static func splitShape(_ shape: [Int], at axis: Int) -> (outer: Int, size: Int, inner: Int) {
        (shape[..<axis].reduce(1, *), shape[axis], shape[(axis + 1)...].reduce(1, *))
    }

    /// argMax/argMin: the index along `axis` of the first largest (smallest) element. A NaN
    /// counts as beyond every number, so the first NaN wins (as in numpy).
    private static func argReduction(findsMaximum: Bool) -> Kernel {
        { call in
            let input = try call.operand("input")
            guard let axis = call.node.int("axis") else { throw InterpreterError.invalidNode(op: call.op, message: "missing axis") }
            let (outer, size, inner) = splitShape(input.shape, at: axis)
            func indices<Element>(_ x: [Element], _ beats: (Element, Element) -> Bool) -> [Int64] {
                Array(count: outer * inner) { output in
                    let base = output / inner * size * inner + output % inner
                    var best = 0
                    for position in 1..<size where beats(x[base + position * inner], x[base + best * inner]) { best = position }
                    return Int64(best)
                }
            }
            func beats<Element: Comparable>(_ candidate: Element, _ best: Element) -> Bool {
                findsMaximum ? candidate > best : candidate < best
            }
            let result: [Int64]
            switch input.elements {
            case .floats(let x): result = indices(x) { candidate, best in !best.isNaN && (candidate.isNaN || beats(candidate, best)) }
            case .signed(let x): result = indices(x, beats)
            case .unsigned(let x): result = indices(x, beats)
            }
            return call.output(.signed(result))
        }
    }

    /// Running sums along `axis`: each output is the sum of the elements up to it (`exclusive`:
    /// before it), counting from the end when `reversed`.
    private static func cumulativeSum(_ call: OperatorCall) throws -> [TensorValue] {
        let input = try call.operand("input")
        guard let axis = call.node.int("axis") else { throw InterpreterError.invalidNode(op: call.op, message: "missing axis") }
        let exclusive = call.node.bool("exclusive") ?? false, reversed = call.node.bool("reversed") ?? false
        let (outer, size, inner) = splitShape(input.shape, at: axis)
        func scan<Element, Sum>(_ x: [Element], zero: Sum, _ add: (Sum, Element) -> Sum, _ store: (Sum) -> Element) -> [Element] {
            var output = x
            for line in 0..<outer * inner {
                let base = line / inner * size * inner + line % inner
                var running = zero
                for step in 0..<size {
                    let index = base + (reversed ? size - 1 - step : step) * inner
                    if exclusive { output[index] = store(running) }
                    running = add(running, x[index])
                    if !exclusive { output[index] = store(running) }
                }
            }
            return output
        }
        switch input.elements {
        case .floats(let x): return call.output(.floats(scan(x, zero: 0.0, { $0 + Double($1) }, { Float($0) })))
        case .signed(let x): return call.output(.signed(scan(x, zero: Int64(0), { $0 &+ $1 }, { $0 })))
        case .unsigned(let x): return call.output(.unsigned(scan(x, zero: UInt64(0), { $0 &+ $1 }, { $0 })))
        }
    }
}
