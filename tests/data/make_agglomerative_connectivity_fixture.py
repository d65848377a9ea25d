#!/usr/bin/env python3
"""Reference trees under connectivity constraints for tests/cluster/test_agglomerative.cpp,
computed with scikit-learn 1.2.1 (Debian python3-sklearn). Run once from this folder, after
make_agglomerative_fixture.py (it reads agglomerative/X.npy, 300 x 4):
/usr/bin/python3 make_agglomerative_connectivity_fixture.py

Every case runs AgglomerativeClustering(n_clusters=4, linkage=..., connectivity=G,
compute_full_tree=True, compute_distances=True) and saves children_ ((n-1) x 2, int64),
distances_ and labels_ as agglomerative/conn_<case>_{children,distances,labels}.npy, and
n_connected_components_ as conn_<case>_components.npy (one int64). G is kneighbors_graph(X, k) (include_self=False,
symmetrised by scikit-learn), except 'edges': an explicit graph, the 3-NN graph, whose edge list
is saved as conn_edges_graph.npy (m x 2, int64) for the fit(x, graph) overload. The 'pieces'
cases use agglomerative/X_pieces.npy (150 x 2: three tight, distant blobs, make_blobs
random_state=3) whose 4-NN graph falls apart, so scikit-learn first joins the pieces.
"""
import numpy as np
from sklearn.cluster import AgglomerativeClustering
from sklearn.datasets import make_blobs
from sklearn.neighbors import kneighbors_graph

X = np.load("agglomerative/X.npy")
P, _ = make_blobs(n_samples=150, centers=[[0, 0], [10, 0], [0, 10]], cluster_std=0.5, random_state=3)
np.save("agglomerative/X_pieces.npy", P)
cases = {
    "ward10": dict(linkage="ward", k=10),
    "ward4": dict(linkage="ward", k=4),
    "complete10": dict(linkage="complete", k=10),
    "average10": dict(linkage="average", k=10),
    "single10": dict(linkage="single", k=10),
    "cosine10": dict(linkage="average", k=10, metric="cosine"),
    "edges": dict(linkage="average", k=3),
    "pieces_ward": dict(linkage="ward", k=4, data=P),
    "pieces_average": dict(linkage="average", k=4, data=P),
    "pieces_single": dict(linkage="single", k=4, data=P),
}
components = {}
for name, c in cases.items():
    metric = c.get("metric", "euclidean")
    data = c.get("data", X)
    g = kneighbors_graph(data, c["k"], metric=metric, include_self=False)
    if name == "edges":
        coo = g.tocoo()
        np.save("agglomerative/conn_edges_graph.npy", np.ascontiguousarray(np.vstack([coo.row, coo.col]).T, dtype=np.int64))
    m = AgglomerativeClustering(n_clusters=4, linkage=c["linkage"], metric=metric, connectivity=g,
                                compute_full_tree=True, compute_distances=True).fit(data)
    np.save(f"agglomerative/conn_{name}_children.npy", m.children_.astype(np.int64))
    np.save(f"agglomerative/conn_{name}_distances.npy", m.distances_)
    np.save(f"agglomerative/conn_{name}_labels.npy", m.labels_.astype(np.int32))
    np.save(f"agglomerative/conn_{name}_components.npy", np.array([m.n_connected_components_], dtype=np.int64))
    components[name] = int(m.n_connected_components_)
# A distance threshold on a constrained Ward tree (heights need not increase there).
g = kneighbors_graph(X, 4, include_self=False)
t = AgglomerativeClustering(n_clusters=None, distance_threshold=6.0, linkage="ward", connectivity=g).fit(X)
np.save("agglomerative/conn_threshold_labels.npy", t.labels_.astype(np.int32))
print(components, "threshold clusters", t.n_clusters_)
