"""Measuring domain shift with a classifier: can a model tell source from target?

If source and target features come from the same distribution, no classifier
does better than chance at telling them apart; the better it does, the larger
the shift. Ben-David et al. (2010) turn the domain classifier's error into the
**proxy A-distance** ``2 (1 - 2 err)``: 0 at chance, 2 for perfectly separable
domains. (The MMD two-sample test in :mod:`course_lib.alignment` asks the same
question with a kernel.)
"""
from __future__ import annotations

import numpy as np

from ._validation import as_2d_array, check_int, check_same_dim

__all__ = ["domain_classifier_accuracy", "proxy_a_distance"]


def domain_classifier_accuracy(xs, xt, model=None, n_splits: int = 5, seed: int = 0) -> np.ndarray:
    """Cross-validated accuracy of a classifier at telling ``xs`` (label 0) from ``xt`` (label 1).

    Parameters
    ----------
    xs : array of shape (n, d)
        Source features.
    xt : array of shape (m, d)
        Target features.
    model : scikit-learn classifier, optional
        Default: standardisation followed by logistic regression.
    n_splits : int
        Stratified folds (shuffled with ``seed``); needs at least ``n_splits``
        samples per domain.
    seed : int
        Seed of the fold assignment.

    Returns
    -------
    ndarray of shape (n_splits,)
        Accuracy on each held-out fold; about 0.5 for no shift when the domains
        are of equal size (in general: the share of the larger domain).

    References
    ----------
    S. Ben-David et al. A theory of learning from different domains. Machine
    Learning 79, 2010.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> acc = domain_classifier_accuracy(rng.normal(size=(100, 2)), rng.normal(3, 1, size=(100, 2)))
    >>> bool(acc.mean() > 0.9)
    True
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    xs, xt = as_2d_array(xs, "xs"), as_2d_array(xt, "xt")
    check_same_dim(xs, xt, "xs", "xt")
    n_splits = check_int(n_splits, "n_splits", 2)
    if min(len(xs), len(xt)) < n_splits:
        raise ValueError(f"n_splits={n_splits} needs at least that many samples per domain; "
                         f"got xs with shape {xs.shape} and xt with shape {xt.shape}")
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000)) if model is None else model
    X = np.vstack([xs, xt])
    d = np.r_[np.zeros(len(xs)), np.ones(len(xt))]
    cv = StratifiedKFold(n_splits, shuffle=True, random_state=seed)
    return cross_val_score(model, X, d, cv=cv)


def proxy_a_distance(accuracy) -> float:
    """Proxy A-distance ``2 (1 - 2 err)`` from a domain classifier's accuracy (``err = 1 - accuracy``).

    0 when the classifier is at chance, 2 when it separates the domains
    perfectly; slightly negative values are noise around 0.

    Raises
    ------
    ValueError
        If ``accuracy`` is not a number in [0, 1].
    """
    acc = float(np.mean(accuracy))
    if not np.isfinite(acc) or not 0.0 <= acc <= 1.0:
        raise ValueError(f"accuracy must lie in [0, 1], got {accuracy!r}")
    return 2.0 * (1.0 - 2.0 * (1.0 - acc))
