import WebNNBasics
import WebNNIR

/// Fuses the element-wise work that follows `conv2d`, `convTranspose2d`, `gemm` and `matmul`
/// into them, as the webnnc extension options of `FusedEpilogue`, so the kernels apply it while
/// the result is still in registers or cache instead of in separate passes over memory. In the
/// order the kernel applies them, an operator absorbs:
/// 1. a **bias**: `add` of (or `sub` of) a constant that varies only along the channel axis
///    into conv2d's or convTranspose2d's `bias`; an `add` of a tensor that broadcasts to
///    `[M, N]` into gemm's `c` (a 2-D matmul becomes a gemm with that `c`); a per-column `add`
///    into a batched matmul's `bias` (`[N]`);
/// 2. a **residual**: `add` of another tensor of the output's type (ResNet's shortcut);
/// 3. an **activation**: relu, clamp (relu6), sigmoid, tanh, leakyRelu, elu, hardSwish,
///    hardSigmoid, gelu, linear or prelu (its slope, broadcast to the output, becomes
///    `fusedSlope`); a `mul` by a one-element constant counts as `linear` (attention's scale).
/// The absorbed operator's input must have no other use (graph outputs count as uses), and the
/// fused node takes the absorbed node's output name, so graph outputs keep their names.
enum EpilogueFusion {
    static let pass = Pass("fuse-epilogues", "fuse a following bias add, residual add and activation (relu, clamp, sigmoid, tanh, leakyRelu, elu, hardSwish, hardSigmoid, gelu, linear or a scale, prelu) into conv2d, convTranspose2d, gemm and matmul") { graph in
        try GraphRebuilder.rewrite(&graph, with: fused)
    }

    private static let fusableOperators: Set<String> = ["conv2d", "convTranspose2d", "gemm", "matmul"]

    private static func fused(_ node: Node, _ rebuilder: inout GraphRebuilder) throws -> [ValueID]? {
        let name = rebuilder.sourceNames(of: node.outputs)[0]
        if let (input, activation) = activation(of: node, rebuilder) {
            var epilogue = activation
            guard let producer = fusableProducer(of: input, rebuilder),
                  FusedEpilogue(producer).activation == nil,
                  try node.schema.inferOutputs(node, rebuilder.graph) == [rebuilder.graph[input].type] else { return nil }
            epilogue.residual = FusedEpilogue(producer).residual
            var fused = producer
            epilogue.apply(to: &fused)
            return try rebuilder.addNode(fused, outputNames: [name])
        }
        guard node.op == "add" || node.op == "sub", let a = node.operands[0], let b = node.operands[1], a != b else { return nil }
        // Candidates: (the fusable side, the other side); for add the later producer first.
        let sides = node.op == "sub" ? [(a, b)] : (a > b ? [(a, b), (b, a)] : [(b, a), (a, b)])
        for (input, other) in sides {
            guard let producer = fusableProducer(of: input, rebuilder), FusedEpilogue(producer).isEmpty,
                  try node.schema.inferOutputs(node, rebuilder.graph) == [rebuilder.graph[input].type] else { continue }
            if let fused = try withBias(producer, adding: other, negated: node.op == "sub", name: name, &rebuilder) {
                return try rebuilder.addNode(fused, outputNames: [name])
            }
        }
        guard node.op == "add" else { return nil }
        for (input, other) in sides {
            guard let producer = fusableProducer(of: input, rebuilder), FusedEpilogue(producer).isEmpty,
                  rebuilder.graph[other].type == rebuilder.graph[input].type else { continue }
            var fused = producer
            FusedEpilogue(residual: other).apply(to: &fused)
            return try rebuilder.addNode(fused, outputNames: [name])
        }
        return nil
    }

    /// The activation `node` applies to its input: a fusable activation operator, or a `mul` by
    /// a one-element float constant c (attention's scaling of its scores), fused as
    /// `linear(alpha: c, beta: -0)`: x·c + (−0) is x·c exactly, the sign of a zero included.
    private static func activation(of node: Node, _ rebuilder: GraphRebuilder) -> (input: ValueID, epilogue: FusedEpilogue)? {
        if let epilogue = FusedEpilogue(activationNode: node), let input = node.operands[0] { return (input, epilogue) }
        guard node.op == "mul", let a = node.operands[0], let b = node.operands[1] else { return nil }
        for (input, other) in [(a, b), (b, a)] {
            guard let scale = rebuilder.constant(other), scale.elementCount == 1, scale.type.dataType.isFloatingPoint,
                  rebuilder.constant(input) == nil else { continue }
            return (input, FusedEpilogue(activation: .linear, alpha: scale.double(at: 0), beta: -0.0))
        }
        return nil
    }

