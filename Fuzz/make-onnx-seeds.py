#!/usr/bin/env python3
"""Writes the ONNX fuzz target's seed models into Fuzz/Seeds/onnx/ (committed; needs numpy and
onnx, e.g. the model zoo's venv): small graphs covering each family of the importer's mappings
(convolutions and pools, dense and attention-like products, shape chains folded at import,
normalizations, QDQ, GRU/LSTM, Resize, Slice/Split/Pad), with weights as initializers, in both
raw_data and typed-field encodings, at a few opsets."""
import hashlib
import pathlib

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

folder = pathlib.Path(__file__).resolve().parent / "Seeds" / "onnx"
rng = np.random.default_rng(0)


def tensor(name, shape, dtype=np.float32, typed=False):
    array = rng.normal(0, 1, shape).astype(dtype) if dtype == np.float32 else rng.integers(-3, 3, shape).astype(dtype)
    proto = numpy_helper.from_array(array, name)
    if typed and dtype == np.float32:  # the float_data encoding instead of raw_data
        proto = helper.make_tensor(name, TensorProto.FLOAT, shape, array.flatten().tolist())
    return proto


def value(name, shape, elem=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, elem, shape)


def save(name, nodes, inputs, outputs, initializers=(), opset=17):
    graph = helper.make_graph(nodes, name, inputs, outputs, list(initializers))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    data = model.SerializeToString()
    (folder / hashlib.sha1(data).hexdigest()[:16]).write_bytes(data)


folder.mkdir(parents=True, exist_ok=True)
for file in folder.glob("*"):
    file.unlink()

x4 = value("x", [1, 3, 8, 8])
save("conv_relu_pool", [
    helper.make_node("Conv", ["x", "w", "b"], ["c"], pads=[1, 1, 1, 1], strides=[1, 1]),
    helper.make_node("Relu", ["c"], ["r"]),
    helper.make_node("MaxPool", ["r"], ["p"], kernel_shape=[2, 2], strides=[2, 2]),
    helper.make_node("GlobalAveragePool", ["p"], ["y"])],
    [x4], [value("y", [1, 4, 1, 1])], [tensor("w", [4, 3, 3, 3]), tensor("b", [4], typed=True)])
save("depthwise_bn_clip", [
    helper.make_node("Conv", ["x", "w"], ["c"], group=3, auto_pad="SAME_UPPER", kernel_shape=[3, 3]),
    helper.make_node("BatchNormalization", ["c", "s", "bb", "m", "v"], ["n"], epsilon=1e-5),
    helper.make_node("Clip", ["n", "lo", "hi"], ["y"])],
    [x4], [value("y", [1, 3, 8, 8])],
    [tensor("w", [3, 1, 3, 3]), tensor("s", [3]), tensor("bb", [3]), tensor("m", [3]),
     numpy_helper.from_array(np.ones(3, np.float32), "v"), numpy_helper.from_array(np.float32(0), "lo"),
     numpy_helper.from_array(np.float32(6), "hi")], opset=13)
save("conv_transpose_resize", [
    helper.make_node("ConvTranspose", ["x", "w"], ["c"], strides=[2, 2], pads=[1, 1, 1, 1], output_padding=[1, 1]),
    helper.make_node("Resize", ["c", "", "scales"], ["y"], mode="linear"),
    helper.make_node("HardSwish", ["y"], ["z"])],
    [x4], [value("z", [1, 2, 32, 32])],
    [tensor("w", [3, 2, 3, 3]), numpy_helper.from_array(np.array([1, 1, 2, 2], np.float32), "scales")], opset=14)
save("shape_chain_reshape", [
    helper.make_node("Shape", ["x"], ["s"]),
    helper.make_node("Gather", ["s", "zero"], ["n"], axis=0),
    helper.make_node("Unsqueeze", ["n", "axes"], ["n1"]),
    helper.make_node("Concat", ["n1", "minus1"], ["shape"], axis=0),
    helper.make_node("Reshape", ["x", "shape"], ["f"]),
    helper.make_node("Gemm", ["f", "w", "b"], ["g"], transB=1),
    helper.make_node("Softmax", ["g"], ["y"], axis=-1)],
    [x4], [value("y", [1, 5])],
    [numpy_helper.from_array(np.array(0, np.int64), "zero"), numpy_helper.from_array(np.array([0], np.int64), "axes"),
     numpy_helper.from_array(np.array([-1], np.int64), "minus1"), tensor("w", [5, 192]), tensor("b", [5])])
seq = value("t", [1, 6, 16])
save("attention_like", [
    helper.make_node("MatMul", ["t", "wq"], ["q"]),
    helper.make_node("MatMul", ["t", "wk"], ["k"]),
    helper.make_node("Transpose", ["k"], ["kt"], perm=[0, 2, 1]),
    helper.make_node("MatMul", ["q", "kt"], ["s"]),
    helper.make_node("Div", ["s", "scale"], ["ss"]),
    helper.make_node("Softmax", ["ss"], ["p"], axis=-1),
    helper.make_node("MatMul", ["p", "t"], ["a"]),
    helper.make_node("Add", ["a", "t"], ["r"]),
    helper.make_node("LayerNormalization", ["r", "g", "beta"], ["n"], axis=-1, epsilon=1e-5),
    helper.make_node("Erf", ["n"], ["e"]),
    helper.make_node("Where", ["cond", "e", "n"], ["y"])],
    [seq], [value("y", [1, 6, 16])],
    [tensor("wq", [16, 16]), tensor("wk", [16, 16]), numpy_helper.from_array(np.float32(4), "scale"),
     tensor("g", [16]), tensor("beta", [16]), numpy_helper.from_array(rng.random(16) > 0.5, "cond")])
