"""Images of the ten digits in three domains, at one size and channel count.

* ``printed``: rendered from the TrueType fonts that matplotlib ships, with a
  random affine transform, stroke width, blur and noise (a synthetic source
  with as many samples as asked for).
* ``handwritten``: scikit-learn's 1,797 real 8x8 handwritten digits, resized.
* ``textured``: printed digits blended over patches of natural photos from
  scikit-image and scikit-learn, in the manner of MNIST-M (Ganin et al. 2016):
  ``out = |patch - digit|`` per channel.

All domains give float32 arrays of shape ``(n, 3, size, size)`` in ``[0, 1]``
with bright strokes (or, for ``textured``, colour-inverted strokes), so one
network takes all of them.
"""
from __future__ import annotations

import os
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from ._validation import check_int

__all__ = ["DIGIT_FONTS", "IMAGE_SIZE", "render_printed", "load_handwritten", "render_textured", "font_paths"]

IMAGE_SIZE = 32

#: Fonts of matplotlib that render all ten digits distinctly (checked by eye and
#: listed in shared/ASSETS.md). "cmmi10" has old-style numerals: kept on purpose.
DIGIT_FONTS = (
    "DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSans-Oblique.ttf", "DejaVuSans-BoldOblique.ttf",
    "DejaVuSansMono.ttf", "DejaVuSansMono-Bold.ttf", "DejaVuSansMono-Oblique.ttf", "DejaVuSansMono-BoldOblique.ttf",
    "DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf", "DejaVuSerif-Italic.ttf", "DejaVuSerif-BoldItalic.ttf",
    "STIXGeneral.ttf", "STIXGeneralBol.ttf", "STIXGeneralItalic.ttf", "STIXGeneralBolIta.ttf",
    "cmr10.ttf", "cmb10.ttf", "cmss10.ttf", "cmtt10.ttf", "cmti10.ttf", "cmmi10.ttf",
)

_RENDER = 64  # glyphs are drawn at this size, transformed, then shrunk


def font_paths() -> list[str]:
    """Absolute paths of :data:`DIGIT_FONTS` inside matplotlib's data folder."""
    import matplotlib

    folder = os.path.join(matplotlib.get_data_path(), "fonts", "ttf")
    paths = [os.path.join(folder, f) for f in DIGIT_FONTS]
    missing = [p for p in paths if not os.path.exists(p)]
    if missing:
        raise FileNotFoundError(f"matplotlib fonts not found: {missing}")
    return paths


