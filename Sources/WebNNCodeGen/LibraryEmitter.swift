import CLLVM
import WebNNBasics
import WebNNLowering

/// Builds the LLVM module of a generated library: embedded weights, the query functions and
/// tables of docs/abi.md, `P_check_cpu`, one task function per kernel step, and `P_run`.
struct LibraryEmitter {
    let module: IRModule
    let program: KernelProgram
    /// The emitter of each step of `program`.
    let kernels: [KernelEmitter]
    let description: LibraryDescription
    let flushDenormals: Bool

    private var prefix: String { description.prefix }
    private var types: IRTypes { module.types }
    private var target: ResolvedTarget { module.machine.target }

    func emit() throws {
        emitConstantQueries()
        emitTensorInfo("input", program.inputs)
        emitTensorInfo("output", program.outputs)
        let checkCPU = emitCheckCPU()
        let constants = program.constants.enumerated().map { index, data in
            module.addConstantBytes("\(prefix).weights.\(index)", data.bytes)
        }
        var bodies: [StepSignature: LLVMValueRef] = [:]
        let tasks = zip(program.steps, kernels).enumerated().map { index, step in
            let signature = StepSignature(step.0)
            let body = bodies[signature] ?? emitStepBody(index: index, step: step.0, kernel: step.1)
            bodies[signature] = body
            return emitStepTask(index: index, body: body, bufferCount: 1 + step.0.operands.count, kernel: step.1)
        }
        emitRun(checkCPU: checkCPU, constants: constants, tasks: tasks, kernels: kernels)
    }

    // MARK: Queries

    private func exportedFunction(_ name: String, returning returnType: LLVMTypeRef, parameters: [LLVMTypeRef] = [],
                                  _ body: (FunctionEmitter) -> Void) -> LLVMValueRef {
        let function = module.addFunction("\(prefix)_\(name)", returning: returnType, parameters: parameters, exported: true)
        body(FunctionEmitter(module: module, function: function))
        return function
    }

    private func emitConstantQueries() {
        let strings = [("model_name", description.modelName), ("compiler_version", description.compilerVersion),
                       ("cpu_features", target.summary), ("describe", description.json)]
        for (name, text) in strings {
            let global = module.addCString("\(prefix).\(name).text", text)
            _ = exportedFunction(name, returning: types.pointer) { $0.returnValue($0.wrap(global)) }
        }
        let integers: [(String, Int)] = [("abi_version", LibraryDescription.abiVersion),
                                         ("num_inputs", program.inputs.count), ("num_outputs", program.outputs.count)]
        for (name, value) in integers {
            _ = exportedFunction(name, returning: types.i32) { $0.returnValue($0.int32(Int32(value))) }
        }
        _ = exportedFunction("scratch_size", returning: types.i64) { $0.returnValue($0.int(program.scratchSize)) }
    }

    /// `P_<kind>_info(i)`: a pointer into a constant `webnnc_tensor_info` table, NULL out of range.
    private func emitTensorInfo(_ kind: String, _ tensors: [ProgramTensor]) {
        var fields: [LLVMTypeRef?] = [types.pointer, types.i32, types.i32, types.pointer, types.i64]
        let infoType = LLVMStructTypeInContext(module.context, &fields, 5, 0)!
        var entries: [LLVMValueRef?] = tensors.enumerated().map { index, tensor in
            let name = module.addCString("\(prefix).\(kind).\(index).name", tensor.name)
            var shapeValues: [LLVMValueRef?] = tensor.type.shape.map { LLVMConstInt(types.i64, UInt64($0), 0) }
            let shape = tensor.type.rank == 0 ? LLVMConstNull(types.pointer)!
                : module.addGlobal("\(prefix).\(kind).\(index).shape",
                                   LLVMConstArray(types.i64, &shapeValues, UInt32(shapeValues.count)), alignment: 8)
            var values: [LLVMValueRef?] = [name, LLVMConstInt(types.i32, UInt64(tensor.type.dataType.abiCode), 0),
                                           LLVMConstInt(types.i32, UInt64(tensor.type.rank), 0), shape,
                                           LLVMConstInt(types.i64, UInt64(tensor.type.byteSize), 0)]
            return LLVMConstNamedStruct(infoType, &values, 5)
        }
        let table = module.addGlobal("\(prefix).\(kind).info", LLVMConstArray(infoType, &entries, UInt32(entries.count)),
                                     alignment: 8)
        _ = exportedFunction("\(kind)_info", returning: types.pointer, parameters: [types.i32]) { e in
            let index = e.parameter(0)
            let inRange = e.wrap(LLVMBuildICmp(e.builder, LLVMIntULT, index.reference,
                                               e.int32(Int32(tensors.count)).reference, ""))
            e.returnIf(e.wrap(LLVMBuildNot(e.builder, inRange.reference, "")), e.wrap(LLVMConstNull(types.pointer)))
            let byteOffset = e.zeroExtend(index, to: types.i64) * 32
            e.returnValue(e.bytePointer(e.wrap(table), offset: byteOffset))
        }
    }

