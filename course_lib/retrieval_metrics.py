"""Retrieval metrics: Recall@K, precision@K, mAP and mAP@K, MRR, median rank, top-1 accuracy / recall / F1.

Every metric takes a similarity matrix ``sim`` (queries x gallery, larger = more similar) and a
boolean relevance matrix ``relevant`` of the same shape; :func:`relevance` builds it from labels, so one
set of functions serves both relevance levels of the course:

* **class relevance**: labels are the digit classes; a query has many relevant items;
* **instance relevance**: labels are instance ids (an image and the captions made for it share one id);
  an image query has several relevant captions, a caption query one relevant image.

Conventions (stated once, used by every function, hand-checked in the tests)

* **Ranking and ties.** The gallery is sorted by decreasing similarity. Among items with *equal*
  similarity the irrelevant ones come first (pessimistic ties), so a constant scorer earns no credit
  and no result depends on the gallery order.
* **K larger than the gallery** is clipped to the gallery size ``n_g``.
* ``R@K`` (``kind="any"``, the cross-modal retrieval convention, e.g. Karpathy & Fei-Fei 2015): share of
  queries with at least one relevant item in the top K. ``kind="fraction"``: share of each query's
  relevant items found in the top K (recall in the information-retrieval sense), averaged.
* ``P@K = hits in the top K / K``.
* ``AP = (1/R) sum_r P@r rel_r`` over all ranks; ``AP@K = (1 / min(K, R)) sum_{r <= K} P@r rel_r``, with
  ``R`` the query's number of relevant items. mAP is the mean over queries; with no ties it equals
  scikit-learn's ``label_ranking_average_precision_score`` (tested).
* ``MRR`` = mean of 1 / (rank of the first relevant item); ``median rank`` = median of that rank (1 is best).
* Metrics that need a relevant item (R@K, AP, MRR, ranks) raise ``ValueError`` for a query without one.

References
----------
Manning, Raghavan & Schütze (2008), *Introduction to Information Retrieval*, ch. 8 (precision, recall,
MAP). Karpathy & Fei-Fei (2015), "Deep visual-semantic alignments for generating image descriptions",
CVPR (R@K and median rank for image-text retrieval).
"""
from __future__ import annotations

import numpy as np

from ._validation import as_1d_labels, as_2d_array, check_int

__all__ = ["relevance", "ranked_relevance", "first_relevant_rank", "recall_at_k", "precision_at_k",
           "average_precision", "mean_average_precision", "mean_reciprocal_rank", "median_rank",
           "top1_scores", "retrieval_report", "cross_modal_report"]


def relevance(query_labels, gallery_labels) -> np.ndarray:
    """Boolean relevance matrix: ``relevant[i, j] = query_labels[i] == gallery_labels[j]``.

    Parameters
    ----------
    query_labels : array-like, shape (n_q,)
        Class labels (class relevance) or instance ids (instance relevance) of the queries.
    gallery_labels : array-like, shape (n_g,)

    Returns
    -------
    numpy.ndarray of bool, shape (n_q, n_g)

    Examples
    --------
    >>> relevance([0, 1], [1, 0, 1]).astype(int).tolist()
    [[0, 1, 0], [1, 0, 1]]
    """
    q = as_1d_labels(query_labels, "query_labels")
    g = as_1d_labels(gallery_labels, "gallery_labels")
    return q[:, None] == g[None, :]


def _check(sim, relevant, need_positive: bool):
    sim = as_2d_array(sim, "sim", min_samples=1)
    rel = np.asarray(relevant)
    if rel.shape != sim.shape:
        raise ValueError(f"relevant must have the shape of sim {sim.shape} (queries x gallery); "
                         f"got shape {rel.shape}")
    if rel.dtype != bool:
        if not np.isin(rel, (0, 1)).all():
            raise ValueError("relevant must be boolean (or 0/1); got values other than 0 and 1")
        rel = rel.astype(bool)
    if need_positive:
        empty = np.flatnonzero(~rel.any(axis=1))
        if empty.size:
            raise ValueError(f"relevant has queries with no relevant gallery item (rows {empty[:5].tolist()}"
                             f"{'...' if empty.size > 5 else ''}); this metric is undefined for them")
    return sim, rel


def _order(sim: np.ndarray, rel: np.ndarray) -> np.ndarray:
    """Gallery indices by decreasing similarity; among equal similarities, irrelevant items first."""
    return np.lexsort((rel, -sim), axis=-1)


