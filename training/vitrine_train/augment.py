"""Shopper-photo augmentation: turns a catalog studio shot (product on white, 60x80) into something like what a
shopper uploads: the product cut out of its white background and laid on a floor, bed, wall or fabric, seen at
an angle, cropped, under other light, blurred, noisy, re-compressed, scaled down and up again.

Only numpy and PIL (no OpenCV or SciPy on these machines). Every random choice comes from the numpy Generator
passed in, so a cache of views is reproducible from its seed.

Deliberately NOT used here, because `vitrine eval robustness` holds them out to test generalisation
(src/eval/photo-transforms.ts): gamma curves, vignetting, occluding patches, sharpening, nearest-neighbour
pixelation and WebP compression. No hue rotation either: a colour name is a query attribute.
"""
from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageFilter

# Colours of floors, beds, walls, tables and sheets (sRGB), jittered per view.
SURFACE_COLOURS = np.asarray([
    [196, 164, 132], [160, 120, 85], [120, 85, 60], [222, 206, 180], [235, 232, 225], [200, 200, 205],
    [150, 150, 155], [90, 90, 95], [60, 60, 65], [170, 190, 210], [215, 180, 185], [190, 60, 60],
    [70, 100, 150], [110, 140, 100], [240, 240, 240], [30, 30, 35], [205, 190, 150], [140, 110, 150],
], dtype=np.float32)


def background_masks(images: np.ndarray, tolerance: int = 14, min_brightness: int = 150) -> np.ndarray:
    """bool [N,H,W]: True where a pixel is the studio backdrop: within `tolerance` (every channel) of the
    photo's backdrop colour (the median of its border pixels: white for most, light grey for some studio
    series) and connected to the image border through such pixels, so a white garment inside the silhouette
    mostly survives. A morphological reconstruction by repeated 4-neighbour dilation, batched. Photos whose
    border is dark (not a studio backdrop) get an empty mask."""
    border = np.concatenate([images[:, 0], images[:, -1], images[:, :, 0], images[:, :, -1]], axis=1)
    backdrop = np.median(border, axis=1).astype(np.int16)  # [N,3]
    near = (np.abs(images.astype(np.int16) - backdrop[:, None, None, :]) <= tolerance).all(axis=-1)
    near &= (backdrop.min(axis=1) >= min_brightness)[:, None, None]
    bg = np.zeros_like(near)
    bg[:, 0, :] = near[:, 0, :]
    bg[:, -1, :] = near[:, -1, :]
    bg[:, :, 0] = near[:, :, 0]
    bg[:, :, -1] = near[:, :, -1]
    for _ in range(images.shape[1] + images.shape[2]):
        grown = bg.copy()
        grown[:, 1:, :] |= bg[:, :-1, :]
        grown[:, :-1, :] |= bg[:, 1:, :]
        grown[:, :, 1:] |= bg[:, :, :-1]
        grown[:, :, :-1] |= bg[:, :, 1:]
        grown &= near
        if np.array_equal(grown, bg):
            break
        bg = grown
    return bg


def _surface(rng: np.random.Generator) -> np.ndarray:
    c = SURFACE_COLOURS[rng.integers(len(SURFACE_COLOURS))] + rng.normal(0, 12, 3)
    return np.clip(c, 0, 255).astype(np.float32)


