"""Exercise checks that never show the answer.

A notebook's check cell calls :func:`check` with the exercise's id, the
learner's answer and whatever of the learner's context the expected value
depends on::

    check("02.2", answer_2, summary=summary)

The expected value is recomputed here, from that context, by a function
registered in this package (one module per notebook, ``nb00`` ... ``nb08``,
imported only when one of its exercises is checked), so no visible cell holds
the expected value or the solution.

Two kinds of exercise:

* :func:`numeric` (or any value): ``expected(**context)`` gives the value;
  the answer is right when it is within ``atol`` (and ``rtol``) of it. A
  tolerance should fit the question: a value read off a printed table at three
  decimals is right at ``atol=5e-4``.
* :func:`judged`: ``judge(answer, **context)`` returns ``(ok, message)``, for
  experiments whose answer is a measured value *and* a conclusion.

``check`` prints "Correct." / "Not yet. <hint>" / "Not answered yet" and
returns a bool; it never raises in a learner's notebook. With the environment
variable ``COURSE_STRICT_CHECKS=1`` (set by the solutions run of ``make
test``) a wrong or missing answer raises ``AssertionError`` instead, so every
stored solution is proved to pass its check.
"""
from __future__ import annotations

import importlib
import os
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

__all__ = ["Exercise", "numeric", "judged", "check", "compare", "registered"]


@dataclass(frozen=True)
class Exercise:
    """One registered exercise.

    Attributes
    ----------
    id : "NN.k": notebook number and exercise number.
    expected : ``f(**context) -> value`` (numeric / value exercises), or None.
    judge : ``f(answer, **context) -> (ok, message)`` (judged exercises), or None.
    atol, rtol : tolerances for numbers and arrays.
    hint : shown with "Not yet."; must not give the answer away.
    """

    id: str
    expected: Callable[..., Any] | None = None
    judge: Callable[..., tuple[bool, str]] | None = None
    atol: float = 1e-6
    rtol: float = 0.0
    hint: str = ""


_REGISTRY: dict[str, Exercise] = {}


def _register(ex: Exercise) -> None:
    if not isinstance(ex.id, str) or len(ex.id.split(".")) != 2 or not all(p.isdigit() for p in ex.id.split(".")):
        raise ValueError(f"exercise id must look like '02.1', got {ex.id!r}")
    _REGISTRY[ex.id] = ex


def numeric(id: str, atol: float = 1e-6, rtol: float = 0.0, hint: str = ""):
    """Decorator: register ``f(**context) -> expected value`` as exercise ``id``."""
    def deco(f):
        _register(Exercise(id, expected=f, atol=atol, rtol=rtol, hint=hint))
        return f
    return deco


def judged(id: str, hint: str = ""):
    """Decorator: register ``f(answer, **context) -> (ok, message)`` as exercise ``id``."""
    def deco(f):
        _register(Exercise(id, judge=f, hint=hint))
        return f
    return deco


def compare(answer, expected, atol: float = 1e-6, rtol: float = 0.0) -> bool:
    """True when ``answer`` equals ``expected``: numbers and arrays within the tolerances and of the same
    shape (no broadcasting), strings case- and space-insensitively, sequences element by element."""
    try:
        if isinstance(expected, str):
            return isinstance(answer, str) and answer.strip().lower() == expected.strip().lower()
        e = np.asarray(expected)
        if e.dtype.kind in "biuf":
            a = np.asarray(answer)
            if a.dtype.kind not in "biuf":
                return False
            return a.shape == e.shape and bool(np.allclose(a.astype(float), e.astype(float), atol=atol, rtol=rtol))
        if isinstance(expected, (list, tuple)):
            return (isinstance(answer, (list, tuple, np.ndarray)) and len(answer) == len(expected)
                    and all(compare(a, b, atol, rtol) for a, b in zip(answer, expected)))
        return bool(answer == expected)
    except (TypeError, ValueError):
        return False


def _load(id: str) -> Exercise:
    if not isinstance(id, str) or "." not in id:
        raise ValueError(f"id must be an exercise id such as '02.1', got {id!r}")
    if id not in _REGISTRY:
        try:
            importlib.import_module(f"{__name__}.nb{id.split('.')[0]}")
        except ModuleNotFoundError:
            pass
    if id not in _REGISTRY:
        raise ValueError(f"no exercise with id={id!r}; known: {sorted(_REGISTRY)}")
    return _REGISTRY[id]


def registered(notebook: str | None = None) -> list[str]:
    """Ids of the exercises registered so far (of one notebook, e.g. ``"02"``, which is imported first)."""
    if notebook is not None:
        importlib.import_module(f"{__name__}.nb{notebook}")
    return sorted(i for i in _REGISTRY if notebook is None or i.startswith(f"{notebook}."))


def check(id: str, answer, **context) -> bool:
    """Tell the learner whether ``answer`` to exercise ``id`` is right; return True/False.

    Parameters
    ----------
    id : exercise id, e.g. ``"02.1"``.
    answer : the learner's answer; ``None`` means not attempted.
    **context : the learner's variables that the expected value depends on.

    Raises
    ------
    ValueError
        For an unknown ``id`` (a typo in the notebook, not a wrong answer).
    AssertionError
        Only when ``COURSE_STRICT_CHECKS=1`` and the answer is missing or wrong.
    """
    ex = _load(id)
    strict = os.environ.get("COURSE_STRICT_CHECKS", "") == "1"
    if answer is None:
        msg = "Not answered yet: replace None with your answer." + (f" Hint: {ex.hint}" if ex.hint else "")
        print(msg)
        if strict:
            raise AssertionError(f"exercise {id}: {msg}")
        return False
    if ex.judge is not None:
        try:
            ok, message = ex.judge(answer, **context)
        except (TypeError, ValueError, KeyError, IndexError, AttributeError) as err:
            ok, message = False, f"could not read the answer ({type(err).__name__}: {err})"
    else:
        ok = compare(answer, ex.expected(**context), ex.atol, ex.rtol)
        message = ""
    text = "Correct." if ok else "Not yet."
    if message:
        text += f" {message}"
    if not ok and ex.hint:
        text += f" Hint: {ex.hint}"
    print(text)
    if strict and not ok:
        raise AssertionError(f"exercise {id}: {text}")
    return bool(ok)
