import WebNNBasics
import WebNNLowering

/// Emits one kernel step as `taskCount` independent tasks.
///
/// Each task writes a disjoint part of the result and never splits a reduction, so running
/// the tasks serially or in parallel gives bit-identical results.
protocol KernelEmitter {
    /// How many tasks the step is split into (at least 1).
    var taskCount: Int { get }
    /// How many times the tasks run, each round after the previous one finished (at least 1):
    /// dependent phases, such as a recurrent network's steps, each split into parallel tasks.
    /// `emitTask` then gets `round · taskCount + task` as its task index.
    var rounds: Int { get }
    /// Emits the code of one task. `buffers.result` and `buffers.operands` are the step's buffer
    /// pointers (`noalias`: the result never overlaps an operand, except the operands of an
    /// in-place element-wise step that are its buffer); `task` is the `i64` task index.
    func emitTask(_ e: FunctionEmitter, _ buffers: StepBuffers, task: IRValue)
    /// Which code the step runs, for profiles and the description: by default the emitter's
    /// type name, so a step on a general fallback path says so.
    var name: String { get }
    /// Whether the tasks fall into `rounds` equal runs of consecutive tasks, run r touching only
    /// slice r of the leading batch of every buffer (so the step can take part in an
    /// `InterleavedRun`). By default no.
    func splits(intoRounds rounds: Int) -> Bool
}

extension KernelEmitter {
    var name: String { String(describing: type(of: self)) }
    var rounds: Int { 1 }
    func splits(intoRounds rounds: Int) -> Bool { false }
}

/// A kernel whose tasks `splits(intoRounds:)` run as `rounds` rounds: round r's task t is the
/// kernel's task r · taskCount + t, exactly as `rounds` hands it to `emitTask`, so the code is
/// the kernel's own.
struct RoundSplitKernel: KernelEmitter {
    let kernel: KernelEmitter
    let rounds: Int
    /// What profiles call the step instead of the kernel's name (a fused run's steps).
    var label: String? = nil

    var taskCount: Int { kernel.taskCount / rounds }
    var name: String { label ?? kernel.name }

    func emitTask(_ e: FunctionEmitter, _ buffers: StepBuffers, task: IRValue) {
        kernel.emitTask(e, buffers, task: task)
    }
}

/// Pointers to a step's buffers inside a task, with their element types.
struct StepBuffers {
    let result: TypedBuffer
    let operands: [TypedBuffer]
}

/// The data types each kernel computes in (docs/operators.md): a step's operands and result
/// all have one of these types.
func supportedDataTypes(_ kernel: Kernel) -> Set<DataType> {
    let floats: Set<DataType> = [.float32, .float16]
    switch kernel {
    case .binary(let op): return op.operandDataTypes  // element-wise: the operands' types
    case .unary(let op): return op.operandDataTypes
    case .select: return Set(DataType.allCases)
    case .copy, .transpose, .concat: return Set(DataType.allCases)
    case .dataMovement, .reduction: return Set(DataType.allCases)  // checked by their own emitters
    case .pool2d(let attributes): return attributes.kind == .max ? Set(DataType.allCases) : floats
    case .conv2d, .matmul, .softmax, .batchNormalization, .fusedElementwise: return floats
    case .quantizedConv2d, .quantizedAdd: return [.uint8, .int8]
    case .recurrent: return floats
    case .convTranspose2d, .meanVarianceNormalization, .resample2d, .quantizeLinear, .dequantizeLinear:
        return spatialOrNormalizationDataTypes(kernel)
    }
}