    private func emitCheckCPU() -> LLVMValueRef {
        exportedFunction("check_cpu", returning: types.i32) { e in
            if target.isX86_64 {
                CPUFeatureCheck(features: target.enabledFeatures).emit(into: e)
            } else {
                e.returnValue(e.int32(0))
            }
        }
    }

    // MARK: Kernels

    /// Everything a step body depends on, so that steps with equal signatures (a network's
    /// repeated blocks) can share one body: its kernel, the type and view strides of each
    /// buffer (a convolution writing into a concat's buffer indexes its result through them),
    /// and which operands share the result's buffer. Only where the buffers are is left out:
    /// the task wrapper passes the pointers.
    private struct StepSignature: Hashable {
        var kernel: Kernel
        var types: [TensorType]
        var strides: [[Int]?]
        var operandsSharingResult: [Bool]
        init(_ step: KernelStep) {
            kernel = step.kernel
            let buffers = [step.result] + step.operands
            types = buffers.map(\.type)
            strides = buffers.map(\.strides)
            operandsSharingResult = step.operandsSharingResult
        }
    }

    /// Emits the step's kernel as `internal void step(ptr noalias result, ptr noalias operands...,
    /// i64 task)`; an in-place step's result and the operands sharing its buffer are not noalias.
    private func emitStepBody(index: Int, step: KernelStep, kernel: KernelEmitter) -> LLVMValueRef {
        let bufferCount = 1 + step.operands.count
        let body = module.addFunction("\(prefix).step\(index)", returning: types.void,
                                      parameters: Array(repeating: types.pointer, count: bufferCount) + [types.i64],
                                      exported: false)
        let sharing = step.operandsSharingResult
        let shared = [sharing.contains(true)] + sharing
        for parameter in 0..<bufferCount where !shared[parameter] { module.markNoAlias(body, parameter: parameter) }
        // Kept out of line so that no float operation can move across the task's MXCSR writes.
        module.addEnumAttribute("noinline", to: body, at: functionAttributeIndex)
        let bodyEmitter = FunctionEmitter(module: module, function: body)
        let buffers = StepBuffers(result: TypedBuffer(bodyEmitter.parameter(0), step.result.type.dataType),
                                  operands: step.operands.enumerated().map { TypedBuffer(bodyEmitter.parameter($0 + 1), $1.type.dataType) })
        kernel.emitTask(bodyEmitter, buffers, task: bodyEmitter.parameter(bufferCount))
        bodyEmitter.returnVoid()
        return body
    }

