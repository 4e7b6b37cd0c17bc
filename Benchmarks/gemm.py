#!/usr/bin/env python3
"""Times single matrix products, webnnc against ONNX Runtime's MatMul (and OpenVINO's, in wall
time, where it is installed), and prints GFLOP/s.

Each shape is a one-node graph written both ways by generate.py's DualGraph: a dense layer
`matmul(a[M, K], w[K, N])` with a constant (random) w, as in a transformer's projections, or a
batched product of two inputs `matmul(a[B, M, K], b[B, K, N])`, as in attention's Q·K^T and P·V.
The runtimes take turns (benchmark.py's `interleaved`), so load from elsewhere falls on both.

At 1 thread each runtime is also timed in CPU time (`--cpu-time`): the CPU seconds a run takes,
which preemption by other processes does not inflate (on a machine shared with builds, wall
times of runs longer than a time slice mostly measure the load). webnnc's is that of `webnnc
bench` processes (a long one less a one-iteration one), ONNX Runtime's that of this process.

    python3 Benchmarks/gemm.py --webnnc .build/release/webnnc [--webnnc-before OLD] \\
        [--shapes 128x384x384,12x128x32x128] [--threads 1,2] [--peak 158]

A shape is MxKxN (dense, constant weights) or BxMxKxN (batched, both operands inputs). With
--webnnc-before, a second webnnc (an older build) is timed in the same turns. With --peak (the
core's float32 FMA peak in GFLOP/s), the table also gives each runtime's fraction of peak per thread.
"""
import argparse
import json
import resource
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np

import benchmark
import generate

SHAPES = ["128x384x384", "128x384x1536", "128x1536x384", "512x1024x1024", "1024x1024x1024",
          "12x128x32x128", "12x128x128x32"]


def write_graph(shape, folder):
    """Writes the graph of `shape` (see the module doc) into `folder`; returns its name and FLOPs."""
    dims = [int(part) for part in shape.split("x")]
    batch, (m, k, n) = (dims[0], dims[1:]) if len(dims) == 4 else (None, dims)
    name = "gemm_" + shape
    lead = [batch] if batch else []
    g = generate.DualGraph(name, seed=5, input_shape=lead + [m, k], output="y", output_shape=lead + [m, n],
                           input_name="a")
    if batch:
        g.extra_inputs["b"] = [batch, k, n]
        b = "b"
    else:
        b = g.constant("w", g.rng.normal(0, k ** -0.5, (k, n)))
    g.webnn_nodes.append(f"y = matmul(a, {b});")
    g.onnx_nodes.append(generate.helper.make_node("MatMul", ["a", b], ["y"]))
    g.write(folder, f"matmul {shape} (Benchmarks/gemm.py)")
    return name, 2 * (batch or 1) * m * n * k


def child_cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def webnnc_cpu_runner(webnnc, library):
    """CPU seconds per run of `library` at 1 thread: `webnnc bench` of `iterations` runs less
    that of one run (process start, inputs and warm-up cancel)."""
    def run(iterations):
        def bench(count):
            before = child_cpu_seconds()
            subprocess.run([webnnc, "bench", library, "--threads", "1", "--iterations", str(count), "--warmup", "2",
                            "--json"], check=True, capture_output=True)
            return child_cpu_seconds() - before
        return (bench(iterations + 1) - bench(1)) / iterations
    return run


