#!/usr/bin/env python3
"""Writes this machine's Debian package catalog as a product-like CSV for product_clustering.

Reads `apt-cache dumpavail` (the first occurrence of each package) and writes the columns
  title        the package name and its one-line description
  description  the long description (continuation lines joined, "." paragraph marks dropped)
  category     the Section without its area prefix ("contrib/games" -> "games")
Usage: debian_catalog_csv.py [out.csv]   (default: debian_catalog.csv)
"""
import csv
import subprocess
import sys


def stanzas():
    """Each package's fields from `apt-cache dumpavail`, first occurrence of each name only, in
    catalog order; "Description" is the one-liner and "long" the continuation lines (paragraph
    marks "." dropped)."""
    raw = subprocess.run(["apt-cache", "dumpavail"], check=True, capture_output=True, text=True).stdout
    seen = set()
    for block in raw.split("\n\n"):
        fields, last, long_lines = {}, None, []
        for line in block.splitlines():
            if line.startswith(" ") and last == "Description":
                if line.strip() != ".":
                    long_lines.append(line.strip())
            elif ":" in line:
                last, _, value = line.partition(":")
                fields[last] = value.strip()
        name = fields.get("Package")
        if not name or name in seen or "Description" not in fields:
            continue
        seen.add(name)
        fields["long"] = " ".join(long_lines)
        yield fields


def packages():
    for f in stanzas():
        yield {"title": f"{f['Package']}: {f['Description']}", "description": f["long"],
               "category": f.get("Section", "unknown").split("/")[-1]}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "debian_catalog.csv"
    rows = list(packages())
    with open(out, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=["title", "description", "category"])
        w.writeheader()
        w.writerows(rows)
    print(f"{out}: {len(rows)} packages in {len({r['category'] for r in rows})} sections")


if __name__ == "__main__":
    main()
