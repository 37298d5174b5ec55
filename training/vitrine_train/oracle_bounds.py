"""What title -> image retrieval can reach from attributes alone: labels only, no model, no image.

For each distinct title of a split (the eval's queries), imagine a model that knows every gallery product's
attributes perfectly (the listed fields) but nothing else, so it ranks the products that share the query
product's attributes first, in random order. Expected BEIR recall@1 and recall@10 of that "oracle" show how
much of the task needs more than the attributes (brand, product line, details). Gallery = the whole catalog.

  PYTHONPATH=training /usr/bin/python3 -m vitrine_train.oracle_bounds --split test
"""
from __future__ import annotations

import argparse
import collections
import csv
import os

from .data import title_brand

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # training/
DEFAULT_CATALOG = os.path.normpath(os.path.join(HERE, "../../shared/data/fashion-products/catalog.csv"))


def expected_recall(n_group: int, k: int) -> float:
    """The relevant products all inside a group of n_group tied products ranked first in random order: the
    expected share of them in the top k (BEIR recall@k)."""
    return min(k, n_group) / n_group if n_group else 0.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--catalog", default=DEFAULT_CATALOG)
    ap.add_argument("--split", default="test")
    a = ap.parse_args()
    rows = list(csv.DictReader(open(a.catalog, encoding="utf-8")))
    by_title = collections.defaultdict(list)
    for r in rows:
        by_title[r["title"]].append(r)
    titles = sorted({r["title"] for r in rows if r["split"] == a.split})
    train_titles = {r["title"] for r in rows if r["split"] == "train"}
    keys = {
        "gender + articleType + baseColour": lambda r: (r["gender"], r["articleType"], r["baseColour"]),
        "... + brand (title words before the gender)": lambda r: (r["gender"], r["articleType"], r["baseColour"],
                                                                  title_brand(r["title"])),
    }
    print(f"{len(titles)} distinct {a.split} titles ({sum(t in train_titles for t in titles)} also train titles); "
          f"gallery {len(rows)} products")
    print(f"best possible recall@1 (one hit per query): "
          f"{sum(1 / len(by_title[t]) for t in titles) / len(titles):.3f}")
    for name, key in keys.items():
        size = collections.Counter(key(r) for r in rows)
        r1 = r10 = 0.0
        for t in titles:
            rel = by_title[t]
            # products sharing a title share its attributes in almost every case; the group is the first one's
            n = size[key(rel[0])]
            r1 += expected_recall(n, 1)
            r10 += expected_recall(n, 10)
        print(f"oracle knowing {name}: recall@1 {r1 / len(titles):.3f}, recall@10 {r10 / len(titles):.3f}")


if __name__ == "__main__":
    main()
