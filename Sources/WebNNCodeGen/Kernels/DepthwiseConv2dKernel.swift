import CLLVM
import WebNNBasics
import WebNNLowering

/// Vectorized float32 depthwise conv2d: `groups == input channels == output channels` (channel
/// multiplier 1), any kernel size, stride, padding and dilation, nchw or nhwc input.
///
/// The filter is packed at compile time by `FastConv2dPacking` like a `groups == 1` filter with
/// one input channel: `[ceil(c / VW)][kh][kw][1][VW]`, zero-padded, so the weights of one tap
/// for VW consecutive channels are one vector, and one channel's weight for tap t is element
/// `(c / VW)·kh·kw·VW + t·VW + c % VW`. `makeKernelEmitter` picks this kernel for a packed
/// (rank-5) filter with `groups > 1`.
///
/// A task is one output row (n, oh), all channels. Accumulators are `<VW x float>`:
/// - nhwc: lanes = VW consecutive channels of one pixel (contiguous loads and stores). A tile is
///   `accumulatorsPerTile` pixels along the row, for each channel vector in turn; the last
///   vector of a channel count that is not a multiple of VW reads its lanes one by one.
/// - nchw: lanes = consecutive output pixels of one channel. A tile is `accumulatorsPerTile`
///   vectors along the row, or a whole row of fewer vectors for as many channels as fill the
///   tile; with stride s a lane's inputs are s apart, read as contiguous floats and shuffled
///   into place (`stridedPixels`).
/// Kernel rows outside the input are left out of the row's kh loop (kw is unrolled). The
/// columns whose window lies inside the input are covered by tiles in a loop; the edge columns
/// (and rows no wider than a tile) by tiles at compile-time columns, whose taps in the padding
/// are left out (nchw: whose lanes there read 0), so no tap is checked at run time. The bias
/// starts the accumulators; `EpilogueEmitter` (residual, activation) is applied to each lane
/// before its single store. Each output element is computed by one task in one fixed order, so
/// results are the same for any thread count.
struct DepthwiseConv2dKernel: KernelEmitter {
    let attributes: Conv2dAttributes
    let hasBias: Bool
    let batch: Int, channels: Int
    let inputHeight: Int, inputWidth: Int, outputHeight: Int, outputWidth: Int
    let kernelHeight: Int, kernelWidth: Int
    let vectorWidth: Int
    let inputStrides: [Character: Int], outputStrides: [Character: Int]
    /// The window's strides, dilations and padding, and which rows and columns read padding.
    let window: ConvolutionWindow

    /// `packedFilter` is `[ceil(c / VW), kh, kw, 1, VW]`.
    /// `resultStrides`: the result's element strides (row-major unless it is a view).
    init(_ attributes: Conv2dAttributes, input: [Int], packedFilter: [Int], hasBias: Bool, result: [Int],
         resultStrides: [Int]) throws {
        let layout = attributes.inputLayout.rawValue
        guard input.count == 4, packedFilter.count == 5, result.count == 4, packedFilter[3] == 1,
              attributes.padding.count == 4, attributes.strides.count == 2, attributes.dilations.count == 2 else {
            throw CodeGenError.unsupported("depthwise conv2d of \(input) with filter \(packedFilter) into \(result)")
        }
        func dimension(_ shape: [Int], _ axis: Character) -> Int { LayoutAxes.dimension(shape, layout, axis) }
        self.attributes = attributes
        self.hasBias = hasBias
        batch = input[0]
        channels = attributes.groups
        (kernelHeight, kernelWidth) = (packedFilter[1], packedFilter[2])
        vectorWidth = packedFilter[4]
        (inputHeight, inputWidth) = (dimension(input, "h"), dimension(input, "w"))
        (outputHeight, outputWidth) = (dimension(result, "h"), dimension(result, "w"))
        guard dimension(input, "c") == channels, dimension(result, "c") == channels, result[0] == batch,
              packedFilter[0] == (channels + vectorWidth - 1) / vectorWidth else {
            throw CodeGenError.unsupported("depthwise conv2d of \(input) with filter \(packedFilter), groups \(channels), into \(result)")
        }
        inputStrides = LayoutAxes.strides(input, layout)
        outputStrides = LayoutAxes.byAxis(resultStrides, layout)
        window = ConvolutionWindow(attributes, inputHeight: inputHeight, inputWidth: inputWidth,
                                   outputHeight: outputHeight, outputWidth: outputWidth,
                                   kernelHeight: kernelHeight, kernelWidth: kernelWidth)
    }

