#!/usr/bin/env python3
"""Exact k-NN: `segkit index query` (flat, sqeuclidean) vs FAISS IndexFlatL2 on the same .npy files.

usage: flat_vs_faiss.py SEGKIT_BINARY WORKDIR [--n 100000] [--dim 128] [--nq 1000] [--k 10] [--repeats 5]

Both sides get the same thread count (segkit --threads T; FAISS omp_set_num_threads(T) and
OPENBLAS_NUM_THREADS=T, since FAISS hands query batches to BLAS). Times are in-process search
seconds (segkit's JSON "seconds"; time.perf_counter around index.search); the median of the
repeats is reported, with ratio = FAISS time / segkit time (> 1: segkit is faster). The neighbour
ids of the two are compared too.
"""
import argparse, json, os, statistics, subprocess, sys, time

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("segkit"); ap.add_argument("workdir")
    ap.add_argument("--n", type=int, default=100000); ap.add_argument("--dim", type=int, default=128)
    ap.add_argument("--nq", type=int, default=1000); ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--repeats", type=int, default=5); ap.add_argument("--threads", default="1,2")
    a = ap.parse_args()
    import numpy as np
    os.makedirs(a.workdir, exist_ok=True)
    rng = np.random.default_rng(1)
    centres = rng.standard_normal((50, a.dim)).astype(np.float32) * 3
    base = (centres[rng.integers(0, 50, a.n)] + rng.standard_normal((a.n, a.dim))).astype(np.float32)
    queries = (centres[rng.integers(0, 50, a.nq)] + rng.standard_normal((a.nq, a.dim))).astype(np.float32)
    bp, qp = os.path.join(a.workdir, "base.npy"), os.path.join(a.workdir, "queries.npy")
    ip, op = os.path.join(a.workdir, "flat.seg"), os.path.join(a.workdir, "ids.npy")
    np.save(bp, base); np.save(qp, queries)
    subprocess.run([a.segkit, "index", "build", "flat", "-i", bp, "-o", ip, "--metric", "sqeuclidean", "--quiet"], check=True)
    rows = []
    for t in [int(x) for x in a.threads.split(",")]:
        env = dict(os.environ, OPENBLAS_NUM_THREADS=str(t), OMP_NUM_THREADS=str(t))
        faiss_code = f"""
import faiss, numpy as np, time, json, sys
faiss.omp_set_num_threads({t})
b = np.load({bp!r}); q = np.load({qp!r})
index = faiss.IndexFlatL2(b.shape[1]); index.add(b)
times = []
for _ in range({a.repeats}):
    t0 = time.perf_counter(); D, I = index.search(q, {a.k}); times.append(time.perf_counter() - t0)
np.save({os.path.join(a.workdir, "faiss_ids.npy")!r}, I.astype(np.int64))
print(json.dumps(times))
"""
        ft = json.loads(subprocess.run([sys.executable, "-c", faiss_code], env=env, check=True,
                                       capture_output=True, text=True).stdout)
        st = []
        for _ in range(a.repeats):
            out = subprocess.run([a.segkit, "index", "query", "--index", ip, "-q", qp, "-k", str(a.k), "-o", op,
                                  "--threads", str(t), "--json"], check=True, capture_output=True, text=True).stdout
            st.append(json.loads(out)["seconds"])
        same = float((np.load(op) == np.load(os.path.join(a.workdir, "faiss_ids.npy"))).mean())
        fs, ss = statistics.median(ft), statistics.median(st)
        rows.append((t, ss, fs, fs / ss, same))
    print(f"exact search, n={a.n}, d={a.dim}, nq={a.nq}, k={a.k}, median of {a.repeats}")
    print("| threads | segkit s | FAISS s | FAISS/segkit | same ids |")
    print("|---|---|---|---|---|")
    for t, ss, fs, r, same in rows:
        print(f"| {t} | {ss:.4f} | {fs:.4f} | {r:.2f}x | {same:.4f} |")

if __name__ == "__main__":
    main()
