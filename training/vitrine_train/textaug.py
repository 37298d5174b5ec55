"""Text augmentation towards what shoppers type: their words for catalog terms (the reviewed data/synonyms.json),
one-character typos, and junk texts that match nothing (negatives that teach the model's scores to stay low
for them, so that a score threshold can hold junk back).

The typo edit is the same family as src/eval/query-sets.ts `typoEdit` (delete, insert, substitute, transpose at a
letter) but drawn from the training RNG: the eval's seeded typo queries are not replayed here.
"""
from __future__ import annotations

import json
import os
import re
import zlib
from collections.abc import Sequence

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_SYNONYMS = os.path.join(REPO, "data/synonyms.json")
LETTERS = "abcdefghijklmnopqrstuvwxyz"
# Words that name no fashion product: junk queries for training. The test of the shipped model
# (test/model/house-model.test.ts) uses other junk texts, so the documented threshold is checked on unseen junk.
JUNK_WORDS = ("kitchen sink motor engine invoice tax river mountain algebra physics printer router cable keyboard "
              "monitor battery tomato potato onion garlic recipe soup pizza burger coffee tea sugar salt pepper "
              "hammer drill screw nail wood plank cement brick window door table chair sofa lamp bulb fan fridge "
              "oven stove microwave tyre wheel bicycle train plane airport ticket passport visa hotel booking "
              "insurance loan bank account password email server database python java compiler planet galaxy "
              "volcano earthquake election parliament football cricket score stadium guitar piano violin drum "
              "song album movie cinema actor novel poem chapter homework exam lecture dog cat parrot fish cow "
              "horse tiger lion elephant monkey garden flower grass tree leaf seed fertiliser tractor farm "
              "hospital doctor medicine tablet syrup vaccine dentist plumber electrician carpenter").split()


# The words of the house-model test's junk texts (test/model/house-model.test.ts): neither training nor calibration
# draws on them, so that the test checks the documented threshold on junk the model and its calibration never saw.
RESERVED_JUNK_WORDS = frozenset(("asdfghjkl qwerty uiop zxcv lorem ipsum dolor sit amet quantum chromodynamics banana "
                                 "bread weather oslo tomorrow how fix leaking tap").split())


def load_synonyms(path: str = DEFAULT_SYNONYMS) -> list[tuple[re.Pattern, list[str]]]:
    """[(whole-word case-insensitive pattern of a catalog term, shopper words)], longest terms first so that
    "Navy Blue" is swapped before "Blue" would be."""
    table = {k: v for k, v in json.load(open(path, encoding="utf-8")).items() if not k.startswith("_")}
    out = []
    for term in sorted(table, key=len, reverse=True):
        words = [w for w in table[term] if w.strip()]
        if words:
            out.append((re.compile(r"(?<![\w-])" + re.escape(term) + r"(?![\w-])", re.IGNORECASE), words))
    return out


def swap_synonyms(text: str, synonyms, rng: np.random.Generator, prob: float) -> str:
    """Each catalog term found in the text is replaced, with probability `prob`, by one of its shopper words."""
    for pattern, words in synonyms:
        if pattern.search(text) and rng.random() < prob:
            text = pattern.sub(words[int(rng.integers(len(words)))], text, count=1)
    return text


def typo(text: str, rng: np.random.Generator) -> str:
    """One random Damerau edit at a letter; the text comes back unchanged when it has no letter."""
    letters = [i for i, c in enumerate(text) if c.isalpha() and c.lower() in LETTERS]
    if not letters:
        return text
    for _ in range(8):
        i = letters[int(rng.integers(len(letters)))]
        kind = int(rng.integers(4))
        new = LETTERS[int(rng.integers(26))]
        if text[i].isupper():
            new = new.upper()
        if kind == 0:
            out = text[:i] + text[i + 1:]
        elif kind == 1:
            out = text[: i + 1] + new + text[i + 1:]
        elif kind == 2:
            out = text[:i] + new + text[i + 1:]
        else:
            if i + 1 >= len(text) or not text[i + 1].isalpha():
                continue
            out = text[:i] + text[i + 1] + text[i] + text[i + 2:]
        if out != text and out.strip():
            return out
    return text


def junk_text(rng: np.random.Generator, words: Sequence[str] = JUNK_WORDS, max_words: int = 3) -> str:
    """A text that names no product: 1..max_words unrelated words (half the time), letter mash or digits.
    Training draws the words from JUNK_WORDS; calibration from words training never saw (held_out_junk_words)."""
    kind = rng.random()
    if kind < 0.5:
        return " ".join(words[int(i)] for i in rng.integers(len(words), size=int(rng.integers(1, max_words + 1))))
    if kind < 0.85:
        return " ".join("".join(LETTERS[int(c)] for c in rng.integers(26, size=int(rng.integers(3, 10))))
                        for _ in range(int(rng.integers(1, 3))))
    return "".join(str(int(d)) for d in rng.integers(10, size=int(rng.integers(2, 9))))


def held_out_junk_words(merges: list[tuple[str, str]], catalog_texts: list[str],
                        synonyms_file: str = DEFAULT_SYNONYMS, part: str | None = None) -> list[str]:
    """English words that no catalog text names: the whole words among CLIP's BPE merges (tokenizer.load_merges;
    letters only, 4+ characters) minus every word of the catalog's titles and attributes, of the reviewed synonyms
    (keys and shoppers' words), of JUNK_WORDS and of RESERVED_JUNK_WORDS. A fixed hash of each word splits them in
    two halves: `part="train"` (junk a run may train on, --junk-words held-out) and `part="calibrate"` (the score
    calibration's junk, which no run trains on); None gives both."""
    used = set(JUNK_WORDS) | RESERVED_JUNK_WORDS
    syn = {k: v for k, v in json.load(open(synonyms_file)).items() if not k.startswith("_")}
    for text in [*catalog_texts, *syn, *(w for words in syn.values() for w in words)]:
        used.update(re.findall(r"[a-z]+", text.lower()))
    words = {(a + b)[: -len("</w>")] for a, b in merges if b.endswith("</w>")}
    keep = sorted(w for w in words if w.isascii() and w.isalpha() and len(w) >= 4 and w.islower() and w not in used)
    if part is None:
        return keep
    if part not in ("train", "calibrate"):
        raise ValueError(f"part must be 'train', 'calibrate' or None, not {part!r}")
    return [w for w in keep if (zlib.crc32(w.encode()) % 2 == 0) == (part == "train")]


def catalog_junk_words(cat, vocab: str, part: str) -> list[str]:
    """The junk words of a run on `cat` (a data.Catalog): for "train", JUNK_WORDS plus the train half of
    held_out_junk_words; for "calibrate", the calibrate half alone. `vocab`: CLIP's BPE merges file."""
    from .tokenizer import load_merges
    texts = list(cat.titles) + [str(v) for a in cat.attrs for v in a.values()]
    held = held_out_junk_words(load_merges(vocab), texts, part=part)
    return list(JUNK_WORDS) + held if part == "train" else held
