#!/usr/bin/env python3
"""Reference resizes for tests/embed/test_image.cpp, computed with Pillow 9.4 (Debian python3-pil).
Run once from this folder:  /usr/bin/python3 make_image_fixture.py

images/src.npy       a 37 x 23 RGB image (values 0-255 stored as int32, numpy seed 4: smooth gradients plus noise)
images/bicubic_WxH.npy  (int32) Image.resize((W, H), Image.BICUBIC) of it, for (15, 9) (down), (60, 41)
                     (up), (37, 11) (one axis) and (20, 23) (the other)
images/clip.npy      CLIP's preprocessing with size 16: resize the shorter side to 16 with BICUBIC
                     (the longer to int(16 * long / short)), centre crop 16 x 16 (offsets
                     int(round((side - 16) / 2))), /255, normalised by CLIP's mean and std,
                     as float32 NCHW (1 x 3 x 16 x 16)
"""
import numpy as np
from PIL import Image

rng = np.random.RandomState(4)
h, w = 23, 37
y, x = np.mgrid[0:h, 0:w]
img = np.stack([x * 255 / w, y * 255 / h, (x + y) * 255 / (w + h)], axis=-1) + rng.normal(0, 25, (h, w, 3))
img = np.clip(img, 0, 255).astype(np.uint8)
np.save("images/src.npy", img.astype(np.int32))
pil = Image.fromarray(img, "RGB")
for (W, H) in [(15, 9), (60, 41), (37, 11), (20, 23)]:
    np.save(f"images/bicubic_{W}x{H}.npy", np.asarray(pil.resize((W, H), Image.BICUBIC)).astype(np.int32))
size = 16
short, long = min(w, h), max(w, h)
new_long = int(size * long / short)
nw, nh = (new_long, size) if w >= h else (size, new_long)
r = np.asarray(pil.resize((nw, nh), Image.BICUBIC)).astype(np.float32) / 255.0
top, left = int(round((nh - size) / 2.0)), int(round((nw - size) / 2.0))
r = r[top:top + size, left:left + size]
mean = np.array([0.48145466, 0.4578275, 0.40821073], dtype=np.float32)
std = np.array([0.26862954, 0.26130258, 0.27577711], dtype=np.float32)
np.save("images/clip.npy", ((r - mean) / std).transpose(2, 0, 1)[None].astype(np.float32))
