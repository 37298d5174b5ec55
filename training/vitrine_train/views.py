"""Further views of each product for the locked (LiT) image tower: shopper-like augmented views of the catalog
photo (augment.py) and the 224x224 photo where the catalog has one, all brought to the model input by the served
preprocessing, then run once through the locked backbone and cached as pooled features. Also the shoppers' own
photos (`shared/data/real-photos`, validation only) and their select/report split.

Caches live in training/cache/ (git-ignored), keyed by what they depend on, so a second run reuses them:
  python3 -m vitrine_train.views --shopper-views 1     # build the caches ahead of a run
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import time

import numpy as np
import torch
from PIL import Image

from .augment import background_masks, shopper_view
from .data import CACHE_VERSION, Catalog, cached_output, load_catalog, load_image_cache, save_npy
from .preprocess import ImagePreprocessing, resize_and_crop

VIEWS_VERSION = 1  # bump when augment.py changes what a view looks like
TRAINING_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO = os.path.dirname(TRAINING_DIR)
SHARED = os.path.normpath(os.path.join(REPO, "..", "shared"))
REAL_PHOTOS = os.path.join(SHARED, "data/real-photos")
LABEL_MAP = os.path.join(REPO, "data/real-photo-labels.json")


def source_preprocessing() -> ImagePreprocessing:
    """The catalog photo as stored (60x80), white-padded where a photo is 60x77: what augmentation starts from."""
    return ImagePreprocessing(shortest_edge=60, crop_height=80, crop_width=60, resize_mode="pad")


def _key(*parts) -> str:
    return hashlib.sha1(json.dumps([CACHE_VERSION, *parts], sort_keys=True, default=str).encode()).hexdigest()[:16]


def view_rows(cat: Catalog, max_train: int | None, seed: int) -> np.ndarray:
    """Catalog rows that get shopper views: every val row (for validation) and up to `max_train` train rows (a
    seeded sample: the CPU budget, not the data, limits how many views can go through the backbone)."""
    train = np.flatnonzero(cat.splits == 0)
    if max_train is not None and len(train) > max_train:
        train = np.sort(np.random.default_rng(seed + 7).choice(train, max_train, replace=False))
    return np.sort(np.concatenate([train, np.flatnonzero(cat.splits == 1)]))


def shopper_views(cat: Catalog, pp: ImagePreprocessing, n_views: int, seed: int, cache_dir: str,
                  max_train: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(uint8 [n_views, M, H, W, 3] at the model input (served preprocessing), int [M] catalog rows): augmented
    views of the products view_rows picks."""
    rows = view_rows(cat, max_train, seed)
    if n_views <= 0:
        return np.zeros((0, 0, pp.crop_height, pp.crop_width, 3), dtype=np.uint8), rows[:0]
    f = os.path.join(cache_dir, f"views-{_key(VIEWS_VERSION, cat.image_paths, pp.as_dict(), n_views, seed, rows.tolist())}.npy")
    if os.path.exists(f):
        return np.load(f), rows
    src = load_image_cache(cat, source_preprocessing(), cache_dir)
    masks = background_masks(src)
    donors = src[np.random.default_rng(seed + 1).choice(len(src), min(2000, len(src)), replace=False)]
    out = np.empty((n_views, len(rows), pp.crop_height, pp.crop_width, 3), dtype=np.uint8)
    t0 = time.time()
    for k, i in enumerate(rows):
        rng = np.random.default_rng([seed, int(i)])  # a product's views do not depend on the others
        for v in range(n_views):
            out[v, k] = resize_and_crop(shopper_view(src[i], masks[i], rng, donors), pp)
        if k % 5000 == 0:
            print(f"[views] {k + 1}/{len(rows)} {(k + 1) / (time.time() - t0):.0f} products/s", flush=True)
    save_npy(f, out)
    print(f"[views] {n_views} shopper views of {len(rows)} products in {time.time() - t0:.0f}s -> {f}", flush=True)
    return out, rows


def hires_images(cat: Catalog, pp: ImagePreprocessing, hires_dir: str, cache_dir: str) -> tuple[np.ndarray, np.ndarray]:
    """(uint8 [M,H,W,3] at the model input, int [M] catalog rows): the 224x224 photos of the products that have one."""
    rows = np.asarray([i for i, pid in enumerate(cat.ids) if os.path.exists(os.path.join(hires_dir, f"{pid}.jpg"))],
                      dtype=np.int64)
    paths = [os.path.join(hires_dir, f"{cat.ids[i]}.jpg") for i in rows]
    f = os.path.join(cache_dir, f"hires-{_key(paths, pp.as_dict())}.npy")
    if os.path.exists(f):
        return np.load(f), rows
    out = np.zeros((len(paths), pp.crop_height, pp.crop_width, 3), dtype=np.uint8)
    for k, p in enumerate(paths):
        with Image.open(p) as img:
            out[k] = resize_and_crop(img, pp)
    save_npy(f, out)
    return out, rows


def photo_half(file_name: str) -> str:
    """`select` or `report`: a fixed hash of the file's base name (the first 8 hex digits of its SHA-256, even
    -> select), the same rule as src/eval/real-photos.ts, so Python selection never sees the report half."""
    digest = hashlib.sha256(os.path.basename(file_name).encode("utf-8")).hexdigest()
    return "select" if int(digest[:8], 16) % 2 == 0 else "report"


