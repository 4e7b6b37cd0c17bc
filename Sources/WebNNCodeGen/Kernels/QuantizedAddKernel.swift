import CLLVM
import WebNNBasics
import WebNNIR
import WebNNLowering

/// `quantizedAdd` (`QuantizedAddParameters`, with or without `b`): 16 elements at a time (one zmm of float32 on
/// AVX-512, two ymm on AVX2: LLVM splits the vectors), widened to int32, less their zero points,
/// to float32, scaled, summed (a separate multiply and add, no fused multiply-add, as the
/// operator defines it), then rounded, clamped and narrowed like the convolution's epilogue. A
/// task's last `count % 16` elements take the same code on one-lane vectors. A task is
/// `LoopNest.elementsPerTask` consecutive elements.
struct QuantizedAddKernel: KernelEmitter {
    static let lanes = 16
    let parameters: QuantizedAddParameters
    let count: Int

    init(_ parameters: QuantizedAddParameters, _ step: KernelStep) throws {
        let types = [parameters.aDataType, parameters.bDataType].compactMap { $0 }.map { TensorType($0, parameters.shape) }
        guard step.operands.map(\.type) == types,
              step.result.type == parameters.outputType, step.result.strides == nil,
              step.operands.allSatisfy({ $0.strides == nil }) else {
            throw CodeGenError.unsupported("quantizedAdd of \(step.operands.map(\.type)) into \(step.result.type)")
        }
        self.parameters = parameters
        count = max(parameters.shape.reduce(1, *), 1)
    }

    var taskCount: Int { (count + LoopNest.elementsPerTask - 1) / LoopNest.elementsPerTask }

    func emitTask(_ e: FunctionEmitter, _ buffers: StepBuffers, task: IRValue) {
        let lanes = Self.lanes
        let (a, b, y) = (buffers.operands[0].pointer, buffers.operands.count > 1 ? buffers.operands[1].pointer : nil,
                         buffers.result.pointer)
        let start = task * LoopNest.elementsPerTask
        e.vectorLoop(from: start, to: e.minimum(start + LoopNest.elementsPerTask, e.int(count)), lanes: lanes) { index, lanes in
            e.storeUnaligned(sum(e, a, b, index, lanes: lanes), y, index, element: e.types.i8)
        }
    }

    /// The results of `lanes` elements from `index`, as an 8-bit vector.
    private func sum(_ e: FunctionEmitter, _ a: IRValue, _ b: IRValue?, _ index: IRValue, lanes: Int) -> IRValue {
        let p = parameters
        func scaled(_ base: IRValue, _ type: DataType, zeroPoint: Int, scale: Float) -> IRValue {
            let bytes = e.loadVector(base, index, element: e.types.i8, lanes: lanes)
            let wide = e.extend(bytes, to: e.vectorType(e.types.i32, lanes), signed: type == .int8)
            let centered = e.vectorSub(wide, e.splatValue(e.int32(Int32(zeroPoint)), lanes: lanes))
            let converted = e.wrap(LLVMBuildSIToFP(e.builder, centered.reference, e.vectorType(e.types.f32, lanes), "")!)
            return e.wrap(LLVMBuildFMul(e.builder, converted.reference, e.splatValue(e.float(scale), lanes: lanes).reference, "")!)
        }
        var total = scaled(a, p.aDataType, zeroPoint: p.aZeroPoint, scale: p.aScale)
        if let b, let bType = p.bDataType {
            total = e.wrap(LLVMBuildFAdd(e.builder, total.reference, scaled(b, bType, zeroPoint: p.bZeroPoint, scale: p.bScale).reference, "")!)
        }
        return e.narrow(total, zeroPoint: p.outputZeroPoint, minValue: p.outputMinValue, maxValue: p.outputMaxValue, lanes: lanes)
    }
}
