#!/usr/bin/env python3
"""Reference DBSCAN labels for tests/cluster/test_dbscan.cpp, computed with scikit-learn 1.2.1
(Debian python3-sklearn). Run once from this folder:  /usr/bin/python3 make_dbscan_fixture.py

Each case writes dbscan/<case>_X.npy (float64), <case>_labels.npy (int32) and <case>_core.npy
(int64 core sample indices) and <case>_params.npy ([eps, min_samples]); "weighted" also writes
weighted_weights.npy. Cases:
  moons2d   two moons + three blobs of different spread + uniform noise, 2-D, l2
  blobs10d  5 Gaussian blobs in 10-D plus uniform noise, l2 (the scan path above 16-D is covered by blobs24d)
  blobs24d  4 blobs in 24-D, l2 (blocked exact scan)
  weighted  moons2d with integer sample weights 0..3
  cosine8d  6 directions in 8-D with varied norms, cosine (brute force in scikit-learn)
  manhattan 2-D blobs, manhattan
"""
import numpy as np
from sklearn.cluster import DBSCAN
from sklearn.datasets import make_blobs, make_moons

rng = np.random.RandomState(3)


def save(name, X, eps, min_samples, metric="euclidean", weights=None):
    model = DBSCAN(eps=eps, min_samples=min_samples, metric=metric).fit(X, sample_weight=weights)
    np.save(f"dbscan/{name}_X.npy", X.astype(np.float64))
    np.save(f"dbscan/{name}_labels.npy", model.labels_.astype(np.int32))
    np.save(f"dbscan/{name}_core.npy", model.core_sample_indices_.astype(np.int64))
    np.save(f"dbscan/{name}_params.npy", np.array([eps, min_samples], dtype=np.float64))
    if weights is not None:
        np.save(f"dbscan/{name}_weights.npy", weights.astype(np.float64))
    k = len(set(model.labels_)) - (1 if -1 in model.labels_ else 0)
    print(name, X.shape, "clusters", k, "noise", np.mean(model.labels_ == -1), "core", len(model.core_sample_indices_))


moons, _ = make_moons(n_samples=400, noise=0.06, random_state=1)
blobs, _ = make_blobs(n_samples=300, centers=[[3, 3], [-2, 2.5], [3, -1.5]], cluster_std=[0.1, 0.25, 0.4], random_state=2)
noise = rng.uniform(-3, 4.5, size=(60, 2))
moons2d = np.vstack([moons, blobs, noise])
save("moons2d", moons2d, 0.18, 6)

b10, _ = make_blobs(n_samples=500, n_features=10, centers=5, cluster_std=1.0, random_state=4)
b10 = np.vstack([b10, rng.uniform(-12, 12, size=(40, 10))])
save("blobs10d", b10, 3.2, 8)

b24, _ = make_blobs(n_samples=400, n_features=24, centers=4, cluster_std=1.0, random_state=5)
save("blobs24d", b24, 5.6, 5)

w = rng.randint(0, 4, size=moons2d.shape[0]).astype(np.float64)
save("weighted", moons2d, 0.18, 8, weights=w)

dirs = rng.normal(size=(6, 8))
cos = np.vstack([d * rng.uniform(0.5, 4.0, size=(60, 1)) + rng.normal(scale=0.15, size=(60, 8)) for d in dirs])
save("cosine8d", cos, 0.02, 5, metric="cosine")

man, _ = make_blobs(n_samples=300, centers=4, cluster_std=0.6, random_state=6)
save("manhattan", man, 0.45, 5, metric="manhattan")
