"""Exercises of notebook 03 (adversarial and class-aware adaptation): expected values recomputed here."""
from __future__ import annotations

from . import judged, numeric


@numeric("03.1", atol=1e-4, hint="the forward pass is the identity; what does the backward pass do to the gradient "
                                 "that flows back through it?")
def _reversed_gradient():
    import torch

    from ..adversarial import grad_reverse

    x = torch.tensor(2.0, requires_grad=True)
    z = grad_reverse(x, 0.4)
    (3 * z ** 2).backward()
    return x.grad.item()


def _scores(targets):
    from .. import recipes
    from ..encoders import extract_features
    from ..selection import predict_proba, transferability_score

    net = recipes.source_cnn(0)
    return {t: transferability_score(extract_features(net, targets[t].X_test), predict_proba(net, targets[t].X_test))
            for t in ("handwritten", "textured")}


@judged("03.2", hint="use recipes.source_cnn(0), the X_test half of each target, and the default k and seed.")
def _which_target(answer, targets):
    if not isinstance(answer, (tuple, list)) or len(answer) != 3:
        return False, "answer_2 must be a tuple (score_handwritten, score_textured, name)."
    s = _scores(targets)
    if abs(float(answer[0]) - s["handwritten"]) > 0.01 or abs(float(answer[1]) - s["textured"]) > 0.01:
        return False, "the scores do not match a re-run of the experiment (tolerance 0.01)."
    better = max(s, key=s.get)
    if str(answer[2]).strip().lower() != better:
        return False, "the scores are right, but the name does not follow from them."
    return True, f"(the printed source fits {better} better.)"


@numeric("03.3", atol=0, hint="compare the 'pick' and 'oracle pick' columns of every row of choice1 (one row per "
                               "criterion and seed).")
def _same_as_oracle(choice1):
    return int((choice1["pick"] == choice1["oracle pick"]).sum())
