"""CLIP byte-level BPE: a reference Python tokenizer (like OpenAI's simple_tokenizer, without ftfy)
and a writer for the equivalent Hugging Face `tokenizer.json`, so training and serving share one vocabulary.

Example:
    tok = ClipBpeTokenizer.from_merges_file(VOCAB_GZ, num_merges=2000)
    ids, mask = tok.encode("Men Navy Blue Shirt", context_length=32)
"""
from __future__ import annotations

import gzip
import json
import os
import unicodedata
from functools import lru_cache

DEFAULT_VOCAB_GZ = "/work/shared/vocab/clip-bpe/bpe_simple_vocab_16e6.txt.gz"
SOT = "<|startoftext|>"
EOT = "<|endoftext|>"
FULL_NUM_MERGES = 49152 - 256 - 2  # what OpenAI CLIP uses: 48,894 merges -> 49,408 tokens

# The exact pattern used by OpenAI CLIP and by Hugging Face's CLIP tokenizer.json.
CLIP_SPLIT_REGEX = (
    r"<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+"
)
_CONTRACTIONS = ("'s", "'t", "'re", "'ve", "'m", "'ll", "'d")


@lru_cache()
def bytes_to_unicode() -> dict[int, str]:
    """GPT-2 / CLIP reversible byte -> printable unicode character map (order matters for the vocab)."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


def _is_letter(ch: str) -> bool:
    return unicodedata.category(ch).startswith("L")


def _is_number(ch: str) -> bool:
    return unicodedata.category(ch).startswith("N")


def split_words(text: str) -> list[str]:
    """The CLIP regex, written as a scanner because Python's `re` lacks \\p{L} / \\p{N}.

    Alternatives are tried in the regex's order at each position; characters matched by none
    (whitespace) are dropped, as the Split pre-tokenizer with behavior Removed + invert does.
    """
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        if text.startswith(SOT, i):
            out.append(SOT); i += len(SOT); continue
        if text.startswith(EOT, i):
            out.append(EOT); i += len(EOT); continue
        matched = next((c for c in _CONTRACTIONS if text.startswith(c, i)), None)
        if matched:
            out.append(matched); i += len(matched); continue
        ch = text[i]
        if _is_letter(ch):
            j = i
            while j < n and _is_letter(text[j]):
                j += 1
            out.append(text[i:j]); i = j; continue
        if _is_number(ch):
            out.append(ch); i += 1; continue
        if not ch.isspace():
            j = i
            while j < n and not (text[j].isspace() or _is_letter(text[j]) or _is_number(text[j])):
                j += 1
            out.append(text[i:j]); i = j; continue
        i += 1
    return out


def normalize(text: str) -> str:
    """NFC, collapse whitespace runs to one space, lowercase: the tokenizer.json normalizer sequence."""
    text = unicodedata.normalize("NFC", text)
    text = " ".join(text.split())  # leading/trailing spaces vanish in the split step anyway
    return text.lower()


def load_merges(path: str = DEFAULT_VOCAB_GZ, num_merges: int = FULL_NUM_MERGES) -> list[tuple[str, str]]:
    if num_merges > FULL_NUM_MERGES:
        raise ValueError(f"num_merges must be <= {FULL_NUM_MERGES}")
    lines = gzip.open(path).read().decode("utf-8").split("\n")
    lines = lines[1 : FULL_NUM_MERGES + 1][:num_merges]
    return [tuple(line.split()) for line in lines]  # type: ignore[misc]


class ClipBpeTokenizer:
    def __init__(self, merges: list[tuple[str, str]]):
        self.merges = merges
        self.byte_encoder = bytes_to_unicode()
        vocab = list(self.byte_encoder.values())
        vocab = vocab + [v + "</w>" for v in vocab]
        vocab.extend("".join(m) for m in merges)
        vocab.extend([SOT, EOT])
        if len(set(vocab)) != len(vocab):
            raise ValueError("duplicate tokens in vocabulary")
        self.vocab_list = vocab
        self.encoder = {tok: i for i, tok in enumerate(vocab)}
        self.bpe_ranks = {m: i for i, m in enumerate(merges)}
        self.sot_id = self.encoder[SOT]
        self.eot_id = self.encoder[EOT]
        self.cache: dict[str, str] = {SOT: SOT, EOT: EOT}

    @classmethod
    def from_merges_file(cls, path: str = DEFAULT_VOCAB_GZ, num_merges: int = FULL_NUM_MERGES) -> "ClipBpeTokenizer":
        return cls(load_merges(path, num_merges))

    @property
    def vocab_size(self) -> int:
        return len(self.vocab_list)

    def bpe(self, token: str) -> list[str]:
        if token in self.cache:
            return self.cache[token].split(" ")
        word = list(token[:-1]) + [token[-1] + "</w>"]
        while len(word) > 1:
            pairs = {(word[k], word[k + 1]) for k in range(len(word) - 1)}
            best = min(pairs, key=lambda p: self.bpe_ranks.get(p, float("inf")))
            if best not in self.bpe_ranks:
                break
            first, second = best
            new_word: list[str] = []
            k = 0
            while k < len(word):
                if k < len(word) - 1 and word[k] == first and word[k + 1] == second:
                    new_word.append(first + second); k += 2
                else:
                    new_word.append(word[k]); k += 1
            word = new_word
        self.cache[token] = " ".join(word)
        return word

    def tokenize_ids(self, text: str) -> list[int]:
        """Token ids of the text, without BOS/EOS."""
        ids: list[int] = []
        for w in split_words(normalize(text)):
            if w in (SOT, EOT):
                ids.append(self.encoder[w]); continue
            encoded = "".join(self.byte_encoder[b] for b in w.encode("utf-8"))
            ids.extend(self.encoder[t] for t in self.bpe(encoded))
        return ids

    def encode(self, text: str, context_length: int | None = None) -> list[int]:
        """BOS + ids + EOS; with a context length, content is truncated so EOS stays last (as CLIP does)."""
        ids = self.tokenize_ids(text)
        if context_length is not None:
            ids = ids[: context_length - 2]
        return [self.sot_id] + ids + [self.eot_id]

    def encode_batch(self, texts: list[str], context_length: int, pad_to: int | None = None):
        """Right-padded int64 arrays (input_ids padded with the EOT id, attention_mask 1/0)."""
        import numpy as np

        seqs = [self.encode(t, context_length) for t in texts]
        length = pad_to or max(len(s) for s in seqs)
        ids = np.full((len(seqs), length), self.eot_id, dtype=np.int64)
        mask = np.zeros((len(seqs), length), dtype=np.int64)
        for r, s in enumerate(seqs):
            ids[r, : len(s)] = s
            mask[r, : len(s)] = 1
        return ids, mask

    # ---- Hugging Face serialisation -------------------------------------------------------------
    def tokenizer_json(self) -> dict:
        def added(tok: str) -> dict:
            return {"id": self.encoder[tok], "content": tok, "single_word": False, "lstrip": False,
                    "rstrip": False, "normalized": True, "special": True}

        return {
            "version": "1.0",
            "truncation": None,
            "padding": None,
            "added_tokens": [added(SOT), added(EOT)],
            "normalizer": {"type": "Sequence", "normalizers": [
                {"type": "NFC"},
                {"type": "Replace", "pattern": {"Regex": "\\s+"}, "content": " "},
                {"type": "Lowercase"},
            ]},
            "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
                {"type": "Split", "pattern": {"Regex": CLIP_SPLIT_REGEX}, "behavior": "Removed", "invert": True},
                {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False},
            ]},
            "post_processor": {"type": "RobertaProcessing", "sep": [EOT, self.eot_id], "cls": [SOT, self.sot_id],
                               "trim_offsets": False, "add_prefix_space": False},
            "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
            "model": {
                "type": "BPE", "dropout": None, "unk_token": EOT, "continuing_subword_prefix": "",
                "end_of_word_suffix": "</w>", "fuse_unk": False, "byte_fallback": False,
                "vocab": self.encoder,
                "merges": [f"{a} {b}" for a, b in self.merges],
            },
        }

    def tokenizer_config_json(self, context_length: int) -> dict:
        return {
            "tokenizer_class": "CLIPTokenizer",
            "model_max_length": context_length,
            "bos_token": SOT, "eos_token": EOT, "pad_token": EOT, "unk_token": EOT,
            "do_lower_case": True,
            "clean_up_tokenization_spaces": False,
            "errors": "replace",
            "add_prefix_space": False,
        }

    def save(self, out_dir: str, context_length: int) -> None:
        with open(os.path.join(out_dir, "tokenizer.json"), "w", encoding="utf-8") as f:
            json.dump(self.tokenizer_json(), f, ensure_ascii=False, separators=(",", ":"))
        with open(os.path.join(out_dir, "tokenizer_config.json"), "w", encoding="utf-8") as f:
            json.dump(self.tokenizer_config_json(context_length), f, indent=2)
            f.write("\n")
