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
/// A task is a run of output pixels of one image for one group of `vectorsPerTile`
/// output-channel vectors, cut into tiles of `pixelsPerTile` pixels; a tile's `pixels × vectors`
/// accumulators (`<VW x float>`, lanes = output channels) stay in registers across the whole
/// reduction (the valid kernel rows × the kernel columns × the input channels, innermost), each
/// step a broadcast input value times a weight vector (`llvm.fma`). The bias starts the
/// accumulators, and `EpilogueEmitter` (residual, activation) is applied before the single store.
///
/// - A pointwise convolution (1×1, no padding, any stride) reads one input pixel per output
///   pixel, so its pixels are numbered through the whole image and cut into runs of about
///   `pixelsPerRun`: every tile is full but the image's last, and that one is never so narrow
///   that FMA latency shows (`PointwiseTiling`).
/// - Any other convolution runs one output row per task (two interior rows of a narrow image,
///   `rowPairs`). Rows outside the input are left out of the kh loop; the columns whose window
///   lies inside the input use unchecked tiles in a loop; tiles reaching into the edge columns are
///   unrolled and leave out the taps outside the input at compile time.
///
/// Tasks of a pointwise convolution run the channel groups inside each pixel run; a row-by-row
/// convolution runs rows inside channel groups or the reverse, whichever re-reads fewer bytes
/// (the input once per group, or the filter once per row). Each output
/// element is computed by one task in one fixed order, so results are the same for any thread
/// count.
struct FastConv2dKernel: KernelEmitter {
    let attributes: Conv2dAttributes
    let hasBias: Bool
    let batch: Int, inputChannels: Int, outputChannels: Int
    let inputHeight: Int, inputWidth: Int, outputHeight: Int, outputWidth: Int
    let kernelHeight: Int, kernelWidth: Int
    let vectorWidth: Int
    let vectorsPerTile: Int, pixelsPerTile: Int
    let inputStrides: [Character: Int], outputStrides: [Character: Int]
    /// The window's strides, dilations and padding, and which rows and columns read padding.
    let window: ConvolutionWindow
    /// How a pointwise convolution's pixels are cut; nil for row-by-row convolutions.
    let pointwise: PointwiseTiling?
    /// Interior rows (all kernel rows inside the input) run two at a time, `count` pairs from
    /// row `first`, where a row is narrow (at most 4 tiles of `pairColumns`): a tile of two rows
    /// × up to `pairColumns` columns (14 pixels × 2 zmm vectors) uses each weight vector for
    /// more pixels than a one-row tile: a 7-pixel row's re-read its channel group's weights from
    /// L2 for every 7 (ResNet-50's 3×3 layers at 7², 14² and 28²: 5-25 % faster; at 56², 12-pixel
    /// tiles, no faster).
    let rowPairs: (first: Int, count: Int)?
    /// The most columns of a row-pair tile (half the pixels the registers hold).
    let pairColumns: Int

    /// Output pixels per task of a pointwise convolution (rounded to whole tiles).
    static let pixelsPerRun = 48

