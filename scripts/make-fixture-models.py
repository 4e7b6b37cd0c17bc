#!/usr/bin/env python3
"""Writes the small "ResNet-shaped" and "MobileNet-v1-shaped" test graphs of Tests/Fixtures/models:
`<name>.webnn`, `<name>.manifest.json` and `<name>.weights` (WGWT header, float32, little-endian).

The graphs have the structure of the real networks at a small size (16x16 / 32x32 images, 8 to 64
channels) so that tests stay fast: convolutions without bias, each followed by a separate
batchNormalization, relu (ResNet) or relu6 = clamp(0, 6) (MobileNet v1, depthwise + pointwise),
ResNet's identity and projection shortcuts, a global average pool and a dense classifier with
softmax. Weights come from a fixed seed, so re-running the script reproduces the files exactly.

    python3 scripts/make-fixture-models.py        # from the repository root
"""
import json
import struct
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent.parent / "Tests" / "Fixtures" / "models"


class GraphWriter:
    def __init__(self, name, seed):
        self.name = name
        self.rng = np.random.default_rng(seed)
        self.consts = []   # (name, shape)
        self.nodes = []
        self.tensors = {}  # key -> array
        self.count = 0

    def const(self, name, array):
        array = np.asarray(array, dtype="<f4")
        self.consts.append((name, list(array.shape)))
        self.tensors[name] = array
        return name

    def node(self, text):
        self.nodes.append(text)

    def fresh(self, base):
        self.count += 1
        return f"{base}{self.count}"

    def conv_bn(self, x, cin, cout, kernel, stride=1, groups=1, act=None):
        """conv2d (no bias) + batchNormalization + optional activation; returns the output name."""
        name = self.fresh("conv")
        fan_in = cin // groups * kernel * kernel
        w = self.const(f"{name}_w", self.rng.normal(0, (2.0 / fan_in) ** 0.5, (cout, cin // groups, kernel, kernel)))
        pad = kernel // 2
        options = f", padding=[{pad}, {pad}, {pad}, {pad}]" if pad else ""
        options += f", strides=[{stride}, {stride}]" if stride != 1 else ""
        options += f", groups={groups}" if groups != 1 else ""
        self.node(f"{name} = conv2d({x}, {w}{options});")
        mean = self.const(f"{name}_mean", self.rng.normal(0, 0.1, cout))
        var = self.const(f"{name}_var", self.rng.uniform(0.5, 1.5, cout))
        gamma = self.const(f"{name}_gamma", self.rng.uniform(0.5, 1.5, cout))
        beta = self.const(f"{name}_beta", self.rng.normal(0, 0.1, cout))
        bn = f"{name}_bn"
        self.node(f"{bn} = batchNormalization({name}, {mean}, {var}, scale={gamma}, bias={beta}, epsilon=0.00001);")
        return self.activation(bn, act) if act else bn

    def activation(self, x, act):
        out = f"{x}_{act}"
        if act == "relu":
            self.node(f"{out} = relu({x});")
        else:  # relu6
            self.node(f"{out} = clamp({x}, minValue=0, maxValue=6);")
        return out

    def classifier(self, x, channels, classes):
        self.node(f"pool = averagePool2d({x});")
        self.node(f"flat = reshape(pool, [1, {channels}]);")
        w = self.const("fc_w", self.rng.normal(0, (1.0 / channels) ** 0.5, (channels, classes)))
        b = self.const("fc_b", self.rng.normal(0, 0.1, classes))
        self.node(f"logits = matmul(flat, {w});")
        self.node(f"biased = add(logits, {b});")
        self.node("probabilities = softmax(biased, 1);")

    def write(self, input_shape, comment):
        lines = [f"# {line}".rstrip() for line in comment.strip().splitlines()]
        lines += [f'webnn_graph "{self.name}" v1 {{',
                  f"  inputs {{ image: f32[{', '.join(map(str, input_shape))}]; }}", "  consts {"]
        lines += [f"    {name}: f32[{', '.join(map(str, shape))}];" for name, shape in self.consts]
        lines += ["  }", "  nodes {"] + [f"    {node}" for node in self.nodes] + ["  }", "  outputs { probabilities; }", "}"]
        (OUT / f"{self.name}.webnn").write_text("\n".join(lines) + "\n")
        binary = bytearray(b"WGWT" + struct.pack("<I", 1))
        manifest = {"format": "wg-weights-manifest", "version": 1, "endianness": "little", "tensors": {}}
        for name, array in self.tensors.items():
            data = array.tobytes()
            manifest["tensors"][name] = {"dataType": "float32", "shape": list(array.shape), "byteOffset": len(binary),
                                         "byteLength": len(data), "layout": "row-major"}
            binary += data
        (OUT / f"{self.name}.manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
        (OUT / f"{self.name}.weights").write_bytes(bytes(binary))


def resnet():
    g = GraphWriter("resnet_shaped", seed=50)
    x = g.conv_bn("image", 3, 8, 3, act="relu")
    g.node(f"stem_pool = maxPool2d({x}, windowDimensions=[2, 2], strides=[2, 2]);")
    x, channels = "stem_pool", 8
    # Basic blocks: (output channels, stride); a stride or channel change takes a 1x1 projection.
    for index, (cout, stride) in enumerate([(8, 1), (16, 2), (16, 1)]):
        y = g.conv_bn(x, channels, cout, 3, stride=stride, act="relu")
        y = g.conv_bn(y, cout, cout, 3)
        shortcut = x if stride == 1 and cout == channels else g.conv_bn(x, channels, cout, 1, stride=stride)
        g.node(f"block{index}_sum = add({y}, {shortcut});")
        x = g.activation(f"block{index}_sum", "relu")
        channels = cout
    g.classifier(x, channels, 10)
    g.write([1, 3, 16, 16], """
ResNet-shaped test graph (generated by scripts/make-fixture-models.py; do not edit): a 3x3 stem
with batchNormalization + relu and a max pool, three basic blocks (identity shortcut, a stride-2
block with a 1x1 projection shortcut, identity), global average pool, dense + softmax.""")


def mobilenet_v1():
    g = GraphWriter("mobilenet_v1_shaped", seed=51)
    x = g.conv_bn("image", 3, 8, 3, stride=2, act="relu6")
    channels = 8
    for cout, stride in [(16, 1), (32, 2), (32, 1), (64, 2)]:
        x = g.conv_bn(x, channels, channels, 3, stride=stride, groups=channels, act="relu6")  # depthwise
        x = g.conv_bn(x, channels, cout, 1, act="relu6")                                      # pointwise
        channels = cout
    g.classifier(x, channels, 10)
    g.write([1, 3, 32, 32], """
MobileNet-v1-shaped test graph (generated by scripts/make-fixture-models.py; do not edit): a
stride-2 3x3 stem, four depthwise-separable blocks (3x3 depthwise + 1x1 pointwise, each with
batchNormalization + relu6 = clamp(0, 6)), global average pool, dense + softmax.""")


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    resnet()
    mobilenet_v1()
