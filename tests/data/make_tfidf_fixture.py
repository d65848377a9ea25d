#!/usr/bin/env python3
"""Reference TF-IDF and truncated-SVD results for tests/embed/test_tfidf.cpp, computed with
scikit-learn 1.2.1 (Debian python3-sklearn). Run once from this folder:
    /usr/bin/python3 make_tfidf_fixture.py

The corpus is generated here (tfidf/corpus.txt, one document per line): 240 product-like lines
from five topics over made-up words, with upper case, accented letters (é, ü, Ä), digits,
punctuation, underscores, repeated and tab white space, one-letter tokens and empty lines.
Stop words: tfidf/stop.txt (a few of the generated words).

Per case <c>: tfidf/<c>_vocab.txt (one term per line, vocabulary order), <c>_idf.npy,
<c>_rows.npy / <c>_cols.npy (int32) / <c>_vals.npy (float64): the non-zero entries.
  word     TfidfVectorizer(ngram_range=(1, 2), stop_words=stop, sublinear_tf=True, min_df=2, max_df=0.5)
  charwb   TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 3), smooth_idf=False)
  chars    TfidfVectorizer(analyzer="char", ngram_range=(1, 2), lowercase=False, use_idf=False, norm=None)
And the exact truncated SVD of the `word` matrix: TruncatedSVD(n_components=8, algorithm="arpack"):
  svd_sv.npy (singular values), svd_comp.npy (components, 8 x V, signs as scikit-learn leaves
  them), svd_ratio.npy (explained_variance_ratio_).
"""
import numpy as np
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer

rng = np.random.RandomState(5)
syll = ["ka", "lo", "mi", "zu", "re", "ta", "no", "vi", "sa", "pe", "gu", "dé", "rü", "xo", "fa"]
topics = [[rng.choice(syll) + rng.choice(syll) + rng.choice(syll) for _ in range(25)] for _ in range(5)]
common = ["the", "and", "for", "with", "of"]
docs = []
for i in range(240):
    if i % 60 == 17:
        docs.append("")
        continue
    t = topics[i % 5]
    words = []
    for _ in range(rng.randint(4, 16)):
        r = rng.rand()
        if r < 0.6:
            w = t[min(int(rng.exponential(5)), 24)]
        elif r < 0.75:
            w = common[rng.randint(5)]
        elif r < 0.85:
            w = topics[rng.randint(5)][rng.randint(25)]
        elif r < 0.9:
            w = str(rng.randint(1, 500)) + rng.choice(["ml", "g", "", "x"])
        elif r < 0.95:
            w = rng.choice(["a", "x", "Äkö", "snake_case", "B"])
        else:
            w = rng.choice(["-", "&", "(new)", "!", "2-pack,"])
        if rng.rand() < 0.15:
            w = w.upper()
        elif rng.rand() < 0.2:
            w = w.capitalize()
        words.append(w)
    sep = lambda: rng.choice([" ", " ", " ", "  ", "\t", ", "])
    line = words[0]
    for w in words[1:]:
        line += sep() + w
    docs.append(line)
with open("tfidf/corpus.txt", "w", encoding="utf-8") as f:
    for d in docs:
        f.write(d + "\n")
stop = ["the", "and", "for", topics[0][0], topics[1][0]]
with open("tfidf/stop.txt", "w", encoding="utf-8") as f:
    for w in stop:
        f.write(w + "\n")


def save(name, vec):
    X = vec.fit_transform(docs).tocoo()
    vocab = vec.get_feature_names_out()
    with open(f"tfidf/{name}_vocab.txt", "w", encoding="utf-8") as f:
        for t in vocab:
            assert "\n" not in t
            f.write(t + "\n")
    np.save(f"tfidf/{name}_idf.npy", vec.idf_ if vec.use_idf else np.ones(len(vocab)))
    np.save(f"tfidf/{name}_rows.npy", X.row.astype(np.int32))
    np.save(f"tfidf/{name}_cols.npy", X.col.astype(np.int32))
    np.save(f"tfidf/{name}_vals.npy", X.data.astype(np.float64))
    return vec.fit_transform(docs)


W = save("word", TfidfVectorizer(ngram_range=(1, 2), stop_words=stop, sublinear_tf=True, min_df=2, max_df=0.5))
save("charwb", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 3), smooth_idf=False))
save("chars", TfidfVectorizer(analyzer="char", ngram_range=(1, 2), lowercase=False, use_idf=False, norm=None))
svd = TruncatedSVD(n_components=8, algorithm="arpack").fit(W)
np.save("tfidf/svd_sv.npy", svd.singular_values_)
np.save("tfidf/svd_comp.npy", svd.components_)
np.save("tfidf/svd_ratio.npy", svd.explained_variance_ratio_)
print({k: len(open(f"tfidf/{k}_vocab.txt", encoding="utf-8").read().splitlines()) for k in ["word", "charwb", "chars"]})
