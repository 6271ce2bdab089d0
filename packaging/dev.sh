#!/usr/bin/env bash
# The README's two set-up commands:
#   packaging/dev.sh run    install build deps and the README's clients, build, run mxlab on config/examples/dev.toml
#   packaging/dev.sh test   install test deps, build (plain and ASan+UBSan), fuzz briefly, run every test
set -euo pipefail
cd "$(dirname "$0")/.."

what=${1:-}
jobs=$(nproc)

build() {  # build DIR [cmake args...]
  local dir=$1; shift
  cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
  ninja -C "$dir" -j "$jobs"
}

case "$what" in
  run)
    bash packaging/install-deps.sh run
    build build -DMXLAB_TESTS=OFF
    echo "dev.sh: starting mxlab on config/examples/dev.toml (Ctrl-C stops it)" >&2
    exec build/appliance/mxlab serve -c config/examples/dev.toml
    ;;
  test)
    bash packaging/install-deps.sh test
    start=$(date +%s)
    # Line tables only (-g1) and, under the sanitizers, -O1 (what ASan
    # recommends): a sanitizer report still names file and line, and the two
    # builds take about a third less time on CI's 2 cores than -O2 -g.
    # MXLAB_TESTS=ON said each time: `dev.sh run` leaves OFF in build/'s cache.
    build build -DMXLAB_TESTS=ON -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG"
    build build-asan -DMXLAB_TESTS=ON -DMXLAB_SANITIZE=ON -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1 -DNDEBUG"
    echo "dev.sh: built in $(( $(date +%s) - start )) s" >&2
    status=0
    # The libFuzzer targets (clang), each briefly from its checked-in seeds.
    start=$(date +%s)
    bash tests/fuzz/run.sh 15 || status=1
    echo "dev.sh: fuzzed in $(( $(date +%s) - start )) s" >&2
    start=$(date +%s)
    # --no-tests=error: a build without its tests must fail, never pass empty.
    (cd build && ctest --output-on-failure --no-tests=error -j "$jobs") || status=1
    # halt_on_error keeps a sanitizer finding from passing unnoticed.
    (cd build-asan && ASAN_OPTIONS=detect_leaks=1:halt_on_error=1 \
      UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
      ctest --output-on-failure --no-tests=error -j "$jobs") || status=1
    echo "dev.sh: tests ran in $(( $(date +%s) - start )) s" >&2
    exit $status
    ;;
  *)
    echo "usage: packaging/dev.sh run|test" >&2
    exit 1
    ;;
esac
