#!/usr/bin/env python3
"""HNSW: `segkit index build hnsw` / `segkit index query --ef` vs hnswlib (python3-hnswlib) and
FAISS IndexHNSWFlat on the same .npy files, M = 16, ef_construction = 200.

usage: hnsw_vs_peers.py SEGKIT_BINARY WORKDIR [--data text|synthetic|both] [--n 1000000] [--repeats 3]
                        [--storage float32[,float16,int8]] [--build-repeats R]

Data:
  text       the machine's Debian package catalog (`apt-cache dumpavail`): one document per
             package (name, section, description), TF-IDF (sublinear tf, 2^18 features, English
             stop words), TruncatedSVD to 128 dimensions (seed 0), float32; cosine metric. The last
             2,000 packages (in catalog order) are the queries, the rest the base.
  synthetic  N vectors (default 1,000,000) of dimension 128 around 1,000 Gaussian centres
             (numpy seed 0, standard normal centres, noise sd 0.6: neighbouring clusters overlap); 10,000
             queries from the same distribution; l2 metric.
Truth: exact top-10 by FAISS IndexFlat. Build: 2 threads for everyone (build seconds). Search:
1 and 2 threads, ef in a fixed ladder; recall@10 and QPS (in-process search time, median of the
repeats) per ef. For each recall target (0.90, 0.95, 0.99) the QPS is that of the smallest ef
reaching the target. Ratio = segkit QPS / peer QPS (> 1: segkit faster). --storage lists the
segkit storages to measure (`index build hnsw --storage`): one table per storage, same peers.
--build-repeats R (R > 0) also times R builds of segkit (float32) and hnswlib at 1 and at 2
threads, each in a fresh process, the two libraries alternating, and prints the medians and their
ratio: a single build is too noisy on a shared machine to compare.
"""
import argparse, json, os, statistics, subprocess, sys, time

EFS = [10, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768]
TARGETS = [0.90, 0.95, 0.99]


def text_data(workdir):
    bp, qp = os.path.join(workdir, "text_base.npy"), os.path.join(workdir, "text_queries.npy")
    if os.path.exists(bp):
        return bp, qp
    import numpy as np
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer
    from debian_catalog import documents
    docs = documents()
    tfidf = TfidfVectorizer(sublinear_tf=True, max_features=1 << 18, stop_words="english").fit_transform(docs)
    emb = TruncatedSVD(128, random_state=0).fit_transform(tfidf).astype(np.float32)
    np.save(bp, emb[:-2000]); np.save(qp, emb[-2000:])
    return bp, qp


def synthetic_data(workdir, n):
    bp, qp = os.path.join(workdir, f"syn_base_{n}.npy"), os.path.join(workdir, f"syn_queries_{n}.npy")
    if os.path.exists(bp):
        return bp, qp
    import numpy as np
    rng = np.random.default_rng(0)
    d, c = 128, 1000
    centres = rng.standard_normal((c, d)).astype(np.float32)
    def draw(m):
        out = np.empty((m, d), dtype=np.float32)
        for s in range(0, m, 100000):
            e = min(m, s + 100000)
            out[s:e] = centres[rng.integers(0, c, e - s)] + 0.6 * rng.standard_normal((e - s, d), dtype=np.float32)
        return out
    np.save(bp, draw(n)); np.save(qp, draw(10000))
    return bp, qp


def truth_of(bp, qp, metric):
    import faiss, numpy as np
    tp = bp.replace(".npy", "_truth.npy")
    if os.path.exists(tp):
        return tp
    X, Q = np.load(bp), np.load(qp)
    if metric == "cosine":
        X = X / np.maximum(np.linalg.norm(X, axis=1, keepdims=True), 1e-30); Q = Q / np.maximum(np.linalg.norm(Q, axis=1, keepdims=True), 1e-30)
        index = faiss.IndexFlatIP(X.shape[1])
    else:
        index = faiss.IndexFlatL2(X.shape[1])
    index.add(X)
    _, T = index.search(Q, 10)
    np.save(tp, T.astype(np.int64))
    return tp


