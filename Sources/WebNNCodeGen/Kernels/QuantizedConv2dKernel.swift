import CLLVM
import WebNNBasics
import WebNNLowering

// Integer convolution (`quantizedConv2d`): the exact int32 sum of `QuantizedConv2dParameters`,
// then its requantization on registers. Three emitters:
// - `PackedQuantizedConv2dKernel` (groups 1, nhwc, filter packed at compile time): register
//   tiles of pixels × vectors of int32 accumulators, lanes = output channels, one of the dot
//   products of `QuantizedPacking.DotProduct` per group of 4 input channels;
// - `QuantizedDepthwiseConv2dKernel` (groups = channels, nhwc): vectors of channels, taps in pairs;
// - `QuantizedConv2dKernel`: plain loops, any layout and groups (the fallback).

/// Small vector helpers on raw LLVM values (IRValue's operators are for scalars), for the
/// integer kernels.
extension FunctionEmitter {
    func vectorType(_ element: LLVMTypeRef, _ lanes: Int) -> LLVMTypeRef { LLVMVectorType(element, UInt32(lanes))! }
    var i16: LLVMTypeRef { LLVMInt16TypeInContext(module.context) }

    /// A vector of `lanes` elements of `type` loaded from element `index` of `base` (unaligned).
    func loadVector(_ base: IRValue, _ index: IRValue, element: LLVMTypeRef, lanes: Int) -> IRValue {
        load(vectorType(element, lanes), from: elementPointer(element, base, index), alignment: 1)
    }

    func storeUnaligned(_ value: IRValue, _ base: IRValue, _ index: IRValue, element: LLVMTypeRef) {
        store(value, to: elementPointer(element, base, index), alignment: 1)
    }

    func splatValue(_ scalar: IRValue, lanes: Int) -> IRValue {
        let type = vectorType(scalar.type, lanes)
        let inserted = LLVMBuildInsertElement(builder, LLVMGetPoison(type), scalar.reference, int32(0).reference, "")
        let mask = LLVMConstNull(vectorType(types.i32, lanes))
        return wrap(LLVMBuildShuffleVector(builder, inserted, LLVMGetPoison(type), mask, "")!)
    }

    func constantVector(_ type: LLVMTypeRef, _ values: [Int]) -> IRValue {
        var elements: [LLVMValueRef?] = values.map { LLVMConstInt(type, UInt64(bitPattern: Int64($0)), 1) }
        return wrap(LLVMConstVector(&elements, UInt32(values.count)))
    }

    func shuffle(_ a: IRValue, _ b: IRValue, _ mask: [Int]) -> IRValue {
        var elements: [LLVMValueRef?] = mask.map { LLVMConstInt(types.i32, UInt64($0), 0) }
        return wrap(LLVMBuildShuffleVector(builder, a.reference, b.reference, LLVMConstVector(&elements, UInt32(mask.count)), "")!)
    }

    func vectorAdd(_ a: IRValue, _ b: IRValue) -> IRValue { wrap(LLVMBuildAdd(builder, a.reference, b.reference, "")!) }
    func vectorSub(_ a: IRValue, _ b: IRValue) -> IRValue { wrap(LLVMBuildSub(builder, a.reference, b.reference, "")!) }
    func vectorMul(_ a: IRValue, _ b: IRValue) -> IRValue { wrap(LLVMBuildMul(builder, a.reference, b.reference, "")!) }
    func extend(_ value: IRValue, to type: LLVMTypeRef, signed: Bool) -> IRValue {
        wrap((signed ? LLVMBuildSExt : LLVMBuildZExt)(builder, value.reference, type, "")!)
    }

    /// `QuantizedConv2dParameters.requantize` on a vector of int32 accumulators: to float, times
    /// `scale`, rounded half to even, clamped to the bounds less the zero point, to int32, plus
    /// the zero point, narrowed to 8 bits.
    func requantize(_ accumulator: IRValue, scale: IRValue, _ q: QuantizedConv2dAttributes, lanes: Int) -> IRValue {
        let converted = wrap(LLVMBuildSIToFP(builder, accumulator.reference, vectorType(types.f32, lanes), "")!)
        let scaled = wrap(LLVMBuildFMul(builder, converted.reference, scale.reference, "")!)
        return narrow(scaled, zeroPoint: q.outputZeroPoint, minValue: q.outputMinValue, maxValue: q.outputMaxValue, lanes: lanes)
    }

    /// A float32 vector rounded half to even, clamped to the bounds less the zero point, to
    /// int32, plus the zero point, narrowed to 8 bits: `min(max(roundEven(f) + zeroPoint, minValue), maxValue)`.
    func narrow(_ value: IRValue, zeroPoint: Int, minValue: Int, maxValue: Int, lanes: Int) -> IRValue {
        let floatType = vectorType(types.f32, lanes), intType = vectorType(types.i32, lanes)
        let rounded = callIntrinsic("llvm.roundeven", overloadedOn: [floatType], [value])
        let low = splatValue(float(Float(minValue - zeroPoint)), lanes: lanes)
        let high = splatValue(float(Float(maxValue - zeroPoint)), lanes: lanes)
        let clamped = callIntrinsic("llvm.minnum", overloadedOn: [floatType],
                                    [callIntrinsic("llvm.maxnum", overloadedOn: [floatType], [rounded, low]), high])
        let integer = wrap(LLVMBuildFPToSI(builder, clamped.reference, intType, "")!)
        let shifted = vectorAdd(integer, splatValue(int32(Int32(zeroPoint)), lanes: lanes))
        return wrap(LLVMBuildTrunc(builder, shifted.reference, vectorType(types.i8, lanes), "")!)
    }

    /// `body(index, lanes)` over elements `start..<end`: `lanes` at a time, then the remainder
    /// one at a time (`lanes` 1: one-lane vectors, the same code).
    func vectorLoop(from start: IRValue, to end: IRValue, lanes: Int, _ body: (IRValue, Int) -> Void) {
        let vectorEnd = start + (end - start) / lanes * lanes
        forLoop(from: start, to: vectorEnd, step: lanes) { body($0, lanes) }
        forLoop(from: vectorEnd, to: end) { body($0, 1) }
    }

    /// Stores lanes `0..<count` of an 8-bit vector at consecutive bytes from `index`.
    func storeBytes(_ vector: IRValue, _ base: IRValue, _ index: IRValue, count: Int, lanes: Int) {
        if count == lanes { return storeUnaligned(vector, base, index, element: types.i8) }
        for lane in 0..<count {
            let byte = wrap(LLVMBuildExtractElement(builder, vector.reference, int32(Int32(lane)).reference, "")!)
            store(byte, base, index + lane)
        }
    }
}

