import CLLVM
import WebNNBasics
import WebNNLowering

/// The kernel program as one variant of a library runs it: its constant filters packed for the
/// variant's target, an emitter per step, and the steps grouped by the body they share.
struct VariantProgram {
    let target: ResolvedTarget
    let program: KernelProgram
    /// The emitter of each step.
    let kernels: [KernelEmitter]
    /// The program's interleaved runs whose every kernel splits into their rounds (their kernels
    /// are `RoundSplitKernel`s): the library runs these round by round.
    let interleavedRuns: [InterleavedRun]
    /// The first steps of the interleaved runs that run fused: attention's scores, softmax and
    /// context whose kernels cut a head's rows into the same blocks (`GemmKernel.RowCut.blocks`),
    /// so that one task runs all three steps on one block, one parallel_for a round: the block's
    /// scores (`attentionBlockBytes`) stay in L2 from the product that writes them through the
    /// softmax to the product that reads them, where step by step each round's whole slice of
    /// scores went through the cache three times.
    let fusedRunStarts: Set<Int>
    /// The body each step runs: an index into `bodySteps`.
    let bodyOfStep: [Int]
    /// The first step of each distinct body; steps with equal `StepSignature`s share one.
    let bodySteps: [Int]

    init(_ program: KernelProgram, target: ResolvedTarget, vnniStandIn: Int?) throws {
        self.target = target
        let filters = RecurrentPacking.pack(FastConv2dPacking.pack(program, target: target), target: target)
        self.program = QuantizedConvPacking.pack(GemmPacking.pack(filters, target: target),
                                                 target: target, vnniStandIn: vnniStandIn)
        let vectorWidth = FastConv2dPacking.vectorWidth(target)
        var kernels = try self.program.steps.map { try makeKernelEmitter(for: $0, vectorWidth: vectorWidth) }
        interleavedRuns = self.program.interleavedRuns.filter { run in
            run.steps.allSatisfy { kernels[$0].rounds == 1 && kernels[$0].splits(intoRounds: run.rounds) }
        }
        var fusedRunStarts: Set<Int> = []
        for run in interleavedRuns {
            if let fused = try VariantProgram.fusedAttention(run, self.program.steps, kernels, vectorWidth: vectorWidth) {
                let first = run.steps.lowerBound
                for (index, kernel) in zip(run.steps, fused) {
                    kernels[index] = RoundSplitKernel(kernel: kernel, rounds: run.rounds, label: index == first
                        ? "FusedAttention(" + fused.map(\.name).joined(separator: ", ") + ")"
                        : "\(kernel.name) (fused: timed in the run's first step)")
                }
                fusedRunStarts.insert(first)
            } else {
                for index in run.steps { kernels[index] = RoundSplitKernel(kernel: kernels[index], rounds: run.rounds) }
            }
        }
        self.fusedRunStarts = fusedRunStarts
        self.kernels = kernels
        var bodies: [StepSignature: Int] = [:]
        var bodySteps: [Int] = []
        bodyOfStep = self.program.steps.enumerated().map { index, step in
            let signature = StepSignature(step, rounds: kernels[index].rounds)
            if let body = bodies[signature] { return body }
            bodies[signature] = bodySteps.count
            bodySteps.append(index)
            return bodySteps.count - 1
        }
        self.bodySteps = bodySteps
    }

    /// The scores of a fused attention task's row block take about this many bytes (L2 holds
    /// them with the block's rows of q and the head's k and v).
    static let attentionBlockBytes = 128 << 10

    /// The kernels of `run` cut into the row blocks of a fused run, or nil when its steps are not
    /// a batched product into a vector-path softmax into a batched product over the same rows
    /// (both products of activations, as attention's are) whose tasks then pair up one to one.
    private static func fusedAttention(_ run: InterleavedRun, _ steps: [KernelStep], _ kernels: [KernelEmitter],
                                       vectorWidth: Int?) throws -> [KernelEmitter]? {
        guard run.steps.count == 3, let scores = kernels[run.steps.lowerBound] as? GemmKernel,
              let softmax = kernels[run.steps.lowerBound + 1] as? SoftmaxKernel, softmax.vectorWidth != nil,
              let context = kernels[run.steps.lowerBound + 2] as? GemmKernel,
              !scores.packedB, !context.packedB, scores.m == context.m else { return nil }
        let targetRows = max(1, attentionBlockBytes / (4 * scores.n))
        let blocks = (scores.m + targetRows - 1) / targetRows
        let rowBlock = (scores.m + blocks - 1) / blocks
        let fused = try run.steps.map { try makeKernelEmitter(for: steps[$0], vectorWidth: vectorWidth, rowBlock: rowBlock) }
        guard Set(fused.map(\.taskCount)).count == 1, fused.allSatisfy({ $0.splits(intoRounds: run.rounds) }) else { return nil }
        return fused
    }

