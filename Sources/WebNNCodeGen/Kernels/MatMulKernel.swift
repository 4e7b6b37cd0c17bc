import CLLVM
import WebNNBasics
import WebNNLowering

/// `alpha · op(a) × op(b) + beta · c` over broadcast batch axes. A task is one output row
/// (batch, m): the row is zeroed, then for each k, `row += a[m, k] · b[k, :]` (a contiguous
/// multiply-add over n when b is not transposed), then the beta/c epilogue. float16 is
/// computed in float32: the row is done in tiles of columns summed in a float32 stack tile.
///
/// gemm follows the order of the WebNN spec's emulation, `add(matmul(mul(alpha, a), b),
/// mul(beta, c))`: alpha (a constant of the data type) scales each element of a, rounded to the
/// data type, before the products; beta · c is rounded to the data type before it is added to the
/// rounded product. (Scaling the sum instead drifts from the spec's result by several ULP when
/// the products cancel.)
struct MatMulKernel: KernelEmitter {
    let attributes: MatMulAttributes
    let batchShape: [Int]
    let m: Int, n: Int, k: Int
    /// Element strides: a[m, k] = a[mStride·m + kStride·k], and likewise for b (k, n) and c (m, n).
    let aStrides: (m: Int, k: Int), bStrides: (k: Int, n: Int), cStrides: (m: Int, n: Int)?
    /// Per batch axis of the result, the element stride of a and b (0 where broadcast).
    let aBatchStrides: [Int], bBatchStrides: [Int]

    init(_ attributes: MatMulAttributes, a: [Int], b: [Int], c: [Int]?, result: [Int]) throws {
        guard a.count >= 2, b.count >= 2, result.count == max(a.count, b.count) else {
            throw CodeGenError.unsupported("matmul of \(a) and \(b) into \(result)")
        }
        self.attributes = attributes
        let aRows = a[a.count - 2], aColumns = a[a.count - 1], bRows = b[b.count - 2], bColumns = b[b.count - 1]
        let (m, k) = attributes.aTranspose ? (aColumns, aRows) : (aRows, aColumns)
        let n = attributes.bTranspose ? bRows : bColumns
        let bK = attributes.bTranspose ? bColumns : bRows
        let batchShape = Array(result.dropLast(2))
        (self.m, self.n, self.k, self.batchShape) = (m, n, k, batchShape)
        guard bK == k, Array(result.suffix(2)) == [m, n] else {
            throw CodeGenError.unsupported("matmul of \(a) and \(b) into \(result)")
        }
        aStrides = attributes.aTranspose ? (1, aColumns) : (aColumns, 1)
        bStrides = attributes.bTranspose ? (1, bColumns) : (bColumns, 1)
        cStrides = c.map { cShape in
            let strides = broadcastStrides(cShape, to: [m, n])
            return (strides[0], strides[1])
        }
        aBatchStrides = broadcastStrides(Array(a.dropLast(2)), to: batchShape).map { $0 * m * k }
        bBatchStrides = broadcastStrides(Array(b.dropLast(2)), to: batchShape).map { $0 * k * n }
    }

    var taskCount: Int { batchShape.reduce(1, *) * m }

    func emitTask(_ e: FunctionEmitter, _ buffers: StepBuffers, task: IRValue) {
        let (a, b, y) = (buffers.operands[0], buffers.operands[1], buffers.result)
        let batch = task / m, row = task % m
        var aBase = row * aStrides.m, bBase = e.int(0)
        var remaining = batch
        for axis in batchShape.indices.reversed() {
            let index = remaining % batchShape[axis]
            remaining = remaining / batchShape[axis]
            aBase = aBase + index * aBatchStrides[axis]
            bBase = bBase + index * bBatchStrides[axis]
        }
        let rowBase = task * n
        // float32 sums accumulate in the result row; float16 ones in a float32 stack tile of
        // columns, rounded once when the tile is stored.
        let inResult = y.dataType == .float32
        let tileSize = inResult ? n : min(n, MatMulKernel.columnTile)
        let tileCount = (n + tileSize - 1) / tileSize
        let tile = inResult ? y : TypedBuffer(e.entryAlloca(e.types.f32, count: tileSize), .float32)
        let needsC = cStrides != nil  // beta = 0 still adds 0 · c (NaN for an infinite c), as the spec does
        let epilogue = EpilogueEmitter(epilogue: attributes.epilogue)  // residual + activation, if fused
        // The emulation's constants are of the data type: float16 rounds alpha and beta.
        let dataType = y.dataType
        let (alpha, beta) = dataType == .float16
            ? (Float(Float16(attributes.alpha)), Float(Float16(attributes.beta))) : (attributes.alpha, attributes.beta)
        e.forLoop(from: 0, to: tileCount) { tileIndex in
            let firstColumn = tileIndex * tileSize
            let endColumn = e.minimum(firstColumn + tileSize, e.int(n))
            // Column j accumulates at tile[accumulatorBase + j].
            let accumulatorBase = inResult ? rowBase : 0 - firstColumn
            e.forLoop(from: firstColumn, to: endColumn) { column in e.store(e.float(0), tile, accumulatorBase + column) }
            e.forLoop(from: 0, to: k) { kIndex in
                var aValue = e.load(a, aBase + kIndex * aStrides.k)
                if attributes.alpha != 1 { aValue = e.roundedAsStored(aValue * e.float(alpha), dataType) }
                let bRow = bBase + kIndex * bStrides.k
                e.forLoop(from: firstColumn, to: endColumn) { column in
                    let product = e.mulAdd(aValue, e.load(b, bRow + column * bStrides.n), e.load(tile, accumulatorBase + column))
                    e.store(product, tile, accumulatorBase + column)
                }
            }
            guard needsC || !inResult || !epilogue.isEmpty else { return }
            e.forLoop(from: firstColumn, to: endColumn) { column in
                var value = e.load(tile, accumulatorBase + column)
                if needsC, let cStrides {
                    let c = e.load(buffers.operands[2], row * cStrides.m + column * cStrides.n)
                    value = e.roundedAsStored(value, dataType)
                        + (attributes.beta == 1 ? c : e.roundedAsStored(c * e.float(beta), dataType))
                }
                e.store(epilogue.apply(e, value, buffers, resultIndex: rowBase + column), y, rowBase + column)
            }
        }
    }

    /// Columns per float32 accumulator tile of a float16 matmul.
    static let columnTile = 512
}
