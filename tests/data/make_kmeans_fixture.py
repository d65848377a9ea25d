#!/usr/bin/env python3
"""Reference k-means for tests/cluster/test_kmeans.cpp, computed with scikit-learn 1.2.1 (Debian
python3-sklearn). Run once from this folder:  /usr/bin/python3 make_kmeans_fixture.py

X: 900 x 6 float64, 6 Gaussian blobs (make_blobs, random_state=3, cluster_std=1.5);
init: rows 0, 1, 2, 3, 4 of X (k = 5, so one blob is split and one shared: a non-trivial run);
weights: 1 + (i mod 4). For each case: KMeans(n_clusters=5, init=init, n_init=1,
algorithm="lloyd", tol=1e-4, max_iter=M).fit(X, sample_weight=...) -> centres, labels,
inertia and n_iter saved as .npy.
"""
import numpy as np
from sklearn.cluster import KMeans
from sklearn.datasets import make_blobs

X, _ = make_blobs(n_samples=900, n_features=6, centers=6, cluster_std=1.5, random_state=3)
init = X[:5].copy()
w = 1.0 + (np.arange(900) % 4)
np.save("kmeans/X.npy", X)
np.save("kmeans/init.npy", init)
np.save("kmeans/weights.npy", w)
for name, weights, max_iter in [("plain", None, 300), ("weighted", w, 300), ("two_iter", None, 2)]:
    km = KMeans(n_clusters=5, init=init, n_init=1, algorithm="lloyd", tol=1e-4, max_iter=max_iter)
    km.fit(X, sample_weight=weights)
    np.save(f"kmeans/{name}_centres.npy", km.cluster_centers_)
    np.save(f"kmeans/{name}_labels.npy", km.labels_.astype(np.int32))
    np.save(f"kmeans/{name}_facts.npy", np.array([km.inertia_, km.n_iter_], dtype=np.float64))
    print(name, km.n_iter_, km.inertia_)
