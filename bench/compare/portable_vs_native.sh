#!/usr/bin/env bash
# The tool's build (baseline x86-64, AVX2 kernels chosen at run time) against a -march=native
# build of the same benchmark suites, run alternately on one machine: median of the repetitions,
# time per iteration, and the ratio portable / native (1.00 = as fast).
# usage: bench/compare/portable_vs_native.sh BUILD_DIR [REPETITIONS]   (BUILD_DIR configured with
#        -DSEGKIT_BENCH_NATIVE=ON and the bench_<area> and bench_<area>_native targets built)
set -euo pipefail
build=${1:?build directory}
reps=${2:-5}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for area in distance index cluster; do
  for variant in "" _native; do
    OPENBLAS_NUM_THREADS=1 "$build/bench/bench_${area}${variant}" --benchmark_repetitions="$reps" \
      --benchmark_report_aggregates_only=true --benchmark_out_format=json --benchmark_out="$work/${area}${variant}.json" >/dev/null
  done
done
python3 - "$work" <<'PY'
import json, sys, os
work = sys.argv[1]
print("| benchmark | native | portable | portable / native |")
print("|---|---|---|---|")
for area in ["distance", "index", "cluster"]:
    def medians(path):
        out = {}
        for b in json.load(open(path))["benchmarks"]:
            if b.get("aggregate_name") == "median":
                out[b["run_name"]] = (b["real_time"], b["time_unit"])
        return out
    p = medians(os.path.join(work, area + ".json"))
    n = medians(os.path.join(work, area + "_native.json"))
    for name, (t, unit) in p.items():
        if name in n:
            print(f"| {name} | {n[name][0]:.4g} {unit} | {t:.4g} {unit} | {t / n[name][0]:.2f} |")
PY
