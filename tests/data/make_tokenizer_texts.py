#!/usr/bin/env python3
"""Real texts for the tokenizer parity tests (tests/embed/test_hf_tokenizer.cpp), written once to
tokenizers/texts.jsonl (one JSON string per line) with Debian's python3 on a bookworm machine:
    /usr/bin/python3 make_tokenizer_texts.py

The texts (10,300, deterministic given this machine's package catalog and documentation):
  6,500  package descriptions from `apt-cache dumpavail` (every 9th package's Description line)
  2,500  paragraphs of /usr/share/doc/*/README* and copyright files (40 to 1,500 characters)
  1,180  of those texts changed to stress tokenizers: accents (precomposed and combining), CJK,
         Japanese and Korean, emoji (with ZWJ sequences and skin tones), control characters,
         zero-width characters and the BOM, Arabic and Hebrew, non-breaking and ideographic
         spaces, tabs and newlines, full-width forms, and special-token spellings in the text
    120  texts of 3,000 to 6,000 characters (paragraphs joined) for truncation
The reference token ids are computed from this file by make_tokenizer_ids.mjs (transformers.js)
and make_unigram_fixture.sh (sentencepiece).
"""
import glob
import json
import random
import subprocess

rng = random.Random(20261207)
texts = []

# 1. package descriptions
dump = subprocess.run(["apt-cache", "dumpavail"], capture_output=True, text=True, check=True).stdout
descriptions = [line[len("Description: "):] for line in dump.splitlines() if line.startswith("Description: ")]
descriptions = sorted(set(descriptions))
texts += descriptions[::9][:6500]

# 2. documentation paragraphs
paragraphs = []
for path in sorted(glob.glob("/usr/share/doc/*/README*") + glob.glob("/usr/share/doc/*/copyright")):
    if path.endswith(".gz"):
        continue
    try:
        with open(path, encoding="utf-8") as f:
            body = f.read()
    except (UnicodeDecodeError, OSError):
        continue
    for p in body.split("\n\n"):
        p = p.strip()
        if 40 <= len(p) <= 1500:
            paragraphs.append(p)
paragraphs = sorted(set(paragraphs))
rng.shuffle(paragraphs)
texts += paragraphs[:2500]

# 3. stressed variants
inserts = ["café", "naïve", "Ångström", "e\u0301te\u0301", "Zürich", "São Paulo", "中文分词", "東京タワー", "한국어 텍스트",
           "😀", "👩‍👩‍👧", "👍🏽", "🇫🇷", "\x01", "\x7f", "\u0085", "\u200b", "\u200d", "\ufeff", "\u2028",
           "مرحبا بالعالم", "שלום עולם", "\u00a0", "\u3000", "\t", "\n", "\r\n", "ＦＵＬＬ　ｗｉｄｔｈ", "①②③",
           "[CLS]", "[SEP]", "[MASK]", "[PAD]", "<|endoftext|>", "<|startoftext|>", "<s>", "</s>", "<unk>",
           "don't", "it's", "I'LL", "we've", "x²", "½", "ﬁ", "Ⅻ", "™", "℃", "μ", "ß", "İstanbul", "ǅ", "ΣΊΣΥΦΟΣ",
           "\U0001d400\U0001d401", "‐‑‒–—", "«»„“”", "¿¡", "…", "···", "$100.00", "3,14", "1e-5", "IPv6 ::1"]
base = texts[:]
for i in range(1180):
    t = rng.choice(base)
    words = t.split(" ")
    for _ in range(rng.randint(1, 4)):
        words.insert(rng.randint(0, len(words)), rng.choice(inserts))
    sep = rng.choice([" ", " ", "", "  "])
    texts.append(sep.join(words))

# 4. long texts
for i in range(120):
    parts, n = [], 0
    target = rng.randint(3000, 6000)
    while n < target:
        p = rng.choice(paragraphs)
        parts.append(p)
        n += len(p) + 2
    texts.append("\n\n".join(parts)[:target])

with open("tokenizers/texts.jsonl", "w", encoding="utf-8") as f:
    for t in texts:
        f.write(json.dumps(t, ensure_ascii=False) + "\n")
print(len(texts), "texts")
