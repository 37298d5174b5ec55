"""Export a training checkpoint (e.g. training/runs/<name>/best.pt) to a model folder.

  PYTHONPATH=training /usr/bin/python3 -m vitrine_train.export_model --checkpoint training/runs/house/best.pt --out models/house
"""
from __future__ import annotations

import argparse
import json
import os

import torch

from .checkpoint import load_checkpoint
from .train import best_val_row, export_folder


def calibrate_run(checkpoint: str, run_args: dict, threads: int) -> dict:
    """The run's own data steps (cached features), then calibrate.fit_calibration on val."""
    from . import train as T
    from .calibrate import fit_calibration
    targs = T.parse_args([])
    for k, v in run_args.items():
        setattr(targs, k, v)
    targs.init, targs.threads = checkpoint, threads
    model, tok, pp, _ = T.build_model(targs)
    locked, tune_from = T.lock_image_backbone(model, targs)
    data = T.prepare_data(targs, model, pp, locked, tune_from)
    t = T.Trainer(args=targs, model=model, tok=tok, data=data, opt=None, lr=0.0, locked=locked, tune_from=tune_from)
    return fit_calibration(t, targs.seed)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--name", default=None, help="model name in config.json (default: the run folder's name)")
    ap.add_argument("--note", default=None, help="free text stored as vitrine.recipe in config.json")
    ap.add_argument("--calibrate", action="store_true",
                    help="fit the score calibration on val again (reads the run's data and caches, as training did)")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.set_flush_denormal(True)
    model, tok, pp, ck = load_checkpoint(args.checkpoint)
    run_dir = os.path.dirname(os.path.abspath(args.checkpoint))
    epoch = ck.get("meta", {}).get("epoch")
    meta = {"name": args.name or os.path.basename(run_dir), "best_epoch": epoch}
    cfg_path = os.path.join(run_dir, "config.json")
    if os.path.exists(os.path.join(run_dir, "metrics.jsonl")):
        meta["val"] = best_val_row(run_dir, epoch)
    if os.path.exists(cfg_path):
        a = json.load(open(cfg_path))["args"]
        meta.update({"init": a.get("init"), "trained_on": os.path.basename(a.get("catalog", ""))})
    if args.note:
        meta["recipe"] = args.note
    if args.calibrate:
        meta["calibration"] = calibrate_run(args.checkpoint, json.load(open(cfg_path))["args"], args.threads)
        print("[calibration] " + json.dumps(meta["calibration"]), flush=True)
        model, tok, pp, ck = load_checkpoint(args.checkpoint)
    if os.path.exists(cfg_path):
        run_args = json.load(open(cfg_path))["args"]
        # from the model, not the run's --image-tower: a fine-tuning run (--init) takes its tower from the checkpoint
        model.backbone_locked = model.cfg.vision.kind in ("mobilenet_v2", "hybrid") and not run_args.get("unlock_image")
    export_folder(model, tok, pp, args.out, meta)
    print(f"[export] {args.checkpoint} -> {args.out}")


if __name__ == "__main__":
    main()
