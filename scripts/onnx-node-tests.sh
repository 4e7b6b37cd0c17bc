#!/usr/bin/env bash
# The ONNX backend node tests through webnnc's ONNX importer (scripts/onnx_node_tests.py): each
# test case of the onnx wheel imported, compiled, run and compared; prints passed / failed /
# skipped per operator. One command:
#
#   scripts/onnx-node-tests.sh [--filter conv,relu] [--limit N] [--jobs 2] [-v]
#
# Uses $PYTHON if set, else the model zoo's venv .zoo/venv (made here with numpy and onnx from
# PyPI when missing), and $WEBNNC if set, else builds webnnc (release). CI runs a short setting
# (scripts/onnx-node-tests.sh --filter ... ); the whole set takes ~15 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-.zoo/venv/bin/python}"
if ! "$PYTHON" -c "import numpy, onnx" 2>/dev/null; then
    echo "== making .zoo/venv"
    python3 -m venv .zoo/venv
    PYTHON=.zoo/venv/bin/python
    "$PYTHON" -m pip install --quiet numpy onnx
fi
if [ -z "${WEBNNC:-}" ]; then
    scripts/install-llvm.sh
    swift build -c release --product webnnc
    WEBNNC="$(swift build -c release --show-bin-path)/webnnc"
fi
exec "$PYTHON" scripts/onnx_node_tests.py --webnnc "$WEBNNC" "$@"
