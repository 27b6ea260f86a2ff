"""Exercises of notebook 05 (deep transfer clustering): expected values recomputed from the learner's context."""
from __future__ import annotations

import numpy as np

from . import judged, numeric


@numeric("05.1", atol=5e-3, hint="use the formula for q in section 2 with alpha = 1: a kernel of each squared "
                                   "distance to a centre, then divide by their sum over the centres.")
def _soft_assignment():
    import torch

    from ..deep_clustering import soft_assignment

    return soft_assignment(torch.tensor([[1.0, 0.0]]), torch.tensor([[0.0, 0.0], [3.0, 0.0]]))[0].numpy().astype(float)


@numeric("05.2", atol=1.5e-3, hint="mean ACC per method over the seeds (res.groupby('method').ACC.mean()), then a "
                                   "difference of two of them.")
def _gain_over_bar(res):
    m = res.groupby("method")["ACC"].mean()
    return float(m["full deep transfer clustering (refined CNN + DEC)"] - m["UMAP + k-means on pixels"])


@judged("05.3", hint="select_k(Z, ks=range(8, 13)) returns a Bunch; its best_silhouette is the k the silhouette picks.")
def _select_k_experiment(answer, Z):
    from ..deep_clustering import select_k

    if not isinstance(answer, (tuple, list)) or len(answer) != 2:
        return False, "answer_3 must be a pair (k, True/False)."
    k, is_true = answer
    picked = select_k(Z, ks=range(8, 13)).best_silhouette
    if int(k) != picked:
        return False, "that is not the k a re-run of select_k picks on these features."
    if bool(is_true) != (picked == 10):
        return False, "the k is right, but is it the true number of digits?"
    return True, f"(the silhouette picks k = {picked}{'' if picked == 10 else ', not the 10 digits'}.)"
