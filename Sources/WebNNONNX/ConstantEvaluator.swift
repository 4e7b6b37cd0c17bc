import Foundation
import WebNNBasics
import WebNNIR

/// Evaluates, at import time, ONNX nodes whose inputs are all known: the Shape / Gather /
/// Unsqueeze / Concat / Reshape / Cast / arithmetic chains that compute shapes and indices.
/// Reshapes of known tensors of any size are free (the bytes are kept); element-wise work is
/// done only on small tensors (shape-sized), larger constant subgraphs become WebNN operators
/// on constants that the optimizer's constant folding evaluates.
enum ConstantEvaluator {
    /// Operators that exist only at import time (no WebNN mapping).
    static let importTimeOnly: Set<String> = ["Shape", "Size", "Constant", "ConstantOfShape", "Range"]

    /// The largest element count evaluated element by element.
    static let smallLimit = 1 << 16

    /// The node's outputs if they can be known now, else nil.
    static func evaluate(_ call: NodeCall, _ context: ImportContext) throws(Diagnostic) -> [TensorData]? {
        switch call.op {
        case "Shape":
            let shape = try context.type(call, 0).shape
            let rank = shape.count
            func clampAxis(_ axis: Int) -> Int { max(0, min(rank, axis < 0 ? axis + rank : axis)) }
            let start = clampAxis(try call.int("start", default: 0)), end = clampAxis(try call.int("end", default: rank))
            let dims = start < end ? Array(shape[start..<end]) : []
            return [TensorData(.int64, shape: [dims.count], integers: dims.map(Int64.init))]
        case "Size":
            return [TensorData(.int64, shape: [], integers: [Int64(try context.type(call, 0).elementCount)])]
        case "Constant":
            return [try constantAttribute(call)]
        default:
            break
        }
        var inputs: [TensorData?] = []
        for index in 0..<call.node.input.count {
            guard let name = call.inputName(index) else { inputs.append(nil); continue }
            guard case .constant(let data)? = context.values[name] else { return nil }
            inputs.append(data)
        }
        guard let first = inputs.first ?? nil else { return nil }
        switch call.op {
        case "Identity":
            return [first]
        case "Reshape":
            guard let target = try context.constantInts(call, 1, "shape") else { throw Diagnostic("input 1 (shape) is missing") }
            return [first.reshaped(try reshapeTarget(first.type.shape, target, allowZero: try call.int("allowzero", default: 0) != 0))]
        case "Flatten":
            return [first.reshaped(try flattenShape(first.type.shape, axis: try call.int("axis", default: 1)))]
        case "Squeeze":
            return [first.reshaped(try squeezeShape(first.type.shape, axes: try squeezeAxes(call, context)))]
        case "Unsqueeze":
            guard let axes = try squeezeAxes(call, context) else { throw Diagnostic("the axes are missing") }
            return [first.reshaped(try unsqueezeShape(first.type.shape, axes: axes))]
        case "ConstantOfShape":
            let shape = first.integers.map { Int(clamping: $0) }
            guard shape.allSatisfy({ $0 >= 0 }), let count = product(shape, limit: smallLimit * 256) else {
                throw Diagnostic("shape \(shape) is negative or too large")
            }
            let value = try call.tensor("value") ?? TensorData(float32: [0], shape: [1])
            guard value.elementCount == 1 else { throw Diagnostic("'value' must have one element") }
            return [TensorData(type: TensorType(value.type.dataType, shape),
                               bytes: Array([[UInt8]](repeating: value.bytes, count: count).joined()))!]
        default:
            break
        }
        // element by element, on small tensors only
        guard inputs.compactMap({ $0 }).allSatisfy({ $0.elementCount <= smallLimit }) else { return nil }
        let arrays = inputs.map { $0.map(HostArray.init) }
        guard let result = try evaluateSmall(call, arrays, context) else { return nil }
        return result.map { $0.tensorData }
    }

    private static func constantAttribute(_ call: NodeCall) throws(Diagnostic) -> TensorData {
        if let tensor = try call.tensor("value") { return tensor }
        if call.has("value_float") { return TensorData(float32: [Float(try call.float("value_float", default: 0))], shape: []) }
        if let floats = try call.floats("value_floats") { return TensorData(float32: floats.map(Float.init), shape: [floats.count]) }
        if let int = try call.int("value_int") { return TensorData(.int64, shape: [], integers: [Int64(int)]) }
        if let ints = try call.ints("value_ints") { return TensorData(.int64, shape: [ints.count], integers: ints.map(Int64.init)) }
        throw Diagnostic("a Constant without a value, value_float(s) or value_int(s) (sparse and string constants are not supported)")
    }

