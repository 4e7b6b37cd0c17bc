import WebNNBasics
import WebNNIR
import WebNNLowering

/// Transposed 2-D convolution as an output-stationary gather, any layout, padding, strides,
/// dilations, groups, outputPadding/outputSizes (the result's size) and bias.
///
/// A task is one output row (n, oh) with all its channels, so tasks write disjoint outputs and
/// each output's sum has one fixed order whatever the thread count. Output (oc, oh, ow) gathers
/// x[ic, ih, iw] · w[ic, oc − g·O/g, kh, kw] over the input channels ic of oc's group g and the
/// taps with oh = ih·sH − padTop + kh·dH and ow = iw·sW − padLeft + kw·dW. For one tap row kh,
/// ih is (oh + padTop − kh·dH) / sH when that divides; for one tap column kw, the input columns
/// iw map to output columns ow = iw·sW + (kw·dW − padLeft), a valid range of iw. The row starts
/// as the bias (or 0). float16 sums, and nchw sums with strideW > 1, are kept in a float32 stack
/// tile (the latter by column phase, so the inner loop is contiguous) and stored once. A fused
/// epilogue (`EpilogueEmitter`) is applied to each finished sum before that store.
struct ConvTranspose2dKernel: KernelEmitter {
    let attributes: ConvTranspose2dAttributes
    let hasBias: Bool
    let batch: Int, groups: Int, inputChannelsPerGroup: Int, outputChannelsPerGroup: Int
    let inputHeight: Int, inputWidth: Int, outputHeight: Int, outputWidth: Int
    let kernelHeight: Int, kernelWidth: Int
    /// Element strides by axis letter (n, c, h, w) of input and output, (i, o, h, w) of the filter.
    let inputStrides: [Character: Int], outputStrides: [Character: Int], filterStrides: [Character: Int]

    init(_ attributes: ConvTranspose2dAttributes, input: [Int], filter: [Int], hasBias: Bool, result: [Int]) throws {
        let inputLayout = attributes.inputLayout.rawValue, filterLayout = attributes.filterLayout.rawValue
        guard input.count == 4, filter.count == 4, result.count == 4, attributes.padding.count == 4,
              attributes.strides.count == 2, attributes.dilations.count == 2, attributes.groups > 0 else {
            throw CodeGenError.unsupported("convTranspose2d of \(input) with filter \(filter) into \(result)")
        }
        let dimension = LayoutAxes.dimension
        self.attributes = attributes
        self.hasBias = hasBias
        groups = attributes.groups
        batch = input[0]
        (inputHeight, inputWidth) = (dimension(input, inputLayout, "h"), dimension(input, inputLayout, "w"))
        (outputHeight, outputWidth) = (dimension(result, inputLayout, "h"), dimension(result, inputLayout, "w"))
        (kernelHeight, kernelWidth) = (dimension(filter, filterLayout, "h"), dimension(filter, filterLayout, "w"))
        let inputChannels = dimension(filter, filterLayout, "i")
        outputChannelsPerGroup = dimension(filter, filterLayout, "o")
        inputChannelsPerGroup = inputChannels / groups
        guard dimension(input, inputLayout, "c") == inputChannels, inputChannels % groups == 0,
              dimension(result, inputLayout, "c") == outputChannelsPerGroup * groups, result[0] == batch else {
            throw CodeGenError.unsupported("convTranspose2d of \(input) with filter \(filter) (\(filterLayout)), groups \(groups), into \(result)")
        }
        let strides = LayoutAxes.strides
        inputStrides = strides(input, inputLayout)
        outputStrides = strides(result, inputLayout)
        filterStrides = strides(filter, filterLayout)
    }

    var taskCount: Int { batch * outputHeight }

    /// Accumulator floats per task for a float16 result (float32 accumulates in the result).
    static let accumulatorTile = 4096

