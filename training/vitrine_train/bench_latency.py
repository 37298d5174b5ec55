"""Batch-1 CPU latency of a model folder in PyTorch (median over runs), the serving-time budget check
(text <= 10 ms, image <= 30 ms).  PYTHONPATH=training /usr/bin/python3 -m vitrine_train.bench_latency models/house [--threads 1]"""
from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np
import torch

from .checkpoint import load_checkpoint


def median_ms(fn, n: int) -> float:
    for _ in range(5):
        fn()
    ts = []
    for _ in range(n):
        t0 = time.perf_counter(); fn(); ts.append((time.perf_counter() - t0) * 1000)
    return float(np.median(ts))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("folder")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("-n", type=int, default=200)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    model, tok, _, _ = load_checkpoint(args.folder)
    ids, mask = tok.encode_batch(["Turtle Check Men Navy Blue Shirt"], model.cfg.text.context_length)
    ids, mask = torch.from_numpy(ids), torch.from_numpy(mask)
    px = torch.randn(1, 3, model.cfg.vision.image_height, model.cfg.vision.image_width)
    with torch.no_grad():
        r = {"threads": args.threads,
             "text_ms": median_ms(lambda: model.encode_text(ids, mask), args.n),
             "image_ms": median_ms(lambda: model.encode_image(px), args.n),
             "tokenize_ms": median_ms(lambda: tok.encode_batch(["Turtle Check Men Navy Blue Shirt x%d" % time.time_ns()], 32), args.n)}
    print(json.dumps({k: (round(v, 3) if isinstance(v, float) else v) for k, v in r.items()}))


if __name__ == "__main__":
    main()
