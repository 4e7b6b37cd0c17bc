import Testing
import WebNNBasics
import WebNNIR
@testable import WebNNFrontend

@Suite struct BinderTests {
    /// A graph with inputs `x: f32[2, 3]`, `img: f32[1, 3, 8, 8]`, constants `w: f32[4, 3, 3, 3]`,
    /// `b: f32[4]`, and `body` as its nodes block (line 4 on).
    static func graph(_ body: String, outputs: String = "y") -> String {
        "webnn_graph \"g\" v1 {\n  inputs { x: f32[2, 3]; img: f32[1, 3, 8, 8]; }\n"
            + "  consts { w: f32[4, 3, 3, 3] @scalar(1); b: f32[4] @scalar(0); }\n"
            + "  nodes {\n\(body)\n  }\n  outputs { \(outputs); }\n}\n"
    }

    @Test func positionalAndNamedForms() throws {
        let graph = try load(BinderTests.graph("""
                r1 = reshape(x, [3, 2]);
                r2 = reshape(x, newShape=[6]);
                s1 = softmax(x, 1);
                s2 = softmax(x, axis=0);
                c1 = concat([x, x], 0);
                c2 = concat(x, x, x, axis=1);
                c3 = concat(x, x, 1);
                conv = conv2d(img, w, bias=b, padding=[1, 1, 1, 1], inputLayout=nchw);
                t = transpose(x);
                y = clamp(t, minValue=0, maxValue=6.5);
            """))
        func type(_ name: String) -> TensorType { graph[graph.value(named: name)!].type }
        #expect(type("r1") == TensorType(.float32, [3, 2]))
        #expect(type("r2") == TensorType(.float32, [6]))
        #expect(type("c1") == TensorType(.float32, [4, 3]))
        #expect(type("c2") == TensorType(.float32, [2, 9]))
        #expect(type("c3") == TensorType(.float32, [2, 6]))
        #expect(type("conv") == TensorType(.float32, [1, 4, 8, 8]))
        #expect(type("y") == TensorType(.float32, [3, 2]))
        let conv = graph.nodes[7]
        #expect(conv.operand("bias") == graph.value(named: "b"))
        #expect(conv.string("inputLayout") == "nchw")
        #expect(graph.nodes[2].int("axis") == 1 && graph.nodes[3].int("axis") == 0)
        #expect(graph.nodes[9].attributes == ["minValue": .int(0), "maxValue": .double(6.5)])
    }

    @Test func aliasesAreIdentityNodes() throws {
        let graph = try load(BinderTests.graph("    a = x;\n    y = relu(a);"))
        #expect(graph.nodes[0].op == "identity")
        #expect(graph.nodes[0].operands == [graph.value(named: "x")])
        #expect(graph.nodes[1].operands == [graph.value(named: "a")])
    }

    @Test func operandValuedOptions() throws {
        let graph = try load("""
            webnn_graph "g" v1 {
              inputs { a: f32[2, 3]; b: f32[3, 4]; }
              consts { c: f32[4] @scalar(1); }
              nodes { y = gemm(a, b, c=c, alpha=2, bTranspose=false); }
              outputs { y; }
            }
            """)
        #expect(graph.nodes[0].operand("c") == graph.value(named: "c"))
        #expect(graph.nodes[0].double("alpha") == 2)
    }

    @Test func bindingErrors() {
        func g(_ body: String, outputs: String = "y") -> String { BinderTests.graph(body, outputs: outputs) }
        expectLoadError(g("    y = conv2D(img, w);"), "unknown operator 'conv2D'; did you mean 'conv2d'?", line: 5, column: 9)
        expectLoadError(g("    y = conv2d(img, w, stride=[1, 1]);"), "conv2d has no parameter or option 'stride'; did you mean 'strides'?", line: 5, column: 24)
        expectLoadError(g("    y = conv2d(img, w, strides=\"x\");"), "'strides' of conv2d must be a list of integers, found string \"x\"", line: 5, column: 32)
        expectLoadError(g("    y = conv2d(img, w, strides=[1, 1.5]);"), "'strides' of conv2d must be a list of integers, found number 1.5", line: 5, column: 36)
        expectLoadError(g("    y = conv2d(img, w, inputLayout=\"nwhc\");"), "invalid value \"nwhc\" for 'inputLayout'; expected one of \"nchw\", \"nhwc\"", line: 5, column: 36)
        expectLoadError(g("    y = softmax(x);"), "softmax is missing its argument 'axis' (integer)", line: 5, column: 9)
        expectLoadError(g("    y = relu(x, x);"), "too many arguments: relu takes 1 positional argument (input)", line: 5, column: 17)
        expectLoadError(g("    y = conv2d(img, w, b);"), "too many arguments: conv2d takes 2 positional arguments (input, filter); pass optional operands by name, e.g. bias=b", line: 5, column: 24)
        expectLoadError(g("    y = softmax(x, 1, axis=1);"), "'axis' is given twice", line: 5, column: 23)
        expectLoadError(g("    y = relu(xx);"), "'xx' is not defined; did you mean 'x'?", line: 5, column: 14)
        expectLoadError(g("    y = relu(x);", outputs: "yy"), "output 'yy' is not defined; did you mean 'y'?", line: 7, column: 13)
        expectLoadError(g("    y = relu(x);", outputs: "y; y"), "output 'y' is listed twice", line: 7, column: 16)
        expectLoadError(g("    [y, z] = relu(x);"), "relu produces 1 output but 2 names are assigned", line: 5, column: 14)
        expectLoadError(g("    y = matmul(x, x);"), "matmul: inner dimensions differ: a is [2, 3], b is [2, 3]", line: 5, column: 9)
        expectLoadError(g("    y = conv2d(img, w, groups=2);"), "conv2d: filter input channels (3) x groups (2) != input channels (3)", line: 5, column: 9)
        expectLoadError(g("    y = add(x, img);"), "add: shapes [2, 3] and [1, 3, 8, 8] are not broadcastable", line: 5, column: 9)
        expectLoadError(g("    y = relu(x);\n    z = y;\n    z = relu(x);", outputs: "z"), "'z' is already defined", line: 7, column: 5)
        let duplicate = expectLoadError(g("    y = relu(x);\n    x = relu(y);"), "'x' is already defined", line: 6, column: 5)
        #expect(duplicate?.notes.first?.message == "previous definition of 'x' is here")
        #expect(duplicate?.notes.first?.location == SourceLocation(file: testFile, line: 2, column: 12))
        expectLoadError("webnn_graph \"g\" v1 {\n  inputs { x: f32[1]; }\n  consts { x: f32[1] @scalar(1); }\n}",
                        "'x' is already defined", line: 3, column: 12)
        expectLoadError("webnn_graph \"g\" v1 {\n  inputs { x: f32[1]; }\n}", "the graph has no outputs (add an 'outputs { name; }' block)", line: 1, column: 1)
    }
}
