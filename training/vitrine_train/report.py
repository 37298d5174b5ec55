"""Print a run's val curve as a Markdown table (with the robustness columns when the run measured them).
  PYTHONPATH=training /usr/bin/python3 -m vitrine_train.report training/runs/house-v2"""
from __future__ import annotations

import json
import os
import sys


def rows(run: str, best_epoch):
    for line in open(os.path.join(run, "metrics.jsonl")):
        r = json.loads(line)
        if r.get("val"):
            yield r, r["epoch"] == best_epoch


def main(argv=None) -> None:
    run = (argv if argv is not None else sys.argv[1:])[0]
    cfg = json.load(open(os.path.join(run, "config.json")))
    print("| epoch | train loss | train s | R@1 | R@10 | MRR@10 | MRR@10 seen | MRR@10 unseen | attr MRR@10 | "
          "real p@1 | real p@8 | 224 R@1 | typo / clean p@1 | score |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    last = {}
    for r, best in rows(run, cfg["resolved"].get("best_epoch")):
        v = r["val"]
        rb = v.get("robust", {})
        f = lambda x: "–" if x is None else f"{x:.3f}"  # noqa: E731
        print(f"| {r['epoch']}{' **best**' if best else ''} | {r['train_loss']:.3f} | {r['train_seconds']:.0f} | "
              f"{v['recall@1']:.3f} | {v['recall@10']:.3f} | {v['mrr@10']:.3f} | {v['seen_titles']['mrr@10']:.3f} | "
              f"{v['unseen_titles']['mrr@10']:.3f} | {f(v.get('attributes', {}).get('mean_mrr@10'))} | "
              f"{f(rb.get('real', {}).get('p@1'))} | {f(rb.get('real', {}).get('p@8'))} | "
              f"{f(rb.get('hires', {}).get('recall@1'))} | "
              f"{f(rb.get('typo', {}).get('typo_p@1'))} / {f(rb.get('typo', {}).get('clean_p@1'))} | {f(r.get('score'))} |")
        last = v
    print(f"\nqueries: {last.get('n')} distinct val titles ({last.get('seen_titles', {}).get('n')} also in train), "
          f"gallery {last.get('gallery')} images; total {cfg['resolved'].get('train_minutes')} min")


if __name__ == "__main__":
    main()
