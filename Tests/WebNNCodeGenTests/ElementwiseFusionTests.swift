import Foundation
import Testing
import WebNNBasics
import WebNNCodeGen
import WebNNIR
import WebNNLowering
import WebNNReference
import WebNNTransforms

/// Random graphs of element-wise operators compiled at -O0 (every node its own loop) and at -O3
/// (chains fused by `fuse-elementwise` into one loop) agree with the interpreter, in float32
/// and float16; and every operator a fused program may use compiles inside one.
@Suite struct ElementwiseFusionTests {
    static let unaryOperators: [(String, [String: Attribute])] = [
        ("relu", [:]), ("sigmoid", [:]), ("tanh", [:]), ("clamp", ["minValue": .double(-0.5), "maxValue": .double(0.75)]),
        ("leakyRelu", ["alpha": .double(0.2)]), ("hardSwish", [:]), ("hardSigmoid", ["alpha": .double(0.3), "beta": .double(0.4)]),
        ("elu", ["alpha": .double(0.7)]), ("gelu", [:]), ("linear", ["alpha": .double(1.5), "beta": .double(0.25)]),
        ("neg", [:]), ("abs", [:]), ("exp", [:]), ("erf", [:]), ("softplus", [:]), ("softsign", [:]),
    ]

    /// Random chains on positive data of operators that keep it positive (no sub, neg or exp),
    /// so that no result is a cancellation, or an exponential, of earlier rounding errors, which
    /// the operators' tolerances, added up along the chain, do not cover.
    @Test(arguments: [DataType.float32, .float16], 0..<6) func randomChains(_ dataType: DataType, _ round: Int) throws {
        let seed = testSeed()
        var maker = GraphMaker(seed: seed)
        var g = maker.generator
        let shape = [Int.random(in: 1...3, using: &g), Int.random(in: 1...5, using: &g), Int.random(in: 1...70, using: &g)]
        maker.generator = g
        // The chain starts at x, which has the result's shape, so the first two nodes always fuse.
        var values = [try maker.input("y", shape, dataType, in: 0.1...2), try maker.input("row", [shape[2]], dataType, in: 0.1...2),
                      try maker.constant("c", [1, shape[2]], dataType, in: 0.1...2), try maker.input("x", shape, dataType, in: 0.1...2)]
        let unaryOperators = ElementwiseFusionTests.unaryOperators.filter { $0.0 != "neg" && $0.0 != "exp" }
        for step in 0..<Int.random(in: 3...9, using: &maker.generator) {
            let other = values.dropLast().randomElement(using: &maker.generator)!
            if Bool.random(using: &maker.generator) {
                let (op, attributes) = unaryOperators.randomElement(using: &maker.generator)!
                values.append(try maker.node(op, [values.last!], attributes, output: false))
            } else {
                let op = ["add", "mul", "max", "min"].randomElement(using: &maker.generator)!
                let operands = Bool.random(using: &maker.generator) ? [values.last!, other] : [other, values.last!]
                values.append(try maker.node(op, operands, output: step > 1 && Int.random(in: 0..<8, using: &maker.generator) == 0))
            }
        }
        maker.graph.addOutput(values.last!)
        try expectMatchesReferenceFusedAndNot(maker, seed: seed)
    }

    /// Every operator a program may use, in chains that keep sqrt, log, pow and div on
    /// well-conditioned operands.
    @Test(arguments: [DataType.float32, .float16]) func everyFusableOperator(_ dataType: DataType) throws {
        let seed = testSeed()
        var maker = GraphMaker(seed: seed)
        let x = try maker.input("x", [3, 45], dataType), y = try maker.input("y", [45], dataType, in: 0.5...2)
        for (op, attributes) in ElementwiseFusionTests.unaryOperators + [("sign", [:]), ("ceil", [:]), ("floor", [:]),
                                                                         ("roundEven", [:]), ("sin", [:]), ("cos", [:]), ("tan", [:])] {
            try maker.node(op, [try maker.node("mul", [x, y], output: false)], attributes)
        }
        let positive = try maker.node("add", [try maker.node("abs", [x], output: false), y], output: false)
        for op in ["sqrt", "log", "reciprocal"] { try maker.node(op, [try maker.node("relu", [positive], output: false)]) }
        try maker.node("relu", [try maker.node("sub", [x, y], output: false)])
        for op in ["pow", "div", "prelu"] { try maker.node(op, [try maker.node("max", [positive, y], output: false), y]) }
        try expectMatchesReferenceFusedAndNot(maker, seed: seed)
    }

    /// A fused float32 step is one vectorized loop: packed arithmetic, no scalar-only code.
    @Test func fusedStepsVectorize() throws {
        var maker = GraphMaker(seed: 1)
        let x = try maker.input("x", [8, 64]), y = try maker.input("y", [64])
        try maker.node("fusedElementwise", [x, y], ["program": .strings(["add $0 $1", "sigmoid %0", "mul %1 $0"])])
        let compiled = try CodeGen.compile(try Lowering.lower(maker.graph), options: CodeGenOptions(prefix: "m"))
        let assembly = String(decoding: try compiled.emit(.assembly), as: UTF8.self)
        guard compiled.description.features.contains("+avx2") else { return }
        #expect(assembly.range(of: "vaddps\t[^\n]*%[yz]mm", options: .regularExpression) != nil, "add is not vectorized")
        #expect(assembly.range(of: "vmulps\t[^\n]*%[yz]mm", options: .regularExpression) != nil, "mul is not vectorized")
    }

    /// The graph compiled as it is at -O0, and optimized and compiled at -O3, where it must
    /// contain fused nodes; each compared with the interpreter.
    private func expectMatchesReferenceFusedAndNot(_ maker: GraphMaker, seed: UInt64,
                                                   sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
        try expectMatchesReference(maker, seed: seed, options: CodeGenOptions(prefix: "model", target: TargetOptions(optimizationLevel: 0)),
                                   sourceLocation: sourceLocation)
        var optimized = maker
        try PassManager(pipeline: PassRegistry.pipeline(optimizationLevel: 3), verifyEach: true).run(&optimized.graph)
        #expect(optimized.graph.nodes.contains { $0.op == ElementwiseProgram.operatorName }, "seed \(seed): nothing fused",
                sourceLocation: sourceLocation)
        try expectMatchesReference(optimized, seed: seed, sourceLocation: sourceLocation)
        let original = try Interpreter(maker.graph).run(maker.inputs), fused = try Interpreter(optimized.graph).run(maker.inputs)
        #expect(original.mapValues(\.bytes) == fused.mapValues(\.bytes), "seed \(seed): the interpreter's results changed",
                sourceLocation: sourceLocation)
    }
}