PEER = r"""
import json, sys, time, numpy as np
which, bp, qp, tp, metric, repeats = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6])
efs = json.loads(sys.argv[7])
X, Q, T = np.load(bp), np.load(qp), np.load(tp)
def recall(L): return float(np.mean([len(set(L[i]) & set(T[i])) / 10.0 for i in range(len(T))]))
out = {"build": None, "curves": {}}
if which == "hnswlib":
    import hnswlib
    p = hnswlib.Index(space="cosine" if metric == "cosine" else "l2", dim=X.shape[1])
    p.init_index(max_elements=len(X), ef_construction=200, M=16, random_seed=100)
    p.set_num_threads(2)
    t = time.perf_counter(); p.add_items(X, np.arange(len(X))); out["build"] = time.perf_counter() - t
    for threads in (1, 2):
        p.set_num_threads(threads)
        curve = []
        for ef in efs:
            p.set_ef(max(ef, 10)); times = []
            for _ in range(repeats):
                t = time.perf_counter(); L, _ = p.knn_query(Q, k=10); times.append(time.perf_counter() - t)
            curve.append([ef, recall(L), len(Q) / sorted(times)[len(times) // 2]])
        out["curves"][str(threads)] = curve
else:
    import faiss
    if metric == "cosine":
        X = X / np.maximum(np.linalg.norm(X, axis=1, keepdims=True), 1e-30); Q = Q / np.maximum(np.linalg.norm(Q, axis=1, keepdims=True), 1e-30)
        index = faiss.IndexHNSWFlat(X.shape[1], 16, faiss.METRIC_INNER_PRODUCT)
    else:
        index = faiss.IndexHNSWFlat(X.shape[1], 16)
    index.hnsw.efConstruction = 200
    faiss.omp_set_num_threads(2)
    t = time.perf_counter(); index.add(X); out["build"] = time.perf_counter() - t
    for threads in (1, 2):
        faiss.omp_set_num_threads(threads)
        curve = []
        for ef in efs:
            index.hnsw.efSearch = max(ef, 10); times = []
            for _ in range(repeats):
                t = time.perf_counter(); _, L = index.search(Q, 10); times.append(time.perf_counter() - t)
            curve.append([ef, recall(L), len(Q) / sorted(times)[len(times) // 2]])
        out["curves"][str(threads)] = curve
print(json.dumps(out))
"""


PEER_BUILD = r"""
import sys, time, numpy as np, hnswlib
X = np.load(sys.argv[1])
p = hnswlib.Index(space="cosine" if sys.argv[2] == "cosine" else "l2", dim=X.shape[1])
p.init_index(max_elements=len(X), ef_construction=200, M=16, random_seed=100)
p.set_num_threads(int(sys.argv[3]))
t = time.perf_counter(); p.add_items(X, np.arange(len(X))); print(time.perf_counter() - t)
"""


def build_times(binary, workdir, bp, metric, repeats):
    """Median build seconds of segkit and hnswlib per thread count, alternating the two."""
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    times = {}
    for _ in range(repeats):
        for threads in (1, 2):
            built = json.loads(subprocess.run([binary, "index", "build", "hnsw", "-i", bp, "-o", os.path.join(workdir, "hnsw_build.seg"),
                                               "--metric", metric, "--m", "16", "--ef-construction", "200", "--threads", str(threads),
                                               "--json"], check=True, capture_output=True, text=True, env=env).stdout)
            times.setdefault(("segkit", threads), []).append(built["build_seconds"])
            peer = subprocess.run([sys.executable, "-c", PEER_BUILD, bp, metric, str(threads)], check=True, capture_output=True, text=True)
            times.setdefault(("hnswlib", threads), []).append(float(peer.stdout))
    os.remove(os.path.join(workdir, "hnsw_build.seg"))
    return {k: statistics.median(v) for k, v in times.items()}


