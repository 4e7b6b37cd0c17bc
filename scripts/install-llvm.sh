#!/usr/bin/env bash
# Installs Debian's LLVM 19 development package (LLVM-C headers and libLLVM-19) if it is missing.
set -euo pipefail
if [ ! -e /usr/lib/llvm-19/include/llvm-c/Core.h ]; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq llvm-19-dev >/dev/null
fi
