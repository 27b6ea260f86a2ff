"""Exercises of notebook 02 (MMD and CORAL): expected values recomputed from the learner's context."""
from __future__ import annotations

import numpy as np

from . import judged, numeric


@numeric("02.1", atol=5e-4, hint="h = k(x1,x2) + k(y1,y2) - k(x1,y2) - k(x2,y1) for each pair of pairs, then average.")
def _linear_mmd():
    import torch

    from ..alignment import mmd2

    x, y = torch.tensor([[0.], [1.], [2.], [3.]]), torch.tensor([[0.], [1.], [5.], [6.]])
    return mmd2(x, y, bandwidth=1.0, estimator="linear").item()


@numeric("02.2", atol=6e-3, hint="take the per-method means of the 'accuracy' column for the handwritten target.")
def _gap_beyond_control(results):
    r = results[results.target == "handwritten"].groupby("method")["accuracy"].mean()
    return (r["Deep CORAL"] - r["fine-tune, λ = 0"]) / (r["target supervised (ceiling)"] - r["source only"])


@numeric("02.3", atol=1e-4, hint="as sigma -> 0, k(a, b) -> 1 if a == b and 0 otherwise: count the surviving "
                                  "terms in each of the three means, the cross term included.")
def _biased_limit():
    m, n, shared = 40, 50, 10
    return 1 / m + 1 / n - 2 * shared / (m * n)


def _textured_coral_scores(seeds):
    from sklearn.linear_model import LogisticRegression

    from .. import data, recipes
    from ..alignment import CORAL
    from ..encoders import extract_features

    printed, split = data.load("printed"), recipes.target_split("textured")
    plain, coral = [], []
    for s in seeds:
        net = recipes.source_cnn(s)
        fs, ftr, fte = (extract_features(net, X) for X in (printed.X, split.X_train, split.X_test))
        score = lambda F: LogisticRegression(max_iter=2000).fit(F, printed.y).score(fte, split.y_test)
        plain.append(score(fs))
        coral.append(score(CORAL(reg=1e-2).fit(fs, ftr).transform(fs)))
    return np.array(plain), np.array(coral)


@judged("02.4", hint="the same LogisticRegression per seed, once on plain and once on CORAL-transformed source "
                     "features; 'beyond_spread' follows the rule of course_lib.reporting.verdict.")
def _textured_coral(answer, seeds=(0, 1, 2)):
    if not isinstance(answer, dict) or not {"plain", "coral", "beyond_spread"} <= set(answer):
        return False, "answer_4 must be a dict with the keys 'plain', 'coral' and 'beyond_spread'."
    plain, coral = _textured_coral_scores(seeds)
    a_plain, a_coral = np.asarray(answer["plain"], float), np.asarray(answer["coral"], float)
    if a_plain.shape != plain.shape or a_coral.shape != coral.shape:
        return False, f"'plain' and 'coral' need one accuracy per seed ({len(plain)} each)."
    if np.abs(a_plain - plain).max() > 0.01 or np.abs(a_coral - coral).max() > 0.01:
        return False, "the measured accuracies do not match a re-run of the experiment (tolerance 0.01)."
    beyond = bool(coral.mean() - plain.mean() > max(coral.std(ddof=1), plain.std(ddof=1)))
    if bool(answer["beyond_spread"]) != beyond:
        return False, "the accuracies are right, but 'beyond_spread' does not follow from them."
    return True, ""
