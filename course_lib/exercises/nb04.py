"""Exercises of notebook 04 (model transfer, transfer spectral clustering, co-clustering): expected
values recomputed from the learner's context."""
from __future__ import annotations

import re

import numpy as np

from . import judged, numeric


@numeric("04.1", atol=6e-4, hint="group `res` by method, take the mean of the 'ACC' column, subtract.")
def _model_transfer_gain(res):
    acc = res.groupby("method")["ACC"].mean()
    return float(acc["model transfer"] - acc["k-means (plain)"])


def _customers_applied_refined():
    from ..app_data import customers
    from ..metrics import cluster_accuracy
    from ..transfer_clustering import ModelTransferClustering

    b = customers(seed=0)
    applied = ModelTransferClustering(max_iter=0).fit(b.X_source, b.y_source, b.X_target).labels_
    refined = ModelTransferClustering().fit(b.X_source, b.y_source, b.X_target).labels_
    return cluster_accuracy(b.y_target, applied), cluster_accuracy(b.y_target, refined)


@judged("04.2", hint="fit both estimators on (X_source, y_source, X_target) and score labels_ with "
                     "cluster_accuracy against y_target; 'refining_helps' compares them with the 0.02 margin.")
def _refining_customers(answer):
    if not isinstance(answer, dict) or not {"applied", "refined", "refining_helps"} <= set(answer):
        return False, "answer_2 must be a dict with the keys 'applied', 'refined' and 'refining_helps'."
    applied, refined = _customers_applied_refined()
    if abs(float(answer["applied"]) - applied) > 0.005 or abs(float(answer["refined"]) - refined) > 0.005:
        return False, "the measured ACCs do not match a re-run of the experiment (tolerance 0.005)."
    helps = refined - applied > 0.02
    if bool(answer["refining_helps"]) != helps:
        return False, "the ACCs are right, but the conclusion 'refining_helps' does not follow from them."
    return True, f"(refining {'helps' if helps else 'does not help'} on this market.)"


@numeric("04.3", atol=5e-3, hint="select language == 'fr', then test each caption for a token of digits "
                                 "(re.search(r'\\b\\d+\\b', text)).")
def _numeral_share():
    from ..app_data import bilingual_captions

    b = bilingual_captions(seed=0)
    fr = b.text[b.language == "fr"]
    return float(np.mean([bool(re.search(r"\b\d+\b", t)) for t in fr]))