    /// A `webnnc_task_fn` wrapper `void task(ptr context, i64 index)` of step `index`: reads the
    /// buffer pointers from `context` and sets MXCSR for the duration of the task. A kernel of
    /// several rounds finds the round after the pointers (an i64) and gets task
    /// `round · taskCount + index`.
    private func emitStepTask(index: Int, body: LLVMValueRef, bufferCount: Int, kernel: KernelEmitter) -> LLVMValueRef {
        let task = module.addFunction("\(prefix).step\(index).task", returning: types.void,
                                      parameters: [types.pointer, types.i64], exported: false)
        let e = FunctionEmitter(module: module, function: task)
        let pointers = (0..<bufferCount).map { e.load(e.parameter(0), e.int($0), type: types.pointer) }
        var taskIndex = e.parameter(1)
        if kernel.rounds > 1 {
            taskIndex = e.load(e.parameter(0), e.int(bufferCount), type: types.i64) * kernel.taskCount + taskIndex
        }
        withFloatingPointPolicy(e) {
            e.call(body, type: module.functionType(of: body), pointers + [taskIndex])
        }
        e.returnVoid()
        return task
    }

    // MARK: Run

    /// `P_run_profiled(inputs, outputs, scratch, parallel_for, pool, step_ticks)`: runs the
    /// steps, adding each one's time-stamp-counter ticks to `step_ticks[i]` when it is not NULL;
    /// `P_run(...)` is the same with NULL.
    private func emitRun(checkCPU: LLVMValueRef, constants: [LLVMValueRef], tasks: [LLVMValueRef], kernels: [KernelEmitter]) {
        var parallelForParameters: [LLVMTypeRef?] = [types.pointer, types.i64, types.pointer, types.pointer]
        let parallelForType = LLVMFunctionType(types.void, &parallelForParameters, 4, 0)!
        let profiled = exportedFunction("run_profiled", returning: types.i32, parameters: Array(repeating: types.pointer, count: 6)) { e in
            let (inputs, outputs, scratch, parallelFor, pool) = (e.parameter(0), e.parameter(1), e.parameter(2),
                                                                 e.parameter(3), e.parameter(4))
            let stepTicks = e.parameter(5)
            let nullArgument = e.int32(1)
            for (array, count) in [(inputs, program.inputs.count), (outputs, program.outputs.count)] {
                e.returnIf(isNull(e, array), nullArgument)
                for index in 0..<count {
                    e.returnIf(isNull(e, e.load(array, e.int(index), type: types.pointer)), nullArgument)
                }
            }
            if program.scratchSize > 0 {
                e.returnIf(isNull(e, scratch), nullArgument)
                let address = e.wrap(LLVMBuildPtrToInt(e.builder, scratch.reference, types.i64, ""))
                e.returnIf(e.and(address, e.int(63)) != e.int(0), e.int32(3))
            }
            let cpuStatus = e.call(checkCPU, type: module.functionType(of: checkCPU), [])
            e.returnIf(cpuStatus != e.int32(0), cpuStatus)

            func pointer(to buffer: BufferRef) -> IRValue {
                switch buffer.location {
                case .input(let index): return e.load(inputs, e.int(index), type: types.pointer)
                case .output(let index): return e.load(outputs, e.int(index), type: types.pointer)
                case .constant(let index): return e.wrap(constants[index])
                case .scratch(let offset): return e.bytePointer(scratch, offset: e.int(offset))
                }
            }
            withFloatingPointPolicy(e) {
                for (index, step) in program.steps.enumerated() {
                    let buffers = [step.result] + step.operands
                    let rounds = kernels[index].rounds
                    let context = e.entryAlloca(types.pointer, count: buffers.count + (rounds > 1 ? 1 : 0))
                    for (slot, buffer) in buffers.enumerated() {
                        e.store(pointer(to: buffer), context, e.int(slot))
                    }
                    let start = e.callIntrinsic("llvm.readcyclecounter", [])
                    let run = {
                        self.runTasks(e, task: tasks[index], count: kernels[index].taskCount, context: context,
                                      parallelFor: parallelFor, parallelForType: parallelForType, pool: pool)
                    }
                    if rounds > 1 {
                        _ = e.forLoop(from: e.int(0), to: e.int(rounds), carrying: [], unrolled: false) { round, _ in
                            e.store(round, context, e.int(buffers.count))  // the i64 after the pointers
                            run()
                            return []
                        }
                    } else {
                        run()
                    }
                    addTicks(e, since: start, to: stepTicks, index: index)
                }
            }
            e.returnValue(e.int32(0))
        }
        _ = exportedFunction("run", returning: types.i32, parameters: Array(repeating: types.pointer, count: 5)) { e in
            let arguments = (0..<5).map(e.parameter) + [e.wrap(LLVMConstNull(types.pointer))]
            e.returnValue(e.call(profiled, type: module.functionType(of: profiled), arguments))
        }
    }

