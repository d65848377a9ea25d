#!/usr/bin/env python3
"""CLIP-architecture text and vision towers for tests/embed/test_text_models.cpp, completing
clip_tiny/ (whose tokenizer files make_clip_tokenizer.py writes) into a CLIP model folder as
transformers.js lays them out; written once with Debian's python3-torch 1.13, python3-pil and numpy:
    /usr/bin/python3 make_clip_tiny.py

clip_tiny/onnx/text_model.onnx    CLIPTextModelWithProjection's architecture: token + position
    embeddings (49,408 tokens, 77 positions, width 16), 2 pre-LayerNorm layers of 2-head
    self-attention under the causal mask and the padding mask, quick-GELU MLP (64), final
    LayerNorm, the state at the highest token id (<|endoftext|>) projected to 16 without bias;
    inputs input_ids, attention_mask; outputs text_embeds, last_hidden_state
clip_tiny/onnx/vision_model.onnx  CLIPVisionModelWithProjection's: 8 x 8 patches of 32 x 32
    pixels by a convolution without bias, a class embedding, positions, pre-LayerNorm, 2 layers as
    above without the masks, post-LayerNorm of the class state, projection to 16 without bias;
    input pixel_values [batch, 3, 32, 32]; outputs image_embeds, last_hidden_state
clip_tiny/config.json, preprocessor_config.json  those sizes; size and crop 32, CLIP's mean and std
Weights seeded (torch.manual_seed(30)); exported by torch.onnx (opset 14) with dynamic batch and
sequence axes.

Reference vectors (unit rows):
  clip_tiny_expected_text_torch.npy   torch's text_embeds of every 10th text of
      tokenizers/texts.jsonl, from transformers.js's ids (tokenizers/clip_ids.jsonl) cut to 77 as
      the tokenizers library does (the first 76 ids, then <|endoftext|>)
  clip_tiny_images.npy, clip_tiny_image_sizes.npy  24 seeded RGB pictures of 17 to 70 pixels a
      side (gradients, disks and noise), stored row after row in one int32 array
  clip_tiny_expected_image_torch.npy  torch's image_embeds of them after CLIP's preprocessing done
      with Pillow (shorter side to 32 by BICUBIC, centre crop, /255, mean and std)
  /tmp/clip_tiny_pixels.json (not kept)  those pixel_values, for make_clip_tiny_tjs.mjs, which
      writes clip_tiny_expected_text_tjs.npy and clip_tiny_expected_image_tjs.npy (transformers.js)
"""
import json
import os

import numpy as np
import torch
from PIL import Image
from torch import nn

torch.manual_seed(30)
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "clip_tiny")
V, W, HEADS, LAYERS, MLP, CTX, PROJ = 49408, 16, 2, 2, 64, 77, 16
IMAGE, PATCH = 32, 8
MEAN, STD = [0.48145466, 0.4578275, 0.40821073], [0.26862954, 0.26130258, 0.27577711]


