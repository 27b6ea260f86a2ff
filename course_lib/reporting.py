"""Reporting results over seeds the way every notebook does: mean +/- sample std, share of the gap
closed, and a verdict that calls a difference inside the seed spread what it is.

The course's one convention for spread: the **sample** standard deviation (``ddof=1``) over seeds.
A comparison "A beats B" needs the difference of the means to be larger than the larger of the two
standard deviations; otherwise it is reported as "within the seed spread".
"""
from __future__ import annotations

import numpy as np

__all__ = ["mean_std", "fmt_mean_std", "gap_share", "verdict"]


def _values(values, name: str) -> np.ndarray:
    v = np.asarray(values, dtype=float).ravel()
    if v.size < 2:
        raise ValueError(f"{name} needs at least 2 values (one per seed) for a spread, got {v.size}")
    if not np.all(np.isfinite(v)):
        raise ValueError(f"{name} contains NaN or inf")
    return v


def mean_std(values) -> tuple[float, float]:
    """Mean and sample standard deviation (ddof=1) of per-seed values.

    Examples
    --------
    >>> mean_std([0.5, 0.6, 0.7])
    (0.6, 0.1)
    """
    v = _values(values, "values")
    return round(float(v.mean()), 12), round(float(v.std(ddof=1)), 12)


def fmt_mean_std(values, digits: int = 3) -> str:
    """``"m ± s"`` with ``digits`` decimals (sample std)."""
    m, s = mean_std(values)
    return f"{m:.{digits}f} ± {s:.{digits}f}"


def gap_share(method: float, baseline: float, ceiling: float) -> float:
    """Share of the baseline-to-ceiling gap that ``method`` closes: ``(method - baseline) / (ceiling - baseline)``.

    Raises
    ------
    ValueError
        If the ceiling is not above the baseline (the share is then undefined).

    Examples
    --------
    >>> gap_share(0.75, 0.5, 1.0)
    0.5
    """
    if not ceiling > baseline:
        raise ValueError(f"ceiling ({ceiling}) must be above baseline ({baseline}) for a share of the gap")
    return float((method - baseline) / (ceiling - baseline))


def verdict(a, b, name_a: str = "A", name_b: str = "B") -> str:
    """Compare per-seed scores ``a`` and ``b`` (higher is better) against their seed spread.

    Returns one of ``"<A> above <B>, beyond the seed spread"``, ``"<A> below <B>, beyond the seed
    spread"`` or ``"<A> vs <B>: within the seed spread"``: beyond means that the difference of the
    means exceeds the larger of the two sample standard deviations.

    Examples
    --------
    >>> verdict([0.9, 0.91, 0.92], [0.5, 0.52, 0.51], "MMD", "source only")
    'MMD above source only, beyond the seed spread'
    >>> verdict([0.60, 0.62, 0.58], [0.61, 0.59, 0.63], "CORAL", "MMD")
    'CORAL vs MMD: within the seed spread'
    """
    va, vb = _values(a, "a"), _values(b, "b")
    diff = va.mean() - vb.mean()
    spread = max(va.std(ddof=1), vb.std(ddof=1))
    if diff > spread:
        return f"{name_a} above {name_b}, beyond the seed spread"
    if diff < -spread:
        return f"{name_a} below {name_b}, beyond the seed spread"
    return f"{name_a} vs {name_b}: within the seed spread"
