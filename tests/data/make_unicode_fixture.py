#!/usr/bin/python3
"""Writes tests/data/unicode/cases.json: texts in many scripts, and random code-point strings,
with what Python makes of them. Debian 12: python3 3.11 (Unicode 14.0.0) and python3-regex.

For every text:
- lower: str.lower(); nfc / nfd: unicodedata.normalize
- words: scikit-learn's default word tokens, re.findall(r"(?u)\\b\\w\\w+\\b", text.lower())
- clip: the pre-tokens of CLIP's tokenizer: NFC, runs of white space to one space, stripped,
  lower-cased (Hugging Face's CLIPTokenizerFast normalizer; OpenAI's reference reaches the same
  on clean text through ftfy), then CLIP's pattern with the `regex` module (see CLIP_PATTERN).
- bert / bert_cased: BERT's basic tokenizer as Hugging Face's tokenizers run it (BertNormalizer +
  BertPreTokenizer): drop U+0000, U+FFFD and category C* other than tab, LF and CR; white space to
  spaces; spaces around CJK ideographs; uncased: lower case, NFD and drop Mn; split at white space,
  split off punctuation (ASCII symbols and category P*).

Run from the repository root:  /usr/bin/python3 tests/data/make_unicode_fixture.py
"""
import json
import os
import random
import re
import unicodedata as ud

import regex

# Hugging Face's CLIP pre-tokenizer pattern. OpenAI's reference compiles the same pattern with
# IGNORECASE; on lower-cased text that changes one code point: U+0345 (combining ypogegrammeni,
# which case-folds to a letter) then matches no alternative and is dropped. segkit follows Hugging
# Face (U+0345 stays, in a run of other characters).
CLIP_PATTERN = regex.compile(
    r"""<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+""")

TEXTS = [
    "The quick brown fox — “quoted” and ‘single’ — don't, IT'S, we've, they'll, I'd, she's",
    "Ça coûte 12,50 € à l'hôtel Crème brûlée, naïve façade",
    "Straße STRASSE ẞ groß Öl über",
    "İstanbul'da IŞIK ışık İi Iı",
    "ΟΔΟΣ ΟΔΥΣΣΕΥΣ. ΣΑΣ Σ σ ς Α.Σ. ΑΣ-ΒΣ ᾼΣ Σ̈Α",
    "Москва — столица России. ЁЛКА ёлка",
    "مَرْحَبًا بِالعالَم ١٢٣",
    "שָׁלוֹם עוֹלָם",
    "हिन्दी भाषा ०१२ क्षत्रिय",
    "ภาษาไทย ๑๒๓",
    "中文分词測試，日本語のテキスト。",
    "カ\u3099キ\u3099 か\u3099 ﾊﾟﾝ",
    "\u1100\u1161\u11a8 \u1112\u1161\u11ab\u1100\u1173\u11af 한국어 텍스트",
    "emoji 👍🏽 👨‍👩‍👧 🇫🇷 ok",
    "ＡＢＣ１２３ ｆｕｌｌｗｉｄｔｈ",
    "ﬁnance ﬂow Ⅻ ² ³ ½ ① ⑳ 𝐀𝐁𝐂 𝟏𝟐",
    "Tiếng Việt có dấu: Nguyễn Thị Hường",
    "a\u0301\u0323 e\u0323\u0302 o\u031b\u0300 q\u0307\u0323 \u212b \u2126 \u0344 A\u030a",
    "tab\there\u00a0nbsp\u3000ideo\u2028line\u2029para\u0085nel\u000bvt\u001cfs",
    "ctl\u0000nul\u0007bel\ufffdrep\ue000pua\u0378unassigned\u200bzwsp\u00adshy\ufeffbom",
    "<|startoftext|>Hello<|endoftext|> <|endoftext|>",
    "snake_case __init__ x_1 _",
    "3.14159 1,000,000 2024-12-03 #hashtag @user e-mail: a.b@c.org",
    "Ǆemal ǅemal ǆemal ǈ ǋ ǲ ᾈ ᾼ",
    "ΣΑΣ's ΑΣ'Σ ΑΣ\u0301 ΑΣ\u00adΒ",
]


