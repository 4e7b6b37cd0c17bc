#!/usr/bin/env bash
# Builds webnnc and runs the example graph end to end: compile it, run it from C, from Swift,
# with `webnnc run` (compiled and interpreted), and compare the outputs.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-llvm.sh
swift build -c release --product webnnc
webnnc="$PWD/.build/release/webnnc"
example="$PWD/Examples/conv-relu"
work="$PWD/out/example"
rm -rf "$work" && mkdir -p "$work" && cd "$work"

echo "== compile"
"$webnnc" "$example/model.webnn" -o libmodel.so
"$webnnc" info libmodel.so

echo "== C program"
cc -O2 -pthread "$example/../c-app/main.c" -I. -L. -lmodel -Wl,-rpath,'$ORIGIN' -o app
./app

echo "== webnnc run (compiled, and the reference interpreter)"
"$webnnc" run libmodel.so --input image="$example/image.npy" --output-dir compiled
"$webnnc" run "$example/model.webnn" --interpret --input image="$example/image.npy" --output-dir interpreted
python3 - <<'PY' 2>/dev/null || cmp compiled/act1.npy interpreted/act1.npy || echo "(outputs differ in bits; numpy not installed to compare within tolerance)"
import numpy as np
a, b = np.load("compiled/act1.npy"), np.load("interpreted/act1.npy")
print(f"compiled vs interpreter: max abs difference {np.abs(a - b).max():.3g}")
assert np.allclose(a, b, atol=1e-5)
PY

echo "== Swift program"
swift run --package-path "$example/../swift-app" -c release swift-app "$work/libmodel.so"

echo "== IR dump"
"$webnnc" "$example/model.webnn" --dump-ir