    /// `packedFilter` is `[ceil(oc / VW), kh, kw, ic, VW]`.
    /// `resultStrides`: the result's element strides (row-major unless it is a view).
    init(_ attributes: Conv2dAttributes, input: [Int], packedFilter: [Int], hasBias: Bool, result: [Int],
         resultStrides: [Int]) throws {
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
        window = ConvolutionWindow(attributes, inputHeight: inputHeight, inputWidth: inputWidth,
                                   outputHeight: outputHeight, outputWidth: outputWidth,
                                   kernelHeight: kernelHeight, kernelWidth: kernelWidth)
        let isPointwise = kernelHeight == 1 && kernelWidth == 1 && attributes.padding.allSatisfy { $0 == 0 }
        // A pointwise convolution's tiles run through the image: only a row-by-row one has
        // narrow rows to fit the tile to.
        let (vectors, pixels) = FastConv2dPacking.tile(vectorWidth: vectorWidth, vectorCount: packedFilter[0],
                                                       rowWidth: isPointwise ? nil : outputWidth)
        (vectorsPerTile, pixelsPerTile) = (vectors, pixels)
        (inputStrides, outputStrides) = (LayoutAxes.strides(input, layout), LayoutAxes.byAxis(resultStrides, layout))
        pointwise = isPointwise
            ? PointwiseTiling(pixels: outputHeight * outputWidth, tileWidth: pixels, vectors: vectors,
                              pixelsPerRun: FastConv2dKernel.pixelsPerRun)
            : nil
        // Two rows of up to half the pixels the registers hold beside the weights and a broadcast,
        // where that is more pixels than the row's widest one-row tile.
        pairColumns = ((vectorWidth >= 16 ? 32 : 16) - vectors - 1) / vectors / 2
        let (top, bottom) = window.interiorRows
        let widestRowTile = ConvolutionWindow.tileWidths(rowWidth: outputWidth, tileWidth: pixels,
                                                         minimumWidth: FastConv2dPacking.minimumTileWidth(vectors: vectors)).max() ?? 0
        rowPairs = !isPointwise && vectors == 2 && outputWidth <= 4 * pairColumns && 2 * pairColumns > widestRowTile
            && bottom - top >= 2 ? (top, (bottom - top) / 2) : nil
    }

    var channelsPerGroup: Int { vectorsPerTile * vectorWidth }
    var channelGroups: Int { (outputChannels + channelsPerGroup - 1) / channelsPerGroup }
    private var spatialTasks: Int { pointwise?.runs ?? outputHeight - (rowPairs?.count ?? 0) }

    /// Whether consecutive tasks share a pixel run or row (and walk the channel groups) rather
    /// than share a channel group (and walk the runs or rows). A pointwise run's input pixels
    /// stay in L1 while the filter streams through in order, which measured faster for every
    /// ResNet and SqueezeNet 1×1 shape (1–12 %) even where the filter is the larger re-read
    /// (13² 512→1000); a row-by-row convolution re-reads whichever is fewer bytes: the input
    /// once per group, or the (packed) filter once per row.
    private var groupsInnermost: Bool {
        let inputBytes = inputHeight * inputWidth * inputChannels * 4
        let filterBytes = (outputChannels + vectorWidth - 1) / vectorWidth * vectorWidth
            * kernelHeight * kernelWidth * inputChannels * 4
        return pointwise != nil || spatialTasks * filterBytes < channelGroups * inputBytes
    }

    var taskCount: Int { batch * channelGroups * spatialTasks }

    func emitTask(_ e: FunctionEmitter, _ buffers: StepBuffers, task: IRValue) {
        let tasksPerImage = channelGroups * spatialTasks
        let n = task / tasksPerImage, rest = task % tasksPerImage
        let (group, spatial) = groupsInnermost ? (rest % channelGroups, rest / channelGroups)
                                               : (rest / spatialTasks, rest % spatialTasks)
        let emit = { (channels: Int) in
            if let pointwise {
                emitRun(e, buffers, n: n, group: group, run: spatial, tiling: pointwise, channels: channels)
            } else if let rowPairs {
                // Spatial tasks: the rows before the pairs, the pairs, the rows after them.
                let pairIndex = spatial - rowPairs.first
                e.ifThenElse(e.and(pairIndex >= e.int(0), pairIndex < e.int(rowPairs.count)), then: {
                    emitRow(e, buffers, n: n, group: group, oh: rowPairs.first + pairIndex * 2, rows: 2, channels: channels)
                }, else: {
                    let oh = e.select(pairIndex < e.int(0), spatial, spatial + rowPairs.count)
                    emitRow(e, buffers, n: n, group: group, oh: oh, rows: 1, channels: channels)
                })
            } else {
                emitRow(e, buffers, n: n, group: group, oh: spatial, rows: 1, channels: channels)
            }
        }
        let lastGroupChannels = outputChannels - (channelGroups - 1) * channelsPerGroup
        if lastGroupChannels == channelsPerGroup {
            emit(channelsPerGroup)
        } else {
            e.ifThenElse(group == e.int(channelGroups - 1), then: { emit(lastGroupChannels) }, else: { emit(channelsPerGroup) })
        }
    }

