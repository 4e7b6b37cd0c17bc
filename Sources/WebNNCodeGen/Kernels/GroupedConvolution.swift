import WebNNBasics
import WebNNIR
import WebNNLowering

/// What the two general convolution kernels (`Conv2dKernel`, `ConvTranspose2dKernel`) share:
/// the sizes and element strides of a grouped 2-D convolution step, decoded once from its
/// shapes and layouts, and the row of sums a task accumulates (`emitRow`). They differ only in
/// which input elements a filter tap reads.
struct GroupedConvolution {
    let batch: Int, groups: Int, inputChannelsPerGroup: Int, outputChannelsPerGroup: Int
    let inputHeight: Int, inputWidth: Int, outputHeight: Int, outputWidth: Int
    let kernelHeight: Int, kernelWidth: Int
    /// Element strides by axis letter (n, c, h, w) of input and output, (o, i, h, w) of the filter.
    let inputStrides: [Character: Int], outputStrides: [Character: Int], filterStrides: [Character: Int]
    let strideH: Int, strideW: Int, dilationH: Int, dilationW: Int, padTop: Int, padLeft: Int
    let nhwc: Bool
    let hasBias: Bool
    let epilogue: Epilogue

    /// `transposed`: the filter's i axis counts all input channels and its o axis the output
    /// channels of one group (convTranspose2d); otherwise the reverse (conv2d).
    /// `resultStrides`: the result's element strides (row-major unless it is a view).
    init<FilterLayout>(_ operatorName: String, _ attributes: ConvolutionAttributes<FilterLayout>, input: [Int],
                       filter: [Int], result: [Int], resultStrides: [Int], hasBias: Bool, transposed: Bool) throws {
        let (padding, strides, dilations, groups) = (attributes.padding, attributes.strides, attributes.dilations,
                                                     attributes.groups)
        let filterLayout = attributes.filterLayout.rawValue
        guard input.count == 4, filter.count == 4, result.count == 4, padding.count == 4, strides.count == 2,
              dilations.count == 2, groups > 0 else {
            throw CodeGenError.unsupported("\(operatorName) of \(input) with filter \(filter) into \(result)")
        }
        let layout = attributes.inputLayout.rawValue
        let dimension = LayoutAxes.dimension
        batch = input[0]
        self.groups = groups
        (inputHeight, inputWidth) = (dimension(input, layout, "h"), dimension(input, layout, "w"))
        (outputHeight, outputWidth) = (dimension(result, layout, "h"), dimension(result, layout, "w"))
        (kernelHeight, kernelWidth) = (dimension(filter, filterLayout, "h"), dimension(filter, filterLayout, "w"))
        let (filterInputs, filterOutputs) = (dimension(filter, filterLayout, "i"), dimension(filter, filterLayout, "o"))
        let allChannels = transposed ? filterInputs : filterOutputs
        (inputChannelsPerGroup, outputChannelsPerGroup) = transposed
            ? (filterInputs / groups, filterOutputs) : (filterInputs, filterOutputs / groups)
        guard allChannels % groups == 0, dimension(input, layout, "c") == inputChannelsPerGroup * groups,
              dimension(result, layout, "c") == outputChannelsPerGroup * groups, result[0] == batch else {
            throw CodeGenError.unsupported(
                "\(operatorName) of \(input) with filter \(filter) (\(filterLayout)), groups \(groups), into \(result)")
        }
        inputStrides = LayoutAxes.strides(input, layout)
        outputStrides = LayoutAxes.byAxis(resultStrides, layout)
        filterStrides = LayoutAxes.strides(filter, filterLayout)
        (strideH, strideW, dilationH, dilationW) = (strides[0], strides[1], dilations[0], dilations[1])
        (padTop, padLeft) = (padding[0], padding[2])
        nhwc = attributes.inputLayout == .nhwc
        self.hasBias = hasBias
        epilogue = attributes.epilogue
    }

    /// A task is one output row (n, oh).
    var taskCount: Int { batch * outputHeight }

    /// Accumulator floats per task for sums kept outside the result (a tile of output channels
    /// × the whole output row).
    static let accumulatorTile = 4096

    /// The sums of output channels [firstChannel, endChannel) of one group, while a task
    /// accumulates them: in the result row itself, or in a float32 stack tile.
    struct ChannelTile {
        let group: IRValue
        let firstChannel: IRValue, endChannel: IRValue
        let sums: TypedBuffer
        /// Whether `sums` is the result; otherwise a tile of `rowLength` floats per channel
        /// (nchw, in `phases` column phases of `phaseLength`) or of the tile's channels per
        /// column (nhwc).
        let inResult: Bool
        let rowLength: Int, phaseLength: Int
        /// The index in `sums` of output (oc, ow).
        let index: (IRValue, IRValue) -> IRValue

