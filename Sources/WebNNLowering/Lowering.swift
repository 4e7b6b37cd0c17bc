import WebNNBasics
import WebNNIR

/// Turns a verified graph into a kernel program.
///
/// Graph inputs and outputs are the caller's buffers, constants are embedded, and intermediates
/// share one scratch arena (see `ScratchAllocator`). A reshape of an intermediate is an alias of
/// its operand's buffer. Outputs that are graph inputs, constants or values already written to
/// another output (a value listed twice) are filled by copy steps at the end. Recurrent
/// operators are first expanded into a gemm and a `recurrentLoop` step (`RecurrentExpansion`).
/// A concat along the channel axis of convolutions that only feed it takes no step: the
/// convolutions write their results into its buffer (`ConcatViews`).
public enum Lowering {
    public static func lower(_ graph: Graph) throws -> KernelProgram {
        var planner = BufferPlanner(try RecurrentExpansion.expand(graph))
        try planner.planSteps()
        return planner.program()
    }
}

/// The state of one lowering: which buffer holds each value, and the steps so far.
private struct BufferPlanner {
    let graph: Graph
    /// The buffer of each value that has one; scratch values get theirs at the end.
    private var buffers: [ValueID: BufferLocation] = [:]
    /// For a value that aliases another (reshape), the value whose buffer it shares.
    private var aliasRoot: [ValueID: ValueID] = [:]
    private var constants: [TensorData] = []
    private var steps: [PendingStep] = []

    /// A step whose buffers are values (scratch offsets are not known yet) or fixed buffers.
    private struct PendingStep {
        var kernel: Kernel
        var operands: [ValueID]
        var result: ValueID
        /// Set for output copies: the output slot written instead of `result`'s buffer.
        var outputSlot: Int?
    }

    init(_ graph: Graph) {
        self.graph = graph
        for (index, input) in graph.inputs.enumerated() { buffers[input] = .input(index) }
        for (id, constant) in graph.constants.sorted(by: { $0.key < $1.key }) {
            buffers[id] = .constant(constants.count)
            constants.append(constant.data)
        }
        for (slot, output) in graph.outputs.enumerated() where buffers[output] == nil {
            if !graph.outputs[..<slot].contains(output) { buffers[output] = .output(slot) }
        }
    }

    mutating func planSteps() throws {
        for node in graph.nodes {
            if let lowered = try dataMovementAndReductionSteps(node, graph) {  // one step per output (split)
                steps += lowered.map { PendingStep(kernel: $0.kernel, operands: $0.operands, result: $0.result) }
                continue
            }
            guard let kernelOperands = try kernel(for: node) else {
                aliasRoot[node.outputs[0]] = root(of: node.operands[0]!)
                continue
            }
            steps.append(PendingStep(kernel: kernelOperands.0, operands: kernelOperands.1, result: node.outputs[0]))
        }
        for (slot, output) in graph.outputs.enumerated() where buffers[output] != .output(slot) {
            steps.append(PendingStep(kernel: .copy, operands: [output], result: output, outputSlot: slot))
        }
    }

    private func root(of value: ValueID) -> ValueID { aliasRoot[value].map(root(of:)) ?? value }