def real_photos(pp: ImagePreprocessing, cache_dir: str, half: str = "select", root: str = REAL_PHOTOS,
                label_map_file: str = LABEL_MAP) -> tuple[np.ndarray, list[str], dict[str, list[str]]]:
    """(uint8 [N,H,W,3] at the model input, label per photo, label -> articleTypes) for the mapped labels of one
    half. Validation only: these photos never reach training."""
    label_map = {k: v for k, v in json.load(open(label_map_file)).items() if not k.startswith("_")}
    rows = [r for r in csv.DictReader(open(os.path.join(root, "labels.csv"))) if r["label"] in label_map
            and photo_half(r["file"]) == half]
    f = os.path.join(cache_dir, f"real-{_key([r['file'] for r in rows], pp.as_dict())}.npy")
    if os.path.exists(f):
        arr = np.load(f)
    else:
        arr = np.empty((len(rows), pp.crop_height, pp.crop_width, 3), dtype=np.uint8)
        for i, r in enumerate(rows):
            with Image.open(os.path.join(root, r["file"])) as img:
                arr[i] = resize_and_crop(img, pp)
        save_npy(f, arr)
    return arr, [r["label"] for r in rows], label_map


@torch.no_grad()
def pooled_features(backbone, images: np.ndarray, mean, std, cache_dir: str) -> torch.Tensor:
    """float16 [N, C]: the locked backbone's pooled features of each image, cached on disk by a fingerprint of
    the pixels and the backbone weights."""
    f, cached = cached_output(cache_dir, "pooled", b"pooled-v1", images, backbone)
    if cached is not None:
        return torch.from_numpy(cached)
    t0 = time.time()
    bb = backbone.eval().to(memory_format=torch.channels_last)
    out = None
    for s in range(0, len(images), 32):  # small batches stay in cache
        x = torch.from_numpy(images[s : s + 32]).permute(0, 3, 1, 2).to(torch.float32) * (1 / 255)
        y = bb(((x - mean) / std).contiguous(memory_format=torch.channels_last)).numpy()
        if out is None:
            out = np.empty((len(images), y.shape[1]), dtype=np.float16)
        out[s : s + 32] = y
        if (s // 32) % 250 == 0:
            print(f"[features] {s + len(x)}/{len(images)} {(s + len(x)) / (time.time() - t0):.0f} img/s", flush=True)
    save_npy(f, out)
    print(f"[features] {len(images)} images in {time.time() - t0:.0f}s -> {f}", flush=True)
    return torch.from_numpy(out)


@torch.no_grad()
def cnn_embeddings(tower, images: np.ndarray, mean, std, cache_dir: str) -> torch.Tensor:
    """float16 [N, D]: a hybrid tower's locked CNN unit embedding of each image (cached like pooled_features)."""
    f, cached = cached_output(cache_dir, "cnn", b"cnn-v1", images, tower.cnn)
    if cached is not None:
        return torch.from_numpy(cached)
    t0 = time.time()
    tower.eval()
    out = None
    for s in range(0, len(images), 128):
        x = torch.from_numpy(images[s : s + 128]).permute(0, 3, 1, 2).to(torch.float32) * (1 / 255)
        y = torch.nn.functional.normalize(tower.cnn(tower.cnn_input((x - mean) / std)), dim=-1).numpy()
        if out is None:
            out = np.empty((len(images), y.shape[1]), dtype=np.float16)
        out[s : s + 128] = y
    save_npy(f, out)
    print(f"[features] CNN embeddings of {len(images)} images in {time.time() - t0:.0f}s -> {f}", flush=True)
    return torch.from_numpy(out)


def tower_features(tower, images: np.ndarray, mean, std, cache_dir: str) -> torch.Tensor:
    """What a locked image tower's trainable part starts from: the MobileNetV2's pooled features, and for a
    hybrid tower its CNN's unit embedding beside them."""
    pooled = pooled_features(tower.backbone, images, mean, std, cache_dir)
    if not hasattr(tower, "cnn"):
        return pooled
    return torch.cat([pooled, cnn_embeddings(tower, images, mean, std, cache_dir)], dim=1)


def main(argv=None) -> None:
    from .mobilenet import KERAS_MEAN, KERAS_STD, MobileNetV2, read_nsfwjs_mobilenet
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--catalog", default=os.path.join(SHARED, "data/fashion-products/catalog.csv"))
    ap.add_argument("--images", default=os.path.join(SHARED, "data/fashion-products/images"))
    ap.add_argument("--hires-images", default=os.path.join(SHARED, "data/fashion-products/images-224"))
    ap.add_argument("--cache-dir", default=os.path.join(TRAINING_DIR, "cache"))
    ap.add_argument("--size", type=int, default=96)
    ap.add_argument("--shopper-views", type=int, default=1)
    ap.add_argument("--max-view-products", type=int, default=None, help="train products that get shopper views")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.set_flush_denormal(True)
    pp = ImagePreprocessing(shortest_edge=args.size, crop_height=args.size, crop_width=args.size,
                            image_mean=list(KERAS_MEAN), image_std=list(KERAS_STD), resize_mode="pad")
    cat = load_catalog(args.catalog, args.images)
    bb = MobileNetV2()
    bb.load_keras_weights(read_nsfwjs_mobilenet(args.cache_dir))
    mean = torch.tensor(pp.image_mean).view(1, 3, 1, 1)
    std = torch.tensor(pp.image_std).view(1, 3, 1, 1)
    clean = load_image_cache(cat, pp, args.cache_dir)
    pooled_features(bb, clean, mean, std, args.cache_dir)
    for half in ("select",):
        photos, _, _ = real_photos(pp, args.cache_dir, half)
        pooled_features(bb, photos, mean, std, args.cache_dir)
    hires, _ = hires_images(cat, pp, args.hires_images, args.cache_dir)
    pooled_features(bb, hires, mean, std, args.cache_dir)
    views, _ = shopper_views(cat, pp, args.shopper_views, args.seed, args.cache_dir, args.max_view_products)
    for v in range(len(views)):
        pooled_features(bb, views[v], mean, std, args.cache_dir)


if __name__ == "__main__":
    main()
