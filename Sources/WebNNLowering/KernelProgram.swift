import WebNNBasics

/// A graph lowered to an ordered list of kernels over planned buffers: what CodeGen compiles.
///
/// Every buffer a kernel reads or writes is named by a `BufferRef`: a caller-owned input or
/// output, an embedded constant, or a range of the scratch arena.
public struct KernelProgram: Equatable, Sendable {
    /// The graph's name (`P_model_name`).
    public var name: String
    /// Graph inputs, in `P_run`'s `inputs[]` order.
    public var inputs: [ProgramTensor]
    /// Graph outputs, in `P_run`'s `outputs[]` order.
    public var outputs: [ProgramTensor]
    /// Embedded weights, indexed by `BufferLocation.constant`.
    public var constants: [TensorData]
    /// Bytes of scratch arena the steps use (every scratch offset is a multiple of 64).
    public var scratchSize: Int
    /// Kernels in execution order.
    public var steps: [KernelStep]
    /// Runs of consecutive steps that may execute round by round (see `InterleavedRun`); their
    /// buffers are planned live for the whole run.
    public var interleavedRuns: [InterleavedRun]

    public init(name: String, inputs: [ProgramTensor], outputs: [ProgramTensor],
                constants: [TensorData], scratchSize: Int, steps: [KernelStep], interleavedRuns: [InterleavedRun] = []) {
        self.name = name
        self.inputs = inputs
        self.outputs = outputs
        self.constants = constants
        self.scratchSize = scratchSize
        self.steps = steps
        self.interleavedRuns = interleavedRuns
    }

    /// How many step operands read each constant (by index; unread constants are absent): a
    /// packing pass replaces a constant in place only where it is its only reader.
    public var constantReaderCounts: [Int: Int] {
        var counts: [Int: Int] = [:]
        for step in steps {
            for operand in step.operands {
                if case .constant(let index) = operand.location { counts[index, default: 0] += 1 }
            }
        }
        return counts
    }
}

/// Consecutive steps that share a leading batch of `rounds` slices, each step's slice r
/// reading only the earlier steps' slices r: attention's scores, softmax and context products,
/// one slice per head. The code generator may run them round by round (every step's slice 0,
/// then every step's slice 1, ...) so that a head's scores stay in cache from the product that
/// writes them to the one that reads them, instead of a round trip to memory per step at long
/// sequences (12 × 512² floats are 12 MB); where a kernel's tasks do not split by slice it runs
/// the steps one after another as usual.
public struct InterleavedRun: Hashable, Sendable {
    /// Step indices.
    public var steps: Range<Int>
    public var rounds: Int
    /// The scratch byte offsets of the buffers written and read only by the run's steps (the
    /// scores and the probabilities). Run round by round, every round may use the same slice of
    /// such a buffer (its last), so that one slice stays in cache instead of each round writing
    /// memory it has not touched since the run before; run step by step, they are whole buffers.
    public var localBuffers: [Int]

    public init(steps: Range<Int>, rounds: Int, localBuffers: [Int] = []) {
        self.steps = steps
        self.rounds = rounds
        self.localBuffers = localBuffers
    }
}

/// A named graph input or output.
public struct ProgramTensor: Equatable, Sendable {
    public var name: String
    public var type: TensorType

    public init(name: String, type: TensorType) {
        self.name = name
        self.type = type
    }
}

/// Where a buffer lives at run time.
public enum BufferLocation: Hashable, Sendable {
    /// `inputs[index]` of `P_run`.
    case input(Int)
    /// `outputs[index]` of `P_run`.
    case output(Int)
    /// `KernelProgram.constants[index]`, embedded read-only in the library.
    case constant(Int)
    /// `scratch + byteOffset`; the offset is a multiple of 64, except for a view into part of
    /// another buffer (`BufferRef.strides`).
    case scratch(byteOffset: Int)
}

/// A typed view of a buffer that a kernel reads or writes.
public struct BufferRef: Hashable, Sendable, CustomStringConvertible {
    public var location: BufferLocation
    public var type: TensorType
    /// Element strides per axis when the tensor is a view into part of a larger buffer (a
    /// concat operand written in place, see `Lowering`); nil when it is laid out row-major.
    public var strides: [Int]?

    public init(_ location: BufferLocation, _ type: TensorType, strides: [Int]? = nil) {
        self.location = location
        self.type = type
        self.strides = strides
    }

    /// Bytes from the first element to past the last: the whole tensor, or a view's reach
    /// into its buffer.
    public var byteSpan: Int {
        guard let strides else { return type.byteSize }
        let lastElement = zip(type.shape, strides).reduce(0) { $0 + ($1.0 - 1) * $1.1 }
        return type.shape.contains(0) ? 0 : (lastElement + 1) * type.dataType.byteSize
    }

    public var description: String {
        let view = strides.map { " strides \($0)" } ?? ""
        switch location {
        case .input(let index): return "input\(index):\(type)\(view)"
        case .output(let index): return "output\(index):\(type)\(view)"
        case .constant(let index): return "constant\(index):\(type)\(view)"
        case .scratch(let offset): return "scratch+\(offset):\(type)\(view)"
        }
    }
}

/// One kernel invocation: `result = kernel(operands...)`.
public struct KernelStep: Equatable, Sendable {
    public var kernel: Kernel
    /// Operands in the order documented on each `Kernel` case.
    public var operands: [BufferRef]
    public var result: BufferRef
    /// What the step computes, for profiles: the name of the graph value it produces.
    public var label: String

    public init(_ kernel: Kernel, operands: [BufferRef], result: BufferRef, label: String = "") {
        self.kernel = kernel
        self.operands = operands
        self.result = result
        self.label = label
    }

    /// For each operand, whether it is the result's buffer: the step writes in place (only
    /// element-wise steps do, over an operand of the result's type that dies there).
    public var operandsSharingResult: [Bool] { operands.map { $0.location == result.location } }
}
