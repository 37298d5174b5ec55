"""Where title -> image retrieval goes wrong: for every distinct val title, does the top-1 product (gallery =
train + val photos) share the query product's gender, articleType, baseColour, brand, exact title?

  PYTHONPATH=training /usr/bin/python3 -m vitrine_train.top1_agreement models/house     # or a checkpoint .pt
"""
from __future__ import annotations

import argparse
import os

import numpy as np
import torch

from .checkpoint import load_checkpoint
from .data import TextSampler, load_catalog, load_image_cache, title_brand
from .evaluate import embed_images, embed_texts

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # training/

SHARED = os.path.normpath(os.path.join(HERE, "../../shared/data/fashion-products"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", help="model folder (with pytorch_model.pt) or checkpoint")
    ap.add_argument("--catalog", default=os.path.join(SHARED, "catalog.csv"))
    ap.add_argument("--images", default=os.path.join(SHARED, "images"))
    ap.add_argument("--cache-dir", default=os.path.join(HERE, "cache"))
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.set_flush_denormal(True)
    model, tok, pp, _ = load_checkpoint(a.model)
    cat = load_catalog(a.catalog, a.images)  # train + val only: test never reaches this code
    images = load_image_cache(cat, pp, a.cache_dir)
    mean = torch.tensor(pp.image_mean).view(1, 3, 1, 1)
    std = torch.tensor(pp.image_std).view(1, 3, 1, 1)
    gallery = embed_images(model, images, mean, std)
    keys = TextSampler(cat).title_keys
    val = np.flatnonzero(cat.splits == 1)
    _, first = np.unique(keys[val], return_index=True)
    queries = val[first]
    q = embed_texts(model, tok, [cat.titles[i] for i in queries])
    top = torch.cat([(q[s : s + 256] @ gallery.T).argmax(dim=1) for s in range(0, len(q), 256)]).numpy()
    fields = ("gender", "articleType", "baseColour")
    rows = {f: np.mean([cat.attrs[i][f] == cat.attrs[j][f] for i, j in zip(queries, top)]) for f in fields}
    rows["all three"] = np.mean([all(cat.attrs[i][f] == cat.attrs[j][f] for f in fields) for i, j in zip(queries, top)])
    rows["brand"] = np.mean([title_brand(cat.titles[i]) == title_brand(cat.titles[j]) for i, j in zip(queries, top)])
    rows["exact title"] = np.mean(keys[queries] == keys[top])
    print(f"{len(queries)} val titles; top-1 product shares the query product's:")
    for k, v in rows.items():
        print(f"  {k:<12} {v:.3f}")


if __name__ == "__main__":
    main()
