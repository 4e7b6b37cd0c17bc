import CLLVM
import WebNNBasics
import WebNNLowering

/// Register-tiled, cache-blocked float32 matrix product for `matmul` and `gemm` steps (any
/// batch shape with broadcasting, either operand transposed, any element strides):
/// `(alpha · a) × b + beta · c`, then the fused epilogue (residual, activation).
///
/// The structure is GotoBLAS's/BLIS's. `b` is read from column panels of `panelWidth` =
/// `vectorsPerTile` × VW floats, laid out `[K][panelWidth]` (so the `vectorsPerTile` weight
/// vectors of one k are one contiguous run), zero-padded past N: a constant `b` is packed so at
/// compile time (`GemmPacking`; the step's `b` operand is then `[b's batch..., panels, K,
/// panelWidth]`); any other `b` (attention's K^T and V) is read in place where its rows are
/// contiguous (a full panel is then a `panelWidth`-float slice of each of K rows), and otherwise
/// (a transposed b, a last partial panel) packed by each task into a stack panel, read through
/// its own strides, so a transposed or strided `b` costs no separate copy.
///
/// A tile is `rows × vectorsPerTile` accumulators (`<VW x float>`, lanes = columns) kept in
/// registers over a K block: per k, `vectorsPerTile` panel loads and one broadcast of
/// `a[row, k]` per row (alpha scales each element, as the WebNN emulation scales a before the
/// product). K is cut into `kBlocks` blocks of at most `kBlock` so that a panel's block (the
/// BLIS micro-panel, ≤ `panelBlockBytes`) stays in L1 across a run's tiles; with more than one
/// block and more than one panel, a task first copies its rows' K block of `a` into a stack block (row pitch an odd number
/// of cache lines, so a tile's rows never share L1 sets, as rows 4 KB apart would), which stays in
/// L2 across the task's panels, and a tile adds each block's sums to the partial sums it stored
/// for the blocks before. After the last block `beta · c` is added, and a residual or activation
/// runs over the stored tile while it is in L1 (`EpilogueEmitter`, the element-wise kernels' own
/// code, which LLVM vectorizes).
///
/// Tasks are (batch, row run, panel group): per K block, panels of the group outer and the
/// run's tiles inner. Rows are cut like a pointwise convolution's pixels (`PointwiseTiling`:
/// full tiles, and a last tile never so narrow that FMA latency shows). Blocks and groups depend
/// on the shapes only, so each result element is summed in one order, bit-identical for any
/// thread count.
struct GemmKernel: KernelEmitter {
    let attributes: MatMulAttributes
    let batchShape: [Int]
    let m: Int, n: Int, k: Int
    let vectorWidth: Int
    let vectorsPerTile: Int, rowsPerTile: Int
    /// Element strides of a (m, k), of an unpacked b (k, n) and of c (m, n).
    let aStrides: (m: Int, k: Int), bStrides: (k: Int, n: Int), cStrides: (m: Int, n: Int)?
    /// Per batch axis of the result, the element stride of a and b (0 where broadcast); for a
    /// packed b, the stride between the packed matrices.
    let aBatchStrides: [Int], bBatchStrides: [Int]
    /// Whether b is the compile-time packed constant.
    let packedB: Bool
    let rows: RowCut
    /// K is reduced in `kBlocks` blocks of `kBlock` (the last one may be shorter).
    let kBlock: Int, kBlocks: Int
    /// With several K blocks, the row pitch (floats) of the task's packed block of a.
    let aPitch: Int?
    /// Consecutive panels per task.
    let panelsPerTask: Int