def ranked_relevance(sim, relevant) -> np.ndarray:
    """Relevance of the gallery items in ranked order (column r = rank r + 1).

    Parameters
    ----------
    sim : array-like, shape (n_q, n_g)
    relevant : array-like of bool, shape (n_q, n_g)

    Returns
    -------
    numpy.ndarray of bool, shape (n_q, n_g)

    Examples
    --------
    >>> ranked_relevance([[0.2, 0.9, 0.5]], [[1, 0, 1]]).astype(int).tolist()
    [[0, 1, 1]]
    """
    sim, rel = _check(sim, relevant, need_positive=False)
    return np.take_along_axis(rel, _order(sim, rel), axis=1)


def _k(k, n_g: int) -> int:
    return min(check_int(k, "k", 1), n_g)


def first_relevant_rank(sim, relevant) -> np.ndarray:
    """Rank (1 = best) of the first relevant gallery item of each query; shape (n_q,)."""
    sim, rel = _check(sim, relevant, need_positive=True)
    return ranked_relevance(sim, rel).argmax(axis=1) + 1


def recall_at_k(sim, relevant, k: int, kind: str = "any") -> float:
    """Recall@K (see the module docstring for ``kind``: ``"any"`` or ``"fraction"``).

    Examples
    --------
    >>> sim, rel = [[0.9, 0.8, 0.1], [0.9, 0.8, 0.1]], [[0, 1, 1], [1, 0, 0]]
    >>> recall_at_k(sim, rel, 1), recall_at_k(sim, rel, 2), recall_at_k(sim, rel, 2, kind="fraction")
    (0.5, 1.0, 0.75)
    """
    if kind not in ("any", "fraction"):
        raise ValueError(f"kind must be 'any' or 'fraction', got {kind!r}")
    sim, rel = _check(sim, relevant, need_positive=True)
    hits = ranked_relevance(sim, rel)[:, :_k(k, sim.shape[1])]
    if kind == "any":
        return float(hits.any(axis=1).mean())
    return float((hits.sum(axis=1) / rel.sum(axis=1)).mean())


def precision_at_k(sim, relevant, k: int) -> float:
    """Precision@K: relevant items among the top K, divided by K, averaged over queries.

    Examples
    --------
    >>> precision_at_k([[0.9, 0.8, 0.1]], [[0, 1, 1]], 2)
    0.5
    """
    sim, rel = _check(sim, relevant, need_positive=False)
    k = _k(k, sim.shape[1])
    return float(ranked_relevance(sim, rel)[:, :k].sum(axis=1).mean() / k)


def average_precision(sim, relevant, k: int | None = None) -> np.ndarray:
    """Average precision of each query (AP, or AP@K when ``k`` is given); shape (n_q,).

    Examples
    --------
    >>> # relevant at ranks 2 and 3: AP = (1/2 + 2/3) / 2
    >>> float(average_precision([[0.9, 0.8, 0.7]], [[0, 1, 1]])[0]) == (1 / 2 + 2 / 3) / 2
    True
    """
    sim, rel = _check(sim, relevant, need_positive=True)
    ranked = ranked_relevance(sim, rel)
    n_rel = rel.sum(axis=1)
    if k is not None:
        k = _k(k, sim.shape[1])
        ranked = ranked[:, :k]
        n_rel = np.minimum(n_rel, k)
    hits = np.cumsum(ranked, axis=1)
    prec = hits / np.arange(1, ranked.shape[1] + 1)
    return (prec * ranked).sum(axis=1) / n_rel


def mean_average_precision(sim, relevant, k: int | None = None) -> float:
    """mAP (or mAP@K): the mean of :func:`average_precision` over the queries."""
    return float(average_precision(sim, relevant, k).mean())


def mean_reciprocal_rank(sim, relevant) -> float:
    """Mean over queries of 1 / (rank of the first relevant item).

    Examples
    --------
    >>> mean_reciprocal_rank([[0.9, 0.8], [0.9, 0.8]], [[0, 1], [1, 0]])
    0.75
    """
    return float((1.0 / first_relevant_rank(sim, relevant)).mean())


def median_rank(sim, relevant) -> float:
    """Median over queries of the rank of the first relevant item (MedR; 1 is best)."""
    return float(np.median(first_relevant_rank(sim, relevant)))


