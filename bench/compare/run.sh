#!/usr/bin/env bash
# Runs the Google Benchmark suites and the peer comparisons; prints Markdown tables for RESULTS.md.
# usage: bench/compare/run.sh BUILD_DIR
set -euo pipefail
build=${1:?build directory}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# segkit calls BLAS from its own workers: keep OpenBLAS single-threaded so "threads" means what it says.
OPENBLAS_NUM_THREADS=1 "$build/bench/bench_distance" --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
OPENBLAS_NUM_THREADS=1 "$build/bench/bench_index" --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
OPENBLAS_NUM_THREADS=1 "$build/bench/bench_cluster" --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
OPENBLAS_NUM_THREADS=1 "$build/bench/bench_reduce" --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
/usr/bin/python3 "$here/flat_vs_faiss.py" "$build/examples/cli/segkit" "$work"
/usr/bin/python3 "$here/kmeans_vs_peers.py" "$build/examples/cli/segkit" "$work"
/usr/bin/python3 "$here/gmm_vs_sklearn.py" "$build/examples/cli/segkit" "$work"
/usr/bin/python3 "$here/hnsw_vs_peers.py" "$build/examples/cli/segkit" "$work"
/usr/bin/python3 "$here/ivf_vs_faiss.py" "$build/examples/cli/segkit" "$work" --data text
/usr/bin/python3 "$here/filter_selectivity.py" "$build/examples/cli/segkit" "$work"
/usr/bin/python3 "$here/density_vs_peers.py" "$build/examples/cli/segkit" "$work"
/usr/bin/python3 "$here/quality_vs_sklearn.py" "$build/examples/cli/segkit" "$work"
/usr/bin/python3 "$here/reduce_vs_peers.py" "$build/examples/cli/segkit" "$work"
/usr/bin/python3 "$here/embed_vs_sklearn.py" "$build/examples/cli/segkit" "$work"
/usr/bin/python3 "$here/item2vec_vs_gensim.py" "$build/examples/cli/segkit" "$work"
