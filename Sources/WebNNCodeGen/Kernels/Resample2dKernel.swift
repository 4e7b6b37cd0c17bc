import CLLVM
import WebNNBasics
import WebNNIR
import WebNNLowering

/// resample2d, half-pixel: output coordinate o of resampled axis i reads input coordinate
/// s = clamp((o + 0.5) / scales[i] − 0.5, 0, size − 1), in double as the interpreter computes it.
/// nearest-neighbor copies the element at ceil(s − 0.5) (its bits: any type). linear weighs
/// floor(s) by 1 − f and the next element (the last one at the border) by f = s − floor(s) (only
/// the first when f = 0), and sums the up to four products of the two axes' weights in the
/// interpreter's order, in double: float results are rounded once, int8 and uint8 results round
/// half to even.
///
/// float32 results take a faster path with the same taps: each resampled axis's input
/// coordinates and weights are computed at compile time (`AxisTaps`, the formula above) into a
/// table in the library, and the blend is in float (within the linear tolerance of 84 ULP, and
/// the same elements read: a weight of 0 never multiplies, so infinities pass as in double).
///
/// The result is visited row by row (a row is the last axis); a task is a group of whole rows.
/// A linear float32 resample of the last two axes (nchw's h and w, as in DeepLab's logits)
/// makes each input row's interpolation along w once per task instead of once per output
/// element (`emitRowBlendTask`): the same sums in the same order.
struct Resample2dKernel: KernelEmitter {
    let attributes: Resample2dAttributes
    let inputShape: [Int], resultShape: [Int]
    let rowsPerTask: Int

    init(_ attributes: Resample2dAttributes, input: [Int], result: [Int], operandCount: Int) throws {
        guard operandCount == 1, input.count == 4, result.count == 4, attributes.axes.count == 2,
              attributes.scales.count == 2, Set(attributes.axes).count == 2, attributes.axes.allSatisfy({ (0..<4).contains($0) }),
              (0..<4).allSatisfy({ attributes.axes.contains($0) || input[$0] == result[$0] }) else {
            throw CodeGenError.unsupported("resample2d of \(input) into \(result) with \(attributes)")
        }
        self.attributes = attributes
        inputShape = input
        resultShape = result
        rowsPerTask = max(1, LoopNest.elementsPerTask / result[3])
        axisTaps = (0..<2).map { i in
            AxisTaps(inputSize: input[attributes.axes[i]], outputSize: result[attributes.axes[i]],
                     scale: attributes.scales[i], mode: attributes.mode)
        }
    }

    /// The taps of the two resampled axes, for the float32 path.
    let axisTaps: [AxisTaps]

    private var rowCount: Int { resultShape[..<3].reduce(1, *) }
    var taskCount: Int { (rowCount + rowsPerTask - 1) / rowsPerTask }

    /// The input coordinates and weights output coordinate `o` of resampled axis `i` reads:
    /// (low, high, weight of low, weight of high, whether high is read).
    private func taps(_ e: FunctionEmitter, axis i: Int, _ o: IRValue) -> (IRValue, IRValue, IRValue, IRValue, IRValue) {
        let size = inputShape[attributes.axes[i]]
        let mapped = e.subtractDouble(e.divideDouble(e.addDouble(e.doubleFromInteger(o), e.double(0.5)),
                                                     e.double(attributes.scales[i])), e.double(0.5))
        let last = e.double(Double(size - 1))
        let positive = e.select(e.isLessDouble(mapped, e.double(0)), e.double(0), mapped)
        let source = e.select(e.isGreaterDouble(positive, last), last, positive)
        if attributes.mode == .nearestNeighbor {
            let index = e.integerFromDouble(e.ceilOf(e.subtractDouble(source, e.double(0.5))))
            return (index, index, e.double(1), e.double(0), e.wrap(LLVMConstInt(e.types.i1, 0, 0)))
        }
        let floor = e.floorOf(source)
        let fraction = e.subtractDouble(source, floor)
        let low = e.integerFromDouble(floor)
        let high = e.minimum(low + 1, e.int(size - 1))
        let both = e.wrap(LLVMBuildFCmp(e.builder, LLVMRealUNE, fraction.reference, e.double(0).reference, ""))
        return (low, high, e.subtractDouble(e.double(1), fraction), fraction, both)
    }

