#!/usr/bin/env python3
"""Dimensionality reduction: `segkit reduce ...` against scikit-learn 1.2.1 on the same .npy files.

usage: reduce_vs_peers.py SEGKIT_BINARY WORKDIR [--threads 2] [--repeats 5]

Data (float32): digits = scikit-learn's load_digits (1,797 x 64); text = the first 20,000 rows of
hnsw_vs_peers.py's Debian-catalog TF-IDF + SVD embedding (20,000 x 128).
PCA: fit + transform to 2 and to 10 components (segkit `reduce pca --dims D`, scikit-learn
PCA(n_components=D).fit_transform with its default solver). Times are in-process seconds
(segkit's JSON "seconds"; time.perf_counter around scikit-learn), median of the repeats;
ratio = scikit-learn / segkit (> 1: segkit faster). Both use `threads` threads (scikit-learn
through OpenBLAS). The explained-variance share of both is printed side by side.
UMAP: umap-learn 0.5.3 (Debian) with default parameters, n_jobs = threads (NUMBA_NUM_THREADS too),
random_state=None (its parallel, non-deterministic mode; with a seed it runs single-threaded),
timed after a warm-up fit so that numba's compilation is not counted; segkit `reduce umap` with
defaults (deterministic for a seed). Trustworthiness (k = 10) of both embeddings is computed by
`segkit eval trustworthiness` (equal to scikit-learn's definition, which needs n x n memory).
t-SNE: Barnes-Hut, perplexity 30, theta 0.5, 1,000 iterations (250 exaggerated by 12) everywhere:
segkit `reduce tsne` (PCA start, learning rate max(n / 48, 50)); scikit-learn TSNE(init="pca",
learning_rate="auto", n_jobs=threads); R Rtsne (Debian r-cran-rtsne: pca=FALSE so it sees the
same input, num_threads=threads, its own random start and eta 200). Times: in-process (R's
system.time around Rtsne), median of the repeats; trustworthiness (k = 10) as for UMAP.
"""
import argparse, json, os, statistics, subprocess, sys

SK_PCA = r"""
import json, sys, time, numpy as np
from sklearn.decomposition import PCA
X = np.load(sys.argv[1]); k, repeats = int(sys.argv[2]), int(sys.argv[3])
times = []
for _ in range(repeats):
    t0 = time.perf_counter(); m = PCA(n_components=k); Y = m.fit_transform(X); times.append(time.perf_counter() - t0)
print(json.dumps({"times": times, "explained": float(m.explained_variance_ratio_.sum())}))
"""

UMAP_PEER = r"""
import json, sys, time, numpy as np, warnings
warnings.filterwarnings("ignore")
import umap
X = np.load(sys.argv[1]); repeats = int(sys.argv[2]); threads = int(sys.argv[4])
umap.UMAP(n_jobs=threads).fit_transform(X[:500])  # compile numba's functions first
times = []
for _ in range(repeats):
    t0 = time.perf_counter(); Y = umap.UMAP(n_jobs=threads).fit_transform(X); times.append(time.perf_counter() - t0)
np.save(sys.argv[3], Y.astype(np.float32)); print(json.dumps({"times": times}))
"""

TSNE_SK = r"""
import json, sys, time, numpy as np
from sklearn.manifold import TSNE
X = np.load(sys.argv[1]); repeats = int(sys.argv[2]); threads = int(sys.argv[4])
times = []
for _ in range(repeats):
    t0 = time.perf_counter(); Y = TSNE(init="pca", learning_rate="auto", random_state=0, n_jobs=threads).fit_transform(X); times.append(time.perf_counter() - t0)
np.save(sys.argv[3], Y.astype(np.float32)); print(json.dumps({"times": times}))
"""