    /// `ticks[index] += counter - start` unless `ticks` is NULL.
    private func addTicks(_ e: FunctionEmitter, since start: IRValue, to ticks: IRValue, index: Int) {
        let elapsed = e.callIntrinsic("llvm.readcyclecounter", []) - start
        let record = LLVMAppendBasicBlockInContext(module.context, e.function, "profile.record")
        let done = LLVMAppendBasicBlockInContext(module.context, e.function, "profile.done")
        LLVMBuildCondBr(e.builder, isNull(e, ticks).reference, done, record)
        LLVMPositionBuilderAtEnd(e.builder, record)
        e.store(e.load(ticks, e.int(index), type: types.i64) + elapsed, ticks, e.int(index))
        LLVMBuildBr(e.builder, done)
        LLVMPositionBuilderAtEnd(e.builder, done)
    }

    /// `parallel_for(pool, count, task, context)` when a callback is given and there is more than
    /// one task, otherwise `task(context, i)` for every i on this thread.
    private func runTasks(_ e: FunctionEmitter, task: LLVMValueRef, count: Int, context: IRValue,
                          parallelFor: IRValue, parallelForType: LLVMTypeRef, pool: IRValue) {
        let taskType = module.functionType(of: task)
        let serial = { e.forLoop(from: 0, to: count) { index in e.call(task, type: taskType, [context, index]) } }
        guard count > 1 else { return serial() }
        let hasPool = e.wrap(LLVMBuildNot(e.builder, isNull(e, parallelFor).reference, ""))
        let parallelBlock = LLVMAppendBasicBlockInContext(module.context, e.function, "parallel")
        let serialBlock = LLVMAppendBasicBlockInContext(module.context, e.function, "serial")
        let done = LLVMAppendBasicBlockInContext(module.context, e.function, "step.done")
        LLVMBuildCondBr(e.builder, hasPool.reference, parallelBlock, serialBlock)
        LLVMPositionBuilderAtEnd(e.builder, parallelBlock)
        e.call(parallelFor.reference, type: parallelForType, [pool, e.int(count), e.wrap(task), context])
        LLVMBuildBr(e.builder, done)
        LLVMPositionBuilderAtEnd(e.builder, serialBlock)
        serial()
        LLVMBuildBr(e.builder, done)
        LLVMPositionBuilderAtEnd(e.builder, done)
    }

    private func isNull(_ e: FunctionEmitter, _ pointer: IRValue) -> IRValue {
        e.wrap(LLVMBuildIsNull(e.builder, pointer.reference, ""))
    }

    /// Runs `body` with MXCSR set to the documented policy (0x1F80, or 0x9FC0 with flushed
    /// denormals) and restores the caller's MXCSR afterwards. No-op off x86-64.
    private func withFloatingPointPolicy(_ e: FunctionEmitter, _ body: () -> Void) {
        guard target.isX86_64 else { return body() }
        let saved = e.entryAlloca(types.i32, count: 1)
        let policy = e.entryAlloca(types.i32, count: 1)
        e.callIntrinsic("llvm.x86.sse.stmxcsr", [saved])
        e.store(e.int32(flushDenormals ? 0x9FC0 : 0x1F80), policy, e.int(0))
        e.callIntrinsic("llvm.x86.sse.ldmxcsr", [policy])
        body()
        e.callIntrinsic("llvm.x86.sse.ldmxcsr", [saved])
    }
}
