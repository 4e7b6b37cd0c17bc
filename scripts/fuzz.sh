#!/usr/bin/env bash
# Builds the libFuzzer targets of Fuzz/ (address sanitizer on) and runs them.
#
#   scripts/fuzz.sh [--target NAME|all] [--seconds N] [--jobs N] [--no-build] [-- LIBFUZZER-FLAGS...]
#
# Targets: the folders Fuzz/Sources/fuzz-NAME. Each runs N seconds (default 60; 0 = until it
# finds something), with N parallel jobs (default 1). The corpus grows in .build-fuzz/corpus/NAME
# (kept between runs; Fuzz/Seeds/NAME seeds it); a crash, hang (-timeout) or out-of-memory
# (-rss_limit_mb, -malloc_limit_mb) input is written to .build-fuzz/crashes/NAME/ and the script
# exits 1. Reproduce one: .build-fuzz/release/fuzz-NAME .build-fuzz/crashes/NAME/crash-...
# (Fuzz/README.md says more, and how to add a target.)
set -euo pipefail
cd "$(dirname "$0")/.."

target=all seconds=60 jobs=1 build=1 extra=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --target) target="$2"; shift 2 ;;
        --seconds) seconds="$2"; shift 2 ;;
        --jobs) jobs="$2"; shift 2 ;;
        --no-build) build=0; shift ;;
        --) shift; extra=("$@"); break ;;
        -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
        *) echo "fuzz.sh: unknown argument $1 (see --help)" >&2; exit 1 ;;
    esac
done

if [[ "$target" == all ]]; then
    targets=$(cd Fuzz/Sources && ls -d fuzz-* | sed 's/^fuzz-//')
else
    [[ -d "Fuzz/Sources/fuzz-$target" ]] || { echo "fuzz.sh: no target '$target' (Fuzz/Sources/fuzz-$target)" >&2; exit 1; }
    targets="$target"
fi

if [[ $build == 1 ]]; then
    # The sanitizers apply to this separate build only (its own scratch path). --sanitize=fuzzer
    # makes SwiftPM leave `main` to libFuzzer; the sanitizers themselves come as one comma-joined
    # -sanitize= flag after it: swiftc keeps only the last -sanitize= flag, and SwiftPM passes
    # `--sanitize=fuzzer --sanitize=address` in either order (without the fuzzer's coverage
    # instrumentation, libFuzzer runs blind).
    # ld.gold's "Cannot export local symbol '__asan_...'" warnings are noise.
    mkdir -p .build-fuzz
    if ! swift build -c release --package-path Fuzz --scratch-path .build-fuzz --sanitize=fuzzer -Xswiftc -sanitize=fuzzer,address \
            >.build-fuzz/build.log 2>&1; then
        grep -v "Cannot export local symbol" .build-fuzz/build.log >&2
        echo "fuzz.sh: the build failed" >&2
        exit 1
    fi
    grep -v "Cannot export local symbol" .build-fuzz/build.log | tail -1
fi

# A crash reports at once without the Swift runtime's backtracer (which can take minutes here).
export SWIFT_BACKTRACE=enable=no
# Swift's lazily initialized globals read as leaks at exit; memory growth is caught by -rss_limit_mb.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0}"
status=0
for name in $targets; do
    corpus=$PWD/.build-fuzz/corpus/$name crashes=$PWD/.build-fuzz/crashes/$name
    mkdir -p "$corpus" "$crashes"
    flags=(-max_total_time="$seconds" -timeout=30 -rss_limit_mb=4096 -malloc_limit_mb=2048
           -artifact_prefix="$crashes/" -print_final_stats=1
           -detect_leaks=0)
    [[ -f Fuzz/Dictionaries/$name.dict ]] && flags+=(-dict="$PWD/Fuzz/Dictionaries/$name.dict")
    # With several jobs, libFuzzer writes each one's log as fuzz-K.log in its working folder.
    [[ $jobs -gt 1 ]] && flags+=(-jobs="$jobs" -workers="$jobs")
    echo "== fuzz-$name: ${seconds}s, $jobs job(s), corpus ${corpus#$PWD/}"
    log=$PWD/.build-fuzz/fuzz-$name.log workdir=$PWD/.build-fuzz/jobs-$name
    mkdir -p "$workdir" && rm -f "$workdir"/fuzz-*.log
    if (cd "$workdir" && "$OLDPWD/.build-fuzz/release/fuzz-$name" "${flags[@]}" ${extra[@]+"${extra[@]}"} \
            "$corpus" "$OLDPWD/Fuzz/Seeds/$name") >"$log" 2>&1; then
        # Each process's last status line: executions, coverage (cov: edges, ft: features),
        # corpus size, exec/s.
        logs=("$log")
        [[ $jobs -gt 1 ]] && logs=("$workdir"/fuzz-*.log)
        for each in "${logs[@]}"; do grep -E '^#[0-9]+' "$each" | tail -1 || true; done
    else
        status=1
        cat "$log" "$workdir"/fuzz-*.log 2>/dev/null | grep -E 'ERROR|SUMMARY|Fatal error|Test unit written' | head -20 || true
        echo "fuzz-$name FOUND A PROBLEM; full log: $log" >&2
    fi
done
exit $status