    /// The bias (or zero) of each vector of a group of `channels` output channels, lanes past
    /// `channels` zero.
    private func initialAccumulators(_ e: FunctionEmitter, _ buffers: StepBuffers, firstChannel: IRValue,
                                     channels: Int) -> [IRValue] {
        (0..<(channels + vectorWidth - 1) / vectorWidth).map { v in
            hasBias ? e.loadVector(buffers.operands[2].pointer, firstChannel + v * vectorWidth,
                                   lanes: min(vectorWidth, channels - v * vectorWidth), width: vectorWidth)
                : e.wrap(LLVMConstNull(LLVMVectorType(e.types.f32, UInt32(vectorWidth))))
        }
    }

    /// `rows` output rows from `oh` (1, or 2 interior rows) of a group of `channels` output
    /// channels (compile-time count).
    private func emitRow(_ e: FunctionEmitter, _ buffers: StepBuffers, n: IRValue, group: IRValue, oh: IRValue,
                         rows: Int, channels: Int) {
        let firstChannel = group * channelsPerGroup
        let initial = initialAccumulators(e, buffers, firstChannel: firstChannel, channels: channels)
        let kernelRows = rows == 1 ? window.validKernelRows(e, oh: oh) : (e.int(0), e.int(kernelHeight))
        let tile = { (columns: Int, firstColumn: IRValue, edgeColumn: Int?) in
            emitTile(e, buffers, n: n, group: group, oh: oh, rows: rows, firstChannel: firstChannel, channels: channels,
                     initial: initial, kernelRows: kernelRows, columns: columns, firstColumn: firstColumn, edgeColumn: edgeColumn)
        }
        let minimumWidth = FastConv2dPacking.minimumTileWidth(vectors: vectorsPerTile)
        window.forEachBalancedTile(e, tileWidth: rows == 1 ? pixelsPerTile : pairColumns,
                                   minimumWidth: (minimumWidth + rows - 1) / rows, tile)
    }

    /// Run `run` of a pointwise convolution's pixels for a group of `channels` output channels:
    /// its full tiles in a loop, and in the last run the image's last tiles.
    private func emitRun(_ e: FunctionEmitter, _ buffers: StepBuffers, n: IRValue, group: IRValue, run: IRValue,
                         tiling: PointwiseTiling, channels: Int) {
        let firstChannel = group * channelsPerGroup
        let initial = initialAccumulators(e, buffers, firstChannel: firstChannel, channels: channels)
        let weightPrefetch = WeightPrefetch(self, tiling: tiling, group: group)
        let tile = { (pixels: Int, firstPixel: IRValue, tileInRun: IRValue?) in
            let image = n * inputStrides["n"]!
            let inputOffsets = (0..<pixels).map { r -> IRValue in
                let pixel = firstPixel + r
                if window.strideH == 1 && window.strideW == 1 {
                    return image + pixel * inputStrides["w"]!  // input pixels are output pixels
                }
                let (oh, ow) = (pixel / outputWidth, pixel % outputWidth)
                return image + oh * (window.strideH * inputStrides["h"]!) + ow * (window.strideW * inputStrides["w"]!)
            }
            // Output pixels are consecutive: (oh, ow) is at oh·OW·sw + ow·sw in either layout.
            let outputOffsets = { (0..<pixels).map { r in n * outputStrides["n"]! + (firstPixel + r) * outputStrides["w"]! } }
            prefetchResidual(e, buffers, outputOffsets: outputOffsets, firstChannel: firstChannel, channels: channels)
            let sums = accumulate(e, buffers, group: group, kh: e.int(0), kw: e.int(0), pixelOffsets: inputOffsets,
                                  pixelRange: Array(0..<pixels), initial.count, (0..<pixels).flatMap { _ in initial },
                                  prefetch: tileInRun.flatMap { weightPrefetch?.range(tileInRun: $0) })
            store(e, buffers, sums, outputOffsets: outputOffsets(), firstChannel: firstChannel, channels: channels)
        }
        let (firstTile, endTile) = tiling.fullTiles(e, run: run)
        e.forLoop(from: firstTile, to: endTile) { index in tile(pixelsPerTile, index * pixelsPerTile, index - firstTile) }
        if !tiling.lastTiles.isEmpty {
            e.ifThen(run == e.int(tiling.runs - 1)) {
                for (first, pixels) in tiling.lastTiles { tile(pixels, e.int(first), nil) }
            }
        }
    }

