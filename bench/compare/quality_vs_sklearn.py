#!/usr/bin/env python3
"""Segment-quality scores: `segkit eval ...` against scikit-learn 1.2.1 on the same .npy files.

usage: quality_vs_sklearn.py SEGKIT_BINARY WORKDIR [--threads 2] [--repeats 5]

Data (float32):
  blobs  20,000 x 128: make_blobs(centers=20, random_state=0), labels = the generator's
  text   20,000 x 128: the first rows of hnsw_vs_peers.py's Debian-catalog TF-IDF + SVD embedding,
         labels = scikit-learn KMeans(k=20, n_init=1, random_state=0); silhouette with cosine
Scores: silhouette (exact), Davies-Bouldin, Calinski-Harabasz, trustworthiness (k = 10, of the
first 5,000 rows' 2-D PCA projection), and ARI / NMI / AMI between the labels and a second
k-means run (random_state=1). Times: in-process seconds (segkit's JSON "seconds";
time.perf_counter around the scikit-learn call), median of the repeats; ratio = scikit-learn /
segkit (> 1: segkit faster). scikit-learn runs with OMP/OpenBLAS threads = threads (its
silhouette parallelises through BLAS only); segkit with --threads and a single-threaded OpenBLAS.
Values are printed side by side; they agree to the printed digits.
"""
import argparse, json, os, statistics, subprocess, sys

SK = r"""
import json, sys, time, numpy as np
from sklearn import metrics
from sklearn.manifold import trustworthiness
what, repeats = sys.argv[1], int(sys.argv[2])
args = sys.argv[3:]
def run(f):
    times, v = [], None
    for _ in range(repeats):
        t0 = time.perf_counter(); v = f(); times.append(time.perf_counter() - t0)
    return {"times": times, "value": float(v)}
if what == "silhouette":
    X, y = np.load(args[0]), np.load(args[1]); out = run(lambda: metrics.silhouette_score(X, y, metric=args[2]))
elif what == "davies-bouldin":
    X, y = np.load(args[0]), np.load(args[1]); out = run(lambda: metrics.davies_bouldin_score(X, y))
elif what == "calinski-harabasz":
    X, y = np.load(args[0]), np.load(args[1]); out = run(lambda: metrics.calinski_harabasz_score(X, y))
elif what == "trustworthiness":
    X, Y = np.load(args[0]), np.load(args[1]); out = run(lambda: trustworthiness(X, Y, n_neighbors=10))
else:
    a, b = np.load(args[0]), np.load(args[1])
    f = {"ari": metrics.adjusted_rand_score, "nmi": metrics.normalized_mutual_info_score,
         "ami": metrics.adjusted_mutual_info_score}[what]
    out = run(lambda: f(b, a))
print(json.dumps(out))
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("segkit")
    ap.add_argument("workdir")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=5)
    a = ap.parse_args()
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import numpy as np
    from sklearn.cluster import KMeans
    from sklearn.datasets import make_blobs
    from hnsw_vs_peers import text_data

    w = a.workdir
    X, y = make_blobs(n_samples=20000, n_features=128, centers=20, random_state=0)
    sets = {"blobs": (X.astype(np.float32), y.astype(np.int32), "euclidean")}
    bp, _ = text_data(w)
    T = np.load(bp)[:20000].astype(np.float32)
    sets["text"] = (T, KMeans(20, n_init=1, random_state=0).fit(T).labels_.astype(np.int32), "cosine")

    env_sk = dict(os.environ, OMP_NUM_THREADS=str(a.threads), OPENBLAS_NUM_THREADS=str(a.threads))
    env_sg = dict(os.environ, OPENBLAS_NUM_THREADS="1")

    def sk(what, *args):
        p = subprocess.run([sys.executable, "-c", SK, what, str(a.repeats)] + list(args), capture_output=True, text=True, env=env_sk)
        if p.returncode != 0:
            sys.exit(p.stderr)
        r = json.loads(p.stdout)
        return statistics.median(r["times"]), r["value"]

    def sg(cmd):
        times, v = [], None
        for _ in range(a.repeats):
            p = subprocess.run([a.segkit] + cmd + ["--threads", str(a.threads), "--json"], capture_output=True, text=True, env=env_sg)
            if p.returncode != 0:
                sys.exit(p.stderr)
            r = json.loads(p.stdout)
            times.append(r["seconds"])
            v = r["value"]
        return statistics.median(times), v

    print(f"\n### Quality scores vs scikit-learn ({a.threads} threads, median of {a.repeats})\n")
    print("| data | score | segkit s | scikit-learn s | ratio | segkit value | scikit-learn value |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for name, (X, y, metric) in sets.items():
        xp, yp = os.path.join(w, f"q_{name}_X.npy"), os.path.join(w, f"q_{name}_y.npy")
        np.save(xp, X)
        np.save(yp, y)
        y2 = KMeans(20, n_init=1, random_state=1).fit(X).labels_.astype(np.int32)
        y2p = os.path.join(w, f"q_{name}_y2.npy")
        np.save(y2p, y2)
        Xs = X[:5000]
        Ys = ((Xs - Xs.mean(axis=0)) @ np.linalg.svd(Xs - Xs.mean(axis=0), full_matrices=False)[2][:2].T).astype(np.float32)
        xsp, ysp = os.path.join(w, f"q_{name}_Xs.npy"), os.path.join(w, f"q_{name}_Ys.npy")
        np.save(xsp, Xs)
        np.save(ysp, Ys)
        sgm = "l2" if metric == "euclidean" else metric
        rows = [
            (f"silhouette ({metric})", ["eval", "silhouette", "-i", xp, "-l", yp, "--metric", sgm], ("silhouette", xp, yp, metric)),
            ("davies-bouldin", ["eval", "davies-bouldin", "-i", xp, "-l", yp], ("davies-bouldin", xp, yp)),
            ("calinski-harabasz", ["eval", "calinski-harabasz", "-i", xp, "-l", yp], ("calinski-harabasz", xp, yp)),
            ("trustworthiness (5k, k=10)", ["eval", "trustworthiness", "-i", xsp, "-e", ysp, "--neighbors", "10"], ("trustworthiness", xsp, ysp)),
            ("ari", ["eval", "ari", "--labels", y2p, "--truth", yp], ("ari", y2p, yp)),
            ("nmi", ["eval", "nmi", "--labels", y2p, "--truth", yp], ("nmi", y2p, yp)),
            ("ami", ["eval", "ami", "--labels", y2p, "--truth", yp], ("ami", y2p, yp)),
        ]
        for label, cmd, skargs in rows:
            ts, vs = sg(cmd)
            tk, vk = sk(*skargs)
            print(f"| {name} | {label} | {ts:.4f} | {tk:.4f} | {tk / ts:.1f}x | {vs:.6f} | {vk:.6f} |", flush=True)


if __name__ == "__main__":
    main()