    /// The kernel and operands of a node, or nil when the node is a reshape that aliases its input.
    private func kernel(for node: Node) throws -> (Kernel, [ValueID])? {
        let operands = node.operands.compactMap { $0 }
        func operand(_ name: String) -> ValueID? { node.operand(name) }
        if let elementwise = elementwiseKernel(for: node) { return (elementwise, operands) }
        switch node.op {
        case "add", "sub", "mul", "div", "max", "min":
            return (.binary(BinaryOperator(rawValue: node.op)!), operands)
        case ElementwiseProgram.operatorName:
            return (.fusedElementwise(try fusedElementwiseInstructions(node)), operands)
        case "reshape", "identity":
            let isOutput = graph.outputs.contains(node.outputs[0])
            return node.op == "reshape" && !isOutput ? nil : (.copy, operands)
        case "transpose":
            let rank = graph[operands[0]].type.rank
            return (.transpose(permutation: node.ints("permutation") ?? Array((0..<rank).reversed())), operands)
        case "concat":
            return (.concat(axis: node.int("axis") ?? 0), operands)
        case "softmax":
            return (.softmax(axis: node.int("axis") ?? 0), operands)
        case "matmul":  // operands: a, b, then bias (as c), residual and slope when fused
            var attributes = MatMulAttributes()
            attributes.epilogue = Epilogue(node, graph)
            return (.matmul(attributes), operands)
        case "gemm":
            let attributes = MatMulAttributes(alpha: Float(node.double("alpha") ?? 1), beta: Float(node.double("beta") ?? 1),
                                              aTranspose: node.bool("aTranspose") ?? false,
                                              bTranspose: node.bool("bTranspose") ?? false)
            var fused = attributes
            fused.epilogue = Epilogue(node, graph)
            return (.matmul(fused), operands)
        case "conv2d":
            let parameters = try Conv2dParameters(node, graph)
            let attributes = Conv2dAttributes(padding: parameters.window.padding, strides: parameters.window.strides,
                                              dilations: parameters.window.dilations, groups: parameters.groups,
                                              inputLayout: parameters.inputLayout, filterLayout: parameters.filterLayout)
            var fused = attributes
            fused.epilogue = Epilogue(node, graph)
            return (.conv2d(fused), [operand("input"), operand("filter"), operand("bias"), operand("residual"),
                                     operand("fusedSlope")].compactMap { $0 })
        case QuantizedConv2dParameters.operatorName:
            let q = try QuantizedConv2dParameters(node, graph), parameters = q.convolution
            let convolution = Conv2dAttributes(padding: parameters.window.padding, strides: parameters.window.strides,
                                               dilations: parameters.window.dilations, groups: parameters.groups,
                                               inputLayout: parameters.inputLayout, filterLayout: parameters.filterLayout)
            return (.quantizedConv2d(QuantizedConv2dAttributes(convolution: convolution, inputZeroPoint: q.inputZeroPoint,
                                                               outputZeroPoint: q.outputZeroPoint,
                                                               outputMinValue: q.outputMinValue,
                                                               outputMaxValue: q.outputMaxValue)), operands)
        case QuantizedAddParameters.operatorName:
            return (.quantizedAdd(try QuantizedAddParameters(node, graph)), operands)
        case "averagePool2d", "maxPool2d":
            let parameters = try Pool2dParameters(node, graph)
            let attributes = Pool2dAttributes(kind: node.op == "maxPool2d" ? .max : .average,
                                              windowDimensions: [parameters.windowHeight, parameters.windowWidth],
                                              padding: parameters.window.padding, strides: parameters.window.strides,
                                              dilations: parameters.window.dilations, layout: parameters.layout)
            return (.pool2d(attributes), operands)
        case "batchNormalization":
            let attributes = BatchNormalizationAttributes(axis: node.int("axis") ?? 1, epsilon: Float(node.double("epsilon") ?? 1e-5),
                                                          hasScale: operand("scale") != nil, hasBias: operand("bias") != nil)
            return (.batchNormalization(attributes),
                    [operand("input"), operand("mean"), operand("variance"), operand("scale"), operand("bias")].compactMap { $0 })
        case RecurrentLoopParameters.operatorName:
            return (.recurrent(try RecurrentLoopParameters(node, graph)), operands)
        case "convTranspose2d", "l2Pool2d", "instanceNormalization", "layerNormalization", "resample2d",
             "quantizeLinear", "dequantizeLinear":
            return try lowerSpatialOrNormalization(node, graph)
        default:
            throw Diagnostic("operator '\(node.op)' is not supported by the code generator yet", at: node.location)
        }
    }

    /// The scratch offset of an operand of step `index` whose buffer the result can take over
    /// (in place): the step is element-wise (each result element is computed from the operands'
    /// elements in the same iteration, read before it is stored) or a softmax (each line is read
    /// whole before any of it is stored: attention's probabilities then take the scores' buffer,
    /// half the memory a head's round keeps in cache), and the operand has the result's type (so
    /// it is read at the element's own index, not broadcast), lives in scratch (not an input,
    /// output or constant) and is last read here (`lastRead`: by the steps themselves, not the
    /// lifetimes interleaved runs extend), through any reshape alias of its buffer too.
    private func inPlaceOffset(of step: PendingStep, at index: Int, lastRead: [ValueID: Int],
                               _ locations: [ValueID: BufferLocation]) -> Int? {
        switch step.kernel {
        case .unary, .binary, .select, .fusedElementwise, .softmax: break
        default: return nil
        }
        for operand in step.operands where graph[operand].type == graph[step.result].type && lastRead[root(of: operand)] == index {
            if case .scratch(let offset)? = locations[root(of: operand)] { return offset }
        }
        return nil
    }