    /// Floats of `a` a row run keeps in L2 when a is read in place (once per panel).
    static let runBytes = 160 << 10
    /// The largest K block of one panel (kept in L1, or at worst L2, across a run's tiles).
    /// Measured on a loaded Ice Lake (Benchmarks/gemm.py): 24 KiB blocks (192 k of 32-float
    /// panels) cost the transformer's K = 384 products ~10 % against no blocking, and gained
    /// nothing at K = 1024 or 1536; 48 KiB leaves K ≤ 384 unblocked (docs/architecture.md).
    static let panelBlockBytes = 48 << 10
    /// The largest packed block of a (a task's rows × one K block, on the stack, kept in L2).
    static let aBlockBytes = 96 << 10
    /// With a packed a, panels are grouped so that there are about this many tasks (a group
    /// reuses one packed block, so fewer groups pack less; more balance threads better: 8 cost
    /// 128×1536×384 ~15 % at 1 thread against 2 or 4). A packed constant b read with a in place
    /// groups its panels for about twice as many tasks: a task's tiles then prefetch the task's
    /// own next panel (`WeightPrefetch`), where one panel a task had two threads prefetching each
    /// other's (the encoder at seq 128, 2 threads: minimum 3-5 % lower in 3 of 4 alternating
    /// rounds; seq 512 no different; 1 thread runs the same panels in the same order). With a
    /// packed a and fewer than 16 row runs, at least 2 groups: an odd number of equal tasks
    /// leaves a thread idle at the end (the seq-512 encoder's FFN2, 9 runs: 1.79x from 1 to 2
    /// threads; 18 tasks: the network 2 % faster at 2 threads, 1 thread no different).
    static let targetTasks = 4

    /// `packedB`: the shape of b packed by `GemmPacking`, or nil when b is read as it is (`b`).
    /// `rowBlock`: tasks take blocks of that many rows (`RowCut.blocks`) and every panel.
    init(_ attributes: MatMulAttributes, a: [Int], b: [Int], c: [Int]?, result: [Int], vectorWidth: Int,
         rowBlock: Int? = nil) throws {
        guard a.count >= 2, b.count >= 2, result.count >= 2 else {
            throw CodeGenError.unsupported("matmul of \(a) and \(b) into \(result)")
        }
        self.attributes = attributes
        self.vectorWidth = vectorWidth
        packedB = attributes.packedB
        let aRows = a[a.count - 2], aColumns = a[a.count - 1]
        let (m, k) = attributes.aTranspose ? (aColumns, aRows) : (aRows, aColumns)
        let batchShape = Array(result.dropLast(2))
        let n = result[result.count - 1]
        (self.m, self.n, self.k, self.batchShape) = (m, n, k, batchShape)
        guard result[result.count - 2] == m, k >= 1 else {
            throw CodeGenError.unsupported("matmul of \(a) and \(b) into \(result)")
        }
        let vectorCount = (n + vectorWidth - 1) / vectorWidth
        let (vectors, _) = FastConv2dPacking.tile(vectorWidth: vectorWidth, vectorCount: vectorCount, rowWidth: nil)
        if packedB {
            // [batch..., panels, K, panelWidth]
            let panelWidth = b[b.count - 1]
            guard b.count >= 3, b[b.count - 2] == k, panelWidth == GemmPacking.panelWidth(vectorWidth: vectorWidth, n: n),
                  b[b.count - 3] == (n + panelWidth - 1) / panelWidth else {
                throw CodeGenError.unsupported("packed matmul of \(a) and \(b) into \(result)")
            }
            vectorsPerTile = panelWidth / vectorWidth
            bStrides = (panelWidth, 1)
            bBatchStrides = broadcastStrides(Array(b.dropLast(3)), to: batchShape).map { $0 * b.suffix(3).reduce(1, *) }
        } else {
            let bRows = b[b.count - 2], bColumns = b[b.count - 1]
            let bK = attributes.bTranspose ? bColumns : bRows
            guard bK == k, (attributes.bTranspose ? bRows : bColumns) == n else {
                throw CodeGenError.unsupported("matmul of \(a) and \(b) into \(result)")
            }
            vectorsPerTile = vectors
            bStrides = attributes.bTranspose ? (1, bColumns) : (bColumns, 1)
            bBatchStrides = broadcastStrides(Array(b.dropLast(2)), to: batchShape).map { $0 * bRows * bColumns }
        }
        // Two vectors a row: as many rows as the registers hold beside the two panel vectors and a
        // broadcast (14 zmm rows, 6 ymm), where the convolutions stop at 12 (the transformer's
        // products measured 2–3 % faster at 14 than at 12); one vector: the convolutions' rows.
        let registers = vectorWidth >= 16 ? 32 : 16
        self.rowsPerTile = vectorsPerTile == 2 ? (registers - 3) / 2
            : FastConv2dPacking.tile(vectorWidth: vectorWidth, vectorCount: vectorsPerTile, rowWidth: nil).1
        aStrides = attributes.aTranspose ? (1, aColumns) : (aColumns, 1)
        aBatchStrides = broadcastStrides(Array(a.dropLast(2)), to: batchShape).map { $0 * aRows * aColumns }
        cStrides = try c.map { cShape in
            guard cShape.count <= 2 else { throw CodeGenError.unsupported("gemm with a batched c \(cShape)") }
            let strides = broadcastStrides(cShape, to: [m, n])
            return (strides[0], strides[1])
        }
        let panelWidth = vectorsPerTile * vectorWidth
        let longestBlock = max(vectorWidth, GemmKernel.panelBlockBytes / (4 * panelWidth))
        kBlocks = (k + longestBlock - 1) / longestBlock
        kBlock = (k + kBlocks - 1) / kBlocks
        let panels = (n + panelWidth - 1) / panelWidth
        let rowsPerRun: Int
        if kBlocks > 1 && panels > 1 {  // (a single panel reads each element of a once: nothing to gain)
            let lines = (kBlock + 15) / 16  // 16 floats a cache line
            aPitch = 16 * (lines % 2 == 0 ? lines + 1 : lines)
            rowsPerRun = max(self.rowsPerTile, GemmKernel.aBlockBytes / (4 * aPitch!))
        } else {
            aPitch = nil
            rowsPerRun = max(self.rowsPerTile, GemmKernel.runBytes / (4 * k))
        }
        if let rowBlock {
            rows = RowCut(rows: m, block: rowBlock, tileWidth: self.rowsPerTile, vectors: vectorsPerTile)
            panelsPerTask = panels
            return
        }
        let tiling = PointwiseTiling(pixels: m, tileWidth: self.rowsPerTile, vectors: vectorsPerTile, pixelsPerRun: rowsPerRun)
        rows = .runs(tiling)
        if aPitch != nil || packedB {
            let runs = batchShape.reduce(1, *) * tiling.runs
            let target = aPitch != nil ? GemmKernel.targetTasks : 2 * GemmKernel.targetTasks
            let groups = min(panels, max(runs < 16 ? 2 : 1, (target + runs - 1) / runs))
            panelsPerTask = (panels + groups - 1) / groups
        } else {
            panelsPerTask = 1
        }
    }

