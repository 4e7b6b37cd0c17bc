#!/usr/bin/env python3
"""The ONNX backend node tests, through webnnc's ONNX importer: every test case that ships in the
onnx wheel (onnx.backend.test.case.node: one small model per operator variant, with inputs and
expected outputs) is imported with `webnnc import`, compiled, run with `webnnc run` and compared.

    python3 scripts/onnx_node_tests.py --webnnc .build/release/webnnc [--filter conv,relu] [--jobs 2]
        [--limit N] [--work DIR] [--verbose]

Prints one line per test (with -v), then a table per operator: passed / failed / skipped, and the
reasons for skips. A test is skipped, with its reason, when an input or output is not a tensor
of a WebNN data type, or when the importer refuses the model with a clear error (an unsupported
operator, or an option WebNN cannot express; the first line of the error is the reason). An input
that the importer needs at import time (a Reshape's shape, Slice's starts, Resize's scales given
as graph inputs: webnnc compiles static shapes) is made an initializer holding the test's value,
and the import is tried again; such passes say which inputs were fixed. It fails
when compiling or running fails, or when an output differs from the expected one by more than
rtol 1e-3 / atol 1e-4 (float16: 1e-2 / 1e-3). Exit status 1 when a test failed.

(onnx 1.23's wheel no longer ships the generated data/node folders, so the cases are built from
the wheel's own test-case code, which is what its generator writes to disk.)
"""
import argparse
import collections
import concurrent.futures
import json
import re
import shutil
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np
import onnx
import onnx.numpy_helper

SUPPORTED = {np.dtype(t) for t in ("float32", "float16", "int32", "uint32", "int64", "uint64", "int8", "uint8", "bool")}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--webnnc", required=True)
    parser.add_argument("--filter", default="", help="comma-separated substrings of test names to run")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--limit", type=int, default=0, help="run only the first N matching tests")
    parser.add_argument("--work", type=Path, help="keep the files here (default: a temporary folder)")
    parser.add_argument("--opt-level", default="1", help="webnnc -O level for compiling (default 1: tiny graphs)")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import onnx.backend.test.case.node as node_cases
        cases = node_cases.collect_testcases(None)
    filters = [f for f in args.filter.split(",") if f]
    cases = [c for c in cases if not filters or any(f in c.name for f in filters)]
    if args.limit:
        cases = cases[:args.limit]
    work = args.work or Path(tempfile.mkdtemp(prefix="onnx-node-tests-"))
    work.mkdir(parents=True, exist_ok=True)

    def run_case(case):
        return case, run_one(case, work / case.name, args)

    results = collections.defaultdict(lambda: {"passed": [], "failed": [], "skipped": []})
    failures = []
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        for case, (status, reason) in pool.map(run_case, cases):
            ops = sorted({n.op_type for n in case.model.graph.node})
            key = ops[0] if len(ops) == 1 else "(multi-node: " + "+".join(ops[:4]) + ("..." if len(ops) > 4 else "") + ")"
            results[key][status].append((case.name, reason))
            if status == "failed":
                failures.append((case.name, reason))
            if args.verbose:
                print(f"{status:8} {case.name}{': ' + reason if reason else ''}", flush=True)
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)

    print(f"\n{'operator':40} {'passed':>6} {'failed':>6} {'skipped':>7}  skip reasons")
    totals = collections.Counter()
    for op in sorted(results):
        r = results[op]
        reasons = collections.Counter(reason for _, reason in r["skipped"])
        text = "; ".join(f"{reason} (x{count})" if count > 1 else reason for reason, count in reasons.most_common(3))
        print(f"{op[:40]:40} {len(r['passed']):6} {len(r['failed']):6} {len(r['skipped']):7}  {text[:150]}")
        for status in ("passed", "failed", "skipped"):
            totals[status] += len(r[status])
    print(f"\n{len(cases)} tests: {totals['passed']} passed, {totals['failed']} failed, {totals['skipped']} skipped")
    if failures:
        print("\nfailures:")
        for name, reason in failures:
            print(f"  {name}: {reason}")
    return 1 if failures else 0