/// Register-tiled integer convolution, `groups == 1`, nhwc input and result, filter packed by
/// `QuantizedConvPacking`: per block of L output channels (L = `lanes`), per tap, per group of
/// 4 input channels (padded with zero weights), one vector of 4L weights (byte dot products:
/// lane o's 4 bytes are its weights for the 4 channels) or two of 2L 16-bit weights (`pairs16`:
/// pair p of lane o is its weights for channels 2p, 2p + 1). Operands: input, packed filter,
/// initial accumulators (int32: the bias, less the zero-point compensation where it is folded),
/// scale (float32), both padded to whole blocks.
///
/// A task is one output row of one image for one group of `vectorsPerTile` blocks; tiles of up
/// to `pixelsPerTile` pixels keep `pixels × vectors` accumulators in registers over the whole
/// reduction (valid kernel rows × kernel columns × input channel quads), then requantize and
/// store them. Edge tiles leave out the taps in the padding at compile time (exact: a padded tap
/// adds nothing, and where a packing folds the zero point into the initial accumulators no tap
/// reads padding). Each output is computed by one task in a fixed order: results do not depend
/// on the thread count.
struct PackedQuantizedConv2dKernel: KernelEmitter {
    let attributes: QuantizedConv2dAttributes
    let packing: QuantizedPacking
    let signedInput: Bool
    let batch: Int, inputChannels: Int, outputChannels: Int
    private(set) var inputHeight: Int, inputWidth: Int, outputHeight: Int, outputWidth: Int
    let kernelHeight: Int, kernelWidth: Int
    let window: ConvolutionWindow
    /// The register tile, `vectorsPerTile` vectors of L output channels × `pixelsPerTile` pixels
    /// (measured on MobileNet v1's layers, Ice Lake): zmm (32 registers) 4 × 6; ymm 2 × 6 (+
    /// weights, a broadcast and vpmaddubsw's ones: 16 registers; for widened 16-bit pairs 3 × 4,
    /// 4 × 3 and 3 × 3 measured 4-35 % slower on ResNet-50, Zen 4); ymm 16-bit pairs widened in
    /// registers 4 × 2, which spreads each quad's activation shuffles over 4 weight vectors.
    var vectorsPerTile: Int { lanes == 16 || (packing.dotProduct == .pairs16 && !widensInput) ? 4 : 2 }
    var pixelsPerTile: Int { lanes == 8 && packing.dotProduct == .pairs16 && !widensInput ? 2 : 6 }
    /// Whether the activations are read from a copy of the task's input rows widened to int16
    /// (less the zero point, channels padded with zeros to whole quads) on the stack: pairs16
    /// with ymm. Each pair of channels is then one broadcast load, where widening in registers
    /// took a broadcast and two `vpshufb` per quad and pixel (and 4 × 2 tiles to spread them):
    /// ResNet-50 int8 built for x86-64-v3 on Zen 4, 61 -> 47.7 ms at 1 thread (its 3×3 layers at
    /// ~95 % of the `vpmaddwd` + `vpaddd` peak of Benchmarks/peak.c). With zmm on the same Zen 4
    /// (built for skylake-avx512) widening measured 4 % slower, so 16 lanes widen in registers,
    /// as do rows too wide for `widenedBytesLimit`.
    let widensInput: Bool
    /// The most stack a task's widened rows may take (with GEMM's blocks, tasks stay within
    /// the 256 KB of stack docs/abi.md asks of the threads that run them).
    static let widenedBytesLimit = 96 << 10
    /// The widest row a narrow pointwise convolution's rows are joined into when widened.
    /// (ResNet-50 int8 on x86-64-v3, Zen 4: its 1×1 layers at 14² in rows of 28, 3 % faster.)
    static let pointwiseRowPixels = 48

    var name: String { "PackedQuantizedConv2dKernel(\(packing.dotProduct.rawValue) x\(packing.lanes)\(widensInput ? " widened" : ""))" }

    init(_ attributes: QuantizedConv2dAttributes, packing: QuantizedPacking, input: TensorType, packedFilter: [Int],
         result: [Int]) throws {
        let conv = attributes.convolution
        guard conv.inputLayout == .nhwc, conv.groups == 1, input.rank == 4, result.count == 4, packedFilter.count == 6 else {
            throw CodeGenError.unsupported("packed quantizedConv2d of \(input.shape) with filter \(packedFilter)")
        }
        self.attributes = attributes
        self.packing = packing
        signedInput = input.dataType == .int8
        batch = input.shape[0]
        (inputHeight, inputWidth, inputChannels) = (input.shape[1], input.shape[2], input.shape[3])
        (outputHeight, outputWidth, outputChannels) = (result[1], result[2], result[3])
        (kernelHeight, kernelWidth) = (packedFilter[1], packedFilter[2])
        compactsColumns = kernelWidth == 1 && conv.strides[1] > 1
        let widenedPixelBytes = (inputChannels + 3) / 4 * 4 * 2
        let widenedBytes = kernelHeight * (compactsColumns ? outputWidth : inputWidth) * widenedPixelBytes
        widensInput = packing.dotProduct == .pairs16 && packing.lanes == 8 && widenedBytes <= Self.widenedBytesLimit
        // A pointwise convolution (1×1, stride 1, no padding) on narrow rows (MobileNet's 14² and
        // 7²) reads its image as one row of H·W pixels: full tiles instead of 7 = 4 + 3. Widened,
        // as rows of k rows (k dividing H) of at most `pointwiseRowPixels` pixels whose widened
        // copy fits `widenedBytesLimit`.
        if kernelHeight == 1 && kernelWidth == 1 && conv.strides == [1, 1] && conv.padding.allSatisfy({ $0 == 0 })
            && outputWidth < 16 {
            let (height, width) = (inputHeight, inputWidth)
            let rows = !widensInput ? height : (1...height).last { k in
                height % k == 0 && k * width <= Self.pointwiseRowPixels && k * width * widenedPixelBytes <= Self.widenedBytesLimit
            } ?? 1
            (inputHeight, inputWidth, outputHeight, outputWidth) = (height / rows, width * rows, height / rows, width * rows)
        }
        window = ConvolutionWindow(conv, inputHeight: inputHeight, inputWidth: inputWidth, outputHeight: outputHeight,
                                   outputWidth: outputWidth, kernelHeight: kernelHeight, kernelWidth: kernelWidth)
    }

    var lanes: Int { packing.lanes }
    var quads: Int { (inputChannels + 3) / 4 }
    var blocks: Int { (outputChannels + lanes - 1) / lanes }
    var channelGroups: Int { (blocks + vectorsPerTile - 1) / vectorsPerTile }
    /// Elements (bytes, or 16-bit weights for pairs16) of the packed filter per block.
    var blockStride: Int { kernelHeight * kernelWidth * quads * 4 * lanes }
    /// Channel groups per task: one, or with a widened input enough to cover ~128 output
    /// channels, so that each widened row serves that many (a 1×1 layer's widening costs ~20 %
    /// of its multiply-adds when it serves one group of 16 channels).
    var groupsPerTask: Int { widensInput ? min(channelGroups, max(1, 128 / (vectorsPerTile * lanes))) : 1 }
    var chunks: Int { (channelGroups + groupsPerTask - 1) / groupsPerTask }
    var taskCount: Int { batch * outputHeight * chunks }

