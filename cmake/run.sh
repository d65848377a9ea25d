#!/usr/bin/env bash
# The two entry points of the README, on a fresh Debian 12 machine:
#   cmake/run.sh demo [DIR]   install dependencies, build, run `segkit demo` (report in DIR, default ./segkit-demo)
#   cmake/run.sh test         install dependencies, build, run every test with ctest (tests under
#                             AddressSanitizer + UndefinedBehaviorSanitizer)
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

# Release for the tool, examples and benchmarks; the test executables alone carry AddressSanitizer
# + UndefinedBehaviorSanitizer (-O1 -g1), so the test run also checks memory and undefined behaviour.
# The tool and examples are built -O3 for the demo and benchmarks; for the tests -O1 (as the
# sanitized test executables), which compiles a third faster and computes the same (no fast-math).
# The benchmarks are built by `bench` only (the test build leaves them out to stay within CI's time).
opt="-O3 -DNDEBUG"
benches=ON
[[ "$what" == "test" ]] && opt="-O1 -DNDEBUG" && benches=OFF
cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE="$opt" -DSEGKIT_TEST_SANITIZE=address,undefined \
  -DSEGKIT_BUILD_BENCH=$benches >/dev/null
case "$what" in
  demo)
    cmake --build "$build" -j "$jobs" --target segkit_cli
    "$build/examples/cli/segkit" demo --out "${2:-$PWD/segkit-demo}"
    ;;
  test)
    cmake --build "$build" -j "$jobs"
    # LSan: ONNX Runtime's own allocations at unload are not ours (.ci/lsan.supp); one OpenBLAS
    # thread keeps its thread-local buffers out of the leak report.
    ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS="suppressions=$here/.ci/lsan.supp" UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
      OPENBLAS_NUM_THREADS=1 ctest --test-dir "$build" -j "$jobs" --output-on-failure
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
