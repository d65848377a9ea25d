#!/usr/bin/env python3
"""Text embedding without a model: `segkit embed text` (TF-IDF + LSA) vs scikit-learn's
TfidfVectorizer + TruncatedSVD + normalize on the same documents.

usage: embed_vs_sklearn.py SEGKIT_BINARY WORKDIR [--repeats 3] [--threads 2]

Data: the machine's Debian package catalog (`apt-cache dumpavail`): one document per package
(name with dashes as spaces, section, the whole description), written to WORKDIR/catalog.csv.
Both sides: no stop words, sublinear tf, min_df 2, word n-grams (1, 1) and (1, 2), 100 dimensions,
5 power iterations, unit rows. Seconds are in-process (segkit's --json "seconds"; scikit-learn's
fit_transform calls), median of the repeats; scikit-learn's TF-IDF is single-threaded, its SVD
uses OpenBLAS with `threads` threads; segkit runs `threads` workers. Also printed: vocabulary
sizes (equal when both tokenise alike) and the explained-variance share kept.
"""
import argparse, csv, json, os, statistics, subprocess, sys, time

SK = r"""
import sys, time, json, csv
import numpy as np
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize
path, ngram_max, repeats = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with open(path, encoding="utf-8", newline="") as f:
    docs = [r["text"] for r in csv.DictReader(f)]
times = []
for _ in range(repeats):
    t0 = time.perf_counter()
    vec = TfidfVectorizer(ngram_range=(1, ngram_max), sublinear_tf=True, min_df=2)
    x = vec.fit_transform(docs)
    svd = TruncatedSVD(100, n_iter=5, random_state=0)
    e = normalize(svd.fit_transform(x))
    times.append(time.perf_counter() - t0)
print(json.dumps({"seconds": sorted(times)[len(times) // 2], "vocabulary": len(vec.vocabulary_),
                  "explained_variance_ratio": float(svd.explained_variance_ratio_.sum()), "rows": len(docs)}))
"""


def catalog(workdir):
    path = os.path.join(workdir, "catalog.csv")
    if os.path.exists(path):
        return path
    from debian_catalog import documents
    docs = documents()
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["text"])
        for d in docs:
            w.writerow([d])
    return path


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("segkit")
    ap.add_argument("workdir")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    os.makedirs(a.workdir, exist_ok=True)
    path = catalog(a.workdir)
    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(a.threads), OMP_NUM_THREADS=str(a.threads))
    print(f"\n### Text embedding: TF-IDF + LSA vs scikit-learn ({a.threads} threads, median of {a.repeats})\n")
    print("| n-grams | rows | segkit s | scikit-learn s | ratio | segkit vocabulary | scikit-learn vocabulary | segkit explained | scikit-learn explained |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for ngram_max in (1, 2):
        seg = []
        for _ in range(a.repeats):
            p = subprocess.run([a.segkit, "embed", "text", "-i", path, "--columns", "text", "-o", os.path.join(a.workdir, "e.npy"), "--dims", "100",
                                "--stop-words", "none", "--min-df", "2", "--ngram-max", str(ngram_max), "--threads", str(a.threads), "--json"],
                               capture_output=True, text=True, env=env)
            if p.returncode != 0:
                sys.exit(p.stderr)
            seg.append(json.loads(p.stdout))
        s = sorted(seg, key=lambda r: r["seconds"])[len(seg) // 2]
        p = subprocess.run([sys.executable, "-c", SK, path, str(ngram_max), str(a.repeats)], capture_output=True, text=True, env=env)
        if p.returncode != 0:
            sys.exit(p.stderr)
        k = json.loads(p.stdout)
        print(f"| 1-{ngram_max} | {k['rows']} | {s['seconds']:.2f} | {k['seconds']:.2f} | {k['seconds'] / s['seconds']:.1f}x | {s['vocabulary']} | "
              f"{k['vocabulary']} | {s['explained_variance_ratio']:.4f} | {k['explained_variance_ratio']:.4f} |")


if __name__ == "__main__":
    main()
