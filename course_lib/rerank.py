"""Graph-based re-ranking: a k-nearest-neighbour graph over the gallery and manifold ranking on it.

A query's first scores ``y`` (its similarity to every gallery item, e.g. in a shared image-text
space) are diffused over a graph that links each gallery item to its ``k`` nearest neighbours in a
gallery feature space. Items whose neighbours score high rise; isolated false hits sink. Manifold
ranking (Zhou et al. 2004) is the fixed point

    f = alpha S f + (1 - alpha) y,   S = D^{-1/2} W D^{-1/2},   so   f = (1 - alpha) (I - alpha S)^{-1} y,

with ``W`` the symmetric k-NN affinity matrix, ``D`` its degree matrix and ``0 <= alpha < 1`` the
share of the score that comes from the neighbours. The fixed point is reached by iterating the update
(``S`` has spectral radius <= 1, so the error shrinks like ``alpha ** t``); :func:`manifold_ranking`
does it for all queries at once with a sparse ``S``.

References
----------
Zhou, Weston, Gretton, Bousquet & Schölkopf (2004), "Ranking on data manifolds", NeurIPS.
Iscen, Tolias, Avrithis, Furon & Chum (2017), "Efficient diffusion on region manifolds", CVPR.
"""
from __future__ import annotations

import numpy as np
from scipy import sparse

from ._validation import as_2d_array, check_int
from .retrieval import l2_normalize

__all__ = ["knn_graph", "normalized_affinity", "manifold_ranking", "ManifoldRanking"]


def knn_graph(G, k: int = 10, power: float = 3.0) -> sparse.csr_matrix:
    """Symmetric k-NN affinity matrix of a gallery under cosine similarity.

    ``W[i, j] = max(cos(g_i, g_j), 0) ** power`` if ``j`` is among the ``k`` nearest neighbours of ``i``
    or ``i`` among those of ``j`` (the union), else 0; no self-loops.

    Parameters
    ----------
    G : array-like, shape (n_g, d)
    k : int in [1, n_g - 1]
    power : float > 0
        Sharpens the affinities (larger: near neighbours dominate).

    Returns
    -------
    scipy.sparse.csr_matrix, shape (n_g, n_g), symmetric, non-negative

    Examples
    --------
    >>> W = knn_graph([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0]], k=1)
    >>> W.toarray().round(2).tolist()
    [[0.0, 0.98, 0.0], [0.98, 0.0, 0.0], [0.0, 0.0, 0.0]]
    """
    Gn = l2_normalize(G, "G")
    n = len(Gn)
    k = check_int(k, "k", 1, max(1, n - 1))
    if n < 2:
        raise ValueError(f"G needs at least 2 gallery items for a graph, got shape {Gn.shape}")
    if not (isinstance(power, (int, float)) and power > 0):
        raise ValueError(f"power must be a number > 0, got {power!r}")
    sim = Gn @ Gn.T
    np.fill_diagonal(sim, -np.inf)
    nbrs = np.argpartition(-sim, k - 1, axis=1)[:, :k]
    rows = np.repeat(np.arange(n), k)
    vals = np.maximum(sim[rows, nbrs.ravel()], 0.0) ** power
    W = sparse.csr_matrix((vals, (rows, nbrs.ravel())), shape=(n, n))
    return W.maximum(W.T).tocsr()


def normalized_affinity(W) -> sparse.csr_matrix:
    """``S = D^{-1/2} W D^{-1/2}``; isolated nodes (degree 0) keep zero rows. Shape (n, n)."""
    W = sparse.csr_matrix(W)
    if W.shape[0] != W.shape[1]:
        raise ValueError(f"W must be a square affinity matrix, got shape {W.shape}")
    if W.nnz and W.data.min() < 0:
        raise ValueError("W must be non-negative (affinities), got a negative entry")
    deg = np.asarray(W.sum(axis=1)).ravel()
    inv = np.where(deg > 0, 1.0 / np.sqrt(np.where(deg > 0, deg, 1.0)), 0.0)
    return (sparse.diags(inv) @ W @ sparse.diags(inv)).tocsr()


