"""CLIPImageProcessor semantics (resize shortest edge, centre crop, rescale, normalise) in PIL + numpy, and
Vitrine's pad mode (fit the whole photo inside the crop box, pad the rest), declared under the `vitrine` key of
preprocessor_config.json where Hugging Face tools ignore it.

Training uses exactly this function (plus augmentation before it) so that the vectors served by the
TypeScript runtime, which follows `preprocessor_config.json` (src/model/preprocess.ts), match what the model saw.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
from PIL import Image

CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073]
CLIP_STD = [0.26862954, 0.26130258, 0.27577711]


@dataclass(frozen=True)
class ImagePreprocessing:
    shortest_edge: int
    crop_height: int
    crop_width: int
    image_mean: list = field(default_factory=lambda: list(CLIP_MEAN))
    image_std: list = field(default_factory=lambda: list(CLIP_STD))
    # "crop": HF CLIP (shortest edge, centre crop). "pad": the longer side (relative to the box) fits the crop box,
    # the other is scaled in proportion and the box is filled with pad_colour around the centred photo, so a
    # shopper's landscape photo or a square 224x224 product shot keeps its whole garment and its shape.
    resize_mode: str = "crop"
    pad_colour: list = field(default_factory=lambda: [255, 255, 255])

    def to_preprocessor_config(self) -> dict:
        vitrine = ({"vitrine": {"resize_mode": "pad", "pad_colour": list(self.pad_colour)}}
                   if self.resize_mode == "pad" else {})
        return {
            "image_processor_type": "CLIPImageProcessor",
            "feature_extractor_type": "CLIPFeatureExtractor",
            "do_resize": True,
            "size": {"shortest_edge": self.shortest_edge},
            "resample": 3,
            "do_center_crop": True,
            "crop_size": {"height": self.crop_height, "width": self.crop_width},
            "do_rescale": True,
            "rescale_factor": 1 / 255,
            "do_normalize": True,
            "image_mean": list(self.image_mean),
            "image_std": list(self.image_std),
            "do_convert_rgb": True,
            **vitrine,
        }

    @classmethod
    def from_preprocessor_config(cls, cfg: dict) -> "ImagePreprocessing":
        v = cfg.get("vitrine") or {}
        return cls(shortest_edge=int(cfg["size"]["shortest_edge"]), crop_height=int(cfg["crop_size"]["height"]),
                   crop_width=int(cfg["crop_size"]["width"]), image_mean=list(cfg["image_mean"]),
                   image_std=list(cfg["image_std"]), resize_mode=v.get("resize_mode", "crop"),
                   pad_colour=list(v.get("pad_colour", [255, 255, 255])))

    def as_dict(self) -> dict:
        return asdict(self)


def resize_shortest_edge(img: Image.Image, shortest_edge: int) -> Image.Image:
    """Shorter side -> shortest_edge, longer side floor-scaled (HF `int(...)`, transformers.js `Math.floor`)."""
    w, h = img.size
    if w <= h:
        new_w, new_h = shortest_edge, int(shortest_edge * h / w)
    else:
        new_w, new_h = int(shortest_edge * w / h), shortest_edge
    if (new_w, new_h) == (w, h):
        return img
    return img.resize((new_w, new_h), resample=Image.BICUBIC)


def center_crop_uint8(arr: np.ndarray, crop_h: int, crop_w: int, fill=(0, 0, 0)) -> np.ndarray:
    """Centre crop of an HxWxC array, padded with `fill` where the image is smaller, exactly as HF's
    `center_crop` (pad ceil((crop - size) / 2) before): output row y is source row y + floor((h - crop_h) / 2)."""
    h, w = arr.shape[:2]
    top, left = (h - crop_h) // 2, (w - crop_w) // 2  # floor division, negative when padding
    if top >= 0 and left >= 0:
        return arr[top : top + crop_h, left : left + crop_w]
    out = np.empty((crop_h, crop_w, arr.shape[2]), dtype=arr.dtype)
    out[:] = np.asarray(fill, dtype=arr.dtype)
    sy0, sx0 = max(top, 0), max(left, 0)
    sy1, sx1 = min(top + crop_h, h), min(left + crop_w, w)
    out[sy0 - top : sy1 - top, sx0 - left : sx1 - left] = arr[sy0:sy1, sx0:sx1]
    return out


def fit_size(w: int, h: int, box_w: int, box_h: int) -> tuple[int, int]:
    """Pad mode's resize target: the side that is longer relative to the box becomes the box's, the other is
    truncated in proportion (integer arithmetic, as src/model/preprocess.ts `fitSize`), at least 1 pixel."""
    if w * box_h >= h * box_w:
        return box_w, max(1, h * box_w // w)
    return max(1, w * box_h // h), box_h


def resize_and_crop(img: Image.Image, pp: ImagePreprocessing) -> np.ndarray:
    """uint8 HxWx3 array after convert-RGB, resize and centre crop or pad (before rescale/normalise)."""
    img = img.convert("RGB")
    if pp.resize_mode == "pad":
        size = fit_size(img.width, img.height, pp.crop_width, pp.crop_height)
        if size != img.size:
            img = img.resize(size, resample=Image.BICUBIC)
        # the fitted photo is never larger than the box, so the centre crop only pads (with the pad colour)
        return center_crop_uint8(np.asarray(img, dtype=np.uint8), pp.crop_height, pp.crop_width, pp.pad_colour)
    img = resize_shortest_edge(img, pp.shortest_edge)
    return center_crop_uint8(np.asarray(img, dtype=np.uint8), pp.crop_height, pp.crop_width)


def normalize_uint8(arr: np.ndarray, pp: ImagePreprocessing) -> np.ndarray:
    """uint8 HxWx3 -> float32 3xHxW, (x/255 - mean) / std, in float32 like the JS runtime."""
    x = arr.astype(np.float32) * np.float32(1 / 255)
    x = (x - np.asarray(pp.image_mean, dtype=np.float32)) / np.asarray(pp.image_std, dtype=np.float32)
    return np.ascontiguousarray(x.transpose(2, 0, 1), dtype=np.float32)


def pixel_values(img: Image.Image, pp: ImagePreprocessing) -> np.ndarray:
    return normalize_uint8(resize_and_crop(img, pp), pp)
