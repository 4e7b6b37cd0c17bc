import Testing
import WebNNBasics
@testable import WebNNFrontend

@Suite struct ParserTests {
    @Test func parsesHeaderBlocksAndDeclarations() throws {
        let graph = try parse("""
            # leading comment
            webnn_graph "g" v2 @quantized {
              inputs { x: f32[1, 4]; s: i64[]; }   # trailing comment
              consts {
                w: f16[4, 3] @weights("W");
                implicit: i32[2];
                k: u8[2] @scalar(7);
                b: i8[2] @bytes([1, 255]);
                last: f32[1] @weights("ignored") @scalar(1.5);
              }
              outputs { y }
              nodes { y = relu(x); }
              consts { late: u32[1] @scalar(3); }
              inputs { z: u64[2, 2]; }
            }
            """)
        #expect(graph.name == "g")
        #expect(graph.version == 2)
        #expect(graph.isQuantized)
        #expect(graph.inputs.map(\.name.name) == ["x", "s", "z"])
        #expect(graph.inputs[1].type.type == TensorType(.int64, []))
        #expect(graph.inputs[2].type.type == TensorType(.uint64, [2, 2]))
        #expect(graph.constants.map(\.name.name) == ["w", "implicit", "k", "b", "last", "late"])
        #expect(graph.constants.map(\.initializer.kind) == [
            .weights(key: "W"), .weights(key: "implicit"), .scalar(.integer(7)), .bytes([1, 255]),
            .scalar(.float(1.5)), .scalar(.integer(3)),
        ])
        #expect(graph.outputs.map(\.name) == ["y"])
        #expect(graph.inputs[0].name.location == SourceLocation(file: testFile, line: 3, column: 12))
    }

    @Test func parsesEveryDataType() throws {
        let graph = try parse("""
            webnn_graph "types" v1 {
              inputs { a: f32[1]; b: f16[1]; c: i32[1]; d: u32[1]; e: i64[1]; f: u64[1]; g: i8[1]; h: u8[1]; }
              outputs { a; }
            }
            """)
        #expect(graph.inputs.map(\.type.type.dataType) == DataType.allCases)
    }

    @Test func parsesStatementsAndArguments() throws {
        let graph = try parse("""
            webnn_graph "s" v 1 {
              nodes {
                [a, b] = split(x, splits=2, axis=0);
                y = x;
                z = op(trueValue, nullMask, /enc/x.0, $tmp, "str", -1.5e3, true, false, null, [[1, 2], [x]], k=nchw);
              }
              outputs { a, b; z }
            }
            """)
        #expect(graph.statements.count == 3)
        #expect(graph.statements[0].targets.map(\.name) == ["a", "b"])
        #expect(graph.statements[1].expression == .alias(IdentifierSyntax("x", at: SourceLocation(file: testFile, line: 4, column: 9))))
        guard case .call(let call) = graph.statements[2].expression else {
            Issue.record("expected a call")
            return
        }
        #expect(call.operation.name == "op")
        #expect(call.arguments.map(\.value.kind) == [
            .identifier("trueValue"), .identifier("nullMask"), .identifier("/enc/x.0"), .identifier("$tmp"),
            .string("str"), .number(.float(-1500)), .boolean(true), .boolean(false), .null,
            .array([
                ValueSyntax(kind: .array([ValueSyntax(kind: .number(.integer(1)), location: SourceLocation(file: testFile, line: 5, column: 85)),
                                          ValueSyntax(kind: .number(.integer(2)), location: SourceLocation(file: testFile, line: 5, column: 88))]),
                            location: SourceLocation(file: testFile, line: 5, column: 84)),
                ValueSyntax(kind: .array([ValueSyntax(kind: .identifier("x"), location: SourceLocation(file: testFile, line: 5, column: 93))]),
                            location: SourceLocation(file: testFile, line: 5, column: 92)),
            ]),
            .identifier("nchw"),
        ])
        #expect(call.arguments.last?.label?.name == "k")
        #expect(graph.outputs.map(\.name) == ["a", "b", "z"])
    }

    @Test func stringEscapes() throws {
        let graph = try parse(#"webnn_graph "a\"b\\c\d" v1 { }"#)
        #expect(graph.name == #"a"b\c\d"#)
    }

    @Test func lexicalErrors() {
        expectParseError("webnn_graph \"g\" v1 {\n  inputs { x-y: f32[1]; }\n}", "'-' is not allowed in names", line: 2, column: 13)
        expectParseError("webnn_graph \"g\" v1 {\n  nodes { y = f(x, 1.); }\n}", "expected a digit after '.' in a number", line: 2, column: 22)
        expectParseError("webnn_graph \"g\" v1 {\n  nodes { y = f(x, .5); }\n}", "unexpected '.'; write fractions with a leading digit (0.5)", line: 2, column: 20)
        expectParseError("webnn_graph \"g\" v1 {\n  nodes { y = f(x, +5); }\n}", "unexpected '+'; numbers are written without a leading '+'", line: 2, column: 20)
        expectParseError("webnn_graph \"g\nv1 {}", "unterminated string (strings cannot span lines)", line: 1, column: 13)
        expectParseError("webnn_graph \"g\" v1 { nodes { y = f(x, 12abc); } }", "unexpected 'a' after a number", line: 1, column: 41)
        expectParseError("webnn_graph \"g\" v1 { nodes { y = f(x, 99999999999999999999); } }", "integer literal 99999999999999999999 does not fit in 64 bits", line: 1, column: 39)
        expectParseError("webnn_graph \"g\" v1 { nodes { y = f(x, 'a'); } }", "unexpected \"'\"; strings use double quotes", line: 1, column: 39)
    }

    @Test func structuralErrors() {
        expectParseError("graph \"g\" v1 {}", "expected 'webnn_graph' at the start of the file", line: 1, column: 1)
        expectParseError("webnn_graph g v1 {}", "expected the graph name (a string) after 'webnn_graph'", line: 1, column: 13)
        expectParseError("webnn_graph \"g\" {}", "expected the format version (v1) after the graph name", line: 1, column: 17)
        expectParseError("webnn_graph \"g\" v3 {}", "unsupported format version 3; expected v1 or v2", line: 1, column: 17)
        expectParseError("webnn_graph \"g\" v1 @quantised {}", "unknown header annotation '@quantised'; did you mean 'quantized'?", line: 1, column: 20)
        expectParseError("webnn_graph \"g\" v1\n{\n  input { }\n}", "expected a block (inputs, consts, nodes or outputs), found 'input'; did you mean 'inputs'?", line: 3, column: 3)
        let missingBrace = expectDiagnostic("expected '}' at the end of the graph", line: 3, column: 1) {
            _ = try parse("webnn_graph \"g\" v1 {\n  outputs { y; }\n")
        }
        #expect(missingBrace?.notes.first?.message == "the graph's '{' is here")
        expectParseError("webnn_graph \"g\" v1 { }\n}", "unexpected '}' after the graph's closing '}'", line: 2, column: 1)
        expectParseError("webnn_graph \"g\" v1 { inputs { x f32[1]; } }", "expected ':' after the input name", line: 1, column: 32)
        expectParseError("webnn_graph \"g\" v1 { inputs { x: f32[1] } }", "expected ';' after input declaration", line: 1, column: 40)
        expectParseError("webnn_graph \"g\" v1 { consts { w: f32[1] @scalar(1) } }", "expected ';' after constant declaration", line: 1, column: 51)
        expectParseError("webnn_graph \"g\" v1 { inputs { x: f64[1]; } }", "unknown data type 'f64'; expected one of f32, f16, i32, u32, i64, u64, i8, u8; did you mean 'i64'?", line: 1, column: 34)
        expectParseError("webnn_graph \"g\" v1 { inputs { x: float32[1]; } }", "unknown data type 'float32'; write 'f32'", line: 1, column: 34)
        expectParseError("webnn_graph \"g\" v1 { inputs { x: i4[1]; } }", "data type 'i4' is not supported: webnnc's IR has no 4-bit types (expected f32, f16, i32, u32, i64, u64, i8, u8)", line: 1, column: 34)
        expectParseError("webnn_graph \"g\" v1 { inputs { x: f32[2, 0]; } }", "expected a dimension (a positive integer or dyn(\"name\", max)), found number 0", line: 1, column: 41)
        expectParseError("webnn_graph \"g\" v1 { inputs { x: f32[-1]; } }", "expected a dimension (a positive integer or dyn(\"name\", max)), found number -1", line: 1, column: 38)
        expectParseError("webnn_graph \"g\" v1 { inputs { x: f32; } }", "expected '[' after the data type (a scalar is written 'f32[]')", line: 1, column: 37)
        expectParseError("webnn_graph \"g\" v1 { consts { w: u8[1] @byte([1]); } }", "unknown constant annotation '@byte'; expected @weights, @scalar or @bytes; did you mean 'bytes'?", line: 1, column: 40)
        expectParseError("webnn_graph \"g\" v1 { consts { w: u8[1] @bytes([256]); } }", "expected a byte value (an integer in 0...255), found number 256", line: 1, column: 48)
        expectParseError("webnn_graph \"g\" v1 { consts { w: u8[1] @weights(w); } }", "expected the weights key (a string) in @weights(...)", line: 1, column: 49)
        expectParseError("webnn_graph \"g\" v1 { consts { w: u8[1] @scalar(\"1\"); } }", "expected a number in @scalar(...), found string \"1\"", line: 1, column: 48)
    }

    @Test func statementErrors() {
        expectParseError("webnn_graph \"g\" v1 {\n  nodes {\n    y = relu(x)\n    z = relu(y);\n  }\n}", "expected ';' after statement", line: 3, column: 16)
        expectParseError("webnn_graph \"g\" v1 { nodes { y = 3; } }", "expected an operation call or an operand name after '=', found number 3", line: 1, column: 34)
        expectParseError("webnn_graph \"g\" v1 { nodes { y = true; } }", "expected an operation call or an operand name after '=', found 'true'", line: 1, column: 34)
        expectParseError("webnn_graph \"g\" v1 { nodes { y relu(x); } }", "expected '=' after 'y'", line: 1, column: 31)
        expectParseError("webnn_graph \"g\" v1 { nodes { [a, b = split(x); } }", "expected ']' after the assigned names", line: 1, column: 35)
        expectParseError("webnn_graph \"g\" v1 { nodes { y = f(x,); } }", "expected an argument, found ')'", line: 1, column: 38)
        expectParseError("webnn_graph \"g\" v1 { nodes { y = f(x, k=); } }", "expected a value after 'k=', found ')'", line: 1, column: 41)
        expectParseError("webnn_graph \"g\" v1 { nodes { y = f(x; } }", "expected ')' after the arguments", line: 1, column: 37)
        expectParseError("webnn_graph \"g\" v1 { nodes { y = f([1, 2); } }", "expected ']' after the array elements", line: 1, column: 41)
        expectParseError("webnn_graph \"g\" v1 { outputs { a, } }", "expected an output name after ','", line: 1, column: 35)
    }

    @Test func diagnosticQuotesTheLineWithACaret() {
        let diagnostic = expectDiagnostic("expected ';' after statement", line: 2, column: 22) {
            _ = try parse("webnn_graph \"g\" v1 {\n  nodes { y = relu(x) }\n}")
        }
        #expect(diagnostic?.description == """
            test.webnn:2:22: error: expected ';' after statement
                  nodes { y = relu(x) }
                                     ^
            """)
    }
}
