"""Build the tiny random CLIP-layout fixture used by the runtime's tests (test/fixtures/tiny-clip/).

Deterministic: fixed seed, fixed merges count; rerunning rewrites the same numbers.
From the repository root:  PYTHONPATH=training /usr/bin/python3 -m vitrine_train.make_tiny_fixture
"""
from __future__ import annotations

import argparse
import os

import torch

from .export import export_model_folder, write_golden_images
from .model import DualEncoder, ModelConfig, TextConfig, VisionConfig, count_params
from .preprocess import ImagePreprocessing
from .tokenizer import DEFAULT_VOCAB_GZ, ClipBpeTokenizer

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

SEED = 20261127
NUM_MERGES = 2000
CONTEXT_LENGTH = 77
GOLDEN_TEXTS = [
    "",
    "Turtle Check Men Navy Blue Shirt",
    "a photo of a cat",
    "Café crème  Ünïcödé — naïve 👗 ドレス 42cm",
    " ".join(["Peter England Men Slim Fit Navy Blue & White Checked Formal Shirt with pockets"] * 6),
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", default=os.path.join(REPO, "test/fixtures/tiny-clip"))
    ap.add_argument("--images-out", default=os.path.join(REPO, "test/fixtures/tiny-clip-images"))
    ap.add_argument("--vocab", default=DEFAULT_VOCAB_GZ)
    args = ap.parse_args()

    torch.manual_seed(SEED)
    torch.set_num_threads(2)
    tok = ClipBpeTokenizer.from_merges_file(args.vocab, NUM_MERGES)
    cfg = ModelConfig(
        text=TextConfig(vocab_size=tok.vocab_size, context_length=CONTEXT_LENGTH, width=32, layers=1, heads=2,
                        mlp_ratio=2.0, pad_id=tok.eot_id),
        vision=VisionConfig(channels=[8, 16, 16], strides=[2, 2, 1], image_height=32, image_width=32),
        embed_dim=16,
    )
    model = DualEncoder(cfg)
    # Random but non-trivial BatchNorm statistics, so the exported (folded) graph is really exercised.
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 1.5)
    model.eval()
    pp = ImagePreprocessing(shortest_edge=32, crop_height=32, crop_width=32)
    images = write_golden_images(args.images_out, pp, extra_sizes=((48, 40),), seed=SEED)
    too_long = len(tok.tokenize_ids(GOLDEN_TEXTS[-1])) + 2
    assert too_long > CONTEXT_LENGTH, too_long
    export_model_folder(
        model, tok, pp, args.out,
        vitrine_meta={"name": "tiny-clip-fixture", "description": "random weights, for runtime tests only",
                      "seed": SEED, "num_merges": NUM_MERGES, "generator": "vitrine_train.make_tiny_fixture",
                      "parameters": count_params(model)},
        golden_texts=GOLDEN_TEXTS, golden_image_paths=images, repo_root=REPO,
    )
    print(f"wrote {args.out} ({count_params(model)} parameters, vocab {tok.vocab_size}); long text has "
          f"{too_long} tokens before truncation to {CONTEXT_LENGTH}")


if __name__ == "__main__":
    main()