    /// CastLike's target: the element type of input 1 (a bool target is WebNN's uint8 here, so a
    /// CastLike to bool converts without the `!= 0`).
    static func castLikeTarget(_ call: NodeCall, _ context: ImportContext) throws(Diagnostic) -> Int32 {
        guard let name = call.inputName(1) else { throw Diagnostic("input 1 (target_type) is missing") }
        switch try context.type(of: name).dataType {
        case .float32: return ONNXDataType.float
        case .float16: return ONNXDataType.float16
        case .int32: return ONNXDataType.int32
        case .uint32: return ONNXDataType.uint32
        case .int64: return ONNXDataType.int64
        case .uint64: return ONNXDataType.uint64
        case .int8: return ONNXDataType.int8
        case .uint8: return ONNXDataType.uint8
        }
    }

    /// Squeeze/Unsqueeze axes: the attribute before opset 13, the input since.
    static func squeezeAxes(_ call: NodeCall, _ context: ImportContext) throws(Diagnostic) -> [Int]? {
        if call.opset < 13 || call.has("axes") { return try call.ints("axes") }
        return try context.constantInts(call, 1, "axes")
    }

    // MARK: shape rules shared with the operator mappings

    static func normalizedAxis(_ axis: Int, rank: Int) throws(Diagnostic) -> Int {
        guard (-rank..<rank).contains(axis) else {
            throw Diagnostic("axis \(axis) is out of range for rank \(rank)")
        }
        return axis < 0 ? axis + rank : axis
    }

    /// The product of `sizes`, or nil when it overflows or exceeds `limit`.
    static func product(_ sizes: [Int], limit: Int = Int(Int32.max)) -> Int? {
        var result = 1
        for size in sizes {
            let (next, overflow) = result.multipliedReportingOverflow(by: size)
            guard !overflow, next <= limit else { return nil }
            result = next
        }
        return result
    }

    /// ONNX Reshape's target: 0 copies the input dimension (unless allowzero), -1 is inferred.
    static func reshapeTarget(_ shape: [Int], _ target: [Int], allowZero: Bool) throws(Diagnostic) -> [Int] {
        var result = target
        for (index, size) in target.enumerated() where size == 0 && !allowZero {
            guard index < shape.count else { throw Diagnostic("shape \(target): 0 at \(index) has no input dimension to copy") }
            result[index] = shape[index]
        }
        let total = shape.reduce(1, *)
        let inferred = result.indices.filter { result[$0] == -1 }
        guard inferred.count <= 1, result.allSatisfy({ $0 >= -1 }), let known = product(result.filter { $0 != -1 }) else {
            throw Diagnostic("invalid shape \(target)")
        }
        if let index = inferred.first {
            guard known > 0, total % known == 0 else { throw Diagnostic("cannot reshape \(shape) to \(target)") }
            result[index] = total / known
        }
        guard result.reduce(1, *) == total else { throw Diagnostic("cannot reshape \(shape) (\(total) elements) to \(target)") }
        return result
    }

    static func flattenShape(_ shape: [Int], axis: Int) throws(Diagnostic) -> [Int] {
        // axis is in [-rank, rank]; a negative one counts from the end of the input's axes
        guard (-shape.count...shape.count).contains(axis) else { throw Diagnostic("axis \(axis) is out of range for rank \(shape.count)") }
        let axis = axis < 0 ? axis + shape.count : axis
        return [shape[..<axis].reduce(1, *), shape[axis...].reduce(1, *)]
    }

    static func squeezeShape(_ shape: [Int], axes: [Int]?) throws(Diagnostic) -> [Int] {
        guard let axes, !axes.isEmpty else { return shape.filter { $0 != 1 } }
        var drop = Set<Int>()
        for axis in axes {
            let axis = try normalizedAxis(axis, rank: shape.count)
            guard shape[axis] == 1 else { throw Diagnostic("cannot squeeze axis \(axis) of size \(shape[axis])") }
            drop.insert(axis)
        }
        return shape.indices.filter { !drop.contains($0) }.map { shape[$0] }
    }

