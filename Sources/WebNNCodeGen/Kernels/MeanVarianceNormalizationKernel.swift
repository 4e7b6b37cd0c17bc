import CLLVM
import WebNNBasics
import WebNNLowering

/// instanceNormalization and layerNormalization: `(x − mean) / sqrt(variance + epsilon) · scale
/// + bias`, with the mean and population variance of each slice over the reduced axes, computed
/// in double in the interpreter's order (sum, then the sum of squared deviations), so float32
/// results are rounded once from the same double value.
///
/// The input is viewed as [outer, reduced..., inner]: `inner` is the block of kept axes after the
/// last reduced axis (contiguous; the channels of nhwc instanceNormalization), `outer` the other
/// kept axes. A task is one outer position and a block of inner positions with its statistics in
/// double stack tiles, so the inner loops run over contiguous elements and a slice (a reduction)
/// is never split between tasks.
struct MeanVarianceNormalizationKernel: KernelEmitter {
    let attributes: MeanVarianceNormalizationAttributes
    /// Sizes, input strides and parameter strides of the outer (kept) axes, outermost first.
    let outerSizes: [Int], outerStrides: [Int], outerParameterStrides: [Int]
    /// Sizes, input strides and parameter strides of the reduced axes, outermost first.
    let reducedSizes: [Int], reducedStrides: [Int], reducedParameterStrides: [Int]
    /// Elements in the inner block, and the parameter stride along it (0 when scale and bias do
    /// not depend on it).
    let inner: Int, innerParameterStride: Int
    let innerBlock: Int

    /// Inner positions per task (the size of the double statistics tiles).
    static let maximumInnerBlock = 512
    /// The float vector width of the contiguous-slice path (layerNormalization over the last
    /// axes: `inner == 1`, scale and bias indexed like the slice), nil for the general path.
    let sliceVectorWidth: Int?

    init(_ attributes: MeanVarianceNormalizationAttributes, shapes: [[Int]], result: [Int], dataType: DataType = .float16,
         vectorWidth: Int? = nil) throws {
        let operandCount = 1 + (attributes.hasScale ? 1 : 0) + (attributes.hasBias ? 1 : 0)
        guard let shape = shapes.first, shapes.count == operandCount, result == shape,
              attributes.parameterStrides.count == shape.count,
              attributes.reducedAxes.allSatisfy({ (0..<shape.count).contains($0) }),
              attributes.reducedAxes == attributes.reducedAxes.sorted() else {
            throw CodeGenError.unsupported("normalization of \(shapes) into \(result) with \(attributes)")
        }
        self.attributes = attributes
        let strides = rowMajorStrides(shape)
        let lastReduced = attributes.reducedAxes.last ?? -1
        let innerAxes = Array((lastReduced + 1)..<shape.count)
        let outerAxes = (0..<shape.count).filter { !attributes.reducedAxes.contains($0) && $0 < lastReduced }
        outerSizes = outerAxes.map { shape[$0] }
        outerStrides = outerAxes.map { strides[$0] }
        outerParameterStrides = outerAxes.map { attributes.parameterStrides[$0] }
        reducedSizes = attributes.reducedAxes.map { shape[$0] }
        reducedStrides = attributes.reducedAxes.map { strides[$0] }
        reducedParameterStrides = attributes.reducedAxes.map { attributes.parameterStrides[$0] }
        inner = innerAxes.reduce(1) { $0 * shape[$1] }
        let innerParameterAxes = innerAxes.filter { attributes.parameterStrides[$0] != 0 && shape[$0] > 1 }
        // Parameters along the inner block: one axis (the channels of nhwc), the last one.
        guard innerParameterAxes.isEmpty || innerParameterAxes == [shape.count - 1] else {
            throw CodeGenError.unsupported("normalization with scale and bias along several kept axes \(innerParameterAxes)")
        }
        innerParameterStride = innerParameterAxes.isEmpty ? 0 : attributes.parameterStrides[shape.count - 1]
        innerBlock = min(inner, MeanVarianceNormalizationKernel.maximumInnerBlock)
        let sliceLength = reducedSizes.reduce(1, *)
        let parametersAlongSlice = reducedParameterStrides == rowMajorStrides(reducedSizes)
            || !(attributes.hasScale || attributes.hasBias)
        sliceVectorWidth = inner == 1 && dataType == .float32 && parametersAlongSlice
            && reducedStrides == rowMajorStrides(reducedSizes) && sliceLength >= (vectorWidth ?? 0) ? vectorWidth : nil
    }

