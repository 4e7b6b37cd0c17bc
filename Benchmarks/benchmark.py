#!/usr/bin/env python3
"""Compiles the generated models with webnnc, checks them against ONNX Runtime, and times webnnc,
ONNX Runtime and OpenVINO on them at each thread count. Writes report.json, report.md and
report.png (see report.py) and prints the table. Run through Benchmarks/run.sh, which makes the
venv, builds webnnc and generates the models first.

    python3 Benchmarks/benchmark.py --webnnc .build/release/webnnc --models-dir Benchmarks/out/models \\
        --out Benchmarks/out --models mobilenet_v1 --iterations 20 --rounds 4 --threads 1,2
"""
import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import onnxruntime

try:
    import openvino
except ImportError:  # a venv without OpenVINO times webnnc and ONNX Runtime only
    openvino = None
    print("note: OpenVINO is not installed: timing webnnc and ONNX Runtime only", file=sys.stderr)

import report

#: Largest allowed |webnnc - ONNX Runtime| on a softmax output (the classifiers' `probabilities`).
TOLERANCE = 1e-3
#: Largest allowed |webnnc - ONNX Runtime| over the largest |ONNX Runtime value| on any other
#: output (DeepLab's logits), whose scale is not bounded like a softmax's.
RELATIVE_TOLERANCE = 1e-4
#: The outputs that are softmax probabilities, checked against TOLERANCE as they are.
SOFTMAX_OUTPUTS = {"probabilities"}
#: Outputs with their own relative tolerance: the transformer's last hidden state (six layers of
#: float32 matmuls, softmax, erf GELU and layer normalizations, summed in other orders than ONNX
#: Runtime's; about 1e-5 is typical) and the NSNet2-shaped network's mask (two GRU layers of 100
#: steps whose states feed back, summed in other orders than ONNX Runtime's).
RELATIVE_TOLERANCES = {"last_hidden_state": 1e-3, "mask": 1e-3}
#: Seed of the random input of the accuracy check and of the peers' timing runs.
INPUT_SEED = 7


def statistics(samples_ms):
    """Median, min, p90 (nearest rank), mean and sample stddev, as `webnnc bench --json` reports them."""
    samples = np.sort(np.asarray(samples_ms, dtype=np.float64))
    rank90 = int(np.ceil(0.9 * len(samples))) - 1
    return {"medianMs": float(np.median(samples)), "minMs": float(samples[0]), "p90Ms": float(samples[rank90]),
            "meanMs": float(samples.mean()), "stddevMs": float(samples.std(ddof=1)) if len(samples) > 1 else 0.0,
            "iterations": len(samples)}


def time_calls(run, iterations, warmup):
    """Calls `run` `warmup` times, then times `iterations` calls; returns their times in ms."""
    for _ in range(warmup):
        run()
    samples = []
    for _ in range(iterations):
        start = time.perf_counter_ns()
        run()
        samples.append((time.perf_counter_ns() - start) / 1e6)
    return samples


def interleaved(runners, iterations, warmup, rounds):
    """Times every runner (`runner(count, warmup)` -> times in ms) in `rounds` rounds, each runner
    in turn, the order rotating by one per round, so a burst of load from elsewhere on the machine
    falls on all of them alike; returns the statistics of each runner's `iterations` times."""
    names = list(runners)
    samples = {name: [] for name in names}
    for index in range(rounds):
        count = iterations // rounds + (1 if index < iterations % rounds else 0)
        for name in names[index % len(names):] + names[:index % len(names)]:
            samples[name] += runners[name](count, warmup)
    return {name: statistics(samples[name]) for name in names}


def random_inputs(session):
    """A fixed-seed random float32 array in [-1, 1) for each input of an ONNX Runtime session."""
    rng = np.random.default_rng(INPUT_SEED)
    return {i.name: rng.uniform(-1, 1, i.shape).astype(np.float32) for i in session.get_inputs()}


def ort_session(onnx_path, threads):
    """An ONNX Runtime CPU session: `threads` intra-op threads, sequential, all graph optimizations."""
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    return onnxruntime.InferenceSession(str(onnx_path), options, providers=["CPUExecutionProvider"])


def run_command(arguments, what):
    """Runs a command; exits with its error output if it fails. Returns its standard output."""
    result = subprocess.run(arguments, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"error: {what} failed (exit {result.returncode}): {' '.join(map(str, arguments))}\n{result.stderr}")
    return result.stdout


