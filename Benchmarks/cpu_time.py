#!/usr/bin/env python3
"""CPU time per inference at 1 thread, for a machine too loaded for wall-clock latencies.

On a machine shared with other work, wall-clock times at 1 thread swing by 2x or more; the CPU
time a single-threaded inference consumes does not count the time other processes hold the core
(it still feels their cache and memory traffic). This measures, after benchmark.py has compiled
the libraries (Benchmarks/out/libs/libNAME.so and, with --avx2, libNAME_avx2.so):

- webnnc: `webnnc bench --threads 1` run for N + 1 and for 1 iterations, the difference of the
  child processes' user + system time over N (loading the library cancels out);
- ONNX Runtime (intra-op threads 1, sequential: the inference runs on the calling thread) and
  OpenVINO (1 inference thread): the process's CPU time around N calls, after one warm-up call.

in --rounds interleaved rounds, printing the median and range of the rounds per runtime.
Multi-threaded runs are not measured this way (their CPU time is not their latency).

    python3 Benchmarks/cpu_time.py --webnnc .build/release/webnnc --models-dir Benchmarks/out/models \\
        --libs Benchmarks/out/libs --models mobilenet_v1_int8,mobilenet_v1 [--iterations 10] [--rounds 3]
"""
import argparse
import resource
import subprocess
import time
from pathlib import Path

import numpy as np

import benchmark


def child_cpu_seconds(arguments):
    """User + system seconds of a child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(arguments, check=True, capture_output=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def webnnc_ms(webnnc, library, iterations):
    def run(count):
        return child_cpu_seconds([webnnc, "bench", library, "--threads", "1", "--iterations", str(count), "--warmup", "0"])
    return (run(iterations + 1) - run(1)) / iterations * 1000


def in_process_ms(runner, iterations):
    runner(1, 1)
    start = time.process_time()
    runner(iterations, 0)
    return (time.process_time() - start) / iterations * 1000


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--webnnc", type=Path, required=True)
    parser.add_argument("--models-dir", type=Path, required=True)
    parser.add_argument("--libs", type=Path, required=True, help="where benchmark.py wrote libNAME.so")
    parser.add_argument("--models", required=True)
    parser.add_argument("--iterations", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    for model in args.models.split(","):
        onnx_path = args.models_dir / f"{model}.onnx"
        measure = {"webnnc": lambda: webnnc_ms(args.webnnc, args.libs / f"lib{model}.so", args.iterations)}
        if (args.libs / f"lib{model}_avx2.so").exists():
            measure["webnnc-avx2"] = lambda: webnnc_ms(args.webnnc, args.libs / f"lib{model}_avx2.so", args.iterations)
        ort = benchmark.onnxruntime_runner(onnx_path, 1)
        measure["onnxruntime"] = lambda: in_process_ms(ort, args.iterations)
        if benchmark.openvino is not None:
            ov = benchmark.openvino_runner(onnx_path, 1)
            measure["openvino"] = lambda: in_process_ms(ov, args.iterations)
        samples = {name: [] for name in measure}
        for _ in range(args.rounds):
            for name, run in measure.items():
                samples[name].append(run())
        print(f"{model}: CPU ms per inference, median [min-max] of {args.rounds} rounds: "
              + "  ".join(f"{name} {np.median(v):.2f} [{min(v):.2f}-{max(v):.2f}]" for name, v in samples.items()), flush=True)


if __name__ == "__main__":
    main()
