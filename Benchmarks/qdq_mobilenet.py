#!/usr/bin/env python3
"""Writes a quantized (QDQ) MobileNet v1 (1.0, 224) both for webnnc and as ONNX, with identical
quantization, and times ONNX Runtime on it.

The float network is MobileNet v1 with batch normalization folded into the convolutions (conv
+ bias + relu6, as a quantization tool sees it) and random He-normal weights (seed 101). It is
quantized the way ONNX Runtime's static QDQ quantization does it: uint8 activations with a
per-tensor scale and zero point (calibrated on one random image: min/max of each activation, the
relu6 outputs [0, max] with zero point 0, the image [-1, 1] with zero point 128), int8 weights
with per-output-channel symmetric scales (max |w| / 127), int32 biases with scale
input scale * weight scale. Each convolution reads DequantizeLinear(x), DequantizeLinear(W),
DequantizeLinear(b) and its relu6 output is QuantizeLinear-ed. The global average pool and the
classifier (gemm + softmax) stay in float after a last DequantizeLinear, in both forms.

With --reduce-range, the weights get 7 bits ([-63, 63], ONNX Runtime's reduce_range option, which its
docs recommend on AVX2 without VNNI) and the files are named mobilenet_v1_qdq7.*: no pair of such weights
can saturate vpmaddubsw, so webnnc's AVX2 kernels use it exactly.

Writes, into --out: mobilenet_v1_qdq.webnn (+ .manifest.json, .weights: int8, int32 and float32
tensors), mobilenet_v1_qdq.onnx, and mobilenet_v1_float.onnx (the float network, for ONNX Runtime's
fp32 time). With --check IMAGE.npy it also writes ort_qdq.npy (ONNX Runtime's output for that
image); with --time it prints ONNX Runtime's median times (--threads, default 1) of the QDQ and float models.

    python3 Benchmarks/qdq_mobilenet.py --out Benchmarks/out/qdq [--check image.npy] [--time]
"""
import argparse
import json
import struct
import time
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

BLOCKS = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2),
          (512, 1), (512, 1), (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1)]