    /// `rows` output rows from `oh` × `columns` output columns from `firstColumn` × `channels`
    /// output channels (pixel r: row r / columns, column r % columns): reduce in registers, then
    /// the epilogue and one store per element. An edge tile (`edgeColumn`, its first column at
    /// compile time) leaves out, at compile time, the taps of its pixels that fall outside the
    /// input row (they would read padding zeros).
    private func emitTile(_ e: FunctionEmitter, _ buffers: StepBuffers, n: IRValue, group: IRValue, oh: IRValue, rows: Int,
                          firstChannel: IRValue, channels: Int, initial: [IRValue], kernelRows: (IRValue, IRValue),
                          columns tileColumns: Int, firstColumn: IRValue, edgeColumn: Int?) {
        let vectors = initial.count
        let pixels = rows * tileColumns
        let image = n * inputStrides["n"]!
        let (sh, sw) = (inputStrides["h"]!, inputStrides["w"]!)
        /// The tap's FMAs for the tile's pixels `pixelRange`, whose columns (input columns of the
        /// tap) are `columns`.
        func tap(kh: IRValue, kw: IRValue, pixelRange: [Int], columns: [IRValue], _ accumulators: [IRValue]) -> [IRValue] {
            let rowBases = (0..<rows).map { image + window.inputRow(oh + $0, kh) * sh }
            let offsets = zip(pixelRange, columns).map { r, column in rowBases[r / tileColumns] + column * sw }
            return accumulate(e, buffers, group: group, kh: kh, kw: kw, pixelOffsets: offsets,
                              pixelRange: pixelRange, vectors, accumulators)
        }
        let outputOffsets = {
            (0..<pixels).map { r in
                n * outputStrides["n"]! + (oh + r / tileColumns) * outputStrides["h"]!
                    + (firstColumn + r % tileColumns) * outputStrides["w"]!
            }
        }
        prefetchResidual(e, buffers, outputOffsets: outputOffsets, firstChannel: firstChannel, channels: channels)
        let accumulators0 = (0..<pixels).flatMap { _ in initial }
        let sums = e.forLoop(from: kernelRows.0, to: kernelRows.1, carrying: accumulators0) { kh, accumulators in
            guard let edgeColumn else {
                // Taps of a kernel row in a loop, kept a loop: unrolled, LLVM reuses broadcasts
                // across kw (pixel r's tap kw + s is pixel r + 1's tap kw) and runs out of
                // registers (3-channel stems spilled accumulators: 58 % of peak).
                return e.forLoop(from: e.int(0), to: e.int(kernelWidth), carrying: accumulators,
                                 unrolled: false) { kw, accumulators in
                    let columns = (0..<pixels).map { r in window.inputColumn(firstColumn + r % tileColumns, kw) }
                    return tap(kh: kh, kw: kw, pixelRange: Array(0..<pixels), columns: columns, accumulators)
                }
            }
            var acc = accumulators
            for kw in 0..<kernelWidth {
                let columns = (0..<pixels).map { r in window.inputColumn(edgeColumn + r % tileColumns, kw) }
                let inside = (0..<pixels).filter { columns[$0] >= 0 && columns[$0] < inputWidth }
                guard !inside.isEmpty else { continue }
                acc = tap(kh: kh, kw: e.int(kw), pixelRange: inside, columns: inside.map { e.int(columns[$0]) }, acc)
            }
            return acc
        }
        store(e, buffers, sums, outputOffsets: outputOffsets(), firstChannel: firstChannel, channels: channels)
    }