    /// Whether consecutive tasks walk the channel chunks of one row (the filter re-read per
    /// row) rather than the rows of one chunk (the input re-read per chunk): whichever re-reads
    /// fewer bytes.
    private var groupsInnermost: Bool {
        let filterBytes = blocks * blockStride * (packing.dotProduct == .pairs16 ? 2 : 1)
        let inputBytes = inputHeight * inputWidth * inputChannels
        return outputHeight * filterBytes < chunks * inputBytes
    }

    func emitTask(_ e: FunctionEmitter, _ buffers: StepBuffers, task: IRValue) {
        let perImage = outputHeight * chunks
        let n = task / perImage, rest = task % perImage
        let (chunk, oh) = groupsInnermost ? (rest % chunks, rest / chunks) : (rest / outputHeight, rest % outputHeight)
        let lastVectors = blocks - (channelGroups - 1) * vectorsPerTile
        let lastLanes = outputChannels - (blocks - 1) * lanes
        let kernelRows = window.validKernelRows(e, oh: oh)
        let widened = widensInput ? widenRows(e, buffers, n: n, oh: oh, kernelRows: kernelRows) : nil
        let emit = { (group: IRValue, vectors: Int, finalLanes: Int) in
            emitRow(e, buffers, n: n, group: group, oh: oh, kernelRows: kernelRows, widened: widened, vectors: vectors,
                    finalLanes: finalLanes)
        }
        let firstGroup = chunk * groupsPerTask
        let endGroup = e.minimum(firstGroup + groupsPerTask, e.int(channelGroups))
        if lastVectors == vectorsPerTile && lastLanes == lanes {
            return e.forLoop(from: firstGroup, to: endGroup) { emit($0, vectorsPerTile, lanes) }
        }
        // The last group (fewer blocks or lanes) after the chunk's full ones.
        e.forLoop(from: firstGroup, to: e.minimum(endGroup, e.int(channelGroups - 1))) { emit($0, vectorsPerTile, lanes) }
        e.ifThen(endGroup == e.int(channelGroups)) { emit(e.int(channelGroups - 1), lastVectors, lastLanes) }
    }

    /// One output row for `vectors` blocks of the group, the last one's lanes `finalLanes`.
    private func emitRow(_ e: FunctionEmitter, _ buffers: StepBuffers, n: IRValue, group: IRValue, oh: IRValue,
                         kernelRows: (IRValue, IRValue), widened: IRValue?, vectors: Int, finalLanes: Int) {
        let firstBlock = group * vectorsPerTile
        let initial = (0..<vectors).map { v in
            e.loadVector(buffers.operands[2].pointer, (firstBlock + v) * lanes, element: e.types.i32, lanes: lanes)
        }
        let scales = (0..<vectors).map { v in
            e.loadVector(buffers.operands[3].pointer, (firstBlock + v) * lanes, element: e.types.f32, lanes: lanes)
        }
        window.forEachBalancedTile(e, tileWidth: pixelsPerTile, minimumWidth: 3) { pixels, firstColumn, edgeColumn in
            emitTile(e, buffers, n: n, oh: oh, firstBlock: firstBlock, vectors: vectors, finalLanes: finalLanes,
                     initial: initial, scales: scales, kernelRows: kernelRows, pixels: pixels, firstColumn: firstColumn,
                     edgeColumn: edgeColumn, widened: widened)
        }
    }

    /// Channels of a widened input pixel: whole quads.
    private var widenedChannels: Int { 4 * quads }
    /// Whether a widened row holds only the input columns the kernel reads, at the slots of
    /// their output columns (a 1×1 kernel with a stride: every other column of the input).
    let compactsColumns: Bool
    private var widenedWidth: Int { compactsColumns ? outputWidth : inputWidth }

    /// The valid kernel rows of output row `oh` as int16 `x − inRegisterZeroPoint` on the stack,
    /// `[kernelHeight][widenedWidth][widenedChannels]` (row slot kh for kernel row kh), the
    /// channels past the input's zero.
    private func widenRows(_ e: FunctionEmitter, _ buffers: StepBuffers, n: IRValue, oh: IRValue,
                           kernelRows: (IRValue, IRValue)) -> IRValue {
        let x = buffers.operands[0].pointer
        let widened = e.entryAlloca(e.i16, count: kernelHeight * widenedWidth * widenedChannels)
        let zeroPoint = packing.inRegisterZeroPoint
        /// Widens `count` bytes from element `from` of the input to element `to` of `widened`.
        func widen(_ from: IRValue, _ to: IRValue, count: Int) {
            e.vectorLoop(from: e.int(0), to: e.int(count), lanes: 16) { i, lanes in
                let bytes = e.loadVector(x, from + i, element: e.types.i8, lanes: lanes)
                var words = e.extend(bytes, to: e.vectorType(e.i16, lanes), signed: signedInput)
                if zeroPoint != 0 {
                    words = e.vectorSub(words, e.constantVector(e.i16, Array(repeating: zeroPoint, count: lanes)))
                }
                e.storeUnaligned(words, widened, to + i, element: e.i16)
            }
        }
        e.forLoop(from: kernelRows.0, to: kernelRows.1) { kh in
            let source = n * (inputHeight * inputWidth * inputChannels) + window.inputRow(oh, kh) * (inputWidth * inputChannels)
            let target = kh * (widenedWidth * widenedChannels)
            if inputChannels == widenedChannels && !compactsColumns {
                return widen(source, target, count: inputWidth * inputChannels)
            }
            // Pixel by pixel: the slots of a compacted row, or channels padded with zeros.
            let slots = (0..<widenedWidth).filter { slot in
                let column = compactsColumns ? window.inputColumn(slot, 0) : slot
                return column >= 0 && column < inputWidth
            }
            guard let first = slots.first, let last = slots.last else { return }
            e.forLoop(from: first, to: last + 1) { slot in
                let column = compactsColumns ? window.inputColumn(slot, 0) : slot
                let to = target + slot * widenedChannels
                widen(source + column * inputChannels, to, count: inputChannels)
                for c in inputChannels..<widenedChannels {
                    e.storeUnaligned(e.constantVector(e.i16, [0]), widened, to + c, element: e.i16)
                }
            }
        }
        return widened
    }

