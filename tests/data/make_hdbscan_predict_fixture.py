#!/usr/bin/env python3
"""Reference values for HDBSCAN prediction and soft clustering (tests/cluster/test_hdbscan_predict.cpp).

Neither the hdbscan library nor scikit-learn's HDBSCAN is packaged for Debian 12, so this script
is an independent oracle: a dense numpy HDBSCAN* (core distances, Prim's tree of mutual
reachability, single linkage, condensed tree, excess of mass) whose partition is checked against
R's dbscan::hdbscan (the fixtures of make_hdbscan_fixture.py, ARI 1), followed by the prediction
rules of the hdbscan library's documentation (McInnes, Healy & Astels, hdbscan 0.8.x:
approximate_predict, approximate_predict_scores, all_points_membership_vectors), written from their
description:

  new point q, min_samples m, its 2m nearest training rows (ties by row):
    core(q) = distance to the m-th of them; neighbour r = first argmin of max(core(r), core(q), d);
    lambda = 1 / that distance. r's condensed-tree row gives (node, lambda_r); if lambda_r > lambda,
    climb while node is not the root and birth(node) >= lambda. label = selected cluster at or
    above node (else -1); probability = min(lambda, top) / top, top = densest exit of that
    selected cluster. outlier score = 1 - lambda' / (densest exit below r's node), lambda' = lambda_r
    for a point at distance 0 from a row, clipped below at 0 (segkit keeps scores in [0, 1]).
  membership of a point at (node, lambda) [training rows: their own row; new points: r's node and
  min(lambda, lambda_r)], one column per selected cluster c:
    distance part: 1 / min distance to c's exemplars (rows leaving c's leaves at their highest
    lambda), normalised; tree part: softmax over c of exp(-(death(node) + 1e-8) / h_c), h_c =
    lambda at which node and c meet (lambda itself if one contains the other); product
    normalised, times max(h) / max(death(c*), lambda), c* = first argmax of h.

Clusters are numbered breadth-first from the root with each merge's children in scipy's order
(smaller node first), as segkit numbers them: "the first cluster" among equal merge heights
depends on the numbering.

Run once from this folder:  /usr/bin/python3 make_hdbscan_predict_fixture.py
Writes hdbscan/<case>_predict_{Q,labels,prob,outlier,membership,all_membership,fit_labels}.npy
for the moons2d (minPts 8) and blobs5d (minPts 10) cases.
"""
import numpy as np
from scipy.spatial.distance import cdist
from sklearn.metrics import adjusted_rand_score


def fit(X, mcs, ms):
    n = len(X)
    D = cdist(X, X)
    core = np.sort(D, axis=1)[:, ms - 1]
    MR = np.maximum(D, np.maximum.outer(core, core))
    # Prim's tree of the mutual reachability graph.
    in_tree = np.zeros(n, bool)
    in_tree[0] = True
    best, src = MR[0].copy(), np.zeros(n, int)
    edges = []
    for _ in range(n - 1):
        cand = np.where(in_tree, np.inf, best)
        j = int(np.argmin(cand))
        edges.append((src[j], j, cand[j]))
        in_tree[j] = True
        better = MR[j] < best
        best[better], src[better] = MR[j][better], j
    # Single linkage: merge by increasing height.
    edges.sort(key=lambda e: e[2])
    uf, node_of, size = list(range(n)), list(range(n)), [1] * n

    def find(a):
        while uf[a] != a:
            uf[a] = uf[uf[a]]
            a = uf[a]
        return a

    Z = []
    for a, b, w in edges:
        ra, rb = find(a), find(b)
        Z.append((min(node_of[ra], node_of[rb]), max(node_of[ra], node_of[rb]), w))  # scipy order
        uf[rb] = ra
        node_of[ra] = n + len(Z) - 1
    # Condensed tree, clusters numbered breadth-first from the root n.
    nodes = 2 * n - 1
    weight = np.ones(nodes)
    for i, (a, b, _) in enumerate(Z):
        weight[n + i] = weight[a] + weight[b]

    def points_under(v):
        out, stack = [], [v]
        while stack:
            u = stack.pop()
            if u < n:
                out.append(u)
            else:
                stack += [Z[u - n][0], Z[u - n][1]]
        return out

    rows = []  # (parent, child, lambda, child_size)
    relabel, nxt, queue = {nodes - 1: n}, n + 1, [nodes - 1]
    for v in queue:
        if v < n:
            continue
        a, b, h = Z[v - n]
        lam = 1.0 / h if h > 0 else np.inf
        p = relabel[v]
        big_a, big_b = weight[a] >= mcs, weight[b] >= mcs
        if big_a and big_b:
            for c in (a, b):
                relabel[c] = nxt
                rows.append((p, nxt, lam, weight[c]))
                nxt += 1
                queue.append(c)
        else:
            for c, big in ((a, big_a), (b, big_b)):
                if big:
                    relabel[c] = p
                    queue.append(c)
                else:
                    rows += [(p, q, lam, 1.0) for q in points_under(c)]
    nc = nxt - n
    parent, birth, death = np.zeros(nc, int), np.zeros(nc), np.zeros(nc)
    children = [[] for _ in range(nc)]
    point_node, point_lambda = np.zeros(n, int), np.zeros(n)
    for p, c, lam, sz in rows:
        death[p - n] = max(death[p - n], lam)
        if c >= n:
            parent[c - n], birth[c - n] = p - n, lam
            children[p - n].append(c - n)
        else:
            point_node[c], point_lambda[c] = p - n, lam
    stability = np.zeros(nc)
    for p, c, lam, sz in rows:
        stability[p - n] += (lam - birth[p - n]) * sz
    # Excess of mass (the root excluded).
    selected = np.zeros(nc, bool)
    score = stability.copy()

    def below(c):
        out, stack = [], list(children[c])
        while stack:
            u = stack.pop()
            out.append(u)
            stack += children[u]
        return out

    for c in range(nc - 1, 0, -1):
        sub = sum(score[ch] for ch in children[c])
        if sub > score[c]:
            score[c] = sub
        else:
            selected[c] = True
            for u in below(c):
                selected[u] = False
    sel = [c for c in range(nc) if selected[c]]
    owner = np.full(nc, -1)
    for l, c in enumerate(sel):
        owner[c] = l
    for c in range(1, nc):
        if owner[c] < 0:
            owner[c] = owner[parent[c]]
    labels = owner[point_node]
    subtree_death = death.copy()
    for c in range(nc - 1, 0, -1):
        subtree_death[parent[c]] = max(subtree_death[parent[c]], subtree_death[c])
    exemplars = []
    for c in sel:
        leaves = [u for u in [c] + below(c) if not children[u]]
        exemplars.append([i for i in range(n) if point_node[i] in leaves and point_lambda[i] == death[point_node[i]]])
    return dict(X=X, core=core, labels=labels, sel=sel, owner=owner, parent=parent, birth=birth, death=death,
                subtree_death=subtree_death, point_node=point_node, point_lambda=point_lambda, exemplars=exemplars, ms=ms)


