#!/usr/bin/env bash
# The two entry points of the README, on a fresh Debian 12 machine:
#   cmake/run.sh demo [DIR]   install dependencies, build, run `segkit demo` (report in DIR, default ./segkit-demo)
#   cmake/run.sh test         install dependencies, build, run every test with ctest
# Also: `cmake/run.sh bench` (benchmarks + peer comparison), `cmake/run.sh docs` (Doxygen).
# Environment: SEGKIT_BUILD_DIR (default build), SEGKIT_JOBS (default: number of cores).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${SEGKIT_BUILD_DIR:-$here/build}
jobs=${SEGKIT_JOBS:-$(nproc)}
what=${1:-test}

deps_flag=""
[[ "$what" == "bench" ]] && deps_flag="--bench"
bash "$here/cmake/install-deps.sh" $deps_flag

cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
case "$what" in
  demo)
    cmake --build "$build" -j "$jobs" --target segkit_cli
    "$build/examples/cli/segkit" demo --out "${2:-$PWD/segkit-demo}"
    ;;
  test)
    cmake --build "$build" -j "$jobs"
    ctest --test-dir "$build" -j "$jobs" --output-on-failure
    ;;
  bench)
    cmake --build "$build" -j "$jobs" --target segkit_cli bench_distance bench_index bench_cluster
    bash "$here/bench/compare/run.sh" "$build"
    ;;
  docs)
    cmake --build "$build" --target docs
    ;;
  *)
    echo "usage: cmake/run.sh demo [DIR] | test | bench | docs" >&2
    exit 2
    ;;
esac
