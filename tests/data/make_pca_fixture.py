#!/usr/bin/env python3
"""Reference PCA results for tests/reduce/test_pca.cpp, computed with scikit-learn 1.2.1 (Debian
python3-sklearn). Run once from this folder:  /usr/bin/python3 make_pca_fixture.py

Per case <c>: pca/<c>_X.npy (float64) and
  <c>_ev.npy     explained_variance_ (float64, k)
  <c>_ratio.npy  explained_variance_ratio_
  <c>_sv.npy     singular_values_
  <c>_comp.npy   components_ (k x d)
  <c>_Y.npy      transform of the first 20 rows (k columns)
  <c>_noise.npy  [noise_variance_]
Cases:
  tall      300 x 20, correlated Gaussian (a random 20 x 20 mixing), PCA(n_components=5, svd_solver="full")
  wide      40 x 120 (d > n), PCA(n_components=10, svd_solver="full")
  whiten    tall's data, PCA(n_components=4, whiten=True, svd_solver="full")
  variance  tall's data, PCA(n_components=0.9, svd_solver="full") (k chosen by explained variance)
  big       1,000 x 60, decaying spectrum, PCA(n_components=8, svd_solver="full"): the exact answer
            segkit's randomized solver must reach
  incr      tall's data, IncrementalPCA(n_components=5, batch_size=60)
"""
import numpy as np
from sklearn.decomposition import PCA, IncrementalPCA

rng = np.random.RandomState(21)


def save(name, X, model):
    np.save(f"pca/{name}_X.npy", X.astype(np.float64))
    np.save(f"pca/{name}_ev.npy", model.explained_variance_)
    np.save(f"pca/{name}_ratio.npy", model.explained_variance_ratio_)
    np.save(f"pca/{name}_sv.npy", model.singular_values_)
    np.save(f"pca/{name}_comp.npy", model.components_)
    np.save(f"pca/{name}_Y.npy", model.transform(X[:20]))
    np.save(f"pca/{name}_noise.npy", np.array([model.noise_variance_]))
    print(name, X.shape, model.n_components_, model.explained_variance_ratio_[:3])


tall = rng.normal(size=(300, 20)) @ rng.normal(size=(20, 20)) + rng.normal(size=20) * 5
save("tall", tall, PCA(n_components=5, svd_solver="full").fit(tall))
wide = rng.normal(size=(40, 120)) @ np.diag(np.linspace(3, 0.1, 120))
save("wide", wide, PCA(n_components=10, svd_solver="full").fit(wide))
save("whiten", tall, PCA(n_components=4, whiten=True, svd_solver="full").fit(tall))
save("variance", tall, PCA(n_components=0.9, svd_solver="full").fit(tall))
big = (rng.normal(size=(1000, 60)) * (0.85 ** np.arange(60))) @ np.linalg.qr(rng.normal(size=(60, 60)))[0]
save("big", big, PCA(n_components=8, svd_solver="full").fit(big))
save("incr", tall, IncrementalPCA(n_components=5, batch_size=60).fit(tall))