    static func unsqueezeShape(_ shape: [Int], axes: [Int]) throws(Diagnostic) -> [Int] {
        let rank = shape.count + axes.count
        var inserted = Set<Int>()
        for axis in axes { inserted.insert(try normalizedAxis(axis, rank: rank)) }
        guard inserted.count == axes.count else { throw Diagnostic("repeated axes \(axes)") }
        var result: [Int] = [], rest = shape.makeIterator()
        for index in 0..<rank { result.append(inserted.contains(index) ? 1 : rest.next()!) }
        return result
    }

    /// numpy broadcasting of two shapes.
    static func broadcast(_ a: [Int], _ b: [Int]) throws(Diagnostic) -> [Int] {
        let rank = max(a.count, b.count)
        let pa = [Int](repeating: 1, count: rank - a.count) + a, pb = [Int](repeating: 1, count: rank - b.count) + b
        var result: [Int] = []
        for (x, y) in zip(pa, pb) {
            guard x == y || x == 1 || y == 1 else { throw Diagnostic("shapes \(a) and \(b) do not broadcast") }
            result.append(x == 1 ? y : x)
        }
        return result
    }

    // MARK: small element-wise evaluation

    private static let binaryInt: [String: @Sendable (Int64, Int64) -> Int64?] = [
        "Add": { $0 &+ $1 }, "Sub": { $0 &- $1 }, "Mul": { $0 &* $1 },
        "Div": { $1 == 0 ? nil : $0 / $1 }, "Mod": { $1 == 0 ? nil : (($0 % $1) + $1) % $1 },
        "Max": { max($0, $1) }, "Min": { min($0, $1) },
        "Equal": { $0 == $1 ? 1 : 0 }, "Less": { $0 < $1 ? 1 : 0 }, "Greater": { $0 > $1 ? 1 : 0 },
        "LessOrEqual": { $0 <= $1 ? 1 : 0 }, "GreaterOrEqual": { $0 >= $1 ? 1 : 0 },
        "And": { ($0 != 0 && $1 != 0) ? 1 : 0 }, "Or": { ($0 != 0 || $1 != 0) ? 1 : 0 },
    ]
    private static let binaryDouble: [String: @Sendable (Double, Double) -> Double] = [
        "Add": { $0 + $1 }, "Sub": { $0 - $1 }, "Mul": { $0 * $1 }, "Div": { $0 / $1 },
        "Max": { max($0, $1) }, "Min": { min($0, $1) }, "Pow": { pow($0, $1) },
        "Equal": { $0 == $1 ? 1 : 0 }, "Less": { $0 < $1 ? 1 : 0 }, "Greater": { $0 > $1 ? 1 : 0 },
        "LessOrEqual": { $0 <= $1 ? 1 : 0 }, "GreaterOrEqual": { $0 >= $1 ? 1 : 0 },
    ]
    private static let comparisons: Set<String> = ["Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "And", "Or"]
    private static let unaryInt: [String: @Sendable (Int64) -> Int64] = [
        "Neg": { 0 &- $0 }, "Abs": { $0 < 0 ? 0 &- $0 : $0 }, "Not": { $0 == 0 ? 1 : 0 },
        "Floor": { $0 }, "Ceil": { $0 },
    ]
    private static let unaryDouble: [String: @Sendable (Double) -> Double] = [
        "Neg": { -$0 }, "Abs": { abs($0) }, "Floor": { $0.rounded(.down) }, "Ceil": { $0.rounded(.up) },
        "Sqrt": { $0.squareRoot() }, "Reciprocal": { 1 / $0 },
    ]

    private static func evaluateSmall(_ call: NodeCall, _ inputs: [HostArray?], _ context: ImportContext) throws(Diagnostic) -> [HostArray]? {
        let op = call.op
        guard let x = inputs.first ?? nil else { return nil }
        if inputs.count == 2, let y = inputs[1], binaryInt[op] != nil || binaryDouble[op] != nil {
            let shape = try broadcast(x.shape, y.shape)
            let resultType = comparisons.contains(op) ? DataType.uint8 : x.dataType
            if x.dataType.isFloatingPoint || y.dataType.isFloatingPoint {
                guard let f = binaryDouble[op] else { return nil }
                let a = x.broadcast(to: shape).doubles, b = y.broadcast(to: shape).doubles
                return [HostArray(resultType, shape, doubles: zip(a, b).map(f))]
            }
            guard let f = binaryInt[op] else { return nil }
            let a = x.broadcast(to: shape).ints, b = y.broadcast(to: shape).ints
            var result: [Int64] = []
            for (p, q) in zip(a, b) {
                guard let value = f(p, q) else { throw Diagnostic("integer division by zero") }
                result.append(value)
            }
            return [HostArray(resultType, shape, ints: result)]
        }
        if inputs.count == 1 {
            if x.dataType.isFloatingPoint, let f = unaryDouble[op] { return [HostArray(x.dataType, x.shape, doubles: x.doubles.map(f))] }
            if !x.dataType.isFloatingPoint, let f = unaryInt[op] { return [HostArray(x.dataType, x.shape, ints: x.ints.map(f))] }
        }
        switch op {
        case "Cast", "CastLike":
            let target = call.op == "Cast" ? try call.int("to").map(Int32.init) : try castLikeTarget(call, context)
            guard let to = target, let dataType = ONNXDataType.webnn(to) else {
                throw Diagnostic("'to' is missing or not a WebNN data type")
            }
            if to == ONNXDataType.bool { return [HostArray(.uint8, x.shape, ints: x.doubles.map { $0 != 0 ? 1 : 0 })] }
            return [x.converted(to: dataType)]
        case "Gather":
            guard let indices = inputs.count > 1 ? inputs[1] : nil else { return nil }
            let axis = try normalizedAxis(try call.int("axis", default: 0), rank: x.rank)
            var picks: [Int] = []
            for index in indices.ints {
                let wrapped = index < 0 ? Int(index) + x.shape[axis] : Int(index)
                guard (0..<x.shape[axis]).contains(wrapped) else { throw Diagnostic("index \(index) is out of range for dimension \(x.shape[axis])") }
                picks.append(wrapped)
            }
            return [x.gather(axis: axis, picks: picks, indicesShape: indices.shape)]
        case "Concat":
            let parts = inputs.compactMap { $0 }
            let axis = try normalizedAxis(try call.int("axis", default: 0), rank: x.rank)
            return [try HostArray.concat(parts, axis: axis)]
        case "Slice":
            return [try slice(call, x, context)]
        case "Where":
            guard inputs.count == 3, let a = inputs[1], let b = inputs[2] else { return nil }
            let shape = try broadcast(try broadcast(x.shape, a.shape), b.shape)
            let c = x.broadcast(to: shape).ints
            if a.dataType.isFloatingPoint {
                let p = a.broadcast(to: shape).doubles, q = b.broadcast(to: shape).doubles
                return [HostArray(a.dataType, shape, doubles: c.indices.map { c[$0] != 0 ? p[$0] : q[$0] })]
            }
            let p = a.broadcast(to: shape).ints, q = b.broadcast(to: shape).ints
            return [HostArray(a.dataType, shape, ints: c.indices.map { c[$0] != 0 ? p[$0] : q[$0] })]
        case "Expand":
            guard let target = inputs.count > 1 ? inputs[1]?.ints.map({ Int(clamping: $0) }) : nil else { return nil }
            let shape = try broadcast(x.shape, target)
            guard let count = product(shape), count <= smallLimit else { return nil }
            return [x.broadcast(to: shape)]
        case "Range":
            guard inputs.count == 3, let limit = inputs[1], let delta = inputs[2],
                  [x, limit, delta].allSatisfy({ $0.ints.count == 1 }) else { throw Diagnostic("start, limit and delta must be scalars") }
            if x.dataType.isFloatingPoint {
                let start = x.doubles[0], stop = limit.doubles[0], step = delta.doubles[0]
                guard step != 0 else { throw Diagnostic("delta is 0") }
                let steps = ((stop - start) / step).rounded(.up)
                guard steps.isFinite, steps <= Double(smallLimit) else { throw Diagnostic("the range has too many elements to evaluate") }
                let count = steps > 0 ? Int(steps) : 0  // (Int() of a huge negative count would trap)
                return [HostArray(x.dataType, [count], doubles: (0..<count).map { start + Double($0) * step })]
            }
            let start = x.ints[0], stop = limit.ints[0], step = delta.ints[0]
            guard step != 0 else { throw Diagnostic("delta is 0") }
            let steps = (Double(stop) - Double(start)) / Double(step)
            guard steps.rounded(.up) <= Double(smallLimit) else { throw Diagnostic("the range has too many elements to evaluate") }
            let count = steps > 0 ? Int(steps.rounded(.up)) : 0
            return [HostArray(x.dataType, [count], ints: (0..<count).map { start &+ Int64($0) &* step })]
        case "Transpose":
            let perm = try call.ints("perm") ?? Array((0..<x.rank).reversed())
            guard perm.sorted() == Array(0..<x.rank) else { throw Diagnostic("perm \(perm) is not a permutation of the axes") }
            return [x.transposed(perm)]
        case "ReduceProd", "ReduceSum", "ReduceMax", "ReduceMin":
            return nil
        default:
            return nil
        }
    }

    private static func slice(_ call: NodeCall, _ x: HostArray, _ context: ImportContext) throws(Diagnostic) -> HostArray {
        let region = try SliceRegion(call, shape: x.shape, context)
        return x.sliced(region)
    }
}

/// A small tensor as numbers, for the constant evaluator.
struct HostArray {
    var dataType: DataType
    var shape: [Int]
    var ints: [Int64]
    var doubles: [Double]
    var rank: Int { shape.count }

