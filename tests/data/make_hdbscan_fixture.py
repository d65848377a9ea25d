#!/usr/bin/env python3
"""Reference HDBSCAN results for tests/cluster/test_hdbscan.cpp, computed with R's dbscan 1.1-11
(Debian r-cran-dbscan), hdbscan(x, minPts): min_samples = min_cluster_size = minPts, excess of
mass. Run once from this folder:  /usr/bin/python3 make_hdbscan_fixture.py

Data (numpy, seeded) goes to R as CSV; R's cluster (0 = noise), outlier_scores (GLOSH), coredist
the merge heights of its single-linkage tree, the stability of each cluster (cluster_scores) and
the distance at which each point leaves its cluster of the condensed tree (the eps of the
cluster that `contains` it) come back and are saved as
hdbscan/<case>_{X,labels,glosh,core,heights,stability,leave}.npy plus
<case>_params.npy = [minPts].
  moons2d  two moons, three blobs of different spread and uniform noise (2-D), minPts 8
  blobs5d  four 5-D blobs of different spread and uniform noise, minPts 10
  small    60 points in three tight groups and scattered points (2-D), minPts 4
  dups     three 2-D blobs, one holding 6 exact copies of a row (infinite density), minPts 5: R
           gives that leaf an undefined (NaN) stability, so its parent is selected instead
"""
import os
import subprocess
import tempfile

import numpy as np
from sklearn.datasets import make_blobs, make_moons

rng = np.random.RandomState(11)

R_SCRIPT = r"""
library(dbscan)
args <- commandArgs(trailingOnly = TRUE)
x <- as.matrix(read.csv(args[1], header = FALSE))
h <- hdbscan(x, minPts = as.integer(args[2]))
write.table(cbind(h$cluster, h$outlier_scores, h$coredist), args[3], sep = ",", row.names = FALSE, col.names = FALSE)
write.table(sort(h$hc$height), args[4], sep = ",", row.names = FALSE, col.names = FALSE)
write.table(format(unname(h$cluster_scores), digits = 17), args[5], quote = FALSE, row.names = FALSE, col.names = FALSE)
res <- attr(h, "hdbscan")
leave <- rep(NA_real_, nrow(x))
for (cid in names(res)) { cl <- res[[cid]]; if (length(cl$contains) > 0) leave[cl$contains] <- cl$eps }
write.table(format(leave, digits = 17), args[6], quote = FALSE, row.names = FALSE, col.names = FALSE)
"""


def run(name, X, min_pts):
    with tempfile.TemporaryDirectory() as tmp:
        xin = os.path.join(tmp, "x.csv")
        out = os.path.join(tmp, "out.csv")
        heights = os.path.join(tmp, "h.csv")
        scores = os.path.join(tmp, "s.csv")
        leave = os.path.join(tmp, "e.csv")
        script = os.path.join(tmp, "run.R")
        np.savetxt(xin, X, delimiter=",", fmt="%.17g")
        with open(script, "w") as f:
            f.write(R_SCRIPT)
        subprocess.run(["Rscript", script, xin, str(min_pts), out, heights, scores, leave], check=True, capture_output=True)
        res = np.loadtxt(out, delimiter=",")
        h = np.loadtxt(heights, delimiter=",")
        stab = np.atleast_1d(np.loadtxt(scores))
        eps = np.loadtxt(leave)
    np.save(f"hdbscan/{name}_X.npy", X.astype(np.float64))
    np.save(f"hdbscan/{name}_labels.npy", (res[:, 0] - 1).astype(np.int32))  # R: 0 = noise, 1.. clusters
    np.save(f"hdbscan/{name}_glosh.npy", res[:, 1])
    np.save(f"hdbscan/{name}_core.npy", res[:, 2])
    np.save(f"hdbscan/{name}_heights.npy", h)
    np.save(f"hdbscan/{name}_stability.npy", stab)  # stability of cluster k (k = label + 1 in R)
    np.save(f"hdbscan/{name}_leave.npy", eps)  # distance at which each point leaves its cluster (condensed tree)
    np.save(f"hdbscan/{name}_params.npy", np.array([min_pts], dtype=np.float64))
    print(name, X.shape, "clusters", int(res[:, 0].max()), "noise", np.mean(res[:, 0] == 0))


moons, _ = make_moons(n_samples=300, noise=0.07, random_state=1)
blobs, _ = make_blobs(n_samples=240, centers=[[3, 3], [-2, 2.5], [3, -1.5]], cluster_std=[0.15, 0.3, 0.5], random_state=2)
run("moons2d", np.vstack([moons, blobs, rng.uniform(-3, 4.5, size=(40, 2))]), 8)

b5, _ = make_blobs(n_samples=400, n_features=5, centers=4, cluster_std=[0.5, 1.0, 1.5, 0.8], random_state=3)
run("blobs5d", np.vstack([b5, rng.uniform(-12, 12, size=(30, 5))]), 10)

small = np.vstack([rng.normal([0, 0], 0.1, (15, 2)), rng.normal([2, 0], 0.1, (15, 2)), rng.normal([1, 2], 0.2, (20, 2)),
                   rng.uniform(-1, 3, (10, 2))])
run("small", small, 4)

dup_a = rng.normal([0, 0], 0.3, (40, 2))
dup_a[1:7] = dup_a[0]
dups = np.vstack([dup_a, rng.normal([1.6, 0], 0.3, (40, 2)), rng.normal([8, 8], 0.3, (40, 2))])
run("dups", dups, 5)