    /// A round of an attention run takes at least this many bytes of scores (or all of them):
    /// each round is one parallel_for per step, and a round of one head at sequence 128 (64 KB)
    /// spent more on dispatch at 2 threads than it saved in cache (12 rounds: scores and
    /// context slower at 2 threads than at 1; 3 rounds of 4 heads: faster).
    static let minimumRoundBytes = 256 << 10

    /// Attention's scores → softmax → context as consecutive steps: a batched matmul, a softmax
    /// along the last axis of its result, and a batched matmul whose `a` is the softmax, all three
    /// with one batch of B > 1 slices (heads): an `InterleavedRun` whose rounds take an equal
    /// number of slices, as many rounds as `minimumRoundBytes` allows (none: no run).
    private func attentionRuns() -> [InterleavedRun] {
        var runs: [InterleavedRun] = []
        var index = 0
        while index + 2 < steps.count {
            let (scores, softmax, context) = (steps[index], steps[index + 1], steps[index + 2])
            let shape = graph[scores.result].type.shape
            if case .matmul = scores.kernel, case .softmax(let axis) = softmax.kernel, case .matmul = context.kernel,
               shape.count >= 3, axis == shape.count - 1, softmax.operands.first == scores.result,
               context.operands.first == softmax.result,
               graph[context.result].type.shape.dropLast(2) == shape.dropLast(2), shape.dropLast(2).reduce(1, *) > 1 {
                let slices = shape.dropLast(2).reduce(1, *)
                let sliceBytes = graph[scores.result].type.byteSize / slices
                let rounds = (1...slices).last { slices % $0 == 0 && slices / $0 * sliceBytes >= BufferPlanner.minimumRoundBytes } ?? 1
                if rounds > 1 { runs.append(InterleavedRun(steps: index..<index + 3, rounds: rounds)) }
                index += 3
            } else {
                index += 1
            }
        }
        return runs
    }

    /// Assigns scratch offsets by liveness and builds the program. An element-wise step writes
    /// its result in place when it can (`inPlaceOffset`). A buffer an interleaved run reads or
    /// writes stays live to the run's last step (its steps run round by round).
    func program() -> KernelProgram {
        var lastUse: [ValueID: Int] = [:]
        for (index, step) in steps.enumerated() {
            for operand in step.operands { lastUse[root(of: operand)] = index }
        }
        let lastRead = lastUse
        let runs = attentionRuns()
        // A run's step results that only the run's own steps read (not outputs, not concat views).
        let localValues = runs.map { run in
            run.steps.dropLast().map { steps[$0] }.filter { step in
                step.outputSlot == nil && root(of: step.result) == step.result && (lastUse[step.result] ?? 0) < run.steps.upperBound
            }.map(\.result)
        }
        for run in runs {
            for value in run.steps.flatMap({ steps[$0].operands + [steps[$0].result] }) {
                lastUse[root(of: value)] = max(lastUse[root(of: value)] ?? 0, run.steps.upperBound - 1)
            }
        }
        let views = ConcatViews(steps: steps.map { ($0.kernel, $0.operands, $0.result) }, graph: graph,
                                root: root(of:), writable: { root(of: $0) == $0 && buffers[$0] == nil })
        var allocator = ScratchAllocator()
        var locations = buffers
        for (index, step) in steps.enumerated() where step.outputSlot == nil && locations[step.result] == nil {
            if let view = views.views[step.result] {
                // The first convolution into a concat's buffer places that buffer.
                let concatOffset: Int
                if case .scratch(let placed)? = locations[view.concat] {
                    concatOffset = placed
                } else {
                    concatOffset = allocator.allocate(byteSize: graph[view.concat].type.byteSize, firstUse: index,
                                                      lastUse: max(index, lastUse[view.concat] ?? index))
                    locations[view.concat] = .scratch(byteOffset: concatOffset)
                }
                locations[step.result] = .scratch(byteOffset: concatOffset + view.byteOffset)
                continue
            }
            let last = max(index, lastUse[step.result] ?? index)
            let offset: Int
            if let shared = inPlaceOffset(of: step, at: index, lastRead: lastRead, locations) {
                allocator.reuse(offset: shared, lastUse: last)
                offset = shared
            } else {
                offset = allocator.allocate(byteSize: graph[step.result].type.byteSize, firstUse: index, lastUse: last)
            }
            locations[step.result] = .scratch(byteOffset: offset)
        }
        func buffer(_ value: ValueID) -> BufferRef {
            BufferRef(locations[root(of: value)]!, graph[value].type, strides: views.views[value]?.strides)
        }
        let kernelSteps = steps.enumerated().filter { !views.elidedSteps.contains($0.offset) }.map(\.element).map { step in
            KernelStep(step.kernel, operands: step.operands.map(buffer),
                       result: step.outputSlot.map { BufferRef(.output($0), graph[step.result].type) } ?? buffer(step.result),
                       label: (step.outputSlot == nil ? "" : "copy to output ") + graph[step.result].name)
        }
        func tensor(_ id: ValueID) -> ProgramTensor { ProgramTensor(name: graph[id].name, type: graph[id].type) }
        // Step indices after the elided concat steps (never inside a run) are gone.
        func kernelIndex(_ index: Int) -> Int { index - views.elidedSteps.filter { $0 < index }.count }
        let kernelRuns = zip(runs, localValues).map { run, values in
            InterleavedRun(steps: kernelIndex(run.steps.lowerBound)..<kernelIndex(run.steps.upperBound), rounds: run.rounds,
                           localBuffers: values.filter { views.views[$0] == nil }.compactMap { value in
                               if case .scratch(let offset)? = locations[value] { return offset }
                               return nil
                           })
        }
        return KernelProgram(name: graph.name, inputs: graph.inputs.map(tensor), outputs: graph.outputs.map(tensor),
                             constants: constants, scratchSize: allocator.size, steps: kernelSteps, interleavedRuns: kernelRuns)
    }
}