    /// The conv2d/gemm/matmul node producing `value` if `value` is its only output and has no
    /// other use.
    private static func fusableProducer(of value: ValueID, _ rebuilder: GraphRebuilder) -> Node? {
        guard let producer = rebuilder.producer(of: value), fusableOperators.contains(producer.op),
              producer.outputs == [value], rebuilder.useCount(of: value) == 1 else { return nil }
        return producer
    }

    /// `producer` with `other` (negated for `sub`) absorbed as its bias, or nil if `other` is not
    /// a bias of it. The producer has nothing fused yet.
    private static func withBias(_ producer: Node, adding other: ValueID, negated: Bool, name: String,
                                 _ rebuilder: inout GraphRebuilder) throws -> Node? {
        let output = rebuilder.graph[producer.outputs[0]].type
        let constant = rebuilder.constant(other)
        guard constant != nil || !negated else { return nil }
        let sign = negated ? -1.0 : 1.0
        var fused = producer
        func setOperand(_ parameter: String, _ value: ValueID?) {
            fused.operands[producer.schema.operandParameterNames.firstIndex(of: parameter)!] = value
        }
        /// A new constant of the output's data type.
        func addConstant(_ values: [Double], shape: [Int], _ suffix: String) throws -> ValueID {
            try rebuilder.addConstant(TensorData(output.dataType, shape: shape, values: values),
                                      name: rebuilder.freshName("\(name).\(suffix)"))
        }
        /// Per-channel values of `other` along `axis`, plus those of the constant `existing`.
        func channelSum(axis: Int, existing: ValueID?) -> [Double]? {
            guard let constant, let values = BatchNormFolding.perChannel(constant, outputShape: output.shape, axis: axis) else { return nil }
            guard let existing else { return values.map { sign * $0 } }
            guard let old = rebuilder.constant(existing)?.doubles else { return nil }
            return zip(old, values).map { $0 + sign * $1 }
        }
        switch producer.op {
        case "conv2d", "convTranspose2d":
            let axis = producer.string("inputLayout") == InputLayout.nhwc.rawValue ? 3 : 1
            guard let bias = channelSum(axis: axis, existing: producer.operand("bias")) else { return nil }
            setOperand("bias", try addConstant(bias, shape: [bias.count], "bias"))
        case "gemm":
            let otherShape = rebuilder.graph[other].type.shape
            guard otherShape.count <= 2 else { return nil }
            if let c = producer.operand("c") {
                guard let constant, let cData = rebuilder.constant(c) else { return nil }
                let beta = producer.double("beta") ?? 1
                let (shape, values) = broadcastSum(cData, scale: beta, constant, scale: sign)
                setOperand("c", try addConstant(values, shape: shape, "c"))
            } else if let constant, negated {
                setOperand("c", try addConstant(constant.doubles.map { -$0 }, shape: constant.type.shape, "c"))
            } else {
                setOperand("c", other)
            }
            fused.attributes["beta"] = nil
        default:  // matmul
            if output.rank == 2 {
                guard rebuilder.graph[other].type.rank <= 2, producer.operand("bias") == nil else { return nil }
                let a = producer.operand("a")!, b = producer.operand("b")!
                let c = negated ? try addConstant(constant!.doubles.map { -$0 }, shape: constant!.type.shape, "c") : other
                return Node(op: "gemm", operands: [a, b, c], location: producer.location)
            }
            if let bias = channelSum(axis: output.rank - 1, existing: producer.operand("bias")) {
                setOperand("bias", try addConstant(bias, shape: [bias.count], "bias"))
            } else if constant == nil, producer.operand("bias") == nil, rebuilder.graph[other].type.shape == [output.shape.last!] {
                setOperand("bias", other)
            } else {
                return nil
            }
        }
        return fused
    }

    /// `scaleA·a + scaleB·b` for two tensors of rank ≤ 2 that broadcast to one matrix; the
    /// result has their common (broadcast) shape.
    private static func broadcastSum(_ a: TensorData, scale scaleA: Double, _ b: TensorData, scale scaleB: Double)
        -> (shape: [Int], values: [Double]) {
        func matrix(_ data: TensorData) -> (rows: Int, columns: Int) {
            let shape = [Int](repeating: 1, count: 2 - data.type.rank) + data.type.shape
            return (shape[0], shape[1])
        }
        let (aShape, bShape) = (matrix(a), matrix(b))
        let rows = max(aShape.rows, bShape.rows), columns = max(aShape.columns, bShape.columns)
        func element(_ data: TensorData, _ shape: (rows: Int, columns: Int), _ row: Int, _ column: Int) -> Double {
            data.double(at: (shape.rows == 1 ? 0 : row) * shape.columns + (shape.columns == 1 ? 0 : column))
        }
        let values = (0..<rows * columns).map { index in
            let (row, column) = (index / columns, index % columns)
            return scaleA * element(a, aShape, row, column) + scaleB * element(b, bShape, row, column)
        }
        let rank = max(a.type.rank, b.type.rank)
        return (rank == 2 ? [rows, columns] : rank == 1 ? [columns] : [], values)
    }
}
