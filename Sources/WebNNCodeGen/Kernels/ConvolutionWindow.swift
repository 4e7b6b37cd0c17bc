import CLLVM
import WebNNBasics
import WebNNLowering

/// The sliding window of a conv2d over one image, in compile-time sizes: which kernel rows and
/// output columns read only inside the input (the rest take the padding's zeros).
struct ConvolutionWindow {
    let strideH: Int, strideW: Int, dilationH: Int, dilationW: Int, padTop: Int, padLeft: Int
    let inputHeight: Int, inputWidth: Int, outputHeight: Int, outputWidth: Int
    let kernelHeight: Int, kernelWidth: Int

    init(_ attributes: Conv2dAttributes, inputHeight: Int, inputWidth: Int, outputHeight: Int, outputWidth: Int,
         kernelHeight: Int, kernelWidth: Int) {
        (strideH, strideW) = (attributes.strides[0], attributes.strides[1])
        (dilationH, dilationW) = (attributes.dilations[0], attributes.dilations[1])
        (padTop, padLeft) = (attributes.padding[0], attributes.padding[2])
        (self.inputHeight, self.inputWidth) = (inputHeight, inputWidth)
        (self.outputHeight, self.outputWidth) = (outputHeight, outputWidth)
        (self.kernelHeight, self.kernelWidth) = (kernelHeight, kernelWidth)
    }

    /// The input row that kernel row `kh` of output row `oh` reads: oh·sh − padTop + kh·dh.
    func inputRow(_ oh: IRValue, _ kh: IRValue) -> IRValue { oh * strideH - padTop + kh * dilationH }

    /// The input column that kernel column `kw` of output column `ow` reads: ow·sw − padLeft + kw·dw.
    func inputColumn(_ ow: IRValue, _ kw: IRValue) -> IRValue { ow * strideW - padLeft + kw * dilationW }
    func inputColumn(_ ow: IRValue, _ kw: Int) -> IRValue { ow * strideW + (kw * dilationW - padLeft) }
    func inputColumn(_ ow: Int, _ kw: Int) -> Int { ow * strideW - padLeft + kw * dilationW }

    /// The kernel rows `[first, end)` of output row `oh` that lie in the input:
    /// 0 ≤ oh·sh − padTop + kh·dh < inputHeight.
    func validKernelRows(_ e: FunctionEmitter, oh: IRValue) -> (IRValue, IRValue) {
        if padTop == 0 && (outputHeight - 1) * strideH + (kernelHeight - 1) * dilationH < inputHeight {
            return (e.int(0), e.int(kernelHeight))
        }
        let base = oh * strideH - padTop
        let first = e.select(base >= 0, e.int(0), (0 - base + (dilationH - 1)) / dilationH)
        let room = e.int(inputHeight - 1) - base
        let end = e.select(room < 0, e.int(0), e.minimum(room / dilationH + 1, e.int(kernelHeight)))
        return (first, e.maximum(end, first))
    }

    /// The output rows `[start, end)` whose every kernel row lies in the input.
    var interiorRows: (Int, Int) {
        let start = min(outputHeight, (padTop + strideH - 1) / strideH)
        let lastRowRoom = inputHeight - 1 - (kernelHeight - 1) * dilationH + padTop
        let end = lastRowRoom < 0 ? start : max(start, min(outputHeight, lastRowRoom / strideH + 1))
        return (start, end)
    }

    /// The output columns `[start, end)` whose whole window lies in the input.
    var interiorColumns: (Int, Int) {
        let start = min(outputWidth, (padLeft + strideW - 1) / strideW)
        let lastColumnRoom = inputWidth - 1 - (kernelWidth - 1) * dilationW + padLeft
        let end = lastColumnRoom < 0 ? start : max(start, min(outputWidth, lastColumnRoom / strideW + 1))
        return (start, end)
    }

    /// Covers the output row with `tile(pixels, firstColumn, edgeColumn)`: the interior with
    /// tiles of `tileWidth` pixels (in a loop) and one shorter tile for the rest, `edgeColumn`
    /// nil; the left and right edge columns with tiles of at most `edgeWidth` pixels, unrolled,
    /// whose `edgeColumn` is their first column at compile time (their taps may read padding).
    /// A row no wider than `tileWidth` is one such tile.
    func forEachTile(_ e: FunctionEmitter, tileWidth: Int, edgeWidth: Int, _ tile: (Int, IRValue, Int?) -> Void) {
        if outputWidth <= tileWidth { return tile(outputWidth, e.int(0), 0) }
        let (interiorStart, interiorEnd) = interiorColumns
        func edge(from start: Int, to end: Int) {
            for first in stride(from: start, to: end, by: edgeWidth) {
                tile(min(edgeWidth, end - first), e.int(first), first)
            }
        }
        edge(from: 0, to: interiorStart)
        let interior = interiorEnd - interiorStart
        let fullTiles = interior / tileWidth
        if fullTiles > 0 {
            e.forLoop(from: 0, to: fullTiles) { index in tile(tileWidth, index * tileWidth + interiorStart, nil) }
        }
        if interior % tileWidth > 0 {
            tile(interior % tileWidth, e.int(interiorStart + fullTiles * tileWidth), nil)
        }
        edge(from: interiorEnd, to: outputWidth)
    }
}