    var panelWidth: Int { vectorsPerTile * vectorWidth }
    /// Whether an unpacked b whose rows are contiguous (attention's K^T and V) is read in place,
    /// each full panel a `panelWidth`-float slice of K rows `bStrides.k` floats apart, instead of
    /// copied into a stack panel by every task.
    private var bReadInPlace: Bool { !packedB && bStrides.n == 1 }
    private var lastColumnsFull: Bool { n % panelWidth == 0 }
    var panels: Int { (n + panelWidth - 1) / panelWidth }
    private var panelGroups: Int { (panels + panelsPerTask - 1) / panelsPerTask }
    private var batchCount: Int { batchShape.reduce(1, *) }
    var taskCount: Int { batchCount * rows.count * panelGroups }
    /// Tasks are batch-major.
    func splits(intoRounds rounds: Int) -> Bool { batchShape.count >= 1 && batchCount % rounds == 0 }

    func emitTask(_ e: FunctionEmitter, _ buffers: StepBuffers, task: IRValue) {
        let group = task % panelGroups, run = task / panelGroups % rows.count, batch = task / (panelGroups * rows.count)
        var aBase = e.int(0), bBase = e.int(0)
        var remaining = batch
        for axis in batchShape.indices.reversed() {
            let index = remaining % batchShape[axis]
            remaining = remaining / batchShape[axis]
            if aBatchStrides[axis] != 0 { aBase = aBase + index * aBatchStrides[axis] }
            if bBatchStrides[axis] != 0 { bBase = bBase + index * bBatchStrides[axis] }
        }
        let (firstRow, endRow) = rows.range(e, run: run, of: m)
        let aBlock = aPitch.map { e.entryAlloca(e.types.f32, count: rows.longestRun * $0) }
        let bPanel = packedB || (bReadInPlace && lastColumnsFull) ? nil : e.entryAlloca(e.types.f32, count: kBlock * panelWidth)
        let firstPanel = group * panelsPerTask
        let endPanel = panelGroups * panelsPerTask == panels ? firstPanel + panelsPerTask
            : e.minimum(firstPanel + panelsPerTask, e.int(panels))
        let lastColumns = n - (panels - 1) * panelWidth
        e.forLoop(from: 0, to: kBlocks) { block in
            let kStart = block * kBlock
            let kLength = kBlocks == 1 ? e.int(k) : e.minimum(e.int(kBlock), e.int(k) - kStart)
            let blocks = kBlocks == 1 ? nil : KBlockFlags(first: block == e.int(0), last: block == e.int(kBlocks - 1))
            // a, at (row, k of the block) = pointer[offset(row) + k · stride]
            let aSource: (pointer: IRValue, offset: (IRValue) -> IRValue, stride: Int)
            if let aBlock, let aPitch {
                packA(e, buffers, aBase: aBase, firstRow: firstRow, endRow: endRow, kStart: kStart, kLength: kLength, into: aBlock)
                aSource = (aBlock, { row in (row - firstRow) * aPitch }, 1)
            } else {
                aSource = (buffers.operands[0].pointer, { row in aBase + row * aStrides.m + kStart * aStrides.k }, aStrides.k)
            }
            e.forLoop(from: firstPanel, to: endPanel) { panel in
                let emit = { (columns: Int) in
                    let (panelPointer, panelBase, panelStride): (IRValue, IRValue, Int)
                    if bReadInPlace && columns == panelWidth {
                        (panelPointer, panelBase, panelStride) = (buffers.operands[1].pointer,
                                                                  bBase + panel * panelWidth + kStart * bStrides.k, bStrides.k)
                    } else if let bPanel {
                        (panelPointer, panelBase, panelStride) = (packPanel(e, buffers, bBase: bBase, panel: panel, columns: columns,
                                                                            kStart: kStart, kLength: kLength, into: bPanel),
                                                                  e.int(0), panelWidth)
                    } else {
                        (panelPointer, panelBase, panelStride) = (buffers.operands[1].pointer,
                                                                  bBase + panel * (k * panelWidth) + kStart * panelWidth, panelWidth)
                    }
                    // The next panel's block (wrapping to the first panel) while this one's tiles run.
                    let weightPrefetch = packedB ? WeightPrefetch(
                        weightBytes: 4 * panels * k * panelWidth, groupFloats: kBlock * panelWidth,
                        nextGroupStart: bBase + (panel + 1) % panels * (k * panelWidth) + kStart * panelWidth,
                        reductionLength: kBlock, tiling: rows.prefetchTiling) : nil
                    rows.forEachTile(e, run: run) { tileRows, tileFirstRow, tileInRun in
                        emitTile(e, buffers, batch: batch, a: (aSource.pointer, (0..<tileRows).map { aSource.offset(tileFirstRow + $0) },
                                                               aSource.stride),
                                 panel: (panelPointer, panelBase, panelStride), panelIndex: panel, columns: columns,
                                 firstRow: tileFirstRow, kLength: kLength, blocks: blocks,
                                 prefetch: tileInRun.flatMap { weightPrefetch?.range(tileInRun: $0) })
                    }
                }
                if lastColumns == panelWidth {
                    emit(panelWidth)
                } else if panels == 1 {
                    emit(lastColumns)
                } else {
                    e.ifThenElse(panel == e.int(panels - 1), then: { emit(lastColumns) }, else: { emit(panelWidth) })
                }
            }
        }
    }