@lru_cache(maxsize=None)
def _glyph(font_index: int, digit: int, stroke: int) -> np.ndarray:
    """One digit, white on black, cropped to its ink and scaled to ~80% of _RENDER."""
    font = ImageFont.truetype(font_paths()[font_index], size=_RENDER)
    canvas = Image.new("L", (2 * _RENDER, 2 * _RENDER), 0)
    draw = ImageDraw.Draw(canvas)
    draw.text((_RENDER // 2, _RENDER // 4), str(digit), fill=255, font=font, stroke_width=stroke, stroke_fill=255)
    box = canvas.getbbox()
    crop = canvas.crop(box)
    w, h = crop.size
    scale = 0.8 * _RENDER / max(w, h)
    crop = crop.resize((max(1, round(w * scale)), max(1, round(h * scale))), Image.LANCZOS)
    out = Image.new("L", (_RENDER, _RENDER), 0)
    out.paste(crop, ((_RENDER - crop.size[0]) // 2, (_RENDER - crop.size[1]) // 2))
    return np.asarray(out)


def _affine(img: Image.Image, rng: np.random.Generator) -> Image.Image:
    """Random rotation, scale, shear and shift about the image centre."""
    angle = np.deg2rad(rng.uniform(-12, 12))
    scale = rng.uniform(0.85, 1.1)
    shear = rng.uniform(-0.25, 0.25)
    tx, ty = rng.uniform(-0.06, 0.06, size=2) * _RENDER
    # forward map M = R(angle) @ Shear @ (scale I); PIL wants the inverse map
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    fwd = rot @ np.array([[1.0, shear], [0.0, 1.0]]) * scale
    inv = np.linalg.inv(fwd)
    c = np.array([_RENDER / 2, _RENDER / 2])
    offset = c - inv @ (c + np.array([tx, ty]))
    coeffs = (inv[0, 0], inv[0, 1], offset[0], inv[1, 0], inv[1, 1], offset[1])
    return img.transform(img.size, Image.AFFINE, coeffs, resample=Image.BILINEAR)


def _printed_masks(n: int, seed: int, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Grey-level digit masks ``(n, size, size)`` in [0, 1], labels and font ids."""
    rng = np.random.default_rng(seed)
    fonts = len(DIGIT_FONTS)
    y = np.arange(n) % 10  # balanced classes
    rng.shuffle(y)
    font_id = rng.integers(0, fonts, size=n)
    masks = np.empty((n, size, size), dtype=np.float32)
    for i in range(n):
        glyph = Image.fromarray(_glyph(int(font_id[i]), int(y[i]), int(rng.integers(0, 4))))
        img = _affine(glyph, rng).resize((size, size), Image.BILINEAR)
        sigma = rng.uniform(0.0, 1.0) * size / 32
        if sigma > 0.05:
            img = img.filter(ImageFilter.GaussianBlur(sigma))
        masks[i] = np.asarray(img, dtype=np.float32) / 255.0
    return masks, y.astype(np.int64), font_id.astype(np.int64)


def _check_seed(seed) -> int:
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    return int(seed)


def render_printed(n: int, seed: int = 0, size: int = IMAGE_SIZE) -> dict[str, np.ndarray]:
    """Render ``n`` printed digits (balanced over the ten classes).

    Parameters
    ----------
    n : int
        Number of images.
    seed : int
        Seed of every random choice (font, stroke, affine map, blur, noise).
    size : int
        Side in pixels.

    Returns
    -------
    dict with ``X`` of shape (n, 3, size, size) float32 in [0, 1], ``y`` of
    shape (n,) int64 and ``font`` of shape (n,) int64 (index into DIGIT_FONTS).
    """
    n, size, seed = check_int(n, "n", 1), check_int(size, "size", 8, 256), _check_seed(seed)
    masks, y, font = _printed_masks(n, seed, size)
    rng = np.random.default_rng([seed, 1])
    noise = rng.normal(0, 1, masks.shape).astype(np.float32) * rng.uniform(0, 0.06, (n, 1, 1)).astype(np.float32)
    X = np.clip(masks + noise, 0, 1)
    return {"X": np.repeat(X[:, None], 3, axis=1), "y": y, "font": font}


def load_handwritten(size: int = IMAGE_SIZE) -> dict[str, np.ndarray]:
    """scikit-learn's 1,797 handwritten digits (8x8, 16 grey levels), resized.

    Returns
    -------
    dict with ``X`` of shape (1797, 3, size, size) float32 in [0, 1] and ``y``
    of shape (1797,) int64.
    """
    from sklearn.datasets import load_digits

    size = check_int(size, "size", 8, 256)
    digits = load_digits()
    imgs = digits.images.astype(np.float32) / 16.0
    out = np.empty((len(imgs), size, size), dtype=np.float32)
    for i, im in enumerate(imgs):
        out[i] = np.asarray(Image.fromarray(im, mode="F").resize((size, size), Image.BILINEAR))
    X = np.clip(out, 0, 1)
    return {"X": np.repeat(X[:, None], 3, axis=1), "y": digits.target.astype(np.int64)}


def _photos() -> list[np.ndarray]:
    """RGB float photos in [0, 1] that ship with scikit-image and scikit-learn."""
    from skimage import data as skdata
    from sklearn.datasets import load_sample_images

    photos = [getattr(skdata, name)() for name in ("astronaut", "chelsea", "coffee", "rocket")]
    photos += list(load_sample_images().images)
    return [np.asarray(p, dtype=np.float32) / 255.0 for p in photos]


def render_textured(n: int, seed: int = 0, size: int = IMAGE_SIZE) -> dict[str, np.ndarray]:
    """Printed digits blended over random crops of natural photos (MNIST-M style).

    Each sample takes a random crop (of random scale) of one of six photos,
    resizes it to ``size`` and returns ``|patch - digit|`` channel-wise, so
    strokes appear as the colour-inverted background.

    Returns
    -------
    dict with ``X`` (n, 3, size, size) float32 in [0, 1], ``y`` (n,) int64,
    ``font`` (n,) int64 and ``photo`` (n,) int64.
    """
    n, size, seed = check_int(n, "n", 1), check_int(size, "size", 8, 256), _check_seed(seed)
    masks, y, font = _printed_masks(n, seed + 7919, size)
    rng = np.random.default_rng([seed, 2])
    photos = _photos()
    photo_id = rng.integers(0, len(photos), size=n)
    X = np.empty((n, 3, size, size), dtype=np.float32)
    for i in range(n):
        p = photos[photo_id[i]]
        side = int(rng.integers(size, min(p.shape[:2]) // 2))
        r0 = int(rng.integers(0, p.shape[0] - side))
        c0 = int(rng.integers(0, p.shape[1] - side))
        crop = Image.fromarray((p[r0:r0 + side, c0:c0 + side] * 255).astype(np.uint8))
        patch = np.asarray(crop.resize((size, size), Image.BILINEAR), dtype=np.float32) / 255.0
        X[i] = np.abs(patch - masks[i][..., None]).transpose(2, 0, 1)
    return {"X": X, "y": y, "font": font, "photo": photo_id.astype(np.int64)}
