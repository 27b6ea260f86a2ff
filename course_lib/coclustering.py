"""Cross-domain co-clustering: target samples clustered together with their features, the feature
clusters shared with a source domain.

A non-negative matrix ``A`` (samples x features: word counts, pixel intensities, ReLU activations)
is a bipartite graph between samples and features. Spectral co-clustering (Dhillon 2001) cuts that
graph into ``k`` co-clusters, each a group of samples together with the group of features they use.
Stacking the source samples on top of the target samples, over the *same* columns, makes the
feature clusters shared by both domains: the source's co-occurrences decide which features belong
together, and the target samples are grouped by the feature clusters they use. That is the idea of
self-taught clustering (Dai, Yang, Xue & Yu 2008), which co-clusters target and auxiliary data with
shared feature clusters, done here with scikit-learn's :class:`~sklearn.cluster.SpectralCoclustering`
instead of their information-theoretic objective. ``source_weight=0`` is the plain counterpart:
the same co-clustering of the target alone.
"""
from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.utils.validation import check_is_fitted

from ._validation import as_2d_array, check_int, check_same_dim

__all__ = ["stack_domains", "CrossDomainCoclustering"]


def stack_domains(Xs, Xt, source_weight: float = 1.0):
    """The bipartite matrix of both domains: ``[source_weight * Xs; Xt]`` over the shared columns.

    Parameters
    ----------
    Xs : array of shape (n_s, d), non-negative; Xt : array of shape (n_t, d), non-negative.
    source_weight : float >= 0; 0 drops the source rows (the target alone).

    Returns
    -------
    ndarray of shape (n_s + n_t, d), or (n_t, d) when ``source_weight`` is 0.

    Examples
    --------
    >>> stack_domains(np.ones((2, 2)), np.zeros((2, 2)), 0.5).tolist()
    [[0.5, 0.5], [0.5, 0.5], [0.0, 0.0], [0.0, 0.0]]
    """
    if not (isinstance(source_weight, (int, float, np.floating)) and not isinstance(source_weight, bool)
            and source_weight >= 0):
        raise ValueError(f"source_weight must be a number >= 0, got {source_weight!r}")
    Xt = _nonneg(Xt, "Xt")
    if source_weight == 0:
        return Xt
    Xs = _nonneg(Xs, "Xs")
    check_same_dim(Xs, Xt, "Xs", "Xt")
    return np.vstack([source_weight * Xs, Xt])


def _nonneg(X, name, min_samples=2):
    X = as_2d_array(X, name, min_samples=min_samples)
    if X.min() < 0:
        raise ValueError(f"{name} must be non-negative (counts, intensities, ReLU features); its minimum is {X.min():g}")
    return X


class CrossDomainCoclustering(ClusterMixin, BaseEstimator):
    """Spectral co-clustering of target samples with features whose clusters are shared with a source.

    Parameters
    ----------
    n_clusters : int
        Number of co-clusters (sample clusters = feature clusters).
    source_weight : float >= 0
        Weight of the source rows in the stacked matrix; 0 co-clusters the target alone.
    random_state : int

    Attributes
    ----------
    labels_ : (n_t,) co-cluster of each target row.
    source_labels_ : (n_s,) co-cluster of each source row (empty when ``source_weight`` is 0).
    column_labels_ : (d,) feature cluster of each column; -1 for a column that is zero in every row used.
    model_ : the fitted :class:`~sklearn.cluster.SpectralCoclustering`.

    Examples
    --------
    >>> block = np.kron(np.eye(2), np.ones((3, 4)))        # 6 samples x 8 features, two co-clusters
    >>> m = CrossDomainCoclustering(2).fit(block, block + 0.01)
    >>> bool(len(set(m.labels_[:3])) == 1 and m.labels_[0] != m.labels_[3])
    True
    """

    def __init__(self, n_clusters=2, source_weight=1.0, random_state=0):
        self.n_clusters = n_clusters
        self.source_weight = source_weight
        self.random_state = random_state

    def fit(self, Xs, Xt):
        """Co-cluster ``[source_weight * Xs; Xt]`` (``Xs`` may be None when ``source_weight`` is 0).

        Parameters
        ----------
        Xs : array of shape (n_s, d) or None; Xt : array of shape (n_t, d). Both non-negative.

        Returns
        -------
        self

        Raises
        ------
        ValueError
            For negative entries, a row with no mass, mismatched columns or a bad ``n_clusters``.
        """
        from sklearn.cluster import SpectralCoclustering

        A = stack_domains(Xs, Xt, self.source_weight)
        n_t = len(as_2d_array(Xt, "Xt"))
        k = check_int(self.n_clusters, "n_clusters", 2, n_t)
        empty = np.flatnonzero(A.sum(1) <= 0)
        if len(empty):
            name = "Xt" if empty[0] >= len(A) - n_t else "Xs"
            raise ValueError(f"{name} has rows with no mass (all zeros); drop them first, e.g. row {empty[0]}")
        used = A.sum(0) > 0
        if used.sum() < k:
            raise ValueError(f"only {int(used.sum())} columns carry mass, fewer than n_clusters={k}")
        self.model_ = SpectralCoclustering(k, random_state=self.random_state).fit(A[:, used])
        rows = self.model_.row_labels_
        self.labels_ = rows[len(A) - n_t:]
        self.source_labels_ = rows[:len(A) - n_t]
        self.column_labels_ = np.full(A.shape[1], -1)
        self.column_labels_[used] = self.model_.column_labels_
        return self

    def fit_predict(self, Xs, Xt):
        """``fit(Xs, Xt).labels_``."""
        return self.fit(Xs, Xt).labels_

    def predict(self, Xt):
        """Co-cluster of new target rows: the feature cluster that carries the largest share of the row's
        mass per feature of the cluster, ``argmax_j sum_{f in F_j} x_f / |F_j|``. Array of shape (n,)."""
        check_is_fitted(self, "column_labels_")
        Xt = _nonneg(Xt, "Xt", min_samples=1)
        if Xt.shape[1] != len(self.column_labels_):
            raise ValueError(f"Xt must have {len(self.column_labels_)} columns, got shape {Xt.shape}")
        k = self.model_.n_clusters
        scores = np.stack([Xt[:, self.column_labels_ == j].sum(1) / max(1, np.sum(self.column_labels_ == j))
                           for j in range(k)], axis=1)
        return scores.argmax(1)

