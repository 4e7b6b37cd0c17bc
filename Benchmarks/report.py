"""Turns the results of benchmark.py into report.json, report.md and report.png, and prints the
table. The ratio column is webnnc / the best peer: of medians at 1 thread, of minimums at more
threads (where scheduling noise makes the minimum the steadier number)."""
import json

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: E402  (the backend must be chosen first)
except ImportError:  # a venv without matplotlib writes the JSON and Markdown reports only
    plt = None

RUNTIMES = ["webnnc", "onnxruntime", "openvino"]
PEERS = RUNTIMES[1:]


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
                     for name in RUNTIMES]
            rows.append([model, threads, *times, f"{value:.2f} ({basis})"])
    return rows


def markdown(results):
    """The report as Markdown: the timing table, then compile times and accuracy."""
    environment = results["environment"]
    lines = ["# webnnc benchmarks", "",
             f"{environment['time']}, {environment['cpu']} ({environment['cpus']} CPUs), onnxruntime {environment['onnxruntime']}, "
             f"openvino {environment['openvino']}; {results['iterations']} timed iterations per runtime in "
             f"{results['rounds']} rounds (the runtimes take turns in each), each after {results['warmup']} "
             f"warm-up. Times in ms as median / min.", "",
             "| model | threads | webnnc | ONNX Runtime | OpenVINO | webnnc / best peer |",
             "|---|---|---|---|---|---|"]
    lines += ["| " + " | ".join(row) + " |" for row in table_rows(results)]
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
    width = 0.8 / len(RUNTIMES)
    for axis, threads in zip(axes[0], thread_counts):
        for index, runtime in enumerate(RUNTIMES):
            medians = [results["models"][m]["threads"].get(str(threads), {}).get(runtime, {}).get("medianMs", 0)
                       for m in models]
            axis.bar([i + (index - 1) * width for i in range(len(models))], medians, width, label=runtime)
        axis.set_xticks(range(len(models)), models, rotation=20)
        axis.set_yscale("log")
        axis.set_ylabel("median latency (ms, log scale)")
        axis.set_title(f"{threads} thread{'s' if threads > 1 else ''}")
        axis.legend()
    figure.suptitle("webnnc vs ONNX Runtime and OpenVINO, batch 1, float32 (lower is better)")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def print_table(results):
    """Prints the timing table and the compile times as aligned text."""
    header = ["model", "threads", "webnnc", "onnxruntime", "openvino", "webnnc/best"]
    rows = [header] + table_rows(results)
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    print("\ntimes in ms as median / min")
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths)))
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