/// The concats whose operands are written in place: a concat along the channel axis whose
/// every operand is the result of a conv2d step (without a residual or prelu epilogue, which
/// read at the result's own indices) in that layout, read by nothing but this concat, once.
/// Each such convolution writes its result as a view into the concat's buffer (the concat's
/// strides, starting at its offset along the axis), and the concat step goes away.
struct ConcatViews {
    struct View {
        /// The concat result whose buffer holds the view.
        let concat: ValueID
        /// Where the view starts in that buffer.
        let byteOffset: Int
        let strides: [Int]
    }

    private(set) var views: [ValueID: View] = [:]
    /// Indices of the concat steps that go away.
    private(set) var elidedSteps: Set<Int> = []

    /// `root(value)`: the value whose buffer it shares (itself, or what a reshape aliases);
    /// `writable(value)`: whether the value has its own scratch buffer to give up (not an
    /// input, constant, output or alias).
    init(steps: [(kernel: Kernel, operands: [ValueID], result: ValueID)], graph: Graph, root: (ValueID) -> ValueID,
         writable: (ValueID) -> Bool) {
        var reads: [ValueID: Int] = [:]  // of each buffer, through any alias
        for step in steps { for operand in step.operands { reads[root(operand), default: 0] += 1 } }
        var producer: [ValueID: Int] = [:]
        for (index, step) in steps.enumerated() { producer[step.result] = index }
        for (index, step) in steps.enumerated() {
            guard case .concat(let axis) = step.kernel, writable(step.result) else { continue }
            let eligible = step.operands.allSatisfy { operand in
                guard writable(operand), reads[operand] == 1, let p = producer[operand],
                      case .conv2d(let attributes) = steps[p].kernel,
                      !attributes.epilogue.hasResidual, attributes.epilogue.preluSlope == nil else { return false }
                return axis == (attributes.inputLayout == .nhwc ? 3 : 1)
            }
            guard eligible else { continue }
            let type = graph[step.result].type
            let strides = rowMajorStrides(type.shape)
            var start = 0
            for operand in step.operands {
                views[operand] = View(concat: step.result, byteOffset: start * strides[axis] * type.dataType.byteSize,
                                      strides: strides)
                start += graph[operand].type.shape[axis]
            }
            elidedSteps.insert(index)
        }
    }
}
