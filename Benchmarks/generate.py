#!/usr/bin/env python3
"""Writes the benchmark models, each both as a webnnc graph and as the equivalent ONNX file.

The models: MobileNet v1 and v2, ResNet-50 v1 and SqueezeNet 1.1 (224x224 classifiers with a
softmax output `probabilities` [1, 1000]) and DeepLab v3 with a MobileNet v2 backbone (513x513
semantic segmentation, output stride 16, atrous depthwise convolutions, the image-pooling + 1x1
ASPP of the "deeplabv3_mnv2" export, bilinear resample2d; output `logits` [1, 21, 513, 513]).
All batch 1, float32.

For each model NAME, in the output folder: `NAME.webnn`, `NAME.manifest.json` and `NAME.weights`
(WGWT header, float32, little-endian; docs/format.md) for webnnc, and `NAME.onnx` for ONNX Runtime
and OpenVINO. Both hold the same random weights (fixed seed per model), so their outputs must
agree. Convolutions have no bias and are followed by a separate batchNormalization (as exported
from a framework), which leaves the optimizer work to do; SqueezeNet, which has no batch
normalization, has conv biases instead. resample2d (linear, half-pixel) maps to ONNX Resize with
coordinate_transformation_mode="half_pixel", the same coordinate map.

    python3 Benchmarks/generate.py --out Benchmarks/out/models [--models mobilenet_v1,resnet50_v1]
"""
import argparse
import json
import struct
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

IMAGE_SHAPE = [1, 3, 224, 224]
CLASSES = 1000
ONNX_OPSET = 13