def float_layers(rng):
    """(name, weight [O, I/g, k, k], bias [O], stride, groups) of the folded float network."""
    layers = []

    def conv(cin, cout, kernel, stride, groups):
        fan_in = cin // groups * kernel * kernel
        w = rng.normal(0, (2.0 / fan_in) ** 0.5, (cout, cin // groups, kernel, kernel)).astype(np.float32)
        b = rng.normal(0, 0.05, cout).astype(np.float32)
        layers.append((f"conv{len(layers)}", w, b, stride, groups))

    conv(3, 32, 3, 2, 1)
    channels = 32
    for cout, stride in BLOCKS:
        conv(channels, channels, 3, stride, channels)
        conv(channels, cout, 1, 1, 1)
        channels = cout
    return layers


class Model:
    """The network's nodes in both forms."""

    def __init__(self):
        self.tensors = {}        # key -> numpy array (int8, int32, uint8 or float32), shared by both forms
        self.webnn_nodes = []
        self.onnx_nodes = []
        self.onnx_extra = {}     # initializers only the ONNX graph needs

    def const(self, key, array):
        self.tensors[key] = array
        return key


def build(layers, scales, fc, weight_max=127):
    """The QDQ network; `scales[i]` is the output scale of layer i (input scale at 'image');
    weights are quantized to [-weight_max, weight_max] (63: ONNX Runtime's reduce_range)."""
    m = Model()
    s_in, z_in = scales["image"], 128
    m.const("image_s", np.array([s_in], np.float32).reshape(1, 1, 1, 1))
    m.const("image_z", np.array([z_in], np.uint8).reshape(1, 1, 1, 1))
    m.webnn_nodes.append("image_q = quantizeLinear(image, image_s, image_z);")
    m.onnx_extra["image_s_1d"] = np.array(s_in, np.float32)
    m.onnx_extra["image_z_1d"] = np.array(z_in, np.uint8)
    m.onnx_nodes.append(helper.make_node("QuantizeLinear", ["image", "image_s_1d", "image_z_1d"], ["image_q"]))
    x = "image_q"
    for name, w, b, stride, groups in layers:
        cout, kernel = w.shape[0], w.shape[2]
        w_scale = (np.abs(w).reshape(cout, -1).max(axis=1) / weight_max).astype(np.float32)
        w_q = np.clip(np.round(w / w_scale[:, None, None, None]), -weight_max, weight_max).astype(np.int8)
        b_scale = (np.float32(s_in) * w_scale).astype(np.float32)
        b_q = np.round(b / b_scale).astype(np.int32)
        s_out = scales[name]
        m.const(f"{name}_xs", np.array([s_in], np.float32).reshape(1, 1, 1, 1))
        m.const(f"{name}_xz", np.array([z_in], np.uint8).reshape(1, 1, 1, 1))
        m.const(f"{name}_wq", w_q)
        m.const(f"{name}_ws", w_scale.reshape(cout, 1, 1, 1))
        m.const(f"{name}_wz", np.zeros((cout, 1, 1, 1), np.int8))
        m.const(f"{name}_bq", b_q)
        m.const(f"{name}_bs", b_scale)
        m.const(f"{name}_bz", np.zeros(cout, np.int32))
        m.const(f"{name}_ys", np.array([s_out], np.float32).reshape(1, 1, 1, 1))
        m.const(f"{name}_yz", np.array([0], np.uint8).reshape(1, 1, 1, 1))
        pad = kernel // 2
        options = f", padding=[{pad}, {pad}, {pad}, {pad}]" if pad else ""
        options += f", strides=[{stride}, {stride}]" if stride != 1 else ""
        options += f", groups={groups}" if groups != 1 else ""
        m.webnn_nodes += [
            f"{name}_x = dequantizeLinear({x}, {name}_xs, {name}_xz);",
            f"{name}_w = dequantizeLinear({name}_wq, {name}_ws, {name}_wz);",
            f"{name}_b = dequantizeLinear({name}_bq, {name}_bs, {name}_bz);",
            f"{name}_y = conv2d({name}_x, {name}_w, bias={name}_b{options});",
            f"{name}_r = clamp({name}_y, minValue=0, maxValue=6);",
            f"{name}_q = quantizeLinear({name}_r, {name}_ys, {name}_yz);",
        ]
        # ONNX: per-tensor parameters are scalars; per-channel ones 1-D with axis 0.
        m.onnx_extra.update({f"{name}_xs_1d": np.array(s_in, np.float32), f"{name}_xz_1d": np.array(z_in, np.uint8),
                             f"{name}_ws_1d": w_scale, f"{name}_wz_1d": np.zeros(cout, np.int8),
                             f"{name}_ys_1d": np.array(s_out, np.float32), f"{name}_yz_1d": np.array(0, np.uint8),
                             "relu6_min": np.array(0, np.float32), "relu6_max": np.array(6, np.float32)})
        m.onnx_nodes += [
            helper.make_node("DequantizeLinear", [x, f"{name}_xs_1d", f"{name}_xz_1d"], [f"{name}_x"]),
            helper.make_node("DequantizeLinear", [f"{name}_wq", f"{name}_ws_1d", f"{name}_wz_1d"], [f"{name}_w"], axis=0),
            helper.make_node("DequantizeLinear", [f"{name}_bq", f"{name}_bs", f"{name}_bz"], [f"{name}_b"], axis=0),
            helper.make_node("Conv", [f"{name}_x", f"{name}_w", f"{name}_b"], [f"{name}_y"], kernel_shape=[kernel, kernel],
                             strides=[stride, stride], pads=[pad] * 4, group=groups),
            helper.make_node("Clip", [f"{name}_y", "relu6_min", "relu6_max"], [f"{name}_r"]),
            helper.make_node("QuantizeLinear", [f"{name}_r", f"{name}_ys_1d", f"{name}_yz_1d"], [f"{name}_q"]),
        ]
        x, s_in, z_in = f"{name}_q", s_out, 0
    # Float tail: dequantize, global average pool, classifier, softmax.
    fc_w, fc_b = fc
    m.const("tail_s", np.array([s_in], np.float32).reshape(1, 1, 1, 1))
    m.const("tail_z", np.array([0], np.uint8).reshape(1, 1, 1, 1))
    m.const("fc_w", fc_w)
    m.const("fc_b", fc_b)
    m.webnn_nodes += [
        f"tail = dequantizeLinear({x}, tail_s, tail_z);",
        "pooled = averagePool2d(tail);",
        "flat = reshape(pooled, [1, 1024]);",
        "logits = gemm(flat, fc_w, c=fc_b);",
        "probabilities = softmax(logits, 1);",
    ]
    m.onnx_extra.update({"tail_s_1d": np.array(s_in, np.float32), "tail_z_1d": np.array(0, np.uint8),
                         "flat_shape": np.array([1, 1024], np.int64)})
    m.onnx_nodes += [
        helper.make_node("DequantizeLinear", [x, "tail_s_1d", "tail_z_1d"], ["tail"]),
        helper.make_node("GlobalAveragePool", ["tail"], ["pooled"]),
        helper.make_node("Reshape", ["pooled", "flat_shape"], ["flat"]),
        helper.make_node("Gemm", ["flat", "fc_w", "fc_b"], ["logits"]),
        helper.make_node("Softmax", ["logits"], ["probabilities"], axis=1),
    ]
    return m


def float_onnx(layers, fc, extra_outputs=False):
    """The float network as ONNX; with `extra_outputs`, every relu6 output is an output too."""
    nodes, inits, outputs = [], {}, []
    x = "image"
    inits["relu6_min"], inits["relu6_max"] = np.array(0, np.float32), np.array(6, np.float32)
    for name, w, b, stride, groups in layers:
        kernel = w.shape[2]
        inits[f"{name}_w"], inits[f"{name}_b"] = w, b
        nodes.append(helper.make_node("Conv", [x, f"{name}_w", f"{name}_b"], [f"{name}_y"], kernel_shape=[kernel, kernel],
                                      strides=[stride, stride], pads=[kernel // 2] * 4, group=groups))
        nodes.append(helper.make_node("Clip", [f"{name}_y", "relu6_min", "relu6_max"], [f"{name}_r"]))
        outputs.append(f"{name}_r")
        x = f"{name}_r"
    inits["fc_w"], inits["fc_b"], inits["flat_shape"] = fc[0], fc[1], np.array([1, 1024], np.int64)
    nodes += [helper.make_node("GlobalAveragePool", [x], ["pooled"]),
              helper.make_node("Reshape", ["pooled", "flat_shape"], ["flat"]),
              helper.make_node("Gemm", ["flat", "fc_w", "fc_b"], ["logits"]),
              helper.make_node("Softmax", ["logits"], ["probabilities"], axis=1)]
    graph_outputs = [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [1, 1000])]
    if extra_outputs:
        graph_outputs += [helper.make_empty_tensor_value_info(o) for o in outputs]
    return make_model(nodes, inits, graph_outputs, check=not extra_outputs)


def make_model(nodes, inits, outputs, check=True):
    graph = helper.make_graph(nodes, "mobilenet_v1", [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, 224, 224])],
                              outputs, [numpy_helper.from_array(np.asarray(a), k) for k, a in inits.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="webnnc-benchmarks")
    model.ir_version = 8
    if check:
        onnx.checker.check_model(model)
    return model


WEBNN_TYPES = {np.dtype(np.float32): ("f32", "float32"), np.dtype(np.int8): ("i8", "int8"),
               np.dtype(np.uint8): ("u8", "uint8"), np.dtype(np.int32): ("i32", "int32")}


def write_webnn(m, folder, name):
    lines = ["# QDQ MobileNet v1 1.0 224, random weights (Benchmarks/qdq_mobilenet.py; do not edit).",
             f'webnn_graph "{name}" v1 {{', "  inputs { image: f32[1, 3, 224, 224]; }", "  consts {"]
    binary = bytearray(b"WGWT" + struct.pack("<I", 1))
    manifest = {"format": "wg-weights-manifest", "version": 1, "endianness": "little", "tensors": {}}
    for key, array in m.tensors.items():
        short, long = WEBNN_TYPES[array.dtype]
        lines.append(f"    {key}: {short}[{', '.join(map(str, array.shape))}];")
        data = np.ascontiguousarray(array).astype(array.dtype.newbyteorder("<")).tobytes()
        manifest["tensors"][key] = {"dataType": long, "shape": list(array.shape), "byteOffset": len(binary),
                                    "byteLength": len(data), "layout": "row-major"}
        binary += data
    lines += ["  }", "  nodes {"] + [f"    {n}" for n in m.webnn_nodes] + ["  }", "  outputs { probabilities; }", "}"]
    (folder / f"{name}.webnn").write_text("\n".join(lines) + "\n")
    (folder / f"{name}.manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    (folder / f"{name}.weights").write_bytes(bytes(binary))


def median_ms(session, image, iterations, warmup=5):
    for _ in range(warmup):
        session.run(None, {"image": image})
    times = []
    for _ in range(iterations):
        start = time.perf_counter()
        session.run(None, {"image": image})
        times.append((time.perf_counter() - start) * 1000)
    return float(np.median(times))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--check", type=Path, help="an image .npy [1, 3, 224, 224]: writes ort_qdq.npy")
    parser.add_argument("--time", action="store_true", help="time ONNX Runtime (1 thread), QDQ and float")
    parser.add_argument("--iterations", type=int, default=50)
    parser.add_argument("--threads", type=int, default=1, help="ONNX Runtime's intra-op threads for --time")
    parser.add_argument("--reduce-range", action="store_true",
                        help="7-bit weights ([-63, 63], ONNX Runtime's reduce_range): files named mobilenet_v1_qdq7.*")
    args = parser.parse_args()
    import onnxruntime as ort

    rng = np.random.default_rng(101)
    layers = float_layers(rng)
    fc = (rng.normal(0, (1.0 / 1024) ** 0.5, (1024, 1000)).astype(np.float32), rng.normal(0, 0.05, 1000).astype(np.float32))
    args.out.mkdir(parents=True, exist_ok=True)
    calibration = np.random.default_rng(7).uniform(-1, 1, (1, 3, 224, 224)).astype(np.float32)
    options = ort.SessionOptions()
    options.intra_op_num_threads = args.threads
    probe = ort.InferenceSession(float_onnx(layers, fc, extra_outputs=True).SerializeToString(), options,
                                 providers=["CPUExecutionProvider"])
    names = [o.name for o in probe.get_outputs()][1:]
    values = probe.run(names, {"image": calibration})
    scales = {"image": 2.0 / 255}
    for name, value in zip(names, values):
        scales[name[:-2]] = max(float(value.max()), 1e-3) / 255
    model = build(layers, scales, fc, weight_max=63 if args.reduce_range else 127)
    stem = "mobilenet_v1_qdq7" if args.reduce_range else "mobilenet_v1_qdq"
    write_webnn(model, args.out, stem)
    inits = {**{k: v for k, v in model.tensors.items() if not k.endswith(("_xs", "_xz", "_ws", "_wz", "_ys", "_yz"))
                and k not in ("image_s", "image_z", "tail_s", "tail_z")}, **model.onnx_extra}
    qdq = make_model(model.onnx_nodes, inits, [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [1, 1000])])
    onnx.save(qdq, str(args.out / f"{stem}.onnx"))
    onnx.save(float_onnx(layers, fc), str(args.out / "mobilenet_v1_float.onnx"))
    session = ort.InferenceSession(str(args.out / f"{stem}.onnx"), options, providers=["CPUExecutionProvider"])
    if args.check:
        image = np.load(args.check).astype(np.float32)
        np.save(args.out / f"ort_{stem[13:]}.npy", session.run(None, {"image": image})[0])
    if args.time:
        image = np.random.default_rng(3).uniform(-1, 1, (1, 3, 224, 224)).astype(np.float32)
        fp32 = ort.InferenceSession(str(args.out / "mobilenet_v1_float.onnx"), options, providers=["CPUExecutionProvider"])
        rounds = [(median_ms(session, image, args.iterations), median_ms(fp32, image, args.iterations)) for _ in range(3)]
        print(json.dumps({"ort_qdq_ms": float(np.median([r[0] for r in rounds])),
                          "ort_float_ms": float(np.median([r[1] for r in rounds]))}))


if __name__ == "__main__":
    main()