def compile_model(webnnc, graph, library, flags=()):
    """Compiles `graph` with `webnnc -O3` (and `flags`) into `library`; returns the wall-clock
    seconds it took."""
    start = time.perf_counter()
    run_command([webnnc, graph, "-O3", *flags, "-o", library], f"compiling {graph.name}")
    return time.perf_counter() - start


def check_accuracy(webnnc, library, onnx_path, folder):
    """Runs webnnc's library and ONNX Runtime on the same random input; returns the largest
    absolute difference per output and that over the largest |expected| value. Exits if a softmax
    output differs by more than TOLERANCE, or another output (logits) by more than
    RELATIVE_TOLERANCE of its largest |value|; an int8 model (with a NAME.tolerance.json from
    quantize_models.py) by more than its allowance of a few quantization steps, on any output."""
    quantized = onnx_path.with_suffix(".tolerance.json")
    int8_limit = json.loads(quantized.read_text())["absolute"] if quantized.exists() else None
    session = ort_session(onnx_path, threads=1)
    inputs = random_inputs(session)
    arguments = [webnnc, "run", library, "--threads", "1", "--output-dir", folder]
    folder.mkdir(parents=True, exist_ok=True)
    for name, array in inputs.items():
        np.save(folder / f"{name}.npy", array)
        arguments += ["--input", f"{name}={folder / name}.npy"]
    run_command(arguments, f"running {library.name}")
    names = [output.name for output in session.get_outputs()]
    differences = {}
    for name, expected in zip(names, session.run(names, inputs)):
        actual = np.load(folder / f"{name.replace('/', '_')}.npy")
        largest = float(np.max(np.abs(actual.astype(np.float64) - expected)))
        differences[name] = {"maxAbs": largest, "relative": largest / float(np.max(np.abs(expected)))}
        print(f"  {name}: max |webnnc - onnxruntime| = {largest:.3g} "
              f"({differences[name]['relative']:.3g} of the largest |value|)")
    for name, difference in differences.items():
        if int8_limit is not None:
            if difference["maxAbs"] > int8_limit:
                sys.exit(f"error: {library.name}: the output {name} differs from ONNX Runtime's int8 answer by "
                         f"{difference['maxAbs']:.3g} > {int8_limit:.3g} ({quantized.name})")
            continue
        if name in SOFTMAX_OUTPUTS and difference["maxAbs"] > TOLERANCE:
            sys.exit(f"error: {library.name}: the softmax output {name} differs from ONNX Runtime's by "
                     f"{difference['maxAbs']:.3g} > {TOLERANCE}")
        limit = RELATIVE_TOLERANCES.get(name, RELATIVE_TOLERANCE)
        if name not in SOFTMAX_OUTPUTS and difference["relative"] > limit:
            sys.exit(f"error: {library.name}: the output {name} differs from ONNX Runtime's by "
                     f"{difference['maxAbs']:.3g}, {difference['relative']:.3g} of its largest |value| "
                     f"> {limit}")
    return differences


def webnnc_runner(webnnc, library, threads):
    """Times the library with `webnnc bench --json` (one process per call)."""
    def run(iterations, warmup):
        output = run_command([webnnc, "bench", library, "--threads", str(threads), "--iterations", str(iterations),
                              "--warmup", str(warmup), "--json"], f"webnnc bench {library.name}")
        return json.loads(output)["samplesMs"]
    return run


def onnxruntime_runner(onnx_path, threads):
    """Times ONNX Runtime with inputs and preallocated outputs bound once (no copies per run)."""
    session = ort_session(onnx_path, threads)
    binding = session.io_binding()
    for name, array in random_inputs(session).items():
        binding.bind_cpu_input(name, array)
    outputs = []
    for output in session.get_outputs():
        array = np.empty(output.shape, dtype=np.float32)
        binding.bind_output(output.name, "cpu", 0, np.float32, array.shape, array.ctypes.data)
        outputs.append(array)

    def run(iterations, warmup):
        assert outputs  # the closure keeps the bound output buffers alive
        return time_calls(lambda: session.run_with_iobinding(binding), iterations, warmup)
    return run


