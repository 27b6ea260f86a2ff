"""Exercises of notebook 06 (features per modality): expected values recomputed from the learner's context."""
from __future__ import annotations

import numpy as np

from . import judged, numeric


@numeric("06.1", atol=5e-3, hint="AP = (1/R) * sum over the relevant items of (precision at the rank where each one "
                                 "appears); here R = 3.")
def _average_precision_by_hand():
    ranks = np.array([1, 3, 6])  # ranks of the three relevant items
    return float(np.mean(np.arange(1, 4) / ranks))


def cross_style_class_map(captions, text_feats) -> dict:
    """Class mAP of numeral-style test captions (queries) against word-style test captions (gallery), per
    text encoder in ``text_feats`` (a dict name -> (n_captions, d) features aligned with ``captions``)."""
    from ..retrieval import cosine_similarity
    from ..retrieval_metrics import mean_average_precision, relevance

    q = np.flatnonzero((captions.style == "numeral") & (captions.split == "test"))
    g = np.flatnonzero((captions.style == "word") & (captions.split == "test"))
    rel = relevance(captions.y[q], captions.y[g])
    out = {}
    for name, F in text_feats.items():
        F = np.asarray(F, dtype=np.float64)
        zero = ~np.any(F[q], axis=1)  # a query with no feature at all (every word unknown) ranks at random:
        sim = cosine_similarity(F[q] + zero[:, None] * 1e-12, F[g])  # give it a constant, tie-pessimistic score
        out[name] = mean_average_precision(sim, rel)
    return out


@judged("06.2", hint="fit me.TfidfEncoder() on the training captions of both styles, encode all captions, then "
                     "score numeral-style test queries against the word-style test gallery by class, as section 4's "
                     "`across(F, text_domains[\"numeral\"], text_domains[\"word\"], captions.y)[\"mAP\"]` does; "
                     "'improves' means more than 0.02 above the word-only TF-IDF.")
def _tfidf_both_styles(answer, captions, text_feats):
    from ..modality_encoders import TfidfEncoder

    if not isinstance(answer, dict) or not {"both_styles", "improves"} <= set(answer):
        return False, "answer_2 must be a dict with the keys 'both_styles' and 'improves'."
    enc = TfidfEncoder().fit(captions.text[captions.split == "train"])
    maps = cross_style_class_map(captions, {"both": enc.encode(list(captions.text), progress=False),
                                            "word only": text_feats["tfidf"]})
    if abs(float(answer["both_styles"]) - maps["both"]) > 0.01:
        return False, "the mAP does not match a re-run of the experiment (tolerance 0.01)."
    improves = maps["both"] - maps["word only"] > 0.02
    if bool(answer["improves"]) != improves:
        return False, "the mAP is right, but 'improves' does not follow from it and the word-only TF-IDF's mAP."
    return True, (f"(word-only {maps['word only']:.3f}, both styles {maps['both']:.3f}: \"7\" and \"seven\" are "
                  f"different tokens either way; only the words around them can match.)")


@numeric("06.3", atol=5e-3, hint="cosine of row i of E with row i of T (paired), against the mean over all "
                                 "pairs i != j (unpaired); both sets of rows are unit length.")
def _modality_gap(E, T):
    E = np.asarray(E, dtype=np.float64)
    T = np.asarray(T, dtype=np.float64)
    E /= np.linalg.norm(E, axis=1, keepdims=True)
    T /= np.linalg.norm(T, axis=1, keepdims=True)
    S = E @ T.T
    n = len(S)
    return float(np.trace(S) / n - (S.sum() - np.trace(S)) / (n * (n - 1)))