    /// An epilogue that is only a `linear` activation (attention's scaling of the scores): its
    /// `alpha · x + beta` (one fmuladd, as the element-wise kernel computes it) is applied to the
    /// registers before they are stored, not in a second pass over the stored tile.
    private var registerScale: (Float, Float)? {
        guard case .linear(let alpha, let beta)? = attributes.epilogue.activation, attributes.epilogue.operandCount == 0 else {
            return nil
        }
        return (Float(alpha), Float(beta))
    }

    /// How the tasks cut the rows: into `runs` of whole tiles (`PointwiseTiling`: full tiles
    /// shared out evenly, the last tiles in the last run), or into `blocks` of `size` rows, the
    /// last one shorter, each tiled on its own, so that task t of any kernel cut alike covers the
    /// same rows, whatever its tile (an attention run's fused tasks, `SoftmaxKernel`'s lines).
    enum RowCut {
        case runs(PointwiseTiling)
        case blocks(size: Int, count: Int, full: PointwiseTiling, last: PointwiseTiling)

        init(rows: Int, block: Int, tileWidth: Int, vectors: Int) {
            let count = (rows + block - 1) / block
            let tiling = { (pixels: Int) in PointwiseTiling(pixels: pixels, tileWidth: tileWidth, vectors: vectors, pixelsPerRun: pixels) }
            self = .blocks(size: block, count: count, full: tiling(block), last: tiling(rows - (count - 1) * block))
        }

