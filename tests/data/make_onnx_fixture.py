#!/usr/bin/env python3
"""Small ONNX text models with sentence-transformers' signature, for tests/embed/test_onnx.cpp,
built with Debian's python3-onnx 1.12 (opset 17, ir_version 8) and numpy. Run once from this folder:
    /usr/bin/python3 make_onnx_fixture.py

onnx/vocab.txt   a WordPiece vocabulary of 24 tokens ([PAD] 0, [UNK] 1, [CLS] 2, [SEP] 3, ...)
onnx/bert.onnx   inputs input_ids, attention_mask, token_type_ids (int64, [batch, seq]); output
                 last_hidden_state (float, [batch, seq, 6]) =
                 W[input_ids] + T[token_type_ids] + mask[..., None] * b   (W, T, b seeded numpy values)
onnx/two.onnx    inputs input_ids, attention_mask only; output token_embeddings = W[input_ids] * mask[..., None]
onnx/pooled.onnx input input_ids only; output sentence_embedding (float, [batch, 6]) = mean over the sequence of W[input_ids]
onnx/image.onnx  CLIP image-tower signature (see the end of this script), expected_image.npy
onnx/clip_vocab.json, clip_merges.txt, clip_text.onnx  CLIP text side (see the end), expected_clip_text.npy
The token ids of the test texts (written out by hand in the test) and the expected vectors:
  expected_mean.npy / expected_cls.npy  bert.onnx, mean / CLS pooling, L2-normalised, for the TEXTS below
  expected_two.npy                      two.onnx, mean pooling, not normalised
"""
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "the", "red", "apple", "##s", "green", "car", "un", "##believ", "##able",
         ",", "!", "cafe", "中", "文", "fast", "##er", "a", "b", "##c", "x"]
with open("onnx/vocab.txt", "w", encoding="utf-8") as f:
    f.write("\n".join(vocab) + "\n")

rng = np.random.RandomState(7)
W = rng.normal(size=(len(vocab), 6)).astype(np.float32)
T = rng.normal(size=(2, 6)).astype(np.float32)
b = rng.normal(size=(6,)).astype(np.float32)


def model(path, inputs, nodes, inits, output, out_shape):
    g = helper.make_graph(nodes, "segkit_test", inputs, [helper.make_tensor_value_info(output, TensorProto.FLOAT, out_shape)], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)], producer_name="segkit-tests")
    m.ir_version = 8
    onnx.checker.check_model(m)
    onnx.save(m, path)


ids = helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "seq"])
mask = helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "seq"])
types = helper.make_tensor_value_info("token_type_ids", TensorProto.INT64, ["batch", "seq"])
axes = numpy_helper.from_array(np.array([2], dtype=np.int64), "axes")
model("onnx/bert.onnx", [ids, mask, types], [
    helper.make_node("Gather", ["W", "input_ids"], ["w"]),
    helper.make_node("Gather", ["T", "token_type_ids"], ["t"]),
    helper.make_node("Cast", ["attention_mask"], ["mf"], to=TensorProto.FLOAT),
    helper.make_node("Unsqueeze", ["mf", "axes"], ["m3"]),
    helper.make_node("Mul", ["m3", "b"], ["mb"]),
    helper.make_node("Add", ["w", "t"], ["wt"]),
    helper.make_node("Add", ["wt", "mb"], ["last_hidden_state"]),
], [numpy_helper.from_array(W, "W"), numpy_helper.from_array(T, "T"), numpy_helper.from_array(b, "b"), axes], "last_hidden_state", ["batch", "seq", 6])
model("onnx/two.onnx", [ids, mask], [
    helper.make_node("Gather", ["W", "input_ids"], ["w"]),
    helper.make_node("Cast", ["attention_mask"], ["mf"], to=TensorProto.FLOAT),
    helper.make_node("Unsqueeze", ["mf", "axes"], ["m3"]),
    helper.make_node("Mul", ["w", "m3"], ["token_embeddings"]),
], [numpy_helper.from_array(W, "W"), axes], "token_embeddings", ["batch", "seq", 6])
model("onnx/pooled.onnx", [ids], [
    helper.make_node("Gather", ["W", "input_ids"], ["w"]),
    helper.make_node("ReduceMean", ["w"], ["sentence_embedding"], axes=[1], keepdims=0),
], [numpy_helper.from_array(W, "W")], "sentence_embedding", ["batch", 6])

# The test texts' token ids (the tokenisations the test checks by hand):
#   "The red apples!"            -> [CLS] the red apple ##s ! [SEP]
#   "Unbelievable, CAFÉ 中文"    -> [CLS] un ##believ ##able , cafe 中 文 [SEP]
#   "faster abc zzz"             -> [CLS] fast ##er [UNK] [UNK] [SEP]  ("abc": "a" matches, "##bc" and "##b" do not)
TEXTS = [[2, 4, 5, 6, 7, 14, 3], [2, 10, 11, 12, 13, 15, 16, 17, 3], [2, 18, 19, 1, 1, 3]]
mean, cls, two = [], [], []
for t in TEXTS:
    h = W[t] + T[0] + b  # token type 0, mask 1 on every real token
    v = h.mean(axis=0)
    mean.append(v / np.linalg.norm(v))
    c = h[0]
    cls.append(c / np.linalg.norm(c))
    two.append(W[t].mean(axis=0))