extension ConvolutionWindow {
    /// Covers the output row with the tiles of `tileWidths(...)`, from column 0:
    /// `tile(pixels, firstColumn, edgeColumn)`. Tiles that reach into the edge columns (taps may
    /// read padding) are unrolled, `edgeColumn` their first column at compile time; a run of
    /// equal tiles inside the interior is a loop (`edgeColumn` nil). Unlike `forEachTile`, edge
    /// columns get no tiles of their own, so a narrow row (7 or 14 pixels) is still computed in
    /// wide tiles.
    func forEachBalancedTile(_ e: FunctionEmitter, tileWidth: Int, minimumWidth: Int,
                             _ tile: (Int, IRValue, Int?) -> Void) {
        let (interiorStart, interiorEnd) = interiorColumns
        let widths = ConvolutionWindow.tileWidths(rowWidth: outputWidth, tileWidth: tileWidth, minimumWidth: minimumWidth)
        let starts = widths.indices.map { widths[..<$0].reduce(0, +) }
        func isInterior(_ index: Int) -> Bool { starts[index] >= interiorStart && starts[index] + widths[index] <= interiorEnd }
        var index = 0
        while index < widths.count {
            let (start, width) = (starts[index], widths[index])
            var end = index + 1
            while isInterior(index) && end < widths.count && widths[end] == width && isInterior(end) { end += 1 }
            if end - index > 1 {
                e.forLoop(from: 0, to: end - index) { i in tile(width, i * width + start, nil) }
            } else {
                tile(width, e.int(start), isInterior(index) ? nil : start)
            }
            index = end
        }
    }

    /// The tile widths that cover a row of `rowWidth` pixels, in order: a row of at most four
    /// tiles is cut into tiles of nearly equal width (13 pixels: 5 + 4 + 4, not 6 + 6 + 1);
    /// a longer one into full tiles and the rest, where a rest narrower than `minimumWidth` (too
    /// few accumulators to hide the FMA latency) is joined with as few last full tiles as make
    /// tiles of at least that width when cut evenly (56 pixels: 8 × 6 + 4 + 4, not 9 × 6 + 2;
    /// 25: 6 + 6 + 5 + 4 + 4, not 4 × 6 + 1).
    static func tileWidths(rowWidth: Int, tileWidth: Int, minimumWidth: Int) -> [Int] {
        let tileCount = (rowWidth + tileWidth - 1) / tileWidth
        func even(_ width: Int, into count: Int) -> [Int] { (0..<count).map { width / count + ($0 < width % count ? 1 : 0) } }
        guard tileCount > 4 else { return even(rowWidth, into: tileCount) }
        let (full, rest) = (rowWidth / tileWidth, rowWidth % tileWidth)
        if rest == 0 { return Array(repeating: tileWidth, count: full) }
        if rest >= minimumWidth { return Array(repeating: tileWidth, count: full) + [rest] }
        let joined = (1...full).first { ($0 * tileWidth + rest) / ($0 + 1) >= minimumWidth } ?? full
        return Array(repeating: tileWidth, count: full - joined) + even(joined * tileWidth + rest, into: joined + 1)
    }
}

extension FunctionEmitter {
    /// `<width x float>` holding `x[index ..< index + lanes]` (unaligned), lanes past `lanes`
    /// zero; read as one vector load when `lanes == width`, else one element at a time.
    func loadVector(_ x: IRValue, _ index: IRValue, lanes: Int, width: Int) -> IRValue {
        let vectorType = LLVMVectorType(types.f32, UInt32(width))!
        if lanes == width {
            return load(vectorType, from: elementPointer(types.f32, x, index), alignment: 4)
        }
        var vector = wrap(LLVMConstNull(vectorType))
        for lane in 0..<lanes {
            vector = wrap(LLVMBuildInsertElement(builder, vector.reference, load(x, index + lane).reference,
                                                 int32(Int32(lane)).reference, "")!)
        }
        return vector
    }

    /// `<width x float>` with every lane `scalar`.
    func splat(_ scalar: IRValue, width: Int) -> IRValue {
        let vectorType = LLVMVectorType(types.f32, UInt32(width))!
        let inserted = LLVMBuildInsertElement(builder, LLVMGetPoison(vectorType), scalar.reference, int32(0).reference, "")
        let mask = LLVMConstNull(LLVMVectorType(types.i32, UInt32(width)))
        return wrap(LLVMBuildShuffleVector(builder, inserted, LLVMGetPoison(vectorType), mask, "")!)
    }
}
