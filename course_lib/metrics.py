"""Evaluation metrics for clustering and classification.

Clustering labels are arbitrary names: cluster ``3`` of a k-means run means
nothing by itself.  :func:`cluster_accuracy` therefore first matches clusters
to classes one-to-one (Hungarian algorithm) and then counts agreements.  NMI
and ARI are invariant to renaming by construction.  The other functions are
thin, validated wrappers of :mod:`sklearn.metrics` so that every notebook uses
the same definitions.

All functions take NumPy label arrays (torch tensors and lists also work) of
shape ``(n_samples,)`` and return plain Python floats.
"""

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn import metrics as skm

from ._validation import as_1d_labels, as_2d_array, check_same_length

__all__ = [
    "cluster_label_mapping",
    "cluster_accuracy",
    "nmi",
    "ari",
    "silhouette",
    "accuracy",
    "macro_f1",
    "clustering_report",
]


def _check_pair(y_true, y_pred):
    y_true = as_1d_labels(y_true, "y_true")
    y_pred = as_1d_labels(y_pred, "y_pred")
    check_same_length(y_true, y_pred, "y_true", "y_pred")
    return y_true, y_pred


def _matching(y_true, y_pred):
    """Contingency matrix and its maximum-weight one-to-one matching."""
    classes, true_idx = np.unique(y_true, return_inverse=True)
    clusters, pred_idx = np.unique(y_pred, return_inverse=True)
    counts = np.zeros((len(clusters), len(classes)), dtype=np.int64)
    np.add.at(counts, (pred_idx, true_idx), 1)
    rows, cols = linear_sum_assignment(counts, maximize=True)
    return classes, clusters, counts, rows, cols


def cluster_label_mapping(y_true, y_pred):
    """Best one-to-one mapping from cluster labels to class labels.

    Builds the contingency matrix ``N[c, k] = #{i : y_pred[i] = c, y_true[i] = k}``
    and solves ``max_pi sum_c N[c, pi(c)]`` over one-to-one maps ``pi`` with
    the Hungarian algorithm (:func:`scipy.optimize.linear_sum_assignment`).
    When there are more clusters than classes, the extra clusters stay
    unmatched and are absent from the result.

    Parameters
    ----------
    y_true : array-like, shape (n_samples,)
        Ground-truth classes (any sortable labels: ints, strings, -1, ...).
    y_pred : array-like, shape (n_samples,)
        Cluster assignments.

    Returns
    -------
    dict
        ``{cluster_label: class_label}`` with at most
        ``min(n_clusters, n_classes)`` entries, as plain Python values.

    References
    ----------
    Kuhn, H. W. (1955). The Hungarian method for the assignment problem.
    Naval Research Logistics Quarterly, 2(1-2), 83-97.

    Examples
    --------
    >>> cluster_label_mapping([0, 0, 1, 1], ["b", "b", "a", "a"])
    {'a': 1, 'b': 0}
    """
    y_true, y_pred = _check_pair(y_true, y_pred)
    classes, clusters, _, rows, cols = _matching(y_true, y_pred)
    return dict(zip(clusters[rows].tolist(), classes[cols].tolist()))


def cluster_accuracy(y_true, y_pred):
    """Clustering accuracy under the best one-to-one cluster-to-class matching.

    ``ACC = max_pi (1/n) sum_i 1[y_true[i] = pi(y_pred[i])]``, where ``pi``
    ranges over one-to-one maps from clusters to classes (found by the
    Hungarian algorithm, see :func:`cluster_label_mapping`).  Points in a
    cluster left unmatched (more clusters than classes) count as errors, and
    so do classes left without a cluster (fewer clusters than classes).

    Parameters
    ----------
    y_true : array-like, shape (n_samples,)
        Ground-truth classes.
    y_pred : array-like, shape (n_samples,)
        Cluster assignments; label names need not match those of ``y_true``.

    Returns
    -------
    float
        Accuracy in ``[0, 1]``.

    References
    ----------
    Xie, J., Girshick, R., & Farhadi, A. (2016). Unsupervised deep embedding
    for clustering analysis. ICML (Eq. 10).

    Examples
    --------
    >>> cluster_accuracy([0, 0, 1, 1, 2], [5, 5, 7, 7, 7])
    0.8
    """
    y_true, y_pred = _check_pair(y_true, y_pred)
    _, _, counts, rows, cols = _matching(y_true, y_pred)
    return float(counts[rows, cols].sum() / len(y_true))


def nmi(y_true, y_pred):
    """Normalised mutual information ``I(Y; C) / mean(H(Y), H(C))``.

    Wraps :func:`sklearn.metrics.normalized_mutual_info_score` (arithmetic
    mean normalisation).  Invariant to renaming clusters; in ``[0, 1]``.

    References
    ----------
    Strehl, A., & Ghosh, J. (2002). Cluster ensembles. JMLR, 3, 583-617.

    Examples
    --------
    >>> nmi([0, 0, 1, 1], [1, 1, 0, 0])
    1.0
    """
    y_true, y_pred = _check_pair(y_true, y_pred)
    return float(skm.normalized_mutual_info_score(y_true, y_pred))


