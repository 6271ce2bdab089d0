#!/usr/bin/env bash
# Builds the libFuzzer targets in build-fuzz with clang and runs each one briefly from its seed corpus; fails on any crash (CI step).
#
# Usage: tests/fuzz/run.sh [SECONDS]   (default 20 per target; FUZZ_JOBS=2 for ninja)
#
# Each target starts from a copy of tests/fuzz/corpus/<target>/, so the
# checked-in seeds stay as they are; a target without seeds fails, so that
# none is added without them. On a finding, the input that triggered it and
# the fuzzer's log are kept under build-fuzz/fuzz-findings/<target>/; replay
# it with build-fuzz/tests/fuzz/<target> <file>.
set -euo pipefail

seconds=${1:-20}
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$root/build-fuzz
findings=$build/fuzz-findings

launcher=()
if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi

start=$SECONDS
mkdir -p "$build"
CC=clang CXX=clang++ cmake -S "$root" -B "$build" -G Ninja -DMXLAB_FUZZ=ON "${launcher[@]}" >"$build/configure.log" 2>&1 ||
    { cat "$build/configure.log"; exit 1; }
ninja -C "$build" -j"${FUZZ_JOBS:-2}" >"$build/build.log" 2>&1 || { tail -n 60 "$build/build.log"; exit 1; }
echo "built in $((SECONDS - start)) s"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rm -rf "$findings"

passed=0
failed=0
for source in "$root"/tests/fuzz/*_fuzz.cpp; do
    target=$(basename "$source" .cpp)
    seeds=$root/tests/fuzz/corpus/$target
    if [[ ! -d $seeds ]] || [[ -z $(ls -A "$seeds") ]]; then
        echo "$target: FAILED, no seeds in tests/fuzz/corpus/$target"
        failed=$((failed + 1))
        continue
    fi
    mkdir -p "$work/$target" "$findings/$target"
    cp "$seeds"/* "$work/$target/"
    log=$findings/$target/fuzz.log
    # -timeout: one input running this long is a hang, reported as a finding.
    status=0
    # lsan.supp: leaks inside libraries we do not own, each explained there;
    # the full malloc stacks let a suppression name the library's function.
    ASAN_OPTIONS="fast_unwind_on_malloc=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}" \
    LSAN_OPTIONS="suppressions=$root/tests/fuzz/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}" \
    "$build/tests/fuzz/$target" -max_total_time="$seconds" -timeout=10 -print_final_stats=1 \
        -artifact_prefix="$findings/$target/" "$work/$target" >"$log" 2>&1 || status=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    cov=$(sed -n 's/.*\(DONE\|INITED\) *cov: \([0-9]*\) ft: \([0-9]*\).*/\2 \3/p' "$log" | tail -n 1)
    if [[ $status -eq 0 ]]; then
        echo "$target: ok, ${runs:-?} runs, cov ${cov% *}, features ${cov#* }"
        passed=$((passed + 1))
        rm -rf "${findings:?}/$target"
    else
        echo "$target: FAILED (exit $status) after ${runs:-?} runs; input and log in $findings/$target/"
        grep -m 5 -E '^==[0-9]+==ERROR|SUMMARY|runtime error|deadly signal|Test unit written' "$log" | sed 's/^/    /' || true
        failed=$((failed + 1))
    fi
done
rmdir "$findings" 2>/dev/null || true

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