class DualGraph:
    """Builds one network as WebNN text and as an ONNX graph at once, with shared weights."""

    def __init__(self, name, seed, input_shape=IMAGE_SHAPE, output="probabilities", output_shape=(1, CLASSES),
                 input_name="image", opset=ONNX_OPSET):
        self.name = name
        self.input_name = input_name      # the graph's one input, named alike in both graphs
        self.opset = opset
        self.rng = np.random.default_rng(seed)
        self.input_shape = list(input_shape)
        self.output = output              # the graph's one output, named alike in both graphs
        self.output_shape = list(output_shape)
        self.extra_inputs = {}  # name -> shape of further inputs, after the first
        self.weights = {}      # key -> float32 array, in declaration order
        self.webnn_only = set()  # keys of weights the ONNX graph does not use (it has them in another form)
        self.onnx_scalars = {}  # key -> float32 scalar that only the ONNX graph needs (Clip bounds)
        self.onnx_int64 = {}    # key -> int64 array that only the ONNX graph needs (Resize sizes)
        self.webnn_nodes = []  # lines of the nodes block
        self.onnx_nodes = []
        self.count = 0

    def fresh(self, base):
        """A new unique value name starting with `base`."""
        self.count += 1
        return f"{base}{self.count}"

    def constant(self, name, array):
        """Declares a float32 weight `name`; returns its name."""
        self.weights[name] = np.asarray(array, dtype="<f4")
        return name

    def conv(self, x, cin, cout, kernel, stride=1, padding=0, groups=1, bias=False, dilation=1):
        """conv2d (NCHW/OIHW) with He-normal random weights; returns the output name."""
        name = self.fresh("conv")
        fan_in = cin // groups * kernel * kernel
        w = self.constant(f"{name}_w", self.rng.normal(0, (2.0 / fan_in) ** 0.5, (cout, cin // groups, kernel, kernel)))
        inputs = [x, w]
        options = ""
        if padding:
            options += f", padding=[{padding}, {padding}, {padding}, {padding}]"
        if stride != 1:
            options += f", strides=[{stride}, {stride}]"
        if dilation != 1:
            options += f", dilations=[{dilation}, {dilation}]"
        if groups != 1:
            options += f", groups={groups}"
        if bias:
            inputs.append(self.constant(f"{name}_b", self.rng.normal(0, 0.05, cout)))
            options += f", bias={inputs[2]}"
        self.webnn_nodes.append(f"{name} = conv2d({x}, {w}{options});")
        self.onnx_nodes.append(helper.make_node(
            "Conv", inputs, [name], kernel_shape=[kernel, kernel], strides=[stride, stride],
            pads=[padding] * 4, group=groups, dilations=[dilation, dilation]))
        return name

    def batch_norm(self, x, channels, gamma_scale=1.0):
        """batchNormalization with random statistics; `gamma_scale` shrinks a residual branch."""
        mean = self.constant(f"{x}_mean", self.rng.normal(0, 0.1, channels))
        variance = self.constant(f"{x}_var", self.rng.uniform(0.5, 1.5, channels))
        gamma = self.constant(f"{x}_gamma", gamma_scale * self.rng.uniform(0.5, 1.0, channels))
        beta = self.constant(f"{x}_beta", self.rng.normal(0, 0.1, channels))
        out = f"{x}_bn"
        self.webnn_nodes.append(
            f"{out} = batchNormalization({x}, {mean}, {variance}, scale={gamma}, bias={beta}, epsilon=0.00001);")
        self.onnx_nodes.append(helper.make_node(
            "BatchNormalization", [x, gamma, beta, mean, variance], [out], epsilon=1e-5))
        return out

    def activation(self, x, kind):
        """relu, or relu6 as clamp(x, 0, 6); returns the output name."""
        out = f"{x}_{kind}"
        if kind == "relu":
            self.webnn_nodes.append(f"{out} = relu({x});")
            self.onnx_nodes.append(helper.make_node("Relu", [x], [out]))
        elif kind == "relu6":
            self.webnn_nodes.append(f"{out} = clamp({x}, minValue=0, maxValue=6);")
            self.onnx_scalars.update(relu6_min=np.float32(0), relu6_max=np.float32(6))
            self.onnx_nodes.append(helper.make_node("Clip", [x, "relu6_min", "relu6_max"], [out]))
        else:
            raise ValueError(f"unknown activation {kind}")
        return out

    def conv_bn(self, x, cin, cout, kernel, stride=1, groups=1, act=None, gamma_scale=1.0, dilation=1):
        """conv2d without bias ("same" padding, dilated when `dilation` > 1), then
        batchNormalization and an optional activation."""
        y = self.conv(x, cin, cout, kernel, stride, kernel // 2 * dilation, groups, dilation=dilation)
        y = self.batch_norm(y, cout, gamma_scale)
        return self.activation(y, act) if act else y

    def add(self, a, b):
        """Element-wise a + b (a residual connection)."""
        out = self.fresh("sum")
        self.webnn_nodes.append(f"{out} = add({a}, {b});")
        self.onnx_nodes.append(helper.make_node("Add", [a, b], [out]))
        return out

    def max_pool(self, x, window, stride, padding=0, ceil=False):
        """maxPool2d over a square window."""
        out = self.fresh("maxpool")
        options = f"windowDimensions=[{window}, {window}], strides=[{stride}, {stride}]"
        if padding:
            options += f", padding=[{padding}, {padding}, {padding}, {padding}]"
        if ceil:
            options += ', outputShapeRounding="ceil"'
        self.webnn_nodes.append(f"{out} = maxPool2d({x}, {options});")
        self.onnx_nodes.append(helper.make_node(
            "MaxPool", [x], [out], kernel_shape=[window, window], strides=[stride, stride],
            pads=[padding] * 4, ceil_mode=int(ceil)))
        return out

    def concat(self, values):
        """Concatenation along the channels."""
        out = self.fresh("concat")
        self.webnn_nodes.append(f"{out} = concat([{', '.join(values)}], 1);")
        self.onnx_nodes.append(helper.make_node("Concat", values, [out], axis=1))
        return out

    def global_average_pool(self, x):
        """averagePool2d over the whole image: [N, C, H, W] -> [N, C, 1, 1]."""
        out = self.fresh("gap")
        self.webnn_nodes.append(f"{out} = averagePool2d({x});")
        self.onnx_nodes.append(helper.make_node("GlobalAveragePool", [x], [out]))
        return out

    def resample_linear(self, x, channels, height, width, out=None):
        """Bilinear resample2d of the spatial axes to height x width, half-pixel coordinates
        (WebNN's only map; ONNX Resize coordinate_transformation_mode="half_pixel")."""
        out = out or self.fresh("resize")
        self.webnn_nodes.append(f'{out} = resample2d({x}, mode="linear", sizes=[{height}, {width}]);')
        self.onnx_int64[f"{out}_sizes"] = np.array([1, channels, height, width], dtype=np.int64)
        self.onnx_nodes.append(helper.make_node(
            "Resize", [x, "", "", f"{out}_sizes"], [out], mode="linear",
            coordinate_transformation_mode="half_pixel"))
        return out

    def global_pool_flatten(self, x, channels):
        """Global average pool (averagePool2d over the whole image), reshaped to [1, channels]."""
        self.webnn_nodes.append(f"pool = averagePool2d({x});")
        self.webnn_nodes.append(f"flat = reshape(pool, [1, {channels}]);")
        self.onnx_nodes.append(helper.make_node("GlobalAveragePool", [x], ["pool"]))
        self.onnx_nodes.append(helper.make_node("Flatten", ["pool"], ["flat"], axis=1))
        return "flat"

    def classifier(self, x, channels):
        """Global average pool, a dense layer (gemm with transposed weights) and softmax."""
        flat = self.global_pool_flatten(x, channels)
        # Larger than a trained layer's weights, so that the softmax is peaked enough for the
        # accuracy check on its output to mean something.
        w = self.constant("fc_w", self.rng.normal(0, 5.0 / channels ** 0.5, (CLASSES, channels)))
        b = self.constant("fc_b", self.rng.normal(0, 0.1, CLASSES))
        self.webnn_nodes.append(f"logits = gemm({flat}, {w}, c={b}, bTranspose=true);")
        self.onnx_nodes.append(helper.make_node("Gemm", [flat, w, b], ["logits"], transB=1))
        self.softmax("logits")

    def softmax(self, x):
        """The graph's output: softmax over the classes."""
        self.webnn_nodes.append(f"probabilities = softmax({x}, 1);")
        self.onnx_nodes.append(helper.make_node("Softmax", [x], ["probabilities"], axis=1))

    def write(self, folder, comment):
        """Writes NAME.webnn, NAME.manifest.json, NAME.weights and NAME.onnx into `folder`."""
        folder.mkdir(parents=True, exist_ok=True)
        self.write_webnn(folder, comment)
        self.write_onnx(folder)

    def write_webnn(self, folder, comment):
        """The WebNN graph text and its weights (WGWT variant, absolute offsets)."""
        lines = [f"# {line}".rstrip() for line in comment.strip().splitlines()]
        lines += [f'webnn_graph "{self.name}" v1 {{',
                  "  inputs { " + " ".join(f"{name}: f32[{', '.join(map(str, shape))}];" for name, shape in
                                          [(self.input_name, self.input_shape), *self.extra_inputs.items()]) + " }",
                  "  consts {"]
        lines += [f"    {key}: f32[{', '.join(map(str, array.shape))}];" for key, array in self.weights.items()]
        lines += ["  }", "  nodes {"] + [f"    {node}" for node in self.webnn_nodes]
        lines += ["  }", f"  outputs {{ {self.output}; }}", "}"]
        (folder / f"{self.name}.webnn").write_text("\n".join(lines) + "\n")
        binary = bytearray(b"WGWT" + struct.pack("<I", 1))
        manifest = {"format": "wg-weights-manifest", "version": 1, "endianness": "little", "tensors": {}}
        for key, array in self.weights.items():
            data = array.tobytes()
            manifest["tensors"][key] = {"dataType": "float32", "shape": list(array.shape),
                                        "byteOffset": len(binary), "byteLength": len(data), "layout": "row-major"}
            binary += data
        (folder / f"{self.name}.manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
        (folder / f"{self.name}.weights").write_bytes(bytes(binary))

    def write_onnx(self, folder):
        """The same network as an ONNX model (opset 13, or the graph's own), weights as initializers."""
        constants = {**{k: v for k, v in self.weights.items() if k not in self.webnn_only}, **self.onnx_scalars}
        initializers = [numpy_helper.from_array(np.asarray(array, dtype=np.float32), key)
                        for key, array in constants.items()]
        initializers += [numpy_helper.from_array(array, key) for key, array in self.onnx_int64.items()]
        graph = helper.make_graph(
            self.onnx_nodes, self.name,
            [helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)
             for name, shape in [(self.input_name, self.input_shape), *self.extra_inputs.items()]],
            [helper.make_tensor_value_info(self.output, TensorProto.FLOAT, self.output_shape)],
            initializers)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", self.opset)],
                                  producer_name="webnnc-benchmarks")
        model.ir_version = 8
        onnx.checker.check_model(model)
        onnx.save(model, str(folder / f"{self.name}.onnx"))


def mobilenet_v1(folder):
    """MobileNet v1 (1.0, 224): a 3x3 stride-2 stem and 13 depthwise-separable blocks, relu6."""
    g = DualGraph("mobilenet_v1", seed=101)
    x = g.conv_bn("image", 3, 32, 3, stride=2, act="relu6")
    channels = 32
    for cout, stride in [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2),
                         (512, 1), (512, 1), (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1)]:
        x = g.conv_bn(x, channels, channels, 3, stride=stride, groups=channels, act="relu6")
        x = g.conv_bn(x, channels, cout, 1, act="relu6")
        channels = cout
    g.classifier(x, channels)
    g.write(folder, "MobileNet v1 1.0 224 with random weights (Benchmarks/generate.py; do not edit).")


def mobilenet_v2(folder):
    """MobileNet v2 (1.0, 224): inverted residual blocks with linear bottlenecks, relu6."""
    g = DualGraph("mobilenet_v2", seed=102)
    x = g.conv_bn("image", 3, 32, 3, stride=2, act="relu6")
    channels = 32
    # (expansion t, output channels c, repeats n, first stride s), as in the paper's table 2.
    for t, c, n, s in [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
                       (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]:
        for repeat in range(n):
            stride = s if repeat == 0 else 1
            hidden = channels * t
            y = g.conv_bn(x, channels, hidden, 1, act="relu6") if t != 1 else x
            y = g.conv_bn(y, hidden, hidden, 3, stride=stride, groups=hidden, act="relu6")
            residual = stride == 1 and channels == c
            y = g.conv_bn(y, hidden, c, 1, gamma_scale=0.3 if residual else 1.0)
            x = g.add(x, y) if residual else y
            channels = c
    x = g.conv_bn(x, channels, 1280, 1, act="relu6")
    g.classifier(x, 1280)
    g.write(folder, "MobileNet v2 1.0 224 with random weights (Benchmarks/generate.py; do not edit).")


def resnet50_v1(folder):
    """ResNet-50 v1: bottleneck blocks [3, 4, 6, 3], the stride on the first 1x1 conv (v1)."""
    g = DualGraph("resnet50_v1", seed=103)
    x = g.conv_bn("image", 3, 64, 7, stride=2, act="relu")
    x = g.max_pool(x, 3, 2, padding=1)
    channels = 64
    for stage, (width, blocks) in enumerate([(64, 3), (128, 4), (256, 6), (512, 3)]):
        for block in range(blocks):
            stride = 2 if block == 0 and stage > 0 else 1
            y = g.conv_bn(x, channels, width, 1, stride=stride, act="relu")
            y = g.conv_bn(y, width, width, 3, act="relu")
            y = g.conv_bn(y, width, 4 * width, 1, gamma_scale=0.3)
            shortcut = x if block > 0 else g.conv_bn(x, channels, 4 * width, 1, stride=stride)
            x = g.activation(g.add(y, shortcut), "relu")
            channels = 4 * width
    g.classifier(x, channels)
    g.write(folder, "ResNet-50 v1 224 with random weights (Benchmarks/generate.py; do not edit).")


def squeezenet_1_1(folder):
    """SqueezeNet 1.1: fire modules (1x1 squeeze, 1x1 and 3x3 expand), conv biases, no batch
    normalization, ceil-mode max pools, and a 1x1 conv classifier with global pooling."""
    g = DualGraph("squeezenet_1_1", seed=104)

    def conv_relu(x, cin, cout, kernel, stride=1):
        return g.activation(g.conv(x, cin, cout, kernel, stride, kernel // 2, bias=True), "relu")

    def fire(x, cin, squeeze, expand):
        s = conv_relu(x, cin, squeeze, 1)
        return g.concat([conv_relu(s, squeeze, expand, 1), conv_relu(s, squeeze, expand, 3)])

    x = g.activation(g.conv("image", 3, 64, 3, stride=2, bias=True), "relu")
    x = g.max_pool(x, 3, 2, ceil=True)
    x = fire(fire(x, 64, 16, 64), 128, 16, 64)
    x = g.max_pool(x, 3, 2, ceil=True)
    x = fire(fire(x, 128, 32, 128), 256, 32, 128)
    x = g.max_pool(x, 3, 2, ceil=True)
    for cin, squeeze, expand in [(256, 48, 192), (384, 48, 192), (384, 64, 256), (512, 64, 256)]:
        x = fire(x, cin, squeeze, expand)
    x = conv_relu(x, 512, CLASSES, 1)
    g.softmax(g.global_pool_flatten(x, CLASSES))
    g.write(folder, "SqueezeNet 1.1 224 with random weights (Benchmarks/generate.py; do not edit).")


def deeplab_v3(folder):
    """DeepLab v3 with a MobileNet v2 (1.0) backbone at 513x513, output stride 16, 21 classes
    (PASCAL VOC): the "deeplabv3_mnv2" network of the TensorFlow DeepLab model zoo
    (mobilenetv2_coco_voc_trainaug), which the TFLite and WebNN samples run.

    Backbone: MobileNet v2 up to its 320-channel layer (no 1280-channel conv, no classifier). At
    output stride 16 the stride-2 block that would take the features to 1/32 (the first 160-channel
    one) keeps stride 1, and the depthwise 3x3 convs after it are atrous with dilation 2 (as
    TF-slim's mobilenet does: the rate doubles from the next layer on): 513 -> 257 -> 129 -> 65 -> 33.
    Head: the standard MobileNet v2 variant of ASPP, with two branches only (no atrous 3x3
    branches at rates 6/12/18, as in the model zoo's mnv2 export): image pooling (global average
    pool, 1x1 conv 320->256 + BN + relu, bilinear resample back to 33x33) and a 1x1 conv 320->256
    + BN + relu; concat (image pooling first, as DeepLab does), 1x1 projection 512->256 + BN + relu,
    1x1 classifier conv 256->21 with bias, and a bilinear resample2d (half-pixel, no align-corners)
    to 513x513. The output is the logits [1, 21, 513, 513]; no softmax or argmax."""
    size, classes = 513, 21
    g = DualGraph("deeplab_v3", seed=105, input_shape=[1, 3, size, size], output="logits",
                  output_shape=[1, classes, size, size])
    x = g.conv_bn("image", 3, 32, 3, stride=2, act="relu6")
    channels, current_stride, rate = 32, 2, 1
    for t, c, n, s in [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
                       (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]:
        for repeat in range(n):
            stride = s if repeat == 0 else 1
            if current_stride == 16 and stride != 1:
                stride, dilation, rate = 1, rate, rate * stride  # atrous from the next layer on
            else:
                dilation = rate
                current_stride *= stride
            hidden = channels * t
            y = g.conv_bn(x, channels, hidden, 1, act="relu6") if t != 1 else x
            y = g.conv_bn(y, hidden, hidden, 3, stride=stride, groups=hidden, act="relu6", dilation=dilation)
            residual = stride == 1 and channels == c
            y = g.conv_bn(y, hidden, c, 1, gamma_scale=0.3 if residual else 1.0)
            x = g.add(x, y) if residual else y
            channels = c
    features = (size - 1) // 16 + 1  # 33
    pooled = g.conv_bn(g.global_average_pool(x), channels, 256, 1, act="relu")
    pooled = g.resample_linear(pooled, 256, features, features)
    aspp0 = g.conv_bn(x, channels, 256, 1, act="relu")
    x = g.conv_bn(g.concat([pooled, aspp0]), 512, 256, 1, act="relu")
    x = g.conv(x, 256, classes, 1, bias=True)
    g.resample_linear(x, classes, size, size, out="logits")
    g.write(folder, "DeepLab v3 MobileNet v2 513 (output stride 16) with random weights "
                    "(Benchmarks/generate.py; do not edit).")


def transformer_encoder(folder, seq=128, name="transformer_encoder"):
    """A MiniLM-L6-shaped transformer encoder (all-MiniLM-L6-v2's body): 6 post-LN BERT layers,
    sequence `seq` (128; 512, the model's longest, for transformer_encoder_512), hidden 384,
    12 heads of 32, FFN 1536 with erf GELU, as an ONNX export writes it:
    3-D activations [1, 128, 384], matmul by [384, N] weights then a bias add, heads split by
    reshape + transpose (K transposed to [1, 12, 32, 128] for Q·K^T), scores scaled by 1/sqrt(32),
    softmax over the keys, residual adds and layerNormalization (epsilon 1e-12). The input is the
    embedded sequence `hidden` [1, 128, 384] (no embedding lookup, no attention mask); the output
    is the last hidden state. ONNX: opset 17 (LayerNormalization), GELU as x·0.5·(1 + Erf(x/√2)),
    the pattern ONNX Runtime fuses into its Gelu kernel; WebNN: `gelu`."""
    hidden, heads, ffn, layers = 384, 12, 1536, 6
    head = hidden // heads
    g = DualGraph(name, seed=106, input_shape=[1, seq, hidden], output="last_hidden_state",
                  output_shape=[1, seq, hidden], input_name="hidden", opset=17)
    g.onnx_int64["heads_shape"] = np.array([1, seq, heads, head], dtype=np.int64)
    g.onnx_int64["hidden_shape"] = np.array([1, seq, hidden], dtype=np.int64)
    g.onnx_scalars.update(gelu_sqrt2=np.float32(2 ** 0.5), gelu_one=np.float32(1), gelu_half=np.float32(0.5))
    scale = g.constant("attention_scale", np.array([head ** -0.5]))

    def node(out, webnn, onnx_op, inputs, **attributes):
        g.webnn_nodes.append(f"{out} = {webnn};")
        g.onnx_nodes.append(helper.make_node(onnx_op, inputs, [out], **attributes))
        return out

    def dense(x, name, cin, cout):
        w = g.constant(f"{name}_w", g.rng.normal(0, cin ** -0.5, (cin, cout)))
        b = g.constant(f"{name}_b", g.rng.normal(0, 0.05, cout))
        y = node(f"{name}_mm", f"matmul({x}, {w})", "MatMul", [x, w])
        return node(f"{name}_out", f"add({y}, {b})", "Add", [y, b])

    def split_heads(x, name, permutation):
        y = node(f"{name}_heads", f"reshape({x}, [1, {seq}, {heads}, {head}])", "Reshape", [x, "heads_shape"])
        return node(f"{name}_t", f"transpose({y}, permutation={permutation})", "Transpose", [y], perm=permutation)

    def layer_norm(x, name):
        gamma = g.constant(f"{name}_gamma", g.rng.uniform(0.5, 1.5, hidden))
        beta = g.constant(f"{name}_beta", g.rng.normal(0, 0.1, hidden))
        return node(name, f"layerNormalization({x}, scale={gamma}, bias={beta}, axes=[2], epsilon=1e-12)",
                    "LayerNormalization", [x, gamma, beta], axis=-1, epsilon=1e-12)

    x = "hidden"
    for layer in range(layers):
        p = f"l{layer}_"
        q = split_heads(dense(x, p + "q", hidden, hidden), p + "q", [0, 2, 1, 3])
        k = split_heads(dense(x, p + "k", hidden, hidden), p + "k", [0, 2, 3, 1])
        v = split_heads(dense(x, p + "v", hidden, hidden), p + "v", [0, 2, 1, 3])
        scores = node(p + "scores", f"matmul({q}, {k})", "MatMul", [q, k])
        scaled = node(p + "scaled", f"mul({scores}, {scale})", "Mul", [scores, scale])
        probs = node(p + "probs", f"softmax({scaled}, 3)", "Softmax", [scaled], axis=3)
        context = node(p + "context", f"matmul({probs}, {v})", "MatMul", [probs, v])
        context = node(p + "context_t", f"transpose({context}, permutation=[0, 2, 1, 3])", "Transpose", [context],
                       perm=[0, 2, 1, 3])
        context = node(p + "context_flat", f"reshape({context}, [1, {seq}, {hidden}])", "Reshape",
                       [context, "hidden_shape"])
        attention = dense(context, p + "o", hidden, hidden)
        x = layer_norm(node(p + "attention_res", f"add({attention}, {x})", "Add", [attention, x]), p + "ln1")
        h = dense(x, p + "ffn1", hidden, ffn)
        g.webnn_nodes.append(f"{p}gelu = gelu({h});")  # GELU: WebNN's operator, ONNX's erf form
        g.onnx_nodes += [helper.make_node("Div", [h, "gelu_sqrt2"], [p + "gelu_d"]),
                         helper.make_node("Erf", [p + "gelu_d"], [p + "gelu_e"]),
                         helper.make_node("Add", [p + "gelu_e", "gelu_one"], [p + "gelu_a"]),
                         helper.make_node("Mul", [h, p + "gelu_a"], [p + "gelu_m"]),
                         helper.make_node("Mul", [p + "gelu_m", "gelu_half"], [p + "gelu"])]
        y = dense(p + "gelu", p + "ffn2", ffn, hidden)
        out = "last_hidden_state" if layer == layers - 1 else p + "ln2"
        x = layer_norm(node(p + "ffn_res", f"add({y}, {x})", "Add", [y, x]), out)
    g.write(folder, f"MiniLM-L6-shaped transformer encoder, sequence {seq}, with random weights "
                    "(Benchmarks/generate.py; do not edit).")


def nsnet2(folder, frames=100, name="nsnet2"):
    """An NSNet2-shaped noise suppressor (the DNS challenge baseline's layer sizes), as an export
    from PyTorch writes it: `frames` frames of 161 log-power features, batch first [1, frames,
    161]; a dense layer to 400, two GRU layers of 400 (forward, returning the sequence; gate
    layout z, r, n; the reset gate applied after the recurrent product, PyTorch's GRU: WebNN
    resetAfter=true, ONNX linear_before_reset=1), each reading the sequence time-major
    ([frames, 1, 400], a reshape at batch 1) and giving it back batch first, then dense 600 +
    relu, dense 600 + relu, dense 161 + sigmoid: the output `mask` [1, frames, 161]. ONNX: GRU
    (opset 13, B = [Wb, Rb]); WebNN: gru(..., returnSequence=true)."""
    features, hidden, dense = 161, 400, 600
    g = DualGraph(name, seed=107, input_shape=[1, frames, features], output="mask", output_shape=[1, frames, features],
                  input_name="features")
    g.onnx_int64["time_major_shape"] = np.array([frames, 1, hidden], dtype=np.int64)
    g.onnx_int64["batch_first_shape"] = np.array([1, frames, hidden], dtype=np.int64)

    def node(out, webnn, onnx_op, inputs, **attributes):
        g.webnn_nodes.append(f"{out} = {webnn};")
        g.onnx_nodes.append(helper.make_node(onnx_op, inputs, [out], **attributes))
        return out

    def fc(x, name, cin, cout, activation=None, out=None):
        w = g.constant(f"{name}_w", g.rng.uniform(-cin ** -0.5, cin ** -0.5, (cin, cout)))
        b = g.constant(f"{name}_b", g.rng.uniform(-cin ** -0.5, cin ** -0.5, cout))
        y = node(f"{name}_mm", f"matmul({x}, {w})", "MatMul", [x, w])
        y = node(f"{name}_out" if activation else out or f"{name}_out", f"add({y}, {b})", "Add", [y, b])
        if activation:
            y = node(out or f"{name}_{activation}", f"{activation}({y})", activation.capitalize(), [y])
        return y

    def gru(x, name):
        bound = hidden ** -0.5
        w = g.constant(f"{name}_w", g.rng.uniform(-bound, bound, (1, 3 * hidden, hidden)))
        r = g.constant(f"{name}_r", g.rng.uniform(-bound, bound, (1, 3 * hidden, hidden)))
        b = g.rng.uniform(-bound, bound, (1, 3 * hidden))
        rb = g.rng.uniform(-bound, bound, (1, 3 * hidden))
        g.constant(f"{name}_b", b)
        g.constant(f"{name}_rb", rb)
        g.webnn_only.update({f"{name}_b", f"{name}_rb"})
        g.onnx_scalars[f"{name}_onnx_b"] = np.concatenate([b, rb], axis=1)  # ONNX's B = [Wb, Rb]
        x = node(f"{name}_x", f"reshape({x}, [{frames}, 1, {hidden}])", "Reshape", [x, "time_major_shape"])
        g.webnn_nodes.append(f"[{name}_h, {name}_seq] = gru({x}, {w}, {r}, {frames}, {hidden}, bias={name}_b, "
                             f"recurrentBias={name}_rb, returnSequence=true, resetAfter=true, layout=\"zrn\");")
        g.onnx_nodes.append(helper.make_node("GRU", [x, w, r, f"{name}_onnx_b"], [f"{name}_seq", f"{name}_h"],
                                             hidden_size=hidden, linear_before_reset=1))
        return node(f"{name}_y", f"reshape({name}_seq, [1, {frames}, {hidden}])", "Reshape",
                    [f"{name}_seq", "batch_first_shape"])

    x = fc("features", "fc1", features, hidden)
    x = gru(gru(x, "gru1"), "gru2")
    x = fc(x, "fc2", hidden, dense, "relu")
    x = fc(x, "fc3", dense, dense, "relu")
    fc(x, "fc4", dense, features, "sigmoid", out="mask")
    g.write(folder, f"NSNet2-shaped noise suppressor ({frames} frames x 161 features, FC 400, GRU 400 x2, FC 600, "
                    "600, 161 + sigmoid) with random weights (Benchmarks/generate.py; do not edit).")


def nsnet2_1000(folder):
    """`nsnet2` over 1,000 frames: the compile-time check (a loop's code does not grow with its steps)."""
    nsnet2(folder, frames=1000, name="nsnet2_1000")


MODELS = {"mobilenet_v1": mobilenet_v1, "mobilenet_v2": mobilenet_v2,
          "resnet50_v1": resnet50_v1, "squeezenet_1_1": squeezenet_1_1, "deeplab_v3": deeplab_v3,
          "transformer_encoder": transformer_encoder,
          "transformer_encoder_512": lambda folder: transformer_encoder(folder, seq=512, name="transformer_encoder_512"),
          "nsnet2": nsnet2, "nsnet2_1000": nsnet2_1000}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="folder for the model files")
    parser.add_argument("--models", default=",".join(MODELS), help="comma-separated, from: " + ", ".join(MODELS))
    args = parser.parse_args()
    names = [name for name in args.models.split(",") if name]
    unknown = [name for name in names if name not in MODELS]
    if unknown:
        parser.error(f"unknown model(s) {', '.join(unknown)}; choose from {', '.join(MODELS)}")
    for name in names:
        MODELS[name](args.out)
        print(f"generated {args.out / name}.webnn and {name}.onnx")


if __name__ == "__main__":
    main()