def segkit_side(binary, workdir, bp, qp, tp, metric, repeats, storage):
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1")
    ip = os.path.join(workdir, f"hnsw_{storage}.seg")
    built = json.loads(subprocess.run([binary, "index", "build", "hnsw", "-i", bp, "-o", ip, "--metric", metric, "--m", "16",
                                       "--ef-construction", "200", "--threads", "2", "--storage", storage, "--json"],
                                      check=True, capture_output=True, text=True, env=env).stdout)
    out = {"build": built["build_seconds"], "curves": {}}
    for threads in (1, 2):
        curve = []
        for ef in EFS:
            qps, rec = [], None
            for _ in range(repeats):
                r = json.loads(subprocess.run([binary, "index", "query", "--index", ip, "-q", qp, "-k", "10", "-o",
                                               os.path.join(workdir, "ids.npy"), "--truth", tp, "--ef", str(ef),
                                               "--threads", str(threads), "--json"],
                                              check=True, capture_output=True, text=True, env=env).stdout)
                qps.append(r["qps"]); rec = r["recall"]
            curve.append([ef, rec, statistics.median(qps)])
        out["curves"][str(threads)] = curve
    return out


def at_target(curve, target):
    for ef, rec, qps in curve:
        if rec >= target:
            return ef, qps
    return None, None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("segkit"); ap.add_argument("workdir")
    ap.add_argument("--data", default="both"); ap.add_argument("--n", type=int, default=1000000)
    ap.add_argument("--repeats", type=int, default=3); ap.add_argument("--storage", default="float32")
    ap.add_argument("--build-repeats", type=int, default=0)
    a = ap.parse_args()
    os.makedirs(a.workdir, exist_ok=True)
    sets = []
    if a.data in ("text", "both"):
        sets.append(("Debian package descriptions, TF-IDF + SVD 128-d", "cosine") + text_data(a.workdir))
    if a.data in ("synthetic", "both"):
        sets.append((f"synthetic clusters, {a.n:,} x 128", "l2") + synthetic_data(a.workdir, a.n))
    for title, metric, bp, qp in sets:
        tp = truth_of(bp, qp, metric)
        results = {}
        for peer in ("hnswlib", "faiss"):
            results[peer] = json.loads(subprocess.run([sys.executable, "-c", PEER, peer, bp, qp, tp, metric, str(a.repeats), json.dumps(EFS)],
                                                      check=True, capture_output=True, text=True).stdout)
        storages = a.storage.split(",")
        for storage in storages:
            results[f"segkit {storage}"] = segkit_side(a.segkit, a.workdir, bp, qp, tp, metric, a.repeats, storage)
        for storage in storages:
            mine = f"segkit {storage}"
            print(f"\n### {title} ({metric}), M = 16, ef_construction = 200, segkit storage {storage}")
            print(f"build seconds (2 threads): segkit {results[mine]['build']:.1f}, hnswlib {results['hnswlib']['build']:.1f}, "
                  f"FAISS {results['faiss']['build']:.1f}")
            print("| threads | recall@10 target | segkit ef / QPS | hnswlib ef / QPS | FAISS ef / QPS | segkit/hnswlib | segkit/FAISS |")
            print("|---|---|---|---|---|---|---|")
            for threads in ("1", "2"):
                for target in TARGETS:
                    row = {name: at_target(r["curves"][threads], target) for name, r in results.items()}
                    def cell(name):
                        ef, q = row[name]
                        return "not reached" if ef is None else f"{ef} / {q:,.0f}"
                    def ratio(peer):
                        s, p = row[mine][1], row[peer][1]
                        return "—" if s is None or p is None else f"{s / p:.2f}x"
                    print(f"| {threads} | {target:.2f} | {cell(mine)} | {cell('hnswlib')} | {cell('faiss')} | {ratio('hnswlib')} | {ratio('faiss')} |")
        print("\ncurves (ef, recall, QPS):", json.dumps({k: v["curves"] for k, v in results.items()}))
        if a.build_repeats > 0:
            t = build_times(a.segkit, a.workdir, bp, metric, a.build_repeats)
            print(f"\nbuild seconds, median of {a.build_repeats} (segkit float32 / hnswlib, alternating):")
            for threads in (1, 2):
                print(f"  {threads} thread(s): segkit {t[('segkit', threads)]:.2f}, hnswlib {t[('hnswlib', threads)]:.2f}, "
                      f"segkit / hnswlib {t[('segkit', threads)] / t[('hnswlib', threads)]:.2f}")


if __name__ == "__main__":
    main()
