#!/usr/bin/env python3
"""Writes seeded calibration/evaluation inputs for the benchmark models (`webnnc quantize`).

The benchmark models have random weights, so "natural images" mean nothing to them; pure noise
would make every image look alike to the network (its average carries the prediction), and the
float model's top-1 would be nearly constant. The inputs are structured instead: per channel, a
low-resolution random field (2x2 to 16x16 cells) upsampled bilinearly to the image size, plus a
random gradient and a little pixel noise, scaled to about [-1, 1] (the range of a normalized
image). Each sample differs in structure, so the float predictions vary between samples.

For each model NAME (from NAME.webnn in --models-dir, its single f32 input's shape read from
the inputs block), writes --count files NAME/000.npy, NAME/001.npy, ... into --out: the flat
layout `webnnc quantize --calibration` reads for a one-input graph.

    python3 Benchmarks/calibration.py --models-dir /tmp/q/models --out /tmp/q/calib --count 100 [--seed 7]
"""
import argparse
import re
from pathlib import Path

import numpy as np


def input_shape(webnn_file):
    """The shape of the graph's one float32 input."""
    match = re.search(r"inputs\s*\{\s*\w+\s*:\s*f32\[([\d,\s]+)\]\s*;\s*\}", webnn_file.read_text())
    if not match:
        raise SystemExit(f"{webnn_file}: expected one f32 input in the inputs block")
    return [int(d) for d in match.group(1).split(",")]


def upsample(field, height, width):
    """Bilinear upsampling of a 2-D array to height x width (align-corners)."""
    rows = np.linspace(0, field.shape[0] - 1, height)
    cols = np.linspace(0, field.shape[1] - 1, width)
    r0 = np.floor(rows).astype(int).clip(0, field.shape[0] - 2)
    c0 = np.floor(cols).astype(int).clip(0, field.shape[1] - 2)
    fr = (rows - r0)[:, None]
    fc = (cols - c0)[None, :]
    top = field[r0][:, c0] * (1 - fc) + field[r0][:, c0 + 1] * fc
    bottom = field[r0 + 1][:, c0] * (1 - fc) + field[r0 + 1][:, c0 + 1] * fc
    return top * (1 - fr) + bottom * fr


def structured_image(rng, shape):
    """One [N, C, H, W] float32 sample in about [-1, 1]."""
    n, c, h, w = shape
    image = np.empty(shape, dtype=np.float32)
    for b in range(n):
        cells = int(rng.integers(2, 17))
        gradient = np.add.outer(np.linspace(-1, 1, h) * rng.normal(), np.linspace(-1, 1, w) * rng.normal())
        for channel in range(c):
            field = upsample(rng.normal(0, 1, (cells + 1, cells + 1)), h, w)
            image[b, channel] = np.tanh(field + 0.5 * gradient + rng.normal(0, 0.1, (h, w)) + rng.normal(0, 0.3))
    return image


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models-dir", type=Path, required=True, help="folder with NAME.webnn files")
    parser.add_argument("--out", type=Path, required=True, help="folder for NAME/NNN.npy")
    parser.add_argument("--models", help="comma-separated model names (default: every NAME.webnn in --models-dir)")
    parser.add_argument("--count", type=int, default=100, help="samples per model")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    names = args.models.split(",") if args.models else sorted(p.stem for p in args.models_dir.glob("*.webnn"))
    for index, name in enumerate(names):
        shape = input_shape(args.models_dir / f"{name}.webnn")
        rng = np.random.default_rng([args.seed, index])
        folder = args.out / name
        folder.mkdir(parents=True, exist_ok=True)
        for k in range(args.count):
            np.save(folder / f"{k:03d}.npy", structured_image(rng, shape))
        print(f"{folder}: {args.count} inputs {shape}")


if __name__ == "__main__":
    main()
