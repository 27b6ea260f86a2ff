"""Small, consistent figures for the notebooks (matplotlib only, no global style changes)."""
from __future__ import annotations

import numpy as np

__all__ = ["image_grid", "embed_2d", "scatter_2d", "results_bar", "DOMAIN_STYLES", "MIN_FONT"]


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
            ax.set_title(str(labels[i]), fontsize=8, pad=2)
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


#: marker and fill of each domain (marker group): filled and hollow alternate so two domains differ twice
DOMAIN_STYLES = (("o", True), ("^", False), ("s", True), ("D", False), ("v", True), ("P", False))
LEGEND_GREY = "0.35"  # domain-legend handles: a marker shape carries no class colour
MIN_FONT = 8  # points; every text of a course figure is at least this big


def _class_colours(values: np.ndarray, cmap: str) -> dict:
    """A colour per class value: integer classes index a qualitative map (so class 3 keeps its colour in
    every figure), anything else is spread over the map in sorted order."""
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap

    cm = plt.get_cmap(cmap)
    integral = values.dtype.kind in "biuf" and np.all(np.mod(values, 1) == 0)
    if integral and isinstance(cm, ListedColormap) and cm.N >= len(values):
        return {v: cm(int(v) % cm.N) for v in values}
    ranks = np.linspace(0, 1, len(values)) if len(values) > 1 else [0.0]
    return {v: cm(r) for v, r in zip(values, ranks)}


def scatter_2d(Z, color, marker_groups=None, ax=None, title: str | None = None, cmap: str = "tab10",
               s: float = 22, legend_title: str | None = "domain", class_names=None, color_title: str = "class",
               axis_labels=("embedding 1", "embedding 2"), alpha: float = 0.75):
    """Scatter a 2-d embedding: colour = class, marker = domain, with a legend for each.

    Parameters
    ----------
    Z : array of shape (n, 2)
        Embedded points (e.g. from :func:`embed_2d`).
    color : array of shape (n,)
        Class of each point (ints, or any sortable labels); one colour per class.
    marker_groups : array of shape (n,), optional
        Domain of each point; one marker per domain, filled and hollow alternating
        (:data:`DOMAIN_STYLES`), named in a second legend whose handles are grey.
    ax : matplotlib Axes, optional
    title : str, optional
    cmap : str
        Colour map of the classes; integer classes index a qualitative map such as ``tab10``.
    s : float
        Marker area in points^2.
    legend_title, color_title : str
        Titles of the domain and class legends.
    class_names : sequence, optional
        Name of each class value in the legend: ``class_names[v]`` for integer classes (e.g.
        ``data.DIGIT_WORDS``), ``class_names[i]`` for the i-th sorted label otherwise. Default: ``str(v)``.
    axis_labels : (str, str) or None
        Axis labels (the embedding's axes have no units; ticks are hidden).

    Returns
    -------
    matplotlib Axes, with one scatter collection per domain; both legends sit right of the axes.
    """
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    Z = np.asarray(Z)
    color = np.asarray(color)
    if Z.ndim != 2 or Z.shape[1] != 2:
        raise ValueError(f"Z must have shape (n, 2), got {Z.shape}")
    if color.shape != (len(Z),):
        raise ValueError(f"color must have shape ({len(Z)},) like Z's rows, got {color.shape}")
    groups = np.zeros(len(Z), dtype=int) if marker_groups is None else np.asarray(marker_groups)
    if groups.shape != (len(Z),):
        raise ValueError(f"marker_groups must have shape ({len(Z)},) like Z's rows, got {groups.shape}")
    classes = np.unique(color)
    if class_names is not None:
        integral = classes.dtype.kind in "biuf" and np.all(np.mod(classes, 1) == 0)
        keys = [int(v) for v in classes] if integral else list(range(len(classes)))
        if integral and (min(keys) < 0 or max(keys) >= len(class_names)) or len(class_names) < len(classes):
            raise ValueError(f"class_names must name every class value {classes.tolist()}, "
                             f"got {len(class_names)} names")
        names = [str(class_names[k]) for k in keys]
    else:
        names = [str(v) for v in classes]
    colours = _class_colours(classes, cmap)
    if ax is None:
        _, ax = plt.subplots(figsize=(5.6, 3.8))
    point_colours = np.array([colours[v] for v in color]) if len(color) else np.zeros((0, 4))
    domain_handles = []
    for g_i, g in enumerate(np.unique(groups)):
        marker, filled = DOMAIN_STYLES[g_i % len(DOMAIN_STYLES)]
        m = groups == g
        style = (dict(c=point_colours[m], edgecolors="white", linewidths=0.3) if filled
                 else dict(facecolors="none", edgecolors=point_colours[m], linewidths=1.0))
        ax.scatter(Z[m, 0], Z[m, 1], s=s, marker=marker, alpha=alpha, label=str(g), **style)
        domain_handles.append(Line2D([], [], linestyle="", marker=marker, markersize=7, label=str(g),
                                     color=LEGEND_GREY, markeredgecolor=LEGEND_GREY,
                                     markerfacecolor=LEGEND_GREY if filled else "none"))
    class_handles = [Line2D([], [], linestyle="", marker="o", markersize=7, color=colours[v], label=name)
                     for v, name in zip(classes, names)]
    kw = dict(fontsize=MIN_FONT, title_fontsize=MIN_FONT, frameon=False, borderaxespad=0.0)
    class_legend = ax.legend(handles=class_handles, title=color_title, loc="upper left",
                             bbox_to_anchor=(1.02, 1.0), **kw)
    if marker_groups is not None:
        ax.add_artist(class_legend)
        ax.legend(handles=domain_handles, title=legend_title, loc="lower left", bbox_to_anchor=(1.02, 0.0), **kw)
    ax.set_xticks([])
    ax.set_yticks([])
    if axis_labels is not None:
        ax.set_xlabel(axis_labels[0], fontsize=MIN_FONT)
        ax.set_ylabel(axis_labels[1], fontsize=MIN_FONT)
    if title:
        ax.set_title(title, fontsize=9)
    return ax