    init(_ data: TensorData) {
        dataType = data.type.dataType
        shape = data.type.shape
        if dataType.isFloatingPoint {
            doubles = data.doubles
            ints = doubles.map { $0.isFinite ? Int64(clamping: Int($0.rounded(.towardZero).clamped(to: -9.2e18...9.2e18))) : 0 }
        } else {
            ints = data.integers
            doubles = ints.map(Double.init)
        }
    }

    init(_ dataType: DataType, _ shape: [Int], ints: [Int64]) {
        self.dataType = dataType
        self.shape = shape
        self.ints = ints
        doubles = ints.map(Double.init)
    }

    init(_ dataType: DataType, _ shape: [Int], doubles: [Double]) {
        self.dataType = dataType
        self.shape = shape
        self.doubles = doubles
        ints = doubles.map { $0.isFinite ? Int64($0.rounded(.towardZero).clamped(to: -9.2e18...9.2e18)) : 0 }
    }

    var tensorData: TensorData {
        dataType.isFloatingPoint ? TensorData(dataType, shape: shape, values: doubles) : TensorData(dataType, shape: shape, integers: ints)
    }

    func converted(to type: DataType) -> HostArray {
        type.isFloatingPoint ? HostArray(type, shape, doubles: doubles) : HostArray(type, shape, ints: ints)
    }

