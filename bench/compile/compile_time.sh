#!/usr/bin/env bash
# What one translation unit pays to include segkit: CPU seconds (user + sys) of
# `g++ -std=c++20 -O2 -c` on small programs, median of REPEATS runs, next to the budgets of
# issue "compile time" (core <= 2.5 s, one algorithm header <= 4 s, the umbrella <= 10 s).
#
#   bench/compile/compile_time.sh [--repeats N] [--check]
#
# --check exits 1 when a median exceeds its budget by more than 25 %. Prints a Markdown table.
# The "(compiled mode)" rows compile with -DSEGKIT_COMPILED, as a program linking
# segkit::segkit_compiled does: the fits they call are then only declared (extern template).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
repeats=3
check=0
while [ $# -gt 0 ]; do
  case "$1" in
    --repeats) repeats="$2"; shift 2 ;;
    --check) check=1; shift ;;
    *) echo "usage: $0 [--repeats N] [--check]" >&2; exit 2 ;;
  esac
done
cxx="${CXX:-g++}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# name|budget seconds|extra flags|program
cases=(
  "xtensor alone (reference)|0||#include <xtensor/xtensor.hpp>
int main() {}"
  "fmt alone (reference)|0||#include <fmt/format.h>
int main() {}"
  "segkit/core.hpp|2.5||#include <segkit/core.hpp>
int main() {}"
  "segkit/cluster/kmeans.hpp + one fit|4||#include <segkit/cluster/kmeans.hpp>
int main() { segkit::matrix<float> x = segkit::matrix<float>::from_shape({8, 2}); x.fill(1.0f); return static_cast<int>(segkit::cluster::kmeans<float>({.k = 2}).fit(x).n_clusters()); }"
  "segkit/index/hnsw.hpp + one search|4||#include <segkit/index/hnsw.hpp>
int main() { segkit::index::hnsw<> h(2); segkit::matrix<float> q = segkit::matrix<float>::from_shape({1, 2}); return static_cast<int>(h.search(q, 1).ids.size()); }"
  "segkit/cluster/hdbscan.hpp + one fit|4||#include <segkit/cluster/hdbscan.hpp>
int main() { segkit::matrix<float> x = segkit::matrix<float>::from_shape({8, 2}); x.fill(1.0f); return static_cast<int>(segkit::cluster::hdbscan<>({.min_cluster_size = 2}).fit(x).n_clusters()); }"
  "segkit/reduce/umap.hpp + one fit|4||#include <segkit/reduce/umap.hpp>
int main() { segkit::matrix<float> x = segkit::matrix<float>::from_shape({8, 3}); x.fill(1.0f); return static_cast<int>(segkit::reduce::umap<>({.n_neighbors = 3}).fit(x).embedding.size()); }"
  "segkit/cluster/kmeans.hpp + one fit (compiled mode)|4|-DSEGKIT_COMPILED|#include <segkit/cluster/kmeans.hpp>
int main() { segkit::matrix<float> x = segkit::matrix<float>::from_shape({8, 2}); x.fill(1.0f); return static_cast<int>(segkit::cluster::kmeans<float>({.k = 2}).fit(x).n_clusters()); }"
  "segkit/index/hnsw.hpp + one search (compiled mode)|4|-DSEGKIT_COMPILED|#include <segkit/index/hnsw.hpp>
int main() { segkit::index::hnsw<> h(2); segkit::matrix<float> q = segkit::matrix<float>::from_shape({1, 2}); return static_cast<int>(h.search(q, 1).ids.size()); }"
  "segkit/cluster/hdbscan.hpp + one fit (compiled mode)|4|-DSEGKIT_COMPILED|#include <segkit/cluster/hdbscan.hpp>
int main() { segkit::matrix<float> x = segkit::matrix<float>::from_shape({8, 2}); x.fill(1.0f); return static_cast<int>(segkit::cluster::hdbscan<>({.min_cluster_size = 2}).fit(x).n_clusters()); }"
  "segkit/reduce/umap.hpp + one fit (compiled mode)|4|-DSEGKIT_COMPILED|#include <segkit/reduce/umap.hpp>
int main() { segkit::matrix<float> x = segkit::matrix<float>::from_shape({8, 3}); x.fill(1.0f); return static_cast<int>(segkit::reduce::umap<>({.n_neighbors = 3}).fit(x).embedding.size()); }"
  "segkit/segkit.hpp (umbrella)|10||#include <segkit/segkit.hpp>
int main() {}"
)

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

status=0
echo "| translation unit | median CPU s (of $repeats) | budget s | ratio to budget |"
echo "|---|---|---|---|"
i=0
for c in "${cases[@]}"; do
  name="${c%%|*}"; rest="${c#*|}"; budget="${rest%%|*}"; rest="${rest#*|}"; flags="${rest%%|*}"; program="${rest#*|}"
  src="$work/tu$i.cpp"; i=$((i + 1))
  printf '%s\n' "$program" > "$src"
  times=()
  for _ in $(seq "$repeats"); do
    t=$( { /usr/bin/time -f "%U %S" "$cxx" -std=c++20 -O2 $flags -I"$root/include" -c "$src" -o "$work/tu.o" 2>&1 >/dev/null; } | tail -1 | awk '{ print $1 + $2 }')
    times+=("$t")
  done
  m=$(printf '%s\n' "${times[@]}" | median)
  if [ "$budget" = 0 ]; then
    echo "| $name | $m | - | - |"
  else
    ratio=$(awk -v m="$m" -v b="$budget" 'BEGIN { printf "%.2f", m / b }')
    echo "| $name | $m | $budget | $ratio |"
    if [ "$check" = 1 ] && awk -v r="$ratio" 'BEGIN { exit !(r > 1.25) }'; then
      echo "over budget by more than 25 %: $name ($m s, budget $budget s)" >&2
      status=1
    fi
  fi
done
exit $status
