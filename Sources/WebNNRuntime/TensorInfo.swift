/// The name, data type and shape of one model input or output.
public struct TensorInfo: Equatable, Sendable, CustomStringConvertible {
    /// The operand's name in the graph.
    public let name: String
    public let dataType: DataType
    /// The dimensions, outermost first; empty for a scalar.
    public let shape: [Int]
    /// `product(shape) * dataType.elementSize`.
    public let byteSize: Int

    /// Info whose byte size is that of `dataType` and `shape`.
    public init(name: String, dataType: DataType, shape: [Int]) throws {
        self.name = name
        self.dataType = dataType
        self.shape = shape
        byteSize = try Tensor.byteCount(dataType: dataType, shape: shape)
    }

    /// Like `image: float32[1, 3, 32, 32]`.
    public var description: String { "\(name): \(Tensor.describe(dataType: dataType, shape: shape))" }
}

/// What a library's code was compiled for.
public struct Target: Equatable, Sendable, Decodable {
    /// The LLVM target triple, like `x86_64-pc-linux-gnu`.
    public let triple: String
    /// The CPU name, like `znver5`.
    public let cpu: String
    /// The CPU features, like `+avx512f,+avx512vnni`.
    public let features: String
    /// A library with several variants of its kernels: each one, most capable first (nil for a
    /// library with one); `cpu` and `features` above are then those of its CPU dispatch.
    public private(set) var variants: [Variant]? = nil

    /// One variant of a library's kernels.
    public struct Variant: Equatable, Sendable, Decodable {
        /// What `WEBNNC_VARIANT` selects, like `x86-64-v3+avxvnni`.
        public let name: String
        public let cpu: String
        public let features: String
        /// The kernel of each step in this variant.
        public let kernels: [String]
    }
}
