"""The machine's Debian package catalog as text documents (shared by the bench scripts).

documents() returns one document per package, in catalog order, first occurrence of each name
only: the name with dashes as spaces, the section, and the description (the one-liner, then the
long description where apt has it). The parsing of `apt-cache dumpavail` is the product
clustering example's (examples/product_clustering/debian_catalog_csv.py).
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "examples", "product_clustering"))
from debian_catalog_csv import stanzas  # noqa: E402


def documents():
    docs = []
    for f in stanzas():
        description = f["Description"] + (" " + f["long"] if f["long"] else "")
        docs.append(" ".join([f["Package"].replace("-", " "), f.get("Section", ""), description]))
    return docs
