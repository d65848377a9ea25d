#!/usr/bin/env python3
"""IVF: `segkit index build ivf` / `index query --nprobe` vs FAISS IndexIVFFlat and IndexIVFPQ on the
same .npy files, at equal nlist, nprobe and code size.

usage: ivf_vs_faiss.py SEGKIT_BINARY WORKDIR [--data text|synthetic] [--n 1000000] [--nlist 1024] [--repeats 3]

Data and truth: as hnsw_vs_peers.py (it builds them in WORKDIR; run it first or let this script
build them through its functions). IVF-PQ: 32 sub-quantizers of 8 bits (32 bytes per 128-d vector),
residual encoding, no re-ranking on either side (segkit --no-vectors), so both store the same
codes. Search: 1 and 2 threads, nprobe in 1, 2, 4, 8, 16, 32, 64; recall@10 and QPS (median of
the repeats). Ratio = segkit QPS / FAISS QPS at the same nprobe (recall printed beside it).
"""
import argparse, json, os, statistics, subprocess, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hnsw_vs_peers import synthetic_data, text_data, truth_of  # noqa: E402

NPROBES = [1, 2, 4, 8, 16, 32, 64]

PEER = r"""
import json, sys, time, numpy as np, faiss
bp, qp, tp, metric, nlist, kind, repeats = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), sys.argv[6], int(sys.argv[7])
nprobes = json.loads(sys.argv[8])
X, Q, T = np.load(bp), np.load(qp), np.load(tp)
if metric == "cosine":
    X = X / np.maximum(np.linalg.norm(X, axis=1, keepdims=True), 1e-30); Q = Q / np.maximum(np.linalg.norm(Q, axis=1, keepdims=True), 1e-30)
d = X.shape[1]
quantizer = faiss.IndexFlatL2(d)
index = faiss.IndexIVFFlat(quantizer, d, nlist) if kind == "flat" else faiss.IndexIVFPQ(quantizer, d, nlist, 32, 8)
faiss.omp_set_num_threads(2)
t = time.perf_counter(); index.train(X[np.linspace(0, len(X) - 1, min(len(X), 256 * nlist)).astype(int)]); index.add(X); build = time.perf_counter() - t
def recall(L): return float(np.mean([len(set(L[i]) & set(T[i])) / 10.0 for i in range(len(T))]))
curves = {}
for threads in (1, 2):
    faiss.omp_set_num_threads(threads)
    curve = []
    for nprobe in nprobes:
        index.nprobe = nprobe; times = []
        for _ in range(repeats):
            t = time.perf_counter(); _, L = index.search(Q, 10); times.append(time.perf_counter() - t)
        curve.append([nprobe, recall(L), len(Q) / sorted(times)[len(times) // 2]])
    curves[str(threads)] = curve
print(json.dumps({"build": build, "curves": curves}))
"""


def segkit_side(binary, workdir, bp, qp, tp, metric, nlist, kind, repeats):
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    ip = os.path.join(workdir, f"ivf_{kind}.seg")
    cmd = [binary, "index", "build", "ivf", "-i", bp, "-o", ip, "--metric", metric, "--nlist", str(nlist), "--threads", "2", "--json"]
    if kind == "pq":
        cmd += ["--quantizer", "pq", "--pq-m", "32", "--no-vectors"]
    built = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout)
    curves = {}
    for threads in (1, 2):
        curve = []
        for nprobe in NPROBES:
            qps, rec = [], None
            for _ in range(repeats):
                r = json.loads(subprocess.run([binary, "index", "query", "--index", ip, "-q", qp, "-k", "10", "-o", os.path.join(workdir, "ids.npy"),
                                               "--truth", tp, "--nprobe", str(nprobe), "--threads", str(threads), "--json"],
                                              check=True, capture_output=True, text=True, env=env).stdout)
                qps.append(r["qps"]); rec = r["recall"]
            curve.append([nprobe, rec, statistics.median(qps)])
        curves[str(threads)] = curve
    return {"build": built["build_seconds"], "curves": curves}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("segkit"); ap.add_argument("workdir")
    ap.add_argument("--data", default="text"); ap.add_argument("--n", type=int, default=1000000)
    ap.add_argument("--nlist", type=int, default=0); ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()
    os.makedirs(a.workdir, exist_ok=True)
    if a.data == "text":
        title, metric = "Debian package descriptions, TF-IDF + SVD 128-d", "cosine"
        bp, qp = text_data(a.workdir)
    else:
        title, metric = f"synthetic clusters, {a.n:,} x 128", "l2"
        bp, qp = synthetic_data(a.workdir, a.n)
    tp = truth_of(bp, qp, metric)
    nlist = a.nlist or (256 if a.data == "text" else 1024)
    for kind in ("flat", "pq"):
        s = segkit_side(a.segkit, a.workdir, bp, qp, tp, metric, nlist, kind, a.repeats)
        f = json.loads(subprocess.run([sys.executable, "-c", PEER, bp, qp, tp, metric, str(nlist), kind, str(a.repeats), json.dumps(NPROBES)],
                                      check=True, capture_output=True, text=True).stdout)
        label = "IVF-Flat" if kind == "flat" else "IVF-PQ (32 x 8 bits, no re-ranking)"
        print(f"\n### {title} ({metric}), {label}, nlist = {nlist}")
        print(f"build seconds (2 threads): segkit {s['build']:.1f}, FAISS {f['build']:.1f}")
        print("| threads | nprobe | segkit recall / QPS | FAISS recall / QPS | QPS segkit / FAISS |")
        print("|---|---|---|---|---|")
        for threads in ("1", "2"):
            for (nprobe, sr, sq), (_, fr, fq) in zip(s["curves"][threads], f["curves"][threads]):
                print(f"| {threads} | {nprobe} | {sr:.4f} / {sq:,.0f} | {fr:.4f} / {fq:,.0f} | {sq / fq:.2f}x |")


if __name__ == "__main__":
    main()