def bert_basic(text, lower):
    out = []
    for ch in text:
        cp = ord(ch)
        if cp == 0 or cp == 0xFFFD or (ud.category(ch).startswith("C") and ch not in "\t\n\r"):
            continue
        if ch in " \t\n\r" or ud.category(ch) == "Zs":
            out.append(" ")
        elif is_cjk(cp):
            out.append(" " + ch + " ")
        else:
            out.append(ch)
    text = "".join(out)
    if lower:
        text = "".join(c for c in ud.normalize("NFD", text.lower()) if ud.category(c) != "Mn")
    tokens = []
    for word in text.split():
        cur = ""
        for ch in word:
            if is_punct(ch):
                if cur:
                    tokens.append(cur)
                tokens.append(ch)
                cur = ""
            else:
                cur += ch
        if cur:
            tokens.append(cur)
    return tokens


def is_cjk(cp):
    ranges = [(0x4E00, 0x9FFF), (0x3400, 0x4DBF), (0x20000, 0x2A6DF), (0x2A700, 0x2B73F), (0x2B740, 0x2B81F),
              (0x2B820, 0x2CEAF), (0xF900, 0xFAFF), (0x2F800, 0x2FA1F)]
    return any(a <= cp <= b for a, b in ranges)


def is_punct(ch):
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return ud.category(ch).startswith("P")


def clip_words(text):
    t = ud.normalize("NFC", text)
    t = re.sub(r"\s+", " ", t).strip().lower()
    return CLIP_PATTERN.findall(t)


def random_texts(rng, count):
    # Pools weighted towards what normalisation and case rules care about.
    pools = [
        (0x20, 0x7E), (0xA0, 0x24F), (0x300, 0x36F), (0x370, 0x3FF), (0x1F00, 0x1FFF), (0x400, 0x4FF),
        (0x591, 0x5C7), (0x600, 0x6FF), (0x900, 0x97F), (0x1AB0, 0x1AFF), (0x1DC0, 0x1DFF), (0x20D0, 0x20FF),
        (0x1100, 0x11FF), (0xAC00, 0xD7A3), (0x3099, 0x309A), (0x3040, 0x30FF), (0x2000, 0x206F), (0x2150, 0x218F),
        (0xFF00, 0xFFEF), (0x1D400, 0x1D7FF), (0x1F300, 0x1F6FF), (0x10400, 0x1044F), (0x0, 0x2FFFF),
    ]
    special = [0x3A3, 0x130, 0x27, 0x2019, 0xAD, 0xB7, 0x345, 0x1E9E, 0x2126, 0x212B, 0x344, 0x340, 0x341, 0x343]
    out = []
    while len(out) < count:
        n = rng.randint(1, 12)
        cps = []
        for _ in range(n):
            if rng.random() < 0.15:
                cp = rng.choice(special)
            else:
                a, b = rng.choice(pools)
                cp = rng.randint(a, b)
            if 0xD800 <= cp <= 0xDFFF:
                continue
            cps.append(cp)
        if cps:
            out.append("".join(map(chr, cps)))
    return out


def main():
    rng = random.Random(20261203)
    texts = TEXTS + random_texts(rng, 600)
    cases = []
    for t in texts:
        cases.append({
            "text": t,
            "lower": t.lower(),
            "nfc": ud.normalize("NFC", t),
            "nfd": ud.normalize("NFD", t),
            "words": re.findall(r"(?u)\b\w\w+\b", t.lower()),
            "clip": clip_words(t),
            "bert": bert_basic(t, True),
            "bert_cased": bert_basic(t, False),
        })
    here = os.path.dirname(os.path.abspath(__file__))
    os.makedirs(os.path.join(here, "unicode"), exist_ok=True)
    with open(os.path.join(here, "unicode", "cases.json"), "w", encoding="utf-8") as f:
        f.write('{"unicode_version": "%s", "cases": [\n' % ud.unidata_version)
        f.write(",\n".join(json.dumps(c, ensure_ascii=False) for c in cases))
        f.write("\n]}\n")
    print(f"{len(cases)} cases, Unicode {ud.unidata_version}")


if __name__ == "__main__":
    main()
