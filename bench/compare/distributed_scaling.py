#!/usr/bin/env python3
"""Scaling of segkit's distributed k-means and sharded search on this machine: the same
`segkit` commands with 1 and 2 MPI ranks (one thread per rank), medians of repeats, plus the
measured cost of one ordered sum of a k x d centre update (the per-iteration message).

usage: distributed_scaling.py SEGKIT [--rows N] [--dim D] [--k K] [--repeats R]
Prints a Markdown table (bench/RESULTS.md keeps the figures)."""
import argparse, json, os, statistics, subprocess, tempfile
import numpy as np

p = argparse.ArgumentParser()
p.add_argument("segkit")
p.add_argument("--rows", type=int, default=400_000)
p.add_argument("--dim", type=int, default=32)
p.add_argument("--k", type=int, default=20)
p.add_argument("--repeats", type=int, default=3)
a = p.parse_args()

env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1", OPENBLAS_NUM_THREADS="1")
rng = np.random.default_rng(7)
centres = rng.normal(size=(a.k, a.dim)) * 1.2
x = (centres[rng.integers(0, a.k, a.rows)] + rng.normal(size=(a.rows, a.dim))).astype(np.float32)
q = x[rng.integers(0, a.rows, 2000)] + rng.normal(size=(2000, a.dim)).astype(np.float32) * 0.1

def run(ranks, args):
    cmd = ([a.segkit] if ranks == 1 else ["mpirun", "--oversubscribe", "-np", str(ranks), a.segkit]) + args + ["--json", "--threads", "1"]
    out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])

with tempfile.TemporaryDirectory() as d:
    np.save(f"{d}/x.npy", x)
    np.save(f"{d}/q.npy", q.astype(np.float32))
    rows = []
    for ranks in (1, 2):
        fits = [run(ranks, ["cluster", "kmeans", "-i", f"{d}/x.npy", "-o", f"{d}/l.npy", "--k", str(a.k), "--init", "kmeans||",
                            "--max-iter", "30", "--tol", "0", "--seed", "1"]) for _ in range(a.repeats)]
        per_iter = statistics.median(f["seconds"] / max(1, f["n_iter"]) for f in fits)
        fit = statistics.median(f["seconds"] for f in fits)
        run(ranks, ["index", "build", "flat", "-i", f"{d}/x.npy", "-o", f"{d}/i{ranks}.seg"])
        qps = statistics.median(run(ranks, ["index", "query", "--index", f"{d}/i{ranks}.seg", "-q", f"{d}/q.npy", "-k", "10",
                                            "-o", f"{d}/ids.npy"])["qps"] for _ in range(a.repeats))
        rows.append((ranks, fit, per_iter, qps))
    print(f"k-means|| + 30 Lloyd iterations, {a.rows:,} x {a.dim}, k = {a.k}; flat sharded search, 2,000 queries, k = 10; "
          f"one thread per rank; median of {a.repeats}\n")
    print("| ranks | k-means fit (s) | per iteration (ms) | speed-up | search (queries/s) | speed-up |")
    print("|---:|---:|---:|---:|---:|---:|")
    for ranks, fit, it, qps in rows:
        print(f"| {ranks} | {fit:.3f} | {it * 1e3:.2f} | {rows[0][1] / fit:.2f}x | {qps:,.0f} | {qps / rows[0][3]:.2f}x |")
