#!/usr/bin/env python3
"""DBSCAN, HDBSCAN and agglomerative clustering: `segkit cluster ...` against scikit-learn 1.2.1
(DBSCAN, AgglomerativeClustering) and R dbscan 1.1-11 (hdbscan) on the same .npy files.

usage: density_vs_peers.py SEGKIT_BINARY WORKDIR [--threads 2] [--repeats 3]
                           [--only dbscan,hdbscan,agglomerative,connectivity]

Data (numpy seed 0, float32):
  varied2d  50,000 x 2: two moons (20,000), five blobs of spreads 0.05..0.6 (25,000), uniform noise (5,000)
  blobs10d  50,000 x 10: eight Gaussian blobs, unit spread, centres N(0, 4^2)
  text      20,000 x 128: the first rows of hnsw_vs_peers.py's Debian-catalog TF-IDF + SVD embedding (cosine)
HDBSCAN and agglomerative run on 20,000-row prefixes (R's hdbscan and scipy's linkage build an
n x n distance matrix; 50,000 rows would need 10-20 GB for R). 'connectivity' runs agglomerative
clustering constrained to the 10-nearest-neighbour graph on all 50,000 rows (scikit-learn:
connectivity=kneighbors_graph(X, 10); both times include building the graph). Times: in-process fit seconds
(segkit's JSON "seconds", time.perf_counter around fit, R's system.time around hdbscan), median
of the repeats; ratio = peer / segkit (> 1: segkit faster). Peak memory: maximum resident set of
the process (all repeats), from /usr/bin/time. Labels are compared by the adjusted Rand index.
scikit-learn's DBSCAN gets n_jobs = threads; scipy's linkage and R's hdbscan are single-threaded.
"""
import argparse, json, os, statistics, subprocess, sys, tempfile

SK_DBSCAN = r"""
import json, sys, time, numpy as np
from sklearn.cluster import DBSCAN
X = np.load(sys.argv[1]); eps, ms, metric, threads, repeats = float(sys.argv[2]), int(sys.argv[3]), sys.argv[4], int(sys.argv[5]), int(sys.argv[6])
times = []
for _ in range(repeats):
    t0 = time.perf_counter(); m = DBSCAN(eps=eps, min_samples=ms, metric=metric, n_jobs=threads).fit(X); times.append(time.perf_counter() - t0)
np.save(sys.argv[7], m.labels_.astype(np.int32)); print(json.dumps({"times": times}))
"""

SK_AGGLO = r"""
import json, sys, time, numpy as np
from sklearn.cluster import AgglomerativeClustering
X = np.load(sys.argv[1]); k, link, repeats = int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
times = []
for _ in range(repeats):
    t0 = time.perf_counter(); m = AgglomerativeClustering(n_clusters=k, linkage=link).fit(X); times.append(time.perf_counter() - t0)
np.save(sys.argv[5], m.labels_.astype(np.int32)); print(json.dumps({"times": times}))
"""

SK_CONNECTED = r"""
import json, sys, time, numpy as np
from sklearn.cluster import AgglomerativeClustering
from sklearn.neighbors import kneighbors_graph
X = np.load(sys.argv[1]); k, link, neighbors, repeats = int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
times = []
for _ in range(repeats):
    t0 = time.perf_counter()
    g = kneighbors_graph(X, neighbors, include_self=False)
    m = AgglomerativeClustering(n_clusters=k, linkage=link, connectivity=g).fit(X); times.append(time.perf_counter() - t0)
np.save(sys.argv[6], m.labels_.astype(np.int32)); print(json.dumps({"times": times}))
"""

R_HDBSCAN = r"""
suppressMessages(library(dbscan))
args <- commandArgs(trailingOnly = TRUE)
x <- as.matrix(read.csv(args[1], header = FALSE))
times <- c()
for (r in seq_len(as.integer(args[3]))) {
  t <- system.time(h <- hdbscan(x, minPts = as.integer(args[2])))
  times <- c(times, t[["elapsed"]])
}
write.table(cbind(h$cluster - 1, format(h$outlier_scores, digits = 17)), args[4], quote = FALSE, row.names = FALSE, col.names = FALSE)
cat(sprintf('{"times": [%s]}\n', paste(times, collapse = ", ")))
"""


def run_peak(cmd, env=None):
    """Runs cmd under /usr/bin/time; returns (stdout, peak resident set in MB)."""
    p = subprocess.run(["/usr/bin/time", "-f", "%M"] + cmd, capture_output=True, text=True, env=env)
    if p.returncode != 0:
        sys.exit(f"failed ({p.returncode}): {' '.join(cmd)}\n{p.stderr}")
    return p.stdout, int(p.stderr.strip().splitlines()[-1]) / 1024.0