    /// The FMAs of one tap (kh, kw) over all input channels into the accumulators of the pixels
    /// `pixelRange` (`vectors` per pixel), whose input pixels start at `pixelOffsets`: in the
    /// loop the input of each pixel and the packed weights advance by a fixed stride, so it is
    /// loads, broadcasts and FMAs only.
    private func accumulate(_ e: FunctionEmitter, _ buffers: StepBuffers, group: IRValue, kh: IRValue, kw: IRValue,
                            pixelOffsets: [IRValue], pixelRange: [Int], _ vectors: Int,
                            _ accumulators: [IRValue], prefetch: WeightPrefetch.Range? = nil) -> [IRValue] {
        let (x, w) = (buffers.operands[0].pointer, buffers.operands[1].pointer)
        let vectorType = LLVMVectorType(e.types.f32, UInt32(vectorWidth))!
        let sc = inputStrides["c"]!
        let blockStride = kernelHeight * kernelWidth * inputChannels * vectorWidth
        let weightBase = group * vectorsPerTile * blockStride + (kh * kernelWidth + kw) * (inputChannels * vectorWidth)
        return e.forLoop(from: e.int(0), to: e.int(inputChannels), carrying: accumulators) { ic, accumulators in
            var acc = accumulators
            if let prefetch { e.prefetch(w, prefetch.first + ic * prefetch.floatsPerStep) }
            let weights = (0..<vectors).map { v in
                e.loadVector(w, weightBase + ic * vectorWidth + v * blockStride, lanes: vectorWidth, width: vectorWidth)
            }
            for (r, base) in zip(pixelRange, pixelOffsets) {
                let broadcast = e.splat(e.load(x, base + ic * sc), width: vectorWidth)
                for v in 0..<vectors {
                    acc[r * vectors + v] = e.callIntrinsic("llvm.fma", overloadedOn: [vectorType],
                                                           [broadcast, weights[v], acc[r * vectors + v]])
                }
            }
            return acc
        }
    }

    /// Prefetches the residual lines a tile's epilogue adds, at the start of the tile: the
    /// residual was written a few steps earlier and is rarely still in L1/L2, and its loads would
    /// otherwise wait on memory after the reduction (ResNet-50's 1×1 convolutions with a fused
    /// residual add: 5–15 % faster).
    private func prefetchResidual(_ e: FunctionEmitter, _ buffers: StepBuffers, outputOffsets: () -> [IRValue],
                                  firstChannel: IRValue, channels: Int) {
        guard let residual = EpilogueEmitter(epilogue: attributes.epilogue).residual(buffers) else { return }
        for pixelOffset in outputOffsets() {
            for v in 0..<(channels + vectorWidth - 1) / vectorWidth {
                e.prefetch(residual.pointer, pixelOffset + (firstChannel + v * vectorWidth) * outputStrides["c"]!)
            }
        }
    }

    /// The epilogue and one store per element of a tile's sums (`vectors` per pixel), pixel r
    /// at `outputOffsets[r]`.
    private func store(_ e: FunctionEmitter, _ buffers: StepBuffers, _ sums: [IRValue], outputOffsets: [IRValue],
                       firstChannel: IRValue, channels: Int) {
        let epilogue = EpilogueEmitter(epilogue: attributes.epilogue)
        let vectors = (channels + vectorWidth - 1) / vectorWidth
        for (r, pixelOffset) in outputOffsets.enumerated() {
            for v in 0..<vectors {
                let lanes = min(vectorWidth, channels - v * vectorWidth)
                if lanes == vectorWidth && outputStrides["c"]! == 1 {
                    let index = pixelOffset + firstChannel + v * vectorWidth
                    if let value = epilogue.applyToVector(e, sums[r * vectors + v], buffers, resultIndex: index) {
                        e.storeVector(value, buffers.result.pointer, index)
                        continue
                    }
                }
                for lane in 0..<lanes {
                    let index = pixelOffset + (firstChannel + (v * vectorWidth + lane)) * outputStrides["c"]!
                    let sum = e.wrap(LLVMBuildExtractElement(e.builder, sums[r * vectors + v].reference,
                                                             e.int32(Int32(lane)).reference, "")!)
                    e.store(epilogue.apply(e, sum, buffers, resultIndex: index), buffers.result, index)
                }
            }
        }
    }
}