        var count: Int {
            switch self {
            case .runs(let tiling): return tiling.runs
            case .blocks(_, let count, _, _): return count
            }
        }

        /// The most rows of one run or block.
        var longestRun: Int {
            switch self {
            case .runs(let tiling):
                return (tiling.fullTileCount + tiling.runs - 1) / tiling.runs * tiling.tileWidth + tiling.lastTiles.reduce(0) { $0 + $1.1 }
            case .blocks(let size, _, _, _): return size
            }
        }

        /// The tiling whose runs a weight prefetch spreads over.
        var prefetchTiling: PointwiseTiling {
            switch self {
            case .runs(let tiling): return tiling
            case .blocks(_, _, let full, _): return full
            }
        }

        /// Rows `[first, end)` of run (or block) `run` of the `rows` rows.
        func range(_ e: FunctionEmitter, run: IRValue, of rows: Int) -> (IRValue, IRValue) {
            switch self {
            case .runs(let tiling):
                let (firstTile, endTile) = tiling.fullTiles(e, run: run)
                return (firstTile * tiling.tileWidth, e.select(run == e.int(tiling.runs - 1), e.int(rows), endTile * tiling.tileWidth))
            case .blocks(let size, _, _, _):
                return (run * size, e.minimum(run * size + size, e.int(rows)))
            }
        }

        /// `tile(rows, firstRow, tileInRun)` for each tile of run (or block) `run`; `tileInRun`
        /// counts the full tiles and is nil for the last ones.
        func forEachTile(_ e: FunctionEmitter, run: IRValue, _ tile: (Int, IRValue, IRValue?) -> Void) {
            func tiles(_ tiling: PointwiseTiling, from first: IRValue, to end: IRValue, offset: IRValue, last: IRValue?) {
                e.forLoop(from: first, to: end) { index in tile(tiling.tileWidth, offset + index * tiling.tileWidth, index - first) }
                guard !tiling.lastTiles.isEmpty else { return }
                func lastTiles() { for (first, count) in tiling.lastTiles { tile(count, offset + first, nil) } }
                if let last { e.ifThen(last, lastTiles) } else { lastTiles() }
            }
            switch self {
            case .runs(let tiling):
                let (firstTile, endTile) = tiling.fullTiles(e, run: run)
                tiles(tiling, from: firstTile, to: endTile, offset: e.int(0), last: run == e.int(tiling.runs - 1))
            case .blocks(let size, let count, let full, let last):
                func block(_ tiling: PointwiseTiling) {
                    tiles(tiling, from: e.int(0), to: e.int(tiling.fullTileCount), offset: run * size, last: nil)
                }
                if count == 1 {
                    block(last)
                } else {
                    e.ifThenElse(run == e.int(count - 1), then: { block(last) }, else: { block(full) })
                }
            }
        }
    }

    /// Whether the current K block is the first (the tile starts from zero, not from its stored
    /// partial sums) and the last (c and the epilogue follow).
    private struct KBlockFlags { let first: IRValue, last: IRValue }

