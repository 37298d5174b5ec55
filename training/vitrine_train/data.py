"""Catalog reading (CSV or JSONL), the decoded-image cache, and text sampling (titles + attribute phrases).

The `test` split is dropped on read and never reaches any other code.
"""
from __future__ import annotations

import csv
import hashlib
import json
import os
import time
import zlib
from dataclasses import dataclass

import numpy as np
from PIL import Image

from .preprocess import ImagePreprocessing, resize_and_crop

CACHE_VERSION = 3  # bump when the preprocessing code changes (2: HF-exact padding in the centre crop; 3: pad mode)
IMAGE_EXTS = (".jpg", ".jpeg", ".png", ".webp")
GENDER_WORDS = {"men": "men", "women": "women", "boys": "boys", "girls": "girls", "unisex": "unisex"}


@dataclass
class Catalog:
    ids: list[str]
    titles: list[str]
    attrs: list[dict]
    splits: np.ndarray  # 0 = train, 1 = val
    image_paths: list[str]


def read_rows(path: str) -> list[dict]:
    if path.endswith(".jsonl") or path.endswith(".ndjson"):
        with open(path, encoding="utf-8") as f:
            return [json.loads(line) for line in f if line.strip()]
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _find_image(images_dir: str, row: dict, catalog_dir: str) -> str | None:
    explicit = row.get("image") or row.get("image_path")
    if explicit:
        p = explicit if os.path.isabs(explicit) else os.path.join(images_dir or catalog_dir, explicit)
        return p if os.path.exists(p) else None
    for ext in IMAGE_EXTS:
        p = os.path.join(images_dir, f"{row['id']}{ext}")
        if os.path.exists(p):
            return p
    return None


def load_catalog(path: str, images_dir: str, val_fraction: float = 0.05, seed: int = 0,
                 limit_train: int | None = None, limit_val: int | None = None) -> Catalog:
    """Rows with an image and a title. `split` column: train/val used, test dropped; absent: a
    deterministic hash of the id (salted with the seed) holds out `val_fraction` as val."""
    rows = read_rows(path)
    catalog_dir = os.path.dirname(os.path.abspath(path))
    has_split = any("split" in r and r["split"] not in (None, "") for r in rows)
    ids, titles, attrs, splits, paths = [], [], [], [], []
    missing = 0
    for r in rows:
        r = {k: ("" if v is None else str(v)) for k, v in r.items()}
        if not r.get("id") or not r.get("title", "").strip():
            continue
        if has_split:
            s = r.get("split", "").strip().lower()
            if s not in ("train", "val"):
                continue  # test (or unknown): never used for training or selection
            split = 0 if s == "train" else 1
        else:
            h = zlib.crc32(f"{seed}:{r['id']}".encode()) / 2**32
            split = 1 if h < val_fraction else 0
        p = _find_image(images_dir, r, catalog_dir)
        if p is None:
            missing += 1
            continue
        ids.append(r["id"]); titles.append(" ".join(r["title"].split())); attrs.append(r)
        splits.append(split); paths.append(p)
    if missing:
        print(f"[data] {missing} rows skipped: no image found", flush=True)
    splits_arr = np.asarray(splits, dtype=np.int8)
    keep = np.ones(len(ids), dtype=bool)
    rng = np.random.default_rng(seed)
    for split_value, limit in ((0, limit_train), (1, limit_val)):
        idx = np.flatnonzero(splits_arr == split_value)
        if limit is not None and len(idx) > limit:
            drop = rng.permutation(idx)[limit:]
            keep[drop] = False
    sel = np.flatnonzero(keep)
    return Catalog([ids[i] for i in sel], [titles[i] for i in sel], [attrs[i] for i in sel], splits_arr[sel],
                   [paths[i] for i in sel])


def save_npy(path: str, arr: np.ndarray) -> None:
    """Write through a temporary file, so that a stopped run never leaves a truncated cache behind."""
    tmp = f"{path}.{os.getpid()}.tmp.npy"
    np.save(tmp, arr)
    os.replace(tmp, path)


