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


@numeric("02.3", atol=1e-4, hint="as sigma -> 0, k(a, b) -> 0 for a != b: which terms of the three means survive?")
def _biased_limit():
    m, n = 40, 50
    return 1 / m + 1 / n


def _textured_coral_scores():
    from sklearn.linear_model import LogisticRegression

    from .. import data, recipes
    from ..alignment import CORAL
    from ..encoders import extract_features

    printed, split = data.load("printed"), recipes.target_split("textured")
    net = recipes.source_cnn(0)
    fs, ftr, fte = (extract_features(net, X) for X in (printed.X, split.X_train, split.X_test))
    score = lambda F: LogisticRegression(max_iter=2000).fit(F, printed.y).score(fte, split.y_test)
    return score(fs), score(CORAL(reg=1e-2).fit(fs, ftr).transform(fs))


@judged("02.4", hint="the two accuracies come from the same LogisticRegression, once on plain and once on "
                     "CORAL-transformed source features; 'helps' compares them with the 0.02 margin.")
def _textured_coral(answer):
    if not isinstance(answer, dict) or not {"plain", "coral", "helps"} <= set(answer):
        return False, "answer_4 must be a dict with the keys 'plain', 'coral' and 'helps'."
    plain, coral = _textured_coral_scores()
    if abs(float(answer["plain"]) - plain) > 0.01 or abs(float(answer["coral"]) - coral) > 0.01:
        return False, "the measured accuracies do not match a re-run of the experiment (tolerance 0.01)."
    if bool(answer["helps"]) != bool(coral - plain > 0.02):
        return False, "the accuracies are right, but the conclusion 'helps' does not follow from them."
    return True, f"(CORAL {'helps' if coral - plain > 0.02 else 'does not help'} on this pair.)"
