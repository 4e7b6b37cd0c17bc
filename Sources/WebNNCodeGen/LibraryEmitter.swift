import CLLVM
import WebNNBasics
import WebNNLowering

/// Builds the library module of a generated library: the embedded weights, the query functions
/// and tables of docs/abi.md, `P_check_cpu` and the choice of variant, each variant's run loop
/// (which calls the tasks its kernel modules define), and `P_run`.
struct LibraryEmitter {
    let module: IRModule
    let description: LibraryDescription
    /// The variants, most capable first (one for a library without variants).
    let variants: [VariantProgram]
    let weights: WeightPool
    let flushDenormals: Bool

    private var prefix: String { description.prefix }
    private var types: IRTypes { module.types }
    /// The inputs, outputs, scratch size and step count are the same in every variant.
    private var program: KernelProgram { variants[0].program }

    func emit() {
        emitConstantQueries()
        emitTensorInfo("input", program.inputs)
        emitTensorInfo("output", program.outputs)
        let choose = emitVariantChoice()
        let weightGlobals = weights.entries.enumerated().map { index, entry in
            module.addConstantBytes("\(prefix).weights.\(index)", variants[entry.variant].program.constants[entry.constant].bytes)
        }
        let runs = variants.indices.map { emitVariantRun($0, weights: weightGlobals) }
        emitRun(choose: choose, variantRuns: runs)
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
                       ("cpu_features", cpuFeatures), ("describe", description.json)]
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

    /// `P_cpu_features`: `triple cpu +features` of the code; with variants, the triple and then
    /// each variant's name and features, `; `-separated, most capable first.
    private var cpuFeatures: String {
        guard variants.count > 1 else { return variants[0].target.summary }
        return variants[0].target.triple + " "
            + variants.map { "\($0.target.name) \($0.target.enabledFeatureList)" }.joined(separator: "; ")
    }

    // MARK: CPU check and variant choice

    /// `P_check_cpu`, `P_variant`, and the internal `i32 P.variant.choose()` they and `P_run`
    /// call: the index of the variant to run, -1 when the CPU can run none. With one variant it
    /// is the CPUID check itself. With several, the first found of: the variant `WEBNNC_VARIANT`
    /// names (-1 when this CPU cannot run it; a name the library lacks is ignored), else the first
    /// (most capable) variant this CPU can run; the answer is cached after the first call.
    private func emitVariantChoice() -> LLVMValueRef {
        let checks = variants.enumerated().map { index, variant in
            let check = module.addFunction("\(prefix).v\(index).check_cpu", returning: types.i32, parameters: [], exported: false)
            let e = FunctionEmitter(module: module, function: check)
            if variant.target.isX86_64 {
                CPUFeatureCheck(features: variant.target.enabledFeatures).emit(into: e)
            } else {
                e.returnValue(e.int32(0))
            }
            return check
        }
        func supported(_ e: FunctionEmitter, _ index: Int) -> IRValue {
            e.call(checks[index], type: module.functionType(of: checks[index]), []) == e.int32(0)
        }
        let none = Int32(-1)
        let choose = module.addFunction("\(prefix).variant.choose", returning: types.i32, parameters: [], exported: false)
        if variants.count == 1 {
            let e = FunctionEmitter(module: module, function: choose)
            e.returnValue(e.select(supported(e, 0), e.int32(0), e.int32(none)))
        } else {
            let find = module.addFunction("\(prefix).variant.find", returning: types.i32, parameters: [], exported: false)
            let e = FunctionEmitter(module: module, function: find)
            let getenv = module.declareExternalFunction("getenv", returning: types.pointer, parameters: [types.pointer])
            let strcmp = module.declareExternalFunction("strcmp", returning: types.i32, parameters: [types.pointer, types.pointer])
            let forced = e.call(getenv, type: module.functionType(of: getenv),
                                [e.wrap(module.addCString("\(prefix).variant.environment", "WEBNNC_VARIANT"))])
            e.ifThen(e.wrap(LLVMBuildIsNotNull(e.builder, forced.reference, ""))) {
                for index in variants.indices {
                    let name = e.wrap(module.addCString("\(prefix).v\(index).name", variants[index].target.name))
                    let same = e.call(strcmp, type: module.functionType(of: strcmp), [forced, name]) == e.int32(0)
                    e.returnIf(same, computing: { e.select(supported(e, index), e.int32(Int32(index)), e.int32(none)) })
                }
            }
            for index in variants.indices { e.returnIf(supported(e, index), e.int32(Int32(index))) }
            e.returnValue(e.int32(none))

            // The cache: -2 until the first answer is stored (monotonic atomics: racing first
            // calls compute the same answer).
            let unknown = Int32(-2)
            let cache = module.addMutableGlobal("\(prefix).variant.cached", LLVMConstInt(types.i32, UInt64(bitPattern: Int64(unknown)), 1))
            let c = FunctionEmitter(module: module, function: choose)
            let cached = c.load(types.i32, from: c.wrap(cache), alignment: 4)
            LLVMSetOrdering(cached.reference, LLVMAtomicOrderingMonotonic)
            c.returnIf(cached != c.int32(unknown), cached)
            let found = c.call(find, type: module.functionType(of: find), [])
            c.store(found, to: c.wrap(cache), alignment: 4)
            LLVMSetOrdering(LLVMGetLastInstruction(LLVMGetInsertBlock(c.builder)), LLVMAtomicOrderingMonotonic)
            c.returnValue(found)
        }
        let chooseType = module.functionType(of: choose)
        _ = exportedFunction("check_cpu", returning: types.i32) { e in
            let index = e.call(choose, type: chooseType, [])
            e.returnValue(e.select(index < e.int32(0), e.int32(2), e.int32(0)))
        }
        _ = exportedFunction("variant", returning: types.i32) { e in e.returnValue(e.call(choose, type: chooseType, [])) }
        return choose
    }

