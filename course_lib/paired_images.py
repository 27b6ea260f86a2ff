"""Images of the paired set (notebooks 06-08), each with attributes that can be seen in it.

The printed and textured digits are rendered with *discrete, visible* attributes drawn at random and
kept with the image, so that a caption that names them can single the image out:

* ``size``: small / large (the glyph scaled by 0.7 or 1.0);
* ``lean``: slanted backward / upright / slanted forward (a shear of +0.35, 0 or -0.35);
* ``position``: on the left / on the right (a shift of 8% of the side);
* ``weight``: thin / bold (stroke width 1 or 4 at the 64-px drawing size);
* ``brightness`` (printed only): faint grey / bright white ink;
* the font's category (serif, sans-serif, monospace), from the seven upright regular fonts.

Small random jitter (rotation, scale, shear, shift, blur, noise) keeps every image different without
hiding these levels. Textured digits carry the same digit attributes and a background photo, plus the
colour word of the image's mean colour. Handwritten digits (real) get stroke thickness and slant
*measured* from the image (terciles within the digit's class).

This module never imports :mod:`course_lib.data`.
"""
from __future__ import annotations

import numpy as np
from PIL import Image, ImageFilter
from sklearn.utils import Bunch

from . import cache, digits
from ._validation import check_int

__all__ = ["PAIRS_VERSION", "DIGIT_WORDS", "IMAGE_DOMAINS", "PHOTO_NAMES", "FONT_ATTRIBUTES", "UPRIGHT_FONTS",
           "LEVELS", "render_attributed", "measure_strokes", "colour_name", "load_images"]

PAIRS_VERSION = 3  # bump to invalidate every cached pair set (2: visible rendered attributes; 3: articles)
DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
IMAGE_DOMAINS = ("printed", "textured", "handwritten")  # the first two are sources, the last the target
#: What the background photos of ``digits.render_textured`` show, in its order.
PHOTO_NAMES = ("an astronaut", "a cat", "a coffee cup", "a rocket", "a temple", "a flower")

#: typeface, category, weight, slant of each font in ``digits.DIGIT_FONTS`` (same order).
FONT_ATTRIBUTES = tuple(
    [("DejaVu Sans", "sans-serif", w, s) for w, s in
     (("regular", "upright"), ("bold", "upright"), ("regular", "italic"), ("bold", "italic"))]
    + [("DejaVu Sans Mono", "monospace", w, s) for w, s in
       (("regular", "upright"), ("bold", "upright"), ("regular", "italic"), ("bold", "italic"))]
    + [("DejaVu Serif", "serif", w, s) for w, s in
       (("regular", "upright"), ("bold", "upright"), ("regular", "italic"), ("bold", "italic"))]
    + [("STIX", "serif", w, s) for w, s in
       (("regular", "upright"), ("bold", "upright"), ("regular", "italic"), ("bold", "italic"))]
    + [("Computer Modern", "serif", "regular", "upright"), ("Computer Modern", "serif", "bold", "upright"),
       ("Computer Modern", "sans-serif", "regular", "upright"),
       ("Computer Modern", "monospace", "regular", "upright"),
       ("Computer Modern", "serif", "regular", "italic"), ("Computer Modern", "serif", "regular", "italic")])
#: The regular upright fonts (indices into ``digits.DIGIT_FONTS``): weight and slant come from the renderer.
UPRIGHT_FONTS = tuple(i for i, (face, _, w, s) in enumerate(FONT_ATTRIBUTES) if w == "regular" and s == "upright")

#: The words of each rendered attribute level, in level order (level = index).
LEVELS = {"size": ("small", "large"), "lean": ("slanted backward", "upright", "slanted forward"),
          "position": ("on the left", "on the right"), "weight": ("thin", "bold"),
          "brightness": ("faint grey", "bright white")}
_SCALE, _SHEAR, _SHIFT, _STROKE, _INK = (0.7, 1.0), (0.35, 0.0, -0.35), (-0.08, 0.08), (1, 4), (0.5, 1.0)
_R = 64  # drawing size of the glyphs (digits._glyph)


