#!/usr/bin/env bash
# Installs Debian's LLVM development package (LLVM-C headers and libLLVM-N) if it is missing:
# llvm-19-dev by default, or `scripts/install-llvm.sh 14` for llvm-14-dev (Debian 12's llvm-dev).
set -euo pipefail
version="${1:-19}"
if [ ! -e "/usr/lib/llvm-$version/include/llvm-c/Core.h" ]; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "llvm-$version-dev" >/dev/null
fi
