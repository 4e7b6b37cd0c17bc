#!/usr/bin/env bash
# Runs the network-shaped random tester (Tests/WebNNCodeGenTests/NetworkFuzzTests.swift) on more
# seeds than CI does: each seed's network is compiled at -O0 and -O3 and compared with the
# reference interpreter; a failing seed prints a shrunk .webnn reproduction.
#
#   scripts/network-fuzz.sh --seeds N [--first S] [--size fast|large] [--levels 0,3]
# (environment: WEBNNC_NETWORK_SHRINK_SECONDS bounds the shrinking of a failing seed, default 240)
set -euo pipefail
cd "$(dirname "$0")/.."

seeds=1000 first=0 size=fast levels=0,3
while [[ $# -gt 0 ]]; do
    case "$1" in
        --seeds) seeds="$2"; shift 2 ;;
        --first) first="$2"; shift 2 ;;
        --size) size="$2"; shift 2 ;;
        --levels) levels="$2"; shift 2 ;;
        -h|--help) sed -n '2,7p' "$0"; exit 0 ;;
        *) echo "network-fuzz.sh: unknown argument $1 (see --help)" >&2; exit 1 ;;
    esac
done

swift build --build-tests
WEBNNC_NETWORK_SEEDS="$seeds" WEBNNC_NETWORK_FIRST_SEED="$first" WEBNNC_NETWORK_SIZE="$size" WEBNNC_NETWORK_LEVELS="$levels" \
    swift test --skip-build --filter 'NetworkFuzzTests/networksMatchTheInterpreter'