    /// Copies rows `[firstRow, endRow)` of a, columns `[kStart, kStart + kLength)`, times alpha,
    /// into `block` (row-major, `aPitch` floats a row): one vector at a time along a row when a's
    /// k stride is 1, else one element at a time, rows innermost (a transposed a's contiguous axis).
    private func packA(_ e: FunctionEmitter, _ buffers: StepBuffers, aBase: IRValue, firstRow: IRValue, endRow: IRValue,
                       kStart: IRValue, kLength: IRValue, into block: IRValue) {
        let a = buffers.operands[0].pointer, pitch = aPitch!
        let scaled = { (value: IRValue, width: Int?) -> IRValue in
            guard attributes.alpha != 1 else { return value }
            let alpha = e.float(attributes.alpha)
            return value * (width.map { e.splat(alpha, width: $0) } ?? alpha)
        }
        if aStrides.k == 1 {
            let vectorEnd = kLength / vectorWidth * vectorWidth
            e.forLoop(from: firstRow, to: endRow) { row in
                let source = aBase + row * aStrides.m + kStart, target = (row - firstRow) * pitch
                e.forLoop(from: e.int(0), to: vectorEnd, step: vectorWidth) { j in
                    let vector = e.loadVector(a, source + j, lanes: vectorWidth, width: vectorWidth)
                    e.storeVector(scaled(vector, vectorWidth), block, target + j)
                }
                e.forLoop(from: vectorEnd, to: kLength) { j in e.store(scaled(e.load(a, source + j), nil), block, target + j) }
            }
        } else {
            e.forLoop(from: e.int(0), to: kLength) { j in
                let source = aBase + (kStart + j) * aStrides.k
                e.forLoop(from: firstRow, to: endRow) { row in
                    e.store(scaled(e.load(a, source + row * aStrides.m), nil), block, (row - firstRow) * pitch + j)
                }
            }
        }
    }

    /// Copies `columns` columns of b from column `panel · panelWidth`, rows `[kStart, kStart +
    /// kLength)`, into the stack panel `[kLength][panelWidth]`, zero past `columns`; returns it.
    private func packPanel(_ e: FunctionEmitter, _ buffers: StepBuffers, bBase: IRValue, panel: IRValue,
                           columns: Int, kStart: IRValue, kLength: IRValue, into stack: IRValue) -> IRValue {
        let b = buffers.operands[1].pointer
        let firstColumn = bBase + panel * (panelWidth * bStrides.n)
        e.forLoop(from: e.int(0), to: kLength) { kIndex in
            let row = firstColumn + (kStart + kIndex) * bStrides.k
            if bStrides.n == 1 {
                for v in 0..<vectorsPerTile {
                    let lanes = max(0, min(vectorWidth, columns - v * vectorWidth))
                    let vector = lanes == 0 ? e.wrap(LLVMConstNull(LLVMVectorType(e.types.f32, UInt32(vectorWidth))))
                        : e.loadVector(b, row + v * vectorWidth, lanes: lanes, width: vectorWidth)
                    e.storeVector(vector, stack, kIndex * panelWidth + v * vectorWidth)
                }
            } else {
                for j in 0..<panelWidth {
                    let value = j < columns ? e.load(b, row + j * bStrides.n) : e.float(0)
                    e.store(value, stack, kIndex * panelWidth + j)
                }
            }
        }
        return stack
    }

