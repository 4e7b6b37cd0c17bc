#!/usr/bin/env python3
"""Synthetic ONNX graphs that exercise the ONNX importer's operator mappings (`webnnc import`; the
file is named after the Python converter it first checked, since replaced) beyond what the
zoo's trained models use (the zoo runs them like the models, against ONNX Runtime): Resize
modes, opset-11 Softmax over flattened axes, strided and negative-index Slice, uneven Split,
Pad modes, ConvTranspose with pads/output_padding/groups, Conv auto_pad and dilations, pools with
count_include_pad and ceil_mode, Gemm options, GRU (both reset modes), bidirectional LSTM,
reductions, MatMul with a 1-D operand, Gather, Expand, Tile, Flatten, Cast and the activations.

    python3 scripts/onnx2webnn_ops.py DIR    # writes DIR/ops_opset17.onnx and DIR/ops_opset11.onnx
"""
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

INPUT = [1, 4, 12, 10]


class Builder:
    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)
        self.nodes, self.inits, self.outputs = [], [], []
        self.count = 0

    def const(self, array, dtype=np.float32):
        self.count += 1
        name = f"c{self.count}"
        self.inits.append(numpy_helper.from_array(np.asarray(array, dtype=dtype), name))
        return name

    def weights(self, *shape, scale=0.3):
        return self.const(self.rng.normal(0, scale, shape))

    def node(self, op, inputs, output=None, **attrs):
        self.count += 1
        out = output or f"t{self.count}"
        self.nodes.append(helper.make_node(op, inputs, [out] if isinstance(out, str) else out,
                                           name=f"{op}_{self.count}", **attrs))
        return out

    def output(self, name):
        self.outputs.append(name)

    def model(self, name, opset, inputs):
        def make(outputs):
            graph = helper.make_graph(self.nodes, name, inputs, outputs, self.inits)
            m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], producer_name="onnx2webnn_ops")
            m.ir_version = 8
            return m
        # the outputs get the types that shape inference gives them as intermediate values
        inferred = onnx.shape_inference.infer_shapes(make([]), strict_mode=True)
        types = {v.name: v.type for v in inferred.graph.value_info}
        outputs = []
        for o in self.outputs:
            value = onnx.ValueInfoProto()
            value.name = o
            value.type.CopyFrom(types[o])
            outputs.append(value)
        m = make(outputs)
        onnx.checker.check_model(m, full_check=True)
        return m