/// How a pointwise convolution's output pixels (numbered through the image) are cut into tiles
/// and runs (tasks): full tiles of `tileWidth`, spread evenly over `runs` runs, then the
/// image's last pixels in `lastTiles`, run by the last run. The last tiles are the remainder, or,
/// when the remainder is too narrow to hide FMA latency (fewer than 8 accumulators: a 49-pixel
/// image would end in a one-pixel tile), the last full tile and the remainder cut into two tiles
/// of nearly equal width (49 = 7 × 6 + 4 + 3).
struct PointwiseTiling {
    let tileWidth: Int
    let fullTileCount: Int
    let runs: Int
    /// (first pixel, pixels) of the tiles after the full ones.
    let lastTiles: [(Int, Int)]

    init(pixels: Int, tileWidth: Int, vectors: Int, pixelsPerRun: Int) {
        self.tileWidth = tileWidth
        var full = pixels / tileWidth
        let remainder = pixels % tileWidth
        var tail: [Int] = remainder > 0 ? [remainder] : []
        if remainder > 0 && remainder * vectors < 8 && full > 0 {
            full -= 1
            let width = tileWidth + remainder
            tail = [(width + 1) / 2, width / 2]
        }
        fullTileCount = full
        let tilesPerRun = max(1, pixelsPerRun / tileWidth)
        runs = max(1, (full + tilesPerRun / 2) / tilesPerRun)
        var first = full * tileWidth
        lastTiles = tail.map { width in defer { first += width }; return (first, width) }
    }

    /// The full tiles `[first, end)` of run `run`.
    func fullTiles(_ e: FunctionEmitter, run: IRValue) -> (IRValue, IRValue) {
        ((run * fullTileCount) / runs, ((run + 1) * fullTileCount) / runs)
    }
}

/// The packed weights of the next channel group (or GEMM panel), prefetched a slice per tile
/// while a run of tiles computes the current one, for weights too large to stay in L2 between
/// runs. Without it, each group's weights arrive from memory in one burst at the group's first
/// tile, faster than one core's share of the memory bandwidth (1×1 2048 → 512 at 7²: 128 KB in
/// ~12 k FMA cycles), and that tile waits; spread over the run's tiles they arrive in time
/// (ResNet-50's 1×1 convolutions at 14² and 7²: 5–10 % faster).
struct WeightPrefetch {
    /// Weights of at most this many bytes stay in L2 and are not prefetched.
    static let minimumWeightBytes = 128 << 10

    /// Floats prefetched per tile (a run's tiles cover the whole next group).
    let floatsPerTile: Int
    let nextGroupStart: IRValue
    /// Iterations of a tile's reduction loop.
    let reductionLength: Int

    /// What a tile prefetches: from float `first`, `floatsPerStep` more per iteration of the
    /// tile's reduction loop.
    struct Range {
        let first: IRValue
        let floatsPerStep: Int
    }

    /// Prefetches the `groupFloats` floats from `nextGroupStart` over a run of `tiling`'s tiles;
    /// nil when all the weights (`weightBytes`) are small enough to stay in cache.
    init?(weightBytes: Int, groupFloats: Int, nextGroupStart: IRValue, reductionLength: Int, tiling: PointwiseTiling) {
        guard weightBytes > WeightPrefetch.minimumWeightBytes else { return nil }
        let tilesPerRun = max(1, (tiling.fullTileCount + tiling.runs - 1) / tiling.runs)
        floatsPerTile = (groupFloats + tilesPerRun - 1) / tilesPerRun
        self.nextGroupStart = nextGroupStart
        self.reductionLength = reductionLength
    }

    /// The next channel group of a pointwise convolution.
    init?(_ kernel: FastConv2dKernel, tiling: PointwiseTiling, group: IRValue) {
        let groups = kernel.channelGroups
        let groupFloats = kernel.vectorsPerTile * kernel.inputChannels * kernel.vectorWidth
        self.init(weightBytes: groups * groupFloats * 4, groupFloats: groupFloats,
                  nextGroupStart: (group + 1) % groups * groupFloats, reductionLength: kernel.inputChannels, tiling: tiling)
    }

