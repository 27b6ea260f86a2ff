"""Checks shared by the shared-space methods (classical and contrastive): paired views, view index, fitted state."""
from __future__ import annotations

import numpy as np

from ._validation import as_2d_array, check_int, check_same_length


def not_fitted(obj, attr: str):
    if not hasattr(obj, attr):
        from sklearn.exceptions import NotFittedError

        raise NotFittedError(f"{type(obj).__name__} is not fitted yet: call fit(...) first.")


def paired_views(views, min_views: int, max_views: int | None = None) -> list[np.ndarray]:
    if len(views) < min_views or (max_views is not None and len(views) > max_views):
        allowed = f"exactly {min_views}" if max_views == min_views else f"at least {min_views}"
        raise ValueError(f"views: need {allowed} paired arrays, got {len(views)}")
    arrays = [as_2d_array(X, f"views[{i}]", min_samples=2) for i, X in enumerate(views)]
    for i, X in enumerate(arrays[1:], 1):
        check_same_length(arrays[0], X, "views[0]", f"views[{i}]")
    return arrays


def check_view(view, n_views: int) -> int:
    return check_int(view, "view", 0, n_views - 1)


def view_input(est, fitted_attr: str, view, X) -> tuple[int, np.ndarray]:
    """The checks of every shared space's ``transform``: ``est`` is fitted (has ``fitted_attr``), ``view`` is
    one of its views, and ``X`` is an (n, d) array with that view's ``d`` features. Returns ``(view, X)``."""
    not_fitted(est, fitted_attr)
    view = check_view(view, len(est.means_))
    X = as_2d_array(X, "X", min_samples=1)
    if X.shape[1] != len(est.means_[view]):
        raise ValueError(f"X must have {len(est.means_[view])} features for view {view}; got {X.shape}")
    return view, X
