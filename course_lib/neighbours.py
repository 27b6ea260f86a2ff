"""Who are a point's nearest neighbours? Domain and class mixing measured in a feature space.

A 2-d picture of an embedding can mislead; counting neighbours in the features themselves does not.
For each point ``i`` with k nearest neighbours ``N_k(i)`` (itself excluded, Euclidean distance):

* same domain:                  ``|{j in N_k(i): d_j = d_i}| / k``
* same class:                   ``|{j in N_k(i): y_j = y_i}| / k``
* same class, other domain:     ``|{j in N_k(i): y_j = y_i and d_j != d_i}| / k``

The last one is what transfer wants to raise: a point whose neighbours include its own class from
the other domain(s) lies where the domains mix *and* the classes stay apart. Its mean over the points
is notebook 00's "same class from another domain" share.
"""
from __future__ import annotations

import numpy as np

from ._validation import as_1d_labels, as_2d_array, check_int, check_same_length

__all__ = ["neighbour_indices", "neighbour_shares", "same_class_other_domain_rate"]


def neighbour_indices(Z, k: int = 10) -> np.ndarray:
    """Indices of the ``k`` nearest neighbours of each row of ``Z``, the row itself excluded.

    Parameters
    ----------
    Z : array of shape (n, d)
    k : int in [1, n - 1]

    Returns
    -------
    np.ndarray of int, shape (n, k), nearest first. When duplicates tie with the point itself, the
    point is removed wherever it is in the list (never a duplicate in its place).
    """
    from sklearn.neighbors import NearestNeighbors

    Z = as_2d_array(Z, "Z")
    k = check_int(k, "k", 1, len(Z) - 1)
    idx = NearestNeighbors(n_neighbors=k + 1).fit(Z).kneighbors(Z, return_distance=False)
    is_self = idx == np.arange(len(Z))[:, None]
    # drop the point itself; if a tie pushed it out of the list, drop the farthest neighbour instead
    is_self[~is_self.any(axis=1), -1] = True
    return idx[~is_self].reshape(len(Z), k)


def neighbour_shares(Z, y, domain, k: int = 10) -> dict[str, np.ndarray]:
    """Per point, the share of its ``k`` nearest neighbours that are same domain / class / both.

    Parameters
    ----------
    Z : array of shape (n, d)
        Features (pixels, CNN features, an embedding, ...).
    y : array of shape (n,)
        Class of each point.
    domain : array of shape (n,)
        Domain of each point (any labels, e.g. ``"printed"``).
    k : int in [1, n - 1]
        Neighbours per point.

    Returns
    -------
    dict of float arrays of shape (n,), values in {0, 1/k, ..., 1}: ``"same_domain"``, ``"same_class"``,
    ``"same_class_other_domain"`` (see the module docstring).

    Examples
    --------
    >>> Z = [[0.0], [0.1], [5.0], [5.1]]
    >>> s = neighbour_shares(Z, y=[0, 0, 1, 1], domain=["a", "b", "a", "b"], k=1)
    >>> s["same_class_other_domain"].tolist()
    [1.0, 1.0, 1.0, 1.0]
    """
    Z = as_2d_array(Z, "Z")
    y, domain = as_1d_labels(y, "y"), as_1d_labels(domain, "domain")
    check_same_length(Z, y, "Z", "y")
    check_same_length(Z, domain, "Z", "domain")
    nbrs = neighbour_indices(Z, k)
    same_domain = domain[nbrs] == domain[:, None]
    same_class = y[nbrs] == y[:, None]
    return {"same_domain": same_domain.mean(axis=1), "same_class": same_class.mean(axis=1),
            "same_class_other_domain": (same_class & ~same_domain).mean(axis=1)}


def same_class_other_domain_rate(Z, y, domain, k: int = 10) -> np.ndarray:
    """For each point, the share of its ``k`` nearest neighbours that are its class from another domain.

    ``r_i = |{j in N_k(i): y_j = y_i, d_j != d_i}| / k``; ``r.mean()`` summarises a feature space
    (higher: domains mixed, classes kept apart). Parameters as in :func:`neighbour_shares`.

    Returns
    -------
    np.ndarray of float, shape (n,), values in [0, 1].

    Examples
    --------
    >>> Z = [[0.0], [0.1], [0.2], [5.0], [5.1], [5.2]]
    >>> same_class_other_domain_rate(Z, [0, 0, 0, 1, 1, 1], ["a", "a", "b", "a", "a", "a"], k=2).tolist()
    [0.5, 0.5, 1.0, 0.0, 0.0, 0.0]
    """
    return neighbour_shares(Z, y, domain, k)["same_class_other_domain"]
