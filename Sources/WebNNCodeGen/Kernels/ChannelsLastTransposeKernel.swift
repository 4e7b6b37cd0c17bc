import CLLVM
import WebNNBasics

/// The nchw → nhwc transpose of an image with few channels (a network's input image, 3
/// channels), for 4-byte elements: 8 pixels of each channel plane are loaded as one vector each,
/// and one shuffle interleaves them into the 8 · C consecutive elements of the result. The
/// general strided copy moves such an image one element at a time with a division per pixel.
/// A task is a run of pixels of one image; the pixels after the last whole block of 8 are copied
/// one by one.
struct ChannelsLastTransposeKernel: KernelEmitter {
    let batch: Int, channels: Int, pixels: Int

    static let pixelsPerTask = 4096
    static let maximumChannels = 8
    private static let blockPixels = 8

    /// The kernel for `transpose(input, permutation)` when it is this case: permutation
    /// [0, 2, 3, 1] of a 4-D input with 2…8 channels and 4-byte elements; nil otherwise.
    init?(input: [Int], permutation: [Int], elementBytes: Int) {
        guard input.count == 4, permutation == [0, 2, 3, 1], elementBytes == 4,
              (2...ChannelsLastTransposeKernel.maximumChannels).contains(input[1]) else { return nil }
        (batch, channels, pixels) = (input[0], input[1], input[2] * input[3])
    }

    private var runsPerImage: Int { (pixels + Self.pixelsPerTask - 1) / Self.pixelsPerTask }
    var taskCount: Int { batch * runsPerImage }

    func emitTask(_ e: FunctionEmitter, _ buffers: StepBuffers, task: IRValue) {
        let (x, y) = (buffers.operands[0].pointer, buffers.result.pointer)
        let n = task / runsPerImage, run = task % runsPerImage
        let first = run * Self.pixelsPerTask
        let end = e.minimum(first + Self.pixelsPerTask, e.int(pixels))
        let image = n * (channels * pixels)  // the same offset in the input and the result
        let blocksEnd = first + (end - first) / Self.blockPixels * Self.blockPixels
        let vectorType = LLVMVectorType(e.types.i32, UInt32(Self.blockPixels))!
        e.forLoop(from: first, to: blocksEnd, step: Self.blockPixels) { pixel in
            let planes = (0..<channels).map { c in
                e.load(vectorType, from: e.elementPointer(e.types.i32, x, image + c * pixels + pixel), alignment: 4)
            }
            e.store(interleaved(e, planes), to: e.elementPointer(e.types.i32, y, image + pixel * channels), alignment: 4)
        }
        e.forLoop(from: blocksEnd, to: end) { pixel in
            for c in 0..<channels {
                e.store(e.load(x, image + c * pixels + pixel, type: e.types.i32), y, image + pixel * channels + c)
            }
        }
    }

    /// `<8·C x i32>` whose element p·C + c is element p of `planes[c]`: the planes are
    /// concatenated pairwise (padded to a power of two with undefined vectors), then shuffled.
    private func interleaved(_ e: FunctionEmitter, _ planes: [IRValue]) -> IRValue {
        func shuffle(_ a: LLVMValueRef, _ b: LLVMValueRef, _ mask: [Int]) -> LLVMValueRef {
            var constants: [LLVMValueRef?] = mask.map { LLVMConstInt(e.types.i32, UInt64($0), 0) }
            return LLVMBuildShuffleVector(e.builder, a, b, LLVMConstVector(&constants, UInt32(mask.count)), "")!
        }
        var parts = planes.map(\.reference)
        while parts.count > 1 {
            if parts.count % 2 == 1 { parts.append(LLVMGetUndef(LLVMTypeOf(parts[0]))) }
            let width = Int(LLVMGetVectorSize(LLVMTypeOf(parts[0])))
            parts = stride(from: 0, to: parts.count, by: 2).map { shuffle(parts[$0], parts[$0 + 1], Array(0..<(2 * width))) }
        }
        let whole = parts[0]
        let mask = (0..<(Self.blockPixels * channels)).map { k in (k % channels) * Self.blockPixels + k / channels }
        return e.wrap(shuffle(whole, LLVMGetUndef(LLVMTypeOf(whole)), mask))
    }
}
