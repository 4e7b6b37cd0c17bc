import CLLVM
import WebNNBasics
import WebNNLowering

/// Register-tiled float32 matrix product for `matmul` and `gemm` steps (any batch shape with
/// broadcasting, either operand transposed, any element strides): `(alpha · a) × b + beta · c`,
/// then the fused epilogue (residual, activation).
///
/// `b` is read from column panels of `panelWidth` = `vectorsPerTile` × VW floats, laid out
/// `[K][panelWidth]` (so the `vectorsPerTile` weight vectors of one k are one contiguous run),
/// zero-padded past N: a constant `b` is packed so at compile time (`GemmPacking`; the step's
/// `b` operand is then `[b's batch..., panels, K, panelWidth]`), any other `b` (attention's K^T
/// and V) is packed by each task into a stack panel, read through its own strides, so a
/// transposed or strided `b` costs no separate copy.
///
/// A tile is `rows × vectorsPerTile` accumulators (`<VW x float>`, lanes = columns) kept in
/// registers over the whole K reduction: per k, `vectorsPerTile` panel loads and one broadcast
/// of `a[row, k]` per row (read directly through a's strides, so a transposed `a` needs no
/// packing either; alpha scales each broadcast element, as the WebNN emulation scales a before
/// the product). After the reduction `beta · c` is added, and the tile is stored; a residual or activation then runs over the
/// stored tile while it is in L1 (`EpilogueEmitter`, the element-wise kernels' own code, which
/// LLVM vectorizes).
///
/// Tasks are (batch, row run, panel), panels innermost: a run's rows of `a` stay in L2 while
/// the panels stream, and a panel stays in L1 across the run's tiles. Rows are cut like a
/// pointwise convolution's pixels (`PointwiseTiling`: full tiles, and a last tile never so
/// narrow that FMA latency shows). K is never split: each result element is summed by one task
/// in one order, so results are bit-identical for any thread count.
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
    let rows: PointwiseTiling

    /// Floats of `a` a row run keeps in L2 (a run's rows are re-read once per panel).
    static let runBytes = 160 << 10
    /// The largest panel (K × panelWidth floats) a task packs on its stack.
    static let stackPanelBytes = 64 << 10

    /// `packedB`: the shape of b packed by `GemmPacking`, or nil when b is read as it is (`b`).
    init(_ attributes: MatMulAttributes, a: [Int], b: [Int], c: [Int]?, result: [Int], vectorWidth: Int) throws {
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
        guard result[result.count - 2] == m else { throw CodeGenError.unsupported("matmul of \(a) and \(b) into \(result)") }
        let vectorCount = (n + vectorWidth - 1) / vectorWidth
        let (vectors, rowsPerTile) = FastConv2dPacking.tile(vectorWidth: vectorWidth, vectorCount: vectorCount, rowWidth: nil)
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
            guard k * vectors * vectorWidth * 4 <= GemmKernel.stackPanelBytes else {
                throw CodeGenError.unsupported("matmul with K = \(k): its panel does not fit the stack")
            }
        }
        // A tile of fewer vectors (one vector of columns) takes more rows.
        self.rowsPerTile = vectorsPerTile == vectors ? rowsPerTile
            : FastConv2dPacking.tile(vectorWidth: vectorWidth, vectorCount: vectorsPerTile, rowWidth: nil).1
        aStrides = attributes.aTranspose ? (1, aColumns) : (aColumns, 1)
        aBatchStrides = broadcastStrides(Array(a.dropLast(2)), to: batchShape).map { $0 * aRows * aColumns }
        cStrides = try c.map { cShape in
            guard cShape.count <= 2 else { throw CodeGenError.unsupported("gemm with a batched c \(cShape)") }
            let strides = broadcastStrides(cShape, to: [m, n])
            return (strides[0], strides[1])
        }
        let rowsPerRun = max(self.rowsPerTile, GemmKernel.runBytes / max(1, 4 * k))
        rows = PointwiseTiling(pixels: m, tileWidth: self.rowsPerTile, vectors: vectorsPerTile, pixelsPerRun: rowsPerRun)
    }

    var panelWidth: Int { vectorsPerTile * vectorWidth }
    var panels: Int { (n + panelWidth - 1) / panelWidth }
    private var batchCount: Int { batchShape.reduce(1, *) }
    var taskCount: Int { batchCount * rows.runs * panels }

    func emitTask(_ e: FunctionEmitter, _ buffers: StepBuffers, task: IRValue) {
        let panel = task % panels, run = task / panels % rows.runs, batch = task / (panels * rows.runs)
        var aBase = e.int(0), bBase = e.int(0)
        var remaining = batch
        for axis in batchShape.indices.reversed() {
            let index = remaining % batchShape[axis]
            remaining = remaining / batchShape[axis]
            if aBatchStrides[axis] != 0 { aBase = aBase + index * aBatchStrides[axis] }
            if bBatchStrides[axis] != 0 { bBase = bBase + index * bBatchStrides[axis] }
        }
        let lastColumns = n - (panels - 1) * panelWidth
        let emit = { (columns: Int) in
            let (panelPointer, panelBase) = packedB
                ? (buffers.operands[1].pointer, bBase + panel * (k * panelWidth))
                : (packPanel(e, buffers, bBase: bBase, panel: panel, columns: columns), e.int(0))
            let tile = { (tileRows: Int, firstRow: IRValue) in
                emitTile(e, buffers, batch: batch, aBase: aBase, panelPointer: panelPointer, panelBase: panelBase,
                         panel: panel, columns: columns, rows: tileRows, firstRow: firstRow)
            }
            let (firstTile, endTile) = rows.fullTiles(e, run: run)
            e.forLoop(from: firstTile, to: endTile) { index in tile(rowsPerTile, index * rowsPerTile) }
            if !rows.lastTiles.isEmpty {
                e.ifThen(run == e.int(rows.runs - 1)) {
                    for (first, count) in rows.lastTiles { tile(count, e.int(first)) }
                }
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

    /// Copies `columns` columns of b from column `panel · panelWidth` into a stack panel
    /// `[K][panelWidth]`, zero past `columns`; returns the panel's pointer.
    private func packPanel(_ e: FunctionEmitter, _ buffers: StepBuffers, bBase: IRValue, panel: IRValue,
                           columns: Int) -> IRValue {
        let stack = e.entryAlloca(e.types.f32, count: k * panelWidth)
        let b = buffers.operands[1].pointer
        let firstColumn = bBase + panel * (panelWidth * bStrides.n)
        e.forLoop(from: 0, to: k) { kIndex in
            let row = firstColumn + kIndex * bStrides.k
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

    /// `rows` rows from `firstRow` × the panel's `columns` columns: the K reduction in
    /// registers, then alpha, beta · c, one store per element, and the epilogue.
    private func emitTile(_ e: FunctionEmitter, _ buffers: StepBuffers, batch: IRValue, aBase: IRValue,
                          panelPointer: IRValue, panelBase: IRValue, panel: IRValue, columns: Int, rows: Int,
                          firstRow: IRValue) {
        let vectors = (columns + vectorWidth - 1) / vectorWidth
        let vectorType = LLVMVectorType(e.types.f32, UInt32(vectorWidth))!
        let a = buffers.operands[0].pointer
        let zero = e.wrap(LLVMConstNull(vectorType))
        let rowOffsets = (0..<rows).map { r in aBase + (firstRow + r) * aStrides.m }
        let sums = e.forLoop(from: e.int(0), to: e.int(k), carrying: Array(repeating: zero, count: rows * vectors)) {
            kIndex, accumulators in
            var acc = accumulators
            let weights = (0..<vectors).map { v in
                e.loadVector(panelPointer, panelBase + kIndex * panelWidth + v * vectorWidth, lanes: vectorWidth,
                             width: vectorWidth)
            }
            for r in 0..<rows {
                // The spec's emulation scales a before the product: alpha · a, rounded, then × b.
                var element = e.load(a, rowOffsets[r] + kIndex * aStrides.k)
                if attributes.alpha != 1 { element = e.floatMultiply(element, e.float(attributes.alpha)) }
                let broadcast = e.splat(element, width: vectorWidth)
                for v in 0..<vectors {
                    acc[r * vectors + v] = e.callIntrinsic("llvm.fma", overloadedOn: [vectorType],
                                                           [broadcast, weights[v], acc[r * vectors + v]])
                }
            }
            return acc
        }
        let y = buffers.result.pointer
        let firstColumn = panel * panelWidth
        let resultRow = { (r: Int) in (batch * m + firstRow + r) * n }
        for r in 0..<rows {
            for v in 0..<vectors {
                var value = sums[r * vectors + v]
                let lanes = min(vectorWidth, columns - v * vectorWidth)
                // beta · c is added even for beta = 0 (the emulation's add: c's infinities and NaNs show)
                if let cStrides {
                    let cBase = (firstRow + r) * cStrides.m
                    let column = firstColumn + v * vectorWidth
                    var c: IRValue
                    if cStrides.n == 0 {
                        c = e.splat(e.load(buffers.operands[2].pointer, cBase), width: vectorWidth)
                    } else if cStrides.n == 1 {
                        c = e.loadVector(buffers.operands[2].pointer, cBase + column, lanes: lanes, width: vectorWidth)
                    } else {
                        c = zero
                        for lane in 0..<lanes {
                            let element = e.load(buffers.operands[2].pointer, cBase + (column + lane) * cStrides.n)
                            c = e.wrap(LLVMBuildInsertElement(e.builder, c.reference, element.reference,
                                                              e.int32(Int32(lane)).reference, "")!)
                        }
                    }
                    if attributes.beta != 1 { c = e.floatMultiply(c, e.splat(e.float(attributes.beta), width: vectorWidth)) }
                    value = e.floatAdd(value, c)
                }
                e.storeVector(value, y, resultRow(r) + firstColumn + v * vectorWidth, lanes: lanes)
            }
        }
        let epilogue = EpilogueEmitter(epilogue: attributes.epilogue)
        guard !epilogue.isEmpty else { return }
        for r in 0..<rows {
            let base = resultRow(r) + firstColumn
            e.forLoop(from: 0, to: columns) { column in
                let index = base + column
                e.store(epilogue.apply(e, e.load(buffers.result, index), buffers, resultIndex: index), buffers.result, index)
            }
        }
    }
}

extension FunctionEmitter {
    /// `a + b` and `a · b` of floats or float vectors (the `IRValue` operators take a vector
    /// for an integer).
    func floatAdd(_ a: IRValue, _ b: IRValue) -> IRValue { wrap(LLVMBuildFAdd(builder, a.reference, b.reference, "")!) }
    func floatMultiply(_ a: IRValue, _ b: IRValue) -> IRValue { wrap(LLVMBuildFMul(builder, a.reference, b.reference, "")!) }

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
        var uses: [Int: Int] = [:]
        for step in program.steps {
            for operand in step.operands {
                if case .constant(let index) = operand.location { uses[index, default: 0] += 1 }
            }
        }
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