def ari(a, b):
    from sklearn.metrics import adjusted_rand_score
    return adjusted_rand_score(a, b)


def data(workdir):
    import numpy as np
    from sklearn.datasets import make_moons
    rng = np.random.default_rng(0)
    paths = {}
    moons, _ = make_moons(20000, noise=0.05, random_state=0)
    moons = moons * 2.0
    centres = np.array([[6, 6], [-4, 5], [7, -3], [0, -5], [-6, -2]])
    spreads = [0.05, 0.1, 0.2, 0.4, 0.6]
    blobs = np.vstack([c + rng.standard_normal((5000, 2)) * s for c, s in zip(centres, spreads)])
    noise = rng.uniform(-9, 10, size=(5000, 2))
    X = np.vstack([moons, blobs, noise]).astype(np.float32)
    X = X[rng.permutation(len(X))]
    paths["varied2d"] = os.path.join(workdir, "varied2d.npy"); np.save(paths["varied2d"], X)
    c10 = rng.standard_normal((8, 10)) * 4
    B = (c10[rng.integers(0, 8, 50000)] + rng.standard_normal((50000, 10))).astype(np.float32)
    paths["blobs10d"] = os.path.join(workdir, "blobs10d.npy"); np.save(paths["blobs10d"], B)
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from hnsw_vs_peers import text_data
    bp, _ = text_data(workdir)
    paths["text"] = os.path.join(workdir, "text20k.npy"); np.save(paths["text"], np.load(bp)[:20000])
    for name in ["varied2d", "blobs10d"]:
        p = os.path.join(workdir, f"{name}_20k.npy"); np.save(p, np.load(paths[name])[:20000]); paths[name + "_20k"] = p
    return paths


