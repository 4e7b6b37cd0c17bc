#!/usr/bin/env python3
"""Quantizes the benchmark models with `webnnc quantize` and compares int8 with float32.

For each model: writes the model (generate.py), --count seeded calibration and (other) evaluation
inputs (calibration.py), runs `webnnc quantize` (calibration on the first set, agreement on the
second), compiles the float and the int8 graph with -O3, and times both with `webnnc bench` at
--threads, taking turns for --rounds rounds (so load from elsewhere falls on both alike). Prints
a markdown table (a row as each model finishes): argmax agreement (top-1; pixel-wise for DeepLab), the centered top-1 (see
docs/quantization.md), the largest error, and the median times with their ratio.

    python3 Benchmarks/webnnc_quantize.py --webnnc .build/release/webnnc --out /tmp/q [--models mobilenet_v1] [--count 100]
"""
import argparse
import json
import re
import statistics
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
MODELS = ["mobilenet_v1", "mobilenet_v2", "resnet50_v1", "squeezenet_1_1", "deeplab_v3"]


def run(command):
    print("$ " + " ".join(map(str, command)), file=sys.stderr, flush=True)
    result = subprocess.run(list(map(str, command)), capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"{command[0]} failed ({result.returncode}):\n{result.stdout}{result.stderr}")
    return result.stdout


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--webnnc", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--count", type=int, default=100, help="calibration and evaluation inputs per model")
    parser.add_argument("--samples", type=int, help="use only this many of them (webnnc quantize --samples)")
    parser.add_argument("--method", default="minmax", help="--calibration-method")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--iterations", type=int, default=10, help="timed runs per round")
    args = parser.parse_args()
    models = args.models.split(",")
    folder = args.out
    run([sys.executable, HERE / "generate.py", "--out", folder / "models", "--models", args.models])
    for name, seed in (("calib", 7), ("eval", 8)):
        run([sys.executable, HERE / "calibration.py", "--models-dir", folder / "models", "--models", args.models,
             "--out", folder / name, "--count", args.count, "--seed", seed])
    print("| model | integer convs | argmax agreement % | centered top-1 % | max error / max |float| "
          "| float32 median ms | int8 median ms | float32/int8 | float32 min | int8 min |")
    print("|---|---|---|---|---|---|---|---|---|---|", flush=True)
    for model in models:
        graph = folder / "models" / f"{model}.webnn"
        int8 = folder / "int8" / f"{model}.int8.webnn"
        int8.parent.mkdir(parents=True, exist_ok=True)
        report = run([args.webnnc, "quantize", graph, "--calibration", folder / "calib" / model, "--eval", folder / "eval" / model,
                      "--calibration-method", args.method, "-o", int8] + (["--samples", args.samples] if args.samples else []))
        print(report, file=sys.stderr)
        output = next(line for line in report.splitlines() if "argmax agreement" in line)
        agreement = re.search(r"argmax agreement ([\d.]+) %", output).group(1)
        centered = re.search(r"centered top-1 agreement ([\d.]+) %", output)
        error = re.search(r"relative to max \|float\| ([\d.e+-]+)", output).group(1)
        fused = re.search(r"fuse-qdq: (\d+) integer", report).group(1)
        libraries = {}
        for kind, path in (("float32", graph), ("int8", int8)):
            libraries[kind] = folder / "lib" / f"lib{model}_{kind}.so"
            libraries[kind].parent.mkdir(parents=True, exist_ok=True)
            run([args.webnnc, path, "-O3", "-o", libraries[kind]])
        samples = {"float32": [], "int8": []}
        for round_index in range(args.rounds):
            order = ["float32", "int8"] if round_index % 2 == 0 else ["int8", "float32"]
            for kind in order:
                result = json.loads(run([args.webnnc, "bench", libraries[kind], "--threads", args.threads,
                                         "--iterations", args.iterations, "--warmup", 2, "--json"]))
                samples[kind] += result["samplesMs"]
        f32, i8 = statistics.median(samples["float32"]), statistics.median(samples["int8"])
        print(f"| {model} | {fused} | {agreement} | {centered.group(1) if centered else '-'} | {error} | {f32:.1f} | {i8:.1f} "
              f"| {f32 / i8:.2f}x | {min(samples['float32']):.1f} | {min(samples['int8']):.1f} |", flush=True)


if __name__ == "__main__":
    main()