    // MARK: Run

    /// `internal i32 P.vN.run(inputs, outputs, scratch, parallel_for, pool, step_ticks)`: runs the
    /// steps of variant N through the task functions of its kernel modules, adding each one's
    /// time-stamp-counter ticks to `step_ticks[i]` when it is not NULL. The arguments are checked.
    private func emitVariantRun(_ variantIndex: Int, weights weightGlobals: [LLVMValueRef]) -> LLVMValueRef {
        let variant = variants[variantIndex]
        var parallelForParameters: [LLVMTypeRef?] = [types.pointer, types.i64, types.pointer, types.pointer]
        let parallelForType = LLVMFunctionType(types.void, &parallelForParameters, 4, 0)!
        let symbolPrefix = kernelSymbolPrefix(prefix, variant: variantIndex)
        let tasks = variant.bodySteps.indices.map { body in
            module.declareExternalFunction(taskSymbol(symbolPrefix, body: body), returning: types.void,
                                           parameters: [types.pointer, types.i64], hidden: true)
        }
        let run = module.addFunction("\(symbolPrefix).run", returning: types.i32,
                                     parameters: Array(repeating: types.pointer, count: 6), exported: false)
        let e = FunctionEmitter(module: module, function: run)
        let (inputs, outputs, scratch, parallelFor, pool, stepTicks) = (e.parameter(0), e.parameter(1), e.parameter(2),
                                                                        e.parameter(3), e.parameter(4), e.parameter(5))
        func pointer(to buffer: BufferRef) -> IRValue {
            switch buffer.location {
            case .input(let index): return e.load(inputs, e.int(index), type: types.pointer)
            case .output(let index): return e.load(outputs, e.int(index), type: types.pointer)
            case .constant(let index): return e.wrap(weightGlobals[weights.slots[variantIndex][index]])
            case .scratch(let offset): return e.bytePointer(scratch, offset: e.int(offset))
            }
        }
        /// The step's context: its buffer pointers, then (for a kernel of several rounds) the round.
        func context(ofStep index: Int) -> IRValue {
            let step = variant.program.steps[index]
            let buffers = [step.result] + step.operands
            let context = e.entryAlloca(types.pointer, count: buffers.count + (variant.kernels[index].rounds > 1 ? 1 : 0))
            for (slot, buffer) in buffers.enumerated() {
                e.store(pointer(to: buffer), context, e.int(slot))
            }
            return context
        }
        /// In round r of a run, the step's pointers to the run's local buffers are moved down by
        /// r slices from the buffer's last slice, so that the kernels (which address round r's
        /// slice r) all use the last slice: one slice of memory, hot in cache, for every round.
        func pointLocalBuffers(ofStep index: Int, _ context: IRValue, run: InterleavedRun, round: IRValue) {
            let step = variant.program.steps[index]
            for (slot, buffer) in ([step.result] + step.operands).enumerated() {
                guard case .scratch(let offset) = buffer.location, run.localBuffers.contains(offset) else { continue }
                let sliceBytes = buffer.type.byteSize / run.rounds
                e.store(e.bytePointer(scratch, offset: e.int(offset) + (e.int(run.rounds - 1) - round) * sliceBytes), context, e.int(slot))
            }
        }
        func storeRound(_ round: IRValue, ofStep index: Int, _ context: IRValue) {
            e.store(round, context, e.int(1 + variant.program.steps[index].operands.count))  // the i64 after the pointers
        }
        /// One round of the step's tasks (`round` nil: a kernel of one round).
        func runRound(ofStep index: Int, _ context: IRValue, round: IRValue?) {
            let start = e.callIntrinsic("llvm.readcyclecounter", [])
            if let round { storeRound(round, ofStep: index, context) }
            runTasks(e, task: tasks[variant.bodyOfStep[index]], count: variant.kernels[index].taskCount,
                     context: context, parallelFor: parallelFor, parallelForType: parallelForType, pool: pool)
            addTicks(e, since: start, to: stepTicks, index: index)
        }
        /// `body(round)` for each round, in order.
        func forEachRound(_ rounds: Int, _ body: (IRValue) -> Void) {
            _ = e.forLoop(from: e.int(0), to: e.int(rounds), carrying: [], unrolled: false) { round, _ in
                body(round)
                return []
            }
        }
        e.withFloatingPointPolicy(flushDenormals: flushDenormals) {
            let runs = Dictionary(uniqueKeysWithValues: variant.interleavedRuns.map { ($0.steps.lowerBound, $0) })
            var index = 0
            while index < variant.program.steps.count {
                if let run = runs[index], variant.fusedRunStarts.contains(index) {
                    // One parallel_for a round, each task running every step's task of that index
                    // (timed as the first step).
                    let contexts = run.steps.map { context(ofStep: $0) }
                    let fusedContext = e.entryAlloca(types.pointer, count: contexts.count)
                    for (slot, context) in contexts.enumerated() { e.store(context, fusedContext, e.int(slot)) }
                    let fusedTask = emitFusedTask(run.steps.map { tasks[variant.bodyOfStep[$0]] },
                                                  name: "\(symbolPrefix).fused\(index)")
                    forEachRound(run.rounds) { round in
                        let start = e.callIntrinsic("llvm.readcyclecounter", [])
                        for (step, context) in zip(run.steps, contexts) {
                            pointLocalBuffers(ofStep: step, context, run: run, round: round)
                            storeRound(round, ofStep: step, context)
                        }
                        runTasks(e, task: fusedTask, count: variant.kernels[index].taskCount, context: fusedContext,
                                 parallelFor: parallelFor, parallelForType: parallelForType, pool: pool)
                        addTicks(e, since: start, to: stepTicks, index: index)
                    }
                    index = run.steps.upperBound
                    continue
                }
                if let run = runs[index] {  // round by round: every step's round r, then r + 1
                    let contexts = run.steps.map { context(ofStep: $0) }
                    forEachRound(run.rounds) { round in
                        for (step, context) in zip(run.steps, contexts) {
                            pointLocalBuffers(ofStep: step, context, run: run, round: round)
                            runRound(ofStep: step, context, round: round)
                        }
                    }
                    index = run.steps.upperBound
                    continue
                }
                let context = context(ofStep: index), rounds = variant.kernels[index].rounds
                if rounds > 1 {  // a recurrent loop: one parallel_for per round (step), in order
                    forEachRound(rounds) { round in runRound(ofStep: index, context, round: round) }
                } else {
                    runRound(ofStep: index, context, round: nil)
                }
                index += 1
            }
        }
        e.returnValue(e.int32(0))
        return run
    }