    /// At most this many kernel modules per variant and pipeline: enough to keep every thread
    /// busy to the end, few enough that the cost of a module (its target machine and pass
    /// pipelines) stays small.
    static let maximumModules = 8

    /// The kernels whose bodies are register tiles with hand-placed vector code, each result
    /// stored once: their modules run `OptimizationPipeline.registerTiled`.
    static let registerTiledKernels: Set<String> = ["FastConv2dKernel", "DepthwiseConv2dKernel"]

    /// The bodies split over the variant's kernel modules: the register-tiled kernels' apart from
    /// the others (they get a leaner pipeline), each kind round robin (neighbouring steps of a
    /// network are alike in size, so every module gets a share of each size). The split depends
    /// only on the program, never on the number of threads, so the code is the same for any.
    var bodyGroups: [(bodies: [Int], pipeline: OptimizationPipeline)] {
        let tiled = bodySteps.indices.filter { VariantProgram.registerTiledKernels.contains(kernels[bodySteps[$0]].name) }
        let tiledSet = Set(tiled)
        let others = bodySteps.indices.filter { !tiledSet.contains($0) }
        func split(_ bodies: [Int], _ pipeline: OptimizationPipeline) -> [(bodies: [Int], pipeline: OptimizationPipeline)] {
            let count = min(bodies.count, VariantProgram.maximumModules)
            return (0..<count).map { group in
                (stride(from: group, to: bodies.count, by: count).map { bodies[$0] }, pipeline)
            }
        }
        return split(tiled, .registerTiled) + split(others, .standard)
    }
}

/// Everything a step body depends on, so that steps with equal signatures (a network's
/// repeated blocks) can share one body: its kernel, the type and view strides of each
/// buffer (a convolution writing into a concat's buffer indexes its result through them),
/// and which operands share the result's buffer, and its rounds (its task wrapper reads the
/// round). Only where the buffers are is left out: the task wrapper passes the pointers.
struct StepSignature: Hashable {
    var kernel: Kernel
    var types: [TensorType]
    var strides: [[Int]?]
    var operandsSharingResult: [Bool]
    var rounds: Int
    init(_ step: KernelStep, rounds: Int) {
        self.rounds = rounds
        kernel = step.kernel
        let buffers = [step.result] + step.operands
        types = buffers.map(\.type)
        strides = buffers.map(\.strides)
        operandsSharingResult = step.operandsSharingResult
    }
}

/// The weights of every variant, each distinct constant once: what packing left alone (or
/// packed alike for two variants) is embedded once and shared.
struct WeightPool {
    /// The embedded constants: (variant, constant index) of each one's first occurrence.
    let entries: [(variant: Int, constant: Int)]
    /// `slots[variant][constant]`: the entry holding that variant's constant.
    let slots: [[Int]]

    init(_ variants: [VariantProgram]) {
        var entries: [(variant: Int, constant: Int)] = []
        var bySize: [Int: [Int]] = [:]
        slots = variants.enumerated().map { variantIndex, variant in
            variant.program.constants.enumerated().map { constantIndex, data in
                let candidates = bySize[data.bytes.count, default: []]
                if let same = candidates.first(where: { variants[entries[$0].variant].program.constants[entries[$0].constant].bytes == data.bytes }) {
                    return same
                }
                entries.append((variantIndex, constantIndex))
                bySize[data.bytes.count, default: []].append(entries.count - 1)
                return entries.count - 1
            }
        }
        self.entries = entries
    }
}

/// The symbol prefix of a variant's step bodies and tasks, `P.vN`.
func kernelSymbolPrefix(_ prefix: String, variant: Int) -> String { "\(prefix).v\(variant)" }

/// The task function of body `body` in a variant's kernel modules (defined there, hidden, and
/// called by the variant's run loop in the library module).
func taskSymbol(_ symbolPrefix: String, body: Int) -> String { "\(symbolPrefix).task\(body)" }

