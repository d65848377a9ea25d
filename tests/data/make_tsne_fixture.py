#!/usr/bin/env python3
"""Reference t-SNE affinities for tests/reduce/test_tsne.cpp, computed with scikit-learn 1.2.1.
Run once from this folder:  /usr/bin/python3 make_tsne_fixture.py

  tsne/X.npy      the first 200 rows of scikit-learn's digits (float64)
  tsne/knn.npy    their 31 nearest neighbours (self excluded), int64 (perplexity 10: 3 * 10 + 1)
  tsne/d2.npy     the squared Euclidean distances to them (float64)
  tsne/cond.npy   sklearn.manifold._utils._binary_search_perplexity(d2 as float32, 10) (float64)
  tsne/P.npy      the joint affinities _joint_probabilities_nn gives, as rows [i, j, p_ij]
"""
import numpy as np
from scipy.sparse import csr_matrix
from sklearn.datasets import load_digits
from sklearn.manifold._t_sne import _joint_probabilities_nn
from sklearn.manifold._utils import _binary_search_perplexity
from sklearn.neighbors import NearestNeighbors

X = load_digits().data[:200].astype(np.float64)
k = 31
d, idx = NearestNeighbors(n_neighbors=k + 1).fit(X).kneighbors(X)
d, idx = d[:, 1:], idx[:, 1:]
d2 = d ** 2
cond = _binary_search_perplexity(d2.astype(np.float32), 10.0, 0)
dist = csr_matrix((d2.ravel().copy(), idx.ravel().copy(), np.arange(0, 200 * k + 1, k)), shape=(200, 200))
P = _joint_probabilities_nn(dist, 10.0, 0).tocoo()
np.save("tsne/X.npy", X)
np.save("tsne/knn.npy", idx.astype(np.int64))
np.save("tsne/d2.npy", d2)
np.save("tsne/cond.npy", cond.astype(np.float64))
np.save("tsne/P.npy", np.stack([P.row.astype(np.float64), P.col.astype(np.float64), P.data.astype(np.float64)], axis=1))
print(cond.shape, P.nnz, P.data.sum())