    /// The slice of tile `tileInRun` (counted from the run's first tile).
    func range(tileInRun: IRValue) -> Range {
        Range(first: nextGroupStart + tileInRun * floatsPerTile,
              floatsPerStep: (floatsPerTile + reductionLength - 1) / reductionLength)
    }
}

/// Compile-time weight repacking for `FastConv2dKernel`, and the tile shape it uses.
enum FastConv2dPacking {
    /// A filter constant as one step reads it: packings of one constant in two layouts differ.
    private struct PackingKey: Hashable {
        let constant: Int
        let layout: String
    }

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
    /// Two vectors by default (fewer broadcasts per FMA than three; one vector, a broadcast per
    /// FMA, measured twice as slow on 3×3 32→128 @27²). A row of `rowWidth` pixels (nil: no
    /// rows, a pointwise image) gets three vectors when that covers `vectorCount` vectors × the
    /// row (in `ConvolutionWindow.tileWidths`) in at least 5 % fewer FMA cycles, where a
    /// tile needs 8 accumulators to hide the FMA latency (4 cycles × 2 pipes): on a 7-pixel row,
    /// 3 vectors × (4 + 3) pixels beat 2 vectors × (4 + 3), whose 3-pixel tile waits on latency
    /// (measured 10 % faster); on 56 pixels the model's 3 % was not measurable.
    static func tile(vectorWidth: Int, vectorCount: Int, rowWidth: Int?) -> (Int, Int) {
        let registers = vectorWidth >= 16 ? 32 : 16
        func shape(_ vectors: Int) -> (Int, Int) { (vectors, min(12, (registers - vectors - 1) / vectors)) }
        guard vectorCount >= 2 else { return shape(1) }
        guard let rowWidth, vectorCount >= 3 else { return shape(2) }
        func cycles(_ shape: (vectors: Int, pixels: Int)) -> Int {
            func groupCycles(_ vectors: Int) -> Int {
                ConvolutionWindow.tileWidths(rowWidth: rowWidth, tileWidth: shape.pixels,
                                             minimumWidth: minimumTileWidth(vectors: shape.vectors))
                    .reduce(0) { $0 + max($1 * vectors, 8) }
            }
            let remainder = vectorCount % shape.vectors
            return vectorCount / shape.vectors * groupCycles(shape.vectors) + (remainder > 0 ? groupCycles(remainder) : 0)
        }
        return 100 * cycles(shape(3)) <= 95 * cycles(shape(2)) ? shape(3) : shape(2)
    }

    /// The fewest pixels a tile of `vectors` accumulator vectors per pixel needs to hide the FMA
    /// latency: 8 independent accumulators (4 cycles × 2 pipes).
    static func minimumTileWidth(vectors: Int) -> Int { (8 + vectors - 1) / vectors }

    /// Rewrites float32 conv2d steps whose filter is a constant to read a packed copy
    /// `[ceil(oc / VW)][kh][kw][ic][VW]` (zero-padded): `groups == 1` steps (for
    /// `FastConv2dKernel`) and depthwise ones, `groups == ic == oc` with one input channel per
    /// group (for `DepthwiseConv2dKernel`). A constant used only by such steps is replaced in
    /// place; otherwise the packed copy is appended.
    static func pack(_ program: KernelProgram, target: ResolvedTarget) -> KernelProgram {
        guard let vectorWidth = vectorWidth(target) else { return program }
        var result = program
        let uses = program.constantReaderCounts
        // (original constant index, filter layout) → packed constant index: the packing depends
        // on the layout the step reads the filter in, so one constant read in two layouts packs twice.
        var packedCache: [PackingKey: Int] = [:]
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
            let key = PackingKey(constant: filterIndex, layout: layout)
            if let cached = packedCache[key] {
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
                if uses[filterIndex] == 1 {  // its only use: the packed filter takes its place
                    result.constants[filterIndex] = data
                    packedIndex = filterIndex
                } else {
                    result.constants.append(data)
                    packedIndex = result.constants.count - 1
                }
                packedCache[key] = packedIndex
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