    func emitTask(_ e: FunctionEmitter, _ buffers: StepBuffers, task: IRValue) {
        let (x, y) = (buffers.operands[0], buffers.result)
        let dataType = y.dataType
        if dataType == .float32 { return emitFloat32Task(e, buffers, task: task) }
        let inputStrides = rowMajorStrides(inputShape)
        let (first, second) = (attributes.axes[0], attributes.axes[1])
        forEachResultElement(e, task: task) { position, base, resultIndex in
            let (low0, high0, weightLow0, weightHigh0, both0) = taps(e, axis: 0, position[first])
            let (low1, high1, weightLow1, weightHigh1, both1) = taps(e, axis: 1, position[second])
            func index(_ a: IRValue, _ b: IRValue) -> IRValue { base + a * inputStrides[first] + b * inputStrides[second] }
            if attributes.mode == .nearestNeighbor {
                e.storeBits(e.loadBits(x, index(low0, low1)), y, resultIndex)
                return
            }
            func value(_ a: IRValue, _ b: IRValue) -> IRValue {
                let element = e.load(x, index(a, b))
                return dataType.isFloatingPoint ? e.extendToDouble(element) : e.doubleFromElement(element, of: dataType)
            }
            // 0 + w·v for each read (low, low), (low, high), (high, low), (high, high), in order.
            func term(_ w0: IRValue, _ w1: IRValue, _ a: IRValue, _ b: IRValue) -> IRValue {
                e.multiplyDouble(e.multiplyDouble(w0, w1), value(a, b))
            }
            var sum = e.addDouble(e.double(0), term(weightLow0, weightLow1, low0, low1))
            sum = e.select(both1, e.addDouble(sum, term(weightLow0, weightHigh1, low0, high1)), sum)
            sum = e.select(both0, e.addDouble(sum, term(weightHigh0, weightLow1, high0, low1)), sum)
            sum = e.select(e.and(both0, both1), e.addDouble(sum, term(weightHigh0, weightHigh1, high0, high1)), sum)
            if dataType.isFloatingPoint {
                e.store(e.roundFloat(sum, to: e.types.f32), y, resultIndex)
            } else {
                let rounded = e.integerFromDouble(e.roundEvenOf(sum))
                e.store(e.truncate(rounded, to: e.storageType(dataType)), y, resultIndex)
            }
        }
    }

    /// Emits the result elements of task `task` (a group of whole rows), calling `body` with each
    /// element's position (4 axes), the input offset of its non-resampled axes, and its index.
    private func forEachResultElement(_ e: FunctionEmitter, task: IRValue,
                                      _ body: (_ position: [IRValue], _ base: IRValue, _ resultIndex: IRValue) -> Void) {
        let inputStrides = rowMajorStrides(inputShape)
        let firstRow = task * rowsPerTask
        let lastRow = e.minimum(firstRow + rowsPerTask, e.int(rowCount))
        e.forLoop(from: firstRow, to: lastRow) { row in
            var position = [IRValue](repeating: e.int(0), count: 4)
            var remaining = row
            for axis in stride(from: 2, through: 0, by: -1) {
                position[axis] = remaining % resultShape[axis]
                remaining = remaining / resultShape[axis]
            }
            e.forLoop(from: 0, to: resultShape[3]) { column in
                position[3] = column
                var base = e.int(0)
                for axis in 0..<4 where !attributes.axes.contains(axis) { base = base + position[axis] * inputStrides[axis] }
                body(position, base, row * resultShape[3] + column)
            }
        }
    }

    /// The float32 path: taps from the compile-time tables, the blend in float.
    private func emitFloat32Task(_ e: FunctionEmitter, _ buffers: StepBuffers, task: IRValue) {
        let (x, y) = (buffers.operands[0].pointer, buffers.result.pointer)
        let inputStrides = rowMajorStrides(inputShape)
        let tables = axisTaps.enumerated().map { i, taps in
            e.wrap(e.module.addConstantBytes("\(valueName(e.function)).taps\(i)", taps.bytes))
        }
        /// (low, high, weight of low, weight of high) of output coordinate `o` of resampled axis `i`.
        func taps(_ i: Int, _ o: IRValue) -> (IRValue, IRValue, IRValue, IRValue) {
            let entry = o * 4
            let index = { (field: Int) in e.zeroExtend(e.load(tables[i], entry + field, type: e.types.i32), to: e.types.i64) }
            let weight = { (field: Int) in e.bitCast(e.load(tables[i], entry + field, type: e.types.i32), to: e.types.f32) }
            return (index(0), index(1), weight(2), weight(3))
        }
        if attributes.mode == .linear && attributes.axes == [2, 3] {
            return emitRowBlendTask(e, buffers, task: task, taps: taps)
        }
        let (first, second) = (attributes.axes[0], attributes.axes[1])
        forEachResultElement(e, task: task) { position, base, resultIndex in
            let (low0, high0, weightLow0, weightHigh0) = taps(0, position[first])
            let (low1, high1, weightLow1, weightHigh1) = taps(1, position[second])
            func value(_ a: IRValue, _ b: IRValue) -> IRValue {
                e.load(x, base + a * inputStrides[first] + b * inputStrides[second])
            }
            guard attributes.mode == .linear else { return e.store(value(low0, low1), y, resultIndex) }
            let top = blend(e, value(low0, low1), value(low0, high1), weightLow1, weightHigh1)
            let bottom = blend(e, value(high0, low1), value(high0, high1), weightLow1, weightHigh1)
            e.store(blend(e, top, bottom, weightLow0, weightHigh0), y, resultIndex)
        }
    }