    private var innerBlocks: Int { (inner + innerBlock - 1) / innerBlock }
    private var outerCount: Int { outerSizes.reduce(1, *) }
    /// Elements per task of the slice path (whole slices): one slice a task (a transformer's
    /// 384-float rows) had two threads contend for the task counter more than they normalized.
    static let elementsPerTask = 4096
    /// Slices per task of the slice path (1 on the general path, whose tasks are one slice's inner blocks).
    private var slicesPerTask: Int {
        sliceVectorWidth == nil ? 1 : max(1, MeanVarianceNormalizationKernel.elementsPerTask / reducedSizes.reduce(1, *))
    }
    var taskCount: Int { (outerCount + slicesPerTask - 1) / slicesPerTask * innerBlocks }

    func emitTask(_ e: FunctionEmitter, _ buffers: StepBuffers, task: IRValue) {
        let (x, y) = (buffers.operands[0], buffers.result)
        let scale = attributes.hasScale ? buffers.operands[1] : nil
        let bias = attributes.hasBias ? buffers.operands[attributes.hasScale ? 2 : 1] : nil
        /// The outer position's offsets in the input and in scale/bias.
        func offsets(ofOuter outer: IRValue) -> (IRValue, IRValue) {
            var remaining = outer
            var outerOffset = e.int(0), outerParameterOffset = e.int(0)
            for axis in outerSizes.indices.reversed() {
                let index = remaining % outerSizes[axis]
                remaining = remaining / outerSizes[axis]
                outerOffset = outerOffset + index * outerStrides[axis]
                outerParameterOffset = outerParameterOffset + index * outerParameterStrides[axis]
            }
            return (outerOffset, outerParameterOffset)
        }
        let count = e.double(Double(reducedSizes.reduce(1, *)))
        let epsilon = e.extendToDouble(e.constant(attributes.epsilon, as: x.dataType))
        if let sliceVectorWidth {
            let first = task * slicesPerTask
            e.forLoop(from: first, to: e.minimum(first + slicesPerTask, e.int(outerCount))) { outer in
                let (offset, parameterOffset) = offsets(ofOuter: outer)
                emitSlice(e, buffers, offset: offset, parameterOffset: parameterOffset, count: count,
                          epsilon: epsilon, vectorWidth: sliceVectorWidth)
            }
            return
        }
        let outer = task / innerBlocks, block = task % innerBlocks
        let (outerOffset, outerParameterOffset) = offsets(ofOuter: outer)
        let firstInner = block * innerBlock
        let endInner = e.minimum(firstInner + innerBlock, e.int(inner))
        // Tile element t holds the statistics of inner position firstInner + t.
        let means = e.entryAlloca(e.f64, count: innerBlock), deviations = e.entryAlloca(e.f64, count: innerBlock)
        func tile(_ pointer: IRValue, _ j: IRValue) -> IRValue { e.load(pointer, j - firstInner, type: e.f64) }
        func setTile(_ value: IRValue, _ pointer: IRValue, _ j: IRValue) { e.store(value, pointer, j - firstInner) }
        func input(_ offset: IRValue, _ j: IRValue) -> IRValue { e.extendToDouble(e.load(x, offset + j)) }

        e.forLoop(from: firstInner, to: endInner) { j in setTile(e.double(0), means, j) }
        forEachReduced(e, offset: outerOffset, parameterOffset: outerParameterOffset) { offset, _ in
            e.forLoop(from: firstInner, to: endInner) { j in setTile(e.addDouble(tile(means, j), input(offset, j)), means, j) }
        }
        e.forLoop(from: firstInner, to: endInner) { j in
            setTile(e.divideDouble(tile(means, j), count), means, j)
            setTile(e.double(0), deviations, j)
        }
        forEachReduced(e, offset: outerOffset, parameterOffset: outerParameterOffset) { offset, _ in
            e.forLoop(from: firstInner, to: endInner) { j in
                let deviation = e.subtractDouble(input(offset, j), tile(means, j))
                setTile(e.addDouble(tile(deviations, j), e.multiplyDouble(deviation, deviation)), deviations, j)
            }
        }
        e.forLoop(from: firstInner, to: endInner) { j in
            setTile(e.squareRoot(e.addDouble(e.divideDouble(tile(deviations, j), count), epsilon)), deviations, j)
        }
        forEachReduced(e, offset: outerOffset, parameterOffset: outerParameterOffset) { offset, parameterOffset in
            e.forLoop(from: firstInner, to: endInner) { j in
                var value = e.divideDouble(e.subtractDouble(input(offset, j), tile(means, j)), tile(deviations, j))
                let parameter = innerParameterStride == 0 ? parameterOffset : parameterOffset + j * innerParameterStride
                if let scale { value = e.multiplyDouble(value, e.extendToDouble(e.load(scale, parameter))) }
                if let bias { value = e.addDouble(value, e.extendToDouble(e.load(bias, parameter))) }
                e.store(e.roundFloat(value, to: e.types.f32), y, offset + j)
            }
        }
    }

