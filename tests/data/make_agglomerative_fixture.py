#!/usr/bin/env python3
"""Reference hierarchies for tests/cluster/test_agglomerative.cpp, computed with scipy 1.10
(Debian python3-scipy) and scikit-learn 1.2.1. Run once from this folder:
/usr/bin/python3 make_agglomerative_fixture.py

X: 300 x 4 float64 (four blobs of different spread, make_blobs random_state=8, plus 20 uniform
points). For each method in ward, complete, average, single: scipy.cluster.hierarchy.linkage(X,
method) -> agglomerative/<method>_Z.npy ((n-1) x 4), and AgglomerativeClustering(n_clusters=4,
linkage=method).labels_ -> <method>_labels.npy. cosine: linkage(X, 'average', metric='cosine')
and AgglomerativeClustering(4, metric='cosine', linkage='average'); manhattan likewise with
'complete'. threshold: AgglomerativeClustering(n_clusters=None, distance_threshold=25.0, linkage='ward').
ward12: 1,540 x 12 (six blobs, make_blobs random_state=12, and 40 exact copies of rows 0..39),
linkage(X, 'ward') -> ward12_{X,Z}.npy: segkit's ward on stored centroids against scipy's matrix.
"""
import numpy as np
from scipy.cluster.hierarchy import linkage
from sklearn.cluster import AgglomerativeClustering
from sklearn.datasets import make_blobs

rng = np.random.RandomState(8)
X, _ = make_blobs(n_samples=280, n_features=4, centers=4, cluster_std=[0.6, 1.0, 1.5, 2.0], random_state=8)
X = np.vstack([X, rng.uniform(-12, 12, size=(20, 4))])
np.save("agglomerative/X.npy", X)
for method in ["ward", "complete", "average", "single"]:
    np.save(f"agglomerative/{method}_Z.npy", linkage(X, method))
    np.save(f"agglomerative/{method}_labels.npy", AgglomerativeClustering(n_clusters=4, linkage=method).fit(X).labels_.astype(np.int32))
np.save("agglomerative/cosine_Z.npy", linkage(X, "average", metric="cosine"))
np.save("agglomerative/cosine_labels.npy",
        AgglomerativeClustering(n_clusters=4, metric="cosine", linkage="average").fit(X).labels_.astype(np.int32))
np.save("agglomerative/manhattan_Z.npy", linkage(X, "complete", metric="cityblock"))
np.save("agglomerative/manhattan_labels.npy",
        AgglomerativeClustering(n_clusters=4, metric="manhattan", linkage="complete").fit(X).labels_.astype(np.int32))
t = AgglomerativeClustering(n_clusters=None, distance_threshold=25.0, linkage="ward").fit(X)
np.save("agglomerative/threshold_labels.npy", t.labels_.astype(np.int32))
print("threshold clusters", t.n_clusters_)

W, _ = make_blobs(n_samples=1500, n_features=12, centers=6, cluster_std=[0.5, 1.0, 1.5, 2.0, 1.0, 0.7], random_state=12)
W = np.vstack([W, W[:40]])
np.save("agglomerative/ward12_X.npy", W)
np.save("agglomerative/ward12_Z.npy", linkage(W, "ward"))