    private func emitTile(_ e: FunctionEmitter, _ buffers: StepBuffers, n: IRValue, oh: IRValue, firstBlock: IRValue,
                          vectors: Int, finalLanes: Int, initial: [IRValue], scales: [IRValue],
                          kernelRows: (IRValue, IRValue), pixels: Int, firstColumn: IRValue, edgeColumn: Int?,
                          widened: IRValue?) {
        let image = n * (inputHeight * inputWidth * inputChannels)
        /// The tap's products for the pixels `pixelRange` at output columns `outputColumns`.
        func tap(_ kh: IRValue, _ kw: IRValue, _ pixelRange: [Int], _ outputColumns: [IRValue], _ acc: [IRValue]) -> [IRValue] {
            let columns = outputColumns.map { window.inputColumn($0, kw) }
            if let widened {
                let rowBase = kh * (widenedWidth * widenedChannels)
                let slots = compactsColumns ? outputColumns : columns
                return reduceWidened(e, buffers, widened, firstBlock: firstBlock, vectors: vectors, kh: kh, kw: kw,
                                     pixelOffsets: slots.map { rowBase + $0 * widenedChannels }, pixelRange: pixelRange, acc)
            }
            let rowBase = image + window.inputRow(oh, kh) * (inputWidth * inputChannels)
            return reduce(e, buffers, firstBlock: firstBlock, vectors: vectors, kh: kh, kw: kw,
                          pixelOffsets: columns.map { rowBase + $0 * inputChannels }, pixelRange: pixelRange, acc)
        }
        let start = (0..<pixels).flatMap { _ in initial }
        let sums = e.forLoop(from: kernelRows.0, to: kernelRows.1, carrying: start) { kh, accumulators in
            guard let edgeColumn else {
                return e.forLoop(from: e.int(0), to: e.int(kernelWidth), carrying: accumulators, unrolled: false) { kw, acc in
                    tap(kh, kw, Array(0..<pixels), (0..<pixels).map { firstColumn + $0 }, acc)
                }
            }
            var acc = accumulators
            for kw in 0..<kernelWidth {
                let inside = (0..<pixels).filter { r in
                    let column = window.inputColumn(edgeColumn + r, kw)
                    return column >= 0 && column < inputWidth
                }
                if inside.isEmpty { continue }
                acc = tap(kh, e.int(kw), inside, inside.map { e.int(edgeColumn + $0) }, acc)
            }
            return acc
        }
        let rowOffset = (n * outputHeight + oh) * (outputWidth * outputChannels)
        for r in 0..<pixels {
            let pixelOffset = rowOffset + (firstColumn + r) * outputChannels
            for v in 0..<vectors {
                let bytes = e.requantize(sums[r * vectors + v], scale: scales[v], attributes, lanes: lanes)
                e.storeBytes(bytes, buffers.result.pointer, pixelOffset + (firstBlock + v) * lanes,
                             count: v == vectors - 1 ? finalLanes : lanes, lanes: lanes)
            }
        }
    }

    /// Adds one tap's products (all input channels) of the pixels in `pixelRange` (input pixel
    /// r at element `pixelOffsets[i]`) to their accumulators.
    private func reduce(_ e: FunctionEmitter, _ buffers: StepBuffers, firstBlock: IRValue, vectors: Int, kh: IRValue,
                        kw: IRValue, pixelOffsets: [IRValue], pixelRange: [Int], _ accumulators: [IRValue]) -> [IRValue] {
        let x = buffers.operands[0].pointer, w = buffers.operands[1].pointer
        let weightElement = packing.dotProduct == .pairs16 ? e.i16 : e.types.i8
        let tapBase = firstBlock * blockStride + (kh * kernelWidth + kw) * (quads * 4 * lanes)
        func step(_ q: IRValue, bytes: Int, _ accumulators: [IRValue]) -> [IRValue] {
            var acc = accumulators
            let weights = (0..<vectors).map { v in
                e.loadVector(w, tapBase + v * blockStride + q * (4 * lanes), element: weightElement, lanes: 4 * lanes)
            }
            for (r, offset) in zip(pixelRange, pixelOffsets) {
                let activations = quad(e, x, offset + q * 4, bytes: bytes)
                for v in 0..<vectors {
                    acc[r * vectors + v] = dot(e, acc[r * vectors + v], activations, weights[v])
                }
            }
            return acc
        }
        let fullQuads = inputChannels / 4, tail = inputChannels % 4
        var acc = accumulators
        if fullQuads > 0 {
            acc = e.forLoop(from: e.int(0), to: e.int(fullQuads), carrying: acc) { q, acc in step(q, bytes: 4, acc) }
        }
        if tail > 0 { acc = step(e.int(fullQuads), bytes: tail, acc) }
        return acc
    }

    /// `reduce` for pairs16 on the widened input (element `pixelOffsets[i]` of `widened`): per
    /// pair of channels, its two int16 broadcast to every int32 lane, `vpmaddwd` by each
    /// vector's weights for that pair.
    private func reduceWidened(_ e: FunctionEmitter, _ buffers: StepBuffers, _ widened: IRValue, firstBlock: IRValue,
                               vectors: Int, kh: IRValue, kw: IRValue, pixelOffsets: [IRValue], pixelRange: [Int],
                               _ accumulators: [IRValue]) -> [IRValue] {
        let w = buffers.operands[1].pointer
        let tapBase = firstBlock * blockStride + (kh * kernelWidth + kw) * (quads * 4 * lanes)
        let name = lanes == 16 ? "llvm.x86.avx512.pmaddw.d.512" : "llvm.x86.avx2.pmadd.wd"
        let words = e.vectorType(e.i16, 2 * lanes)
        return e.forLoop(from: e.int(0), to: e.int(2 * quads), carrying: accumulators) { pair, accumulators in
            var acc = accumulators
            let weights = (0..<vectors).map { v in
                e.loadVector(w, tapBase + v * blockStride + pair * (2 * lanes), element: e.i16, lanes: 2 * lanes)
            }
            for (r, offset) in zip(pixelRange, pixelOffsets) {
                let word = e.load(e.types.i32, from: e.elementPointer(e.i16, widened, offset + pair * 2), alignment: 2)
                let activations = e.bitCast(e.splatValue(word, lanes: lanes), to: words)
                for v in 0..<vectors {
                    acc[r * vectors + v] = e.vectorAdd(acc[r * vectors + v], e.callIntrinsic(name, [activations, weights[v]]))
                }
            }
            return acc
        }
    }

    /// The 4 activation bytes of input channels [4q, 4q + 4) at element `index` as one int32
    /// (bytes past `bytes` are 0 and never read: their weights are 0).
    private func quadWord(_ e: FunctionEmitter, _ x: IRValue, _ index: IRValue, bytes: Int) -> IRValue {
        if bytes == 4 {
            return e.load(e.types.i32, from: e.elementPointer(e.types.i8, x, index), alignment: 1)
        }
        var word = e.int32(0)
        for b in 0..<bytes {
            let byte = e.zeroExtend(e.load(x, index + b, type: e.types.i8), to: e.types.i32)
            word = e.or(word, e.shiftLeft(byte, e.int32(Int32(8 * b))))
        }
        return word
    }

