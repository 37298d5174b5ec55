"""Loading what train.py saves: a checkpoint (`runs/<name>/best.pt`) or a model folder's `pytorch_model.pt`."""
from __future__ import annotations

import os

import torch

from .model import DualEncoder, ModelConfig
from .preprocess import ImagePreprocessing
from .tokenizer import ClipBpeTokenizer


def load_checkpoint(path: str) -> tuple[DualEncoder, ClipBpeTokenizer, ImagePreprocessing, dict]:
    """(model in eval mode with fp32 weights, tokenizer, preprocessing, the raw checkpoint dict) from a .pt
    file or a model folder holding pytorch_model.pt."""
    if os.path.isdir(path):
        path = os.path.join(path, "pytorch_model.pt")
    ck = torch.load(path, map_location="cpu")
    model = DualEncoder(ModelConfig.from_dict(ck["model_config"]))
    state = {k: v.float() for k, v in ck["state_dict"].items()}
    for ext in ck.get("external_weights", []):  # a locked pretrained backbone, not stored: read it again
        if ext["source"] != "nsfwjs-mobilenet_v2":
            raise SystemExit(f"{path}: unknown external weights {ext['source']}")
        from .mobilenet import read_nsfwjs_mobilenet
        module = model.get_submodule(ext["prefix"].rstrip("."))
        module.load_keras_weights(read_nsfwjs_mobilenet(os.path.join(os.path.dirname(os.path.dirname(
            os.path.abspath(__file__))), "cache")))
        state.update({ext["prefix"] + k: v for k, v in module.state_dict().items()})
    model.load_state_dict(state)
    model.eval()
    return model, ClipBpeTokenizer([tuple(m) for m in ck["merges"]]), ImagePreprocessing(**ck["preprocessing"]), ck
