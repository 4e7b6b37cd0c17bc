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

    public init(name: String, inputs: [ProgramTensor], outputs: [ProgramTensor],
                constants: [TensorData], scratchSize: Int, steps: [KernelStep]) {
        self.name = name
        self.inputs = inputs
        self.outputs = outputs
        self.constants = constants
        self.scratchSize = scratchSize
        self.steps = steps
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
    /// `scratch + byteOffset`; the offset is a multiple of 64.
    case scratch(byteOffset: Int)
}

/// A typed view of a buffer that a kernel reads or writes.
public struct BufferRef: Hashable, Sendable, CustomStringConvertible {
    public var location: BufferLocation
    public var type: TensorType

    public init(_ location: BufferLocation, _ type: TensorType) {
        self.location = location
        self.type = type
    }

    public var description: String {
        switch location {
        case .input(let index): return "input\(index):\(type)"
        case .output(let index): return "output\(index):\(type)"
        case .constant(let index): return "constant\(index):\(type)"
        case .scratch(let offset): return "scratch+\(offset):\(type)"
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