def run_one(case, folder, args):
    """('passed' | 'failed' | 'skipped', reason)."""
    model = onnx.ModelProto()
    model.CopyFrom(case.model)
    inputs, outputs = case.data_sets[0]
    def as_array(value):
        if isinstance(value, onnx.TensorProto):
            return onnx.numpy_helper.to_array(value)
        return np.asarray(value) if isinstance(value, np.generic) else value
    inputs, outputs = [as_array(a) for a in inputs], [as_array(a) for a in outputs]
    for value, array in list(zip(model.graph.input, inputs)) + list(zip(model.graph.output, outputs)):
        if not value.type.HasField("tensor_type") or not isinstance(array, np.ndarray):
            return "skipped", "non-tensor input or output"
        if array.dtype not in SUPPORTED:
            return "skipped", f"data type {array.dtype}"
        if array.size == 0:
            return "skipped", "empty tensor"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    frozen = []
    while True:
        onnx.save(model, str(folder / "model.onnx"))
        shapes = [f"--input-shape={v.name}={','.join(map(str, a.shape))}" for v, a in zip(model.graph.input, inputs) if a.ndim > 0]
        imported = subprocess.run([args.webnnc, "import", str(folder / "model.onnx"), "-o", str(folder / "model.webnn"),
                                   "--io-map", str(folder / "io.json"), *shapes], capture_output=True, text=True)
        # an input that webnnc needs at import time (a shape, axes, pads, scales: static shapes)
        # becomes an initializer with the test's value, and the import is tried again
        needed = re.search(r"\(input \d+, '([^']*)'\) must be known at import time", imported.stderr)
        names = [v.name for v in model.graph.input]
        if imported.returncode != 1 or not needed or needed.group(1) not in names:
            break
        index = names.index(needed.group(1))
        model.graph.initializer.append(onnx.numpy_helper.from_array(inputs[index], needed.group(1)))
        del model.graph.input[index]
        inputs = inputs[:index] + inputs[index + 1:]
        frozen.append(needed.group(1))
    if imported.returncode == 1:
        message = imported.stderr.strip().splitlines()
        reason = message[0] if message else "import failed"
        reason = reason.split("error: ", 1)[-1]
        if reason.startswith(str(folder)):
            reason = reason[len(str(folder / "model.onnx")) + 2:]
        if "unsupported operators" in reason and len(message) > 1:
            reason = "unsupported: " + ", ".join(line.strip().split(" ")[0] for line in message[1:])
        return "skipped", "import: " + reason
    if imported.returncode != 0:
        return "failed", f"import crashed (exit {imported.returncode}): {imported.stderr.strip()[-300:]}"
    io = json.loads((folder / "io.json").read_text())
    library = folder / "libmodel.so"
    compiled = subprocess.run([args.webnnc, str(folder / "model.webnn"), f"-O{args.opt_level}", "-o", str(library)],
                              capture_output=True, text=True)
    if compiled.returncode != 0:
        return "failed", f"compile (exit {compiled.returncode}): {compiled.stderr.strip()[-300:]}"
    run_args = []
    for value, array in zip(model.graph.input, inputs):
        name = io["inputs"][value.name]
        np.save(folder / f"in_{name}.npy", array.astype(np.uint8) if array.dtype == np.bool_ else array)
        run_args += ["--input", f"{name}={folder / f'in_{name}.npy'}"]
    ran = subprocess.run([args.webnnc, "run", str(library), *run_args, "--output-dir", str(folder / "out")],
                         capture_output=True, text=True)
    if ran.returncode != 0:
        return "failed", f"run (exit {ran.returncode}): {ran.stderr.strip()[-300:]}"
    for value, expected in zip(model.graph.output, outputs):
        actual = np.load(folder / "out" / f"{io['outputs'][value.name]}.npy")
        if expected.dtype == np.bool_:
            expected = expected.astype(np.uint8)
        if actual.shape != expected.shape:
            return "failed", f"output {value.name}: shape {actual.shape}, expected {expected.shape}"
        rtol, atol = (1e-2, 1e-3) if expected.dtype == np.float16 else (1e-3, 1e-4)
        if expected.dtype.kind == "f":
            ok = np.allclose(actual.astype(np.float64), expected.astype(np.float64), rtol=rtol, atol=atol, equal_nan=True)
        else:
            ok = np.array_equal(actual, expected)
        if not ok:
            diff = np.abs(actual.astype(np.float64) - expected.astype(np.float64))
            return "failed", f"output {value.name}: max abs error {np.nanmax(diff):.3g}"
    return "passed", f"(inputs {', '.join(frozen)} fixed at import)" if frozen else ""


if __name__ == "__main__":
    sys.exit(main())