class Layer(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(W, eps=1e-5), nn.LayerNorm(W, eps=1e-5)
        self.q, self.k, self.v, self.o = (nn.Linear(W, W) for _ in range(4))
        self.fc1, self.fc2 = nn.Linear(W, MLP), nn.Linear(MLP, W)

    def forward(self, h, bias):
        b, n, _ = h.shape
        heads = lambda x: x.view(b, n, HEADS, W // HEADS).transpose(1, 2)
        x = self.ln1(h)
        s = heads(self.q(x)) @ heads(self.k(x)).transpose(-1, -2) * (W // HEADS) ** -0.5
        if bias is not None:
            s = s + bias
        h = h + self.o((torch.softmax(s, dim=-1) @ heads(self.v(x))).transpose(1, 2).reshape(b, n, W))
        x = self.fc1(self.ln2(h))
        return h + self.fc2(x * torch.sigmoid(1.702 * x))  # quick GELU


def jitter(module):  # LayerNorms away from the identity, so that they matter
    for m in module.modules():
        if isinstance(m, nn.LayerNorm):
            nn.init.normal_(m.weight, 1.0, 0.2)
            nn.init.normal_(m.bias, 0.0, 0.2)


class TextTower(nn.Module):
    def __init__(self):
        super().__init__()
        self.token, self.position = nn.Embedding(V, W), nn.Embedding(CTX, W)
        self.layers = nn.ModuleList(Layer() for _ in range(LAYERS))
        self.final = nn.LayerNorm(W, eps=1e-5)
        self.projection = nn.Linear(W, PROJ, bias=False)
        jitter(self)

    def forward(self, input_ids, attention_mask):
        n = input_ids.shape[1]
        h = self.token(input_ids) + self.position(torch.arange(n).unsqueeze(0))
        lowest = torch.finfo(torch.float32).min
        causal = torch.triu(torch.full((n, n), lowest), diagonal=1)[None, None]
        padding = (1.0 - attention_mask[:, None, None, :].to(torch.float32)) * lowest
        bias = causal + padding
        for layer in self.layers:
            h = layer(h, bias)
        h = self.final(h)
        pooled = h[torch.arange(h.shape[0]), input_ids.argmax(dim=-1)]
        return self.projection(pooled), h


class VisionTower(nn.Module):
    def __init__(self):
        super().__init__()
        self.patches = nn.Conv2d(3, W, PATCH, stride=PATCH, bias=False)
        self.cls = nn.Parameter(torch.randn(W))
        self.position = nn.Embedding((IMAGE // PATCH) ** 2 + 1, W)
        self.pre, self.post = nn.LayerNorm(W, eps=1e-5), nn.LayerNorm(W, eps=1e-5)
        self.layers = nn.ModuleList(Layer() for _ in range(LAYERS))
        self.projection = nn.Linear(W, PROJ, bias=False)
        jitter(self)

    def forward(self, pixel_values):
        p = self.patches(pixel_values).flatten(2).transpose(1, 2)
        h = torch.cat([self.cls.expand(p.shape[0], 1, W), p], dim=1) + self.position.weight[None]
        h = self.pre(h)
        for layer in self.layers:
            h = layer(h, None)
        return self.projection(self.post(h[:, 0])), h


text, vision = TextTower().eval(), VisionTower().eval()
os.makedirs(os.path.join(OUT, "onnx"), exist_ok=True)
ids = torch.tensor([[49406, 3306, 1002, 49407]])
torch.onnx.export(text, (ids, torch.ones_like(ids)), os.path.join(OUT, "onnx", "text_model.onnx"), input_names=["input_ids", "attention_mask"],
                  output_names=["text_embeds", "last_hidden_state"],
                  dynamic_axes={"input_ids": {0: "batch_size", 1: "sequence_length"}, "attention_mask": {0: "batch_size", 1: "sequence_length"},
                                "text_embeds": {0: "batch_size"}, "last_hidden_state": {0: "batch_size", 1: "sequence_length"}}, opset_version=14)
torch.onnx.export(vision, (torch.zeros(1, 3, IMAGE, IMAGE),), os.path.join(OUT, "onnx", "vision_model.onnx"), input_names=["pixel_values"],
                  output_names=["image_embeds", "last_hidden_state"],
                  dynamic_axes={"pixel_values": {0: "batch_size"}, "image_embeds": {0: "batch_size"}, "last_hidden_state": {0: "batch_size"}},
                  opset_version=14)
with open(os.path.join(OUT, "config.json"), "w") as f:
    json.dump({"model_type": "clip", "architectures": ["CLIPModel"], "projection_dim": PROJ, "logit_scale_init_value": 2.6592,
               "text_config": {"model_type": "clip_text_model", "vocab_size": V, "hidden_size": W, "intermediate_size": MLP, "num_attention_heads": HEADS,
                               "num_hidden_layers": LAYERS, "max_position_embeddings": CTX, "hidden_act": "quick_gelu", "projection_dim": PROJ,
                               "bos_token_id": 49406, "eos_token_id": 49407, "pad_token_id": 1},
               "vision_config": {"model_type": "clip_vision_model", "hidden_size": W, "intermediate_size": MLP, "num_attention_heads": HEADS,
                                 "num_hidden_layers": LAYERS, "image_size": IMAGE, "patch_size": PATCH, "hidden_act": "quick_gelu", "projection_dim": PROJ}},
              f, indent=2)
with open(os.path.join(OUT, "preprocessor_config.json"), "w") as f:
    json.dump({"image_processor_type": "CLIPImageProcessor", "do_resize": True, "size": {"shortest_edge": IMAGE}, "resample": 3,
               "do_center_crop": True, "crop_size": {"height": IMAGE, "width": IMAGE}, "do_rescale": True, "rescale_factor": 1 / 255,
               "do_normalize": True, "image_mean": MEAN, "image_std": STD, "do_convert_rgb": True}, f, indent=2)


def unit(x):
    return (x / x.norm(dim=-1, keepdim=True)).numpy().astype(np.float32)


with open(os.path.join(HERE, "tokenizers", "clip_ids.jsonl")) as f:
    all_ids = [json.loads(line) for line in f]
chosen = [x if len(x) <= CTX else x[:CTX - 1] + [49407] for x in all_ids[::10]]
with torch.no_grad():
    rows = [text(torch.tensor([x]), torch.ones(1, len(x), dtype=torch.int64))[0][0] for x in chosen]
np.save(os.path.join(HERE, "clip_tiny_expected_text_torch.npy"), unit(torch.stack(rows)))

rng = np.random.RandomState(30)
pictures, sizes = [], []
for i in range(24):
    w, h = rng.randint(17, 71), rng.randint(17, 71)
    y, x = np.mgrid[0:h, 0:w]
    img = np.stack([x * 255 / w, y * 255 / h, (x + y) * 255 / (w + h)], axis=-1)[..., rng.permutation(3)]
    cy, cx, r = rng.randint(0, h), rng.randint(0, w), rng.randint(4, 20)
    img[(y - cy) ** 2 + (x - cx) ** 2 < r * r] = rng.randint(0, 256, 3)
    img = np.clip(img + rng.normal(0, 20, (h, w, 3)), 0, 255).astype(np.uint8)
    pictures.append(img)
    sizes.append([w, h])
np.save(os.path.join(HERE, "clip_tiny_images.npy"), np.concatenate([p.reshape(-1) for p in pictures]).astype(np.int32))
np.save(os.path.join(HERE, "clip_tiny_image_sizes.npy"), np.array(sizes, dtype=np.int32))


def preprocess(img):  # CLIP's processor with Pillow: shorter side to IMAGE, centre crop, /255, mean and std
    h, w = img.shape[:2]
    short, long = min(w, h), max(w, h)
    new_long = int(IMAGE * long / short)
    nw, nh = (new_long, IMAGE) if w >= h else (IMAGE, new_long)
    r = np.asarray(Image.fromarray(img, "RGB").resize((nw, nh), Image.BICUBIC)).astype(np.float32) / 255.0
    top, left = int(round((nh - IMAGE) / 2.0)), int(round((nw - IMAGE) / 2.0))
    r = (r[top:top + IMAGE, left:left + IMAGE] - np.array(MEAN, dtype=np.float32)) / np.array(STD, dtype=np.float32)
    return r.transpose(2, 0, 1).astype(np.float32)


pixels = np.stack([preprocess(p) for p in pictures])
with torch.no_grad():
    np.save(os.path.join(HERE, "clip_tiny_expected_image_torch.npy"), unit(vision(torch.from_numpy(pixels))[0]))
with open("/tmp/clip_tiny_pixels.json", "w") as f:
    json.dump({"shape": list(pixels.shape), "data": [float(v) for v in pixels.reshape(-1)]}, f)
print(len(chosen), "texts,", len(pictures), "pictures;", os.path.getsize(os.path.join(OUT, "onnx", "text_model.onnx")), "bytes of text tower")