def openvino_runner(onnx_path, threads):
    """Times OpenVINO's CPU plugin: `threads` threads, f32 precision, latency hint."""
    core = openvino.Core()
    config = {"INFERENCE_NUM_THREADS": str(threads), "INFERENCE_PRECISION_HINT": "f32", "PERFORMANCE_HINT": "LATENCY"}
    compiled = core.compile_model(str(onnx_path), "CPU", config)
    request = compiled.create_infer_request()
    rng = np.random.default_rng(INPUT_SEED)
    for index, port in enumerate(compiled.inputs):
        request.set_input_tensor(index, openvino.Tensor(rng.uniform(-1, 1, list(port.shape)).astype(np.float32)))
    return lambda iterations, warmup: time_calls(request.infer, iterations, warmup)


def benchmark_model(name, args):
    """Compiles, checks and times one model; returns its entry of the report."""
    graph, onnx_path = args.models_dir / f"{name}.webnn", args.models_dir / f"{name}.onnx"
    library = args.out / "libs" / f"lib{name}.so"
    library.parent.mkdir(parents=True, exist_ok=True)
    print(f"{name}: compiling with webnnc -O3", flush=True)
    compile_seconds = compile_model(args.webnnc, graph, library)
    print(f"  {compile_seconds:.1f} s, {library.stat().st_size / 1e6:.1f} MB", flush=True)
    differences = check_accuracy(args.webnnc, library, onnx_path, args.out / "check" / name)
    avx2_library = None
    if args.avx2:  # the same graph for AVX2 + FMA only (no AVX-512, no VNNI), checked too
        avx2_library = args.out / "libs" / f"lib{name}_avx2.so"
        compile_model(args.webnnc, graph, avx2_library, ["--mcpu=x86-64-v3"])
        check_accuracy(args.webnnc, avx2_library, onnx_path, args.out / "check" / f"{name}_avx2")
    runs = {}
    for threads in args.threads:
        print(f"  timing at {threads} thread(s)", flush=True)
        runners = {"webnnc": webnnc_runner(args.webnnc, library, threads)}
        if avx2_library:
            runners["webnnc-avx2"] = webnnc_runner(args.webnnc, avx2_library, threads)
        runners["onnxruntime"] = onnxruntime_runner(onnx_path, threads)
        if openvino is not None:
            runners["openvino"] = openvino_runner(onnx_path, threads)
        runs[str(threads)] = interleaved(runners, args.iterations, args.warmup, args.rounds)
    return {"compileSeconds": compile_seconds, "libraryBytes": library.stat().st_size,
            "maxAbsDifference": differences, "threads": runs}


def cpu_model():
    """The CPU's model name from /proc/cpuinfo, or the machine type where that is not available."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.machine()


def environment():
    """What the numbers were measured on and with."""
    return {"cpu": cpu_model(), "cpus": os.cpu_count(),
            "python": platform.python_version(), "numpy": np.__version__,
            "onnxruntime": onnxruntime.__version__, "openvino": openvino.__version__ if openvino else None,
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}


def thread_counts(text):
    """Parses `--threads 1,2`."""
    try:
        counts = [int(part) for part in text.split(",") if part]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated thread counts, like 1,2; got {text!r}")
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError(f"thread counts must be at least 1; got {text!r}")
    return counts


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--webnnc", type=Path, required=True, help="the webnnc executable")
    parser.add_argument("--models-dir", type=Path, required=True, help="where generate.py wrote the models")
    parser.add_argument("--out", type=Path, required=True, help="folder for libraries and reports")
    parser.add_argument("--models", required=True, help="comma-separated model names")
    parser.add_argument("--iterations", type=int, default=20, help="timed runs per measurement")
    parser.add_argument("--warmup", type=int, default=3, help="untimed runs before each round of a runtime")
    parser.add_argument("--rounds", type=int, default=4,
                        help="rounds the timed runs are split into, the runtimes taking turns in each")
    parser.add_argument("--threads", type=thread_counts, default=[1, 2], help="thread counts, like 1,2")
    parser.add_argument("--avx2", action="store_true",
                        help="also time webnnc built with --mcpu=x86-64-v3 (AVX2 + FMA; ONNX Runtime and OpenVINO "
                             "pick their kernels by CPUID and cannot be held to AVX2)")
    args = parser.parse_args()
    if args.iterations < 1 or args.warmup < 0 or not 1 <= args.rounds <= args.iterations:
        parser.error("--iterations must be at least 1, --warmup at least 0, --rounds in [1, iterations]")
    results = {"environment": environment(), "iterations": args.iterations, "warmup": args.warmup,
               "rounds": args.rounds,
               "models": {name: benchmark_model(name, args) for name in args.models.split(",") if name}}
    report.write(results, args.out)


if __name__ == "__main__":
    main()