    /// The activation operand of one quad: byte dot products get the 4 bytes in every int32
    /// lane (`<4L x i8>`); pairs16 gets two `<2L x i16>` vectors, the (channel 0, 1) and the
    /// (channel 2, 3) pair in every lane, widened (zero- or sign-extended) and less the zero point.
    private func quad(_ e: FunctionEmitter, _ x: IRValue, _ index: IRValue, bytes: Int) -> [IRValue] {
        let word = quadWord(e, x, index, bytes: bytes)
        if packing.dotProduct != .pairs16 {
            return [e.bitCast(e.splatValue(word, lanes: lanes), to: e.vectorType(e.types.i8, 4 * lanes))]
        }
        // The 4 bytes in every lane, then one byte shuffle per pair (`vpshufb`, zeroing the other
        // byte of each 16-bit word): uint8 lands in the low byte (zero-extended), int8 in the high
        // byte, shifted down arithmetically (sign-extended).
        let bytes = e.bitCast(e.splatValue(word, lanes: lanes), to: e.vectorType(e.types.i8, 4 * lanes))
        let zero = 4 * lanes  // any element of the second (null) operand
        let words = e.vectorType(e.i16, 2 * lanes)
        return (0..<2).map { p in
            var mask: [Int] = []
            for l in 0..<lanes {
                for k in 0..<2 {
                    let source: Int = 4 * l + 2 * p + k
                    mask += signedInput ? [zero, source] : [source, zero]
                }
            }
            var pair = e.bitCast(e.shuffle(bytes, e.wrap(LLVMConstNull(e.vectorType(e.types.i8, 4 * lanes))), mask), to: words)
            if signedInput {
                pair = e.wrap(LLVMBuildAShr(e.builder, pair.reference,
                                            e.constantVector(e.i16, Array(repeating: 8, count: 2 * lanes)).reference, "")!)
            }
            if packing.inRegisterZeroPoint != 0 {
                pair = e.vectorSub(pair, e.constantVector(e.i16, Array(repeating: packing.inRegisterZeroPoint, count: 2 * lanes)))
            }
            return pair
        }
    }

    /// `accumulator + Σ (4 products per lane)`.
    private func dot(_ e: FunctionEmitter, _ accumulator: IRValue, _ activations: [IRValue], _ weights: IRValue) -> IRValue {
        let wideLanes = lanes == 16 ? 512 : 256
        switch packing.dotProduct {
        case .pairs16:
            var acc = accumulator
            for p in 0..<2 {
                let half = e.shuffle(weights, weights, Array((p * 2 * lanes)..<((p + 1) * 2 * lanes)))
                let name = wideLanes == 512 ? "llvm.x86.avx512.pmaddw.d.512" : "llvm.x86.avx2.pmadd.wd"
                acc = e.vectorAdd(acc, e.callIntrinsic(name, [activations[p], half]))
            }
            return acc
        case .maddubs:
            let pairs = e.callIntrinsic(wideLanes == 512 ? "llvm.x86.avx512.pmaddubs.w.512" : "llvm.x86.avx2.pmadd.ub.sw",
                                        [activations[0], weights])
            let ones = e.constantVector(e.i16, Array(repeating: 1, count: 2 * lanes))
            let name = wideLanes == 512 ? "llvm.x86.avx512.pmaddw.d.512" : "llvm.x86.avx2.pmadd.wd"
            return e.vectorAdd(accumulator, e.callIntrinsic(name, [pairs, ones]))
        case .vnni:
            let words = e.vectorType(e.types.i32, lanes)
            return e.callIntrinsic("llvm.x86.avx512.vpdpbusd.\(wideLanes)",
                                   [accumulator, e.bitCast(activations[0], to: words), e.bitCast(weights, to: words)])
        case .vnniStandIn:
            return QuantizedConvPacking.dotProductStandIn(e, accumulator, activations[0], weights, lanes: lanes)
        case .depthwise:
            preconditionFailure("depthwise packing in the groups == 1 kernel")
        }
    }
}

/// Integer depthwise convolution (`groups` = input channels = output channels), nhwc. The filter
/// is packed `[ceil(c / L)][kh][kw][L]` int32, each weight in the low 16 bits of its lane and 0
/// in the high ones (stored as bytes: shape `[blocks, kh, kw, 4L]` int8); operands: input, packed
/// filter, initial accumulators (the bias), scale, all padded to whole blocks. A task is one
/// output row; per tile of pixels and vector of L channels, each tap widens its L bytes to int32
/// (less the zero point) and adds `vpmaddwd` by its weights to the int32 lanes: a lane's low
/// words multiply (x − z fits int16) and its high word meets the weight's 0, so each lane gets
/// exactly (x − z)·w (one widening and one `vpdpwssd` with VNNI, where interleaving pairs of
/// taps took three shuffles more per pair). Taps in the padding are left out (at compile time at
/// the edge columns). Exact.
struct QuantizedDepthwiseConv2dKernel: KernelEmitter {
    let attributes: QuantizedConv2dAttributes
    let packing: QuantizedPacking
    let signedInput: Bool
    let batch: Int, channels: Int
    let inputHeight: Int, inputWidth: Int, outputHeight: Int, outputWidth: Int
    let kernelHeight: Int, kernelWidth: Int
    let window: ConvolutionWindow

    var name: String { "QuantizedDepthwiseConv2dKernel(x\(packing.lanes))" }

    init(_ attributes: QuantizedConv2dAttributes, packing: QuantizedPacking, input: TensorType, packedFilter: [Int],
         result: [Int]) throws {
        let conv = attributes.convolution
        guard conv.inputLayout == .nhwc, input.rank == 4, result.count == 4, packedFilter.count == 4,
              conv.groups == input.shape[3], result[3] == input.shape[3], packedFilter[3] == 4 * packing.lanes else {
            throw CodeGenError.unsupported("packed depthwise quantizedConv2d of \(input.shape) with filter \(packedFilter)")
        }
        self.attributes = attributes
        self.packing = packing
        signedInput = input.dataType == .int8
        batch = input.shape[0]
        (inputHeight, inputWidth, channels) = (input.shape[1], input.shape[2], input.shape[3])
        (outputHeight, outputWidth) = (result[1], result[2])
        (kernelHeight, kernelWidth) = (packedFilter[1], packedFilter[2])
        window = ConvolutionWindow(conv, inputHeight: inputHeight, inputWidth: inputWidth, outputHeight: outputHeight,
                                   outputWidth: outputWidth, kernelHeight: kernelHeight, kernelWidth: kernelWidth)
    }

    var lanes: Int { packing.lanes }
    var taskCount: Int { batch * outputHeight }

    func emitTask(_ e: FunctionEmitter, _ buffers: StepBuffers, task: IRValue) {
        let n = task / outputHeight, oh = task % outputHeight
        let kernelRows = window.validKernelRows(e, oh: oh)
        let fullVectors = channels / lanes, tail = channels % lanes
        window.forEachTile(e, tileWidth: 6, edgeWidth: 1) { pixels, firstColumn, edgeColumn in
            if fullVectors > 0 {
                e.forLoop(from: 0, to: fullVectors) { v in
                    emitTile(e, buffers, n: n, oh: oh, kernelRows: kernelRows, block: v, count: lanes, pixels: pixels,
                             firstColumn: firstColumn, edgeColumn: edgeColumn)
                }
            }
            if tail > 0 {
                emitTile(e, buffers, n: n, oh: oh, kernelRows: kernelRows, block: e.int(fullVectors), count: tail,
                         pixels: pixels, firstColumn: firstColumn, edgeColumn: edgeColumn)
            }
        }
    }