    /// `a.offsets.count` rows from `firstRow` × the panel's `columns` columns over one K block:
    /// the reduction in registers (from zero, or from the partial sums stored for the blocks
    /// before), then, after the last block, beta · c; one store per element, and the epilogue.
    /// With `prefetch`, each k also prefetches its slice of the next panel (`WeightPrefetch`).
    /// Row r's a element k is `a.pointer[a.offsets[r] + k · a.stride]` (already scaled by alpha
    /// when packed, stride 1).
    private func emitTile(_ e: FunctionEmitter, _ buffers: StepBuffers, batch: IRValue,
                          a: (pointer: IRValue, offsets: [IRValue], stride: Int),
                          panel panelSource: (pointer: IRValue, base: IRValue, rowStride: Int), panelIndex panel: IRValue, columns: Int,
                          firstRow: IRValue, kLength: IRValue, blocks: KBlockFlags?, prefetch: WeightPrefetch.Range?) {
        let rows = a.offsets.count
        let vectors = (columns + vectorWidth - 1) / vectorWidth
        let vectorType = LLVMVectorType(e.types.f32, UInt32(vectorWidth))!
        let zero = e.wrap(LLVMConstNull(vectorType))
        let y = buffers.result.pointer
        let firstColumn = panel * panelWidth
        let resultRow = { (r: IRValue) in (batch * m + firstRow + r) * n }
        let lanes = { (v: Int) in min(vectorWidth, columns - v * vectorWidth) }
        var initial = Array(repeating: zero, count: rows * vectors)
        if let blocks {
            for r in 0..<rows {
                for v in 0..<vectors {
                    let stored = e.loadVector(y, resultRow(e.int(r)) + firstColumn + v * vectorWidth, lanes: lanes(v), width: vectorWidth)
                    initial[r * vectors + v] = e.select(blocks.first, zero, stored)
                }
            }
        }
        let scaleA = attributes.alpha != 1 && aPitch == nil
        let sums = e.forLoop(from: e.int(0), to: kLength, carrying: initial) { kIndex, accumulators in
            var acc = accumulators
            if let prefetch { e.prefetch(panelSource.pointer, prefetch.first + kIndex * prefetch.floatsPerStep) }
            let weights = (0..<vectors).map { v in
                e.loadVector(panelSource.pointer, panelSource.base + kIndex * panelSource.rowStride + v * vectorWidth, lanes: vectorWidth,
                             width: vectorWidth)
            }
            for r in 0..<rows {
                // The spec's emulation scales a before the product: alpha · a, rounded, then × b.
                var element = e.load(a.pointer, a.offsets[r] + kIndex * a.stride)
                if scaleA { element = element * e.float(attributes.alpha) }
                let broadcast = e.splat(element, width: vectorWidth)
                for v in 0..<vectors {
                    acc[r * vectors + v] = e.callIntrinsic("llvm.fma", overloadedOn: [vectorType],
                                                           [broadcast, weights[v], acc[r * vectors + v]])
                }
            }
            return acc
        }
        for r in 0..<rows {
            for v in 0..<vectors {
                var value = sums[r * vectors + v]
                // beta · c is added even for beta = 0 (the emulation's add: c's infinities and NaNs show)
                if let cStrides {
                    let cBase = (firstRow + r) * cStrides.m
                    let column = firstColumn + v * vectorWidth
                    var c: IRValue
                    if cStrides.n == 0 {
                        c = e.splat(e.load(buffers.operands[2].pointer, cBase), width: vectorWidth)
                    } else if cStrides.n == 1 {
                        c = e.loadVector(buffers.operands[2].pointer, cBase + column, lanes: lanes(v), width: vectorWidth)
                    } else {
                        c = zero
                        for lane in 0..<lanes(v) {
                            let element = e.load(buffers.operands[2].pointer, cBase + (column + lane) * cStrides.n)
                            c = e.wrap(LLVMBuildInsertElement(e.builder, c.reference, element.reference,
                                                              e.int32(Int32(lane)).reference, "")!)
                        }
                    }
                    if attributes.beta != 1 { c = c * e.splat(e.float(attributes.beta), width: vectorWidth) }
                    let withC = value + c
                    value = blocks.map { e.select($0.last, withC, value) } ?? withC
                }
                if let (alpha, beta) = registerScale {
                    let scaled = e.mulAdd(value, e.splat(e.float(alpha), width: vectorWidth), e.splat(e.float(beta), width: vectorWidth))
                    value = blocks.map { e.select($0.last, scaled, value) } ?? scaled
                }
                e.storeVector(value, y, resultRow(e.int(r)) + firstColumn + v * vectorWidth, lanes: lanes(v))
            }
        }
        let epilogue = EpilogueEmitter(epilogue: attributes.epilogue)
        guard !epilogue.isEmpty, registerScale == nil else { return }
        // A loop over the rows, not unrolled: one copy of the epilogue's code, its constants
        // in registers (unrolled over a 14 × 2-vector tile, gelu's spilled and reloaded them).
        let apply = {
            _ = e.forLoop(from: e.int(0), to: e.int(rows), carrying: [], unrolled: false) { r, _ in
                let base = resultRow(r) + firstColumn
                e.forLoop(from: 0, to: columns) { column in
                    let index = base + column
                    e.store(epilogue.apply(e, e.load(buffers.result, index), buffers, resultIndex: index), buffers.result, index)
                }
                return []
            }
        }
        if let blocks { e.ifThen(blocks.last, apply) } else { apply() }
    }
}

