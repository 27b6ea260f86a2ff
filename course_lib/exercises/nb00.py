"""Exercises of notebook 00 (data and domain shift): expected values recomputed from the learner's context."""
from __future__ import annotations

import numpy as np

from . import judged, numeric


@numeric("00.1", atol=5e-4, hint="p = (1 + #{b : MMD²_b >= MMD²_obs}) / (1 + B): what if no re-split reaches the "
                                 "observed value?")
def _smallest_p(n_permutations):
    return 1.0 / (1 + int(n_permutations))


@numeric("00.2", hint="compare the MMD² column of the two rows that start with 'printed vs'.")
def _further_target(shift_table):
    rows = shift_table.loc[["printed vs handwritten", "printed vs textured"], "MMD²"]
    return str(rows.idxmax()).removeprefix("printed vs ")


@numeric("00.3", atol=1e-3, hint="d_A = 2 (1 - 2 err).")
def _chance_proxy_a():
    from ..shift import proxy_a_distance

    return float(proxy_a_distance(0.5))


FEMALE_A, FEMALE_B = ("en+f1", "en+f2"), ("en+f3", "en+f4")


def female_halves_test(F_audio, voice, n_permutations, seed):
    """The experiment of exercise 00.4: MMD permutation test between two groups of female voices.

    Parameters
    ----------
    F_audio : array of shape (n_clips, d)
        Pooled MFCC statistics of every clip.
    voice : array of shape (n_clips,)
        Voice name of each clip.
    n_permutations, seed : passed to :func:`course_lib.alignment.mmd_permutation_test`.

    Returns
    -------
    (mmd2, p) : floats.
    """
    from sklearn.preprocessing import StandardScaler

    from ..alignment import mmd_permutation_test

    F_audio, voice = np.asarray(F_audio), np.asarray(voice)
    xs, xt = F_audio[np.isin(voice, FEMALE_A)], F_audio[np.isin(voice, FEMALE_B)]
    if len(xs) == 0 or len(xt) == 0:
        raise ValueError(f"voice must contain clips of {FEMALE_A} and of {FEMALE_B}")
    scaler = StandardScaler().fit(np.vstack([xs, xt]))
    stat, p = mmd_permutation_test(scaler.transform(xs), scaler.transform(xt), n_permutations=n_permutations,
                                   seed=seed)
    return float(stat), float(p)


@judged("00.4", hint="xs = F_audio[np.isin(sp.voice, ['en+f1', 'en+f2'])], xt likewise; fit one StandardScaler on "
                     "np.vstack([xs, xt]) and transform both before the test.")
def _female_halves(answer, F_audio, voice, n_permutations, seed):
    if not isinstance(answer, dict) or not {"mmd2", "p", "shift"} <= set(answer):
        return False, "answer_4 must be a dict with the keys 'mmd2', 'p' and 'shift'."
    stat, p = female_halves_test(F_audio, voice, n_permutations, seed)
    if abs(float(answer["mmd2"]) - stat) > max(1e-3, 0.01 * stat) or abs(float(answer["p"]) - p) > 0.01:
        return False, "the statistic or the p-value does not match a re-run of the test (tolerances 1% and 0.01)."
    if bool(answer["shift"]) != bool(p < 0.05):
        return False, "the measured values are right, but 'shift' does not follow from the p-value."
    verdict = "rejects: two groups of female voices are two domains too" if p < 0.05 else \
        "does not reject: no evidence that the two groups of female voices differ"
    return True, f"(the test {verdict}.)"
