import CLLVM
import WebNNBasics
import WebNNLowering

/// Register-blocked direct convolution for float32 conv2d with `groups == 1` (any kernel size,
/// stride, padding, dilation; nchw or nhwc input).
///
/// The filter is repacked at compile time (`FastConv2dPacking`) into `[oc / VW][kh][kw][ic][VW]`
/// (VW = the target's float vector width, output channels padded with zero weights to a
/// multiple of VW): the packed filter is the step's operand 1, with that rank-5 shape, which is
/// how `makeKernelEmitter` recognizes a step for this kernel.
///
/// A task is one output row (n, oh) of one group of `vectorsPerTile` output-channel vectors. The
/// row is covered by tiles of `pixelsPerTile` output pixels; a tile's `pixels × vectors`
/// accumulators (`<VW x float>`, lanes = output channels) stay in registers across the whole
/// reduction (the valid kernel rows × the kernel columns × the input channels, innermost), each
/// step a broadcast input value times a weight vector (`llvm.fma`). Rows outside the input are
/// left out of the kh loop; the columns of the row whose window lies inside the input use
/// unchecked tiles in a loop; tiles reaching into the edge columns are unrolled and leave out the
/// taps outside the input at compile time. The bias starts the
/// accumulators, and `EpilogueEmitter` (residual, activation) is applied to each lane before its
/// single store. Each output element is computed by one task in one fixed order, so results are
/// the same for any thread count.
struct FastConv2dKernel: KernelEmitter {
    let attributes: Conv2dAttributes
    let hasBias: Bool
    let batch: Int, inputChannels: Int, outputChannels: Int
    var inputHeight: Int, inputWidth: Int, outputHeight: Int, outputWidth: Int
    let kernelHeight: Int, kernelWidth: Int
    let vectorWidth: Int
    let vectorsPerTile: Int, pixelsPerTile: Int
    let inputStrides: [Character: Int], outputStrides: [Character: Int]

    /// `packedFilter` is `[ceil(oc / VW), kh, kw, ic, VW]`.
    init(_ attributes: Conv2dAttributes, input: [Int], packedFilter: [Int], hasBias: Bool, result: [Int]) throws {
        let layout = attributes.inputLayout.rawValue
        guard input.count == 4, packedFilter.count == 5, result.count == 4, attributes.groups == 1,
              attributes.padding.count == 4, attributes.strides.count == 2, attributes.dilations.count == 2 else {
            throw CodeGenError.unsupported("packed conv2d of \(input) with filter \(packedFilter) into \(result)")
        }
        func dimension(_ shape: [Int], _ axis: Character) -> Int { LayoutAxes.dimension(shape, layout, axis) }
        self.attributes = attributes
        self.hasBias = hasBias
        batch = input[0]
        outputChannels = dimension(result, "c")
        inputChannels = packedFilter[3]
        (kernelHeight, kernelWidth) = (packedFilter[1], packedFilter[2])
        vectorWidth = packedFilter[4]
        (inputHeight, inputWidth) = (dimension(input, "h"), dimension(input, "w"))
        (outputHeight, outputWidth) = (dimension(result, "h"), dimension(result, "w"))
        guard dimension(input, "c") == inputChannels,
              packedFilter[0] == (outputChannels + vectorWidth - 1) / vectorWidth, result[0] == batch else {
            throw CodeGenError.unsupported("packed conv2d of \(input) with filter \(packedFilter) into \(result)")
        }
        let (vectors, pixels) = FastConv2dPacking.tile(vectorWidth: vectorWidth, vectorCount: packedFilter[0])
        (vectorsPerTile, pixelsPerTile) = (vectors, pixels)
        func strides(_ shape: [Int]) -> [Character: Int] {
            Dictionary(uniqueKeysWithValues: zip(layout, rowMajorStrides(shape)))
        }
        var (inputStrides, outputStrides) = (strides(input), strides(result))
        // A 1x1 convolution with stride 1 and no padding maps pixel i to pixel i: the image is
        // re-cut into rows of `rowPixels` (same strides per pixel), so that tiles are long and
        // small images still make full tiles.
        if kernelHeight == 1 && kernelWidth == 1 && attributes.strides == [1, 1] && attributes.padding.allSatisfy({ $0 == 0 }) {
            let pixels = inputHeight * inputWidth
            let rowPixels = FastConv2dKernel.rowPixels(forPixels: pixels)
            (inputHeight, inputWidth, outputHeight, outputWidth) = (pixels / rowPixels, rowPixels, pixels / rowPixels, rowPixels)
            inputStrides["h"] = rowPixels * inputStrides["w"]!
            outputStrides["h"] = rowPixels * outputStrides["w"]!
        }
        (self.inputStrides, self.outputStrides) = (inputStrides, outputStrides)
    }

