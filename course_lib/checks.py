"""Check cells for the exercises: compare a learner's answer with the expected one and say so."""
from __future__ import annotations

import numpy as np

__all__ = ["check_answer"]


def check_answer(answer, expected, tol: float = 1e-6, hint: str = "") -> bool:
    """Print whether ``answer`` matches ``expected`` and return True/False.

    Numbers and arrays are compared with absolute tolerance ``tol`` and must have
    the same shape (no broadcasting); anything else with ``==``. An answer left
    as ``None`` is reported as not attempted.
    Never raises, so a notebook with an open exercise still runs top to bottom.
    """
    if answer is None:
        print("Not answered yet: replace None with your answer." + (f" Hint: {hint}" if hint else ""))
        return False
    try:
        if isinstance(expected, (int, float, np.number, np.ndarray, list, tuple)) and not isinstance(expected, str):
            a, e = np.asarray(answer, dtype=float), np.asarray(expected, dtype=float)
            ok = a.shape == e.shape and bool(np.allclose(a, e, atol=tol, rtol=0))  # no broadcasting
        else:
            ok = bool(answer == expected)
    except (TypeError, ValueError):
        ok = False
    print("Correct." if ok else "Not yet." + (f" Hint: {hint}" if hint else ""))
    return ok
