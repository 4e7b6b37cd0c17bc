import WebNNBasics
import WebNNIR
import WebNNLowering

/// Direct 2-D convolution, any input/filter layout, padding, strides, dilations and groups.
///
/// A task is one output row (n, oh) with all its channels. The row starts as the bias (or 0);
/// then for each group, input channel and filter tap, `row[oc, ow] += x[ic, ih, iw] · w[oc, ic, kh, kw]`
/// over the valid ow range. The two innermost loops run over (oc, ow) in the order that is
/// contiguous in the output: ow innermost for nchw, oc innermost for nhwc. float16 is computed in
/// float32: a group's channels are done in tiles whose sums are kept in a float32 stack tile.
struct Conv2dKernel: KernelEmitter {
    let attributes: Conv2dAttributes
    let hasBias: Bool
    let batch: Int, groups: Int, inputChannelsPerGroup: Int, outputChannelsPerGroup: Int
    let inputHeight: Int, inputWidth: Int, outputHeight: Int, outputWidth: Int
    let kernelHeight: Int, kernelWidth: Int
    /// Element strides by axis letter (n, c, h, w) of input and output, (o, i, h, w) of the filter.
    let inputStrides: [Character: Int], outputStrides: [Character: Int], filterStrides: [Character: Int]

    init(_ attributes: Conv2dAttributes, input: [Int], filter: [Int], hasBias: Bool, result: [Int]) throws {
        let inputLayout = attributes.inputLayout.rawValue, filterLayout = attributes.filterLayout.rawValue
        guard input.count == 4, filter.count == 4, result.count == 4, attributes.padding.count == 4,
              attributes.strides.count == 2, attributes.dilations.count == 2, attributes.groups > 0 else {
            throw CodeGenError.unsupported("conv2d of \(input) with filter \(filter) into \(result)")
        }
        let dimension = LayoutAxes.dimension
        self.attributes = attributes
        self.hasBias = hasBias
        groups = attributes.groups
        batch = input[0]
        (inputHeight, inputWidth) = (dimension(input, inputLayout, "h"), dimension(input, inputLayout, "w"))
        (outputHeight, outputWidth) = (dimension(result, inputLayout, "h"), dimension(result, inputLayout, "w"))
        (kernelHeight, kernelWidth) = (dimension(filter, filterLayout, "h"), dimension(filter, filterLayout, "w"))
        inputChannelsPerGroup = dimension(filter, filterLayout, "i")
        let outputChannels = dimension(filter, filterLayout, "o")
        outputChannelsPerGroup = outputChannels / groups
        guard dimension(input, inputLayout, "c") == inputChannelsPerGroup * groups, outputChannels % groups == 0,
              dimension(result, inputLayout, "c") == outputChannels, result[0] == batch else {
            throw CodeGenError.unsupported("conv2d of \(input) with filter \(filter) (\(filterLayout)), groups \(groups), into \(result)")
        }
        let strides = LayoutAxes.strides
        inputStrides = strides(input, inputLayout)
        outputStrides = strides(result, inputLayout)
        filterStrides = strides(filter, filterLayout)
    }

    var taskCount: Int { batch * outputHeight }

    /// Accumulator floats per task for a float16 convolution (a tile of output channels × the
    /// whole output row; float32 convolutions accumulate in the result).
    static let accumulatorTile = 4096