    /// One contiguous float32 slice of `count` elements from `offset` (scale and bias from
    /// `parameterOffset`, indexed like it): its sum and its sum of squared deviations in `VW`
    /// double lanes (a lane per residue of the index mod VW, the leftover elements in order),
    /// combined across lanes at the end; then the element-wise normalization, a loop LLVM
    /// vectorizes. The same double formulas as the general path, in another summation order,
    /// with the division by the standard deviation a multiplication by its reciprocal.
    private func emitSlice(_ e: FunctionEmitter, _ buffers: StepBuffers, offset: IRValue, parameterOffset: IRValue,
                           count: IRValue, epsilon: IRValue, vectorWidth: Int) {
        let (x, y) = (buffers.operands[0], buffers.result)
        let scale = attributes.hasScale ? buffers.operands[1] : nil
        let bias = attributes.hasBias ? buffers.operands[attributes.hasScale ? 2 : 1] : nil
        let length = reducedSizes.reduce(1, *)
        let vectors = length / vectorWidth, rest = length % vectorWidth
        let doubleVector = LLVMVectorType(e.f64, UInt32(vectorWidth))!
        let zero = e.wrap(LLVMConstNull(doubleVector))
        func loadDoubles(_ v: IRValue) -> IRValue {
            let floats = e.loadVector(x.pointer, offset + v * vectorWidth, lanes: vectorWidth, width: vectorWidth)
            return e.wrap(LLVMBuildFPExt(e.builder, floats.reference, doubleVector, "")!)
        }
        func input(_ j: Int) -> IRValue { e.extendToDouble(e.load(x, offset + j)) }
        func combine(_ lanes: IRValue, _ leftover: (Int) -> IRValue) -> IRValue {
            var total = e.wrap(LLVMBuildExtractElement(e.builder, lanes.reference, e.int32(0).reference, "")!)
            for lane in 1..<vectorWidth {
                total = e.addDouble(total, e.wrap(LLVMBuildExtractElement(e.builder, lanes.reference,
                                                                          e.int32(Int32(lane)).reference, "")!))
            }
            for j in 0..<rest { total = e.addDouble(total, leftover(vectors * vectorWidth + j)) }
            return total
        }
        let sums = e.forLoop(from: e.int(0), to: e.int(vectors), carrying: [zero]) { v, running in
            [e.addDouble(running[0], loadDoubles(v))]
        }[0]
        let mean = e.divideDouble(combine(sums, input), count)
        let meanVector = e.wrap(LLVMBuildShuffleVector(
            e.builder, LLVMBuildInsertElement(e.builder, LLVMGetPoison(doubleVector), mean.reference, e.int32(0).reference, ""),
            LLVMGetPoison(doubleVector), LLVMConstNull(LLVMVectorType(e.types.i32, UInt32(vectorWidth))), "")!)
        let squares = e.forLoop(from: e.int(0), to: e.int(vectors), carrying: [zero]) { v, running in
            let deviation = e.subtractDouble(loadDoubles(v), meanVector)
            return [e.addDouble(running[0], e.multiplyDouble(deviation, deviation))]
        }[0]
        let deviation = combine(squares) { j in
            let d = e.subtractDouble(input(j), mean)
            return e.multiplyDouble(d, d)
        }
        // One division a slice: (x − mean) times the reciprocal of the deviation is within one
        // double ULP of the quotient (a float result differs only where that straddles a
        // rounding boundary); a vdivpd per 8 elements took half the kernel's time.
        let standardDeviation = e.squareRoot(e.addDouble(e.divideDouble(deviation, count), epsilon))
        let inverse = e.divideDouble(e.double(1), standardDeviation)
        e.forLoop(from: 0, to: length) { j in
            var value = e.multiplyDouble(e.subtractDouble(e.extendToDouble(e.load(x, offset + j)), mean), inverse)
            if let scale { value = e.multiplyDouble(value, e.extendToDouble(e.load(scale, parameterOffset + j))) }
            if let bias { value = e.addDouble(value, e.extendToDouble(e.load(bias, parameterOffset + j))) }
            e.store(e.roundFloat(value, to: e.types.f32), y, offset + j)
        }
    }

    /// Visits the reduced positions in row-major order with their input and parameter offsets.
    private func forEachReduced(_ e: FunctionEmitter, axis: Int = 0, offset: IRValue, parameterOffset: IRValue,
                                _ body: (IRValue, IRValue) -> Void) {
        guard axis < reducedSizes.count else { return body(offset, parameterOffset) }
        e.forLoop(from: 0, to: reducedSizes[axis]) { index in
            forEachReduced(e, axis: axis + 1, offset: offset + index * reducedStrides[axis],
                           parameterOffset: parameterOffset + index * reducedParameterStrides[axis], body)
        }
    }
}