TSNE_R = r"""
suppressMessages(library(Rtsne))
args <- commandArgs(trailingOnly = TRUE)
x <- as.matrix(read.csv(args[1], header = FALSE))
times <- c()
for (r in seq_len(as.integer(args[2]))) {
  t <- system.time(y <- Rtsne(x, dims = 2, perplexity = 30, theta = 0.5, pca = FALSE, check_duplicates = FALSE,
                              max_iter = 1000, num_threads = as.integer(args[4])))
  times <- c(times, t[["elapsed"]])
}
write.table(y$Y, args[3], row.names = FALSE, col.names = FALSE, sep = ",")
cat(sprintf('{"times": [%s]}\n', paste(times, collapse = ", ")))
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("segkit")
    ap.add_argument("workdir")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--tsne-text", action="store_true", help="also run t-SNE on the 20,000-row text set (minutes for the peers)")
    a = ap.parse_args()
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import numpy as np
    from sklearn.datasets import load_digits
    from hnsw_vs_peers import text_data

    w = a.workdir
    paths = {"digits": os.path.join(w, "r_digits.npy"), "text": os.path.join(w, "r_text.npy")}
    np.save(paths["digits"], load_digits().data.astype(np.float32))
    bp, _ = text_data(w)
    np.save(paths["text"], np.load(bp)[:20000].astype(np.float32))
    env_sk = dict(os.environ, OMP_NUM_THREADS=str(a.threads), OPENBLAS_NUM_THREADS=str(a.threads))
    env_sg = dict(os.environ, OPENBLAS_NUM_THREADS="1")

    print(f"\n### PCA vs scikit-learn ({a.threads} threads, median of {a.repeats})\n")
    print("| data | components | segkit s | scikit-learn s | ratio | segkit explained | scikit-learn explained |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, path in paths.items():
        for k in (2, 10):
            times, explained = [], None
            for _ in range(a.repeats):
                p = subprocess.run([a.segkit, "reduce", "pca", "-i", path, "-o", os.path.join(w, "r_y.npy"), "--dims", str(k), "--threads",
                                    str(a.threads), "--json"], capture_output=True, text=True, env=env_sg)
                if p.returncode != 0:
                    sys.exit(p.stderr)
                r = json.loads(p.stdout)
                times.append(r["seconds"])
                explained = r["explained_variance_ratio"]
            p = subprocess.run([sys.executable, "-c", SK_PCA, path, str(k), str(a.repeats)], capture_output=True, text=True, env=env_sk)
            if p.returncode != 0:
                sys.exit(p.stderr)
            sk = json.loads(p.stdout)
            ts, tk = statistics.median(times), statistics.median(sk["times"])
            print(f"| {name} | {k} | {ts:.4f} | {tk:.4f} | {tk / ts:.1f}x | {explained:.6f} | {sk['explained']:.6f} |", flush=True)

    def trust(x, y):
        p = subprocess.run([a.segkit, "eval", "trustworthiness", "-i", x, "-e", y, "--neighbors", "10", "--threads", str(a.threads), "--json"],
                           capture_output=True, text=True, env=env_sg)
        if p.returncode != 0:
            sys.exit(p.stderr)
        return json.loads(p.stdout)["value"]

    umap_repeats = max(1, min(a.repeats, 3))
    print(f"\n### UMAP vs umap-learn ({a.threads} threads, median of {umap_repeats})\n")
    print("| data | segkit s | umap-learn s | ratio | segkit trustworthiness | umap-learn trustworthiness |")
    print("|---|---:|---:|---:|---:|---:|")
    env_umap = dict(env_sk, NUMBA_NUM_THREADS=str(a.threads))
    for name, path in paths.items():
        ys, yu = os.path.join(w, f"u_{name}_segkit.npy"), os.path.join(w, f"u_{name}_peer.npy")
        times = []
        for _ in range(umap_repeats):
            p = subprocess.run([a.segkit, "reduce", "umap", "-i", path, "-o", ys, "--threads", str(a.threads), "--json"], capture_output=True,
                               text=True, env=env_sg)
            if p.returncode != 0:
                sys.exit(p.stderr)
            times.append(json.loads(p.stdout)["seconds"])
        p = subprocess.run([sys.executable, "-c", UMAP_PEER, path, str(umap_repeats), yu, str(a.threads)], capture_output=True, text=True, env=env_umap)
        if p.returncode != 0:
            sys.exit(p.stderr)
        ts, tu = statistics.median(times), statistics.median(json.loads(p.stdout)["times"])
        print(f"| {name} | {ts:.3f} | {tu:.3f} | {tu / ts:.1f}x | {trust(path, ys):.4f} | {trust(path, yu):.4f} |", flush=True)

    tsne_repeats = 1 if a.repeats < 3 else 3
    print(f"\n### t-SNE vs scikit-learn and Rtsne ({a.threads} threads, median of {tsne_repeats})\n")
    print("| data | segkit s | scikit-learn s | Rtsne s | ratio sklearn | ratio Rtsne | segkit tw | scikit-learn tw | Rtsne tw |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    sets = [("digits", paths["digits"])] + ([("text", paths["text"])] if a.tsne_text else [])
    for name, path in sets:
        ys, yk, yr = (os.path.join(w, f"t_{name}_{who}.npy") for who in ("segkit", "sklearn", "rtsne"))
        times = []
        for _ in range(tsne_repeats):
            p = subprocess.run([a.segkit, "reduce", "tsne", "-i", path, "-o", ys, "--threads", str(a.threads), "--json"], capture_output=True,
                               text=True, env=env_sg)
            if p.returncode != 0:
                sys.exit(p.stderr)
            times.append(json.loads(p.stdout)["seconds"])
        p = subprocess.run([sys.executable, "-c", TSNE_SK, path, str(tsne_repeats), yk, str(a.threads)], capture_output=True, text=True, env=env_sk)
        if p.returncode != 0:
            sys.exit(p.stderr)
        tk = statistics.median(json.loads(p.stdout)["times"])
        csv, rout = os.path.join(w, f"t_{name}.csv"), os.path.join(w, f"t_{name}_rtsne.csv")
        np.savetxt(csv, np.load(path), delimiter=",", fmt="%.7g")
        script = os.path.join(w, "rtsne.R")
        with open(script, "w") as f:
            f.write(TSNE_R)
        p = subprocess.run(["Rscript", script, csv, str(tsne_repeats), rout, str(a.threads)], capture_output=True, text=True, env=env_sk)
        if p.returncode != 0:
            sys.exit(p.stderr)
        tr = statistics.median(json.loads(p.stdout.strip().splitlines()[-1])["times"])
        np.save(yr, np.loadtxt(rout, delimiter=",").astype(np.float32))
        ts = statistics.median(times)
        print(f"| {name} | {ts:.2f} | {tk:.2f} | {tr:.2f} | {tk / ts:.1f}x | {tr / ts:.1f}x | {trust(path, ys):.4f} | {trust(path, yk):.4f} | "
              f"{trust(path, yr):.4f} |", flush=True)


if __name__ == "__main__":
    main()