save("reduce_slice_split_pad", [
    helper.make_node("ReduceMean", ["t", "axes"], ["m"], keepdims=1),
    helper.make_node("Sub", ["t", "m"], ["d"]),
    helper.make_node("Pow", ["d", "two"], ["p"]),
    helper.make_node("Sqrt", ["p"], ["q"]),
    helper.make_node("Slice", ["q", "starts", "ends", "sax", "steps"], ["sl"]),
    helper.make_node("Split", ["sl", "split"], ["a", "b"], axis=2),
    helper.make_node("Pad", ["a", "pads"], ["y"], mode="reflect"),
    helper.make_node("Expand", ["b", "eshape"], ["z"])],
    [seq], [value("y", [1, 3, 6]), value("z", [2, 3, 4])],
    [numpy_helper.from_array(np.array([-1], np.int64), "axes"), numpy_helper.from_array(np.float32(2), "two"),
     numpy_helper.from_array(np.array([5, 0], np.int64), "starts"), numpy_helper.from_array(np.array([-10, 16], np.int64), "ends"),
     numpy_helper.from_array(np.array([1, 2], np.int64), "sax"), numpy_helper.from_array(np.array([-2, 2], np.int64), "steps"),
     numpy_helper.from_array(np.array([4, 4], np.int64), "split"),
     numpy_helper.from_array(np.array([0, 0, 1, 0, 0, 1], np.int64), "pads"),
     numpy_helper.from_array(np.array([2, 1, 1], np.int64), "eshape")], opset=18)
save("squeeze_opset11", [
    helper.make_node("Unsqueeze", ["t"], ["u"], axes=[0]),
    helper.make_node("Squeeze", ["u"], ["s"], axes=[0]),
    helper.make_node("ReduceSum", ["s"], ["r"], axes=[1], keepdims=0),
    helper.make_node("Cast", ["r"], ["y"], to=TensorProto.INT32)],
    [seq], [value("y", [1, 16], TensorProto.INT32)], opset=11)
save("qdq_conv", [
    helper.make_node("QuantizeLinear", ["x", "xs", "xz"], ["xq"]),
    helper.make_node("DequantizeLinear", ["xq", "xs", "xz"], ["xd"]),
    helper.make_node("DequantizeLinear", ["wq", "ws", "wz"], ["wd"], axis=0),
    helper.make_node("Conv", ["xd", "wd"], ["c"], kernel_shape=[1, 1]),
    helper.make_node("QuantizeLinear", ["c", "ys", "yz"], ["cq"]),
    helper.make_node("DequantizeLinear", ["cq", "ys", "yz"], ["y"])],
    [x4], [value("y", [1, 4, 8, 8])],
    [numpy_helper.from_array(np.float32(0.02), "xs"), numpy_helper.from_array(np.uint8(128), "xz"),
     numpy_helper.from_array(rng.integers(-127, 127, (4, 3, 1, 1)).astype(np.int8), "wq"),
     numpy_helper.from_array(np.full(4, 0.01, np.float32), "ws"), numpy_helper.from_array(np.zeros(4, np.int8), "wz"),
     numpy_helper.from_array(np.float32(0.05), "ys"), numpy_helper.from_array(np.uint8(0), "yz")], opset=13)
steps = value("s", [5, 2, 8])
save("gru_bidirectional", [
    helper.make_node("GRU", ["s", "w", "r", "b", "", "h0"], ["y", "yh"], hidden_size=4, direction="bidirectional",
                     linear_before_reset=1)],
    [steps], [value("y", [5, 2, 2, 4]), value("yh", [2, 2, 4])],
    [tensor("w", [2, 12, 8]), tensor("r", [2, 12, 4]), tensor("b", [2, 24]), tensor("h0", [2, 2, 4])])
save("lstm_reverse_peepholes", [
    helper.make_node("LSTM", ["s", "w", "r", "b", "", "", "", "p"], ["y", "yh", "yc"], hidden_size=3, direction="reverse")],
    [steps], [value("y", [5, 1, 2, 3]), value("yh", [1, 2, 3]), value("yc", [1, 2, 3])],
    [tensor("w", [1, 12, 8]), tensor("r", [1, 12, 3]), tensor("b", [1, 24]), tensor("p", [1, 9])])
save("unsupported_and_dynamic", [
    helper.make_node("TopK", ["d", "k"], ["v", "i"]),
    helper.make_node("Mod", ["v", "v"], ["y"])],
    [value("d", ["batch", 10])], [value("y", ["batch", 3])], [numpy_helper.from_array(np.array([3], np.int64), "k")])
print(f"wrote {len(list(folder.glob('*')))} seeds to {folder}")

# The dictionary: operator and attribute names the importer looks for (string literals of its sources).
import re  # noqa: E402
sources = pathlib.Path(__file__).resolve().parent.parent / "Sources" / "WebNNONNX"
words = sorted({w for path in sources.glob("*.swift") for w in re.findall(r'"([A-Za-z_][A-Za-z0-9_]{1,30})"', path.read_text())})
(folder.parent.parent / "Dictionaries" / "onnx.dict").write_text("".join(f'"{w}"\n' for w in words))
print(f"wrote {len(words)} words to Fuzz/Dictionaries/onnx.dict")