def results_bar(names, means, stds, ax=None, ylabel: str = "target accuracy", title: str | None = None,
                ylim=(0, 1)):
    """Bar chart of mean +/- std (e.g. over seeds: sample std, ddof=1), one bar per name.

    Parameters
    ----------
    names : sequence of str, length m
    means, stds : sequences of float, length m
        Bar heights and error-bar half-lengths.
    ax : matplotlib Axes, optional
    ylabel : str
        What the bars measure (required: a bar chart without a y label cannot be read).
    title : str, optional
    ylim : (float, float) or None
        y range; (0, 1) puts accuracies of every panel on one scale, None lets matplotlib choose.

    Returns
    -------
    matplotlib Axes; every text is at least :data:`MIN_FONT` points.
    """
    import matplotlib.pyplot as plt

    if not len(names) == len(means) == len(stds):
        raise ValueError("names, means and stds must have the same length")
    if not isinstance(ylabel, str) or not ylabel.strip():
        raise ValueError(f"ylabel must be a non-empty string saying what the bars measure, got {ylabel!r}")
    if ax is None:
        _, ax = plt.subplots(figsize=(4.5, 3))
    ax.bar(range(len(names)), means, yerr=stds, capsize=4, color="tab:blue", alpha=0.8)
    ax.set_xticks(range(len(names)))
    ax.set_xticklabels(names, rotation=20, ha="right", fontsize=MIN_FONT)
    ax.tick_params(axis="y", labelsize=MIN_FONT)
    ax.set_ylabel(ylabel, fontsize=9)
    if ylim is not None:
        ax.set_ylim(*ylim)
    if title:
        ax.set_title(title, fontsize=9)
    return ax
