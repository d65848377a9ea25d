#!/usr/bin/env python3
"""A sentence-transformers model folder with a small BERT-architecture encoder, for
tests/embed/test_text_models.cpp: written once with Debian's python3-torch 1.13 and python3-onnx:
    /usr/bin/python3 make_minilm_tiny.py

minilm_tiny/ is laid out as sentence-transformers/all-MiniLM-L6-v2 is (the real tokenizer.json,
vocab.txt, tokenizer_config.json, special_tokens_map.json, modules.json, sentence_bert_config.json
of that model, from its public files, Apache-2.0), with a smaller encoder: BertModel's architecture
(word + position + token-type embeddings, LayerNorm eps 1e-12, 2 layers of 4-head self-attention
with the additive mask (1 - mask) * float32-min, GELU (erf) feed-forward, post-LayerNorm), hidden
size 24, the real 30,522-token vocabulary, weights seeded (torch.manual_seed(29)), exported by
torch.onnx as Hugging Face's exports are (inputs input_ids, attention_mask, token_type_ids; output
last_hidden_state; dynamic batch and sequence axes; opset 14) to onnx/model.onnx.
config.json and 1_Pooling/config.json give the smaller sizes.

With arguments, `make_minilm_tiny.py OUT_DIR HIDDEN LAYERS HEADS INTERMEDIATE` writes only the
folder, with those sizes (bench/compare/text_models_vs_transformersjs.sh builds all-MiniLM-L6-v2's
sizes, 384 6 12 1536, with seeded weights: the real model's cost without its weights).

Reference vectors of tokenizers/texts.jsonl's every 10th text (1,030 texts, 9 to 1,400 tokens):
  expected_torch.npy  this script: torch's forward pass in float32 on the token ids transformers.js
                      gives (tokenizers/minilm_ids.jsonl) truncated as sentence-transformers does
                      (max_seq_length 256: the first 255 ids, then [SEP]), mean pooling over the
                      attention mask, L2 normalisation.
  expected_tjs.npy    make_minilm_tiny_tjs.mjs: the same ids through transformers.js's model
                      (onnxruntime-node) and its mean_pooling and normalize.
"""
import json
import os

import numpy as np
import torch
from torch import nn

import sys

torch.manual_seed(29)
V, H, L, A, I, P, T = 30522, 24, 2, 4, 48, 512, 2
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "minilm_tiny")
if len(sys.argv) == 6:
    OUT, H, L, A, I = sys.argv[1], *map(int, sys.argv[2:])
REAL = "/work/shared/models/all-MiniLM-L6-v2"


class Layer(nn.Module):
    def __init__(self):
        super().__init__()
        self.q, self.k, self.v, self.o = (nn.Linear(H, H) for _ in range(4))
        self.ln1, self.ln2 = nn.LayerNorm(H, eps=1e-12), nn.LayerNorm(H, eps=1e-12)
        self.up, self.down = nn.Linear(H, I), nn.Linear(I, H)

    def forward(self, h, ext):
        b, n, _ = h.shape
        heads = lambda x: x.view(b, n, A, H // A).transpose(1, 2)
        s = heads(self.q(h)) @ heads(self.k(h)).transpose(-1, -2) / (H // A) ** 0.5 + ext
        ctx = (torch.softmax(s, dim=-1) @ heads(self.v(h))).transpose(1, 2).reshape(b, n, H)
        a = self.ln1(self.o(ctx) + h)
        return self.ln2(self.down(nn.functional.gelu(self.up(a))) + a)


class Bert(nn.Module):
    def __init__(self):
        super().__init__()
        self.word, self.pos, self.token_type = nn.Embedding(V, H), nn.Embedding(P, H), nn.Embedding(T, H)
        self.ln = nn.LayerNorm(H, eps=1e-12)
        self.layers = nn.ModuleList(Layer() for _ in range(L))
        for m in self.modules():  # LayerNorms away from the identity, so they matter
            if isinstance(m, nn.LayerNorm):
                nn.init.normal_(m.weight, 1.0, 0.2)
                nn.init.normal_(m.bias, 0.0, 0.2)

    def forward(self, input_ids, attention_mask, token_type_ids):
        pos = torch.arange(input_ids.shape[1]).unsqueeze(0)
        h = self.ln(self.word(input_ids) + self.pos(pos) + self.token_type(token_type_ids))
        ext = (1.0 - attention_mask[:, None, None, :].to(torch.float32)) * torch.finfo(torch.float32).min
        for layer in self.layers:
            h = layer(h, ext)
        return h


model = Bert().eval()
os.makedirs(os.path.join(OUT, "onnx"), exist_ok=True)
os.makedirs(os.path.join(OUT, "1_Pooling"), exist_ok=True)
ids = torch.tensor([[101, 7592, 102]])
torch.onnx.export(model, (ids, torch.ones_like(ids), torch.zeros_like(ids)), os.path.join(OUT, "onnx", "model.onnx"),
                  input_names=["input_ids", "attention_mask", "token_type_ids"], output_names=["last_hidden_state"],
                  dynamic_axes={k: {0: "batch_size", 1: "sequence_length"} for k in ["input_ids", "attention_mask", "token_type_ids", "last_hidden_state"]},
                  opset_version=14)

for name in ["tokenizer.json", "vocab.txt", "tokenizer_config.json", "special_tokens_map.json", "modules.json", "sentence_bert_config.json"]:
    with open(os.path.join(REAL, name), "rb") as f, open(os.path.join(OUT, name), "wb") as g:
        g.write(f.read())
with open(os.path.join(REAL, "config.json")) as f:
    config = json.load(f)
config.update(hidden_size=H, num_hidden_layers=L, num_attention_heads=A, intermediate_size=I, _name_or_path="segkit-tests/minilm_tiny")
with open(os.path.join(OUT, "config.json"), "w") as f:
    json.dump(config, f, indent=2)
with open(os.path.join(REAL, "1_Pooling", "config.json")) as f:
    pooling = json.load(f)
pooling["word_embedding_dimension"] = H
with open(os.path.join(OUT, "1_Pooling", "config.json"), "w") as f:
    json.dump(pooling, f, indent=2)

if len(sys.argv) == 6:
    sys.exit(0)
with open(os.path.join(HERE, "tokenizers", "minilm_ids.jsonl")) as f:
    all_ids = [json.loads(line) for line in f]
chosen = [all_ids[i] for i in range(0, len(all_ids), 10)]
chosen = [x if len(x) <= 256 else x[:255] + [102] for x in chosen]
vectors = []
with torch.no_grad():
    for x in chosen:
        t = torch.tensor([x])
        h = model(t, torch.ones_like(t), torch.zeros_like(t))[0]
        v = h.mean(dim=0)
        vectors.append((v / v.norm()).numpy())
np.save(os.path.join(HERE, "minilm_tiny_expected_torch.npy"), np.array(vectors, dtype=np.float32))
print(len(vectors), "vectors;", os.path.getsize(os.path.join(OUT, "onnx", "model.onnx")), "bytes of ONNX")