np.save("onnx/expected_mean.npy", np.array(mean, dtype=np.float64))
np.save("onnx/expected_cls.npy", np.array(cls, dtype=np.float64))
np.save("onnx/expected_two.npy", np.array(two, dtype=np.float64))

# An image model with CLIP's image-tower signature: pixel_values (float, [batch, 3, 16, 16]) ->
# image_embeds (float, [batch, 4]) = mean over the pixels of each channel, times M (3 x 4).
# expected_image.npy: its output for images/clip.npy (the reference preprocessing of images/src.npy), L2-normalised.
M = rng.normal(size=(3, 4)).astype(np.float32)
pix = helper.make_tensor_value_info("pixel_values", TensorProto.FLOAT, ["batch", 3, 16, 16])
model("onnx/image.onnx", [pix], [
    helper.make_node("ReduceMean", ["pixel_values"], ["m"], axes=[2, 3], keepdims=0),
    helper.make_node("MatMul", ["m", "M"], ["image_embeds"]),
], [numpy_helper.from_array(M, "M")], "image_embeds", ["batch", 4])
clip = np.load("images/clip.npy")
v = clip.mean(axis=(2, 3)) @ M
np.save("onnx/expected_image.npy", (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float64))

# CLIP's text side: a byte-level BPE vocabulary (every byte symbol, alone and with "</w>", the
# markers, and the merges below) and a text model input_ids, attention_mask -> text_embeds
# (float, [batch, 4]) = masked mean of V[input_ids]. expected_clip_text.npy: its output for the
# texts of the test (token ids as the test writes them out), L2-normalised.
def bytes_to_unicode():
    bs = list(range(33, 127)) + list(range(161, 173)) + list(range(174, 256))
    cs, n = bs[:], 0
    for b in range(256):
        if b not in bs:
            bs.append(b); cs.append(256 + n); n += 1
    return dict(zip(bs, [chr(c) for c in cs]))
b2u = bytes_to_unicode()
symbols = [b2u[b] for b in range(256)] + [b2u[b] + "</w>" for b in range(256)]
merges = [("h", "e"), ("l", "l"), ("he", "ll"), ("hell", "o</w>"), ("c", "a"), ("ca", "t</w>"), ("'", "s</w>")]
symbols += [a + b for a, b in merges] + ["<|startoftext|>", "<|endoftext|>"]
import json
with open("onnx/clip_vocab.json", "w", encoding="utf-8") as f:
    json.dump({s: i for i, s in enumerate(symbols)}, f, ensure_ascii=True)
with open("onnx/clip_merges.txt", "w", encoding="utf-8") as f:
    f.write("#version: 0.2\n" + "\n".join(f"{a} {b}" for a, b in merges) + "\n")
ids_of = {s: i for i, s in enumerate(symbols)}
V = rng.normal(size=(len(symbols), 4)).astype(np.float32)
ids2 = helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "seq"])
mask2 = helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "seq"])
one = numpy_helper.from_array(np.array([1], dtype=np.int64), "one")
model("onnx/clip_text.onnx", [ids2, mask2], [
    helper.make_node("Gather", ["V", "input_ids"], ["g"]),
    helper.make_node("Cast", ["attention_mask"], ["mf"], to=TensorProto.FLOAT),
    helper.make_node("Unsqueeze", ["mf", "axes"], ["m3"]),
    helper.make_node("Mul", ["g", "m3"], ["gm"]),
    helper.make_node("ReduceSum", ["gm", "one"], ["s"], keepdims=0),
    helper.make_node("ReduceSum", ["m3", "one"], ["c"], keepdims=0),
    helper.make_node("Div", ["s", "c"], ["text_embeds"]),
], [numpy_helper.from_array(V, "V"), axes, one], "text_embeds", ["batch", 4])
# "Hello cat's 2024 é!" -> hello</w> cat</w> 's</w> 2</w> 0</w> 2</w> 4</w> Ã ©</w> !</w>
clip_texts = [["<|startoftext|>", "hello</w>", "cat</w>", "'s</w>", "2</w>", "0</w>", "2</w>", "4</w>", "Ã", "©</w>", "!</w>", "<|endoftext|>"],
              ["<|startoftext|>", "cat</w>", "<|endoftext|>"]]
out = []
for t in clip_texts:
    v = V[[ids_of[s] for s in t]].mean(axis=0)
    out.append(v / np.linalg.norm(v))
np.save("onnx/expected_clip_text.npy", np.array(out, dtype=np.float64))
