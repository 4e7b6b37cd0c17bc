import CLLVM
import WebNNBasics
import WebNNIR
import WebNNLowering

/// Average, L2 and max pooling. Both layouts are handled as [outer, H, W, inner]: nchw is
/// [N·C, H, W, 1], nhwc is [N, H, W, C]. A task is one output row (outer, oh); the innermost loop
/// runs over `inner` (the channels in nhwc, so it vectorizes there). maxPool2d works in every
/// data type; averagePool2d and l2Pool2d (the square root of the sum of squares) in float32 and
/// float16 (summed in float32).
struct Pool2dKernel: KernelEmitter {
    let attributes: Pool2dAttributes
    let outer: Int, inner: Int
    let inputHeight: Int, inputWidth: Int, outputHeight: Int, outputWidth: Int

    init(_ attributes: Pool2dAttributes, input: [Int], result: [Int]) throws {
        guard input.count == 4, result.count == 4, attributes.windowDimensions.count == 2,
              attributes.padding.count == 4, attributes.strides.count == 2, attributes.dilations.count == 2 else {
            throw CodeGenError.unsupported("pool2d of \(input) into \(result) with \(attributes)")
        }
        self.attributes = attributes
        let nhwc = attributes.layout == .nhwc
        (inputHeight, inputWidth) = nhwc ? (input[1], input[2]) : (input[2], input[3])
        (outputHeight, outputWidth) = nhwc ? (result[1], result[2]) : (result[2], result[3])
        outer = nhwc ? input[0] : input[0] * input[1]
        inner = nhwc ? input[3] : 1
    }

    var taskCount: Int { outer * outputHeight }

    /// Channels per accumulator tile when the window sums of a float16 average are kept in a
    /// float32 stack tile (every other case accumulates in the result itself).
    static let channelTile = 1024

    func emitTask(_ e: FunctionEmitter, _ buffers: StepBuffers, task: IRValue) {
        let (x, y) = (buffers.operands[0], buffers.result)
        let dataType = y.dataType
        let outerIndex = task / outputHeight, oh = task % outputHeight
        let (windowH, windowW) = (attributes.windowDimensions[0], attributes.windowDimensions[1])
        let inputRow = { (kh: IRValue) in oh * attributes.strides[0] - attributes.padding[0] + kh * attributes.dilations[0] }
        let isMax = attributes.kind == .max, isL2 = attributes.kind == .l2
        // A maximum is exact in any type; a float16 sum is accumulated in float32, tile by tile.
        let inResult = isMax || dataType == .float32
        let tileSize = inResult ? inner : min(inner, Pool2dKernel.channelTile)
        let tileCount = (inner + tileSize - 1) / tileSize
        let tile = inResult ? y : TypedBuffer(e.entryAlloca(e.types.f32, count: tileSize), .float32)
        let accumulatorType = tile.dataType
        e.forLoop(from: 0, to: outputWidth) { ow in
            let inputColumn = { (kw: IRValue) in ow * attributes.strides[1] - attributes.padding[2] + kw * attributes.dilations[1] }
            let outputBase = ((outerIndex * outputHeight + oh) * outputWidth + ow) * inner
            e.forLoop(from: 0, to: tileCount) { tileIndex in
                let firstChannel = tileIndex * tileSize
                let endChannel = e.minimum(firstChannel + tileSize, e.int(inner))
                // Channel c accumulates at tile[accumulatorBase + c].
                let accumulatorBase = inResult ? outputBase : 0 - firstChannel
                e.forLoop(from: firstChannel, to: endChannel) { c in
                    e.store(isMax ? e.lowest(dataType) : e.zero(accumulatorType), tile, accumulatorBase + c)
                }
                let count = e.forLoop(from: e.int(0), to: e.int(windowH), carrying: [e.int(0)]) { kh, rows in
                    let ih = inputRow(kh)
                    let rowValid = e.and(ih >= e.int(0), ih < e.int(inputHeight))
                    e.ifThen(rowValid) {
                        e.forLoop(from: 0, to: windowW) { kw in
                            let iw = inputColumn(kw)
                            e.ifThen(e.and(iw >= e.int(0), iw < e.int(inputWidth))) {
                                let inputBase = ((outerIndex * inputHeight + ih) * inputWidth + iw) * inner
                                e.forLoop(from: firstChannel, to: endChannel) { c in
                                    let value = e.load(x, inputBase + c), accumulated = e.load(tile, accumulatorBase + c)
                                    let next = isMax ? e.larger(accumulated, value, of: dataType)
                                        : isL2 ? e.mulAdd(value, value, accumulated) : accumulated + value
                                    e.store(next, tile, accumulatorBase + c)
                                }
                            }
                        }
                    }
                    return [rows[0] + e.zeroExtend(rowValid, to: e.types.i64)]
                }[0]
                if isL2 {
                    e.forLoop(from: firstChannel, to: endChannel) { c in
                        e.store(e.squareRoot(e.load(tile, accumulatorBase + c)), y, outputBase + c)
                    }
                } else if !isMax {
                    let columns = e.forLoop(from: e.int(0), to: e.int(windowW), carrying: [e.int(0)]) { kw, running in
                        let iw = inputColumn(kw)
                        return [running[0] + e.zeroExtend(e.and(iw >= e.int(0), iw < e.int(inputWidth)), to: e.types.i64)]
                    }[0]
                    let elementCount = e.floatFromInteger(count * columns)
                    e.forLoop(from: firstChannel, to: endChannel) { c in
                        e.store(e.load(tile, accumulatorBase + c) / elementCount, y, outputBase + c)
                    }
                }
            }
        }
    }
}