    /// Lanes `0..<count` of the 8-bit channels from element `index` (lanes past `count` 0).
    private func bytes(_ e: FunctionEmitter, _ x: IRValue, _ index: IRValue, count: Int) -> IRValue {
        if count == lanes { return e.loadVector(x, index, element: e.types.i8, lanes: lanes) }
        var vector = e.wrap(LLVMConstNull(e.vectorType(e.types.i8, lanes)))
        for lane in 0..<count {
            vector = e.wrap(LLVMBuildInsertElement(e.builder, vector.reference, e.load(x, index + lane, type: e.types.i8).reference,
                                                   e.int32(Int32(lane)).reference, "")!)
        }
        return vector
    }

    private func emitTile(_ e: FunctionEmitter, _ buffers: StepBuffers, n: IRValue, oh: IRValue,
                          kernelRows: (IRValue, IRValue), block: IRValue, count: Int, pixels: Int, firstColumn: IRValue,
                          edgeColumn: Int?) {
        let x = buffers.operands[0].pointer, w = buffers.operands[1].pointer
        let firstChannel = block * lanes
        let initial = e.loadVector(buffers.operands[2].pointer, firstChannel, element: e.types.i32, lanes: lanes)
        let scale = e.loadVector(buffers.operands[3].pointer, firstChannel, element: e.types.f32, lanes: lanes)
        let words = e.vectorType(e.i16, 2 * lanes), dwords = e.vectorType(e.types.i32, lanes)
        let zeroPoints = e.constantVector(e.types.i32, Array(repeating: packing.inRegisterZeroPoint, count: lanes))
        let madd = lanes == 16 ? "llvm.x86.avx512.pmaddw.d.512" : "llvm.x86.avx2.pmadd.wd"
        let sums = e.forLoop(from: kernelRows.0, to: kernelRows.1, carrying: Array(repeating: initial, count: pixels)) { kh, acc0 in
            var acc = acc0
            let rowBase = n * (inputHeight * inputWidth * channels) + window.inputRow(oh, kh) * (inputWidth * channels) + firstChannel
            for kw in 0..<kernelWidth {
                // L int32 weights as 2L int16: per channel, the weight, then 0.
                let weights = e.loadVector(w, ((block * kernelHeight + kh) * kernelWidth + kw) * (2 * lanes), element: e.i16, lanes: 2 * lanes)
                for r in 0..<pixels {
                    let column: IRValue
                    if let edgeColumn {  // a tap in the padding (known at an edge) is left out
                        let c = window.inputColumn(edgeColumn + r, kw)
                        guard c >= 0 && c < inputWidth else { continue }
                        column = e.int(c)
                    } else {
                        column = window.inputColumn(firstColumn + r, kw)
                    }
                    var wide = e.extend(bytes(e, x, rowBase + column * channels, count: count), to: dwords, signed: signedInput)
                    if packing.inRegisterZeroPoint != 0 { wide = e.vectorSub(wide, zeroPoints) }
                    acc[r] = e.vectorAdd(acc[r], e.callIntrinsic(madd, [e.bitCast(wide, to: words), weights]))
                }
            }
            return acc
        }
        let rowOffset = (n * outputHeight + oh) * (outputWidth * channels)
        for r in 0..<pixels {
            let bytes = e.requantize(sums[r], scale: scale, attributes, lanes: lanes)
            e.storeBytes(bytes, buffers.result.pointer, rowOffset + (firstColumn + r) * channels + firstChannel,
                         count: count, lanes: lanes)
        }
    }
}

/// `quantizedConv2d` in plain loops: any layout, groups and filter layout; one task per output
/// row, each output's sum in int32, then the same requantization.
struct QuantizedConv2dKernel: KernelEmitter {
    let attributes: QuantizedConv2dAttributes
    let signedInput: Bool
    let batch: Int, inputChannels: Int, outputChannels: Int
    let inputHeight: Int, inputWidth: Int, outputHeight: Int, outputWidth: Int
    let kernelHeight: Int, kernelWidth: Int
    let inputStrides: [Character: Int], outputStrides: [Character: Int], filterStrides: [Character: Int]
    let window: ConvolutionWindow

    init(_ attributes: QuantizedConv2dAttributes, input: TensorType, filter: [Int], result: [Int]) throws {
        let conv = attributes.convolution
        let layout = conv.inputLayout.rawValue, filterLayout = conv.filterLayout.rawValue
        guard input.rank == 4, filter.count == 4, result.count == 4 else {
            throw CodeGenError.unsupported("quantizedConv2d of \(input.shape) with filter \(filter)")
        }
        func dimension(_ shape: [Int], _ axis: Character) -> Int { LayoutAxes.dimension(shape, layout, axis) }
        self.attributes = attributes
        signedInput = input.dataType == .int8
        batch = input.shape[0]
        (inputHeight, inputWidth, inputChannels) = (dimension(input.shape, "h"), dimension(input.shape, "w"), dimension(input.shape, "c"))
        (outputHeight, outputWidth, outputChannels) = (dimension(result, "h"), dimension(result, "w"), dimension(result, "c"))
        (kernelHeight, kernelWidth) = (LayoutAxes.dimension(filter, filterLayout, "h"), LayoutAxes.dimension(filter, filterLayout, "w"))
        inputStrides = LayoutAxes.strides(input.shape, layout)
        outputStrides = LayoutAxes.strides(result, layout)
        filterStrides = LayoutAxes.strides(filter, filterLayout)
        window = ConvolutionWindow(conv, inputHeight: inputHeight, inputWidth: inputWidth, outputHeight: outputHeight,
                                   outputWidth: outputWidth, kernelHeight: kernelHeight, kernelWidth: kernelWidth)
    }

    var taskCount: Int { batch * outputHeight }

