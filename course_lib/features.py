"""Feature cache: features computed once per (encoder, data set, settings) and stored on disk.

Every encoder of :mod:`course_lib.modality_encoders` has a ``name``, a ``settings()`` dict (everything
its output depends on: weights, sizes, a fitted vocabulary, a training run) and an ``encode(items,
progress)`` method. :func:`cached_features` keys the stored matrix by the encoder's name and settings,
the data set's name and a *fingerprint of the data themselves* (:func:`fingerprint`), so a change to
any of them gives a new file and never a stale one. Files are written atomically with a SHA-256
manifest (:func:`course_lib.cache.save_npz`); a partial or corrupt file fails verification and is
computed again.

Example::

    from course_lib import features, modality_encoders as me, paired_data
    imgs = paired_data.load_images()
    F = features.cached_features(me.HOGEncoder(), imgs.X, dataset="paired_images")
"""
from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from . import cache

__all__ = ["FEATURES_VERSION", "fingerprint", "feature_path", "cached_features", "batched", "last_timings"]

FEATURES_VERSION = 1  # bump to invalidate every cached feature matrix

#: Seconds spent by the most recent :func:`cached_features` call per (encoder, dataset): ("computed" | "cached", s).
last_timings: dict[tuple[str, str], tuple[str, float]] = {}


def fingerprint(items) -> str:
    """A SHA-256 hex digest of a data set's content (16 characters).

    Parameters
    ----------
    items : ndarray (any shape; dtype and shape count; a 1-d array of str counts as the list of its
        strings), a sequence of str, a sequence of 1-d arrays,
        or an object with a ``checksums`` attribute (e.g. :class:`course_lib.paired_data.LazyWaves`,
        whose files' SHA-256 are hashed instead of the samples).

    Raises
    ------
    ValueError
        If ``items`` is empty or of a kind that cannot be hashed.
    """
    digest = hashlib.sha256()
    if isinstance(items, np.ndarray) and items.dtype.kind == "U" and items.ndim == 1:
        items = [str(t) for t in items]  # an array of strings hashes like the same list of strings
    if hasattr(items, "checksums"):
        sums = list(items.checksums)
        if not sums:
            raise ValueError("items must not be empty, got 0 checksums")
        digest.update(("waves:" + ",".join(sums)).encode())
    elif isinstance(items, np.ndarray):
        if items.size == 0 or items.dtype.kind == "O":
            raise ValueError(f"items must be a non-empty array of numbers or strings, got shape {items.shape} "
                             f"dtype {items.dtype}")
        digest.update(f"array:{items.dtype.str}:{items.shape}:".encode())
        digest.update(np.ascontiguousarray(items).tobytes())
    elif isinstance(items, Sequence) and len(items) > 0:
        if all(isinstance(s, str) for s in items):
            digest.update(("text:" + "\x00".join(items)).encode())
        elif all(isinstance(a, np.ndarray) for a in items):
            for a in items:
                digest.update(f"{a.dtype.str}:{a.shape}:".encode())
                digest.update(np.ascontiguousarray(a).tobytes())
        else:
            raise ValueError("items must be all strings or all numpy arrays, got a mixed or other sequence")
    else:
        raise ValueError(f"items must be a non-empty array, sequence of str / arrays or LazyWaves, "
                         f"got {type(items).__name__}")
    return digest.hexdigest()[:16]


def _params(encoder, items, dataset: str) -> dict:
    for attr in ("name", "settings", "encode"):
        if not hasattr(encoder, attr):
            raise ValueError(f"encoder must have name, settings() and encode(); {type(encoder).__name__} "
                             f"has no {attr!r}")
    if not isinstance(dataset, str) or not dataset or "/" in dataset:
        raise ValueError(f"dataset must be a non-empty name without '/', got {dataset!r}")
    return {"encoder": encoder.name, "settings": encoder.settings(), "dataset": dataset,
            "data": fingerprint(items), "n": len(items), "v": FEATURES_VERSION}


def feature_path(encoder, items, dataset: str) -> Path:
    """Where :func:`cached_features` stores this encoder's features of ``items`` (file may not exist)."""
    params = _params(encoder, items, dataset)
    return cache.cache_dir("features") / f"{encoder.name}-{dataset}-{cache.params_key(params)}.npz"


def cached_features(encoder, items, dataset: str, rebuild: bool = False, progress: bool = True) -> np.ndarray:
    """``encoder.encode(items)``, computed once and cached on disk.

    Parameters
    ----------
    encoder : object with ``name`` (str), ``settings()`` (JSON-serialisable dict) and
        ``encode(items, progress=...) -> ndarray (n, ...)``.
    items : the inputs (images (n, 3, H, W), a sequence of str, of waveforms, or LazyWaves).
    dataset : a readable name of the data set for the file name, e.g. ``"paired_images"``.
    rebuild : compute again even if a verified file exists.
    progress : show the encoder's progress bar when computing.

    Returns
    -------
    ndarray of shape (n, ...) as ``encoder.encode`` returns it (float32 for the course's encoders).

    Notes
    -----
    The key holds ``encoder.name``, ``encoder.settings()``, ``dataset``, ``fingerprint(items)`` and
    ``len(items)``: change any of them and another file is used. The file's manifest records its
    SHA-256 and that key; a file that fails :func:`course_lib.cache.verify` is computed again.
    """
    if not isinstance(rebuild, (bool, np.bool_)):
        raise ValueError(f"rebuild must be True or False, got {rebuild!r}")
    params = _params(encoder, items, dataset)
    path = cache.cache_dir("features") / f"{encoder.name}-{dataset}-{cache.params_key(params)}.npz"
    t0 = time.perf_counter()
    if not rebuild:
        arrays = cache.load_npz(path, params)
        if arrays is not None and "features" in arrays:
            last_timings[(encoder.name, dataset)] = ("cached", time.perf_counter() - t0)
            return arrays["features"]
    feats = np.asarray(encoder.encode(items, progress=progress))
    if feats.ndim < 1 or len(feats) != len(items):
        raise ValueError(f"encoder {encoder.name!r} returned shape {feats.shape} for {len(items)} items")
    cache.save_npz(path, {"features": feats}, params)
    last_timings[(encoder.name, dataset)] = ("computed", time.perf_counter() - t0)
    return feats


def batched(fn: Callable[[Sequence], np.ndarray], items, batch_size: int = 64, desc: str = "features",
            progress: bool = True) -> np.ndarray:
    """Apply ``fn`` to consecutive batches of ``items`` and stack the results.

    Parameters
    ----------
    fn : maps a batch (a slice of ``items``: an array or a list) to an array (batch, ...).
    items : anything with ``len`` and slicing (array, list, LazyWaves).
    batch_size : items per call (>= 1).
    desc, progress : label and switch of the progress bar (:func:`course_lib.training.progress`).

    Returns
    -------
    ndarray (len(items), ...), float32.
    """
    from ._validation import check_int
    from .training import progress as bar

    batch_size = check_int(batch_size, "batch_size", 1)
    if len(items) == 0:
        raise ValueError("items must not be empty")
    starts = range(0, len(items), batch_size)
    outs = [np.asarray(fn(items[i:i + batch_size])) for i in bar(starts, desc=desc, enable=progress)]
    return np.concatenate(outs).astype(np.float32)
