import Foundation
import Testing
import WebNNBasics
import WebNNIR
import WebNNLowering
import WebNNReference
import WebNNTestSupport

/// The numpy cases of `WebNNReferenceTests/Data/reference_cases.json` whose expectations follow
/// the current WebNN spec's emulation (the gru/lstm sequence of the backward direction in
/// input-time order, webnn PRs #802/#803; every lstm peephole on c(t-1); resample2d's coordinate
/// map with outputSize / inputSize, PR #816), compiled and run: the compiled path must agree with
/// the spec, not only with the interpreter.
@Suite struct SpecCaseComparison {
    static let cases: [NumpyCase] = {
        let specCases: Set<String> = [
            "gru both rzn resetAfter=false initial state relu", "gru backward sequence in input-time order",
            "lstm forward iofg biases peepholes sequence", "lstm both ifgo initial states activations",
            "lstm backward peepholes sequence in input-time order", "lstmCell ifgo peepholes",
            "resample2d linear scales 1.5 on 5 pixels (maps with 7/5)",
        ]
        return NumpyCase.load(URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../WebNNReferenceTests/Data/reference_cases.json"), accept: specCases.contains)
    }()

    @Test func casesAreLoaded() {
        #expect(Self.cases.count == 7)
    }

    @Test(arguments: cases)
    func compiledMatchesSpec(_ testCase: NumpyCase) throws {
        var graph = Graph(name: "spec")
        let ids = try testCase.operands.enumerated().map { index, operand in
            try operand.map { try graph.addInput("x\(index)", $0.type) }
        }
        let names = testCase.expected.indices.map { "y\($0)" }
        let outputs = try graph.addNode(Node(op: testCase.op, operands: ids, attributes: testCase.attributes), outputNames: names)
        graph.setOutputs(outputs)
        try Verifier.verify(graph, after: "test")
        var inputs: [String: TensorData] = [:]
        for (index, operand) in testCase.operands.enumerated() { inputs["x\(index)"] = operand }
        let library = try GeneratedLibrary(try Lowering.lower(graph))
        let run = try library.run(data: testCase.operands.compactMap { $0 })
        #expect(run.status == 0)
        let magnitudes = try Interpreter(graph).magnitudes(inputs)
        for (index, expected) in testCase.expected.enumerated() {
            let tolerance = try Tolerance.wpt(for: outputs[index], in: graph)
            let violation = compare(actual: run.outputs[index], expected: expected, tolerance: tolerance,
                                    magnitudes: magnitudes[names[index]])
            #expect(violation == nil, "output \(index): \(violation?.description ?? "") (tolerance \(tolerance))")
        }
    }

    /// Compiled gemm in the spec's order (alpha scales a first, beta · c is rounded, then added):
    /// products that cancel put scaling the sum millions of ULP away from the spec's result.
    @Test(arguments: [DataType.float32, .float16]) func gemmScalesAFirstAsTheSpecDoes(_ dataType: DataType) throws {
        let a: [Float] = dataType == .float32 ? [1 + 0x1p-23, -1] : [1 + 0x1p-10, -1], b: [Float] = [1, 1]
        let c = Float(0x1p-14)
        // The emulation, every operator's result rounded to the data type.
        let round: (Double) -> Double = dataType == .float16 ? { Double(Float16($0)) } : { Double(Float($0)) }
        let (alpha, beta) = (round(0.1), round(0.5))
        let product = round(zip(a, b).reduce(0.0) { $0 + round(alpha * Double($1.0)) * Double($1.1) })
        let expected = round(product + round(beta * Double(c)))
        var graph = Graph(name: "gemm")
        func data(_ values: [Float], _ shape: [Int]) -> TensorData {
            TensorData(dataType, shape: shape, values: values.map(Double.init))
        }
        let operands = [data(a, [1, 2]), data(b, [2, 1]), data([c], [1])]
        let ids = try operands.enumerated().map { try graph.addInput("x\($0.offset)", $0.element.type) }
        let y = try graph.addNode(Node(op: "gemm", operands: ids, attributes: ["alpha": .double(0.1), "beta": .double(0.5)]),
                                  outputNames: ["y"])[0]
        graph.addOutput(y)
        try Verifier.verify(graph, after: "test")
        let run = try GeneratedLibrary(try Lowering.lower(graph)).run(data: operands)
        let violation = compare(actual: run.outputs[0], expected: TensorData(dataType, shape: [1, 1], values: [expected]),
                                tolerance: .ulp(7))
        #expect(violation == nil, "\(violation?.description ?? "")")
        // The interpreter computes the same.
        let interpreted = try Interpreter(graph).run(["x0": operands[0], "x1": operands[1], "x2": operands[2]])["y"]!
        #expect(compare(actual: interpreted, expected: TensorData(dataType, shape: [1, 1], values: [expected]), tolerance: .ulp(0)) == nil)
    }
}