    /// The row length a 1x1 convolution of `pixels` pixels is re-cut into: the smallest
    /// divisor of `pixels` of at least 48 (the whole image when there is none).
    static func rowPixels(forPixels pixels: Int) -> Int {
        (48...max(48, pixels)).first { pixels % $0 == 0 } ?? pixels
    }

    private var channelsPerGroup: Int { vectorsPerTile * vectorWidth }
    private var channelGroups: Int { (outputChannels + channelsPerGroup - 1) / channelsPerGroup }

    var taskCount: Int { batch * channelGroups * outputHeight }

    func emitTask(_ e: FunctionEmitter, _ buffers: StepBuffers, task: IRValue) {
        let rowsPerImage = channelGroups * outputHeight
        let n = task / rowsPerImage, rest = task % rowsPerImage
        let group = rest / outputHeight, oh = rest % outputHeight
        let lastGroupChannels = outputChannels - (channelGroups - 1) * channelsPerGroup
        if lastGroupChannels == channelsPerGroup {
            emitRow(e, buffers, n: n, group: group, oh: oh, channels: channelsPerGroup)
        } else {
            let isLast = group == e.int(channelGroups - 1)
            let lastBlock = LLVMAppendBasicBlockInContext(e.module.context, e.function, "conv.lastgroup")
            let fullBlock = LLVMAppendBasicBlockInContext(e.module.context, e.function, "conv.fullgroup")
            let done = LLVMAppendBasicBlockInContext(e.module.context, e.function, "conv.done")
            LLVMBuildCondBr(e.builder, isLast.reference, lastBlock, fullBlock)
            LLVMPositionBuilderAtEnd(e.builder, lastBlock)
            emitRow(e, buffers, n: n, group: group, oh: oh, channels: lastGroupChannels)
            LLVMBuildBr(e.builder, done)
            LLVMPositionBuilderAtEnd(e.builder, fullBlock)
            emitRow(e, buffers, n: n, group: group, oh: oh, channels: channelsPerGroup)
            LLVMBuildBr(e.builder, done)
            LLVMPositionBuilderAtEnd(e.builder, done)
        }
    }

    /// One output row of a group of `channels` output channels (compile-time count).
    private func emitRow(_ e: FunctionEmitter, _ buffers: StepBuffers, n: IRValue, group: IRValue, oh: IRValue,
                         channels: Int) {
        let vectors = (channels + vectorWidth - 1) / vectorWidth
        let firstChannel = group * channelsPerGroup
        // The bias (or zero) of each vector, lanes past `channels` zero.
        let initial = (0..<vectors).map { v in
            hasBias ? e.loadVector(buffers.operands[2].pointer, firstChannel + v * vectorWidth,
                                   lanes: min(vectorWidth, channels - v * vectorWidth), width: vectorWidth)
                : e.wrap(LLVMConstNull(LLVMVectorType(e.types.f32, UInt32(vectorWidth))))
        }
        let window = ConvolutionWindow(attributes, inputHeight: inputHeight, inputWidth: inputWidth,
                                       outputHeight: outputHeight, outputWidth: outputWidth,
                                       kernelHeight: kernelHeight, kernelWidth: kernelWidth)
        let kernelRows = window.validKernelRows(e, oh: oh)
        let tile = { (pixels: Int, firstColumn: IRValue, edgeColumn: Int?) in
            emitTile(e, buffers, n: n, group: group, oh: oh, firstChannel: firstChannel, channels: channels, initial: initial,
                     kernelRows: kernelRows, pixels: pixels, firstColumn: firstColumn, edgeColumn: edgeColumn)
        }
        window.forEachBalancedTile(e, tileWidth: pixelsPerTile, tile)
    }

