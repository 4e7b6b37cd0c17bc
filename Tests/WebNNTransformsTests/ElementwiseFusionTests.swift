import Testing
import WebNNBasics
import WebNNIR
import WebNNReference
@testable import WebNNTransforms

/// `fusedElementwise` programs: malformed ones are rejected with a message, fused graphs print
/// and read back to the same graph and numbers, and the picture names what a node absorbed.
@Suite struct ElementwiseFusionTests {
    /// A graph reading x: f32[2, 3] and y: f32[3] with one fusedElementwise node `z`.
    static func graphText(_ call: String) -> String {
        """
        webnn_graph "g" v1 {
          inputs { x: f32[2, 3]; y: f32[3]; h: f16[3]; }
          nodes { z = \(call); }
          outputs { z; }
        }
        """
    }

    static let malformed: [(call: String, message: String)] = [
        ("fusedElementwise([x], program=[])", "program is empty"),
        ("fusedElementwise([x])", "missing option 'program'"),
        ("fusedElementwise([x], program=[\"sigmod $0\"])", "program line 0 \"sigmod $0\": 'sigmod' is not an element-wise operator a program can use; did you mean 'sigmoid'?"),
        ("fusedElementwise([x], program=[\"cast $0\"])", "'cast' is not an element-wise operator a program can use"),
        ("fusedElementwise([x], program=[\"add $0\"])", "program line 0 \"add $0\": add takes 2 operands, found 1"),
        ("fusedElementwise([x], program=[\"relu $1\"])", "$1 does not exist: the node has 1 input"),
        ("fusedElementwise([x], program=[\"relu %0\"])", "%0 is not the result of an earlier instruction"),
        ("fusedElementwise([x], program=[\"relu x\"])", "expected an operand ($<input> or %<instruction>) or an option (name=number), found 'x'"),
        ("fusedElementwise([x], program=[\"clamp $0 min=0\"])", "clamp has no option 'min'"),
        ("fusedElementwise([x], program=[\"clamp $0 minValue=zero\"])", "'minValue' must be a finite number, found 'zero'"),
        ("fusedElementwise([x], program=[\"clamp $0 minValue=1 maxValue=0\"])", "clamp: minValue (1.0) is greater than maxValue (0.0)"),
        ("fusedElementwise([x, y], program=[\"relu $0\"])", "program never reads input $1"),
        ("fusedElementwise([x], program=[\"relu $0\", \"tanh $0\"])", "program never uses the result of line 0 \"relu $0\""),
        ("fusedElementwise([x, h], program=[\"add $0 $1\"])", "input $1 has data type float16 but input $0 has float32"),
        ("fusedElementwise([x], program=[\"relu $0\", 3])", "must be a string"),
    ]

    /// A hand-written malformed program is an error at the node, saying what is wrong.
    @Test(arguments: malformed) func malformedProgramsAreRejected(_ call: String, _ message: String) throws {
        do {
            _ = try load(ElementwiseFusionTests.graphText(call))
            Issue.record("accepted \(call)")
        } catch let error as Diagnostic {
            #expect(error.message.contains(message), "\(error.message)")
        }
    }

    /// The verifier re-checks the program of a graph built in code.
    @Test func verifierChecksPrograms() throws {
        var graph = Graph(name: "g")
        let x = try graph.addInput("x", TensorType(.float32, [4]))
        #expect(throws: Diagnostic.self) {
            try graph.addNode(Node(op: "fusedElementwise", operands: [x], attributes: ["program": .strings(["exp %1"])]))
        }
        let y = try graph.addNode(Node(op: "fusedElementwise", operands: [x], attributes: ["program": .strings(["exp $0", "neg %0"])]))[0]
        graph.addOutput(y)
        try Verifier.verify(graph, after: "test")
    }

    static let chain = """
    webnn_graph "chain" v1 {
      inputs { x: f32[2, 3]; y: f32[2, 3]; row: f32[3]; }
      nodes {
        a = add(x, y);
        s = sigmoid(a);
        m = mul(s, row);
        c = clamp(m, minValue=-0.25, maxValue=0.5);
        l = leakyRelu(c, alpha=0.3);
        z = sub(l, x);
      }
      outputs { z; }
    }
    """

    /// A fused graph prints, reads back to the same text, and computes exactly what the
    /// separate nodes compute.
    @Test func fusedGraphsRoundTrip() throws {
        let graph = try load(ElementwiseFusionTests.chain)
        var fused = graph
        #expect(try ElementwiseFusion.pass.run(&fused))
        #expect(fused.nodes.map(\.op) == ["fusedElementwise"])
        let text = printed(fused)
        #expect(text.contains("program=[\"add $0 $1\", \"sigmoid %0\", \"mul %1 $2\", \"clamp %2 maxValue=0.5 minValue=-0.25\", \"leakyRelu %3 alpha=0.3\", \"sub %4 $0\"]"), "\(text)")
        let reread = try load(text)
        #expect(printed(reread) == text)
        let inputs = ["x": TensorData(.float32, shape: [2, 3], values: [-3, -1, -0.1, 0, 0.7, 4]),
                      "y": TensorData(.float32, shape: [2, 3], values: [1, 0.5, 0.2, -2, 0.1, 0]),
                      "row": TensorData(.float32, shape: [3], values: [2, -1, 0.5])]
        let expected = try Interpreter(graph).run(inputs)["z"]!
        #expect(try Interpreter(fused).run(inputs)["z"]!.bytes == expected.bytes)
        #expect(try Interpreter(reread).run(inputs)["z"]!.bytes == expected.bytes)
        #expect(try Tolerance.wpt(for: fused.outputs[0], in: fused) == Tolerance.wpt(for: graph.outputs[0], in: graph))
    }

    /// The pass is idempotent: a second run finds nothing more to fuse.
    @Test func fusingTwiceChangesNothing() throws {
        var graph = try load(ElementwiseFusionTests.chain)
        try ElementwiseFusion.pass.run(&graph)
        #expect(try !ElementwiseFusion.pass.run(&graph))
    }

    @Test func dotTitleNamesTheAbsorbedOperators() throws {
        var graph = try load(ElementwiseFusionTests.chain)
        try ElementwiseFusion.pass.run(&graph)
        #expect(GraphDot.render(graph).contains("label=\"add + sigmoid + mul + clamp + leakyRelu + sub\\nz: f32[2, 3]"))
    }
}