        /// The index in an nchw stack tile of channel oc's column `column` of phase `phase`.
        func phasedIndex(_ oc: IRValue, phase: IRValue, column: IRValue) -> IRValue {
            (oc - firstChannel) * rowLength + phase * phaseLength + column
        }
    }

    /// The output row of a task: its row oh, and the first input element of its image n.
    struct Row {
        let oh: IRValue
        let inputImage: IRValue
    }

    /// Output row (n, oh) of task `task`, all channels, a tile of one group's output channels at a
    /// time: the sums start as the bias (or 0), `accumulate` adds the filter taps, and the
    /// epilogue (`EpilogueEmitter`) is applied to each finished sum as it is stored. float32
    /// sums accumulate in the result when `phases` is 1; float16 sums, and rows kept by column
    /// phase (nchw: column ow at (ow mod phases)·⌈W / phases⌉ + ow / phases, so a strided tap's
    /// columns are contiguous), in a float32 stack tile stored once.
    func emitRow(_ e: FunctionEmitter, _ buffers: StepBuffers, task: IRValue, phases: Int = 1,
                 _ accumulate: (Row, ChannelTile) -> Void) {
        let y = buffers.result
        let n = task / outputHeight, oh = task % outputHeight
        let outputRow = n * outputStrides["n"]! + oh * outputStrides["h"]!
        let row = Row(oh: oh, inputImage: n * inputStrides["n"]!)
        let phaseLength = (outputWidth + phases - 1) / phases, rowLength = phases * phaseLength
        let inResult = y.dataType == .float32 && phases == 1
        let tileChannels = inResult ? outputChannelsPerGroup
            : max(1, min(outputChannelsPerGroup, GroupedConvolution.accumulatorTile / rowLength))
        let tilesPerGroup = (outputChannelsPerGroup + tileChannels - 1) / tileChannels
        let sums = inResult ? y : TypedBuffer(e.entryAlloca(e.types.f32, count: tileChannels * rowLength), .float32)
        let resultIndex = { (oc: IRValue, ow: IRValue) in outputRow + oc * outputStrides["c"]! + ow * outputStrides["w"]! }
        e.forLoop(from: 0, to: groups * tilesPerGroup) { groupTile in
            let g = groupTile / tilesPerGroup
            let firstChannel = g * outputChannelsPerGroup + (groupTile % tilesPerGroup) * tileChannels
            let endChannel = e.minimum(firstChannel + tileChannels, (g + 1) * outputChannelsPerGroup)
            let index = { (oc: IRValue, ow: IRValue) -> IRValue in
                if inResult { return resultIndex(oc, ow) }
                if nhwc { return ow * tileChannels + (oc - firstChannel) }
                if phases == 1 { return (oc - firstChannel) * rowLength + ow }
                return (oc - firstChannel) * rowLength + (ow % phases) * phaseLength + ow / phases
            }
            forEachOutputPosition(e, channels: firstChannel, endChannel, columns: e.int(0), e.int(outputWidth)) { oc, ow in
                e.store(hasBias ? e.load(buffers.operands[2], oc) : e.float(0), sums, index(oc, ow))
            }
            accumulate(row, ChannelTile(group: g, firstChannel: firstChannel, endChannel: endChannel, sums: sums,
                                   inResult: inResult, rowLength: rowLength, phaseLength: phaseLength, index: index))
            let finish = EpilogueEmitter(epilogue: epilogue)
            if !inResult || !finish.isEmpty {
                forEachOutputPosition(e, channels: firstChannel, endChannel, columns: e.int(0), e.int(outputWidth)) { oc, ow in
                    let element = resultIndex(oc, ow)
                    e.store(finish.apply(e, e.load(sums, index(oc, ow)), buffers, resultIndex: element), y, element)
                }
            }
        }
    }

    /// Visits channels [c0, c1) × columns [w0, w1) (output columns, or the input columns of one
    /// tap) with the loop that is contiguous in the output innermost: channels for nhwc,
    /// columns for nchw.
    func forEachOutputPosition(_ e: FunctionEmitter, channels c0: IRValue, _ c1: IRValue,
                               columns w0: IRValue, _ w1: IRValue, _ body: (IRValue, IRValue) -> Void) {
        if nhwc {
            e.forLoop(from: w0, to: w1) { ow in e.forLoop(from: c0, to: c1) { oc in body(oc, ow) } }
        } else {
            e.forLoop(from: c0, to: c1) { oc in e.forLoop(from: w0, to: w1) { ow in body(oc, ow) } }
        }
    }
}