    /// Accumulator vectors per tile: 8 independent FMA chains (latency 4 × 2 pipes) keep the
    /// FMA units busy; in nhwc the tile also holds the kw weight vectors of one kernel row, so
    /// accumulators + weights + a loaded input stay within 16 registers.
    private var accumulatorsPerTile: Int {
        attributes.inputLayout == .nhwc ? max(1, min(8, 14 - kernelWidth)) : 8
    }

    var taskCount: Int { batch * outputHeight }

    func emitTask(_ e: FunctionEmitter, _ buffers: StepBuffers, task: IRValue) {
        let n = task / outputHeight, oh = task % outputHeight
        let row = Row(n: n, oh: oh, kernelRows: window.validKernelRows(e, oh: oh))
        if attributes.inputLayout == .nhwc {
            let channelVectors = channels / vectorWidth, tailChannels = channels % vectorWidth
            // One tile of `pixels` pixels, for every channel vector.
            window.forEachTile(e, tileWidth: accumulatorsPerTile, edgeWidth: 1) { pixels, firstColumn, edgeColumn in
                if channelVectors > 0 {
                    e.forLoop(from: 0, to: channelVectors) { v in
                        emitChannelsTile(e, buffers, row, firstChannel: v * vectorWidth, lanes: vectorWidth,
                                         pixels: pixels, firstColumn: firstColumn, edgeColumn: edgeColumn)
                    }
                }
                if tailChannels > 0 {
                    emitChannelsTile(e, buffers, row, firstChannel: e.int(channelVectors * vectorWidth), lanes: tailChannels,
                                     pixels: pixels, firstColumn: firstColumn, edgeColumn: edgeColumn)
                }
            }
        } else {
            // A row of fewer vectors than a tile holds is done for several channels at once.
            let tileWidth = accumulatorsPerTile * vectorWidth
            let rowVectors = (outputWidth + vectorWidth - 1) / vectorWidth
            let channelsPerTile = outputWidth <= tileWidth ? min(channels, max(1, accumulatorsPerTile / rowVectors)) : 1
            let channelTile = { (firstChannel: IRValue, count: Int) in
                window.forEachTile(e, tileWidth: tileWidth, edgeWidth: vectorWidth) { pixels, firstColumn, edgeColumn in
                    emitPixelsTile(e, buffers, row, firstChannel: firstChannel, channels: count, pixels: pixels,
                                   firstColumn: firstColumn, edgeColumn: edgeColumn)
                }
            }
            let fullTiles = channels / channelsPerTile
            e.forLoop(from: 0, to: fullTiles) { index in channelTile(index * channelsPerTile, channelsPerTile) }
            if channels % channelsPerTile > 0 {
                channelTile(e.int(fullTiles * channelsPerTile), channels % channelsPerTile)
            }
        }
    }

    /// The output row a task computes, and its valid kernel rows `[first, end)`.
    private struct Row {
        let n: IRValue, oh: IRValue
        let kernelRows: (IRValue, IRValue)
    }

