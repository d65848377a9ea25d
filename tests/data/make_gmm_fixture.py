#!/usr/bin/env python3
"""Reference Gaussian mixtures for tests/cluster/test_gmm.cpp, computed with scikit-learn 1.2.1
(Debian python3-sklearn). Run once from this folder:  /usr/bin/python3 make_gmm_fixture.py

X: 700 x 5 float64, 4 overlapping Gaussian blobs (make_blobs, random_state=7, cluster_std=3.5),
so that EM runs for a good number of iterations. start: labels of KMeans(4, n_init=1,
random_state=0). For each covariance type, GaussianMixture(4, covariance_type=t, tol=1e-6,
reg_covar=1e-6, max_iter=200) is started from exactly that hard assignment (the subclass below
replaces the k-means call of _initialize_parameters by the saved labels; everything else is
scikit-learn's own code) and the fitted weights, means, covariances, labels, score (mean
log-likelihood), lower bound and n_iter are saved. "weighted": the same for "full" on X with row i
repeated 1 + (i mod 3) times, which segkit must reproduce with sample weights 1 + (i mod 3).
"""
import numpy as np
from sklearn.cluster import KMeans
from sklearn.datasets import make_blobs
from sklearn.mixture import GaussianMixture


class FromLabels(GaussianMixture):
    def __init__(self, start, **kw):
        super().__init__(**kw)
        self.start = start

    def _initialize_parameters(self, X, random_state):
        resp = np.zeros((X.shape[0], self.n_components))
        resp[np.arange(X.shape[0]), self.start] = 1.0
        self._initialize(X, resp)


X, _ = make_blobs(n_samples=700, n_features=5, centers=4, cluster_std=3.5, random_state=7)
start = KMeans(n_clusters=4, n_init=1, random_state=0).fit(X).labels_
np.save("gmm/X.npy", X)
np.save("gmm/start.npy", start.astype(np.int32))
repeat = 1 + np.arange(len(X)) % 3
cases = [(t, t, X, start) for t in ["full", "tied", "diag", "spherical"]]
cases.append(("weighted", "full", np.repeat(X, repeat, axis=0), np.repeat(start, repeat)))
for name, t, data, labels in cases:
    g = FromLabels(labels, n_components=4, covariance_type=t, tol=1e-6, reg_covar=1e-6, max_iter=500)
    g.fit(data)
    np.save(f"gmm/{name}_weights.npy", g.weights_)
    np.save(f"gmm/{name}_means.npy", g.means_)
    np.save(f"gmm/{name}_covariances.npy", g.covariances_)
    np.save(f"gmm/{name}_labels.npy", g.predict(X).astype(np.int32))
    facts = [g.score(data), g.lower_bound_, g.n_iter_, float(g.converged_)]
    np.save(f"gmm/{name}_facts.npy", np.array(facts, dtype=np.float64))
    print(name, facts)
