"""Brand candidates from catalog titles (the catalog has no brand column): the words of a title before its
first gender word ("Red Tape Men's Brown Shoe" -> "Red Tape"), counted over the train split. Prints
`count<TAB>brand`; the reviewed list is data/brands.txt (see its header for the review rules).

  PYTHONPATH=training /usr/bin/python3 -m vitrine_train.extract_brands --min-count 20 > /tmp/brand-candidates.tsv
"""
from __future__ import annotations

import argparse
import collections
import csv
import os

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # training/
DEFAULT_CATALOG = os.path.normpath(os.path.join(HERE, "..", "..", "shared/data/fashion-products/catalog.csv"))
GENDER_WORDS = {"men", "men's", "mens", "women", "women's", "womens", "boys", "boy's", "boy", "girls", "girl's",
                "girl", "kids", "kid's", "unisex", "infant", "infants", "baby"}


def brand_candidate(title: str) -> str:
    words = title.split()
    for j, w in enumerate(words):
        if w.lower() in GENDER_WORDS:
            return " ".join(words[:j])
    return ""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--catalog", default=DEFAULT_CATALOG)
    ap.add_argument("--min-count", type=int, default=20)
    args = ap.parse_args()
    counts: collections.Counter = collections.Counter()
    spelling: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for row in csv.DictReader(open(args.catalog, encoding="utf-8")):
        if row.get("split") != "train":
            continue  # brands are learnt from training titles only
        b = brand_candidate(" ".join(row["title"].split()))
        if b:
            counts[b.lower()] += 1
            spelling[b.lower()][b] += 1
    for key, n in counts.most_common():
        if n >= args.min_count:
            print(f"{n}\t{spelling[key].most_common(1)[0][0]}")


if __name__ == "__main__":
    main()