def background(h: int, w: int, rng: np.random.Generator, donors: np.ndarray | None = None) -> np.ndarray:
    """float32 [h,w,3] texture: plain, gradient, wood boards, tiles, woven fabric or a blurred other photo."""
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    kind = rng.choice(["plain", "gradient", "wood", "tiles", "fabric", "donor"], p=[0.2, 0.2, 0.2, 0.15, 0.15, 0.1])
    a = _surface(rng)
    if kind == "plain":
        img = np.broadcast_to(a, (h, w, 3)).copy()
    elif kind == "gradient":
        b = _surface(rng)
        angle = rng.uniform(0, np.pi)
        t = (np.cos(angle) * xx / w + np.sin(angle) * yy / h)
        t = (t - t.min()) / max(1e-6, t.max() - t.min())
        img = a * (1 - t[..., None]) + b * t[..., None]
    elif kind == "wood":
        period = rng.uniform(h / 6, h / 2)
        vertical = rng.random() < 0.5
        u, v = (xx, yy) if vertical else (yy, xx)
        grain = np.sin(v / rng.uniform(2, 6) + 3 * np.sin(u / rng.uniform(8, 20))) * 0.06
        board = (np.floor(u / period) % 2) * rng.uniform(-0.08, 0.08)
        seam = (np.mod(u, period) < 1.0) * -0.25
        img = a * (1 + grain + board + seam)[..., None]
    elif kind == "tiles":
        b = _surface(rng) * 0.3 + a * 0.7
        size = rng.uniform(h / 5, h / 1.5)
        checker = ((np.floor(xx / size) + np.floor(yy / size)) % 2)[..., None]
        grout = ((np.mod(xx, size) < 1.2) | (np.mod(yy, size) < 1.2))[..., None]
        img = np.where(grout, a * 0.6, a * (1 - checker) + b * checker)
    elif kind == "fabric":
        weave = np.sin(xx * rng.uniform(1.0, 2.5)) * np.sin(yy * rng.uniform(1.0, 2.5)) * 0.08
        img = a * (1 + weave)[..., None]
    else:
        if donors is None or len(donors) == 0:
            img = np.broadcast_to(a, (h, w, 3)).copy()
        else:
            d = Image.fromarray(donors[rng.integers(len(donors))])
            d = d.resize((max(8, w // 4), max(8, h // 4)), Image.BILINEAR).resize((w, h), Image.BICUBIC)
            img = np.asarray(d.filter(ImageFilter.GaussianBlur(rng.uniform(1, 4))), dtype=np.float32)
    img = img + rng.normal(0, rng.uniform(1, 6), img.shape).astype(np.float32)
    return np.clip(img, 0, 255)


def composite(photo: np.ndarray, mask_bg: np.ndarray, rng: np.random.Generator, donors=None) -> Image.Image:
    """The product (photo without its white background) laid on a textured canvas of a random shape."""
    aspect = rng.choice([3 / 4, 4 / 3, 1.0, 9 / 16, 16 / 9, 2 / 3])
    long_side = 160
    cw, ch = (long_side, int(long_side / aspect)) if aspect >= 1 else (int(long_side * aspect), long_side)
    canvas = background(ch, cw, rng, donors)
    h, w = photo.shape[:2]
    fill = rng.uniform(0.55, 0.95)
    scale = fill * min(cw / w, ch / h)
    nw, nh = max(8, int(w * scale)), max(8, int(h * scale))
    prod = np.asarray(Image.fromarray(photo).resize((nw, nh), Image.BICUBIC), dtype=np.float32)
    alpha = Image.fromarray(((~mask_bg) * 255).astype(np.uint8)).resize((nw, nh), Image.BILINEAR)
    alpha = np.asarray(alpha.filter(ImageFilter.GaussianBlur(0.8)), dtype=np.float32)[..., None] / 255
    top = rng.integers(0, max(1, ch - nh + 1))
    left = rng.integers(0, max(1, cw - nw + 1))
    region = canvas[top : top + nh, left : left + nw]
    # a soft drop shadow: the product lies on the surface
    shadow = np.asarray(Image.fromarray((alpha[..., 0] * 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(3)),
                        dtype=np.float32)[..., None] / 255
    region *= 1 - 0.25 * shadow
    canvas[top : top + nh, left : left + nw] = region * (1 - alpha) + prod * alpha
    return Image.fromarray(np.clip(canvas, 0, 255).astype(np.uint8))


def _perspective_coeffs(src, dst):
    """PIL's PERSPECTIVE data for the map output(dst) -> input(src), solved from four point pairs."""
    rows = []
    for (x, y), (u, v) in zip(dst, src):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
    a = np.asarray(rows, dtype=np.float64)
    b = np.asarray(src, dtype=np.float64).reshape(8)
    return np.linalg.solve(a, b).tolist()


def geometry(img: Image.Image, rng: np.random.Generator) -> Image.Image:
    w, h = img.size
    fill = tuple(int(v) for v in np.asarray(img, dtype=np.float32)[[0, -1]].reshape(-1, 3).mean(0))
    if rng.random() < 0.35:
        d = 0.12
        src = [(0, 0), (w, 0), (w, h), (0, h)]
        dst = [(x + rng.uniform(-d, d) * w, y + rng.uniform(-d, d) * h) for x, y in src]
        img = img.transform((w, h), Image.PERSPECTIVE, _perspective_coeffs(src, dst), Image.BILINEAR, fillcolor=fill)
    if rng.random() < 0.5:
        img = img.rotate(rng.uniform(-20, 20), Image.BILINEAR, expand=False, fillcolor=fill)
    # random resized crop: 60-100% of the area, aspect 3:4 to 4:3
    area = w * h * rng.uniform(0.6, 1.0)
    ratio = np.exp(rng.uniform(np.log(3 / 4), np.log(4 / 3)))
    cw, chh = int(min(w, np.sqrt(area * ratio))), int(min(h, np.sqrt(area / ratio)))
    x0, y0 = rng.integers(0, w - cw + 1), rng.integers(0, h - chh + 1)
    img = img.crop((x0, y0, x0 + cw, y0 + chh))
    if rng.random() < 0.5:
        img = img.transpose(Image.FLIP_LEFT_RIGHT)
    return img


def photometric(img: Image.Image, rng: np.random.Generator) -> Image.Image:
    x = np.asarray(img, dtype=np.float32) / 255
    t = rng.uniform(-0.1, 0.1)  # colour temperature: warm (t > 0) or cool light; no hue rotation
    x = x * np.asarray([1 + t, 1.0, 1 - t], dtype=np.float32)
    gray = x @ np.asarray([0.299, 0.587, 0.114], dtype=np.float32)
    x = gray[..., None] + (x - gray[..., None]) * rng.uniform(0.8, 1.15)  # saturation
    m = gray.mean()
    x = m + (x - m) * rng.uniform(0.75, 1.2)  # contrast
    x = x * rng.uniform(0.7, 1.2)  # exposure
    if rng.random() < 0.3:  # a soft shadow across the photo (a window, a lamp to one side)
        h, w = x.shape[:2]
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        angle = rng.uniform(0, 2 * np.pi)
        ramp = np.cos(angle) * xx / w + np.sin(angle) * yy / h
        ramp = (ramp - ramp.min()) / max(1e-6, ramp.max() - ramp.min())
        x = x * (1 - rng.uniform(0.1, 0.3) * ramp)[..., None]
    return Image.fromarray((np.clip(x, 0, 1) * 255 + 0.5).astype(np.uint8))


def degrade(img: Image.Image, rng: np.random.Generator) -> Image.Image:
    if rng.random() < 0.3:
        img = img.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.2)))
    if rng.random() < 0.3:
        w, h = img.size
        f = rng.uniform(0.35, 0.7)
        img = img.resize((max(4, int(w * f)), max(4, int(h * f))), Image.BILINEAR).resize((w, h), Image.BILINEAR)
    if rng.random() < 0.3:
        x = np.asarray(img, dtype=np.float32) + rng.normal(0, rng.uniform(2, 8), (img.size[1], img.size[0], 3))
        img = Image.fromarray(np.clip(x, 0, 255).astype(np.uint8))
    if rng.random() < 0.5:
        buf = io.BytesIO()
        img.save(buf, format="JPEG", quality=int(rng.integers(30, 86)))
        buf.seek(0)
        img = Image.open(buf).convert("RGB")
    return img


def shopper_view(photo: np.ndarray, mask_bg: np.ndarray, rng: np.random.Generator, donors=None,
                 composite_prob: float = 0.75) -> Image.Image:
    """One augmented view of a catalog photo (uint8 HxWx3 and its background mask), as a PIL image of any size;
    the served preprocessing (preprocess.resize_and_crop) then brings it to the model's input."""
    if rng.random() < composite_prob and (~mask_bg).sum() > 0.05 * mask_bg.size:
        img = composite(photo, mask_bg, rng, donors)
    else:
        img = Image.fromarray(photo).resize((photo.shape[1] * 2, photo.shape[0] * 2), Image.BICUBIC)
    return degrade(photometric(geometry(img, rng), rng), rng)