    /// nhwc: `pixels` output pixels from `firstColumn` × the `lanes` channels from `firstChannel`
    /// (a multiple of VW), one accumulator vector per pixel. At an edge (`edgeColumn` is the
    /// compile-time `firstColumn`) the taps that fall in the padding are left out.
    private func emitChannelsTile(_ e: FunctionEmitter, _ buffers: StepBuffers, _ row: Row, firstChannel: IRValue,
                                  lanes: Int, pixels: Int, firstColumn: IRValue, edgeColumn: Int?) {
        let (x, w) = (buffers.operands[0].pointer, buffers.operands[1].pointer)
        let vectorType = LLVMVectorType(e.types.f32, UInt32(vectorWidth))!
        let (sh, sw) = (inputStrides["h"]!, inputStrides["w"]!)
        let initial = hasBias ? e.loadVector(buffers.operands[2].pointer, firstChannel, lanes: lanes, width: vectorWidth)
                              : e.wrap(LLVMConstNull(vectorType))
        let weightBlock = firstChannel * (kernelHeight * kernelWidth)  // (firstChannel / VW)·kh·kw·VW
        let sums = e.forLoop(from: row.kernelRows.0, to: row.kernelRows.1,
                             carrying: Array(repeating: initial, count: pixels)) { kh, accumulators in
            var acc = accumulators
            let rowBase = row.n * inputStrides["n"]! + window.inputRow(row.oh, kh) * sh + firstChannel
            for kw in 0..<kernelWidth {
                let weights = e.loadVector(w, weightBlock + (kh * kernelWidth + kw) * vectorWidth, lanes: vectorWidth,
                                           width: vectorWidth)
                for r in 0..<pixels {
                    let iw: IRValue
                    if let edgeColumn {
                        let column = window.inputColumn(edgeColumn + r, kw)
                        guard column >= 0 && column < inputWidth else { continue }
                        iw = e.int(column)
                    } else {
                        iw = window.inputColumn(firstColumn + r, kw)
                    }
                    let input = e.loadVector(x, rowBase + iw * sw, lanes: lanes, width: vectorWidth)
                    acc[r] = e.callIntrinsic("llvm.fma", overloadedOn: [vectorType], [input, weights, acc[r]])
                }
            }
            return acc
        }
        let rowOffset = row.n * outputStrides["n"]! + row.oh * outputStrides["h"]!
        for r in 0..<pixels {
            let pixelOffset = rowOffset + (firstColumn + r) * outputStrides["w"]! + firstChannel
            storeLanes(e, buffers, sums[r], lanes: lanes, at: pixelOffset)
        }
    }

    /// nchw: `pixels` output pixels from `firstColumn` of the `channels` channels from
    /// `firstChannel`, VW pixels per accumulator vector. At an edge (`edgeColumn` is the
    /// compile-time `firstColumn`) a lane whose tap falls in the padding reads 0, and a tap with
    /// no lane inside the input is left out.
    private func emitPixelsTile(_ e: FunctionEmitter, _ buffers: StepBuffers, _ row: Row, firstChannel: IRValue,
                                channels: Int, pixels: Int, firstColumn: IRValue, edgeColumn: Int?) {
        let (x, w) = (buffers.operands[0].pointer, buffers.operands[1].pointer)
        let vectorType = LLVMVectorType(e.types.f32, UInt32(vectorWidth))!
        let sh = inputStrides["h"]!
        let vectorLanes = stride(from: 0, to: pixels, by: vectorWidth).map { min(vectorWidth, pixels - $0) }
        let tileChannels = (0..<channels).map { firstChannel + $0 }
        // Accumulator ci·vectors + a: vector a of channel ci.
        let initial = tileChannels.flatMap { channel in
            let bias = hasBias ? e.splat(e.load(buffers.operands[2].pointer, channel), width: vectorWidth)
                               : e.wrap(LLVMConstNull(vectorType))
            return vectorLanes.map { _ in bias }
        }
        let sums = e.forLoop(from: row.kernelRows.0, to: row.kernelRows.1, carrying: initial) { kh, accumulators in
            var acc = accumulators
            for (ci, channel) in tileChannels.enumerated() {
                let weightBase = (channel / vectorWidth) * (kernelHeight * kernelWidth * vectorWidth) + channel % vectorWidth
                let rowBase = row.n * inputStrides["n"]! + channel * inputStrides["c"]! + window.inputRow(row.oh, kh) * sh
                for kw in 0..<kernelWidth {
                    let weight = e.splat(e.load(w, weightBase + (kh * kernelWidth + kw) * vectorWidth), width: vectorWidth)
                    for (a, lanes) in vectorLanes.enumerated() {
                        var valid = 0..<lanes
                        if let edgeColumn {  // the lanes whose input column lies in [0, inputWidth)
                            let column = { (lane: Int) in window.inputColumn(edgeColumn + a * vectorWidth + lane, kw) }
                            let firstInside = valid.first { column($0) >= 0 } ?? lanes
                            valid = firstInside..<(valid.first { column($0) >= inputWidth } ?? lanes)
                            if valid.isEmpty { continue }
                        }
                        // Input column of the first valid lane; lane l reads (l − first)·strideW further.
                        let iw = window.inputColumn(firstColumn + (a * vectorWidth + valid.lowerBound), kw)
                        let input = stridedPixels(e, x, rowBase + iw, lanes: valid)
                        let index = ci * vectorLanes.count + a
                        acc[index] = e.callIntrinsic("llvm.fma", overloadedOn: [vectorType], [input, weight, acc[index]])
                    }
                }
            }
            return acc
        }
        for (ci, channel) in tileChannels.enumerated() {
            let rowOffset = row.n * outputStrides["n"]! + channel * outputStrides["c"]! + row.oh * outputStrides["h"]!
            for (a, lanes) in vectorLanes.enumerated() {
                let vectorOffset = rowOffset + firstColumn + a * vectorWidth
                storeLanes(e, buffers, sums[ci * vectorLanes.count + a], lanes: lanes, at: vectorOffset)
            }
        }
    }

