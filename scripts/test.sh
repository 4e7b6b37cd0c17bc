#!/usr/bin/env bash
# Runs every test. Installs what the build needs first.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-llvm.sh
swift build --build-tests
swift test --skip-build "$@"