    /// `pixels` output pixels from `firstColumn` × `channels` output channels: reduce in
    /// registers, then the epilogue and one store per element. An edge tile (`edgeColumn`, its
    /// first column at compile time) leaves out, at compile time, the taps of its pixels that
    /// fall outside the input row (they would read padding zeros).
    private func emitTile(_ e: FunctionEmitter, _ buffers: StepBuffers, n: IRValue, group: IRValue, oh: IRValue,
                          firstChannel: IRValue, channels: Int, initial: [IRValue], kernelRows: (IRValue, IRValue),
                          pixels: Int, firstColumn: IRValue, edgeColumn: Int?) {
        let (x, w) = (buffers.operands[0].pointer, buffers.operands[1].pointer)
        let vectors = initial.count
        let vectorType = LLVMVectorType(e.types.f32, UInt32(vectorWidth))!
        let (strideH, strideW) = (attributes.strides[0], attributes.strides[1])
        let (dilationH, dilationW) = (attributes.dilations[0], attributes.dilations[1])
        let (padTop, padLeft) = (attributes.padding[0], attributes.padding[2])
        let (sc, sh, sw) = (inputStrides["c"]!, inputStrides["h"]!, inputStrides["w"]!)
        let image = n * inputStrides["n"]!
        let firstBlock = group * vectorsPerTile
        let blockStride = kernelHeight * kernelWidth * inputChannels * vectorWidth
        // The FMAs of one tap (kh, kw) over all input channels, for the pixels `pixelRange`
        // (their input columns `columns`): in the loop the input of each pixel and the packed
        // weights advance by a fixed stride, so it is loads, broadcasts and FMAs only.
        func tap(kh: IRValue, kw: IRValue, pixelRange: [Int], columns: [IRValue], _ accumulators: [IRValue]) -> [IRValue] {
            let rowBase = image + (oh * strideH - padTop + kh * dilationH) * sh
            let pixelBases = columns.map { rowBase + $0 * sw }
            let weightBase = firstBlock * blockStride + (kh * kernelWidth + kw) * (inputChannels * vectorWidth)
            return e.forLoop(from: e.int(0), to: e.int(inputChannels), carrying: accumulators) { ic, accumulators in
                var acc = accumulators
                let weights = (0..<vectors).map { v in
                    e.loadVector(w, weightBase + ic * vectorWidth + v * blockStride, lanes: vectorWidth, width: vectorWidth)
                }
                for (r, base) in zip(pixelRange, pixelBases) {
                    let broadcast = e.splat(e.load(x, base + ic * sc), width: vectorWidth)
                    for v in 0..<vectors {
                        acc[r * vectors + v] = e.callIntrinsic("llvm.fma", overloadedOn: [vectorType],
                                                               [broadcast, weights[v], acc[r * vectors + v]])
                    }
                }
                return acc
            }
        }
        let accumulators0 = (0..<pixels).flatMap { _ in initial }
        let sums = e.forLoop(from: kernelRows.0, to: kernelRows.1, carrying: accumulators0) { kh, accumulators in
            guard let edgeColumn else {
                // Taps of a kernel row in a loop (unrolled, LLVM would reuse broadcasts across kw
                // and run out of registers).
                return e.forLoop(from: e.int(0), to: e.int(kernelWidth), carrying: accumulators) { kw, accumulators in
                    let columns = (0..<pixels).map { r in (firstColumn + r) * strideW - padLeft + kw * dilationW }
                    return tap(kh: kh, kw: kw, pixelRange: Array(0..<pixels), columns: columns, accumulators)
                }
            }
            var acc = accumulators
            for kw in 0..<kernelWidth {
                let columns = (0..<pixels).map { r in (edgeColumn + r) * strideW - padLeft + kw * dilationW }
                let inside = (0..<pixels).filter { columns[$0] >= 0 && columns[$0] < inputWidth }
                guard !inside.isEmpty else { continue }
                acc = tap(kh: kh, kw: e.int(kw), pixelRange: inside, columns: inside.map { e.int(columns[$0]) }, acc)
            }
            return acc
        }
        let epilogue = EpilogueEmitter(epilogue: attributes.epilogue)
        let rowOffset = n * outputStrides["n"]! + oh * outputStrides["h"]!
        for r in 0..<pixels {
            let pixelOffset = rowOffset + (firstColumn + r) * outputStrides["w"]!
            for v in 0..<vectors {
                for lane in 0..<min(vectorWidth, channels - v * vectorWidth) {
                    let index = pixelOffset + (firstChannel + (v * vectorWidth + lane)) * outputStrides["c"]!
                    let sum = e.wrap(LLVMBuildExtractElement(e.builder, sums[r * vectors + v].reference,
                                                             e.int32(Int32(lane)).reference, "")!)
                    e.store(epilogue.apply(e, sum, buffers, resultIndex: index), buffers.result, index)
                }
            }
        }
    }
}

/// Compile-time weight repacking for `FastConv2dKernel`, and the tile shape it uses.
enum FastConv2dPacking {
    /// Floats per vector register of the target for the fast kernels, nil when the target has
    /// no FMA vector unit they are written for.
    static func vectorWidth(_ target: ResolvedTarget) -> Int? {
        guard target.isX86_64 else { return nil }
        let features = Set(target.enabledFeatures)
        if features.contains("avx512f") { return 16 }
        if features.contains("avx2") && features.contains("fma") { return 8 }
        return nil
    }

