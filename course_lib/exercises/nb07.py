"""Exercises of notebook 07 (image-text retrieval): expected values recomputed from the learner's context."""
from __future__ import annotations

import numpy as np

from . import judged, numeric


@numeric("07.1", atol=5e-3, hint="sort by decreasing similarity; AP = mean over the relevant items of "
                                 "(relevant items so far) / (rank).")
def _demo_ap():
    from ..retrieval_metrics import average_precision

    sim = np.array([[0.9, 0.2, 0.75, 0.4, 0.6, 0.1]])
    rel = np.array([[0, 1, 1, 0, 0, 1]], dtype=bool)
    return float(average_precision(sim, rel)[0])


def _class_map_by_k(Xi_fit, Xt_fit, evaluate, VAL, CCA_REG):
    from ..shared_space import CCA

    out = {}
    for k in (4, 8, 16, 32, 64):
        space = CCA(k, reg=CCA_REG).fit(Xi_fit, Xt_fit)
        df = evaluate(lambda a, b, s=space: (s.transform(a, 0), s.transform(b, 1)), split=VAL)
        sel = df[(df.domain == "printed") & (df.direction == "text -> image") & (df.level == "class")]
        out[k] = float(sel["mAP"].mean())
    return out


@judged("07.2", hint="one CCA per k on the fit split; read the 'mAP' of the rows with domain 'printed', "
                     "direction 'text -> image' and level 'class'.")
def _cca_k_sweep(answer, Xi_fit, Xt_fit, evaluate, VAL, CCA_REG, CCA_K):
    if not isinstance(answer, dict) or not {"best_k", "same_as_instance"} <= set(answer):
        return False, "answer_2 must be a dict with the keys 'best_k' and 'same_as_instance'."
    scores = _class_map_by_k(Xi_fit, Xt_fit, evaluate, VAL, CCA_REG)
    best = max(scores, key=scores.get)
    if answer["best_k"] != best:
        return False, "that k does not give the highest class mAP in a re-run of the sweep."
    if bool(answer["same_as_instance"]) != (best == CCA_K):
        return False, "the best k is right, but compare it with CCA_K again."
    return True, (f"(class mAP peaks at k = {best}; instance R@1 chose k = {CCA_K}: "
                  f"{'the same' if best == CCA_K else 'the two criteria disagree'}.)")


@numeric("07.3", atol=5e-3, hint="filter fusion by domain 'textured', direction 'text -> image', level 'instance'; "
                                 "group by method and average 'R@1' over seeds.")
def _attention_gain(fusion):
    sel = fusion[(fusion.domain == "textured") & (fusion.direction == "text -> image") & (fusion.level == "instance")]
    means = sel.groupby("method")["R@1"].mean()
    return float(means["attention"] - means[[m for m in means.index if m.endswith(" only")]].max())