    /// low·weightLow + high·weightHigh in float; a zero weight of high means the coordinate fell
    /// on low: only low is read.
    private func blend(_ e: FunctionEmitter, _ low: IRValue, _ high: IRValue, _ weightLow: IRValue,
                       _ weightHigh: IRValue) -> IRValue {
        e.select(weightHigh == e.float(0), low, e.mulAdd(weightLow, low, weightHigh * high))
    }

    /// Linear float32 resampling of axes 2 and 3, a result row (n, c, oh) at a time: input rows
    /// low and high of oh, interpolated along w into two row buffers, blended by a vector loop.
    /// The buffers are kept by input row parity (low and high differ by at most one), each with
    /// the (plane, input row) it holds, so consecutive output rows reading the same input rows
    /// reuse them.
    private func emitRowBlendTask(_ e: FunctionEmitter, _ buffers: StepBuffers, task: IRValue,
                                  taps: (Int, IRValue) -> (IRValue, IRValue, IRValue, IRValue)) {
        let (x, y) = (buffers.operands[0].pointer, buffers.result.pointer)
        let (inputHeight, inputWidth) = (inputShape[2], inputShape[3])
        let (outputHeight, outputWidth) = (resultShape[2], resultShape[3])
        let rows = (0..<2).map { _ in e.entryAlloca(e.types.f32, count: outputWidth) }
        let heldRow = e.entryAlloca(e.types.i64, count: 2)
        for slot in 0..<2 { e.store(e.int(-1), heldRow, e.int(slot)) }
        /// The buffer holding input row `inputRow` of plane `plane` interpolated along w.
        func interpolatedRow(plane: IRValue, inputRow: IRValue) -> IRValue {
            let slot = inputRow % 2
            let key = plane * inputHeight + inputRow
            let buffer = e.select(slot == e.int(0), rows[0], rows[1])
            e.ifThen(e.load(heldRow, slot, type: e.types.i64) != key) {
                e.store(key, heldRow, slot)
                let inputRowStart = key * inputWidth
                e.forLoop(from: 0, to: outputWidth) { ow in
                    let (low, high, weightLow, weightHigh) = taps(1, ow)
                    let value = blend(e, e.load(x, inputRowStart + low), e.load(x, inputRowStart + high), weightLow, weightHigh)
                    e.store(value, buffer, ow)
                }
            }
            return buffer
        }
        let firstRow = task * rowsPerTask
        let lastRow = e.minimum(firstRow + rowsPerTask, e.int(rowCount))
        e.forLoop(from: firstRow, to: lastRow) { row in
            let (plane, oh) = (row / outputHeight, row % outputHeight)
            let (low, high, weightLow, weightHigh) = taps(0, oh)
            let top = interpolatedRow(plane: plane, inputRow: low)
            let bottom = interpolatedRow(plane: plane, inputRow: high)
            e.forLoop(from: 0, to: outputWidth) { ow in
                e.store(blend(e, e.load(top, ow), e.load(bottom, ow), weightLow, weightHigh), y, row * outputWidth + ow)
            }
        }
    }
}

/// The input coordinates and weights each output coordinate of one resampled axis reads,
/// computed as `Resample2dKernel` describes (half-pixel map in double): for nearest, low = high
/// = the nearest element; for linear, low = floor(s) with weight 1 − f and high = the next
/// element with weight f, or high = low with weight 0 when f = 0.
struct AxisTaps {
    /// (low, high, weight of low, weight of high) per output coordinate.
    let entries: [(low: Int, high: Int, weightLow: Float, weightHigh: Float)]

    init(inputSize: Int, outputSize: Int, scale: Double, mode: InterpolationMode) {
        entries = (0..<outputSize).map { o in
            let source = min(max((Double(o) + 0.5) / scale - 0.5, 0), Double(inputSize - 1))
            if mode == .nearestNeighbor {
                let index = Int((source - 0.5).rounded(.up))
                return (index, index, 1, 0)
            }
            let low = Int(source.rounded(.down))
            let fraction = source - source.rounded(.down)
            guard fraction != 0 else { return (low, low, 1, 0) }
            return (low, min(low + 1, inputSize - 1), Float(1 - fraction), Float(fraction))
        }
    }

    /// The table as the generated code reads it: four 32-bit little-endian words per entry
    /// (low, high, and the bits of the two float weights).
    var bytes: [UInt8] {
        entries.flatMap { entry in
            [UInt32(entry.low), UInt32(entry.high), entry.weightLow.bitPattern, entry.weightHigh.bitPattern]
                .flatMap { word in (0..<4).map { UInt8(truncatingIfNeeded: word >> (8 * $0)) } }
        }
    }
}
