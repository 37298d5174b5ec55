"""Title -> image retrieval on the val split: each unique val title is a query, the gallery is every
train+val image, and every gallery product with exactly that title is relevant."""
from __future__ import annotations

import time

import numpy as np
import torch

from .model import DualEncoder


def to_pixel_tensor(batch_u8: np.ndarray, mean: torch.Tensor, std: torch.Tensor) -> torch.Tensor:
    x = torch.from_numpy(batch_u8).permute(0, 3, 1, 2).to(torch.float32) * (1 / 255)
    return ((x - mean) / std).contiguous()


@torch.no_grad()
def embed_images(model: DualEncoder, images: np.ndarray, mean, std, batch: int = 512) -> torch.Tensor:
    model.eval()
    out = []
    for s in range(0, len(images), batch):
        out.append(model.encode_image(to_pixel_tensor(images[s : s + batch], mean, std), normalize=True))
    return torch.cat(out)


@torch.no_grad()
def embed_texts(model: DualEncoder, tok, texts: list[str], batch: int = 1024) -> torch.Tensor:
    model.eval()
    out = []
    ctx = model.cfg.text.context_length
    for s in range(0, len(texts), batch):
        ids, mask = tok.encode_batch(texts[s : s + batch], ctx)
        out.append(model.encode_text(torch.from_numpy(ids), torch.from_numpy(mask), normalize=True))
    return torch.cat(out)


@torch.no_grad()
def evaluate_val(model: DualEncoder, tok, titles: list[str], title_keys: np.ndarray, splits: np.ndarray,
                 images: np.ndarray, mean, std, gallery_fn=None, attrs: list[dict] | None = None) -> dict:
    """`gallery_fn` (locked image backbone): returns the normalised gallery embeddings from cached backbone
    features instead of running the whole image tower on pixels."""
    t0 = time.time()
    if gallery_fn is not None:
        model.eval()
        with torch.no_grad():
            gallery = gallery_fn()
    else:
        gallery = embed_images(model, images, mean, std)
    t_img = time.time() - t0
    val_idx = np.flatnonzero(splits == 1)
    q_keys, first = np.unique(title_keys[val_idx], return_index=True)
    q_titles = [titles[val_idx[i]] for i in first]
    train_keys = set(title_keys[splits == 0].tolist())
    seen = np.asarray([k in train_keys for k in q_keys])
    q = embed_texts(model, tok, q_titles)
    gkeys = torch.from_numpy(title_keys)
    ranks = []
    for s in range(0, len(q), 256):
        top = (q[s : s + 256] @ gallery.T).topk(10, dim=1).indices
        hit = gkeys[top] == torch.from_numpy(q_keys[s : s + 256])[:, None]
        has = hit.any(dim=1)
        first_hit = torch.where(has, hit.to(torch.int8).argmax(dim=1) + 1, torch.full_like(has, 0, dtype=torch.long))
        ranks.append(first_hit)
    r = torch.cat(ranks).numpy()  # 1..10, 0 = not in top 10

    def metrics(mask: np.ndarray) -> dict:
        rr = r[mask]
        if len(rr) == 0:
            return {"n": 0}
        return {"n": int(len(rr)), "recall@1": float(np.mean(rr == 1)), "recall@10": float(np.mean(rr > 0)),
                "mrr@10": float(np.mean(np.where(rr > 0, 1.0 / np.maximum(rr, 1), 0.0)))}

    extra = {"attributes": attribute_queries(model, tok, gallery, attrs, splits)} if attrs is not None else {}
    return {**metrics(np.ones(len(r), dtype=bool)), "seen_titles": metrics(seen), "unseen_titles": metrics(~seen),
            **extra,
            "gallery": int(len(images)), "eval_seconds": round(time.time() - t0, 1),
            "image_embed_seconds": round(t_img, 1)}


ATTRIBUTE_FIELDS = ("masterCategory", "subCategory", "articleType", "baseColour")