    func emitTask(_ e: FunctionEmitter, _ buffers: StepBuffers, task: IRValue) {
        let n = task / outputHeight, oh = task % outputHeight
        let x = buffers.operands[0].pointer, w = buffers.operands[1].pointer
        let groups = attributes.convolution.groups
        let inPerGroup = inputChannels / groups, outPerGroup = outputChannels / groups
        let kernelRows = window.validKernelRows(e, oh: oh)
        let zeroPoint = e.int32(Int32(attributes.inputZeroPoint))
        e.forLoop(from: 0, to: outputWidth) { ow in
            e.forLoop(from: 0, to: outputChannels) { oc in
                let bias = e.load(buffers.operands[2].pointer, oc, type: e.types.i32)
                let firstInput = oc / outPerGroup * inPerGroup
                let sum = e.forLoop(from: kernelRows.0, to: kernelRows.1, carrying: [bias]) { kh, acc in
                    let ih = window.inputRow(oh, kh)
                    return e.forLoop(from: e.int(0), to: e.int(kernelWidth), carrying: acc) { kw, acc in
                        let iw = window.inputColumn(ow, kw)
                        let inside = e.and(iw >= 0, iw < e.int(inputWidth))
                        let column = e.select(inside, iw, e.int(0))
                        return e.forLoop(from: e.int(0), to: e.int(inPerGroup), carrying: acc) { i, acc in
                            let xIndex = n * inputStrides["n"]! + ih * inputStrides["h"]! + column * inputStrides["w"]!
                                + (firstInput + i) * inputStrides["c"]!
                            let wIndex = oc * filterStrides["o"]! + i * filterStrides["i"]! + kh * filterStrides["h"]!
                                + kw * filterStrides["w"]!
                            let xv = e.extend(e.load(x, xIndex, type: e.types.i8), to: e.types.i32, signed: signedInput)
                            let wv = e.extend(e.load(w, wIndex, type: e.types.i8), to: e.types.i32, signed: true)
                            let product = e.vectorMul(e.vectorSub(xv, zeroPoint), wv)
                            return [e.vectorAdd(acc[0], e.select(inside, product, e.int32(0)))]
                        }
                    }
                }[0]
                let scale = e.load(buffers.operands[3].pointer, oc, type: e.types.f32)
                let vector = e.requantize(e.splatValue(sum, lanes: 1), scale: e.splatValue(scale, lanes: 1), attributes, lanes: 1)
                let byte = e.wrap(LLVMBuildExtractElement(e.builder, vector.reference, e.int32(0).reference, "")!)
                e.store(byte, buffers.result.pointer,
                        n * outputStrides["n"]! + oh * outputStrides["h"]! + ow * outputStrides["w"]! + oc * outputStrides["c"]!)
            }
        }
    }
}

/// The emitter of a `quantizedConv2d` step.
func makeQuantizedConv2dEmitter(_ attributes: QuantizedConv2dAttributes, _ step: KernelStep) throws -> KernelEmitter {
    guard step.operands.count == 4, [.uint8, .int8].contains(step.operands[0].type.dataType),
          [.uint8, .int8].contains(step.result.type.dataType), step.result.strides == nil,
          step.operands.allSatisfy({ $0.strides == nil }) else {
        throw CodeGenError.unsupported("quantizedConv2d with operands \(step.operands.map(\.type)) into \(step.result.type)")
    }
    let input = step.operands[0].type, filter = step.operands[1].type.shape, result = step.result.type.shape
    guard let packing = attributes.packing else {
        return try QuantizedConv2dKernel(attributes, input: input, filter: filter, result: result)
    }
    if packing.dotProduct == .depthwise {
        return try QuantizedDepthwiseConv2dKernel(attributes, packing: packing, input: input, packedFilter: filter, result: result)
    }
    return try PackedQuantizedConv2dKernel(attributes, packing: packing, input: input, packedFilter: filter, result: result)
}

/// Compile-time packing of `quantizedConv2d` filters for the fast integer kernels, and the
/// choice of dot product per layer.
enum QuantizedConvPacking {
    /// Whether `vpmaddubsw` is exact for these weight pairs: it sums u·w1 + u'·w2 (u, u' up to
    /// 255) into a saturating int16, which is exact iff the positive weights of every pair sum to
    /// at most 128 and the negative ones to at least −128 (255·128 = 32640 ≤ 32767;
    /// 255·129 = 32895 overflows). |w1| + |w2| ≤ 128 is sufficient, not necessary: (127, −128) is exact.
    static func isSaturationFree(_ pairs: [(Int, Int)]) -> Bool {
        pairs.allSatisfy { a, b in max(a, 0) + max(b, 0) <= 128 && min(a, 0) + min(b, 0) >= -128 }
    }

    /// `accumulator + Σ_{j<4} u8(a[4l+j]) · s8(b[4l+j])` per int32 lane l: `vpdpbusd` in generic IR
    /// (widened products, the four of a lane summed), exact like the instruction.
    static func dotProductStandIn(_ e: FunctionEmitter, _ accumulator: IRValue, _ a: IRValue, _ b: IRValue,
                                  lanes: Int) -> IRValue {
        let wide = LLVMVectorType(e.types.i32, UInt32(4 * lanes))!
        let products = e.wrap(LLVMBuildMul(e.builder, LLVMBuildZExt(e.builder, a.reference, wide, ""),
                                           LLVMBuildSExt(e.builder, b.reference, wide, ""), "")!)
        var sum = accumulator
        for j in 0..<4 {
            let part = e.wrap(LLVMBuildShuffleVector(e.builder, products.reference, products.reference,
                                                     constantMask(e, (0..<lanes).map { 4 * $0 + j }), "")!)
            sum = e.wrap(LLVMBuildAdd(e.builder, sum.reference, part.reference, "")!)
        }
        return sum
    }

    private static func constantMask(_ e: FunctionEmitter, _ mask: [Int]) -> LLVMValueRef {
        var elements: [LLVMValueRef?] = mask.map { LLVMConstInt(e.types.i32, UInt64($0), 0) }
        return LLVMConstVector(&elements, UInt32(mask.count))
    }

