#!/usr/bin/env python3
"""Reference drift statistics for tests/monitor/, computed with scipy 1.10.1 (Debian
python3-scipy). Run once from this folder:  /usr/bin/python3 make_drift_fixture.py

Kolmogorov-Smirnov, per case <c>: monitor/ks_<c>_a.npy, ks_<c>_b.npy (float64 samples) and
ks_<c>_result.npy = [statistic, p-value, method] with method 0 = auto, 1 = exact, 2 = asymp
(scipy.stats.ks_2samp(a, b, method=...), two-sided):
  same50     50 vs 50 from one normal (exact, equal sizes)
  shift      80 vs 120, the second shifted by 0.5 (exact, unequal sizes)
  ties       300 vs 260 integers 0..9 (ties inside and across the samples)
  mid        2,000 vs 3,000, shift 0.08 (exact lattice count, p moderate)
  big        15,000 vs 12,000, shift 0.01 (asymptotic, p near 1: the series regime)
  bigdrift   20,000 vs 20,000, shift 0.05 (asymptotic, p small: the one-sided sum regime)
  lopsided   12,000 vs 100 (asymptotic with n ~ 99: the matrix regime)
  forced     2,000 vs 3,000 of "mid" with method="asymp"
  mid2       3,000 vs 2,500, shift 0.03, method="asymp" (n ~ 1364, the series regime)
  dmtw       400 vs the same 400 plus noise 0.02, method="asymp" (n = 200, small d: the matrix regime)

Chi-square, per case <c>: monitor/chi2_<c>_table.npy (int64 counts) and chi2_<c>_result.npy =
[statistic, p-value, dof] (scipy.stats.chi2_contingency, Yates' correction where dof = 1):
  two_by_five, two_by_two, three_by_four

chi2_sf.npy: rows [x, dof, scipy.stats.chi2.sf(x, dof)].

Welch's t-test, per case <c>: monitor/welch_<c>_a.npy, welch_<c>_b.npy and welch_<c>_result.npy =
[t, p-value] (scipy.stats.ttest_ind(a, b, equal_var=False)): small (8 vs 11), shifted (300 vs
120, shift 0.3, different spreads), equal (500 vs 500 from one normal).
t_sf.npy: rows [t, dof, scipy.stats.t.sf(t, dof)].
"""
import numpy as np
from scipy import stats

rng = np.random.RandomState(5)


def ks(name, a, b, method="auto"):
    r = stats.ks_2samp(a, b, method=method)
    code = {"auto": 0, "exact": 1, "asymp": 2}[method]
    np.save(f"monitor/ks_{name}_a.npy", np.asarray(a, dtype=np.float64))
    np.save(f"monitor/ks_{name}_b.npy", np.asarray(b, dtype=np.float64))
    np.save(f"monitor/ks_{name}_result.npy", np.array([r.statistic, r.pvalue, code], dtype=np.float64))
    print("ks", name, len(a), len(b), r.statistic, r.pvalue)


ks("same50", rng.normal(size=50), rng.normal(size=50))
ks("shift", rng.normal(size=80), rng.normal(size=120) + 0.5)
ks("ties", rng.randint(0, 10, size=300), rng.randint(0, 10, size=260) + (rng.rand(260) < 0.15))
mid_a, mid_b = rng.normal(size=2000), rng.normal(size=3000) + 0.08
ks("mid", mid_a, mid_b)
ks("big", rng.normal(size=15000), rng.normal(size=12000) + 0.01)
ks("bigdrift", rng.normal(size=20000), rng.normal(size=20000) + 0.05)
ks("lopsided", rng.normal(size=12000), rng.normal(size=100) + 0.1)
ks("forced", mid_a, mid_b, method="asymp")
ks("mid2", rng.normal(size=3000), rng.normal(size=2500) + 0.03, method="asymp")
near = rng.normal(size=400)
ks("dmtw", near, near + rng.normal(scale=0.02, size=400), method="asymp")


def chi2(name, table):
    table = np.asarray(table, dtype=np.int64)
    stat, p, dof, _ = stats.chi2_contingency(table)
    np.save(f"monitor/chi2_{name}_table.npy", table)
    np.save(f"monitor/chi2_{name}_result.npy", np.array([stat, p, dof], dtype=np.float64))
    print("chi2", name, stat, p, dof)


chi2("two_by_five", [[120, 80, 45, 30, 25], [100, 95, 60, 20, 25]])
chi2("two_by_two", [[30, 12], [18, 25]])
chi2("three_by_four", [[20, 15, 30, 35], [25, 25, 25, 25], [10, 30, 40, 20]])

rows = [[x, k, stats.chi2.sf(x, k)] for x, k in [(0.5, 1), (3.84, 1), (12.0, 4), (40.0, 9), (150.0, 100), (0.01, 30), (250.0, 120)]]
np.save("monitor/chi2_sf.npy", np.array(rows, dtype=np.float64))
print(rows)


def welch(name, a, b):
    r = stats.ttest_ind(a, b, equal_var=False)
    np.save(f"monitor/welch_{name}_a.npy", np.asarray(a, dtype=np.float64))
    np.save(f"monitor/welch_{name}_b.npy", np.asarray(b, dtype=np.float64))
    np.save(f"monitor/welch_{name}_result.npy", np.array([r.statistic, r.pvalue], dtype=np.float64))
    print("welch", name, r.statistic, r.pvalue)


welch("small", rng.normal(size=8), rng.normal(size=11) + 0.9)
welch("shifted", rng.normal(size=300), rng.normal(scale=2.0, size=120) + 0.3)
welch("equal", rng.normal(size=500), rng.normal(size=500))
trows = [[t, k, stats.t.sf(t, k)] for t, k in [(0.5, 3), (2.0, 7.5), (4.2, 120), (-1.3, 12), (12.0, 40.2), (0.0, 5)]]
np.save("monitor/t_sf.npy", np.array(trows, dtype=np.float64))
print(trows)
