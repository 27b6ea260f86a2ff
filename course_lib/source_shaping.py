"""Shaping the source: make the labelled source look more like the target before any adaptation.

The handwritten target (scikit-learn's digits, the UCI test set) was made by
counting the "on" pixels of 32x32 bitmaps in 4x4 blocks: 8x8 images with 17
grey levels (0..16), which the course scales back up to 32x32. Two remedies,
each a pure function on image batches ``(n, C, 32, 32)`` in [0, 1]:

* :func:`to_target_resolution` -- render the printed digits the same way:
  average 4x4 blocks down to 8x8, quantise to 17 levels, resize back up with
  the same bilinear filter as the target;
* :func:`augment` -- random affine maps, stroke thickening or thinning (grey
  dilation / erosion) and blur, so that the source covers more writing styles.

:func:`shaped_source_cnn` trains the course's SmallCNN on the shaped source
(cached), the remedy "choose a source related to the target" made concrete.
"""
from __future__ import annotations

import numpy as np
import torch
from PIL import Image
from sklearn.utils import Bunch
from torch.nn import functional as F

from ._validation import check_int
from .encoders import SmallCNN, to_tensor

__all__ = ["fill_frame", "to_target_resolution", "augment", "shaped_source", "shaped_source_cnn"]


def fill_frame(X, threshold: float = 0.2) -> np.ndarray:
    """Size-normalise each digit: crop to its ink (pixels above ``threshold``) and scale it, keeping its
    aspect ratio, until its longer side fills the frame (as NIST normalised the UCI bitmaps).

    Parameters
    ----------
    X : array of shape (n, C, H, W) in [0, 1], bright strokes on a dark background.

    Returns
    -------
    float32 array of the same shape; an image without ink is returned unchanged.
    """
    X = to_tensor(X, "X").numpy()
    if not 0 <= threshold < 1:
        raise ValueError(f"threshold must be in [0, 1), got {threshold!r}")
    n, c, h, w = X.shape
    out = X.copy()
    for i in range(n):
        ink = X[i].max(0) > threshold
        if not ink.any():
            continue
        rows, cols = np.flatnonzero(ink.any(1)), np.flatnonzero(ink.any(0))
        crop = X[i][:, rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
        ch, cw = crop.shape[1:]
        f = min(h / ch, w / cw)
        nh, nw = max(1, min(h, round(ch * f))), max(1, min(w, round(cw * f)))
        top, left = (h - nh) // 2, (w - nw) // 2
        out[i] = 0
        for j in range(c):
            img = Image.fromarray(crop[j].astype(np.float32), mode="F").resize((nw, nh), Image.BILINEAR)
            out[i, j, top:top + nh, left:left + nw] = np.asarray(img)
    return np.clip(out, 0, 1)


def to_target_resolution(X, low: int = 8, levels: int = 17, size: int | None = None) -> np.ndarray:
    """Down to ``low x low`` by block averaging, ``levels`` grey levels, bilinear back up to ``size``.

    Parameters
    ----------
    X : array of shape (n, C, H, W) in [0, 1], ``H = W`` a multiple of ``low``.
    low : side of the low-resolution image (8 for the UCI digits).
    levels : number of grey levels (17: counts 0..16 of a 4x4 block).
    size : output side (default ``H``).

    Returns
    -------
    float32 array of shape (n, C, size, size) in [0, 1].
    """
    X = to_tensor(X, "X").numpy()
    n, c, h, w = X.shape
    low = check_int(low, "low", 2)
    levels = check_int(levels, "levels", 2)
    if h != w or h % low:
        raise ValueError(f"X must hold square images whose side is a multiple of low={low}, got shape {X.shape}")
    size = h if size is None else check_int(size, "size", low)
    b = h // low
    small = X.reshape(n, c, low, b, low, b).mean(axis=(3, 5))
    small = np.round(np.clip(small, 0, 1) * (levels - 1)) / (levels - 1)
    out = np.empty((n, c, size, size), dtype=np.float32)
    for i in range(n):
        for j in range(c):
            img = Image.fromarray(small[i, j].astype(np.float32), mode="F")
            out[i, j] = np.asarray(img.resize((size, size), Image.BILINEAR))
    return np.clip(out, 0, 1)


def augment(X, seed: int = 0, rotate: float = 15.0, scale: tuple[float, float] = (0.8, 1.05),
            shear: float = 0.3, shift: float = 0.1, stroke: bool = True, blur: float = 1.0) -> np.ndarray:
    """Random affine map, stroke thickening/thinning and blur of each image.

    Parameters
    ----------
    X : array of shape (n, C, H, W) in [0, 1], bright strokes on a dark background.
    seed : seed of every random choice.
    rotate : largest rotation in degrees; scale : range of the zoom; shear : largest shear;
    shift : largest translation as a share of the side.
    stroke : thicken (3x3 grey dilation), thin (3x3 erosion) or keep the strokes, one third each.
    blur : largest Gaussian blur sigma in pixels (0: none).

    Returns
    -------
    float32 array of the same shape, in [0, 1].
    """
    X = to_tensor(X, "X")
    if not rotate >= 0 or not shear >= 0 or not shift >= 0 or not blur >= 0:
        raise ValueError(f"rotate, shear, shift and blur must be >= 0, got {rotate!r}, {shear!r}, {shift!r}, {blur!r}")
    if not 0 < scale[0] <= scale[1]:
        raise ValueError(f"scale must be a range (lo, hi) with 0 < lo <= hi, got {scale!r}")
    n = len(X)
    g = torch.Generator().manual_seed(int(seed))
    u = lambda lo, hi: lo + (hi - lo) * torch.rand(n, generator=g)
    a = torch.deg2rad(u(-rotate, rotate))
    s = u(*scale)
    sh = u(-shear, shear)
    rot = torch.stack([torch.stack([a.cos(), -a.sin()], 1), torch.stack([a.sin(), a.cos()], 1)], 1)
    shr = torch.zeros(n, 2, 2)
    shr[:, 0, 0] = shr[:, 1, 1] = 1
    shr[:, 0, 1] = sh
    A = torch.linalg.inv(rot @ shr * s[:, None, None])  # affine_grid maps output to input coordinates
    t = torch.stack([u(-shift, shift), u(-shift, shift)], 1) * 2
    grid = F.affine_grid(torch.cat([A, t[:, :, None]], 2), list(X.shape), align_corners=False)
    out = F.grid_sample(X, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    if stroke:
        kind = torch.randint(0, 3, (n,), generator=g)
        thick = F.max_pool2d(out, 3, 1, 1)
        thin = -F.max_pool2d(-out, 3, 1, 1)
        out = torch.where((kind == 1)[:, None, None, None], thick, torch.where((kind == 2)[:, None, None, None], thin, out))
    if blur > 0:
        sig = u(0, blur)
        r = torch.arange(-2, 3, dtype=torch.float32)
        k1 = torch.exp(-r[None] ** 2 / (2 * sig[:, None].clamp_min(1e-3) ** 2))
        k1 = k1 / k1.sum(1, keepdim=True)
        c = X.shape[1]
        # separable blur, one kernel per image: fold images into channels of one grouped convolution
        flat = out.reshape(1, n * c, *out.shape[2:])
        kx = k1.repeat_interleave(c, 0)[:, None, None, :]
        ky = k1.repeat_interleave(c, 0)[:, None, :, None]
        flat = F.conv2d(F.pad(flat, (2, 2, 0, 0), mode="replicate"), kx, groups=n * c)
        flat = F.conv2d(F.pad(flat, (0, 0, 2, 2), mode="replicate"), ky, groups=n * c)
        out = flat.reshape(out.shape)
    return out.clamp(0, 1).numpy().astype(np.float32)


def shaped_source(n: int = 2000, seed: int = 0, resolution: bool = True, augmentation: bool = True,
                  copies: int = 1) -> Bunch:
    """The printed digits, optionally augmented and rendered at the target's resolution.

    Parameters
    ----------
    n : printed images (``data.load("printed", n=n)``, data seed 0).
    seed : seed of the augmentation.
    resolution : size-normalise with :func:`fill_frame` (before augmenting) and render with
        :func:`to_target_resolution` (after augmenting), as the handwritten set was made.
    augmentation : apply :func:`augment`.
    copies : augmented copies of each image (ignored without augmentation).

    Returns
    -------
    Bunch with ``X`` of shape (n * copies, 3, 32, 32) and ``y`` of shape (n * copies,).
    """
    from . import data

    copies = check_int(copies, "copies", 1)
    src = data.load("printed", n=n)
    X, y = (fill_frame(src.X) if resolution else src.X), src.y
    if augmentation:
        X = np.concatenate([augment(X, seed=1000 * seed + c) for c in range(copies)])
        y = np.tile(y, copies)
    if resolution:
        X = to_target_resolution(X)
    return Bunch(X=X, y=y)


def shaped_source_cnn(seed: int = 0, resolution: bool = True, augmentation: bool = True, num_epochs: int = 5,
                      n: int = 2000, copies: int = 1, progress: bool = False, rebuild: bool = False,
                      channels_last: bool = False) -> SmallCNN:
    """A :class:`SmallCNN` trained on :func:`shaped_source` (cached per setting and seed).

    With ``resolution=False, augmentation=False`` it is the plain source CNN of
    :func:`course_lib.recipes.source_cnn` (same data, same seed, same epochs), trained again.
    ``channels_last=True`` trains with the weights in channels-last memory order (about a third
    faster on a CPU; the same network up to floating-point rounding, cached separately).
    """
    from .training import TrainConfig, cached_model, set_seed, train_classifier

    params = {"seed": seed, "resolution": bool(resolution), "augmentation": bool(augmentation),
              "num_epochs": num_epochs, "n": n, "copies": copies if augmentation else 1, "v": 2}
    if channels_last:
        params["channels_last"] = True

    def make():
        set_seed(seed)
        net = SmallCNN()
        return net.to(memory_format=torch.channels_last) if channels_last else net

    def fit(net):
        src = shaped_source(n, seed, resolution, augmentation, copies)
        train_classifier(net, src.X, src.y, TrainConfig(num_epochs=num_epochs, seed=seed, progress=progress))

    return cached_model("cnn-shaped", params, make, fit, rebuild=rebuild)