    /// A copy with the elements picked by `source(outputIndex) -> input flat index`.
    private func picking(_ shape: [Int], _ source: (Int) -> Int) -> HostArray {
        let count = shape.reduce(1, *)
        if dataType.isFloatingPoint { return HostArray(dataType, shape, doubles: (0..<count).map { doubles[source($0)] }) }
        return HostArray(dataType, shape, ints: (0..<count).map { ints[source($0)] })
    }

    /// The coordinates of flat index `index` in `shape`.
    private static func coordinates(_ index: Int, _ shape: [Int]) -> [Int] {
        var rest = index, result = [Int](repeating: 0, count: shape.count)
        for axis in shape.indices.reversed() where shape[axis] > 0 {
            result[axis] = rest % shape[axis]
            rest /= shape[axis]
        }
        return result
    }

    func broadcast(to target: [Int]) -> HostArray {
        if shape == target { return self }
        let strides = rowMajorStrides(shape), offset = target.count - shape.count
        return picking(target) { index in
            let c = HostArray.coordinates(index, target)
            return shape.indices.reduce(0) { $0 + (shape[$1] == 1 ? 0 : c[$1 + offset] * strides[$1]) }
        }
    }

    func gather(axis: Int, picks: [Int], indicesShape: [Int]) -> HostArray {
        let outShape = Array(shape[..<axis]) + indicesShape + Array(shape[(axis + 1)...])
        let strides = rowMajorStrides(shape), indexRank = indicesShape.count
        return picking(outShape) { index in
            let c = HostArray.coordinates(index, outShape)
            let pickIndex = indexRank == 0 ? 0 : c[axis..<(axis + indexRank)].enumerated().reduce(0) { $0 + $1.element * rowMajorStrides(indicesShape)[$1.offset] }
            var flat = picks[pickIndex] * strides[axis]
            for a in 0..<axis { flat += c[a] * strides[a] }
            for a in (axis + 1)..<max(axis + 1, shape.count) { flat += c[a - 1 + indexRank] * strides[a] }
            return flat
        }
    }

