import CLLVM
import WebNNBasics
import WebNNIR
import WebNNLowering

/// Average and max pooling. Both layouts are handled as [outer, H, W, inner]: nchw is
/// [N·C, H, W, 1], nhwc is [N, H, W, C]. A task is one output row (outer, oh); the innermost loop
/// runs over `inner` (the channels in nhwc, so it vectorizes there).
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

    func emitTask(_ e: FunctionEmitter, _ buffers: StepBuffers, task: IRValue) {
        let (x, y) = (buffers.operands[0], buffers.result)
        let outerIndex = task / outputHeight, oh = task % outputHeight
        let (windowH, windowW) = (attributes.windowDimensions[0], attributes.windowDimensions[1])
        let inputRow = { (kh: IRValue) in oh * attributes.strides[0] - attributes.padding[0] + kh * attributes.dilations[0] }
        let isMax = attributes.kind == .max
        e.forLoop(from: 0, to: outputWidth) { ow in
            let inputColumn = { (kw: IRValue) in ow * attributes.strides[1] - attributes.padding[2] + kw * attributes.dilations[1] }
            let outputBase = ((outerIndex * outputHeight + oh) * outputWidth + ow) * inner
            e.forLoop(from: 0, to: inner) { c in
                e.store(e.float(isMax ? -.infinity : 0), y, outputBase + c)
            }
            let count = e.forLoop(from: e.int(0), to: e.int(windowH), carrying: [e.int(0)]) { kh, rows in
                let ih = inputRow(kh)
                let rowValid = e.and(ih >= e.int(0), ih < e.int(inputHeight))
                e.ifThen(rowValid) {
                    e.forLoop(from: 0, to: windowW) { kw in
                        let iw = inputColumn(kw)
                        e.ifThen(e.and(iw >= e.int(0), iw < e.int(inputWidth))) {
                            let inputBase = ((outerIndex * inputHeight + ih) * inputWidth + iw) * inner
                            e.forLoop(from: 0, to: inner) { c in
                                let value = e.load(x, inputBase + c), accumulated = e.load(y, outputBase + c)
                                e.store(isMax ? e.maxNum(accumulated, value) : accumulated + value, y, outputBase + c)
                            }
                        }
                    }
                }
                return [rows[0] + e.zeroExtend(rowValid, to: e.types.i64)]
            }[0]
            if !isMax {
                let columns = e.forLoop(from: e.int(0), to: e.int(windowW), carrying: [e.int(0)]) { kw, running in
                    let iw = inputColumn(kw)
                    return [running[0] + e.zeroExtend(e.and(iw >= e.int(0), iw < e.int(inputWidth)), to: e.types.i64)]
                }[0]
                let elementCount = e.wrap(LLVMBuildSIToFP(e.builder, (count * columns).reference, e.types.f32, ""))
                e.forLoop(from: 0, to: inner) { c in
                    e.store(e.load(y, outputBase + c) / elementCount, y, outputBase + c)
                }
            }
        }
    }
}