    /// (vectors, pixels) of the register tile: `pixels × vectors` accumulators, plus `vectors`
    /// weight registers and one broadcast, within the register file (16 ymm or 32 zmm).
    static func tile(vectorWidth: Int, vectorCount: Int) -> (Int, Int) {
        let registers = vectorWidth >= 16 ? 32 : 16
        let vectors = min(vectorCount, vectorWidth >= 16 ? 4 : 2)
        let pixels = min(12, (registers - vectors - 1) / vectors)
        return (vectors, pixels)
    }

    /// Rewrites float32 conv2d steps whose filter is a constant to read a packed copy
    /// `[ceil(oc / VW)][kh][kw][ic][VW]` (zero-padded): `groups == 1` steps (for
    /// `FastConv2dKernel`) and depthwise ones, `groups == ic == oc` with one input channel per
    /// group (for `DepthwiseConv2dKernel`). A constant used only by such steps is replaced in
    /// place; otherwise the packed copy is appended.
    static func pack(_ program: KernelProgram, target: ResolvedTarget) -> KernelProgram {
        guard let vectorWidth = vectorWidth(target) else { return program }
        var result = program
        var uses: [Int: Int] = [:]
        for step in program.steps {
            for operand in step.operands {
                if case .constant(let index) = operand.location { uses[index, default: 0] += 1 }
            }
        }
        var packedCache: [Int: Int] = [:]  // original constant index → packed constant index
        for stepIndex in result.steps.indices {
            let step = result.steps[stepIndex]
            guard case .conv2d(let attributes) = step.kernel,
                  step.operands.count >= 2, step.operands[1].type.rank == 4,
                  attributes.groups == 1 || isDepthwise(attributes, input: step.operands[0].type.shape,
                                                        filter: step.operands[1].type.shape),
                  case .constant(let filterIndex) = step.operands[1].location,
                  step.operands[0].type.rank == 4, step.result.type.rank == 4,
                  step.result.type.dataType == .float32,
                  step.operands.allSatisfy({ $0.type.dataType == .float32 }) else { continue }
            let filter = program.constants[filterIndex]
            let layout = attributes.filterLayout.rawValue
            let shape = filter.type.shape
            func axis(_ letter: Character) -> Int { layout.firstIndex(of: letter)!.utf16Offset(in: layout) }
            let (o, i, h, w) = (shape[axis("o")], shape[axis("i")], shape[axis("h")], shape[axis("w")])
            let filterStrides = rowMajorStrides(shape)
            let (so, si, sh, sw) = (filterStrides[axis("o")], filterStrides[axis("i")], filterStrides[axis("h")],
                                    filterStrides[axis("w")])
            let blocks = (o + vectorWidth - 1) / vectorWidth
            let packedShape = [blocks, h, w, i, vectorWidth]
            let packedIndex: Int
            if let cached = packedCache[filterIndex] {
                packedIndex = cached
            } else {
                let values = filter.floats
                var packed = [Float](repeating: 0, count: blocks * i * h * w * vectorWidth)
                var index = 0
                for block in 0..<blocks {
                    for kh in 0..<h {
                        for kw in 0..<w {
                            for ic in 0..<i {
                                for lane in 0..<vectorWidth {
                                    let oc = block * vectorWidth + lane
                                    if oc < o { packed[index] = values[oc * so + ic * si + kh * sh + kw * sw] }
                                    index += 1
                                }
                            }
                        }
                    }
                }
                let data = TensorData(float32: packed, shape: packedShape)
                if uses[filterIndex] == 1 {
                    result.constants[filterIndex] = data
                    packedIndex = filterIndex
                } else {
                    result.constants.append(data)
                    packedIndex = result.constants.count - 1
                }
                packedCache[filterIndex] = packedIndex
            }
            result.steps[stepIndex].operands[1] = BufferRef(.constant(packedIndex), TensorType(.float32, packedShape))
        }
        return result
    }

    /// Whether a conv2d is depthwise with channel multiplier 1: groups == input channels ==
    /// output channels (so one input channel per group).
    static func isDepthwise(_ attributes: Conv2dAttributes, input: [Int], filter: [Int]) -> Bool {
        guard input.count == 4, filter.count == 4, attributes.groups > 1 else { return false }
        let filterLayout = attributes.filterLayout.rawValue
        return LayoutAxes.dimension(input, attributes.inputLayout.rawValue, "c") == attributes.groups
            && LayoutAxes.dimension(filter, filterLayout, "o") == attributes.groups
            && LayoutAxes.dimension(filter, filterLayout, "i") == 1
    }
}