    /// Rewrites `quantizedConv2d` steps with nhwc input and constant filter, bias and scale
    /// (groups 1, or depthwise) to read packed operands (see `PackedQuantizedConv2dKernel`,
    /// `QuantizedDepthwiseConv2dKernel`), on x86-64 targets with AVX2. The dot product: VNNI
    /// when the target has it (`avxvnni`: 8 lanes, `avx512vnni`: 16) or `vnniStandIn` asks for
    /// its generic-IR stand-in (8 or 16 lanes), for uint8 input whose zero point is 0 or whose
    /// taps never read padding (the zero point is then folded into the initial accumulators);
    /// `vpmaddubsw` under the same conditions when no pair of weights can saturate it; otherwise
    /// 16-bit pairs with `vpmaddwd` (the zero point subtracted in registers where taps read
    /// padding).
    static func pack(_ program: KernelProgram, target: ResolvedTarget, vnniStandIn: Int?) -> KernelProgram {
        let features = Set(target.enabledFeatures)
        guard target.isX86_64, features.contains("avx2") else { return program }
        var result = program
        let uses = program.constantReaderCounts
        for index in result.steps.indices {
            let step = result.steps[index]
            guard case .quantizedConv2d(var attributes) = step.kernel, attributes.packing == nil,
                  attributes.convolution.inputLayout == .nhwc, step.operands.count == 4,
                  case .constant(let filterIndex) = step.operands[1].location,
                  case .constant(let biasIndex) = step.operands[2].location,
                  case .constant(let scaleIndex) = step.operands[3].location else { continue }
            let conv = attributes.convolution
            let input = step.operands[0].type.shape
            let filter = program.constants[filterIndex], layout = conv.filterLayout.rawValue
            let shape = filter.type.shape
            func axis(_ letter: Character) -> Int { layout.firstIndex(of: letter)!.utf16Offset(in: layout) }
            let (o, i, h, w) = (shape[axis("o")], shape[axis("i")], shape[axis("h")], shape[axis("w")])
            let strides = rowMajorStrides(shape)
            let (so, si, sh, sw) = (strides[axis("o")], strides[axis("i")], strides[axis("h")], strides[axis("w")])
            let values = filter.integers.map { Int($0) }
            func weight(_ oc: Int, _ ic: Int, _ kh: Int, _ kw: Int) -> Int { values[oc * so + ic * si + kh * sh + kw * sw] }
            let bias = program.constants[biasIndex].integers.map { Int($0) }
            let scale = program.constants[scaleIndex].floats
            let zeroPoint = attributes.inputZeroPoint
            let isDepthwise = conv.groups > 1 && conv.groups == input[3] && o == conv.groups && i == 1
            guard conv.groups == 1 || isDepthwise else { continue }
            let lanes: Int
            let packing: QuantizedPacking
            var packed: TensorData
            var initial = [Int32]()
            if isDepthwise {
                // Per block, kernel row and column, L int32 weights: each weight's 16 bits, then 0.
                lanes = features.contains("avx512bw") ? 16 : 8
                let blocks = (o + lanes - 1) / lanes
                var data = [Int16](repeating: 0, count: blocks * h * w * 2 * lanes)
                for c in 0..<o {
                    for kh in 0..<h {
                        for kw in 0..<w {
                            data[((c / lanes * h + kh) * w + kw) * 2 * lanes + (c % lanes) * 2] = Int16(weight(c, 0, kh, kw))
                        }
                    }
                }
                let bytes = data.flatMap { value -> [UInt8] in
                    let bits = UInt16(bitPattern: value)
                    return [UInt8(bits & 0xff), UInt8(bits >> 8)]
                }
                packed = TensorData(type: TensorType(.int8, [blocks, h, w, 4 * lanes]), bytes: bytes)!
                initial = (0..<blocks * lanes).map { $0 < o ? Int32(truncatingIfNeeded: bias[$0]) : 0 }
                packing = QuantizedPacking(dotProduct: .depthwise, lanes: lanes, inRegisterZeroPoint: zeroPoint)
            } else {
                let noPadding = conv.padding.allSatisfy { $0 == 0 }
                let byteDotProducts = step.operands[0].type.dataType == .uint8 && (zeroPoint == 0 || noPadding)
                let hasVNNI256 = features.contains("avxvnni") || (features.contains("avx512vnni") && features.contains("avx512vl"))
                let hasVNNI512 = features.contains("avx512vnni") && features.contains("avx512bw")
                let quads = (i + 3) / 4
                var pairs: [(Int, Int)] = []
                for oc in 0..<o {
                    for kh in 0..<h {
                        for kw in 0..<w {
                            for ic in stride(from: 0, to: i, by: 2) {
                                pairs.append((weight(oc, ic, kh, kw), ic + 1 < i ? weight(oc, ic + 1, kh, kw) : 0))
                            }
                        }
                    }
                }
                let dotProduct: QuantizedPacking.DotProduct
                if byteDotProducts, let standIn = vnniStandIn {
                    (dotProduct, lanes) = (.vnniStandIn, standIn)
                } else if byteDotProducts && (hasVNNI512 || hasVNNI256) {
                    (dotProduct, lanes) = (.vnni, hasVNNI512 ? 16 : 8)
                } else if byteDotProducts && isSaturationFree(pairs) {
                    (dotProduct, lanes) = (.maddubs, 8)
                } else {
                    (dotProduct, lanes) = (.pairs16, features.contains("avx512bw") ? 16 : 8)
                }
                let blocks = (o + lanes - 1) / lanes
                // [blocks][kh][kw][quads][L][4] bytes, or [blocks][kh][kw][quads][2][L][2] int16.
                var data = [Int64](repeating: 0, count: blocks * h * w * quads * 4 * lanes)
                for oc in 0..<o {
                    for kh in 0..<h {
                        for kw in 0..<w {
                            for ic in 0..<i {
                                let (q, j) = (ic / 4, ic % 4)
                                let base = (((oc / lanes * h + kh) * w + kw) * quads + q) * 4 * lanes
                                let offset = dotProduct == .pairs16 ? (j / 2) * 2 * lanes + (oc % lanes) * 2 + j % 2
                                                                    : (oc % lanes) * 4 + j
                                data[base + offset] = Int64(weight(oc, ic, kh, kw))
                            }
                        }
                    }
                }
                if dotProduct == .pairs16 {  // int16 weights, stored as their little-endian bytes
                    let bytes = data.flatMap { value -> [UInt8] in
                        let bits = UInt16(bitPattern: Int16(value))
                        return [UInt8(bits & 0xff), UInt8(bits >> 8)]
                    }
                    packed = TensorData(type: TensorType(.int8, [blocks, h, w, quads, 8, lanes]), bytes: bytes)!
                } else {
                    packed = TensorData(.int8, shape: [blocks, h, w, quads, 4, lanes], integers: data)
                }
                // A zero point that no padded tap needs is folded: Σ(x − z)·w = Σ x·w − z·Σ w.
                let folded = zeroPoint != 0 && (noPadding || dotProduct != .pairs16)
                initial = (0..<blocks * lanes).map { oc in
                    guard oc < o else { return 0 }
                    var sum = 0
                    if folded { for ic in 0..<i { for kh in 0..<h { for kw in 0..<w { sum += weight(oc, ic, kh, kw) } } } }
                    return Int32(truncatingIfNeeded: bias[oc] - zeroPoint * sum)
                }
                packing = QuantizedPacking(dotProduct: dotProduct, lanes: lanes, inRegisterZeroPoint: folded ? 0 : zeroPoint)
            }
            let blocks = initial.count / lanes
            let scales = (0..<blocks * lanes).map { $0 < o ? scale[$0] : 0 }
            attributes.packing = packing
            // A constant only this step reads is replaced by its packed form; others get a copy.
            func place(_ data: TensorData, over original: Int) -> BufferRef {
                let slot: Int
                if uses[original] == 1 {
                    result.constants[original] = data
                    slot = original
                } else {
                    result.constants.append(data)
                    slot = result.constants.count - 1
                }
                return BufferRef(.constant(slot), data.type)
            }
            let filterRef = place(packed, over: filterIndex)
            let initialRef = place(TensorData(.int32, shape: [initial.count], integers: initial.map { Int64($0) }), over: biasIndex)
            let scaleRef = place(TensorData(float32: scales, shape: [scales.count]), over: scaleIndex)
            result.steps[index].kernel = .quantizedConv2d(attributes)
            result.steps[index].operands[1...3] = [filterRef, initialRef, scaleRef]
        }
        return result
    }
}
