#!/usr/bin/env python3
"""item2vec: `segkit embed sequences` vs gensim's Word2Vec (Debian python3-gensim, skip-gram with
negative sampling) on the same sessions, same parameters.

usage: item2vec_vs_gensim.py SEGKIT_BINARY WORKDIR [--sessions 200000] [--repeats 3] [--threads 2]

Data (numpy seed 0, written to WORKDIR): 1,000 categories of 20 items; a session picks a category
and 5-19 steps, each staying in the category with probability 0.3 (item index floor(20 u^2), so
popular items first) or visiting a uniformly random item (70 % noise: a task neither side solves
perfectly).
Both: dim 64, window 5, negative 5, sample 1e-3, min_count 1, 5 epochs, alpha 0.025 -> 0.0001;
gensim sg=1, hs=0, workers=threads; segkit --threads. Speed: item occurrences x epochs / training
seconds (in-process; gensim's build_vocab excluded, its train() timed), median of the repeats.
Quality (the similarity task): for every item with at least 20 occurrences, the share of its 10
most cosine-similar items that belong to its category (precision@10), from each side's vectors;
each repeat uses another seed (segkit 0, 1, ...; gensim 1, 2, ...): median (range) of the repeats.
"""
import argparse, json, os, statistics, subprocess, sys, time

import numpy as np


def make_sessions(path, n):
    rng = np.random.default_rng(0)
    lines = []
    for _ in range(n):
        c = rng.integers(1000)
        length = 5 + rng.integers(15)
        stay = rng.random(length) < 0.3
        own = (20.0 * rng.random(length) ** 2).astype(int)
        other_c, other_i = rng.integers(1000, size=length), rng.integers(20, size=length)
        items = np.where(stay, 20 * c + own, 20 * other_c + other_i)
        lines.append(" ".join(map(str, items)))
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def precision(ids, vectors, counts):
    v = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    keep = np.array([counts.get(int(i), 0) >= 20 for i in ids])
    sims = v[keep] @ v.T
    rows = np.nonzero(keep)[0]
    sims[np.arange(len(rows)), rows] = -np.inf
    top = np.argsort(-sims, axis=1)[:, :10]
    cat = np.asarray(ids) // 20
    return float((cat[top] == cat[rows][:, None]).mean())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("segkit")
    ap.add_argument("workdir")
    ap.add_argument("--sessions", type=int, default=200000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    os.makedirs(a.workdir, exist_ok=True)
    path = os.path.join(a.workdir, f"sessions_{a.sessions}_c1000.txt")
    if not os.path.exists(path):
        make_sessions(path, a.sessions)
    sentences = [line.split() for line in open(path)]
    words = sum(len(s) for s in sentences)
    counts = {}
    for s in sentences:
        for w in s:
            counts[int(w)] = counts.get(int(w), 0) + 1

    seg, seg_q = [], []
    for r in range(a.repeats):
        p = subprocess.run([a.segkit, "embed", "sequences", "-i", path, "-o", os.path.join(a.workdir, "v.npy"), "--items-out",
                            os.path.join(a.workdir, "i.npy"), "--dim", "64", "--threads", str(a.threads), "--seed", str(r), "--json"],
                           capture_output=True, text=True)
        if p.returncode != 0:
            sys.exit(p.stderr)
        seg.append(json.loads(p.stdout)["seconds"])
        seg_q.append(precision(np.load(os.path.join(a.workdir, "i.npy")), np.load(os.path.join(a.workdir, "v.npy")), counts))
    seg_s = statistics.median(seg)

    from gensim.models import Word2Vec
    gen, gen_q = [], []
    for r in range(a.repeats):
        m = Word2Vec(vector_size=64, window=5, negative=5, sg=1, hs=0, sample=1e-3, min_count=1, workers=a.threads, alpha=0.025,
                     min_alpha=0.0001, seed=r + 1)
        m.build_vocab(sentences)
        t0 = time.perf_counter()
        m.train(sentences, total_examples=len(sentences), epochs=5)
        gen.append(time.perf_counter() - t0)
        gen_q.append(precision([int(w) for w in m.wv.index_to_key], m.wv.vectors, counts))
    gen_s = statistics.median(gen)
    print(f"\n### item2vec vs gensim Word2Vec ({a.threads} threads, median of {a.repeats})\n")
    print("| sessions | item occurrences | segkit s | gensim s | segkit words/s | gensim words/s | ratio | segkit precision@10 | gensim precision@10 |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    q = lambda v: f"{statistics.median(v):.4f} ({min(v):.4f}-{max(v):.4f})"
    print(f"| {len(sentences)} | {words} | {seg_s:.2f} | {gen_s:.2f} | {5 * words / seg_s / 1e6:.2f}M | {5 * words / gen_s / 1e6:.2f}M | "
          f"{gen_s / seg_s:.1f}x | {q(seg_q)} | {q(gen_q)} |")


if __name__ == "__main__":
    main()