def manifold_ranking(scores, S, alpha: float = 0.8, n_iter: int = 30) -> np.ndarray:
    """Diffuse each query's scores over the gallery graph: iterate ``F <- alpha F S + (1 - alpha) Y``.

    Parameters
    ----------
    scores : array-like, shape (n_q, n_g)
        First scores ``Y`` (one row per query).
    S : sparse or dense array, shape (n_g, n_g)
        Symmetric normalised affinity (:func:`normalized_affinity`).
    alpha : float in [0, 1)
        0 returns ``scores`` unchanged.
    n_iter : int >= 1

    Returns
    -------
    numpy.ndarray, shape (n_q, n_g)
        After ``n_iter`` steps; the closed form ``(1 - alpha) Y (I - alpha S)^{-1}`` is the limit (tested).
    """
    Y = as_2d_array(scores, "scores", min_samples=1)
    if S.shape != (Y.shape[1], Y.shape[1]):
        raise ValueError(f"S must have shape (n_g, n_g) = {(Y.shape[1], Y.shape[1])}, got {S.shape}")
    if not (isinstance(alpha, (int, float)) and 0 <= alpha < 1):
        raise ValueError(f"alpha must be a number in [0, 1), got {alpha!r}")
    n_iter = check_int(n_iter, "n_iter", 1)
    St = S.T
    Fm = Y.copy()
    for _ in range(n_iter):
        Fm = alpha * np.asarray(St @ Fm.T).T + (1 - alpha) * Y
    return Fm


class ManifoldRanking:
    """Re-rank retrieval scores by manifold ranking on a k-NN graph of the gallery.

    Parameters
    ----------
    k : int
        Neighbours per gallery item in the graph.
    alpha : float in [0, 1)
        Weight of the neighbours' scores.
    n_iter : int
        Diffusion steps.
    power : float
        Affinity sharpening (see :func:`knn_graph`).
    tau : float or None
        If given, the first scores are turned into ``exp((s - max_j s) / tau)`` per query before the
        diffusion, so that only the best few items spread their score; None diffuses the raw scores.

    Attributes
    ----------
    S_ : scipy.sparse.csr_matrix, shape (n_g, n_g)

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> G = rng.normal(size=(50, 4))
    >>> mr = ManifoldRanking(k=5).fit(G)
    >>> mr.rerank(rng.normal(size=(3, 50))).shape
    (3, 50)
    """

    def __init__(self, k: int = 10, alpha: float = 0.8, n_iter: int = 30, power: float = 3.0,
                 tau: float | None = None):
        self.k, self.n_iter = check_int(k, "k", 1), check_int(n_iter, "n_iter", 1)
        if not (isinstance(alpha, (int, float)) and 0 <= alpha < 1):
            raise ValueError(f"alpha must be a number in [0, 1), got {alpha!r}")
        if tau is not None and not (isinstance(tau, (int, float)) and tau > 0):
            raise ValueError(f"tau must be None or a number > 0, got {tau!r}")
        self.alpha, self.power, self.tau = float(alpha), power, tau

    def fit(self, G) -> "ManifoldRanking":
        """Build the graph over the gallery features ``G`` (n_g, d); returns self."""
        self.S_ = normalized_affinity(knn_graph(G, self.k, self.power))
        return self

    def rerank(self, sim) -> np.ndarray:
        """Diffused scores for the first scores ``sim`` of shape (n_q, n_g); same shape."""
        if not hasattr(self, "S_"):
            from sklearn.exceptions import NotFittedError

            raise NotFittedError("ManifoldRanking is not fitted yet: call fit(G) with the gallery first.")
        Y = as_2d_array(sim, "sim", min_samples=1)
        if Y.shape[1] != self.S_.shape[0]:
            raise ValueError(f"sim must have {self.S_.shape[0]} columns (the gallery size); got {Y.shape}")
        if self.tau is not None:
            Y = np.exp((Y - Y.max(axis=1, keepdims=True)) / self.tau)
        return manifold_ranking(Y, self.S_, self.alpha, self.n_iter)