    func emitTask(_ e: FunctionEmitter, _ buffers: StepBuffers, task: IRValue) {
        let (x, w, y) = (buffers.operands[0], buffers.operands[1], buffers.result)
        let n = task / outputHeight, oh = task % outputHeight
        let outputRow = n * outputStrides["n"]! + oh * outputStrides["h"]!
        let inputImage = n * inputStrides["n"]!
        let nhwc = attributes.inputLayout == .nhwc
        let (strideH, strideW) = (attributes.strides[0], attributes.strides[1])
        // nchw with strideW > 1 accumulates each output row by column phase (ow mod strideW):
        // phase p holds columns p, p + strideW, ..., so one tap's columns are contiguous there.
        let phases = nhwc ? 1 : strideW
        let phaseLength = (outputWidth + phases - 1) / phases, rowLength = phases * phaseLength
        let inResult = y.dataType == .float32 && phases == 1
        let tileChannels = inResult ? outputChannelsPerGroup
            : max(1, min(outputChannelsPerGroup, ConvTranspose2dKernel.accumulatorTile / rowLength))
        let tilesPerGroup = (outputChannelsPerGroup + tileChannels - 1) / tileChannels
        let tile = inResult ? y : TypedBuffer(e.entryAlloca(e.types.f32, count: tileChannels * rowLength), .float32)
        let (dilationH, dilationW) = (attributes.dilations[0], attributes.dilations[1])
        let (padTop, padLeft) = (attributes.padding[0], attributes.padding[2])
        e.forLoop(from: 0, to: groups * tilesPerGroup) { groupTile in
            let g = groupTile / tilesPerGroup
            let firstChannel = g * outputChannelsPerGroup + (groupTile % tilesPerGroup) * tileChannels
            let endChannel = e.minimum(firstChannel + tileChannels, (g + 1) * outputChannelsPerGroup)
            let groupFirstChannel = g * outputChannelsPerGroup
            let accumulator = { (oc: IRValue, ow: IRValue) -> IRValue in
                if inResult { return outputRow + oc * outputStrides["c"]! + ow * outputStrides["w"]! }
                if nhwc { return ow * tileChannels + (oc - firstChannel) }
                return (oc - firstChannel) * rowLength + (ow % phases) * phaseLength + ow / phases
            }
            forEachOutputPosition(e, channels: firstChannel, endChannel, columns: e.int(0), e.int(outputWidth)) { oc, ow in
                e.store(hasBias ? e.load(buffers.operands[2], oc) : e.float(0), tile, accumulator(oc, ow))
            }
            e.forLoop(from: 0, to: inputChannelsPerGroup) { icg in
                let ic = g * inputChannelsPerGroup + icg
                let inputChannel = inputImage + ic * inputStrides["c"]!
                e.forLoop(from: 0, to: kernelHeight) { kh in
                    // ih = (oh + padTop − kh·dilationH) / strideH, when it divides and is inside the input.
                    let shifted = oh + padTop - kh * dilationH
                    let ih = shifted / strideH
                    let valid = e.and(e.and(shifted >= e.int(0), shifted % strideH == e.int(0)), ih < e.int(inputHeight))
                    e.ifThen(valid) {
                        let inputRow = inputChannel + ih * inputStrides["h"]!
                        e.forLoop(from: 0, to: kernelWidth) { kw in
                            // ow = iw·strideW + offset must lie in [0, outputWidth).
                            let offset = kw * dilationW - padLeft
                            // In the phased tile, ow = iw·strideW + offset is at phase·phaseLength + shift + iw.
                            let phase = (offset % strideW + strideW) % strideW
                            let shift = (offset - phase) / strideW
                            let firstColumn = e.maximum(e.int(0), (0 - offset + (strideW - 1)) / strideW)
                            // iw ≤ (outputWidth − 1 − offset) / strideW (when that is ≥ 0).
                            let reach = e.int(outputWidth - 1) - offset
                            let endColumn = e.select(reach < e.int(0), e.int(0),
                                                     e.minimum(reach / strideW + 1, e.int(inputWidth)))
                            let tap = ic * filterStrides["i"]! + kh * filterStrides["h"]! + kw * filterStrides["w"]!
                            forEachOutputPosition(e, channels: firstChannel, endChannel,
                                               columns: firstColumn, e.maximum(endColumn, firstColumn)) { oc, iw in
                                let ow = iw * strideW + offset
                                let index = inResult || nhwc ? accumulator(oc, ow)
                                    : (oc - firstChannel) * rowLength + phase * phaseLength + shift + iw
                                let input = e.load(x, inputRow + iw * inputStrides["w"]!)
                                let weight = e.load(w, tap + (oc - groupFirstChannel) * filterStrides["o"]!)
                                e.store(e.mulAdd(input, weight, e.load(tile, index)), tile, index)
                            }
                        }
                    }
                }
            }
            let epilogue = EpilogueEmitter(epilogue: attributes.epilogue)  // residual + activation, if fused
            if !inResult || !epilogue.isEmpty {
                forEachOutputPosition(e, channels: firstChannel, endChannel, columns: e.int(0), e.int(outputWidth)) { oc, ow in
                    let index = outputRow + oc * outputStrides["c"]! + ow * outputStrides["w"]!
                    e.store(epilogue.apply(e, e.load(tile, accumulator(oc, ow)), buffers, resultIndex: index), y, index)
                }
            }
        }
    }

    /// Visits channels [c0, c1) × columns [w0, w1) (output columns, or input columns of one tap)
    /// with the loop that is contiguous in the output innermost.
    private func forEachOutputPosition(_ e: FunctionEmitter, channels c0: IRValue, _ c1: IRValue,
                                       columns w0: IRValue, _ w1: IRValue, _ body: (IRValue, IRValue) -> Void) {
        if attributes.inputLayout == .nhwc {
            e.forLoop(from: w0, to: w1) { ow in e.forLoop(from: c0, to: c1) { oc in body(oc, ow) } }
        } else {
            e.forLoop(from: c0, to: c1) { oc in e.forLoop(from: w0, to: w1) { ow in body(oc, ow) } }
        }
    }
}
