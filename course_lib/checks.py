"""Deprecated check cells: compare a learner's answer with an expected value shown in the notebook.

Use :func:`course_lib.exercises.check` instead, which recomputes the expected value so that no cell
shows it. :func:`check_answer` stays only until every notebook has moved off it.
"""
from __future__ import annotations

import numpy as np

__all__ = ["check_answer"]


def check_answer(answer, expected, tol: float = 1e-6, hint: str = "") -> bool:
    """Print whether ``answer`` matches ``expected`` and return True/False.

    .. deprecated::
        The check cell that calls this shows ``expected`` to the learner. Use
        ``course_lib.exercises.check("NN.k", answer, **context)`` (see docs/CONVENTIONS.md);
        this function will be removed once no notebook calls it.

    Numbers and arrays are compared with absolute tolerance ``tol`` and must have
    the same shape (no broadcasting); anything else with ``==``. An answer left
    as ``None`` is reported as not attempted.
    Never raises, so a notebook with an open exercise still runs top to bottom.
    """
    if answer is None:
        print("Not answered yet: replace None with your answer." + (f" Hint: {hint}" if hint else ""))
        return False
    try:
        e = np.asarray(expected)
        if e.dtype.kind in "biuf":  # numbers or arrays of numbers: compare with the tolerance
            a = np.asarray(answer, dtype=float)
            ok = a.shape == e.shape and bool(np.allclose(a, e.astype(float), atol=tol, rtol=0))  # no broadcasting
        elif isinstance(expected, (list, tuple, np.ndarray)):  # sequences of strings etc.: element by element
            ok = len(answer) == len(expected) and all(bool(x == y) for x, y in zip(answer, expected))
        else:
            ok = bool(answer == expected)
    except (TypeError, ValueError):
        ok = False
    print("Correct." if ok else "Not yet." + (f" Hint: {hint}" if hint else ""))
    return ok