# ----------------------------------------------------------------- rendering
def _transform(img: Image.Image, angle: float, scale: float, shear: float, tx: float, ty: float) -> Image.Image:
    """Affine map about the centre: rotation (radians) @ shear @ scale, then a shift (pixels)."""
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    inv = np.linalg.inv(rot @ np.array([[1.0, shear], [0.0, 1.0]]) * scale)
    c = np.array([_R / 2, _R / 2])
    off = c - inv @ (c + np.array([tx, ty]))
    return img.transform(img.size, Image.AFFINE, (inv[0, 0], inv[0, 1], off[0], inv[1, 0], inv[1, 1], off[1]),
                         resample=Image.BILINEAR)


def render_attributed(n: int, seed: int = 0, textured: bool = False, size: int = digits.IMAGE_SIZE) -> dict:
    """Render ``n`` digits (balanced classes) with random discrete attributes that stay visible.

    Parameters
    ----------
    n : int >= 1
    seed : int >= 0
        Seed of every random choice.
    textured : bool
        Blend the digit over a random crop of a photo (``|patch - digit|``, as ``digits.render_textured``)
        instead of printing grey ink on black.
    size : int
        Side in pixels.

    Returns
    -------
    dict with ``X`` (n, 3, size, size) float32 in [0, 1]; ``y``, ``font`` (index into ``DIGIT_FONTS``),
    ``photo`` (-1 unless textured) and one int64 array (n,) per key of :data:`LEVELS` (the level index;
    ``brightness`` is -1 when textured).
    """
    n, size = check_int(n, "n", 1), check_int(size, "size", 8, 256)
    seed = check_int(seed, "seed", 0)
    if not isinstance(textured, (bool, np.bool_)):
        raise ValueError(f"textured must be True or False, got {textured!r}")
    rng = np.random.default_rng([seed, 911])
    y = np.arange(n) % 10
    rng.shuffle(y)
    font = rng.choice(np.array(UPRIGHT_FONTS), size=n)
    lv = {k: rng.integers(0, len(words), size=n) for k, words in LEVELS.items()}
    masks = np.empty((n, size, size), dtype=np.float32)
    for i in range(n):
        glyph = Image.fromarray(digits._glyph(int(font[i]), int(y[i]), _STROKE[lv["weight"][i]]))
        img = _transform(glyph, np.deg2rad(rng.uniform(-3, 3)), _SCALE[lv["size"][i]] * rng.uniform(0.95, 1.05),
                         _SHEAR[lv["lean"][i]] + rng.uniform(-0.05, 0.05),
                         (_SHIFT[lv["position"][i]] + rng.uniform(-0.02, 0.02)) * _R, rng.uniform(-0.03, 0.03) * _R)
        img = img.resize((size, size), Image.BILINEAR).filter(ImageFilter.GaussianBlur(rng.uniform(0, 0.4)))
        masks[i] = np.asarray(img, dtype=np.float32) / 255.0
    photo = np.full(n, -1)
    if textured:
        lv["brightness"][:] = -1
        photos = digits._photos()
        photo = rng.integers(0, len(photos), size=n)
        X = np.empty((n, 3, size, size), dtype=np.float32)
        for i in range(n):
            p = photos[photo[i]]
            side = int(rng.integers(size, min(p.shape[:2]) // 2))
            r0, c0 = int(rng.integers(0, p.shape[0] - side)), int(rng.integers(0, p.shape[1] - side))
            crop = Image.fromarray((p[r0:r0 + side, c0:c0 + side] * 255).astype(np.uint8))
            patch = np.asarray(crop.resize((size, size), Image.BILINEAR), dtype=np.float32) / 255.0
            X[i] = np.abs(patch - masks[i][..., None]).transpose(2, 0, 1)
    else:
        ink = np.array(_INK)[lv["brightness"]].astype(np.float32)[:, None, None]
        noise = rng.normal(0, 1, masks.shape).astype(np.float32) * rng.uniform(0, 0.03, (n, 1, 1)).astype(np.float32)
        X = np.repeat(np.clip(masks * ink + noise, 0, 1)[:, None], 3, axis=1)
    return {"X": X.astype(np.float32), "y": y.astype(np.int64), "font": font.astype(np.int64),
            "photo": photo.astype(np.int64), **{k: v.astype(np.int64) for k, v in lv.items()}}


# ----------------------------------------------------------------- measurements
def measure_strokes(X) -> tuple[np.ndarray, np.ndarray]:
    """Ink amount and slant of grey digit images (bright strokes on dark).

    Parameters
    ----------
    X : array of shape (n, 3, H, W) or (n, H, W), values in [0, 1]

    Returns
    -------
    ink : ndarray (n,)
        Mean intensity, a proxy for stroke thickness at a fixed digit size.
    slant : ndarray (n,)
        ``-cov(col, row) / var(row)`` of the intensity-weighted pixel
        coordinates: > 0 when the top of the digit leans to the right.
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim == 4:
        X = X.mean(axis=1)
    if X.ndim != 3 or X.shape[0] < 1:
        raise ValueError(f"X must have shape (n, 3, H, W) or (n, H, W) with n >= 1, got {X.shape}")
    n, h, w = X.shape
    rows, cols = np.mgrid[0:h, 0:w]
    mass = X.sum(axis=(1, 2)) + 1e-12
    r_mean = (X * rows).sum(axis=(1, 2)) / mass
    c_mean = (X * cols).sum(axis=(1, 2)) / mass
    dr, dc = rows[None] - r_mean[:, None, None], cols[None] - c_mean[:, None, None]
    var_r = (X * dr ** 2).sum(axis=(1, 2)) / mass
    cov_rc = (X * dr * dc).sum(axis=(1, 2)) / mass
    return X.mean(axis=(1, 2)), -cov_rc / (var_r + 1e-12)


def colour_name(rgb) -> str:
    """A plain colour word for a mean RGB colour in [0, 1]^3 (dark, light, grey or one of six hues)."""
    import colorsys

    r, g, b = (float(v) for v in np.asarray(rgb, dtype=float).reshape(3))
    hue, sat, val = colorsys.rgb_to_hsv(r, g, b)
    if sat < 0.2:
        return "dark" if val < 0.35 else "light" if val > 0.7 else "grey"
    hue *= 360
    for limit, name in ((20, "red"), (45, "orange"), (70, "yellow"), (170, "green"), (260, "blue"),
                        (330, "purple")):
        if hue < limit:
            return name
    return "red"


def _terciles(values: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """0/1/2 tercile of each value within its group (ranks, so each group splits about evenly)."""
    out = np.empty(len(values), dtype=np.int64)
    for g in np.unique(groups):
        idx = np.flatnonzero(groups == g)
        ranks = np.argsort(np.argsort(values[idx], kind="stable"), kind="stable")
        out[idx] = np.minimum(3 * ranks // max(len(idx), 1), 2)
    return out


# ----------------------------------------------------------------- the image set
def check_options(n_per_domain, captions_per_image, spoken_per_image, seed, n_templates: int = 4) -> None:
    """Validate the options shared by every view of the paired set (see ``paired_data.load_pairs``)."""
    check_int(n_per_domain, "n_per_domain", 20, 1790)
    if n_per_domain % 10:
        raise ValueError(f"n_per_domain must be a multiple of 10 (balanced classes), got {n_per_domain!r}")
    check_int(captions_per_image, "captions_per_image", 1, n_templates)
    check_int(spoken_per_image, "spoken_per_image", 1, captions_per_image)
    check_int(seed, "seed", 0)


def _build_images(n: int, seed: int) -> dict[str, np.ndarray]:
    """Images of the three domains with their attributes (see :func:`load_images`)."""
    rng = np.random.default_rng([seed, 906])
    printed = render_attributed(n, seed=1000 + seed)  # seeds that the source CNN's training set never uses
    textured = render_attributed(n, seed=1000 + seed + 7919, textured=True)
    hand = digits.load_handwritten()
    pick = np.sort(np.concatenate([rng.choice(np.flatnonzero(hand["y"] == c), n // 10, replace=False)
                                   for c in range(10)]))
    X = np.concatenate([printed["X"], textured["X"], hand["X"][pick]])
    y = np.concatenate([printed["y"], textured["y"], hand["y"][pick]])
    domain = np.repeat(np.array(IMAGE_DOMAINS), n)
    levels = {k: np.concatenate([printed[k], textured[k], np.full(n, -1)]) for k in LEVELS}
    colour = np.array([colour_name(X[i].mean(axis=(1, 2))) if domain[i] == "textured" else ""
                       for i in range(len(X))])
    ink, slant = measure_strokes(X)
    thickness = np.full(len(X), -1)
    hw = domain == "handwritten"
    thickness[hw], levels["lean"][hw] = _terciles(ink[hw], y[hw]), _terciles(slant[hw], y[hw])
    split = np.empty(len(X), dtype="<U5")
    for d in IMAGE_DOMAINS:  # half of each class of each domain for training, half for test
        for c in range(10):
            idx = np.flatnonzero((domain == d) & (y == c))
            perm = rng.permutation(idx)
            split[perm[: len(idx) // 2]], split[perm[len(idx) // 2:]] = "train", "test"
    return {"X": X.astype(np.float32), "y": y.astype(np.int64), "domain": domain, "split": split,
            "font": np.concatenate([printed["font"], textured["font"], np.full(n, -1)]).astype(np.int64),
            "photo": np.concatenate([printed["photo"], textured["photo"], np.full(n, -1)]).astype(np.int64),
            "colour": colour, "thickness": thickness.astype(np.int64),
            **{k: v.astype(np.int64) for k, v in levels.items()},
            "ink": ink.astype(np.float32), "slant": slant.astype(np.float32)}


def load_images(n_per_domain: int = 150, captions_per_image: int = 3, spoken_per_image: int = 2,
                seed: int = 0, rebuild: bool = False) -> Bunch:
    """The images of the paired set: ``n_per_domain`` per domain, balanced classes, cached.

    The options are those of ``paired_data.load_pairs`` (the caption and voice options do not change
    the images; they are accepted so that every view of the set takes the same options).

    Returns
    -------
    Bunch with
        X : (n, 3, 32, 32) float32 in [0, 1], n = 3 * n_per_domain, domains in ``IMAGE_DOMAINS`` order;
        y : (n,) int64 digit; image_id : (n,) int64 = row index; domain, split ("train"/"test", half of
        each class of each domain) : (n,) str; font, photo : (n,) int64 (-1 where not applicable);
        colour : (n,) str (textured only); size, position, weight, brightness : (n,) int64 rendered
        levels (see :data:`LEVELS`; -1 where not applicable); lean : (n,) int64 rendered level, or for
        handwritten digits the measured slant tercile (0 leaning left .. 2 leaning right); thickness :
        (n,) int64 measured ink tercile (handwritten only, else -1); ink, slant : (n,) float32 measured;
        attr_key : (n,) str, equal for images whose captions can say the same things (set by
        :mod:`course_lib.paired_captions`); classes : the ten number words.
    """
    from .paired_captions import attr_key, n_templates

    check_options(n_per_domain, captions_per_image, spoken_per_image, seed, n_templates())
    if not isinstance(rebuild, (bool, np.bool_)):
        raise ValueError(f"rebuild must be True or False, got {rebuild!r}")
    params = {"set": "paired-images", "n": n_per_domain, "seed": seed, "v": PAIRS_VERSION}
    img = cache.cached_arrays("paired-images", params, lambda: _build_images(n_per_domain, seed),
                              rebuild=bool(rebuild))
    keys = np.array([attr_key(img, i) for i in range(len(img["y"]))])
    return Bunch(**img, image_id=np.arange(len(img["y"]), dtype=np.int64), attr_key=keys,
                 classes=list(DIGIT_WORDS))
