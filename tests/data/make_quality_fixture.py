#!/usr/bin/env python3
"""Reference segment-quality values for tests/quality/, computed with scikit-learn 1.2.1 (Debian
python3-sklearn). Run once from this folder:  /usr/bin/python3 make_quality_fixture.py

Internal scores, per case <c>: quality/<c>_X.npy (float64), <c>_labels.npy (int32),
<c>_silhouette.npy (silhouette_samples, float64) and <c>_scores.npy =
[silhouette_score, davies_bouldin_score, calinski_harabasz_score] (float64).
  blobs3d    600 points, 5 Gaussian blobs in 3-D, labels from the generator with 5 % reassigned
  noisy20d   500 points in 20-D, 4 blobs, 10 % of labels -1 (scikit-learn treats -1 as a label)
  singleton  blobs3d's first 80 rows with one cluster of a single point and two exact duplicates
  cosine8d   300 points, 6 directions in 8-D, silhouette with metric="cosine"
  manhattan  blobs3d, silhouette with metric="manhattan"
For cosine8d and manhattan only the silhouette values use that metric (DB and CH are Euclidean).

External scores, per case <c>: quality/ext_<c>_true.npy, ext_<c>_pred.npy (int32) and
ext_<c>_scores.npy = [ARI, NMI arithmetic, geometric, min, max, AMI arithmetic, geometric, min,
max, homogeneity, completeness, V-measure, Fowlkes-Mallows, mutual information (nats), purity]
(purity = sum over predicted clusters of the largest true-class count, over n; not in
scikit-learn, computed here from its contingency_matrix).
  random     2,000 samples, 7 true classes, 5 predicted, independent (AMI near 0)
  close      1,000 samples, 6 classes, predicted = true with 8 % reassigned, labels renamed
  many       3,000 samples, 40 classes vs 200 clusters (expected-MI terms with many cells)
  noise      800 samples with -1 in both (just another label to scikit-learn)
  single     500 samples, one true class vs 3 clusters (degenerate entropy)

Trustworthiness, per case <c>: quality/tw_<c>_X.npy, tw_<c>_Y.npy (float64) and
tw_<c>_scores.npy = [trustworthiness(k=5), (k=10), (k=10, metric="cosine")]
  pca        400 points in 12-D, 4 blobs, Y its first two principal axes
  noisy      300 points in 6-D, Y = two coordinates plus noise
"""
import numpy as np
from sklearn import metrics
from sklearn.datasets import make_blobs
from sklearn.manifold import trustworthiness

rng = np.random.RandomState(11)


def internal(name, X, labels, metric="euclidean"):
    labels = labels.astype(np.int32)
    s = metrics.silhouette_samples(X, labels, metric=metric)
    scores = [float(np.mean(s)), metrics.davies_bouldin_score(X, labels), metrics.calinski_harabasz_score(X, labels)]
    np.save(f"quality/{name}_X.npy", X.astype(np.float64))
    np.save(f"quality/{name}_labels.npy", labels)
    np.save(f"quality/{name}_silhouette.npy", s.astype(np.float64))
    np.save(f"quality/{name}_scores.npy", np.array(scores, dtype=np.float64))
    print(name, X.shape, scores)


def external(name, a, b):
    a = a.astype(np.int32)
    b = b.astype(np.int32)
    avgs = ["arithmetic", "geometric", "min", "max"]
    c = metrics.cluster.contingency_matrix(a, b)
    scores = [metrics.adjusted_rand_score(a, b)]
    scores += [metrics.normalized_mutual_info_score(a, b, average_method=m) for m in avgs]
    scores += [metrics.adjusted_mutual_info_score(a, b, average_method=m) for m in avgs]
    scores += list(metrics.homogeneity_completeness_v_measure(a, b))
    scores += [metrics.fowlkes_mallows_score(a, b), metrics.mutual_info_score(a, b), c.max(axis=0).sum() / len(a)]
    np.save(f"quality/ext_{name}_true.npy", a)
    np.save(f"quality/ext_{name}_pred.npy", b)
    np.save(f"quality/ext_{name}_scores.npy", np.array(scores, dtype=np.float64))
    print("ext", name, np.round(scores, 4))


def trust(name, X, Y):
    scores = [trustworthiness(X, Y, n_neighbors=5), trustworthiness(X, Y, n_neighbors=10),
              trustworthiness(X, Y, n_neighbors=10, metric="cosine")]
    np.save(f"quality/tw_{name}_X.npy", X.astype(np.float64))
    np.save(f"quality/tw_{name}_Y.npy", Y.astype(np.float64))
    np.save(f"quality/tw_{name}_scores.npy", np.array(scores, dtype=np.float64))
    print("tw", name, scores)


b3, y3 = make_blobs(n_samples=600, n_features=3, centers=5, cluster_std=1.2, random_state=1)
flip = rng.rand(len(y3)) < 0.05
y3 = np.where(flip, rng.randint(0, 5, size=len(y3)), y3)
internal("blobs3d", b3, y3)

b20, y20 = make_blobs(n_samples=500, n_features=20, centers=4, cluster_std=2.0, random_state=2)
y20 = np.where(rng.rand(len(y20)) < 0.10, -1, y20)
internal("noisy20d", b20, y20)

xs = b3[:80].copy()
ys = y3[:80].copy()
ys[7] = 9          # a cluster of one point: its silhouette is 0
xs[12] = xs[13]    # exact duplicates
internal("singleton", xs, ys)

dirs = rng.normal(size=(6, 8))
cos = np.vstack([d * rng.uniform(0.5, 4.0, size=(50, 1)) + rng.normal(scale=0.4, size=(50, 8)) for d in dirs])
internal("cosine8d", cos, np.repeat(np.arange(6), 50), metric="cosine")
internal("manhattan", b3, y3, metric="manhattan")

external("random", rng.randint(0, 7, size=2000), rng.randint(0, 5, size=2000))
t = rng.randint(0, 6, size=1000)
p = np.where(rng.rand(1000) < 0.08, rng.randint(0, 6, size=1000), t)
external("close", t, (p * 7 + 3) % 11)
t = rng.randint(0, 40, size=3000)
external("many", t, (t * 5 + rng.randint(0, 5, size=3000)) % 200)
t = rng.randint(-1, 4, size=800)
external("noise", t, np.where(rng.rand(800) < 0.2, -1, t))
external("single", np.zeros(500, dtype=np.int32), rng.randint(0, 3, size=500))

Xt, _ = make_blobs(n_samples=400, n_features=12, centers=4, cluster_std=2.5, random_state=3)
Xc = Xt - Xt.mean(axis=0)
_, _, vt = np.linalg.svd(Xc, full_matrices=False)
trust("pca", Xt, Xc @ vt[:2].T)
Xn = rng.normal(size=(300, 6))
trust("noisy", Xn, Xn[:, :2] + rng.normal(scale=0.3, size=(300, 2)))