def ari(y_true, y_pred):
    """Adjusted Rand index: pair-counting agreement corrected for chance.

    ``ARI = (RI - E[RI]) / (max RI - E[RI])``; 1 for identical partitions,
    about 0 for random ones (can be negative).  Wraps
    :func:`sklearn.metrics.adjusted_rand_score`.

    References
    ----------
    Hubert, L., & Arabie, P. (1985). Comparing partitions. Journal of
    Classification, 2(1), 193-218.

    Examples
    --------
    >>> ari([0, 0, 1, 1], [1, 1, 0, 0])
    1.0
    """
    y_true, y_pred = _check_pair(y_true, y_pred)
    return float(skm.adjusted_rand_score(y_true, y_pred))


def silhouette(X, labels, metric="euclidean", sample_size=None, seed=0):
    """Mean silhouette coefficient ``s(i) = (b(i) - a(i)) / max(a(i), b(i))``.

    ``a(i)`` is the mean distance from point ``i`` to its own cluster, ``b(i)``
    the mean distance to the nearest other cluster.  Wraps
    :func:`sklearn.metrics.silhouette_score`.

    Parameters
    ----------
    X : array-like, shape (n_samples, n_features)
        Features the clustering was computed on.
    labels : array-like, shape (n_samples,)
        Cluster assignments; needs ``2 <= n_clusters <= n_samples - 1``.
    metric : str, default="euclidean"
        Any metric accepted by :func:`sklearn.metrics.pairwise_distances`.
    sample_size : int or None, default=None
        If given, compute on a random subset of this size (faster).
    seed : int, default=0
        Seed for the subset when ``sample_size`` is given.

    Returns
    -------
    float
        In ``[-1, 1]``; higher means tighter, better separated clusters.

    References
    ----------
    Rousseeuw, P. J. (1987). Silhouettes. Journal of Computational and
    Applied Mathematics, 20, 53-65.

    Examples
    --------
    >>> X = [[0.0], [0.1], [5.0], [5.1]]
    >>> round(silhouette(X, [0, 0, 1, 1]), 3)
    0.98
    """
    X = as_2d_array(X, "X")
    labels = as_1d_labels(labels, "labels")
    check_same_length(X, labels, "X", "labels")
    n_clusters = len(np.unique(labels))
    if not 2 <= n_clusters <= len(labels) - 1:
        raise ValueError(
            f"labels must contain between 2 and n_samples - 1 = {len(labels) - 1} "
            f"distinct clusters for the silhouette; got {n_clusters} "
            f"(labels shape {labels.shape})."
        )
    return float(
        skm.silhouette_score(
            X, labels, metric=metric, sample_size=sample_size, random_state=seed
        )
    )


def accuracy(y_true, y_pred):
    """Fraction of exact matches ``(1/n) sum_i 1[y_true[i] = y_pred[i]]``.

    For classifiers, where label names are meaningful; use
    :func:`cluster_accuracy` for clusterings.

    Examples
    --------
    >>> accuracy([0, 1, 1, 0], [0, 1, 0, 0])
    0.75
    """
    y_true, y_pred = _check_pair(y_true, y_pred)
    return float(skm.accuracy_score(y_true, y_pred))


def macro_f1(y_true, y_pred):
    """Unweighted mean over classes of the F1 score ``2 P R / (P + R)``.

    Every class counts equally, whatever its size, which makes this the
    usual companion of accuracy on imbalanced data.  Wraps
    :func:`sklearn.metrics.f1_score` with ``average="macro"``.

    References
    ----------
    Sokolova, M., & Lapalme, G. (2009). A systematic analysis of performance
    measures for classification tasks. Information Processing & Management.

    Examples
    --------
    >>> round(macro_f1([0, 0, 1, 1], [0, 1, 1, 1]), 3)
    0.733
    """
    y_true, y_pred = _check_pair(y_true, y_pred)
    return float(skm.f1_score(y_true, y_pred, average="macro", zero_division=0))


def clustering_report(y_true, y_pred, X=None):
    """The usual clustering scores in one dictionary.

    Parameters
    ----------
    y_true : array-like, shape (n_samples,)
    y_pred : array-like, shape (n_samples,)
    X : array-like, shape (n_samples, n_features), optional
        If given, the silhouette of ``y_pred`` on ``X`` is added.

    Returns
    -------
    dict
        Keys ``"acc"``, ``"nmi"``, ``"ari"`` and, if ``X`` is given,
        ``"silhouette"``; values are floats.

    Examples
    --------
    >>> clustering_report([0, 0, 1, 1], [1, 1, 0, 0])
    {'acc': 1.0, 'nmi': 1.0, 'ari': 1.0}
    """
    report = {
        "acc": cluster_accuracy(y_true, y_pred),
        "nmi": nmi(y_true, y_pred),
        "ari": ari(y_true, y_pred),
    }
    if X is not None:
        report["silhouette"] = silhouette(X, y_pred)
    return report
