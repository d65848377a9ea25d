#!/usr/bin/env python3
"""A SentencePiece Unigram model and its reference ids, for tests/embed/test_hf_tokenizer.cpp,
made once with Debian's sentencepiece 0.1.97 (spm_train, spm_encode, python3-sentencepiece):
    /usr/bin/python3 make_unigram_fixture.py

tokenizers/unigram.model   spm_train --model_type=unigram --vocab_size=4000 (nmt_nfkc rules,
                           character coverage 0.9995, so rare characters are unknown) on every
                           other of the first 9,000 texts of tokenizers/texts.jsonl, line breaks
                           as spaces
tokenizers/unigram_ids.jsonl  the ids of every text of texts.jsonl (line breaks and all) by the
                           sentencepiece library's encode(), which is what spm_encode
                           --output_format=id runs per line: checked here against spm_encode on
                           the texts without line breaks
tokenizers/unigram.json    the same model as a tokenizer.json, laid out as Hugging Face converts
                           SentencePiece models (XLM-R, multilingual E5): the model's compiled
                           rules as a Precompiled normalizer (base64), runs of spaces to one,
                           Metaspace (U+2581, prepended), Unigram with the pieces and scores
"""
import base64
import json
import os
import subprocess
import tempfile

import sentencepiece as spm

HERE = os.path.dirname(os.path.abspath(__file__))
texts = [json.loads(line) for line in open(os.path.join(HERE, "tokenizers", "texts.jsonl"), encoding="utf-8")]
with tempfile.TemporaryDirectory() as tmp:
    train = os.path.join(tmp, "train.txt")
    with open(train, "w", encoding="utf-8") as f:
        f.write("\n".join(t.replace("\n", " ") for t in texts[:9000:2]) + "\n")
    subprocess.run(["spm_train", f"--input={train}", f"--model_prefix={tmp}/unigram", "--vocab_size=4000", "--model_type=unigram",
                    "--num_threads=1"], check=True, capture_output=True)
    os.replace(f"{tmp}/unigram.model", os.path.join(HERE, "tokenizers", "unigram.model"))
    model = os.path.join(HERE, "tokenizers", "unigram.model")
    sp = spm.SentencePieceProcessor(model_file=model)
    ids = [sp.encode(t) for t in texts]
    one_line = [i for i, t in enumerate(texts) if "\n" not in t and "\r" not in t]
    lines = os.path.join(tmp, "lines.txt")
    with open(lines, "w", encoding="utf-8") as f:
        f.write("\n".join(texts[i] for i in one_line) + "\n")
    out = subprocess.run(["spm_encode", f"--model={model}", "--output_format=id", f"--input={lines}"], check=True, capture_output=True, text=True)
    cli = [[int(x) for x in line.split()] for line in out.stdout.split("\n")[:len(one_line)]]
    assert all(cli[k] == ids[i] for k, i in enumerate(one_line)), "spm_encode and the library disagree"
from sentencepiece import sentencepiece_model_pb2 as pb
proto = pb.ModelProto()
proto.ParseFromString(open(model, "rb").read())
unk = next(i for i, p in enumerate(proto.pieces) if p.type == pb.ModelProto.SentencePiece.UNKNOWN)
document = {
    "version": "1.0", "truncation": None, "padding": None,
    "added_tokens": [{"id": i, "content": p.piece, "single_word": False, "lstrip": False, "rstrip": False, "normalized": False, "special": True}
                     for i, p in enumerate(proto.pieces) if p.type in (pb.ModelProto.SentencePiece.CONTROL, pb.ModelProto.SentencePiece.UNKNOWN)],
    "normalizer": {"type": "Sequence", "normalizers": [
        {"type": "Precompiled", "precompiled_charsmap": base64.b64encode(proto.normalizer_spec.precompiled_charsmap).decode()},
        {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "}]},
    "pre_tokenizer": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True},
    "post_processor": None,
    "decoder": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": True},
    "model": {"type": "Unigram", "unk_id": unk, "vocab": [[p.piece, p.score] for p in proto.pieces], "byte_fallback": False},
}
with open(os.path.join(HERE, "tokenizers", "unigram.json"), "w", encoding="utf-8") as f:
    json.dump(document, f, ensure_ascii=False)
with open(os.path.join(HERE, "tokenizers", "unigram_ids.jsonl"), "w") as f:
    for x in ids:
        f.write(json.dumps(x) + "\n")
print(len(ids), "texts;", len(one_line), "checked against spm_encode")
