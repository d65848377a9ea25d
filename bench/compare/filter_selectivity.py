#!/usr/bin/env python3
"""Filtered search: recall@10 and QPS at selectivity 50 %, 10 %, 1 % and 0.1 %, segkit HNSW with an
attribute filter (`index query --filter`) vs FAISS IndexHNSWFlat with an IDSelectorBitmap (the
predicate applied during FAISS's graph walk), on the package-description set of hnsw_vs_peers.py.

usage: filter_selectivity.py SEGKIT_BINARY WORKDIR [--repeats 3] [--ef 64]

Attribute: bucket = (id * 7919) mod 1000 (uncorrelated with the vectors); the filter
"bucket < m" keeps m / 1000 of the rows. Truth: exact cosine top 10 among the passing rows.
Both sides: M = 16, ef_construction = 200, the same ef, 1 thread. segkit's planner answers
filters below 2 % selectivity with an exact scan of the matching vectors.
"""
import argparse, json, os, statistics, subprocess, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hnsw_vs_peers import text_data  # noqa: E402

PEER = r"""
import json, sys, time, numpy as np, faiss
bp, qp, ef, repeats = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
X, Q = np.load(bp), np.load(qp)
X = X / np.maximum(np.linalg.norm(X, axis=1, keepdims=True), 1e-30); Q = Q / np.maximum(np.linalg.norm(Q, axis=1, keepdims=True), 1e-30)
bucket = (np.arange(len(X), dtype=np.int64) * 7919) % 1000
index = faiss.IndexHNSWFlat(X.shape[1], 16, faiss.METRIC_INNER_PRODUCT); index.hnsw.efConstruction = 200
faiss.omp_set_num_threads(2); index.add(X); faiss.omp_set_num_threads(1)
out = []
for m in (500, 100, 10, 1):
    keep = bucket < m
    sub = np.nonzero(keep)[0]
    truth = sub[np.argsort(-(Q @ X[sub].T), axis=1)[:, :10]]
    bits = np.packbits(keep, bitorder="little")
    sel = faiss.IDSelectorBitmap(len(X), faiss.swig_ptr(bits))
    params = faiss.SearchParametersHNSW(sel=sel, efSearch=ef)
    times = []
    for _ in range(repeats):
        t = time.perf_counter(); _, L = index.search(Q, 10, params=params); times.append(time.perf_counter() - t)
    rec = float(np.mean([len(set(L[i]) & set(truth[i])) / 10.0 for i in range(len(Q))]))
    np.save(f"{bp}.truth_{m}.npy", truth.astype(np.int64))
    out.append([m / 1000.0, rec, len(Q) / sorted(times)[len(times) // 2]])
print(json.dumps(out))
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("segkit"); ap.add_argument("workdir")
    ap.add_argument("--repeats", type=int, default=3); ap.add_argument("--ef", type=int, default=64)
    a = ap.parse_args()
    os.makedirs(a.workdir, exist_ok=True)
    bp, qp = text_data(a.workdir)
    import numpy as np
    n = len(np.load(bp))
    attrs = os.path.join(a.workdir, "filter_attrs.csv")
    with open(attrs, "w") as f:
        f.write("id,bucket\n")
        for i in range(n):
            f.write(f"{i},{(i * 7919) % 1000}\n")
    faiss_rows = json.loads(subprocess.run([sys.executable, "-c", PEER, bp, qp, str(a.ef), str(a.repeats)],
                                           check=True, capture_output=True, text=True).stdout)  # also writes the truths
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    ip = os.path.join(a.workdir, "filter_hnsw.seg")
    subprocess.run([a.segkit, "index", "build", "hnsw", "-i", bp, "-o", ip, "--metric", "cosine", "--attributes", attrs,
                    "--threads", "2", "--quiet"], check=True, env=env)
    print(f"Filtered search on the package descriptions ({n:,} x 128, cosine), ef = {a.ef}, 1 thread")
    print("| selectivity | segkit recall / QPS | FAISS HNSW + IDSelector recall / QPS |")
    print("|---|---|---|")
    for m, (sel, frec, fqps) in zip((500, 100, 10, 1), faiss_rows):
        qps, rec = [], None
        for _ in range(a.repeats):
            r = json.loads(subprocess.run([a.segkit, "index", "query", "--index", ip, "-q", qp, "-k", "10", "-o",
                                           os.path.join(a.workdir, "ids.npy"), "--ef", str(a.ef), "--threads", "1",
                                           "--filter", f"bucket < {m}", "--truth", f"{bp}.truth_{m}.npy", "--json"],
                                          check=True, capture_output=True, text=True, env=env).stdout)
            qps.append(r["qps"]); rec = r["recall"]
        print(f"| {sel:.1%} | {rec:.4f} / {statistics.median(qps):,.0f} | {frec:.4f} / {fqps:,.0f} |")


if __name__ == "__main__":
    main()