/// Emits a kernel module of one variant: for each body given, the step's kernel as an internal
/// function and its `webnnc_task_fn` wrapper, which the library module calls.
struct KernelModuleEmitter {
    let module: IRModule
    let variant: VariantProgram
    /// `P.vN`.
    let symbolPrefix: String
    let flushDenormals: Bool

    private var types: IRTypes { module.types }

    func emit(bodies: [Int]) {
        for body in bodies {
            let stepIndex = variant.bodySteps[body]
            let step = variant.program.steps[stepIndex]
            let function = emitStepBody(body, step: step, kernel: variant.kernels[stepIndex])
            emitTask(body, calling: function, bufferCount: 1 + step.operands.count, kernel: variant.kernels[stepIndex])
        }
    }

    /// Emits the step's kernel as `internal void body(ptr noalias result, ptr noalias operands...,
    /// i64 task)`; an in-place step's result and the operands sharing its buffer are not noalias,
    /// and the kernel reads those operands through the result's pointer: with one pointer LLVM
    /// sees that element i is read and written in the same iteration and vectorizes the loop,
    /// where two pointers it cannot prove apart made it keep the scalar loop (an in-place exp
    /// ran 13x slower than the same step out of place).
    private func emitStepBody(_ body: Int, step: KernelStep, kernel: KernelEmitter) -> LLVMValueRef {
        let bufferCount = 1 + step.operands.count
        let function = module.addFunction("\(symbolPrefix).body\(body)", returning: types.void,
                                          parameters: Array(repeating: types.pointer, count: bufferCount) + [types.i64],
                                          exported: false)
        let sharing = step.operandsSharingResult
        let shared = [sharing.contains(true)] + sharing
        for parameter in 0..<bufferCount where !shared[parameter] { module.markNoAlias(function, parameter: parameter) }
        // Kept out of line so that no float operation can move across the task's MXCSR writes.
        module.addEnumAttribute("noinline", to: function, at: functionAttributeIndex)
        let e = FunctionEmitter(module: module, function: function)
        let buffers = StepBuffers(result: TypedBuffer(e.parameter(0), step.result.type.dataType),
                                  operands: step.operands.enumerated().map { index, operand in
                                      TypedBuffer(e.parameter(sharing[index] ? 0 : index + 1), operand.type.dataType)
                                  })
        kernel.emitTask(e, buffers, task: e.parameter(bufferCount))
        e.returnVoid()
        return function
    }

    /// The `webnnc_task_fn` `void task(ptr context, i64 index)` of a body: reads the buffer
    /// pointers from `context` and sets MXCSR for the duration of the task. Hidden: only the
    /// library module calls it. A kernel of several rounds finds the round after the pointers
    /// (an i64) and gets task `round · taskCount + index`.
    private func emitTask(_ body: Int, calling function: LLVMValueRef, bufferCount: Int, kernel: KernelEmitter) {
        let task = module.addFunction(taskSymbol(symbolPrefix, body: body), returning: types.void,
                                      parameters: [types.pointer, types.i64], exported: false)
        LLVMSetLinkage(task, LLVMExternalLinkage)
        LLVMSetVisibility(task, LLVMHiddenVisibility)
        let e = FunctionEmitter(module: module, function: task)
        let pointers = (0..<bufferCount).map { e.load(e.parameter(0), e.int($0), type: types.pointer) }
        var taskIndex = e.parameter(1)
        if kernel.rounds > 1 {
            taskIndex = e.load(e.parameter(0), e.int(bufferCount), type: types.i64) * kernel.taskCount + taskIndex
        }
        e.withFloatingPointPolicy(flushDenormals: flushDenormals) {
            e.call(function, type: module.functionType(of: function), pointers + [taskIndex])
        }
        e.returnVoid()
    }
}

extension FunctionEmitter {
    /// Runs `body` with MXCSR set to the documented policy (0x1F80, or 0x9FC0 with flushed
    /// denormals) and restores the caller's MXCSR afterwards. No-op off x86-64.
    func withFloatingPointPolicy(flushDenormals: Bool, _ body: () -> Void) {
        guard module.machine.target.isX86_64 else { return body() }
        let saved = entryAlloca(types.i32, count: 1)
        let policy = entryAlloca(types.i32, count: 1)
        callIntrinsic("llvm.x86.sse.stmxcsr", [saved])
        store(int32(flushDenormals ? 0x9FC0 : 0x1F80), policy, int(0))
        callIntrinsic("llvm.x86.sse.ldmxcsr", [policy])
        body()
        callIntrinsic("llvm.x86.sse.ldmxcsr", [saved])
    }
}
