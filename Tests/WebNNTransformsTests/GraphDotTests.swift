import Testing
import WebNNIR
@testable import WebNNTransforms

@Suite struct GraphDotTests {
    @Test func nodesInputsOutputsAndConstantsInLabels() throws {
        let graph = try load("""
            webnn_graph "conv \\"relu\\"" v1 {
              inputs { x: f32[1, 2, 3, 3]; }
              consts { w: f32[4, 2, 1, 1] @scalar(1); b: f32[4] @scalar(0); }
              nodes {
                conv = conv2d(x, w, bias=b, strides=[1, 1], padding=[1, 1, 1, 1]);
                y = relu(conv);
              }
              outputs { y; conv; }
            }
            """)
        #expect(GraphDot.render(graph) == """
            digraph "conv \\"relu\\"" {
              node [fontname="Helvetica", fontsize=11];
              v0 [shape=ellipse, label="x\\nf32[1, 2, 3, 3]"];
              n0 [shape=box, label="conv2d\\nconv: f32[1, 4, 5, 5]\\nfilter: w f32[4, 2, 1, 1]\\nbias: b f32[4]\\npadding=[1, 1, 1, 1]"];
              v0 -> n0;
              n1 [shape=box, label="relu\\ny: f32[1, 4, 5, 5]"];
              n0 -> n1;
              out0 [shape=ellipse, style=bold, label="output y"];
              n1 -> out0;
              out1 [shape=ellipse, style=bold, label="output conv"];
              n0 -> out1;
            }

            """)
    }
}
