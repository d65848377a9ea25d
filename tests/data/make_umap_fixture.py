#!/usr/bin/env python3
"""Reference pieces of UMAP for tests/reduce/test_umap.cpp, computed with umap-learn 0.5.3 (Debian
umap-learn). Run once from this folder:  /usr/bin/python3 make_umap_fixture.py

  umap/ab.npy          rows [spread, min_dist, a, b] from umap.umap_.find_ab_params
  umap/graph_X.npy     200 x 6 float64 points (3 Gaussian blobs)
  umap/graph_knn.npy   their exact 10 nearest neighbours (self first), int64, from scikit-learn
  umap/graph_dist.npy  the matching Euclidean distances (float64)
  umap/graph_sigma.npy, graph_rho.npy   smooth_knn_dist(dists, 10) (float32 in umap-learn)
  umap/graph_coo.npy   fuzzy_simplicial_set(...) with those neighbours: rows [i, j, weight]
"""
import numpy as np
from sklearn.datasets import make_blobs
from sklearn.neighbors import NearestNeighbors
from umap.umap_ import find_ab_params, fuzzy_simplicial_set, smooth_knn_dist

rows = []
for spread, md in [(1.0, 0.1), (1.0, 0.0), (1.0, 0.5), (2.0, 0.3), (0.5, 0.05)]:
    a, b = find_ab_params(spread, md)
    rows.append([spread, md, a, b])
np.save("umap/ab.npy", np.array(rows, dtype=np.float64))
print(rows)

X, _ = make_blobs(n_samples=200, n_features=6, centers=3, cluster_std=1.5, random_state=7)
knn_d, knn_i = NearestNeighbors(n_neighbors=10).fit(X).kneighbors(X)
np.save("umap/graph_X.npy", X)
np.save("umap/graph_knn.npy", knn_i.astype(np.int64))
np.save("umap/graph_dist.npy", knn_d.astype(np.float64))
sigma, rho = smooth_knn_dist(knn_d.astype(np.float32), 10.0)
np.save("umap/graph_sigma.npy", sigma.astype(np.float64))
np.save("umap/graph_rho.npy", rho.astype(np.float64))
g, _, _ = fuzzy_simplicial_set(X, 10, np.random.RandomState(0), "euclidean", knn_indices=knn_i, knn_dists=knn_d.astype(np.float32))
g = g.tocoo()
np.save("umap/graph_coo.npy", np.stack([g.row.astype(np.float64), g.col.astype(np.float64), g.data.astype(np.float64)], axis=1))
print("graph", g.nnz)