/// The emitter for a step, checking its data types and that it has the operands its kernel needs.
/// `vectorWidth`: the target's float vector width for the register-tiled kernels (nil: none).
/// `rowBlock`: a matmul's or softmax's tasks take blocks of that many rows (an attention run's
/// fused tasks, see `VariantProgram`).
func makeKernelEmitter(for step: KernelStep, vectorWidth: Int? = nil, rowBlock: Int? = nil) throws -> KernelEmitter {
    if case .dataMovement(let kernel) = step.kernel { return try makeDataMovementEmitter(kernel, step) }  // IndexingKernel.swift
    if case .reduction(let kernel) = step.kernel { return try makeReductionEmitter(kernel, step) }  // ReductionKernel.swift
    if case .quantizedConv2d(let attributes) = step.kernel {  // mixed types, checked there
        return try makeQuantizedConv2dEmitter(attributes, step)
    }
    if case .quantizedAdd(let parameters) = step.kernel { return try QuantizedAddKernel(parameters, step) }
    if case .recurrent(let p) = step.kernel {  // its packed weight is float32 whatever the data type
        return try RecurrentKernel(p, operandCount: step.operands.count, vectorWidth: vectorWidth)
    }
    if let elementwise = try ElementwiseKernel(step) { return elementwise }  // checks its own types
    if step.kernel == .quantizeLinear || step.kernel == .dequantizeLinear {  // mixed types, checked there
        return try makeSpatialOrNormalizationEmitter(for: step)
    }
    let dataType = step.result.type.dataType
    guard supportedDataTypes(step.kernel).contains(dataType) else {
        throw CodeGenError.unsupported("\(step.kernel) on \(dataType)")
    }
    for buffer in step.operands where buffer.type.dataType != dataType {
        throw CodeGenError.unsupported("\(step.kernel) with a \(buffer.type.dataType) operand and a \(dataType) result")
    }
    let operandCount = step.operands.count
    func require(_ counts: ClosedRange<Int>) throws {
        guard counts.contains(operandCount) else {
            throw CodeGenError.unsupported("\(step.kernel) with \(operandCount) operands (expected \(counts))")
        }
    }
    let shapes = step.operands.map(\.type.shape), resultShape = step.result.type.shape
    // Only convolutions write into part of a larger buffer (a concat's, see `ConcatViews`).
    let isConvolution = if case .conv2d = step.kernel { true } else { false }
    guard step.operands.allSatisfy({ $0.strides == nil }), step.result.strides == nil || isConvolution else {
        throw CodeGenError.unsupported("\(step.kernel) on a strided view")
    }
    let resultStrides = step.result.strides ?? rowMajorStrides(resultShape)
    switch step.kernel {
    case .binary, .unary, .select, .fusedElementwise:
        preconditionFailure("element-wise steps are made by ElementwiseKernel(step)")
    case .copy:
        try require(1...1)
        guard shapes[0].reduce(1, *) == resultShape.reduce(1, *) else {
            throw CodeGenError.unsupported("copy of \(shapes[0]) into \(resultShape)")
        }
        return ElementwiseKernel(resultShape: [resultShape.reduce(1, *)], operandShapes: [[resultShape.reduce(1, *)]],
                                 operation: .copy)
    case .transpose(let permutation):
        try require(1...1)
        if let image = ChannelsLastTransposeKernel(input: shapes[0], permutation: permutation,
                                                   elementBytes: dataType.byteSize) {
            return image
        }
        return try StridedCopyKernel.transpose(input: shapes[0], permutation: permutation, result: resultShape)
    case .concat(let axis):
        try require(1...Int.max)
        return try StridedCopyKernel.concat(inputs: shapes, axis: axis, result: resultShape)
    case .conv2d(let attributes):
        let fused = attributes.epilogue.operandCount  // the epilogue's operands come last
        try require((2 + fused)...(3 + fused))
        if shapes[1].count == 5 {  // filter packed by FastConv2dPacking
            if attributes.groups > 1 {
                return try DepthwiseConv2dKernel(attributes, input: shapes[0], packedFilter: shapes[1],
                                                 hasBias: operandCount - fused == 3, result: resultShape,
                                                 resultStrides: resultStrides)
            }
            return try FastConv2dKernel(attributes, input: shapes[0], packedFilter: shapes[1], hasBias: operandCount - fused == 3,
                                        result: resultShape, resultStrides: resultStrides)
        }
        return try Conv2dKernel(attributes, input: shapes[0], filter: shapes[1], hasBias: operandCount - fused == 3,
                                result: resultShape, resultStrides: resultStrides)
    case .matmul(let attributes):
        let fused = attributes.epilogue.operandCount
        try require((2 + fused)...(3 + fused))
        let c = operandCount - fused == 3 ? shapes[2] : nil
        if dataType == .float32, let vectorWidth {
            do {
                return try GemmKernel(attributes, a: shapes[0], b: shapes[1], c: c, result: resultShape, vectorWidth: vectorWidth,
                                      rowBlock: rowBlock)
            } catch _ where !attributes.packedB {}  // a batched c: the general kernel
        }
        return try MatMulKernel(attributes, a: shapes[0], b: shapes[1], c: c, result: resultShape)
    case .pool2d(let attributes):
        try require(1...1)
        return try Pool2dKernel(attributes, input: shapes[0], result: resultShape)
    case .softmax(let axis):
        try require(1...1)
        return try SoftmaxKernel(shape: shapes[0], axis: axis, dataType: dataType, vectorWidth: vectorWidth,
                                 linesPerTask: rowBlock)
    case .batchNormalization(let attributes):
        try require(3...5)
        return try BatchNormalizationKernel(attributes, shape: shapes[0], operandCount: operandCount)
    case .convTranspose2d, .meanVarianceNormalization, .resample2d, .quantizeLinear, .dequantizeLinear:
        return try makeSpatialOrNormalizationEmitter(for: step, vectorWidth: vectorWidth)
    case .dataMovement, .reduction, .quantizedConv2d, .quantizedAdd, .recurrent:
        throw CodeGenError.unsupported("\(step.kernel)")  // made above
    }
}