    /// nchw: lane l = `x[start + (l − lanes.first)·strideW]` for l in `lanes`, 0 elsewhere, from
    /// the `span = (lanes.count − 1)·strideW + 1` floats from `start`: one load of them, or for a
    /// whole vector of stride 2 (VW < span ≤ 2·VW) two overlapping VW-float loads, of the first
    /// and the last VW, so nothing past the span is read.
    private func stridedPixels(_ e: FunctionEmitter, _ x: IRValue, _ start: IRValue, lanes: Range<Int>) -> IRValue {
        let span = (lanes.count - 1) * window.strideW + 1
        if window.strideW == 1 && lanes == 0..<vectorWidth {
            return e.loadVector(x, start, lanes: vectorWidth, width: vectorWidth)
        }
        let (first, second): (IRValue, IRValue)
        let secondStart: Int  // the span position of `second`'s element 0
        if span > vectorWidth && span <= 2 * vectorWidth && lanes == 0..<vectorWidth {
            secondStart = span - vectorWidth
            first = e.loadVector(x, start, lanes: vectorWidth, width: vectorWidth)
            second = e.loadVector(x, start + secondStart, lanes: vectorWidth, width: vectorWidth)
        } else {
            secondStart = span  // a zero vector: lanes outside `lanes` take its element 0
            first = e.loadVector(x, start, lanes: span, width: span)
            second = e.wrap(LLVMConstNull(first.type))
        }
        let width = Int(LLVMGetVectorSize(first.type))
        var mask: [LLVMValueRef?] = (0..<vectorWidth).map { lane in
            let position = lanes.contains(lane) ? (lane - lanes.lowerBound) * window.strideW : span
            return LLVMConstInt(e.types.i32, UInt64(position < width ? position : width + position - secondStart), 0)
        }
        let shuffle = LLVMBuildShuffleVector(e.builder, first.reference, second.reference,
                                             LLVMConstVector(&mask, UInt32(vectorWidth)), "")!
        return e.wrap(shuffle)
    }

    /// The epilogue and store of lanes `0..<lanes` of `sum` to the result elements from `first`:
    /// one vector where all lanes are stored and the epilogue has a vector form, else lane by lane.
    private func storeLanes(_ e: FunctionEmitter, _ buffers: StepBuffers, _ sum: IRValue, lanes: Int, at first: IRValue) {
        let epilogue = EpilogueEmitter(epilogue: attributes.epilogue)
        if lanes == Int(LLVMGetVectorSize(sum.type)),
           let value = epilogue.applyToVector(e, sum, buffers, resultIndex: first) {
            return e.storeVector(value, buffers.result.pointer, first)
        }
        for lane in 0..<lanes {
            let value = e.wrap(LLVMBuildExtractElement(e.builder, sum.reference, e.int32(Int32(lane)).reference, "")!)
            e.store(epilogue.apply(e, value, buffers, resultIndex: first + lane), buffers.result, first + lane)
        }
    }
}