def ops_opset17():
    b = Builder(17)
    x = "x"
    # Resize: nearest asymmetric floor x2 (scales), linear half_pixel to odd sizes, nearest
    # half_pixel round_prefer_ceil x3, linear pytorch_half_pixel x0.5 (downsampling)
    b.output(b.node("Resize", [x, "", b.const([1, 1, 2, 2])], "resize_nearest",
                    mode="nearest", coordinate_transformation_mode="asymmetric", nearest_mode="floor"))
    b.output(b.node("Resize", [x, "", "", b.const([1, 4, 17, 23], np.int64)], "resize_linear",
                    mode="linear", coordinate_transformation_mode="half_pixel"))
    b.output(b.node("Resize", [x, "", b.const([1, 1, 3, 3])], "resize_nearest_half_pixel",
                    mode="nearest", coordinate_transformation_mode="half_pixel", nearest_mode="round_prefer_ceil"))
    b.output(b.node("Resize", [x, "", b.const([1, 1, 0.5, 0.5])], "resize_down",
                    mode="linear", coordinate_transformation_mode="pytorch_half_pixel"))
    # Slice with steps and negative indices; Split in uneven parts; Pad modes
    b.output(b.node("Slice", [x, b.const([-10, 1], np.int64), b.const([12, -1], np.int64),
                              b.const([2, 3], np.int64), b.const([2, 3], np.int64)], "slice_steps"))
    b.node("Split", [x, b.const([1, 3], np.int64)], ["split_a", "split_b"], axis=1)
    b.output("split_a")
    b.output("split_b")
    b.output(b.node("Pad", [x, b.const([0, 0, 2, 1, 0, 0, 1, 3], np.int64)], "pad_reflect", mode="reflect"))
    b.output(b.node("Pad", [x, b.const([0, 0, 1, 0, 0, 0, 0, 2], np.int64)], "pad_edge", mode="edge"))
    b.output(b.node("Pad", [x, b.const([0, 1, 1, 1, 0, 0, 1, 1], np.int64), b.const(1.5)], "pad_value"))
    # convolutions
    b.output(b.node("Conv", [x, b.weights(6, 4, 3, 3), b.weights(6)], "conv_same_upper",
                    auto_pad="SAME_UPPER", strides=[2, 2]))
    b.output(b.node("Conv", [x, b.weights(4, 2, 3, 2)], "conv_dilated_groups",
                    pads=[2, 1, 2, 0], dilations=[2, 3], group=2))
    b.output(b.node("ConvTranspose", [x, b.weights(4, 3, 3, 3), b.weights(6)], "conv_transpose",
                    strides=[2, 2], pads=[1, 0, 0, 1], output_padding=[1, 1], group=2))
    # pools
    b.output(b.node("AveragePool", [x], "avgpool_include_pad", kernel_shape=[3, 3], strides=[2, 2],
                    pads=[1, 1, 1, 1], count_include_pad=1))
    b.output(b.node("AveragePool", [x], "avgpool_exclude_pad", kernel_shape=[3, 2], pads=[1, 0, 1, 1]))
    b.output(b.node("MaxPool", [x], "maxpool_ceil", kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1))
    b.output(b.node("GlobalMaxPool", [x], "global_max"))
    # matrices
    flat = b.node("Flatten", [x], axis=2)          # [4, 120]
    b.output(b.node("Gemm", [flat, b.weights(5, 120), b.weights(5)], "gemm", transB=1, alpha=0.5, beta=2.0))
    b.output(b.node("MatMul", [b.node("Transpose", [flat], perm=[1, 0]), b.weights(4)], "matmul_vector"))
    # reductions, gather, expand, tile, cast, activations
    b.output(b.node("ReduceMean", [x], "reduce_mean", axes=[1, 3], keepdims=0))
    b.output(b.node("ReduceMax", [x], "reduce_max_all", keepdims=1))
    b.output(b.node("Gather", [x, b.const([[2, 0], [1, 1]], np.int64)], "gather", axis=2))
    b.output(b.node("Expand", [b.node("ReduceSum", [x, b.const([2], np.int64)]), b.const([2, 1, 1, 1], np.int64)],
                    "expand"))
    b.output(b.node("Tile", [x, b.const([1, 2, 1, 2], np.int64)], "tile"))
    b.output(b.node("Cast", [b.node("Cast", [x], to=TensorProto.INT32)], "cast_round_trip", to=TensorProto.FLOAT))
    b.output(b.node("HardSigmoid", [x], "hard_sigmoid", alpha=0.3, beta=0.4))
    b.output(b.node("LeakyRelu", [x], "leaky_relu", alpha=0.1))
    b.output(b.node("Clip", [x, "", b.const(0.25)], "clip_max_only"))
    b.output(b.node("Softmax", [x], "softmax_axis1", axis=1))
    # recurrent: a sequence of 5 steps, batch 2, 6 features, from the image
    seq = b.node("Reshape", [b.node("Slice", [x, b.const([0, 0, 0], np.int64), b.const([2, 12, 6], np.int64),
                                                b.const([1, 2, 3], np.int64)]),
                             b.const([6, 2, 12], np.int64)])   # [1, 4, 12, 10] -> [1, 2, 12, 6] -> [6, 2, 12]
    h = 7
    for reset in (0, 1):
        b.node("GRU", [seq, b.weights(1, 3 * h, 12), b.weights(1, 3 * h, h), b.weights(1, 6 * h)],
               [f"gru{reset}_y", f"gru{reset}_h"], hidden_size=h, linear_before_reset=reset)
        b.output(f"gru{reset}_y")
        b.output(f"gru{reset}_h")
    b.node("GRU", [seq, b.weights(1, 3 * h, 12), b.weights(1, 3 * h, h)], ["gru_reverse_y"],
           hidden_size=h, direction="reverse", linear_before_reset=1)
    b.output("gru_reverse_y")
    # peepholes on the input and forget gates only: ONNX's output-gate peephole looks at the new
    # cell state, which WebNN's lstm cannot express (the converter refuses a non-zero one)
    peephole = b.rng.normal(0, 0.3, (2, 3 * h))
    peephole[:, h:2 * h] = 0
    b.node("LSTM", [seq, b.weights(2, 4 * h, 12), b.weights(2, 4 * h, h), b.weights(2, 8 * h), "",
                    b.weights(2, 2, h), b.weights(2, 2, h), b.const(peephole)], ["lstm_y", "lstm_h", "lstm_c"],
           hidden_size=h, direction="bidirectional")
    for name in ("lstm_y", "lstm_h", "lstm_c"):
        b.output(name)
    return b.model("ops_opset17", 17, [helper.make_tensor_value_info("x", TensorProto.FLOAT, INPUT)])


def ops_opset11():
    b = Builder(11)
    x = "x"
    # opset < 13: Softmax normalizes over the flattened dimensions from `axis` on
    b.output(b.node("Softmax", [x], "softmax_flattened", axis=1))
    b.output(b.node("Softmax", [x], "softmax_default"))          # axis 1
    b.node("Split", [x], ["split_a", "split_b"], axis=2, split=[5, 7])
    b.output("split_a")
    b.output("split_b")
    b.output(b.node("Clip", [x, b.const(-0.5), b.const(0.5)], "clip"))
    b.output(b.node("Resize", [x, b.const([], np.float32), b.const([1, 1, 2, 2])], "resize_nearest",
                    mode="nearest", coordinate_transformation_mode="asymmetric", nearest_mode="floor"))
    b.output(b.node("ReduceSum", [x], "reduce_sum", axes=[2], keepdims=1))
    b.output(b.node("Unsqueeze", [b.node("Squeeze", [b.node("ReduceMean", [x], axes=[3], keepdims=1)], axes=[3])],
                    "unsqueeze", axes=[0]))
    return b.model("ops_opset11", 11, [helper.make_tensor_value_info("x", TensorProto.FLOAT, INPUT)])


MODELS = {"ops_opset17": ops_opset17, "ops_opset11": ops_opset11}


def main():
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else ".")
    folder.mkdir(parents=True, exist_ok=True)
    for name, make in MODELS.items():
        onnx.save(make(), str(folder / f"{name}.onnx"))
        print(f"wrote {folder / name}.onnx")


if __name__ == "__main__":
    main()
