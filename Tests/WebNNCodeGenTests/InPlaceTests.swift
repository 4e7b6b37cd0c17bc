import Testing
import WebNNBasics
import WebNNCodeGen
import WebNNCompiler
import WebNNIR
import WebNNLowering

/// The memory plan's in-place element-wise steps: which steps write over an operand's buffer,
/// what the report counts, and that the compiled graph still agrees with the interpreter.
@Suite struct InPlaceTests {
    @Test func elementwiseStepsReuseOperandsThatDie() throws {
        let seed = testSeed()
        var maker = GraphMaker(seed: seed)
        let x = try maker.input("x", [1, 4, 6, 6])
        let w = try maker.constant("w", [8, 4, 3, 3])
        let conv = try maker.node("conv2d", [x, w], ["padding": .ints([1, 1, 1, 1])], output: false)       // step 0
        let relu = try maker.node("relu", [conv], output: false)                                            // 1: over conv
        let flat = try maker.node("reshape", [relu], ["newShape": .ints([8, 36])], output: false)           // an alias of relu
        let sigmoid = try maker.node("sigmoid", [flat], output: false)                                      // 2: over relu, through the alias
        let exp = try maker.node("exp", [sigmoid], output: false)                                           // 3: sigmoid is read again
        let sum = try maker.node("add", [exp, sigmoid], output: false)                                      // 4: over exp
        let biased = try maker.node("add", [try maker.constant("bias", [36]), sum], output: false)          // 5: over sum
        let row = try maker.node("relu", [try maker.input("y", [1, 36])], output: false)                    // 6: reads an input
        let product = try maker.node("mul", [row, biased], output: false)                                   // 7: row is broadcast, biased read again
        try maker.node("sub", [product, biased])                                                            // 8: writes the output

        let program = try Lowering.lower(maker.graph)
        let inPlace = program.steps.map { $0.operandsSharingResult.contains(true) }
        #expect(inPlace == [false, true, true, false, true, true, false, false, false])
        #expect(program.steps[2].operandsSharingResult == [true])
        #expect(program.steps[4].operandsSharingResult == [true, false])
        #expect(program.steps[5].operandsSharingResult == [false, true])
        let report = MemoryPlanReport(program)
        #expect(report.inPlaceCount == 4)
        #expect(report.description.hasSuffix("; 4 in-place"))
        #expect(report.peakLiveBytes <= report.scratchBytes)
        try expectMatchesReference(maker, seed: seed)
    }

    /// At -O3 an element-wise chain between two convolutions becomes one fusedElementwise step,
    /// which writes over the first convolution's result.
    @Test func fusedElementwiseWritesInPlace() throws {
        let seed = testSeed()
        var maker = GraphMaker(seed: seed)
        let x = try maker.input("x", [1, 3, 5, 5])
        let conv = try maker.node("conv2d", [x, try maker.constant("w", [4, 3, 1, 1])], output: false)
        let chain = try maker.node("neg", [try maker.node("exp", [conv], output: false)], output: false)
        try maker.node("conv2d", [chain, try maker.constant("w2", [2, 4, 1, 1])])
        maker.graph = try Compiler().optimize(maker.graph)
        let program = try Lowering.lower(maker.graph)
        let fused = try #require(program.steps.first { if case .fusedElementwise = $0.kernel { true } else { false } })
        #expect(fused.operandsSharingResult == [true])
        try expectMatchesReference(maker, seed: seed)
    }

    /// An in-place step is vectorized like any other: it reads the operand it writes over
    /// through the result's pointer. Through two pointers LLVM could not prove apart, it guarded
    /// the vector loop with a runtime overlap check (`vector.memcheck`), which an in-place step
    /// always fails: the scalar loop ran, and an in-place exp took 13x as long.
    @Test func inPlaceStepsNeedNoOverlapCheck() throws {
        var maker = GraphMaker(seed: 1)
        let x = try maker.input("x", [8, 64])
        let doubled = try maker.node("add", [x, x], output: false)
        let exp = try maker.node("exp", [doubled], output: false)  // over `doubled`
        try maker.node("mul", [exp, x])
        let program = try Lowering.lower(maker.graph)
        #expect(program.steps.map { $0.operandsSharingResult.contains(true) } == [false, true, false])
        let compiled = try CodeGen.compile(program, options: CodeGenOptions(prefix: "m"))
        // The exp step's body (bodies are numbered in step order), up to the next function.
        let module = String(decoding: try compiled.emit(.llvmIR), as: UTF8.self)
        let start = try #require(module.range(of: "define [^\\n]*@m.v0.body1\\(", options: .regularExpression))
        let end = module.range(of: "\ndefine ", range: start.upperBound..<module.endIndex)?.lowerBound ?? module.endIndex
        let body = module[start.upperBound..<end]
        #expect(body.contains("vector.body"), "the in-place exp is not vectorized")
        #expect(!body.contains("memcheck"), "the in-place exp's vector loop is guarded by an overlap check")
        try expectMatchesReference(maker, seed: 1)
    }

    /// A softmax writes its result over its input (each line is read whole, for the maximum,
    /// before any of it is stored), along the last axis and along another.
    @Test(arguments: [0, 1]) func softmaxWritesInPlace(axis: Int) throws {
        let seed = testSeed()
        var maker = GraphMaker(seed: seed)
        let x = try maker.input("x", [7, 37])
        let scaled = try maker.node("mul", [x, try maker.constant("three", [], in: 3...3)], output: false)
        try maker.node("abs", [try maker.node("softmax", [scaled], ["axis": .int(Int64(axis))], output: false)])
        let program = try Lowering.lower(maker.graph)
        let softmax = try #require(program.steps.first { if case .softmax = $0.kernel { true } else { false } })
        #expect(softmax.operandsSharingResult == [true])
        try expectMatchesReference(maker, seed: seed)
    }

    /// A value that dies in a step that is not element-wise or a softmax, or whose type differs
    /// from the result's (a comparison, a cast), keeps its own buffer.
    @Test func otherStepsDoNotWriteInPlace() throws {
        let seed = testSeed()
        var maker = GraphMaker(seed: seed)
        let x = try maker.input("x", [3, 5])
        let a = try maker.node("neg", [x], output: false)
        let b = try maker.node("layerNormalization", [a], ["axes": .ints([1])], output: false)
        let c = try maker.node("greater", [b, try maker.constant("half", [], in: 0.5...0.5)], output: false)
        let d = try maker.node("cast", [c], ["dataType": .string("float32")], output: false)
        try maker.node("mul", [d, x])
        let program = try Lowering.lower(maker.graph)
        #expect(program.steps.allSatisfy { !$0.operandsSharingResult.contains(true) })
        #expect(MemoryPlanReport(program).inPlaceCount == 0)
        try expectMatchesReference(maker, seed: seed)
    }
}
