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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--name", default=None, help="model name in config.json (default: the run folder's name)")
    ap.add_argument("--note", default=None, help="free text stored as vitrine.recipe in config.json")
    args = ap.parse_args()
    torch.set_num_threads(2)
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
    export_folder(model, tok, pp, args.out, meta)
    print(f"[export] {args.checkpoint} -> {args.out}")


if __name__ == "__main__":
    main()
