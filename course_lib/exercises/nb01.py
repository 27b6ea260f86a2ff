"""Exercises of notebook 01 (feature transfer for clustering): expected values recomputed from the context."""
from __future__ import annotations

import numpy as np

from . import judged, numeric

Y_TRUE = [0, 0, 0, 1, 1, 2, 2, 2]
Y_PRED = [1, 1, 0, 0, 0, 2, 2, 1]


@numeric("01.1", atol=5e-3, hint="build the 3x3 table of counts (cluster x class); the best map uses each cluster once.")
def _acc_by_hand():
    from ..metrics import cluster_accuracy

    return float(cluster_accuracy(Y_TRUE, Y_PRED))


def _digits(pairs):
    d = pairs[pairs.data == "digits"]
    if len(d) == 0:
        raise ValueError("pairs has no rows with data == 'digits'")
    return d


@numeric("01.2", atol=5e-4, hint="sort the digit rows of `pairs` by 'silhouette' and read the acc of the last row.")
def _acc_of_silhouette_pick(pairs):
    d = _digits(pairs)
    return float(d.loc[d.silhouette.idxmax(), "acc"])


@numeric("01.3", hint="find the row with the largest acc and compare its (features, method) with Exercise 2's.")
def _silhouette_pick_is_best(pairs):
    d = _digits(pairs)
    return bool(d.silhouette.idxmax() == d.acc.idxmax())


def seeded_accuracy(y, Z, m=5, seed=1000):
    """Fixed-name accuracy of seeded k-means on the unlabelled rest (the experiment of exercise 01.4).

    Parameters
    ----------
    y : array of shape (n,)
        Target labels (used for the seeds and the score).
    Z : array of shape (n, d)
        Features to cluster.
    m, seed : labels per class and the seed of :func:`course_lib.clustering.few_labels`.

    Returns
    -------
    float in [0, 1].
    """
    from ..clustering import class_centres, few_labels, seeded_kmeans
    from ..metrics import accuracy

    y = np.asarray(y)
    lab = few_labels(y, m, seed=seed)
    rest = np.setdiff1d(np.arange(len(y)), lab)
    pred = seeded_kmeans(Z, class_centres(np.asarray(Z)[lab], y[lab]))
    return float(accuracy(y[rest], pred[rest]))


@judged("01.4", hint="lab = few_labels(y_hw, 5, seed=1000); centres = class_centres(Z[lab], y_hw[lab]); "
                     "seeded_kmeans(Z, centres); score with accuracy() on the indices not in lab.")
def _seeded_imagenet(answer, y, Z_imagenet, Z_source):
    if not isinstance(answer, dict) or not {"acc", "better"} <= set(answer):
        return False, "answer_4 must be a dict with the keys 'acc' and 'better'."
    acc_inet, acc_src = seeded_accuracy(y, Z_imagenet), seeded_accuracy(y, Z_source)
    if abs(float(answer["acc"]) - acc_inet) > 5e-3:
        return False, "the accuracy does not match a re-run of the experiment (tolerance 0.005)."
    if bool(answer["better"]) != bool(acc_inet > acc_src):
        return False, "the accuracy is right, but 'better' does not follow from the comparison with the source CNN."
    return True, f"(ImageNet features {'beat' if acc_inet > acc_src else 'do not beat'} the source CNN here: " \
                 f"{acc_inet:.3f} vs {acc_src:.3f}.)"
