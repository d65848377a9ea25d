#!/usr/bin/env python3
"""CLIP's real tokenizer files, for tests/embed/test_hf_tokenizer.cpp, written once with Debian's
python3 from CLIP's published BPE merges (openai/CLIP commit d05afc436d78f1c48dc0dbf8e5980a9d471f35f6,
bpe_simple_vocab_16e6.txt.gz, MIT licence: clip_tiny/LICENSE):
    /usr/bin/python3 make_clip_tokenizer.py /path/to/bpe_simple_vocab_16e6.txt.gz

The vocabulary is built as CLIP builds it: the 256 byte symbols of GPT-2's byte map, the same with
"</w>" (printable bytes first, as CLIP orders them), the concatenation of each of the first 48,894 merges, then <|startoftext|> (49406) and
<|endoftext|> (49407). Written as Hugging Face lays out CLIP's files:
  clip_tiny/vocab.json, merges.txt    CLIPTokenizer's pair of files (segkit's clip_bpe_tokenizer)
  clip_tiny/tokenizer.json            CLIPTokenizerFast's file: NFC, runs of white space to one
                                           space, lower case; CLIP's pattern (Split, Removed, inverted),
                                           ByteLevel without its own pattern; BPE with "</w>" word ends;
                                           RobertaProcessing <|startoftext|> ... <|endoftext|>
  clip_tiny/tokenizer_config.json     model_max_length 77, the special tokens
The reference ids (clip_ids.jsonl) are transformers.js's: make_tokenizer_ids.mjs.
"""
import gzip
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "clip_tiny")


def bytes_to_unicode():
    # GPT-2's reversible map, in CLIP's order: the printable Latin-1 bytes (to themselves), then the
    # other bytes in byte order (to 256 upwards). The vocabulary's first 256 ids follow this order.
    printable = list(range(33, 127)) + list(range(161, 173)) + list(range(174, 256))
    out = {b: chr(b) for b in printable}
    for extra, b in enumerate(b for b in range(256) if b not in printable):
        out[b] = chr(256 + extra)
    return out


lines = gzip.open(sys.argv[1]).read().decode("utf-8").split("\n")
merges = [tuple(m.split()) for m in lines[1:49152 - 256 - 2 + 1]]
symbols = list(bytes_to_unicode().values())
vocab = symbols + [s + "</w>" for s in symbols] + ["".join(m) for m in merges] + ["<|startoftext|>", "<|endoftext|>"]
ids = {t: i for i, t in enumerate(vocab)}
assert len(ids) == 49408 and ids["<|endoftext|>"] == 49407

os.makedirs(OUT, exist_ok=True)
with open(os.path.join(OUT, "vocab.json"), "w", encoding="utf-8") as f:
    json.dump(ids, f, ensure_ascii=False)
with open(os.path.join(OUT, "merges.txt"), "w", encoding="utf-8") as f:
    f.write("#version: 0.2\n" + "\n".join(" ".join(m) for m in merges) + "\n")
special = lambda i, t, normalized: {"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False, "normalized": normalized, "special": True}
clip_pattern = "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+"
tokenizer = {
    "version": "1.0", "truncation": None, "padding": None,
    "added_tokens": [special(49406, "<|startoftext|>", True), special(49407, "<|endoftext|>", False)],
    "normalizer": {"type": "Sequence", "normalizers": [{"type": "NFC"}, {"type": "Replace", "pattern": {"Regex": "\\s+"}, "content": " "}, {"type": "Lowercase"}]},
    "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
        {"type": "Split", "pattern": {"Regex": clip_pattern}, "behavior": "Removed", "invert": True},
        {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False}]},
    "post_processor": {"type": "RobertaProcessing", "sep": ["<|endoftext|>", 49407], "cls": ["<|startoftext|>", 49406], "trim_offsets": False, "add_prefix_space": False},
    "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
    "model": {"type": "BPE", "dropout": None, "unk_token": "<|endoftext|>", "continuing_subword_prefix": "", "end_of_word_suffix": "</w>",
              "fuse_unk": False, "byte_fallback": False, "vocab": ids, "merges": [" ".join(m) for m in merges]},
}
with open(os.path.join(OUT, "tokenizer.json"), "w", encoding="utf-8") as f:
    json.dump(tokenizer, f, ensure_ascii=False)
with open(os.path.join(OUT, "tokenizer_config.json"), "w") as f:
    json.dump({"tokenizer_class": "CLIPTokenizer", "model_max_length": 77, "do_lower_case": True, "bos_token": "<|startoftext|>",
               "eos_token": "<|endoftext|>", "pad_token": "<|endoftext|>", "unk_token": "<|endoftext|>", "errors": "replace"}, f, indent=2)
print(len(ids), "tokens,", len(merges), "merges")
