#!/usr/bin/env python3
"""Print a run's val curve as a Markdown table.  /usr/bin/python3 training/report.py training/runs/house-v1"""
import json
import os
import sys

run = sys.argv[1]
cfg = json.load(open(os.path.join(run, "config.json")))
print("| epoch | train loss | train s | temp | R@1 | R@10 | MRR@10 | MRR@10 seen titles | MRR@10 unseen titles | eval s |")
print("|---|---|---|---|---|---|---|---|---|---|")
for line in open(os.path.join(run, "metrics.jsonl")):
    r = json.loads(line)
    v = r.get("val")
    if not v:
        continue
    best = " **best**" if r["epoch"] == cfg["resolved"].get("best_epoch") else ""
    print(f"| {r['epoch']}{best} | {r['train_loss']:.3f} | {r['train_seconds']:.0f} | {r['temperature']:.4f} | "
          f"{v['recall@1']:.4f} | {v['recall@10']:.4f} | {v['mrr@10']:.4f} | {v['seen_titles']['mrr@10']:.4f} | "
          f"{v['unseen_titles']['mrr@10']:.4f} | {v['eval_seconds']:.0f} |")
v = r.get("val") or {}
print(f"\nqueries: {v.get('n')} distinct val titles ({v.get('seen_titles', {}).get('n')} also in train), "
      f"gallery {v.get('gallery')} images; total {cfg['resolved'].get('train_minutes')} min")