@torch.no_grad()
def attribute_queries(model: DualEncoder, tok, gallery: torch.Tensor, attrs: list[dict], splits: np.ndarray) -> dict:
    """Attribute -> product on val: each value of a field that val products have is a query (the bare value,
    e.g. "Navy Blue"); relevant = every gallery product with it. precision@1, precision@10, MRR@10 per field,
    and their mean MRR@10."""
    out: dict = {}
    for field in ATTRIBUTE_FIELDS:
        vals = np.asarray([(a.get(field) or "").strip() for a in attrs])
        queries = sorted({v for v, sp in zip(vals, splits) if sp == 1 and v})
        if not queries:
            continue
        q = embed_texts(model, tok, queries)
        top = (q @ gallery.T).topk(10, dim=1).indices.numpy()
        hit = vals[top] == np.asarray(queries)[:, None]
        first = np.where(hit.any(1), hit.argmax(1) + 1, 0)
        out[field] = {"n": len(queries), "p@1": float(hit[:, 0].mean()), "p@10": float(hit.mean()),
                      "mrr@10": float(np.mean(np.where(first > 0, 1.0 / np.maximum(first, 1), 0.0)))}
    out["mean_mrr@10"] = float(np.mean([v["mrr@10"] for v in out.values()])) if out else 0.0
    return out


@torch.no_grad()
def robustness_val(embed_cached, gallery: torch.Tensor, cat, robust: dict, model: DualEncoder, tok) -> dict:
    """Validation-only robustness figures (selection, never training):
    - real: the select half of the shoppers' photos as image queries over the train+val gallery; precision@1/@8
      = share of the top results whose articleType is one the photo's label maps to;
    - hires: val products' 224x224 photos as queries; recall@1/@8 of the product's own 60x80 photo;
    - typo: val attribute values with one random typo (fixed seed) as text queries: precision@1, beside clean."""
    out: dict = {}
    types = np.asarray([(a.get("articleType") or "").strip() for a in cat.attrs])
    if "real" in robust:
        feats, labels, label_map = robust["real"]
        q = torch.cat([embed_cached(feats[s : s + 1024]) for s in range(0, len(feats), 1024)])
        top = (q @ gallery.T).topk(8, dim=1).indices.numpy()
        ok = np.asarray([[types[j] in label_map[lab] for j in row] for row, lab in zip(top, labels)])
        per_class = {lab: float(ok[np.asarray(labels) == lab, 0].mean()) for lab in sorted(set(labels))}
        out["real"] = {"n": len(labels), "p@1": float(ok[:, 0].mean()), "p@8": float(ok.mean()),
                       "p@1_per_class": per_class}
    if "hires" in robust:
        feats, rows = robust["hires"]
        val = cat.splits[rows] == 1
        if val.any():
            q = embed_cached(feats[torch.from_numpy(val)])
            top = (q @ gallery.T).topk(8, dim=1).indices.numpy()
            target = rows[val][:, None]
            out["hires"] = {"n": int(val.sum()), "recall@1": float((top[:, :1] == target).any(1).mean()),
                            "recall@8": float((top == target).any(1).mean())}
    if "views" in robust:
        feats, rows = robust["views"]
        q = torch.cat([embed_cached(feats[s : s + 1024]) for s in range(0, len(feats), 1024)])
        top = (q @ gallery.T).topk(8, dim=1).indices.numpy()
        out["views"] = {"n": int(len(rows)), "recall@1": float((top[:, 0] == rows).mean()),
                        "articleType_p@1": float((types[top[:, 0]] == types[rows]).mean())}
    from .textaug import typo
    rng = np.random.default_rng(12345)
    clean_p1, typo_p1 = [], []
    for f in ATTRIBUTE_FIELDS:
        vals = np.asarray([(a.get(f) or "").strip() for a in cat.attrs])
        queries = sorted({v for v, sp in zip(vals, cat.splits) if sp == 1 and v})
        if not queries:
            continue
        for texts, acc in ((queries, clean_p1), ([typo(v, rng) for v in queries], typo_p1)):
            top = (embed_texts(model, tok, texts) @ gallery.T).argmax(1).numpy()
            acc.extend((vals[top] == np.asarray(queries)).tolist())
    out["typo"] = {"clean_p@1": float(np.mean(clean_p1)), "typo_p@1": float(np.mean(typo_p1))}
    return out
