"""Score calibration fitted on val, exported under the `vitrine` key of config.json and applied by the runtime
(src/domain/calibration.ts): similarity = 1 / (1 + exp(-(scale * cosine + bias))), one (scale, bias) for text
queries and one for image queries.

What it means: the best hit of a real query (a val title, an attribute phrase, a shopper's word for it) and
the best hit of a query that names nothing in the catalog (junk text; for images, a photo of an empty floor,
wall or bed) are told apart by a logistic regression on the cosine, with both kinds weighted equally. So
similarity 0.5 is where, on val, a best hit is as likely to come from a real query as from junk; a hit below it
is "no close match". The junk texts are 1-4 English words that no catalog text uses and no run trains on (the
"calibrate" half of textaug.held_out_junk_words: CLIP's BPE vocabulary minus those; training's own junk words only
when the vocabulary file is missing), or letter mash and digits: junk the model was trained to push down would make
the threshold look safer than it is on a shopper's junk. Junk photos are
generated (augment.background); the house-model test checks the threshold on other junk.
"""
from __future__ import annotations

import os

import numpy as np
import torch

from .augment import background
from .data import EXTRA_TEMPLATES, TEMPLATES
from .evaluate import embed_texts
from .textaug import JUNK_WORDS, catalog_junk_words, junk_text


def fit_logistic(pos: np.ndarray, neg: np.ndarray, iters: int = 50) -> tuple[float, float]:
    """(scale, bias) of P(positive | x) = sigmoid(scale * x + bias), both classes weighted equally; Newton steps
    on the mean log-loss with a tiny ridge so that perfectly separated scores still give a finite fit."""
    x = np.concatenate([pos, neg]).astype(np.float64)
    y = np.concatenate([np.ones(len(pos)), np.zeros(len(neg))])
    w = np.concatenate([np.full(len(pos), 0.5 / len(pos)), np.full(len(neg), 0.5 / len(neg))])
    X = np.stack([x, np.ones_like(x)], axis=1)
    theta = np.zeros(2)
    ridge = 1e-3
    for _ in range(iters):
        p = 1 / (1 + np.exp(-(X @ theta)))
        grad = X.T @ (w * (p - y)) + ridge * theta
        hess = (X * (w * p * (1 - p))[:, None]).T @ X + ridge * np.eye(2)
        step = np.linalg.solve(hess, grad)
        theta -= step
        if np.abs(step).max() < 1e-9:
            break
    return float(theta[0]), float(theta[1])


def _summary(scale: float, bias: float, pos: np.ndarray, neg: np.ndarray) -> dict:
    sim = lambda x: 1 / (1 + np.exp(-(scale * x + bias)))  # noqa: E731
    return {"scale": round(scale, 6), "bias": round(bias, 6), "positives": int(len(pos)), "negatives": int(len(neg)),
            "real_below_0.5": round(float((sim(pos) < 0.5).mean()), 4),
            "junk_at_or_above_0.5": round(float((sim(neg) >= 0.5).mean()), 4),
            "cosine_at_0.5": round(-bias / scale, 4) if scale else None}


def _usable(summary: dict, what: str) -> dict | None:
    """A calibration must rise with the cosine: a model that scores junk above real queries gets none (the
    runtime then reports plain cosines) rather than a curve that would rank junk first."""
    if summary["scale"] > 0:
        return summary
    print(f"[calibration] {what}: junk scores at least as high as real queries (scale {summary['scale']}); "
          "no calibration exported", flush=True)
    return None


@torch.no_grad()
def fit_calibration(t, seed: int = 0) -> dict:
    """Fits the text and image calibrations of a Trainer's model on val; returns the config.json block."""
    d, model, tok = t.data, t.model, t.tok
    model.eval()
    gallery = t.gallery()
    if gallery is None:  # an unlocked tower: embed the gallery on pixels
        from .evaluate import embed_images
        gallery = embed_images(model, d.images, d.mean, d.std)
    rng = np.random.default_rng(seed + 991)
    val = np.flatnonzero(d.cat.splits == 1)
    n_junk, n_empty = min(1000, max(50, 5 * len(val))), min(300, max(30, len(val)))
    texts = sorted({d.cat.titles[i] for i in val})
    for tmpl in TEMPLATES + EXTRA_TEMPLATES:
        texts += sorted({s for s in (tmpl(d.cat.attrs[i]) for i in val) if s})
    real = embed_texts(model, tok, texts)
    vocab = getattr(t.args, "vocab", "")
    words = catalog_junk_words(d.cat, vocab, "calibrate") if os.path.exists(vocab) else list(JUNK_WORDS)
    junk = embed_texts(model, tok, [junk_text(rng, words, max_words=4) for _ in range(n_junk)])
    pos_t = (real @ gallery.T).max(1).values.numpy()
    neg_t = (junk @ gallery.T).max(1).values.numpy()
    out = {"method": "logistic regression of the best hit's cosine: real val queries vs junk held out from training "
                     "(unused English words, letter mash, digits), equal weight",
           "fitted_on": "val", "formula": "similarity = 1 / (1 + exp(-(scale * cosine + bias)))"}
    text = _usable(_summary(*fit_logistic(pos_t, neg_t), pos_t, neg_t), "text")
    if text:
        out["text"] = text
    if d.view_of is not None and t.locked:
        rows = val[(d.view_of[val] >= 0).any(1)]
        picks = [d.view_of[r][d.view_of[r] >= 0][0] for r in rows]
        q = t.embed_cached(d.view_features[torch.as_tensor(picks)]) if picks else None
        vision = model.vision.eval()
        features = vision.features if hasattr(vision, "features") else vision.backbone
        h, w = d.images.shape[1:3]
        empty = np.stack([background(h, w, rng).astype(np.uint8) for _ in range(n_empty)])
        x = torch.from_numpy(empty).permute(0, 3, 1, 2).float() / 255
        feats = torch.cat([features(((x[s : s + 32] - d.mean) / d.std).contiguous(memory_format=torch.channels_last))
                           for s in range(0, len(x), 32)])
        e = t.embed_cached(feats)
        if q is not None:
            pos_i = (q @ gallery.T).max(1).values.numpy()
            neg_i = (e @ gallery.T).max(1).values.numpy()
            image = _usable(_summary(*fit_logistic(pos_i, neg_i), pos_i, neg_i), "image")
            if image:
                out["image"] = image
    return out