def merge_height(m, node, lam, c):
    a, b, last, moved_a, moved_b = node, c, node, False, False
    while a != b:
        if a > b:
            last, a, moved_a = a, m["parent"][a], True
        else:
            last, b, moved_b = b, m["parent"][b], True
    return m["birth"][last] if moved_a and moved_b else lam


def membership(m, x, node, lam):
    sel = m["sel"]
    k = len(sel)
    dmin = np.array([cdist(x[None, :], m["X"][ex]).min() for ex in m["exemplars"]])
    by_dist = np.where(dmin != 0, 1.0 / np.where(dmin != 0, dmin, 1.0), np.finfo(float).max / k)
    by_dist /= by_dist.sum()
    h = np.array([merge_height(m, node, lam, c) for c in sel])
    top = m["death"][node] + 1e-8
    s = np.exp(-top / h)
    t = np.exp(s - s.max())
    t /= t.sum()
    v = by_dist * t
    v /= v.sum()
    c_star = int(np.argmax(h))
    return v * (h[c_star] / max(m["death"][sel[c_star]], lam))


def predict(m, Q):
    n, ms = len(m["X"]), m["ms"]
    k = min(n, 2 * ms)
    D = cdist(Q, m["X"])
    out = {"labels": [], "prob": [], "outlier": [], "membership": []}
    for i in range(len(Q)):
        order = np.argsort(D[i], kind="stable")[:k]
        d = D[i][order]
        cq = d[ms - 1]
        mr = np.maximum(np.maximum(m["core"][order], cq), d)
        r = order[int(np.argmin(mr))]
        lam = 1.0 / mr.min() if mr.min() > 0 else np.finfo(float).max
        node, lam_r = m["point_node"][r], m["point_lambda"][r]
        up = node
        if lam_r > lam:
            while up != 0 and m["birth"][up] >= lam:
                up = m["parent"][up]
        label = m["owner"][up]
        prob = 0.0
        if label >= 0:
            top = m["death"][m["sel"][label]]
            prob = min(top, lam) / top if top > 0 else 1.0
        lam_o = lam_r if d[0] == 0 else lam
        top = m["subtree_death"][node]
        out["labels"].append(label)
        out["prob"].append(prob)
        out["outlier"].append(max(0.0, (top - lam_o) / top) if top > 0 else 0.0)
        out["membership"].append(membership(m, Q[i], node, min(lam, lam_r)))
    return out


def run(name, ms, rng):
    X = np.load(f"hdbscan/{name}_X.npy")
    m = fit(X, ms, ms)
    r_labels = np.load(f"hdbscan/{name}_labels.npy")
    assert adjusted_rand_score(r_labels, m["labels"]) == 1.0, "oracle disagrees with R's partition"
    lo, hi = X.min(axis=0), X.max(axis=0)
    span = hi - lo
    Q = np.vstack([
        rng.uniform(lo - 0.1 * span, hi + 0.1 * span, size=(150, X.shape[1])),  # anywhere, some far out
        X[rng.choice(len(X), 60, replace=False)] + rng.normal(0, 0.02 * span.mean(), size=(60, X.shape[1])),  # near rows
        X[rng.choice(len(X), 20, replace=False)],  # exact copies of training rows
    ])
    p = predict(m, Q)
    all_m = np.array([membership(m, X[i], m["point_node"][i], m["point_lambda"][i]) for i in range(len(X))])
    np.save(f"hdbscan/{name}_predict_Q.npy", Q)
    np.save(f"hdbscan/{name}_predict_labels.npy", np.array(p["labels"], dtype=np.int32))
    np.save(f"hdbscan/{name}_predict_prob.npy", np.array(p["prob"]))
    np.save(f"hdbscan/{name}_predict_outlier.npy", np.array(p["outlier"]))
    np.save(f"hdbscan/{name}_predict_membership.npy", np.array(p["membership"]))
    np.save(f"hdbscan/{name}_predict_all_membership.npy", all_m)
    np.save(f"hdbscan/{name}_predict_fit_labels.npy", m["labels"].astype(np.int32))
    print(name, "clusters", len(m["sel"]), "predicted noise", np.mean(np.array(p["labels"]) < 0),
          "exemplars", [len(e) for e in m["exemplars"]])


rng = np.random.RandomState(5)
run("moons2d", 8, rng)
run("blobs5d", 10, rng)
