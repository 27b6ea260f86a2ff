"""Classical clustering of feature matrices, and clustering seeded with a few labels.

* :func:`cluster` runs k-means, a Gaussian mixture or spectral clustering with
  the settings the notebooks use, so that every notebook clusters the same way.
* :func:`class_centres` and :func:`seeded_kmeans` start k-means from given
  centres: from a few labelled target samples (seeded k-means, Basu et al.
  2002) or from centres learned on a source domain (model transfer).
* :func:`few_labels` draws ``m`` labelled examples per class.
"""
from __future__ import annotations

import numpy as np

from ._validation import as_1d_labels, as_2d_array, check_int, check_same_length

__all__ = ["METHODS", "cluster", "class_centres", "seeded_kmeans", "few_labels"]

METHODS = ("k-means", "GMM", "spectral")


def cluster(Z, method: str = "k-means", k: int = 10, seed: int = 0, n_neighbors: int = 10) -> np.ndarray:
    """Partition the rows of ``Z`` into ``k`` clusters.

    Parameters
    ----------
    Z : array of shape (n, d)
        Features.
    method : {"k-means", "GMM", "spectral"}
        k-means with 10 restarts; a full-covariance Gaussian mixture
        (``reg_covar=1e-3``); spectral clustering on the graph of the
        ``n_neighbors`` nearest neighbours.
    k : int
        Number of clusters.
    seed : int
        Seed of the initialisation.

    Returns
    -------
    ndarray of shape (n,), int cluster labels in ``0..k-1``.
    """
    from sklearn.cluster import KMeans, SpectralClustering
    from sklearn.mixture import GaussianMixture

    Z = as_2d_array(Z, "Z")
    k = check_int(k, "k", 2, len(Z))  # at most one cluster per sample
    if method == "k-means":
        return KMeans(k, n_init=10, random_state=seed).fit_predict(Z)
    if method == "GMM":
        return GaussianMixture(k, covariance_type="full", reg_covar=1e-3, random_state=seed).fit(Z).predict(Z)
    if method == "spectral":
        return SpectralClustering(k, affinity="nearest_neighbors", n_neighbors=n_neighbors,
                                  random_state=seed).fit_predict(Z)
    raise ValueError(f"method must be one of {METHODS}, got {method!r}")


def class_centres(Z, y, k: int | None = None) -> np.ndarray:
    """Mean feature vector of each class ``0..k-1``: array of shape (k, d).

    Raises
    ------
    ValueError
        If a class in ``0..k-1`` has no sample.
    """
    Z = as_2d_array(Z, "Z", min_samples=1)
    y = as_1d_labels(y, "y")
    check_same_length(Z, y, "Z", "y")
    k = int(y.max()) + 1 if k is None else k
    missing = [c for c in range(k) if not np.any(y == c)]
    if missing:
        raise ValueError(f"y has no sample of class(es) {missing}; every class in 0..{k - 1} needs one")
    return np.stack([Z[y == c].mean(0) for c in range(k)])


def seeded_kmeans(Z, centres) -> np.ndarray:
    """k-means started from ``centres`` (shape (k, d)) instead of random points.

    Cluster ``j`` keeps the name of centre ``j``, so when the centres are class
    means the clusters come out named after the classes (no matching needed).

    Returns
    -------
    ndarray of shape (n,), labels in ``0..k-1``.
    """
    from sklearn.cluster import KMeans

    Z = as_2d_array(Z, "Z")
    centres = as_2d_array(centres, "centres", min_samples=2)
    if centres.shape[1] != Z.shape[1]:
        raise ValueError(f"centres must have {Z.shape[1]} columns like Z, got shape {centres.shape}")
    return KMeans(len(centres), init=centres, n_init=1).fit_predict(Z)


def few_labels(y, m: int, seed: int = 0, k: int | None = None) -> np.ndarray:
    """Indices of ``m`` randomly chosen examples of each class ``0..k-1`` (class by class).

    Raises
    ------
    ValueError
        If ``m`` is not a positive integer or a class has fewer than ``m`` examples.
    """
    y = as_1d_labels(y, "y")
    m = check_int(m, "m", 1)
    k = int(y.max()) + 1 if k is None else k
    rng = np.random.default_rng(seed)
    picks = []
    for c in range(k):
        members = np.flatnonzero(y == c)
        if len(members) < m:
            raise ValueError(f"m={m} labels per class, but class {c} has only {len(members)} examples")
        picks.append(rng.choice(members, m, replace=False))
    return np.concatenate(picks)
