#!/usr/bin/env python3
"""Reference k-NN for tests/index/test_flat.cpp, computed with FAISS (Debian python3-faiss 1.7.3).

Run once from this folder:  /usr/bin/python3 make_flat_fixture.py
base: 500 x 24 float32 normal (seed 7); queries: 30 x 24; k = 10.
l2_ids/l2_d2: IndexFlatL2 (squared distances); ip_ids/ip_sim: IndexFlatIP (inner products).
"""
import faiss
import numpy as np

rng = np.random.default_rng(7)
base = rng.standard_normal((500, 24)).astype(np.float32)
queries = rng.standard_normal((30, 24)).astype(np.float32)
np.save("flat/base.npy", base)
np.save("flat/queries.npy", queries)
for name, index in [("l2", faiss.IndexFlatL2(24)), ("ip", faiss.IndexFlatIP(24))]:
    index.add(base)
    d, i = index.search(queries, 10)
    np.save(f"flat/{name}_ids.npy", i.astype(np.int64))
    np.save(f"flat/{name}_dist.npy", d.astype(np.float32))