    func emitTask(_ e: FunctionEmitter, _ buffers: StepBuffers, task: IRValue) {
        let (x, w, y) = (buffers.operands[0], buffers.operands[1], buffers.result)
        let n = task / outputHeight, oh = task % outputHeight
        let outputRow = n * outputStrides["n"]! + oh * outputStrides["h"]!
        let inputImage = n * inputStrides["n"]!
        // float32 sums accumulate in the result row; float16 ones in a float32 stack tile of
        // `tileChannels` output channels (of one group), rounded once when the tile is stored.
        let inResult = y.dataType == .float32
        let tileChannels = inResult ? outputChannelsPerGroup
            : max(1, min(outputChannelsPerGroup, Conv2dKernel.accumulatorTile / outputWidth))
        let tilesPerGroup = (outputChannelsPerGroup + tileChannels - 1) / tileChannels
        let tile = inResult ? y : TypedBuffer(e.entryAlloca(e.types.f32, count: tileChannels * outputWidth), .float32)
        let nhwc = attributes.inputLayout == .nhwc

        let (strideH, strideW) = (attributes.strides[0], attributes.strides[1])
        let (dilationH, dilationW) = (attributes.dilations[0], attributes.dilations[1])
        let (padTop, padLeft) = (attributes.padding[0], attributes.padding[2])
        e.forLoop(from: 0, to: groups * tilesPerGroup) { groupTile in
            let g = groupTile / tilesPerGroup
            let firstChannel = g * outputChannelsPerGroup + (groupTile % tilesPerGroup) * tileChannels
            let endChannel = e.minimum(firstChannel + tileChannels, (g + 1) * outputChannelsPerGroup)
            /// Where output (oc, ow) accumulates in `tile`.
            let accumulator = { (oc: IRValue, ow: IRValue) -> IRValue in
                if inResult { return outputRow + oc * outputStrides["c"]! + ow * outputStrides["w"]! }
                return nhwc ? ow * tileChannels + (oc - firstChannel) : (oc - firstChannel) * outputWidth + ow
            }
            forEachOutputPosition(e, channels: firstChannel, endChannel, columns: e.int(0), e.int(outputWidth)) { oc, ow in
                e.store(hasBias ? e.load(buffers.operands[2], oc) : e.float(0), tile, accumulator(oc, ow))
            }
            e.forLoop(from: 0, to: inputChannelsPerGroup) { icg in
                let inputChannel = inputImage + (g * inputChannelsPerGroup + icg) * inputStrides["c"]!
                e.forLoop(from: 0, to: kernelHeight) { kh in
                    let ih = oh * strideH - padTop + kh * dilationH
                    e.ifThen(e.and(ih >= e.int(0), ih < e.int(inputHeight))) {
                        let inputRow = inputChannel + ih * inputStrides["h"]!
                        e.forLoop(from: 0, to: kernelWidth) { kw in
                            // iw = ow·strideW + kw·dilationW − padLeft must lie in [0, inputWidth).
                            let offset = kw * dilationW - padLeft
                            let firstColumn = (e.maximum(0 - offset, e.int(0)) + (strideW - 1)) / strideW
                            let lastValid = e.int(inputWidth - 1) - offset
                            let endColumn = e.select(lastValid < e.int(0), e.int(0),
                                                     e.minimum(lastValid / strideW + 1, e.int(outputWidth)))
                            let tap = icg * filterStrides["i"]! + kh * filterStrides["h"]! + kw * filterStrides["w"]!
                            forEachOutputPosition(e, channels: firstChannel, endChannel,
                                                  columns: firstColumn, e.maximum(endColumn, firstColumn)) { oc, ow in
                                let index = accumulator(oc, ow)
                                let input = e.load(x, inputRow + (ow * strideW + offset) * inputStrides["w"]!)
                                let weight = e.load(w, tap + oc * filterStrides["o"]!)
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

    /// Visits output channels [c0, c1) × columns [w0, w1) with the loop that is contiguous in
    /// the output innermost.
    private func forEachOutputPosition(_ e: FunctionEmitter, channels c0: IRValue, _ c1: IRValue,
                                       columns w0: IRValue, _ w1: IRValue, _ body: (IRValue, IRValue) -> Void) {
        if attributes.inputLayout == .nhwc {
            e.forLoop(from: w0, to: w1) { ow in e.forLoop(from: c0, to: c1) { oc in body(oc, ow) } }
        } else {
            e.forLoop(from: c0, to: c1) { oc in e.forLoop(from: w0, to: w1) { ow in body(oc, ow) } }
        }
    }
}
