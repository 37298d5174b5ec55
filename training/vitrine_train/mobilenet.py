"""Pretrained image backbone: the ImageNet MobileNetV2 (Keras applications, alpha 1.0) that ships inside the
npm package `nsfwjs` (MIT), installed offline in training/tools/ (`npm ci --prefix training/tools`).

nsfwjs trained only a small classifier head on top of a frozen (`trainable: false`) Keras MobileNetV2, so
its base layers are the ImageNet weights, stored as uint8 with a per-tensor min/scale. Here the weights are
de-quantised and loaded into a torch MobileNetV2 built to match Keras's layers up to `out_relu` (1280
channels): the LiT-style ("locked image") starting point. Keras MobileNetV2 expects pixels in [-1, 1]
(mean = std = 0.5).
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from .data import cached_output, save_npy

TOOLS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tools")
NSFW_MODEL_DIR = os.path.join(TOOLS, "node_modules/nsfwjs/dist/models/mobilenet_v2")
KERAS_MEAN = [0.5, 0.5, 0.5]
KERAS_STD = [0.5, 0.5, 0.5]

_DUMP_JS = """
const m = require(process.argv[1] + '/model.min.js');
const s = require(process.argv[1] + '/group1-shard1of1.min.js');
process.stdout.write(JSON.stringify({manifest: m.weightsManifest, shard: s}));
"""


def read_nsfwjs_mobilenet(cache_dir: str) -> dict[str, np.ndarray]:
    """{Keras weight name: float32 array}, read through node (the files are JS modules), cached as .npz."""
    os.makedirs(cache_dir, exist_ok=True)
    cache = os.path.join(cache_dir, "nsfwjs-mobilenet_v2-weights.npz")
    if not os.path.exists(cache):
        if not os.path.exists(os.path.join(NSFW_MODEL_DIR, "model.min.js")):
            raise SystemExit(f"{NSFW_MODEL_DIR} missing: run `npm ci --prefix training/tools`")
        out = subprocess.run(["node", "-e", _DUMP_JS, NSFW_MODEL_DIR], check=True, capture_output=True).stdout
        d = json.loads(out)
        raw = base64.b64decode(d["shard"])
        manifest = d["manifest"]
        weights: dict[str, np.ndarray] = {}
        off = 0
        for group in manifest:
            for w in group["weights"]:
                n = int(np.prod(w["shape"])) if w["shape"] else 1
                q = w.get("quantization")
                if q:
                    if q["dtype"] != "uint8":
                        raise SystemExit(f"unsupported quantisation {q['dtype']}")
                    v = np.frombuffer(raw, np.uint8, n, off).astype(np.float32) * q["scale"] + q["min"]
                    off += n
                else:
                    v = np.frombuffer(raw, np.float32, n, off).copy()
                    off += 4 * n
                weights[w["name"]] = v.reshape(w["shape"])
        if off != len(raw):
            raise SystemExit(f"weight shard has {len(raw)} bytes, manifest describes {off}")
        np.savez(cache, **weights)
    z = np.load(cache)
    return {k: z[k] for k in z.files}


def _bn(c: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(c, eps=1e-3)


class _ConvBN(nn.Module):
    """Conv (no bias) + batch norm (+ ReLU6). Stride 2 pads bottom/right by one and convolves 'valid', as
    Keras MobileNetV2 does; stride 1 is 'same'."""

    def __init__(self, cin: int, cout: int, k: int, stride: int = 1, groups: int = 1, act: bool = True):
        super().__init__()
        self.pad = stride == 2
        self.conv = nn.Conv2d(cin, cout, k, stride, 0 if self.pad else k // 2, groups=groups, bias=False)
        self.bn = _bn(cout)
        self.act = act

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.pad:
            x = F.pad(x, (0, 1, 0, 1))
        x = self.bn(self.conv(x))
        return torch.clamp(x, 0.0, 6.0) if self.act else x


class _InvertedResidual(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int, expansion: int):
        super().__init__()
        hidden = cin * expansion
        self.expand = _ConvBN(cin, hidden, 1) if expansion != 1 else None
        self.depthwise = _ConvBN(hidden, hidden, 3, stride, groups=hidden)
        self.project = _ConvBN(hidden, cout, 1, act=False)
        self.residual = stride == 1 and cin == cout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.expand(x) if self.expand is not None else x
        y = self.project(self.depthwise(y))
        return x + y if self.residual else y


# (expansion, channels, repeats, first stride): Keras applications MobileNetV2, alpha 1.0
_SETTINGS = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]


class MobileNetV2(nn.Module):
    """[B,3,H,W] (pixels in [-1, 1]) -> [B,1280] (`out_relu`, global average pooled). Any input size."""

    out_channels = 1280

    def __init__(self):
        super().__init__()
        self.stem = _ConvBN(3, 32, 3, 2)
        blocks, cin = [], 32
        for t, c, n, s in _SETTINGS:
            for i in range(n):
                blocks.append(_InvertedResidual(cin, c, s if i == 0 else 1, t))
                cin = c
        self.blocks = nn.ModuleList(blocks)
        self.head = _ConvBN(cin, self.out_channels, 1)

    def forward_map(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.run_blocks(self.stem(x), 0, len(self.blocks)))

    def run_blocks(self, x: torch.Tensor, start: int, stop: int) -> torch.Tensor:
        for b in self.blocks[start:stop]:
            x = b(x)
        return x

    def features_before(self, x: torch.Tensor, block: int) -> torch.Tensor:
        """The feature map that enters block `block` (the locked part when tuning from that block)."""
        return self.run_blocks(self.stem(x), 0, block)

    def forward_from(self, fmap: torch.Tensor, block: int) -> torch.Tensor:
        """Pooled features from the map that enters block `block`."""
        return self.head(self.run_blocks(fmap, block, len(self.blocks))).mean(dim=(2, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_map(x).mean(dim=(2, 3))

    def keras_names(self) -> list[tuple[_ConvBN, str, str]]:
        """(module, Keras conv layer, Keras batch-norm layer) for every conv."""
        out = [(self.stem, "Conv1", "bn_Conv1")]
        for i, b in enumerate(self.blocks):
            p = "expanded_conv" if i == 0 else f"block_{i}"
            if b.expand is not None:
                out.append((b.expand, f"{p}_expand", f"{p}_expand_BN"))
            out.append((b.depthwise, f"{p}_depthwise", f"{p}_depthwise_BN"))
            out.append((b.project, f"{p}_project", f"{p}_project_BN"))
        out.append((self.head, "Conv_1", "Conv_1_bn"))
        return out

    def load_keras_weights(self, weights: dict[str, np.ndarray]) -> None:
        used = 0
        for mod, conv, bn in self.keras_names():
            if f"{conv}/depthwise_kernel" in weights:
                k = weights[f"{conv}/depthwise_kernel"]  # [kh, kw, cin, 1]
                w = k.transpose(2, 3, 0, 1).reshape(mod.conv.weight.shape)
            else:
                w = weights[f"{conv}/kernel"].transpose(3, 2, 0, 1)  # [kh, kw, cin, cout] -> [cout, cin, kh, kw]
            if tuple(w.shape) != tuple(mod.conv.weight.shape):
                raise SystemExit(f"{conv}: shape {w.shape} != {tuple(mod.conv.weight.shape)}")
            mod.conv.weight.data = torch.from_numpy(np.ascontiguousarray(w, dtype=np.float32))
            for attr, key in (("weight", "gamma"), ("bias", "beta"), ("running_mean", "moving_mean"),
                              ("running_var", "moving_variance")):
                getattr(mod.bn, attr).data = torch.from_numpy(weights[f"{bn}/{key}"].astype(np.float32))
            used += 5
        if used != sum(1 for k in weights if not k.startswith("dense")):
            raise SystemExit("nsfwjs MobileNetV2: unexpected weights")


def cached_features(backbone: MobileNetV2, images: np.ndarray, mean, std, cache_dir: str,
                    block: int = -1) -> torch.Tensor:
    """A locked backbone's output for every image and its mirror image: the pooled features (block -1:
    float16 [N, 2, 1280]) or the feature map entering `block` (float16 [N, 2, C, h, w]). Cached on disk,
    keyed by a fingerprint of the pixels, the block and the backbone weights."""
    f, cached = cached_output(cache_dir, "features", f"block{block}".encode(), images, backbone)
    if cached is not None:
        return torch.from_numpy(cached)
    t0 = time.time()
    bb = backbone.eval().to(memory_format=torch.channels_last)
    fn = bb if block < 0 else (lambda x: bb.features_before(x, block))
    cl = torch.channels_last
    with torch.no_grad():
        probe = fn(torch.zeros(1, 3, images.shape[1], images.shape[2]).contiguous(memory_format=cl))
        out = np.empty((len(images), 2, *probe.shape[1:]), dtype=np.float16)
        for s in range(0, len(images), 32):  # small batches stay in cache: ~2x faster than 128 here
            x = torch.from_numpy(images[s : s + 32]).permute(0, 3, 1, 2).to(torch.float32) * (1 / 255)
            x = ((x - mean) / std).contiguous(memory_format=cl)
            out[s : s + 32, 0] = fn(x).numpy()
            out[s : s + 32, 1] = fn(torch.flip(x, dims=[3]).contiguous(memory_format=cl)).numpy()
            if (s // 32) % 200 == 0:
                print(f"[features] {s + len(x)}/{len(images)} {(s + len(x)) / (time.time() - t0):.0f} img/s", flush=True)
    save_npy(f, out)
    print(f"[features] {len(images)} images x 2 views in {time.time() - t0:.1f}s -> {f}", flush=True)
    return torch.from_numpy(out)
