"""The machine's Debian package catalog as text documents (shared by the bench scripts).

documents() runs `apt-cache dumpavail` and returns one document per package, in catalog order,
first occurrence of each name only: the name with dashes as spaces, the section, and the whole
description (continuation lines joined).
"""
import subprocess


def documents():
    raw = subprocess.run(["apt-cache", "dumpavail"], check=True, capture_output=True, text=True).stdout
    docs, seen = [], set()
    for block in raw.split("\n\n"):
        fields, last = {}, None
        for line in block.splitlines():
            if line.startswith(" ") and last == "Description":
                fields["Description"] += " " + line.strip()
            elif ":" in line:
                last, _, value = line.partition(":")
                fields[last] = value.strip()
        name = fields.get("Package")
        if not name or name in seen or "Description" not in fields:
            continue
        seen.add(name)
        docs.append(" ".join([name.replace("-", " "), fields.get("Section", ""), fields["Description"]]))
    return docs
