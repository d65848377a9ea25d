#!/usr/bin/env python3
"""HDBSCAN: placing new points in a fitted clustering. `segkit cluster hdbscan --predict` against
R dbscan 1.1-11's predict.hdbscan on the same .npy files.

usage: hdbscan_predict_vs_r.py SEGKIT_BINARY WORKDIR [--threads 2] [--repeats 3]

Data (numpy seed 0, float32, 5-D as after a UMAP): twelve Gaussian blobs (spreads 0.3..1.2,
centres N(0, 6^2)) with 5 % uniform noise; 20,000 rows to fit, 30,000 new rows from the same
distribution. Both fit with min_cluster_size = min_samples = 10 (R's minPts), so the two fitted
partitions are the same. Times: segkit's JSON predict_seconds (approximate_predict, in process,
after the fit) and R's system.time around predict(); medians of the repeats; ratio = R / segkit.

The rules differ, so the labels are compared only for information: R gives a new point the
cluster of its nearest clustered row when it lies within that row's core distance (else noise);
segkit follows the hdbscan library's approximate_predict (mutual reachability to the 2 x
min_samples nearest rows, placement in the condensed tree) and also returns probabilities and
outlier scores. The hdbscan library itself, whose approximate_predict is the reference for the
rule, is not packaged for Debian.
"""
import argparse, json, os, statistics, subprocess, tempfile

import numpy as np
from sklearn.metrics import adjusted_rand_score

R_PREDICT = r"""
library(dbscan)
args <- commandArgs(trailingOnly = TRUE)
x <- as.matrix(read.csv(args[1], header = FALSE)); q <- as.matrix(read.csv(args[2], header = FALSE))
h <- hdbscan(x, minPts = as.integer(args[3]))
times <- c()
for (r in seq_len(as.integer(args[4]))) { t <- system.time(p <- predict(h, newdata = q, data = x)); times <- c(times, t[["elapsed"]]) }
write.table(p - 1, args[5], row.names = FALSE, col.names = FALSE)
write.table(h$cluster - 1, args[6], row.names = FALSE, col.names = FALSE)
cat(paste(times, collapse = ","))
"""


def data():
    rng = np.random.RandomState(0)
    centres = rng.normal(0, 6, size=(12, 5))
    spreads = np.linspace(0.3, 1.2, 12)

    def draw(n):
        c = rng.randint(0, 12, size=n)
        x = centres[c] + rng.normal(size=(n, 5)) * spreads[c, None]
        noise = rng.rand(n) < 0.05
        x[noise] = rng.uniform(-18, 18, size=(noise.sum(), 5))
        return x.astype(np.float32)

    return draw(20000), draw(30000)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("segkit")
    ap.add_argument("workdir")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    os.makedirs(a.workdir, exist_ok=True)
    x, q = data()
    xp, qp = os.path.join(a.workdir, "hp_x.npy"), os.path.join(a.workdir, "hp_q.npy")
    np.save(xp, x)
    np.save(qp, q)
    times, out = [], os.path.join(a.workdir, "hp_segkit.npy")
    for _ in range(a.repeats):
        r = subprocess.run([a.segkit, "cluster", "hdbscan", "-i", xp, "-o", os.path.join(a.workdir, "hp_fit.npy"), "--min-cluster-size", "10",
                            "--predict", qp, "--predict-out", out, "--threads", str(a.threads), "--json"],
                           check=True, capture_output=True, text=True)
        j = json.loads(r.stdout)
        times.append(j["predict_seconds"])
    seg_labels, seg_fit = np.load(out), np.load(os.path.join(a.workdir, "hp_fit.npy"))
    with tempfile.TemporaryDirectory() as tmp:
        xc, qc, script = os.path.join(tmp, "x.csv"), os.path.join(tmp, "q.csv"), os.path.join(tmp, "p.R")
        np.savetxt(xc, x, delimiter=",", fmt="%.17g")
        np.savetxt(qc, q, delimiter=",", fmt="%.17g")
        with open(script, "w") as f:
            f.write(R_PREDICT)
        rl, rf = os.path.join(tmp, "rl.txt"), os.path.join(tmp, "rf.txt")
        r = subprocess.run(["Rscript", script, xc, qc, "10", str(a.repeats), rl, rf], check=True, capture_output=True, text=True)
        r_times = [float(t) for t in r.stdout.strip().split(",")]
        r_labels, r_fit = np.loadtxt(rl).astype(int), np.loadtxt(rf).astype(int)
    s, rt = statistics.median(times), statistics.median(r_times)
    print(f"fit partitions: ARI {adjusted_rand_score(r_fit, seg_fit):.4f}; clusters {seg_fit.max() + 1}")
    print(f"predict 30,000 new points, {a.threads} threads: segkit {s:.3f} s, R predict.hdbscan {rt:.3f} s, ratio {rt / s:.2f}x")
    print(f"new-point labels (different rules): ARI {adjusted_rand_score(r_labels, seg_labels):.4f}, "
          f"noise segkit {np.mean(seg_labels < 0):.3f} R {np.mean(r_labels < 0):.3f}")


if __name__ == "__main__":
    main()
