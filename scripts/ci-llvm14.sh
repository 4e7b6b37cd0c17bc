#!/usr/bin/env bash
# CI check that webnnc works with LLVM 14 (Debian 12's llvm-dev, which still has typed
# pointers): builds webnnc against /usr/lib/llvm-14 in .build-llvm14 (beside the default LLVM 19
# build), compiles and runs the README example (from C and with `webnnc run`, compared with the
# reference interpreter), then runs the shared conformance vectors compiled. Exits non-zero on
# any failure. `.ci/run` calls it after scripts/test.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS
scripts/install-llvm.sh 14
WEBNNC_LLVM_VERSION=14 swift build --scratch-path .build-llvm14 -c release --product webnnc
webnnc="$PWD/.build-llvm14/release/webnnc"
example="$PWD/Examples/conv-relu"
conformance="$PWD/../shared/conformance"
work="$PWD/out/ci-llvm14"
rm -rf "$work" && mkdir -p "$work" && cd "$work"

echo "== LLVM 14: the README example"
"$webnnc" "$example/model.webnn" -o libmodel.so
"$webnnc" info libmodel.so
cc -O2 -pthread "$example/../c-app/main.c" -I. -L. -lmodel -Wl,-rpath,'$ORIGIN' -o app
./app
"$webnnc" run libmodel.so --input image="$example/image.npy" --output-dir compiled
"$webnnc" run "$example/model.webnn" --interpret --input image="$example/image.npy" --output-dir interpreted
# Compiled vs interpreter, within 1e-5 (the standard library reads the float32 .npy files).
python3 - <<'PY'
import struct, sys
def values(path):
    data = open(path, "rb").read()
    header = 10 + struct.unpack("<H", data[8:10])[0] if data[6] == 1 else 12 + struct.unpack("<I", data[8:12])[0]
    assert b"'descr': '<f4'" in data[:header], path
    return struct.unpack(f"<{(len(data) - header) // 4}f", data[header:])
a, b = values("compiled/act1.npy"), values("interpreted/act1.npy")
difference = max(abs(x - y) for x, y in zip(a, b)) if len(a) == len(b) else float("inf")
print(f"compiled vs interpreter: {len(a)} values, max abs difference {difference:.3g}")
sys.exit(0 if difference <= 1e-5 else 1)
PY

echo "== LLVM 14: shared conformance, compiled"
[ -d "$conformance" ] || { echo "ci-llvm14: $conformance not found" >&2; exit 1; }
"$webnnc" conformance "$conformance"

echo "ci-llvm14: LLVM 14 build, example and conformance passed in $((SECONDS - started)) s"