    /// `internal void name(ptr contexts, i64 index)`: `tasks[i](contexts[i], index)` for each i,
    /// in order (a fused run's task).
    private func emitFusedTask(_ tasks: [LLVMValueRef], name: String) -> LLVMValueRef {
        let function = module.addFunction(name, returning: types.void, parameters: [types.pointer, types.i64], exported: false)
        let e = FunctionEmitter(module: module, function: function)
        for (slot, task) in tasks.enumerated() {
            let context = e.load(e.parameter(0), e.int(slot), type: types.pointer)
            e.call(task, type: module.functionType(of: task), [context, e.parameter(1)])
        }
        e.returnVoid()
        return function
    }

    /// `P_run_profiled(inputs, outputs, scratch, parallel_for, pool, step_ticks)`: checks the
    /// arguments and the CPU, then runs the chosen variant; `P_run(...)` is the same with NULL.
    private func emitRun(choose: LLVMValueRef, variantRuns: [LLVMValueRef]) {
        let profiled = exportedFunction("run_profiled", returning: types.i32, parameters: Array(repeating: types.pointer, count: 6)) { e in
            let (inputs, outputs, scratch) = (e.parameter(0), e.parameter(1), e.parameter(2))
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
            let variant = e.call(choose, type: module.functionType(of: choose), [])
            e.returnIf(variant < e.int32(0), e.int32(2))
            let arguments = (0..<6).map(e.parameter)
            let fallback = LLVMAppendBasicBlockInContext(module.context, e.function, "variant.last")!
            let dispatch = LLVMBuildSwitch(e.builder, variant.reference, fallback, UInt32(variantRuns.count - 1))
            for (index, run) in variantRuns.enumerated() {
                let block = index == variantRuns.count - 1 ? fallback
                    : LLVMAppendBasicBlockInContext(module.context, e.function, "variant")!
                if index < variantRuns.count - 1 { LLVMAddCase(dispatch, e.int32(Int32(index)).reference, block) }
                LLVMPositionBuilderAtEnd(e.builder, block)
                e.returnValue(e.call(run, type: module.functionType(of: run), arguments))
            }
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
}
