"""Vitrine training package: CLIP-style dual encoder, CLIP BPE tokenizer, CLIP image preprocessing, ONNX export."""
