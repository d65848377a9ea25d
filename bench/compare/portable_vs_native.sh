#!/usr/bin/env bash
# The tool's build (baseline x86-64, AVX2 kernels chosen at run time) against a -march=native
# build of the same benchmark suites, run alternately on one machine: median of the repetitions,
# time per iteration, and the ratio portable / native (1.00 = as fast).
# usage: bench/compare/portable_vs_native.sh BUILD_DIR [REPETITIONS [FILTER [AREAS]]]
#        (BUILD_DIR configured with -DSEGKIT_BENCH_NATIVE=ON and the bench_<area> and
#        bench_<area>_native targets built; FILTER a --benchmark_filter regex, default all; AREAS
#        a space-separated list of suites, default "distance index cluster")
set -euo pipefail
build=${1:?build directory}
reps=${2:-5}
filter=${3:-.}
areas=${4:-distance index cluster}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The two builds alternate, one repetition each in turn, so a machine that speeds up or slows
# down during the run biases neither.
for area in $areas; do
  for rep in $(seq "$reps"); do
    for variant in "" _native; do
      OPENBLAS_NUM_THREADS=1 "$build/bench/bench_${area}${variant}" --benchmark_filter="$filter" --benchmark_out_format=json \
        --benchmark_out="$work/${area}${variant}.${rep}.json" >/dev/null 2>&1
    done
  done
done
python3 - "$work" "$areas" "$reps" <<'PY'
import json, sys, os, statistics
work = sys.argv[1]
areas = sys.argv[2].split()
reps = int(sys.argv[3])
print("| benchmark | native | portable | portable / native |")
print("|---|---|---|---|")
for area in areas:
    def medians(variant):
        times, units = {}, {}
        for rep in range(1, reps + 1):
            for b in json.load(open(os.path.join(work, f"{area}{variant}.{rep}.json")))["benchmarks"]:
                times.setdefault(b["run_name"], []).append(b["real_time"])
                units[b["run_name"]] = b["time_unit"]
        return {name: (statistics.median(t), units[name]) for name, t in times.items()}
    p = medians("")
    n = medians("_native")
    for name, (t, unit) in p.items():
        if name in n:
            print(f"| {name} | {n[name][0]:.4g} {unit} | {t:.4g} {unit} | {t / n[name][0]:.2f} |")
PY
