"""Small, consistent figures for the notebooks (matplotlib only, no global style changes)."""
from __future__ import annotations

import numpy as np

__all__ = ["image_grid", "embed_2d", "scatter_2d", "results_bar"]


def image_grid(X, labels=None, ncols: int = 10, nrows: int | None = None, title: str | None = None,
               ax_size: float = 0.8):
    """Show images ``X`` of shape (n, 3, H, W) or (n, H, W) in [0, 1] on a grid.

    Returns the matplotlib Figure (displayed by Jupyter).
    """
    import matplotlib.pyplot as plt

    X = np.asarray(X)
    if X.ndim not in (3, 4):
        raise ValueError(f"X must have shape (n, 3, H, W) or (n, H, W), got {X.shape}")
    n = len(X) if nrows is None else min(len(X), nrows * ncols)
    nrows = int(np.ceil(n / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(ncols * ax_size, nrows * ax_size * 1.15), squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i >= n:
            continue
        img = X[i].transpose(1, 2, 0) if X.ndim == 4 else X[i]
        ax.imshow(np.clip(img, 0, 1), cmap=None if X.ndim == 4 else "gray", vmin=0, vmax=1)
        if labels is not None:
            ax.set_title(str(labels[i]), fontsize=7, pad=2)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def embed_2d(X, method: str = "umap", seed: int = 0, n_neighbors: int = 15) -> np.ndarray:
    """2-d embedding of features ``X`` (n, d) with UMAP (default) or PCA; returns (n, 2)."""
    X = np.asarray(X, dtype=np.float32)
    if X.ndim != 2:
        raise ValueError(f"X must have shape (n, d), got {X.shape}")
    if method == "pca":
        from sklearn.decomposition import PCA

        return PCA(2, random_state=seed).fit_transform(X)
    if method != "umap":
        raise ValueError(f"method must be 'umap' or 'pca', got {method!r}")
    import warnings

    import umap

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # umap warns that a fixed random_state disables parallelism
        return umap.UMAP(n_neighbors=n_neighbors, random_state=seed).fit_transform(X)


def scatter_2d(Z, color, marker_groups=None, ax=None, title: str | None = None, cmap: str = "tab10",
               s: float = 6, legend_title: str | None = None):
    """Scatter a 2-d embedding coloured by ``color`` (ints), one marker per group in ``marker_groups``.

    Returns the Axes.
    """
    import matplotlib.pyplot as plt

    Z = np.asarray(Z)
    color = np.asarray(color)
    if ax is None:
        _, ax = plt.subplots(figsize=(4, 3.6))
    groups = np.zeros(len(Z), dtype=int) if marker_groups is None else np.asarray(marker_groups)
    markers = ["o", "^", "s", "x", "D"]
    for g_i, g in enumerate(np.unique(groups)):
        m = groups == g
        sc = ax.scatter(Z[m, 0], Z[m, 1], c=color[m], cmap=cmap, s=s, marker=markers[g_i % len(markers)],
                        vmin=color.min(), vmax=color.max(), alpha=0.7, linewidths=0.3,
                        label=str(g) if marker_groups is not None else None)
    if marker_groups is not None:
        leg = ax.legend(fontsize=7, markerscale=2, title=legend_title, title_fontsize=7, loc="best")
        for h in leg.legend_handles:
            h.set_color("gray")
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=9)
    return ax


def results_bar(names, means, stds, ax=None, ylabel: str = "target accuracy", title: str | None = None):
    """Bar chart of mean +/- std (e.g. over seeds). Returns the Axes."""
    import matplotlib.pyplot as plt

    if not len(names) == len(means) == len(stds):
        raise ValueError("names, means and stds must have the same length")
    if ax is None:
        _, ax = plt.subplots(figsize=(4.5, 3))
    ax.bar(range(len(names)), means, yerr=stds, capsize=4, color="tab:blue", alpha=0.8)
    ax.set_xticks(range(len(names)))
    ax.set_xticklabels(names, rotation=20, ha="right", fontsize=8)
    ax.set_ylabel(ylabel, fontsize=9)
    ax.set_ylim(0, 1)
    if title:
        ax.set_title(title, fontsize=9)
    return ax