def segkit_run(a, args, env, labels):
    times, peak = [], 0.0
    for _ in range(a.repeats):
        out, mb = run_peak([a.segkit, "cluster"] + args + ["-o", labels, "--threads", str(a.threads), "--json"], env)
        times.append(json.loads(out)["seconds"]); peak = max(peak, mb)
    return statistics.median(times), peak, json.loads(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("segkit"); ap.add_argument("workdir")
    ap.add_argument("--threads", type=int, default=2); ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--peer-repeats", type=int, default=0, help="repeats of the slow constrained scikit-learn runs (default: --repeats)")
    ap.add_argument("--only", default="dbscan,hdbscan,agglomerative,connectivity", help="comma-separated subset of the comparisons")
    a = ap.parse_args()
    only = set(a.only.split(","))
    import numpy as np
    os.makedirs(a.workdir, exist_ok=True)
    paths = data(a.workdir)
    env = dict(os.environ, OMP_NUM_THREADS=str(a.threads), OPENBLAS_NUM_THREADS="1")
    sl, pl = os.path.join(a.workdir, "seg_labels.npy"), os.path.join(a.workdir, "peer_labels.npy")

    if "dbscan" in only:
        dbscan_table(a, paths, env, sl, pl)
    if "hdbscan" in only:
        hdbscan_table(a, paths, env, sl)
    if "agglomerative" in only:
        agglomerative_table(a, paths, env, sl, pl)
    if "connectivity" in only:
        connectivity_table(a, paths, env, sl, pl)


def dbscan_table(a, paths, env, sl, pl):
    import numpy as np
    print(f"\nDBSCAN, {a.threads} threads, median of {a.repeats}: segkit vs scikit-learn DBSCAN(n_jobs={a.threads})")
    print("| data | eps / min_samples | segkit s | sklearn s | sklearn/segkit | clusters | ARI | peak MB segkit / sklearn |")
    print("|---|---|---|---|---|---|---|---|")
    for name, eps, ms, metric in [("varied2d", 0.15, 10, "euclidean"), ("blobs10d", 1.6, 10, "euclidean"), ("text", 0.25, 10, "cosine")]:
        s, speak, out = segkit_run(a, ["dbscan", "-i", paths[name], "--eps", str(eps), "--min-samples", str(ms),
                                       "--metric", "cosine" if metric == "cosine" else "l2"], env, sl)
        pout, ppeak = run_peak([sys.executable, "-c", SK_DBSCAN, paths[name], str(eps), str(ms), metric, str(a.threads), str(a.repeats), pl], env)
        p = statistics.median(json.loads(pout)["times"])
        print(f"| {name} | {eps} / {ms} | {s:.3f} | {p:.3f} | {p / s:.2f}x | {out['n_clusters']} | "
              f"{ari(np.load(sl), np.load(pl)):.4f} | {speak:.0f} / {ppeak:.0f} |")



def hdbscan_table(a, paths, env, sl):
    import numpy as np
    print(f"\nHDBSCAN, 20,000 rows, min_cluster_size = min_samples = minPts, {a.threads} threads, median of {a.repeats}: segkit vs R dbscan::hdbscan")
    print("| data | minPts | segkit s | R s | R/segkit | clusters | ARI | peak MB segkit / R | --fragments shed: clusters, ARI, GLOSH max diff |")
    print("|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        script = os.path.join(tmp, "h.R")
        with open(script, "w") as f:
            f.write(R_HDBSCAN)
        for name, mpts in [("varied2d_20k", 15), ("blobs10d_20k", 15), ("text", 15)]:
            s, speak, out = segkit_run(a, ["hdbscan", "-i", paths[name], "--min-cluster-size", str(mpts)], env, sl)
            csv = os.path.join(tmp, "x.csv"); np.savetxt(csv, np.load(paths[name]).astype(np.float64), delimiter=",", fmt="%.17g")
            rl = os.path.join(tmp, "r.txt")
            rout, rpeak = run_peak(["Rscript", script, csv, str(mpts), str(a.repeats), rl], env)
            p = statistics.median(json.loads(rout)["times"])
            r = np.loadtxt(rl).reshape(-1, 2)
            drop_ari = ari(np.load(sl), r[:, 0])
            gl = os.path.join(tmp, "g.npy")  # R's rule for fragments (docs/cluster_density.md)
            _, _, shed = segkit_run(a, ["hdbscan", "-i", paths[name], "--min-cluster-size", str(mpts), "--fragments", "shed",
                                        "--outlier-scores-out", gl], env, sl)
            print(f"| {name} | {mpts} | {s:.3f} | {p:.3f} | {p / s:.2f}x | {out['n_clusters']} | "
                  f"{drop_ari:.4f} | {speak:.0f} / {rpeak:.0f} | {shed['n_clusters']}, {ari(np.load(sl), r[:, 0]):.4f}, "
                  f"{np.abs(np.load(gl) - r[:, 1]).max():.1e} |")
        s, speak, out = segkit_run(a, ["hdbscan", "-i", paths["varied2d"], "--min-cluster-size", "15"], env, sl)
        print(f"| varied2d (50,000 rows) | 15 | {s:.3f} | (R: ~20 GB of distance matrices, not run) | | {out['n_clusters']} | | {speak:.0f} / |")



def agglomerative_table(a, paths, env, sl, pl):
    import numpy as np
    print(f"\nAgglomerative, 20,000 rows, k = 8, {a.threads} threads, median of {a.repeats}: segkit vs scikit-learn (scipy linkage)")
    print("| data | linkage | segkit s | sklearn s | sklearn/segkit | ARI | peak MB segkit / sklearn |")
    print("|---|---|---|---|---|---|---|")
    for name in ["blobs10d_20k", "varied2d_20k"]:
        for link in ["ward", "average", "complete", "single"]:
            s, speak, out = segkit_run(a, ["agglomerative", "-i", paths[name], "--k", "8", "--linkage", link], env, sl)
            pout, ppeak = run_peak([sys.executable, "-c", SK_AGGLO, paths[name], "8", link, str(a.repeats), pl], env)
            p = statistics.median(json.loads(pout)["times"])
            print(f"| {name} | {link} | {s:.3f} | {p:.3f} | {p / s:.2f}x | {ari(np.load(sl), np.load(pl)):.4f} | {speak:.0f} / {ppeak:.0f} |")


def connectivity_table(a, paths, env, sl, pl):
    import numpy as np
    print(f"\nAgglomerative under the 10-NN graph, 50,000 rows, k = 8, {a.threads} threads, median of {a.repeats} "
          f"(scikit-learn: {a.peer_repeats or a.repeats}): "
          "segkit --connectivity 10 vs scikit-learn connectivity=kneighbors_graph(X, 10)")
    print("| data | linkage | segkit s | sklearn s | sklearn/segkit | ARI | peak MB segkit / sklearn |")
    print("|---|---|---|---|---|---|---|")
    for name in ["blobs10d", "varied2d"]:
        for link in ["ward", "average", "complete", "single"]:
            s, speak, out = segkit_run(a, ["agglomerative", "-i", paths[name], "--k", "8", "--linkage", link, "--connectivity", "10"], env, sl)
            pout, ppeak = run_peak([sys.executable, "-c", SK_CONNECTED, paths[name], "8", link, "10", str(a.peer_repeats or a.repeats), pl], env)
            p = statistics.median(json.loads(pout)["times"])
            print(f"| {name} | {link} | {s:.3f} | {p:.3f} | {p / s:.2f}x | {ari(np.load(sl), np.load(pl)):.4f} | {speak:.0f} / {ppeak:.0f} |")


if __name__ == "__main__":
    main()
