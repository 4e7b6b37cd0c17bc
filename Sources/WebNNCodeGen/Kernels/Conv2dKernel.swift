import WebNNBasics
import WebNNIR
import WebNNLowering

/// Direct 2-D convolution, any input/filter layout, padding, strides, dilations and groups.
///
/// A task is one output row (n, oh) with all its channels (`GroupedConvolution.emitRow`). The
/// row starts as the bias (or 0); then for each group, input channel and filter tap,
/// `row[oc, ow] += x[ic, ih, iw] · w[oc, ic, kh, kw]` over the valid ow range. The two innermost
/// loops run over (oc, ow) in the order that is contiguous in the output: ow innermost for nchw,
/// oc innermost for nhwc. float16 is computed in float32: a group's channels are done in tiles
/// whose sums are kept in a float32 stack tile.
struct Conv2dKernel: KernelEmitter {
    let shape: GroupedConvolution

    /// `resultStrides`: the result's element strides (row-major unless it is a view).
    init(_ attributes: Conv2dAttributes, input: [Int], filter: [Int], hasBias: Bool, result: [Int],
         resultStrides: [Int]) throws {
        shape = try GroupedConvolution("conv2d", attributes, input: input, filter: filter, result: result,
                                       resultStrides: resultStrides, hasBias: hasBias, transposed: false)
    }

    var taskCount: Int { shape.taskCount }

    func emitTask(_ e: FunctionEmitter, _ buffers: StepBuffers, task: IRValue) {
        let (x, w) = (buffers.operands[0], buffers.operands[1])
        let (inputStrides, filterStrides) = (shape.inputStrides, shape.filterStrides)
        let (strideH, strideW, dilationH, dilationW) = (shape.strideH, shape.strideW, shape.dilationH, shape.dilationW)
        let (padTop, padLeft) = (shape.padTop, shape.padLeft)
        shape.emitRow(e, buffers, task: task) { row, tile in
            e.forLoop(from: 0, to: shape.inputChannelsPerGroup) { icg in
                let inputChannel = row.inputImage + (tile.group * shape.inputChannelsPerGroup + icg) * inputStrides["c"]!
                e.forLoop(from: 0, to: shape.kernelHeight) { kh in
                    let ih = row.oh * strideH - padTop + kh * dilationH
                    e.ifThen(e.and(ih >= e.int(0), ih < e.int(shape.inputHeight))) {
                        let inputRow = inputChannel + ih * inputStrides["h"]!
                        e.forLoop(from: 0, to: shape.kernelWidth) { kw in
                            // iw = ow·strideW + kw·dilationW − padLeft must lie in [0, inputWidth).
                            let offset = kw * dilationW - padLeft
                            let firstColumn = (e.maximum(0 - offset, e.int(0)) + (strideW - 1)) / strideW
                            let lastValid = e.int(shape.inputWidth - 1) - offset
                            let endColumn = e.select(lastValid < e.int(0), e.int(0),
                                                     e.minimum(lastValid / strideW + 1, e.int(shape.outputWidth)))
                            let tap = icg * filterStrides["i"]! + kh * filterStrides["h"]! + kw * filterStrides["w"]!
                            shape.forEachOutputPosition(e, channels: tile.firstChannel, tile.endChannel,
                                                        columns: firstColumn, e.maximum(endColumn, firstColumn)) { oc, ow in
                                let index = tile.index(oc, ow)
                                let input = e.load(x, inputRow + (ow * strideW + offset) * inputStrides["w"]!)
                                let weight = e.load(w, tap + oc * filterStrides["o"]!)
                                e.store(e.mulAdd(input, weight, e.load(tile.sums, index)), tile.sums, index)
                            }
                        }
                    }
                }
            }
        }
    }
}
