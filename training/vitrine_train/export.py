"""Export a DualEncoder to the Hugging Face CLIP ONNX folder layout that the Vitrine runtime loads:

    config.json  tokenizer.json  tokenizer_config.json  preprocessor_config.json
    onnx/text_model.onnx    (input_ids, attention_mask: int64 [batch, seq]) -> text_embeds  float32 [batch, dim]
    onnx/vision_model.onnx  (pixel_values: float32 [batch, 3, H, W])        -> image_embeds float32 [batch, dim]
    golden.json  (token ids, pixel values and PyTorch outputs, for runtime parity tests)

Outputs are NOT L2-normalised (like HF CLIP*ModelWithProjection); the runtime normalises.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
import warnings

import numpy as np
import torch
from PIL import Image

from .model import DualEncoder, ModelConfig
from .preprocess import ImagePreprocessing, pixel_values
from .tokenizer import ClipBpeTokenizer

OPSET = 14
# torch 1.13's exporter warns about its own constants on every export; the graphs are checked by golden tests.
warnings.filterwarnings("ignore", message="The shape inference of prim::Constant type is missing")


class _TextExport(torch.nn.Module):
    def __init__(self, model: DualEncoder):
        super().__init__()
        self.model = model

    def forward(self, input_ids, attention_mask):
        return self.model.encode_text(input_ids, attention_mask)


class _VisionExport(torch.nn.Module):
    def __init__(self, model: DualEncoder):
        super().__init__()
        self.model = model

    def forward(self, pixel_values):
        return self.model.encode_image(pixel_values)


def _round(values, digits: int = 8) -> list:
    return [float(f"{float(v):.{digits}g}") for v in np.asarray(values, dtype=np.float64).ravel()]


def hf_config(cfg: ModelConfig, tok: ClipBpeTokenizer, pp: ImagePreprocessing, vitrine_meta: dict) -> dict:
    t, v = cfg.text, cfg.vision
    return {
        "model_type": "clip",
        "architectures": ["CLIPModel"],
        "projection_dim": cfg.embed_dim,
        "logit_scale_init_value": float(np.log(1 / cfg.init_temperature)),
        "text_config": {
            "model_type": "clip_text_model",
            "vocab_size": t.vocab_size,
            "hidden_size": t.width,
            "num_hidden_layers": t.layers,
            "num_attention_heads": t.heads,
            "intermediate_size": int(t.width * t.mlp_ratio),
            "max_position_embeddings": t.context_length,
            "projection_dim": cfg.embed_dim,
            "bos_token_id": tok.sot_id,
            "eos_token_id": tok.eot_id,
            "pad_token_id": tok.eot_id,
        },
        "vision_config": {
            "model_type": "clip_vision_model",
            "num_channels": 3,
            "image_size": max(pp.crop_height, pp.crop_width),
            "projection_dim": cfg.embed_dim,
        },
        "vitrine": {
            "architecture": "vitrine-dual-encoder-v1",
            "embedding_dim": cfg.embed_dim,
            "normalize": True,
            "metric": "cosine",
            "text_pooling": "masked-mean (attention_mask)",
            "image_input": {"height": pp.crop_height, "width": pp.crop_width},
            "model": cfg.as_dict(),
            **vitrine_meta,
        },
    }


def synthetic_image(seed: int, width: int, height: int) -> Image.Image:
    """A deterministic product-like picture: light background gradient, a coloured block and a disc."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    base = rng.uniform(150, 250, size=3).astype(np.float32)
    img = base[None, None, :] - 40.0 * (yy / max(height - 1, 1))[..., None] + 20.0 * (xx / max(width - 1, 1))[..., None]
    x0, y0 = rng.integers(0, width // 2), rng.integers(0, height // 2)
    img[y0 : y0 + height // 2, x0 : x0 + width // 2] = rng.uniform(0, 255, size=3)
    cx, cy, r = rng.uniform(0, width), rng.uniform(0, height), min(width, height) / 4
    disc = (xx - cx) ** 2 + (yy - cy) ** 2 <= r * r
    img[disc] = rng.uniform(0, 255, size=3)
    return Image.fromarray(np.clip(np.rint(img), 0, 255).astype(np.uint8), mode="RGB")


def write_golden_images(out_dir: str, pp: ImagePreprocessing, extra_sizes=((48, 40),), seed: int = 1234) -> list[str]:
    """Three-plus PNGs: two at exactly the crop size (no resize), then ones that need a resize."""
    os.makedirs(out_dir, exist_ok=True)
    sizes = [(pp.crop_width, pp.crop_height), (pp.crop_width, pp.crop_height), *extra_sizes]
    paths = []
    for i, (w, h) in enumerate(sizes):
        p = os.path.join(out_dir, f"synthetic-{i}-{w}x{h}.png")
        synthetic_image(seed + i, w, h).save(p, format="PNG", optimize=False)
        paths.append(p)
    return paths


@torch.no_grad()
def golden(model: DualEncoder, tok: ClipBpeTokenizer, pp: ImagePreprocessing, texts: list[str],
           image_paths: list[str], repo_root: str) -> dict:
    model.eval()
    ctx = model.cfg.text.context_length
    text_rows = []
    for t in texts:
        ids, mask = tok.encode_batch([t], ctx)
        z = model.encode_text(torch.from_numpy(ids), torch.from_numpy(mask))
        text_rows.append({
            "text": t,
            "input_ids": ids[0].tolist(),
            "attention_mask": mask[0].tolist(),
            "text_embeds": _round(z[0]),
            "text_embeds_normalized": _round(torch.nn.functional.normalize(z, dim=-1)[0]),
        })
    # Padding must not change a text's vector: check a right-padded batch against one-at-a-time.
    ids, mask = tok.encode_batch(texts, ctx, pad_to=ctx)
    zb = model.encode_text(torch.from_numpy(ids), torch.from_numpy(mask)).numpy()
    single = np.asarray([r["text_embeds"] for r in text_rows])
    pad_err = float(np.abs(zb - single).max())
    assert pad_err < 1e-4, f"padding changes text embeddings (max abs diff {pad_err})"

    image_rows = []
    for p in image_paths:
        img = Image.open(p)
        pv = pixel_values(img, pp)
        z = model.encode_image(torch.from_numpy(pv)[None])
        image_rows.append({
            "file": os.path.relpath(p, repo_root),
            "width": img.width,
            "height": img.height,
            "resized": (img.width, img.height) != (pp.crop_width, pp.crop_height),
            "pixel_values_shape": [1, 3, pp.crop_height, pp.crop_width],
            "pixel_values": _round(pv),
            "image_embeds": _round(z[0]),
            "image_embeds_normalized": _round(torch.nn.functional.normalize(z, dim=-1)[0]),
        })
    return {
        "dim": model.cfg.embed_dim,
        "context_length": ctx,
        "pad_token_id": tok.eot_id,
        "notes": ("text_embeds/image_embeds are the raw ONNX outputs (unnormalised) from PyTorch; "
                  "image 'file' paths are relative to the repository root; images with resized=false are "
                  "exactly the crop size, so pixel_values must match to float precision, resized ones "
                  "went through PIL bicubic and may differ slightly from other resizers."),
        "max_abs_diff_padded_batch_vs_single": pad_err,
        "texts": text_rows,
        "images": image_rows,
    }


def export_onnx(model: DualEncoder, onnx_dir: str, pp: ImagePreprocessing) -> None:
    os.makedirs(onnx_dir, exist_ok=True)
    model = model.eval()
    ctx = model.cfg.text.context_length
    ids = torch.full((2, min(ctx, 8)), 5, dtype=torch.long)
    mask = torch.ones_like(ids)
    mask[1, 5:] = 0
    torch.onnx.export(_TextExport(model), (ids, mask), os.path.join(onnx_dir, "text_model.onnx"),
                      input_names=["input_ids", "attention_mask"], output_names=["text_embeds"],
                      dynamic_axes={"input_ids": {0: "batch_size", 1: "sequence_length"},
                                    "attention_mask": {0: "batch_size", 1: "sequence_length"},
                                    "text_embeds": {0: "batch_size"}},
                      opset_version=OPSET, do_constant_folding=True)
    px = torch.zeros(2, 3, pp.crop_height, pp.crop_width)
    torch.onnx.export(_VisionExport(model), (px,), os.path.join(onnx_dir, "vision_model.onnx"),
                      input_names=["pixel_values"], output_names=["image_embeds"],
                      dynamic_axes={"pixel_values": {0: "batch_size"}, "image_embeds": {0: "batch_size"}},
                      opset_version=OPSET, do_constant_folding=True)


def export_model_folder(model: DualEncoder, tok: ClipBpeTokenizer, pp: ImagePreprocessing, out_dir: str, *,
                        vitrine_meta: dict, golden_texts: list[str], golden_image_paths: list[str],
                        repo_root: str, checkpoint: dict | None = None) -> None:
    """Write the whole folder into a temp dir beside out_dir, then swap it in (no half-written models)."""
    model = model.eval()
    parent = os.path.dirname(os.path.abspath(out_dir)) or "."
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=".export-", dir=parent)
    os.chmod(tmp, 0o755)
    try:
        with open(os.path.join(tmp, "config.json"), "w") as f:
            json.dump(hf_config(model.cfg, tok, pp, vitrine_meta), f, indent=2)
            f.write("\n")
        tok.save(tmp, model.cfg.text.context_length)
        with open(os.path.join(tmp, "preprocessor_config.json"), "w") as f:
            json.dump(pp.to_preprocessor_config(), f, indent=2)
            f.write("\n")
        export_onnx(model, os.path.join(tmp, "onnx"), pp)
        g = golden(model, tok, pp, golden_texts, golden_image_paths, repo_root)
        with open(os.path.join(tmp, "golden.json"), "w") as f:
            json.dump(g, f, separators=(",", ":"))
            f.write("\n")
        if checkpoint is not None:
            torch.save(checkpoint, os.path.join(tmp, "pytorch_model.pt"))  # for `--init <folder>` fine-tuning
        # Keep files the export does not own (e.g. MODEL_CARD.md) when replacing an existing folder.
        if os.path.isdir(out_dir):
            owned = {"config.json", "tokenizer.json", "tokenizer_config.json", "preprocessor_config.json",
                     "onnx", "golden.json", "golden-images", "pytorch_model.pt"}
            for name in os.listdir(out_dir):
                if name not in owned and not os.path.exists(os.path.join(tmp, name)):
                    src = os.path.join(out_dir, name)
                    (shutil.copytree if os.path.isdir(src) else shutil.copy2)(src, os.path.join(tmp, name))
            shutil.rmtree(out_dir)
        os.rename(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