def cached_output(cache_dir: str, prefix: str, salt: bytes, images: np.ndarray, module) -> tuple[str, np.ndarray | None]:
    """(cache file, the cached array or None) for a network's output over `images`, keyed by a fingerprint of a
    pixel sample, the array shape and the network's weights, so new pixels or weights never reuse old outputs."""
    import hashlib as _hashlib
    h = _hashlib.sha1(salt)
    h.update(np.ascontiguousarray(images[:: max(1, len(images) // 512)]).tobytes())
    h.update(str(images.shape).encode())
    for v in module.state_dict().values():
        h.update(v.float().numpy().tobytes()[:4096])
    f = os.path.join(cache_dir, f"{prefix}-{h.hexdigest()[:16]}.npy")
    if os.path.exists(f):
        arr = np.load(f)
        if arr.shape[0] == len(images):
            return f, arr
    return f, None


def load_image_cache(cat: Catalog, pp: ImagePreprocessing, cache_dir: str) -> np.ndarray:
    """uint8 [N, H, W, 3]: each image after convert-RGB, resize and centre crop (exactly the served
    preprocessing before rescale/normalise). Stored as .npy keyed by paths + preprocessing."""
    key = hashlib.sha1(json.dumps([CACHE_VERSION, cat.image_paths, pp.as_dict()]).encode()).hexdigest()[:16]
    os.makedirs(cache_dir, exist_ok=True)
    f = os.path.join(cache_dir, f"images-{key}.npy")
    if os.path.exists(f):
        arr = np.load(f, mmap_mode=None)
        if arr.shape[0] == len(cat.image_paths):
            return arr
    t0 = time.time()
    arr = np.empty((len(cat.image_paths), pp.crop_height, pp.crop_width, 3), dtype=np.uint8)
    for i, p in enumerate(cat.image_paths):
        with Image.open(p) as img:
            arr[i] = resize_and_crop(img, pp)
    save_npy(f, arr)
    print(f"[data] cached {len(arr)} images in {time.time() - t0:.1f}s -> {f}", flush=True)
    return arr


# ---- texts -------------------------------------------------------------------------------------
def _clean(v: str) -> str:
    v = (v or "").strip()
    return "" if v.lower() in ("", "nan", "na", "none", "null") else v


def _gender(v: str) -> str:
    return GENDER_WORDS.get(_clean(v).lower(), _clean(v).lower())


# Each template returns None when a field it needs is missing; then the title is used instead.
def _t(fields, fmt):
    def f(a: dict):
        vals = {k: (_gender(a.get("gender", "")) if k == "gender" else _clean(a.get(k, ""))) for k in fields}
        if any(not v for v in vals.values()):
            return None
        return fmt.format(**vals)
    return f


TEMPLATES = [
    _t(("gender", "baseColour", "articleType"), "{gender} {baseColour} {articleType}"),
    _t(("baseColour", "articleType"), "{baseColour} {articleType}"),
    _t(("gender", "baseColour", "usage", "articleType"), "{gender} {baseColour} {usage} {articleType}"),
    _t(("articleType", "gender"), "{articleType} for {gender}"),
    _t(("baseColour", "subCategory", "gender"), "{baseColour} {subCategory} for {gender}"),
    _t(("gender", "articleType"), "{gender} {articleType}"),
    _t(("season", "baseColour", "articleType"), "{season} {baseColour} {articleType}"),
]
# Short attribute queries ("Footwear", "Navy Blue", "men accessories"): `--extra-templates`.
EXTRA_TEMPLATES = [
    _t(("masterCategory",), "{masterCategory}"),
    _t(("gender", "masterCategory"), "{gender} {masterCategory}"),
    _t(("subCategory",), "{subCategory}"),
    _t(("articleType",), "{articleType}"),
    _t(("baseColour",), "{baseColour}"),
]


class TextSampler:
    """Per product: the title (key 0) and each attribute phrase (keys 1..T). `keys[t, i]` is an id of the
    (lowercased) string template t gives for product i, so two products are positives for a text made
    with template t exactly when their keys match: the multi-positive targets of the loss."""

    def __init__(self, cat: Catalog, title_prob: float = 0.5, extra_templates: bool = False):
        self.title_prob = title_prob
        templates = TEMPLATES + (EXTRA_TEMPLATES if extra_templates else [])
        n = len(cat.titles)
        strings: dict[str, int] = {}
        self.keys = np.zeros((len(templates) + 1, n), dtype=np.int64)
        self.texts: list[str] = []

        def sid(s: str) -> int:
            k = s.lower()
            if k not in strings:
                strings[k] = len(self.texts)
                self.texts.append(s)
            return strings[k]

        for i, (title, a) in enumerate(zip(cat.titles, cat.attrs)):
            tkey = sid(title)
            self.keys[0, i] = tkey
            for t, tmpl in enumerate(templates, start=1):
                s = tmpl(a)
                self.keys[t, i] = sid(s) if s else tkey
        self.title_keys = self.keys[0]

    def sample(self, idx: np.ndarray, rng: np.random.Generator, augment: bool = True):
        """Returns (text string ids per sample, template index per sample)."""
        if not augment:
            tmpl = np.zeros(len(idx), dtype=np.int64)
        else:
            use_attr = rng.random(len(idx)) >= self.title_prob
            tmpl = np.where(use_attr, rng.integers(1, self.keys.shape[0], size=len(idx)), 0)
        return self.keys[tmpl, idx], tmpl

    def positives(self, idx: np.ndarray, tmpl: np.ndarray) -> np.ndarray:
        """bool [B images, B texts]: image i matches text j if i's string under j's template equals text j,
        or i and j share the exact title."""
        kb = self.keys[:, idx]  # [T, B]
        m = kb[tmpl, :].T == kb[tmpl, np.arange(len(idx))][None, :]
        return m | (self.title_keys[idx][:, None] == self.title_keys[idx][None, :])


# ---- auxiliary labels --------------------------------------------------------------------------
AUX_FIELDS = ("gender", "articleType", "baseColour", "brand")


def title_brand(title: str) -> str:
    """The words before the first gender word ("Turtle Check Men Navy Blue Shirt" -> "turtle check"); without
    one, the first word."""
    words = title.split()
    for j, w in enumerate(words):
        if w.lower() in GENDER_WORDS or w.lower() in ("kids", "boy", "girl"):
            return " ".join(words[:j]).lower()
    return words[0].lower() if words else ""


def aux_labels(cat: Catalog, min_count: int = 5) -> dict[str, tuple[np.ndarray, list[str]]]:
    """Per field: (label per product, -100 where missing or rarer than min_count in train; class names).
    Brand comes from the title. Classes are counted on train rows only."""
    out = {}
    for field in AUX_FIELDS:
        vals = [title_brand(t) if field == "brand" else _clean(a.get(field, "")).lower()
                for t, a in zip(cat.titles, cat.attrs)]
        counts: dict[str, int] = {}
        for v, sp in zip(vals, cat.splits):
            if v and sp == 0:
                counts[v] = counts.get(v, 0) + 1
        names = sorted(v for v, c in counts.items() if c >= min_count)
        index = {v: i for i, v in enumerate(names)}
        out[field] = (np.asarray([index.get(v, -100) for v in vals], dtype=np.int64), names)
    return out


def hard_batch(groups: list[np.ndarray], group_of: np.ndarray, pool: np.ndarray, size: int, per_group: int,
               rng: np.random.Generator) -> np.ndarray:
    """A batch of a few look-alike groups (same gender + articleType): anchors drawn from `pool`, up to
    `per_group` products of each anchor's group, so that negatives differ in colour, brand and details."""
    order = group_of[rng.permutation(pool)]  # a group comes up with a chance proportional to its size
    _, first = np.unique(order, return_index=True)
    chosen: list[int] = []
    for g in order[np.sort(first)]:
        members = groups[g]
        take = members if len(members) <= per_group else rng.choice(members, per_group, replace=False)
        chosen.extend(int(i) for i in take[: size - len(chosen)])
        if len(chosen) >= size:
            break
    if len(chosen) < size:  # only a few small groups: top up with other products
        chosen.extend(int(i) for i in rng.choice(np.setdiff1d(pool, chosen), size - len(chosen), replace=False))
    return np.sort(np.asarray(chosen))


def look_alike_groups(cat: Catalog, idx: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """Products of `idx` grouped by (gender, articleType); group_of maps a product to its group (-1: not in idx)."""
    keys: dict[tuple, list[int]] = {}
    for i in idx:
        a = cat.attrs[i]
        keys.setdefault((_clean(a.get("gender", "")).lower(), _clean(a.get("articleType", "")).lower()), []).append(int(i))
    groups = [np.asarray(v) for v in keys.values()]
    group_of = np.full(len(cat.titles), -1, dtype=np.int64)
    for g, members in enumerate(groups):
        group_of[members] = g
    return groups, group_of
