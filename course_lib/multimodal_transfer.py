"""Transfer settings for a shared multimodal space (notebook 08).

What a transfer setting may read of the target domain:

- ``"zero-shot"``: no target label, no target pair (the source space as it is);
- ``"unsupervised"``: target features only (e.g. per-voice normalisation, MMD);
- ``"semi-supervised"``: at most ``n_per_class`` (<= 5) labelled target pairs per class;
- ``"supervised"``: every target training pair (the ceiling).

:func:`visible_pairs` returns the target training pairs a setting may use;
:func:`group_standardise` is the label-free per-group (per-voice) feature
normalisation; :func:`modality_gap` measures the distance between paired
embeddings of two modalities.
"""
from __future__ import annotations

import numpy as np

SETTINGS = ("zero-shot", "unsupervised", "semi-supervised", "supervised")
MAX_SEMI_PER_CLASS = 5


def _labels(y, name: str = "y") -> np.ndarray:
    y = np.asarray(y)
    if y.ndim != 1 or y.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array of labels, got shape {y.shape}")
    return y


def scarce_pair_indices(y, n_per_class, seed: int = 0) -> np.ndarray:
    """Indices of at most ``n_per_class`` items of each class, drawn at random.

    Parameters
    ----------
    y : array of shape (n,)
        Class labels of the target training pairs.
    n_per_class : int >= 0 or ``"all"``
        How many pairs to keep per class (a class with fewer keeps all it has).
    seed : int
        Seed of the draw.

    Returns
    -------
    idx : ndarray of int, shape (m,)
        Sorted indices into ``y``.
    """
    y = _labels(y)
    if isinstance(n_per_class, str):
        if n_per_class != "all":
            raise ValueError(f"n_per_class must be an int >= 0 or 'all', got {n_per_class!r}")
        return np.arange(y.size)
    if isinstance(n_per_class, bool) or not isinstance(n_per_class, (int, np.integer)) or n_per_class < 0:
        raise ValueError(f"n_per_class must be an int >= 0 or 'all', got {n_per_class!r}")
    rng = np.random.default_rng(seed)
    keep = []
    for c in np.unique(y):
        members = np.flatnonzero(y == c)
        keep.append(rng.permutation(members)[: int(n_per_class)])
    return np.sort(np.concatenate(keep)).astype(int)


def visible_pairs(setting: str, y, n_per_class: int = MAX_SEMI_PER_CLASS, seed: int = 0) -> np.ndarray:
    """Target training pairs (with their labels) that a transfer setting may read.

    Parameters
    ----------
    setting : {"zero-shot", "unsupervised", "semi-supervised", "supervised"}
    y : array of shape (n,)
        Target training labels. Only ``"semi-supervised"`` and ``"supervised"``
        look at them; the other settings return an empty index whatever ``y`` holds.
    n_per_class : int in 1..5
        Pairs per class for ``"semi-supervised"``.
    seed : int

    Returns
    -------
    idx : ndarray of int, shape (m,)
    """
    if setting not in SETTINGS:
        raise ValueError(f"setting must be one of {SETTINGS}, got {setting!r}")
    y = _labels(y)
    if setting in ("zero-shot", "unsupervised"):
        return np.zeros(0, dtype=int)
    if setting == "supervised":
        return np.arange(y.size)
    if isinstance(n_per_class, bool) or not isinstance(n_per_class, (int, np.integer)) \
            or not 1 <= n_per_class <= MAX_SEMI_PER_CLASS:
        raise ValueError(f"n_per_class must be an int in 1..{MAX_SEMI_PER_CLASS} for 'semi-supervised', "
                         f"got {n_per_class!r}")
    return scarce_pair_indices(y, int(n_per_class), seed=seed)


def group_standardise(X, groups, eps: float = 1e-6) -> np.ndarray:
    """Standardise features within each group (e.g. per voice), reading no label.

    Parameters
    ----------
    X : array of shape (n, d)
    groups : array of shape (n,)
        Group id of each row (speaker, domain); every group needs >= 2 rows.
    eps : float > 0
        Floor on the standard deviation.

    Returns
    -------
    Z : ndarray of shape (n, d), zero mean and unit variance per group and feature.
    """
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or X.shape[0] == 0:
        raise ValueError(f"X must be a non-empty 2-D array (n, d), got shape {X.shape}")
    groups = _labels(groups, "groups")
    if groups.size != X.shape[0]:
        raise ValueError(f"groups must have one entry per row of X ({X.shape[0]}), got {groups.size}")
    if not eps > 0:
        raise ValueError(f"eps must be > 0, got {eps!r}")
    Z = np.empty_like(X)
    for g in np.unique(groups):
        m = groups == g
        if m.sum() < 2:
            raise ValueError(f"groups: group {g!r} has {int(m.sum())} row; each group needs >= 2")
        Z[m] = (X[m] - X[m].mean(0)) / np.maximum(X[m].std(0), eps)
    return Z


def modality_gap(za, zb) -> dict[str, float]:
    """Gap between paired embeddings of two modalities in a shared space.

    Parameters
    ----------
    za, zb : arrays of shape (n, d)
        Row i of ``za`` is paired with row i of ``zb``; rows are L2-normalised here.

    Returns
    -------
    dict with ``"paired_distance"`` (mean Euclidean distance between paired unit
    vectors) and ``"centroid_distance"`` (distance between the two modality means).
    """
    za, zb = np.asarray(za, dtype=float), np.asarray(zb, dtype=float)
    if za.ndim != 2 or za.shape != zb.shape or za.shape[0] == 0:
        raise ValueError(f"za and zb must be non-empty 2-D arrays of the same shape, got {za.shape} and {zb.shape}")
    na = np.linalg.norm(za, axis=1, keepdims=True)
    nb = np.linalg.norm(zb, axis=1, keepdims=True)
    if (na == 0).any() or (nb == 0).any():
        raise ValueError("za and zb must have no all-zero row (cannot be L2-normalised)")
    ua, ub = za / na, zb / nb
    return {"paired_distance": float(np.linalg.norm(ua - ub, axis=1).mean()),
            "centroid_distance": float(np.linalg.norm(ua.mean(0) - ub.mean(0)))}
