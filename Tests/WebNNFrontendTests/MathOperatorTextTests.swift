import Testing
import WebNNBasics
import WebNNIR
@testable import WebNNFrontend

/// The element-wise, logical and reduction operators read from `.webnn` text with their
/// positional parameters and options, and printed back to text that reads back the same.
@Suite struct MathOperatorTextTests {
    static let text = BinderTests.graph("""
            c1 = cast(x, int32);
            c2 = cast(x, dataType="u8");
            am = argMax(x, 1, keepDimensions=true, outputDataType=int64);
            an = argMin(x, 0);
            rm = reduceMean(x, axes=[], keepDimensions=false);
            rs = reduceSum(x);
            rk = reduceL2(x, axes=[1], keepDimensions=true);
            ge = greaterOrEqual(x, x);
            nt = logicalNot(ge);
            wh = where(nt, x, x);
            cs = cumulativeSum(x, 1, exclusive=true, reversed=true);
            hs = hardSigmoid(x, alpha=0.25, beta=0.5);
            lr = leakyRelu(x, alpha=0.2);
            pr = prelu(x, x);
            y = isNaN(x);
        """, outputs: "c1, c2, am, an, rm, rs, rk, wh, cs, hs, lr, pr, y")

    @Test func bindsPositionalParametersAndOptions() throws {
        let graph = try load(Self.text)
        func type(_ name: String) -> TensorType { graph[graph.value(named: name)!].type }
        #expect(type("c1") == TensorType(.int32, [2, 3]))
        #expect(type("c2") == TensorType(.uint8, [2, 3]))
        #expect(type("am") == TensorType(.int64, [2, 1]))
        #expect(type("an") == TensorType(.int32, [3]))
        #expect(type("rm") == TensorType(.float32, [2, 3]))
        #expect(type("rs") == TensorType(.float32, []))
        #expect(type("rk") == TensorType(.float32, [2, 1]))
        #expect(type("wh") == TensorType(.float32, [2, 3]))
        #expect(type("y") == TensorType(.uint8, [2, 3]))
        #expect(graph.nodes[0].attributes == ["dataType": .string("int32")])
        #expect(graph.nodes[1].attributes == ["dataType": .string("uint8")], "short names are stored as WebNN names")
        #expect(graph.nodes[10].attributes == ["axis": .int(1), "exclusive": .bool(true), "reversed": .bool(true)])
        #expect(graph.nodes[11].attributes == ["alpha": .double(0.25), "beta": .double(0.5)])
    }

    @Test func printsTextThatReadsBackTheSame() throws {
        let graph = try load(Self.text)
        let printed = GraphPrinter(writeWeights: false).print(graph).text
        let reread = try load(printed)
        #expect(reread.nodes.map(\.attributes) == graph.nodes.map(\.attributes))
        #expect(reread.values.map(\.type) == graph.values.map(\.type))
        #expect(printed.contains("axes=[]"), "an empty axes list is kept: it means \"reduce nothing\"")
    }

    /// The spec names cast's parameter `dataType` (webnn PR #888, September 2025, renamed it from
    /// `type`, the name WPT's vectors of 2025 still use): both are read, `dataType` is stored.
    @Test func castTakesTheEarlierParameterNameType() throws {
        let graph = try load(BinderTests.graph("""
                c1 = cast(x, type=int32);
                c2 = cast(x, dataType=u8);
            """, outputs: "c1, c2"))
        #expect(graph.nodes[0].attributes == ["dataType": .string("int32")])
        #expect(graph.nodes[1].attributes == ["dataType": .string("uint8")])
        #expect(graph[graph.value(named: "c1")!].type == TensorType(.int32, [2, 3]))
        _ = expectLoadError(BinderTests.graph("    y = cast(x, dataType=int32, type=int8);"), "'type' is given twice", line: 5, column: 33)
    }

    @Test func rejectsAnUnknownDataType() throws {
        _ = expectLoadError(BinderTests.graph("    y = cast(x, bool);"),
                        "'dataType' of cast must be a data type (float32, float16, int32, uint32, int64, uint64, int8, uint8), found name 'bool'",
                        line: 5, column: 17)
    }
}
