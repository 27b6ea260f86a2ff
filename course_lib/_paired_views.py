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