def top1_scores(sim, query_labels, gallery_labels) -> dict:
    """Accuracy, macro recall and macro F1 of top-1 retrieval, read as a classification.

    The top-1 gallery item's label is the prediction for the query's label (the form of the
    experiment tables of cross-modal retrieval articles). Accuracy is the share of queries whose top-1
    item is relevant (= R@1); recall and F1 are averaged over the labels that occur among the queries.

    Parameters
    ----------
    sim : array-like, shape (n_q, n_g)
    query_labels : array-like, shape (n_q,)
    gallery_labels : array-like, shape (n_g,)

    Returns
    -------
    dict with keys ``"accuracy"``, ``"recall"``, ``"f1"``

    Examples
    --------
    >>> r = top1_scores([[0.9, 0.1], [0.8, 0.2], [0.1, 0.9]], [0, 1, 1], [0, 1])
    >>> {k: round(v, 3) for k, v in r.items()}
    {'accuracy': 0.667, 'recall': 0.75, 'f1': 0.667}
    """
    from sklearn.metrics import f1_score, recall_score

    q = as_1d_labels(query_labels, "query_labels")
    g = as_1d_labels(gallery_labels, "gallery_labels")
    sim = as_2d_array(sim, "sim", min_samples=1)
    if sim.shape != (len(q), len(g)):
        raise ValueError(f"sim must have shape (len(query_labels), len(gallery_labels)) = {(len(q), len(g))}; "
                         f"got {sim.shape}")
    rel = q[:, None] == g[None, :]
    pred = g[_order(sim, rel)[:, 0]]
    labels = np.unique(q)
    return {"accuracy": float(np.mean(pred == q)),
            "recall": float(recall_score(q, pred, labels=labels, average="macro", zero_division=0)),
            "f1": float(f1_score(q, pred, labels=labels, average="macro", zero_division=0))}


def retrieval_report(sim, relevant, ks=(1, 5, 10), map_k: int | None = None) -> dict:
    """The course's summary of one retrieval run: ``R@k`` for each k, mAP (and mAP@K), MRR, MedR.

    Parameters
    ----------
    sim : array-like, shape (n_q, n_g)
    relevant : array-like of bool, shape (n_q, n_g)
    ks : iterable of int
        The K of Recall@K (``kind="any"``).
    map_k : int or None
        If given, also ``"mAP@{map_k}"``.

    Returns
    -------
    dict
        ``{"R@1": ..., "R@5": ..., "R@10": ..., "mAP": ..., "MRR": ..., "MedR": ...}``.
    """
    sim, rel = _check(sim, relevant, need_positive=True)
    out = {f"R@{k}": recall_at_k(sim, rel, k) for k in ks}
    out["mAP"] = mean_average_precision(sim, rel)
    if map_k is not None:
        out[f"mAP@{map_k}"] = mean_average_precision(sim, rel, map_k)
    out["MRR"] = mean_reciprocal_rank(sim, rel)
    out["MedR"] = median_rank(sim, rel)
    return out


def cross_modal_report(sim, levels: dict, names=("image", "text"), ks=(1, 5, 10)) -> list[dict]:
    """Both directions of a cross-modal retrieval at several relevance levels, as table rows.

    Parameters
    ----------
    sim : array-like, shape (n_a, n_b)
        Similarity of every item of modality ``a`` (rows) with every item of modality ``b``.
    levels : dict
        ``{level name: (labels_a, labels_b)}``, e.g. ``{"instance": (image_id_a, image_id_b),
        "class": (y_a, y_b)}``; relevance is label equality.
    names : (str, str)
        Modality names for the ``"direction"`` column, ``"a -> b"`` and ``"b -> a"``.
    ks : iterable of int
        The K of Recall@K.

    Returns
    -------
    list of dict
        One row per (direction, level): ``direction``, ``level``, ``R@k``..., ``mAP``, ``MRR``, ``MedR``,
        and the top-1 ``accuracy``, ``recall``, ``f1`` of :func:`top1_scores`.

    Examples
    --------
    >>> rows = cross_modal_report(np.eye(2), {"instance": ([0, 1], [0, 1])}, ks=(1,))
    >>> [(r["direction"], r["R@1"]) for r in rows]
    [('image -> text', 1.0), ('text -> image', 1.0)]
    """
    sim = as_2d_array(sim, "sim", min_samples=1)
    if not isinstance(levels, dict) or not levels:
        raise ValueError(f"levels must be a non-empty dict {{name: (labels_a, labels_b)}}, got {levels!r}")
    if len(names) != 2:
        raise ValueError(f"names must be two modality names, got {names!r}")
    rows = []
    for direction, s, flip in ((f"{names[0]} -> {names[1]}", sim, False), (f"{names[1]} -> {names[0]}", sim.T, True)):
        for level, (la, lb) in levels.items():
            q, g = (lb, la) if flip else (la, lb)
            row = {"direction": direction, "level": level}
            row.update(retrieval_report(s, relevance(q, g), ks))
            row.update(top1_scores(s, q, g))
            rows.append(row)
    return rows
