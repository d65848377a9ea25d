#!/usr/bin/env python3
"""Reference scalers and one-hot encodings for tests/embed/test_tabular.cpp, computed with
scikit-learn 1.2.1 (Debian python3-sklearn). Run once from this folder:
    /usr/bin/python3 make_tabular_fixture.py

tabular/X.npy: 60 x 4 float64 (numpy seed 3): a normal column, a skewed (log-normal) one with two
large outliers, a constant one, an integer-valued one.
  standard_center.npy / standard_scale.npy   StandardScaler().mean_ / .scale_
  robust_center.npy / robust_scale.npy       RobustScaler().center_ / .scale_
  robust1090_scale.npy                       RobustScaler(quantile_range=(10, 90)).scale_
  standard_Y.npy                             StandardScaler().fit_transform(X)
tabular/cats.txt: 60 lines "colour,size,shop" (values from small alphabets, some rare);
tabular/cats_new.txt: 5 lines to transform, with unseen values.
  onehot_Y.npy      OneHotEncoder(handle_unknown="ignore", min_frequency=6, sparse_output=False)
                    .fit(cats).transform(cats_new) (float64)
  onehot_names.txt  its get_feature_names_out() with "infrequent_sklearn" as written by scikit-learn
"""
import numpy as np
from sklearn.preprocessing import OneHotEncoder, RobustScaler, StandardScaler

rng = np.random.RandomState(3)
X = np.column_stack([rng.normal(5, 2, 60), rng.lognormal(0, 1, 60), np.full(60, 7.0), rng.randint(0, 10, 60).astype(float)])
X[4, 1] = 80.0
X[9, 1] = 120.0
np.save("tabular/X.npy", X)
s = StandardScaler().fit(X)
np.save("tabular/standard_center.npy", s.mean_)
np.save("tabular/standard_scale.npy", s.scale_)
np.save("tabular/standard_Y.npy", s.transform(X))
r = RobustScaler().fit(X)
np.save("tabular/robust_center.npy", r.center_)
np.save("tabular/robust_scale.npy", r.scale_)
np.save("tabular/robust1090_scale.npy", RobustScaler(quantile_range=(10, 90)).fit(X).scale_)

colours = ["red", "green", "blue", "black", "white", "teal", "ochre"]
sizes = ["S", "M", "L", "XL", "XXL"]
shops = ["north", "south", "east", "west", "online", "kiosk"]
p_col = [0.3, 0.25, 0.2, 0.1, 0.1, 0.03, 0.02]
p_size = [0.2, 0.35, 0.3, 0.1, 0.05]
rows = [(rng.choice(colours, p=p_col), rng.choice(sizes, p=p_size), rng.choice(shops)) for _ in range(60)]
with open("tabular/cats.txt", "w") as f:
    for r_ in rows:
        f.write(",".join(r_) + "\n")
new = [("red", "M", "online"), ("purple", "S", "moon"), ("teal", "XXL", "kiosk"), ("ochre", "XL", "north"), ("black", "L", "west")]
with open("tabular/cats_new.txt", "w") as f:
    for r_ in new:
        f.write(",".join(r_) + "\n")
enc = OneHotEncoder(handle_unknown="ignore", min_frequency=6, sparse_output=False).fit(np.array(rows))
np.save("tabular/onehot_Y.npy", enc.transform(np.array(new)).astype(np.float64))
with open("tabular/onehot_names.txt", "w") as f:
    for name in enc.get_feature_names_out(["colour", "size", "shop"]):
        f.write(name + "\n")
print(enc.get_feature_names_out(["colour", "size", "shop"]))