    static func concat(_ parts: [HostArray], axis: Int) throws(Diagnostic) -> HostArray {
        var shape = parts[0].shape
        for part in parts.dropFirst() {
            guard part.rank == shape.count, part.shape.indices.allSatisfy({ $0 == axis || part.shape[$0] == shape[$0] }) else {
                throw Diagnostic("cannot concatenate \(parts.map(\.shape)) along axis \(axis)")
            }
        }
        shape[axis] = parts.reduce(0) { $0 + $1.shape[axis] }
        let outer = shape[..<axis].reduce(1, *)
        var ints: [Int64] = [], doubles: [Double] = []
        for o in 0..<outer {
            for part in parts {
                let chunk = part.shape[axis...].reduce(1, *)
                ints += part.ints[(o * chunk)..<((o + 1) * chunk)]
                doubles += part.doubles[(o * chunk)..<((o + 1) * chunk)]
            }
        }
        var result = HostArray(parts[0].dataType, shape, ints: ints)
        if result.dataType.isFloatingPoint { result.doubles = doubles }
        return result
    }

    func sliced(_ region: SliceRegion) -> HostArray {
        let strides = rowMajorStrides(shape)
        return picking(region.outputShape) { index in
            let c = HostArray.coordinates(index, region.outputShape)
            return c.indices.reduce(0) { $0 + (region.starts[$1] + c[$1] * region.steps[$1]) * strides[$1] }
        }
    }

    func transposed(_ perm: [Int]) -> HostArray {
        let outShape = perm.map { shape[$0] }, strides = rowMajorStrides(shape)
        return picking(outShape) { index in
            let c = HostArray.coordinates(index, outShape)
            return perm.indices.reduce(0) { $0 + c[$1] * strides[perm[$1]] }
        }
    }
}

/// An ONNX Slice resolved against a static shape: per axis the first index, the step (may be
/// negative) and the number of elements taken.
struct SliceRegion {
    var starts: [Int], steps: [Int], outputShape: [Int]

    init(_ call: NodeCall, shape: [Int], _ context: ImportContext) throws(Diagnostic) {
        let rank = shape.count
        let starts: [Int], ends: [Int], axes: [Int], steps: [Int]
        if call.opset < 10 {
            starts = try call.ints("starts") ?? []
            ends = try call.ints("ends") ?? []
            axes = try call.ints("axes") ?? Array(0..<starts.count)
            steps = [Int](repeating: 1, count: starts.count)
        } else {
            guard let s = try context.constantInts(call, 1, "starts"), let e = try context.constantInts(call, 2, "ends") else {
                throw Diagnostic("starts and ends are required")
            }
            starts = s
            ends = e
            axes = try context.constantInts(call, 3, "axes") ?? Array(0..<s.count)
            steps = try context.constantInts(call, 4, "steps") ?? [Int](repeating: 1, count: s.count)
        }
        guard starts.count == ends.count, axes.count == starts.count, steps.count == starts.count else {
            throw Diagnostic("starts, ends, axes and steps must have the same length")
        }
        self.starts = [Int](repeating: 0, count: rank)
        self.steps = [Int](repeating: 1, count: rank)
        outputShape = shape
        for (index, axis) in axes.enumerated() {
            let axis = try ConstantEvaluator.normalizedAxis(axis, rank: rank)
            let dim = shape[axis]
            guard steps[index] != 0 else { throw Diagnostic("step 0 on axis \(axis)") }
            // A step longer than the axis takes one element at most, like a step of dim + 1 (no
            // overflow in the arithmetic below, Int.min included).
            let step = max(-(dim + 1), min(dim + 1, steps[index]))
            var start = starts[index], end = ends[index]
            if start < 0 { start += dim }
            if end < 0 { end += dim }
            let count: Int
            if step > 0 {
                start = max(0, min(dim, start))
                end = max(0, min(dim, end))
                count = max(0, (end - start + step - 1) / step)
            } else {
                start = max(-1, min(dim - 1, start))
                end = max(-1, min(dim - 1, end))
                count = max(0, (start - end + (-step) - 1) / (-step))
            }
            self.starts[axis] = start
            self.steps[axis] = step
            outputShape[axis] = count
        }
    }
}

private extension Double {
    func clamped(to range: ClosedRange<Double>) -> Double { Swift.min(Swift.max(self, range.lowerBound), range.upperBound) }
}
