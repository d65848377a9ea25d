#!/usr/bin/env python3
"""Writes the .npy fixtures of tests/core/test_npy.cpp with NumPy (Debian python3-numpy 1.24).

Run once from this folder:  /usr/bin/python3 make_npy_fixtures.py
Every file holds values the test recomputes: m[i, j] = i * 10 + j (+ 0.5 for floats).
"""
import numpy as np
from numpy.lib import format as npf

def matrix(dtype):
    m = np.arange(3)[:, None] * 10 + np.arange(4)[None, :]
    return (m + 0.5).astype(dtype) if np.dtype(dtype).kind == "f" else m.astype(dtype)

for name, dtype in [("f4", np.float32), ("f8", np.float64), ("i4", np.int32), ("i8", np.int64)]:
    np.save(f"npy/m_{name}.npy", matrix(dtype))
np.save("npy/v_i8.npy", np.array([5, -1, 7], dtype=np.int64))
np.save("npy/fortran.npy", np.asfortranarray(matrix(np.float32)))
np.save("npy/big_endian.npy", matrix(">f4"))
np.save("npy/complex.npy", matrix(np.float32).astype(np.complex64))
np.save("npy/rank3.npy", np.zeros((2, 2, 2), dtype=np.float32))
np.save("npy/empty.npy", np.zeros((0, 4), dtype=np.float32))
for version in [(2, 0), (3, 0)]:
    with open(f"npy/m_f4_v{version[0]}.npy", "wb") as f:
        npf.write_array(f, matrix(np.float32), version=version)
