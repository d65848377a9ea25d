#!/usr/bin/env python3
"""Gaussian mixtures: `segkit cluster gmm` vs scikit-learn GaussianMixture on the same .npy file,
from the same starting assignment, for the same number of EM iterations.

usage: gmm_vs_sklearn.py SEGKIT_BINARY WORKDIR [--threads 2] [--repeats 3] [--iters 10]

Data: Gaussian blobs 100,000 x 32, k = 20 (numpy seed 0, as in kmeans_vs_peers.py), float32.
Start: every row labelled with its closest of the first k rows. scikit-learn starts from exactly
that assignment (a subclass replaces the k-means call of _initialize_parameters; the rest is its
own code) and segkit gets it through --init-labels. tol = 0 and max_iter = ITERS: both run ITERS
iterations. segkit uses --threads T with OpenBLAS pinned to 1 thread; scikit-learn gets T OpenBLAS
threads (its only parallelism). Times are in-process fit seconds, median of the repeats; the
ratio is scikit-learn / segkit (> 1: segkit faster). The final mean log-likelihoods are compared.
"""
import argparse, json, os, statistics, subprocess, sys

PEER = r"""
import json, sys, time, numpy as np
from sklearn.mixture import GaussianMixture
xp, lp, k, cov, iters, repeats = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5]), int(sys.argv[6])
X = np.load(xp).astype(np.float64); start = np.load(lp)

class FromLabels(GaussianMixture):
    def _initialize_parameters(self, X, random_state):
        resp = np.zeros((X.shape[0], self.n_components)); resp[np.arange(X.shape[0]), start] = 1.0
        self._initialize(X, resp)

times = []
for _ in range(repeats):
    g = FromLabels(n_components=k, covariance_type=cov, tol=0.0, max_iter=iters)
    t0 = time.perf_counter(); g.fit(X); times.append(time.perf_counter() - t0)
print(json.dumps({"times": times, "log_likelihood": float(g.score(X)), "n_iter": int(g.n_iter_)}))
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("segkit"); ap.add_argument("workdir")
    ap.add_argument("--threads", type=int, default=2); ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--iters", type=int, default=10)
    a = ap.parse_args()
    import numpy as np
    os.makedirs(a.workdir, exist_ok=True)
    n, d, k = 100000, 32, 20
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((k, d)) * 4
    X = (centres[rng.integers(0, k, n)] + rng.standard_normal((n, d))).astype(np.float32)
    start = np.argmin(((X[:, None, :] - X[None, :k, :]) ** 2).sum(-1), axis=1).astype(np.int32)
    xp, lp = os.path.join(a.workdir, "gmm_x.npy"), os.path.join(a.workdir, "gmm_start.npy")
    np.save(xp, X); np.save(lp, start)
    env = dict(os.environ, OMP_NUM_THREADS=str(a.threads), OPENBLAS_NUM_THREADS="1")
    print(f"Gaussian mixture, {n} x {d}, k = {k}, {a.iters} EM iterations from the same assignment, {a.threads} threads, median of {a.repeats}")
    print("| covariance | segkit s | scikit-learn s | sklearn/segkit | mean log-likelihood segkit / sklearn | n_iter |")
    print("|---|---|---|---|---|---|")
    for cov in ["full", "diag", "tied", "spherical"]:
        times, out = [], None
        for _ in range(a.repeats):
            out = json.loads(subprocess.run(
                [a.segkit, "cluster", "gmm", "-i", xp, "-o", os.path.join(a.workdir, "gmm_labels.npy"), "--k", str(k),
                 "--covariance", cov, "--init-labels", lp, "--tol", "0", "--max-iter", str(a.iters),
                 "--threads", str(a.threads), "--json"], check=True, capture_output=True, text=True, env=env).stdout)
            times.append(out["seconds"])
        peer = json.loads(subprocess.run([sys.executable, "-c", PEER, xp, lp, str(k), cov, str(a.iters), str(a.repeats)],
                                         check=True, capture_output=True, text=True,
                                         env=dict(env, OPENBLAS_NUM_THREADS=str(a.threads))).stdout)
        s, p = statistics.median(times), statistics.median(peer["times"])
        print(f"| {cov} | {s:.3f} | {p:.3f} | {p / s:.2f}x | {out['log_likelihood']:.9g} / {peer['log_likelihood']:.9g} | "
              f"{out['n_iter']} / {peer['n_iter']} |")


if __name__ == "__main__":
    main()
