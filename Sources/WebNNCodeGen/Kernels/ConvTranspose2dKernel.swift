import WebNNBasics
import WebNNIR
import WebNNLowering

/// Transposed 2-D convolution as an output-stationary gather, any layout, padding, strides,
/// dilations, groups, outputPadding/outputSizes (the result's size) and bias.
///
/// A task is one output row (n, oh) with all its channels (`GroupedConvolution.emitRow`), so
/// tasks write disjoint outputs and each output's sum has one fixed order whatever the thread
/// count. Output (oc, oh, ow) gathers x[ic, ih, iw] · w[ic, oc − g·O/g, kh, kw] over the input
/// channels ic of oc's group g and the taps with oh = ih·sH − padTop + kh·dH and
/// ow = iw·sW − padLeft + kw·dW. For one tap row kh, ih is (oh + padTop − kh·dH) / sH when that
/// divides; for one tap column kw, the input columns iw map to output columns
/// ow = iw·sW + (kw·dW − padLeft), a valid range of iw. The row starts as the bias (or 0).
/// float16 sums, and nchw sums with strideW > 1, are kept in a float32 stack tile (the latter
/// by column phase, so the inner loop is contiguous) and stored once. A fused epilogue is
/// applied to each finished sum before that store.
struct ConvTranspose2dKernel: KernelEmitter {
    let shape: GroupedConvolution

    init(_ attributes: ConvTranspose2dAttributes, input: [Int], filter: [Int], hasBias: Bool, result: [Int]) throws {
        shape = try GroupedConvolution("convTranspose2d", attributes, input: input, filter: filter, result: result,
                                       resultStrides: rowMajorStrides(result), hasBias: hasBias, transposed: true)
    }

    var taskCount: Int { shape.taskCount }

    func emitTask(_ e: FunctionEmitter, _ buffers: StepBuffers, task: IRValue) {
        let (x, w) = (buffers.operands[0], buffers.operands[1])
        let (inputStrides, filterStrides) = (shape.inputStrides, shape.filterStrides)
        let (strideH, strideW, dilationH, dilationW) = (shape.strideH, shape.strideW, shape.dilationH, shape.dilationW)
        let (padTop, padLeft) = (shape.padTop, shape.padLeft)
        // nchw with strideW > 1 accumulates each output row by column phase (ow mod strideW):
        // phase p holds columns p, p + strideW, ..., so one tap's columns are contiguous there.
        shape.emitRow(e, buffers, task: task, phases: shape.nhwc ? 1 : strideW) { row, tile in
            let groupFirstChannel = tile.group * shape.outputChannelsPerGroup
            e.forLoop(from: 0, to: shape.inputChannelsPerGroup) { icg in
                let ic = tile.group * shape.inputChannelsPerGroup + icg
                let inputChannel = row.inputImage + ic * inputStrides["c"]!
                e.forLoop(from: 0, to: shape.kernelHeight) { kh in
                    // ih = (oh + padTop − kh·dilationH) / strideH, when it divides and is inside the input.
                    let shifted = row.oh + padTop - kh * dilationH
                    let ih = shifted / strideH
                    let valid = e.and(e.and(shifted >= e.int(0), shifted % strideH == e.int(0)), ih < e.int(shape.inputHeight))
                    e.ifThen(valid) {
                        let inputRow = inputChannel + ih * inputStrides["h"]!
                        e.forLoop(from: 0, to: shape.kernelWidth) { kw in
                            // ow = iw·strideW + offset must lie in [0, outputWidth).
                            let offset = kw * dilationW - padLeft
                            // In the phased tile, ow = iw·strideW + offset is at phase·phaseLength + shift + iw.
                            let phase = (offset % strideW + strideW) % strideW
                            let shift = (offset - phase) / strideW
                            let firstColumn = e.maximum(e.int(0), (0 - offset + (strideW - 1)) / strideW)
                            // iw ≤ (outputWidth − 1 − offset) / strideW (when that is ≥ 0).
                            let reach = e.int(shape.outputWidth - 1) - offset
                            let endColumn = e.select(reach < e.int(0), e.int(0),
                                                     e.minimum(reach / strideW + 1, e.int(shape.inputWidth)))
                            let tap = ic * filterStrides["i"]! + kh * filterStrides["h"]! + kw * filterStrides["w"]!
                            shape.forEachOutputPosition(e, channels: tile.firstChannel, tile.endChannel,
                                                        columns: firstColumn, e.maximum(endColumn, firstColumn)) { oc, iw in
                                let index = tile.inResult || shape.nhwc ? tile.index(oc, iw * strideW + offset)
                                    : tile.phasedIndex(oc, phase: phase, column: shift + iw)
                                let input = e.load(x, inputRow + iw * inputStrides["w"]!)
                                let weight = e.load(w, tap + (oc - groupFirstChannel) * filterStrides["o"]!)
                                e.store(e.mulAdd(input, weight, e.load(tile.sums, index)), tile.sums, index)
                            }
                        }
                    }
                }
            }
        }
    }
}