extension FunctionEmitter {
    /// Stores the first `lanes` lanes of a float vector at `x[index...]` (unaligned): one vector
    /// store when all lanes are stored, else one element at a time.
    func storeVector(_ vector: IRValue, _ x: IRValue, _ index: IRValue, lanes: Int? = nil) {
        let width = Int(LLVMGetVectorSize(vector.type))
        if lanes == nil || lanes == width {
            return store(vector, to: elementPointer(types.f32, x, index), alignment: 4)
        }
        for lane in 0..<lanes! {
            let element = wrap(LLVMBuildExtractElement(builder, vector.reference, int32(Int32(lane)).reference, "")!)
            store(element, x, index + lane)
        }
    }
}

/// Compile-time packing of constant `b` operands for `GemmKernel`.
enum GemmPacking {
    /// Columns per panel: two vectors, or one when N fits one vector.
    static func panelWidth(vectorWidth: Int, n: Int) -> Int {
        let vectorCount = (n + vectorWidth - 1) / vectorWidth
        return FastConv2dPacking.tile(vectorWidth: vectorWidth, vectorCount: vectorCount, rowWidth: nil).0 * vectorWidth
    }

    /// Rewrites float32 matmul steps whose `b` is a constant to read a packed copy
    /// `[b's batch..., panels, K, panelWidth]` (transposes resolved, columns past N zero) and
    /// marks them `packedB`. A constant used only by such steps (in one way) is replaced in place.
    static func pack(_ program: KernelProgram, target: ResolvedTarget) -> KernelProgram {
        guard let vectorWidth = FastConv2dPacking.vectorWidth(target) else { return program }
        var result = program
        let uses = program.constantReaderCounts
        struct Key: Hashable { let constant: Int, transposed: Bool, panelWidth: Int }
        var cache: [Key: Int] = [:]
        for stepIndex in result.steps.indices {
            let step = result.steps[stepIndex]
            guard case .matmul(var attributes) = step.kernel, !attributes.packedB,
                  step.operands.count >= 2, step.operands[1].strides == nil,
                  case .constant(let bIndex) = step.operands[1].location,
                  step.result.type.dataType == .float32,
                  step.operands.allSatisfy({ $0.type.dataType == .float32 }) else { continue }
            let hasC = step.operands.count - attributes.epilogue.operandCount == 3
            if hasC && step.operands[2].type.rank > 2 { continue }  // GemmKernel takes c of rank ≤ 2
            let shape = step.operands[1].type.shape
            let (rows, columns) = (shape[shape.count - 2], shape[shape.count - 1])
            let (k, n) = attributes.bTranspose ? (columns, rows) : (rows, columns)
            let width = panelWidth(vectorWidth: vectorWidth, n: n)
            let panels = (n + width - 1) / width
            let batches = shape.dropLast(2).reduce(1, *)
            let packedShape = Array(shape.dropLast(2)) + [panels, k, width]
            let key = Key(constant: bIndex, transposed: attributes.bTranspose, panelWidth: width)
            let packedIndex: Int
            if let cached = cache[key] {
                packedIndex = cached
            } else {
                let values = program.constants[bIndex].floats
                let (sk, sn) = attributes.bTranspose ? (1, columns) : (columns, 1)
                var packed = [Float](repeating: 0, count: batches * panels * k * width)
                var index = 0
                for batch in 0..<batches {
                    let base = batch * rows * columns
                    for panel in 0..<panels {
                        for kIndex in 0..<k {
                            for j in 0..<width {
                                let column = panel * width + j
                                if column < n { packed[index] = values[base + kIndex * sk + column * sn] }
                                index += 1
                            }
                        }
                    }
                }
                let data = TensorData(float32: packed, shape: packedShape)
                if uses[bIndex] == 1 {
                    result.constants[bIndex] = data
                    packedIndex = bIndex
                } else {
                    result.constants.append(data)
                    packedIndex = result.constants.count - 1
                }
                cache[key] = packedIndex
            }
            attributes.packedB = true
            attributes.bTranspose = false
            result.steps[stepIndex].kernel = .matmul(attributes)
            result.steps[stepIndex].operands[1] = BufferRef(.constant(packedIndex), TensorType(.float32, packedShape))
        }
        return result
    }
}
