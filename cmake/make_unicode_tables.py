#!/usr/bin/python3
"""Writes include/segkit/core/detail/unicode_tables.hpp: the Unicode character properties segkit's
text code needs, taken from the Python that runs this script (Debian 12's python3 3.11: Unicode
14.0.0), so that segkit's tokenizers read text as Python's str methods, `re` and the `regex`
module do (scikit-learn's analyzers, BERT's and CLIP's reference tokenizers are Python).

Run:  /usr/bin/python3 cmake/make_unicode_tables.py   (from the repository root)

Tables (all sorted for binary search):
- property_runs: (first code point << 8) | flags for every run of code points with equal flags;
  flags = general category index (bits 0-4, order of `CATEGORIES`), cased (bit 5),
  case-ignorable (bit 6).
- lower_from / lower_to: str.lower() of every code point whose lower case differs, as one code
  point (U+0130's full lower case "i" U+0307 is handled in code; its entry holds the simple "i").
- ccc: (code point << 8) | canonical combining class, for classes other than 0.
- decomp_from / decomp_at / decomp_data: full (recursive) canonical decompositions, Hangul
  syllables excepted (algorithmic); decomp_at holds (offset << 3) | length into decomp_data.
- compose_pairs / compose_to: (first << 21) | second -> primary composite, for every two-code-point
  canonical decomposition whose composite NFC keeps (composition exclusions and singletons drop out).

"cased" and "case-ignorable" (Unicode's definitions, which Python's final-sigma rule in str.lower()
reads) are not exposed by unicodedata; they are measured through str.lower() itself: a capital
sigma after a character c becomes final (ς) exactly when c is cased and not case-ignorable
("c" + "Σ"), and after "A" + c exactly when c is case-ignorable or cased ("A" + c + "Σ").
"""
import os
import sys
import unicodedata as ud

CATEGORIES = "Lu Ll Lt Lm Lo Mn Mc Me Nd Nl No Pc Pd Ps Pe Pi Pf Po Sm Sc Sk So Zs Zl Zp Cc Cf Cs Co Cn".split()
CAT_INDEX = {c: i for i, c in enumerate(CATEGORIES)}
MAX = 0x110000
HANGUL_FIRST, HANGUL_LAST = 0xAC00, 0xAC00 + 11172 - 1


def flags(cp):
    ch = chr(cp)
    cat = ud.category(ch)
    f = CAT_INDEX[cat]
    if 0xD800 <= cp <= 0xDFFF:  # surrogates: no case behaviour (and not encodable in str.lower tests)
        return f
    final_after = ("A" + ch + "\u03a3").lower()[-1] == "\u03c2"
    final_right_after = (ch + "\u03a3").lower()[-1] == "\u03c2"
    ignorable = final_after and not final_right_after
    cased = final_right_after or (ignorable and (ch.islower() or ch.isupper() or ch.istitle()))
    f |= (1 << 5) if cased else 0
    f |= (1 << 6) if ignorable else 0
    return f


def full_decomposition(cp):
    d = ud.decomposition(chr(cp))
    if not d or d.startswith("<"):
        return [cp]
    out = []
    for part in d.split():
        out.extend(full_decomposition(int(part, 16)))
    return out


def emit(name, ctype, values, out, per_line=12, width=None):
    out.append(f"inline constexpr {ctype} {name}[] = {{")
    for i in range(0, len(values), per_line):
        chunk = values[i:i + per_line]
        out.append("    " + ", ".join(f"0x{v:0{width}x}" if width else f"0x{v:x}" for v in chunk) + ",")
    out.append("};")


def main():
    runs = []
    prev = None
    for cp in range(MAX):
        f = flags(cp)
        if f != prev:
            runs.append((cp << 8) | f)
            prev = f

    lower_from, lower_to = [], []
    for cp in range(MAX):
        if 0xD800 <= cp <= 0xDFFF:
            continue
        low = chr(cp).lower()
        if low != chr(cp):
            lower_from.append(cp)
            lower_to.append(ord(low[0]))  # U+0130 -> "i" + U+0307: first code point here
            assert len(low) == 1 or cp == 0x130, hex(cp)

    ccc = [(cp << 8) | ud.combining(chr(cp)) for cp in range(MAX) if ud.combining(chr(cp))]

    decomp_from, decomp_at, decomp_data = [], [], []
    for cp in range(MAX):
        if HANGUL_FIRST <= cp <= HANGUL_LAST:
            continue
        full = full_decomposition(cp)
        if full != [cp]:
            assert len(full) <= 7
            assert "".join(map(chr, full)) == ud.normalize("NFD", chr(cp)), hex(cp)
            decomp_from.append(cp)
            assert len(decomp_data) < (1 << 13)
            decomp_at.append((len(decomp_data) << 3) | len(full))
            decomp_data.extend(full)

    pairs = []
    for cp in range(MAX):
        if HANGUL_FIRST <= cp <= HANGUL_LAST:
            continue
        d = ud.decomposition(chr(cp))
        if not d or d.startswith("<"):
            continue
        parts = [int(p, 16) for p in d.split()]
        if len(parts) == 2 and ud.normalize("NFC", chr(cp)) == chr(cp):
            pairs.append(((parts[0] << 21) | parts[1], cp))
    pairs.sort()
    # unicode.hpp skips normalisation for text below U+0300: nothing there decomposes into, or
    # composes from, anything but itself.
    assert all(ud.normalize("NFC", chr(cp)) == chr(cp) and not ud.combining(chr(cp)) for cp in range(0x300))
    assert all((k & ((1 << 21) - 1)) >= 0x300 for k, _ in pairs)
    assert min(decomp_from) >= 0xC0  # and NFD passes everything below U+00C0 through

    out = [
        "#pragma once",
        "// Generated by cmake/make_unicode_tables.py from Python " + sys.version.split()[0] + "'s unicodedata (Unicode "
        + ud.unidata_version + "). Do not edit: run the script. See that script for the tables' layout.",
        "#include <cstdint>",
        "",
        "namespace segkit::unicode::detail {",
        "",
        f'inline constexpr char unicode_version[] = "{ud.unidata_version}";',
    ]
    emit("property_runs", "std::uint32_t", runs, out)
    emit("lower_from", "std::uint32_t", lower_from, out)
    emit("lower_to", "std::uint32_t", lower_to, out)
    emit("ccc", "std::uint32_t", ccc, out)
    emit("decomp_from", "std::uint32_t", decomp_from, out)
    emit("decomp_at", "std::uint16_t", decomp_at, out)
    emit("decomp_data", "std::uint32_t", decomp_data, out)
    emit("compose_pairs", "std::uint64_t", [k for k, _ in pairs], out, per_line=8)
    emit("compose_to", "std::uint32_t", [v for _, v in pairs], out)
    out += ["", "}  // namespace segkit::unicode::detail", ""]
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "include", "segkit", "core", "detail", "unicode_tables.hpp")
    with open(path, "w", encoding="ascii") as f:
        f.write("\n".join(out))
    print(f"{path}: {len(runs)} runs, {len(lower_from)} lower-case mappings, {len(ccc)} combining classes, "
          f"{len(decomp_from)} decompositions ({len(decomp_data)} code points), {len(pairs)} compositions")


if __name__ == "__main__":
    main()
