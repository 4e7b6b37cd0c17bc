#!/usr/bin/env python3
"""Writes int8 (QDQ) versions of the benchmark models: ONNX Runtime's static quantization of
each float model of Benchmarks/generate.py, and the same graph translated to WebNN text for webnnc.

For each NAME (mobilenet_v1, mobilenet_v2, resnet50_v1, squeezenet_1_1, deeplab_v3) it reads
NAME.onnx from --models-dir and writes, next to it:

- NAME_int8.onnx: `quant_pre_process` (shape inference and ONNX Runtime's basic graph
  optimizations: batch normalization folded into the convolutions), then `quantize_static` in QDQ
  format, per-channel int8 weights, uint8 activations, min/max calibration on CALIBRATION_COUNT
  random inputs uniform in [-1, 1] (seed 7), the same inputs the timing and checks draw from. ONNX
  Runtime and OpenVINO run this file.
- NAME_int8.webnn (+ .manifest.json, .weights): the same graph node for node, for webnnc, by
  `webnnc import` (QuantizeLinear/DequantizeLinear become quantizeLinear/dequantizeLinear, the
  int8 weights stay int8). Both forms hold identical integer weights, scales and zero points.
- NAME_int8.tolerance.json: what Benchmarks/benchmark.py allows between webnnc's and ONNX
  Runtime's int8 outputs (`absolute`): the two may round a few values differently by one
  quantization step (docs/operators.md, "Quantized graphs"), and such steps propagate; the
  allowance is TOLERANCE_STEPS steps of the last quantized tensor before the output, doubled when
  a softmax follows it (logits moved by at most d move each probability by at most 2d).

    python3 Benchmarks/quantize_models.py --webnnc PATH --models-dir Benchmarks/out/models [--models a,b] [--reduce-range]
"""
import argparse
import json
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper
from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
from onnxruntime.quantization.shape_inference import quant_pre_process

MODELS = ["mobilenet_v1", "mobilenet_v2", "resnet50_v1", "squeezenet_1_1", "deeplab_v3"]
CALIBRATION_COUNT = 4
TOLERANCE_STEPS = 4


class Calibration(CalibrationDataReader):
    """CALIBRATION_COUNT seeded random inputs."""

    def __init__(self, name, shape):
        rng = np.random.default_rng(7)
        self.inputs = iter([{name: rng.uniform(-1, 1, shape).astype(np.float32)} for _ in range(CALIBRATION_COUNT)])

    def get_next(self):
        return next(self.inputs, None)


def quantize(source, target, reduce_range=False):
    """quant_pre_process + quantize_static (QDQ, per-channel int8 weights, uint8 activations;
    `reduce_range`: 7-bit weights)."""
    with tempfile.TemporaryDirectory() as folder:
        prepared = Path(folder) / "prepared.onnx"
        quant_pre_process(str(source), str(prepared), skip_symbolic_shape=True)
        graph_input = onnx.load(str(prepared)).graph.input[0]
        shape = [d.dim_value for d in graph_input.type.tensor_type.shape.dim]
        quantize_static(str(prepared), str(target), Calibration(graph_input.name, shape), quant_format=QuantFormat.QDQ,
                        per_channel=True, reduce_range=reduce_range, activation_type=QuantType.QUInt8,
                        weight_type=QuantType.QInt8)


def tolerance(model):
    """TOLERANCE_STEPS steps of the scale quantizing the last quantized tensor before the output,
    doubled through a softmax."""
    graph = model.graph
    producers = {o: n for n in graph.node for o in n.output}
    constants = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    node, softmax = producers[graph.output[0].name], False
    while node.op_type != "DequantizeLinear":
        softmax |= node.op_type == "Softmax"
        node = producers[node.input[0]]
    step = float(constants[node.input[1]])
    return {"absolute": TOLERANCE_STEPS * step * (2 if softmax else 1), "quantizationStep": step,
            "steps": TOLERANCE_STEPS, "throughSoftmax": softmax}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--webnnc", required=True, help="the webnnc binary (its `import` writes the .webnn form)")
    parser.add_argument("--models-dir", type=Path, required=True)
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--reduce-range", action="store_true",
                        help="7-bit weights ([-64, 63], ONNX Runtime's reduce_range, which its docs recommend on AVX2 "
                             "without VNNI): no pair of them can saturate vpmaddubsw, so webnnc's AVX2 kernels use it")
    args = parser.parse_args()
    for name in args.models.split(","):
        stem = f"{name}_int8"
        target = args.models_dir / f"{stem}.onnx"
        quantize(args.models_dir / f"{name}.onnx", target, args.reduce_range)
        model = onnx.load(str(target))
        subprocess.run([args.webnnc, "import", str(target), "-o", str(args.models_dir / f"{stem}.webnn")], check=True)
        (args.models_dir / f"{stem}.tolerance.json").write_text(json.dumps(tolerance(model)) + "\n")
        print(f"quantized {name} -> {stem}.onnx and {stem}.webnn", flush=True)


if __name__ == "__main__":
    main()
