#!/usr/bin/env python3
"""K-Means: `segkit cluster kmeans` (Lloyd) vs scikit-learn KMeans(algorithm="lloyd") and FAISS
Kmeans, and segkit --algorithm hamerly and elkan vs scikit-learn's "elkan", on the same .npy files, the
same initial centres, the same iterations and threads.

usage: kmeans_vs_peers.py SEGKIT_BINARY WORKDIR [--threads 2] [--repeats 3] [--iters 20]

Data: Gaussian blobs (numpy seed 0): 100,000 x 32 with k = 20, and 1,000,000 x 16 with k = 50.
Initial centres: the first k rows. tol = 0 and max_iter = ITERS, so every side runs the same
number of Lloyd iterations (scikit-learn and segkit stop early only if no label changes; n_iter
is printed). Times are in-process fit seconds (segkit's JSON "seconds"); median of the repeats.
Ratio = peer time / segkit time (> 1: segkit faster). Inertia is compared too.
"""
import argparse, json, os, statistics, subprocess, sys

PEER = r"""
import json, sys, time, numpy as np
which, xp, cp, iters, threads, repeats = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
X = np.load(xp); C = np.load(cp)
times, inertia, n_iter = [], None, None
for _ in range(repeats):
    if which == "sklearn_minibatch":
        from sklearn.cluster import MiniBatchKMeans
        km = MiniBatchKMeans(n_clusters=C.shape[0], batch_size=1024, n_init=3, max_iter=100, max_no_improvement=10, random_state=0)
        t0 = time.perf_counter(); km.fit(X); times.append(time.perf_counter() - t0)
        inertia, n_iter = float(km.inertia_), int(km.n_steps_)
    elif which.startswith("sklearn"):
        from sklearn.cluster import KMeans
        km = KMeans(n_clusters=C.shape[0], init=C, n_init=1, max_iter=iters, tol=0.0,
                    algorithm="elkan" if which == "sklearn_elkan" else "lloyd")
        t0 = time.perf_counter(); km.fit(X); times.append(time.perf_counter() - t0)
        inertia, n_iter = float(km.inertia_), int(km.n_iter_)
    else:
        import faiss
        faiss.omp_set_num_threads(threads)
        km = faiss.Kmeans(X.shape[1], C.shape[0], niter=iters, seed=1, max_points_per_centroid=10**9, min_points_per_centroid=1)
        t0 = time.perf_counter(); km.train(X, init_centroids=C); times.append(time.perf_counter() - t0)
        inertia, n_iter = float(km.obj[-1]), len(km.obj)
print(json.dumps({"times": times, "inertia": inertia, "n_iter": n_iter}))
"""

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("segkit"); ap.add_argument("workdir")
    ap.add_argument("--threads", type=int, default=2); ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--iters", type=int, default=20)
    a = ap.parse_args()
    import numpy as np
    os.makedirs(a.workdir, exist_ok=True)
    env = dict(os.environ, OMP_NUM_THREADS=str(a.threads), OPENBLAS_NUM_THREADS="1")
    print(f"k-means (Lloyd), {a.iters} iterations from the same centres, {a.threads} threads, median of {a.repeats}")
    print("| data | k | segkit s | scikit-learn s | sklearn/segkit | FAISS s | FAISS/segkit | inertia segkit / sklearn / FAISS | n_iter segkit / sklearn |")
    print("|---|---|---|---|---|---|---|---|---|")
    rows, mb_rows = [], []
    for n, d, k in [(100000, 32, 20), (1000000, 16, 50)]:
        rng = np.random.default_rng(0)
        centres = rng.standard_normal((k, d)) * 4
        X = (centres[rng.integers(0, k, n)] + rng.standard_normal((n, d))).astype(np.float32)
        xp, cp = os.path.join(a.workdir, f"x_{n}.npy"), os.path.join(a.workdir, f"c_{n}.npy")
        np.save(xp, X); np.save(cp, X[:k].copy())
        def segkit_run(algorithm):
            times, out = [], None
            for _ in range(a.repeats):
                out = json.loads(subprocess.run(
                    [a.segkit, "cluster", "kmeans", "-i", xp, "-o", os.path.join(a.workdir, "labels.npy"), "--k", str(k),
                     "--init-centres", cp, "--max-iter", str(a.iters), "--tol", "0", "--threads", str(a.threads),
                     "--algorithm", algorithm, "--json"], check=True, capture_output=True, text=True, env=env).stdout)
                times.append(out["seconds"])
            return times, out
        st, sk = segkit_run("lloyd")
        ht, hk = segkit_run("hamerly")
        et, ek = segkit_run("elkan")
        mt, mk = [], None
        for _ in range(a.repeats):
            mk = json.loads(subprocess.run(
                [a.segkit, "cluster", "minibatch-kmeans", "-i", xp, "-o", os.path.join(a.workdir, "labels.npy"), "--k", str(k),
                 "--batch-size", "1024", "--threads", str(a.threads), "--json"], check=True, capture_output=True, text=True, env=env).stdout)
            mt.append(mk["seconds"])
        peers = {}
        for which in ["sklearn", "faiss", "sklearn_elkan", "sklearn_minibatch"]:
            penv = dict(env, OPENBLAS_NUM_THREADS=str(a.threads) if which == "faiss" else "1")
            out = subprocess.run([sys.executable, "-c", PEER, which, xp, cp, str(a.iters), str(a.threads), str(a.repeats)],
                                 check=True, capture_output=True, text=True, env=penv).stdout
            peers[which] = json.loads(out)
        s = statistics.median(st); ks = statistics.median(peers["sklearn"]["times"]); fs = statistics.median(peers["faiss"]["times"])
        print(f"| {n} x {d} | {k} | {s:.3f} | {ks:.3f} | {ks / s:.2f}x | {fs:.3f} | {fs / s:.2f}x | "
              f"{sk['inertia']:.6g} / {peers['sklearn']['inertia']:.6g} / {peers['faiss']['inertia']:.6g} | {sk['n_iter']} / {peers['sklearn']['n_iter']} |")
        rows.append((n, d, k, statistics.median(ht), statistics.median(et), statistics.median(peers["sklearn_elkan"]["times"]), hk, ek,
                     peers["sklearn_elkan"]))
        mb_rows.append((n, d, k, statistics.median(mt), statistics.median(peers["sklearn_minibatch"]["times"]), mk, peers["sklearn_minibatch"]))
    print()
    print("| data | k | segkit hamerly s | segkit elkan s | sklearn elkan s | sklearn/hamerly | sklearn/elkan | inertia hamerly / elkan / sklearn | n_iter |")
    print("|---|---|---|---|---|---|---|---|---|")
    for n, d, k, h, el, e, hk, ek, pe in rows:
        print(f"| {n} x {d} | {k} | {h:.3f} | {el:.3f} | {e:.3f} | {e / h:.2f}x | {e / el:.2f}x | "
              f"{hk['inertia']:.6g} / {ek['inertia']:.6g} / {pe['inertia']:.6g} | {hk['n_iter']} / {ek['n_iter']} / {pe['n_iter']} |")
    print()
    print("mini-batch (batch 1024, 3 inits, <= 100 passes, stop after 10 steps without improvement; own initialisations)")
    print("| data | k | segkit s | sklearn MiniBatchKMeans s | sklearn/segkit | inertia segkit / sklearn | steps segkit / sklearn |")
    print("|---|---|---|---|---|---|---|")
    for n, d, k, m, e, mk, pe in mb_rows:
        print(f"| {n} x {d} | {k} | {m:.3f} | {e:.3f} | {e / m:.2f}x | {mk['inertia']:.6g} / {pe['inertia']:.6g} | {mk['n_iter']} / {pe['n_iter']} |")

if __name__ == "__main__":
    main()