def onnxruntime_cpu_runner(onnx_path):
    """CPU seconds per run of ONNX Runtime at 1 thread (intra-op work runs on the calling thread)."""
    session = benchmark.ort_session(onnx_path, 1)
    inputs = benchmark.random_inputs(session)

    def run(iterations):
        for _ in range(2):
            session.run(None, inputs)
        start = time.process_time()
        for _ in range(iterations):
            session.run(None, inputs)
        return (time.process_time() - start) / iterations
    return run


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--webnnc", type=Path, required=True)
    parser.add_argument("--webnnc-before", type=Path, help="an older webnnc timed alongside")
    parser.add_argument("--shapes", default=",".join(SHAPES))
    parser.add_argument("--threads", type=benchmark.thread_counts, default=[1, 2],
                        help="thread counts timed in wall-clock time")
    parser.add_argument("--seconds", type=float, default=0.5, help="timed seconds per runtime and round, roughly")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--peak", type=float, help="float32 FMA peak of one core, GFLOP/s")
    args = parser.parse_args()
    compilers = {"webnnc": args.webnnc}
    if args.webnnc_before:
        compilers["before"] = args.webnnc_before
    labels = list(compilers) + ["onnxruntime"]
    folder = Path(tempfile.mkdtemp(prefix="webnnc-gemm-"))
    results = []
    for shape in args.shapes.split(","):
        name, flops = write_graph(shape, folder)
        libraries = {}
        for label, webnnc in compilers.items():
            libraries[label] = folder / f"lib{name}_{label}.so"
            benchmark.compile_model(webnnc, folder / f"{name}.webnn", libraries[label])
        difference = benchmark.check_accuracy(args.webnnc, libraries["webnnc"], folder / f"{name}.onnx",
                                              folder / "check" / name)["y"]["relative"]
        # CPU time at 1 thread: median over rounds, the runtimes taking turns.
        iterations = max(1, int(args.seconds * 50e9 / flops))
        cpu_runners = {label: webnnc_cpu_runner(compilers[label], library) for label, library in libraries.items()}
        cpu_runners["onnxruntime"] = onnxruntime_cpu_runner(folder / f"{name}.onnx")
        cpu = {label: [] for label in labels}
        for index in range(args.rounds):
            for label in labels[index % len(labels):] + labels[:index % len(labels)]:
                cpu[label].append(cpu_runners[label](iterations))
        row = {"shape": shape, "difference": difference,
               "cpu": {label: flops / np.median(times) / 1e9 for label, times in cpu.items()}, "wall": {}}
        for threads in args.threads:
            runners = {label: benchmark.webnnc_runner(compilers[label], library, threads)
                       for label, library in libraries.items()}
            runners["onnxruntime"] = benchmark.onnxruntime_runner(folder / f"{name}.onnx", threads)
            if benchmark.openvino is not None:
                runners["openvino"] = benchmark.openvino_runner(folder / f"{name}.onnx", threads)
            stats = benchmark.interleaved(runners, max(args.rounds, iterations * threads), 3, args.rounds)
            row["wall"][threads] = {label: flops / (s["minMs"] * 1e6) for label, s in stats.items()}
        results.append(row)
        print(json.dumps(row), flush=True)
    header = "| shape | " + " | ".join(f"{label} 1 thread (CPU time)" for label in labels)
    wall_labels = list(results[0]["wall"][args.threads[0]]) if results else labels
    header += "".join(f" | {label} {t} thr. (wall, best)" for t in args.threads for label in wall_labels)
    header += " | webnnc / ORT time, 1 thread |" + (" webnnc % of peak, 1 thread |" if args.peak else "")
    print(header)
    print("|" + "---|" * (header.count("|") - 1))
    for row in results:
        line = f"| {row['shape']} | " + " | ".join(f"{row['cpu'][l]:.0f}" for l in labels)
        line += "".join(f" | {row['wall'][t][l]:.0f}" for t in args.threads for l in wall_labels)
        line += f" | {row['cpu']['onnxruntime'] / row['cpu']['webnnc']:.2f} |"
        if args.peak:
            line += f" {100 * row['cpu']['webnnc'] / args.peak:.0f} % |"
        print(line)
    print("GFLOP/s. max |webnnc - onnxruntime| / max |value|: "
          + ", ".join(f"{row['shape']} {row['difference']:.1e}" for row in results))


if __name__ == "__main__":
    main()
