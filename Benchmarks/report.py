"""Turns the results of benchmark.py into report.json, report.md and report.png, and prints the
table. The ratio column is webnnc / the best peer: of medians at 1 thread, of minimums at more
threads (where scheduling noise makes the minimum the steadier number). "webnnc-avx2" (webnnc
built with --mcpu=x86-64-v3, benchmark.py --avx2) gets a column when it was timed. For each
model NAME timed with NAME_int8, a second table gives each runtime's int8 speed-up (the ratio of
medians, fp32 / int8)."""
import json

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)
except ImportError:  # a venv without matplotlib writes the JSON and Markdown reports only
    plt = None

ALL_RUNTIMES = ["webnnc", "webnnc-avx2", "onnxruntime", "openvino"]
PEERS = ["onnxruntime", "openvino"]
TITLES = {"webnnc": "webnnc", "webnnc-avx2": "webnnc (AVX2)", "onnxruntime": "ONNX Runtime", "openvino": "OpenVINO"}


def runtimes(results):
    """The runtimes timed in `results`, in ALL_RUNTIMES order."""
    timed = {name for entry in results["models"].values() for run in entry["threads"].values() for name in run}
    return [name for name in ALL_RUNTIMES if name in timed]


def ratio(run, threads):
    """webnnc's time over the best peer's (of those timed): medians at 1 thread, minimums otherwise."""
    key = "medianMs" if threads == 1 else "minMs"
    return run["webnnc"][key] / min(run[peer][key] for peer in PEERS if peer in run), key[:-2]


def table_rows(results):
    """One row per model and thread count: times in ms as 'median / min', then the ratio."""
    rows = []
    for model, entry in results["models"].items():
        for threads, run in entry["threads"].items():
            value, basis = ratio(run, int(threads))
            times = [f"{run[name]['medianMs']:.2f} / {run[name]['minMs']:.2f}" if name in run else "not timed"
                     for name in runtimes(results)]
            rows.append([model, threads, *times, f"{value:.2f} ({basis})"])
    return rows


def speedup_rows(results):
    """One row per NAME with a NAME_int8 and thread count: fp32 / int8 median per runtime."""
    rows = []
    for model, entry in results["models"].items():
        quantized = results["models"].get(f"{model}_int8")
        if quantized is None:
            continue
        for threads, run in entry["threads"].items():
            int8 = quantized["threads"].get(threads, {})
            rows.append([model, threads] + [f"{run[name]['medianMs'] / int8[name]['medianMs']:.2f}x"
                                            if name in run and name in int8 else "-" for name in runtimes(results)])
    return rows


def markdown(results):
    """The report as Markdown: the timing table, then compile times and accuracy."""
    environment = results["environment"]
    lines = ["# webnnc benchmarks", "",
             f"{environment['time']}, {environment['cpu']} ({environment['cpus']} CPUs), onnxruntime {environment['onnxruntime']}, "
             f"openvino {environment['openvino']}; {results['iterations']} timed iterations per runtime in "
             f"{results['rounds']} rounds (the runtimes take turns in each), each after {results['warmup']} "
             f"warm-up. Times in ms as median / min.", "",
             "| model | threads | " + " | ".join(TITLES[name] for name in runtimes(results)) + " | webnnc / best peer |",
             "|---|---|" + "---|" * (len(runtimes(results)) + 1)]
    lines += ["| " + " | ".join(row) + " |" for row in table_rows(results)]
    if speedup_rows(results):
        lines += ["", "int8 speed-up (fp32 median / int8 median):", "",
                  "| model | threads | " + " | ".join(TITLES[name] for name in runtimes(results)) + " |",
                  "|---|---|" + "---|" * len(runtimes(results))]
        lines += ["| " + " | ".join(row) + " |" for row in speedup_rows(results)]
    lines += ["", "| model | webnnc -O3 compile (s) | library (MB) | max abs diff vs ONNX Runtime |", "|---|---|---|---|"]
    for model, entry in results["models"].items():
        difference = ", ".join(f"{name} {value['maxAbs']:.3g} (relative {value['relative']:.3g})"
                               for name, value in entry["maxAbsDifference"].items())
        lines.append(f"| {model} | {entry['compileSeconds']:.1f} | {entry['libraryBytes'] / 1e6:.1f} | {difference} |")
    return "\n".join(lines) + "\n"


def plot(results, path):
    """Bar charts of the median time per model and runtime, one panel per thread count (log scale)."""
    thread_counts = sorted({int(t) for entry in results["models"].values() for t in entry["threads"]})
    models = list(results["models"])
    figure, axes = plt.subplots(1, len(thread_counts), figsize=(6 * len(thread_counts), 4.5), squeeze=False)
    timed = runtimes(results)
    width = 0.8 / len(timed)
    for axis, threads in zip(axes[0], thread_counts):
        for index, runtime in enumerate(timed):
            medians = [results["models"][m]["threads"].get(str(threads), {}).get(runtime, {}).get("medianMs", 0)
                       for m in models]
            axis.bar([i + (index - (len(timed) - 1) / 2) * width for i in range(len(models))], medians, width, label=runtime)
        axis.set_xticks(range(len(models)), models, rotation=20)
        axis.set_yscale("log")
        axis.set_ylabel("median latency (ms, log scale)")
        axis.set_title(f"{threads} thread{'s' if threads > 1 else ''}")
        axis.legend()
    figure.suptitle("webnnc vs ONNX Runtime and OpenVINO, batch 1, float32 and int8 (lower is better)")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def print_table(results):
    """Prints the timing table and the compile times as aligned text."""
    def aligned(header, rows):
        rows = [header] + rows
        widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
        for row in rows:
            print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)))
    print("\ntimes in ms as median / min")
    aligned(["model", "threads", *runtimes(results), "webnnc/best"], table_rows(results))
    if speedup_rows(results):
        print("\nint8 speed-up (fp32 median / int8 median)")
        aligned(["model", "threads", *runtimes(results)], speedup_rows(results))
    print("\ncompile times (webnnc -O3):")
    for model, entry in results["models"].items():
        print(f"  {model}: {entry['compileSeconds']:.1f} s")


def write(results, folder):
    """Writes report.json, report.md and report.png into `folder` and prints the table."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "report.json").write_text(json.dumps(results, indent=2) + "\n")
    (folder / "report.md").write_text(markdown(results))
    written = [folder / "report.json", folder / "report.md"]
    if plt is not None:
        plot(results, folder / "report.png")
        written.append(folder / "report.png")
    print_table(results)
    if plt is None:
        print("\nnote: matplotlib is not installed: no report.png")
    print(f"\nwrote {', '.join(map(str, written))}")
