"""Exercises of notebook 08 (multimodal transfer): expected values recomputed from the learner's context."""
from __future__ import annotations

import numpy as np

from . import judged, numeric


def _class_map(results, setting, direction):
    sel = results[(results.setting == setting) & (results.direction == direction) & (results.level == "class")]
    if sel.empty:
        raise ValueError(f"results has no class-level row for setting {setting!r} and direction {direction!r}")
    return float(sel["mAP"].mean())


@numeric("08.1", atol=5e-3, hint="mean class mAP over seeds of 'zero-shot', 'semi-supervised' and 'supervised' for "
                                 "'text -> image'; share = (semi - zero-shot) / (supervised - zero-shot).")
def _semi_gap_share(results):
    from ..reporting import gap_share

    d = "text -> image"
    return gap_share(_class_map(results, "semi-supervised", d), _class_map(results, "zero-shot", d),
                     _class_map(results, "supervised", d))


@numeric("08.2", atol=1e-3, hint="for each speech query (YS[2][TEST[2]]), count the test images (YS[0][TEST[0]]) of "
                                 "its digit and divide by the number of test images; average over the queries.")
def _chance_map(TEST, YS):
    q, g = np.asarray(YS[2])[TEST[2]], np.asarray(YS[0])[TEST[0]]
    return float(np.mean([(g == c).mean() for c in q]))


D_3 = "speech -> image"  # 08.3's direction


@judged("08.3", hint="rows = semi_run(2, SEEDS[0], pseudo=False); take the row with direction 'speech -> image' "
                     "(class level) and its 'mAP'; compare with the mean supervised class mAP of that direction in results.")
def _two_pairs(answer, semi_run, results, SEEDS):
    if not isinstance(answer, dict) or not {"map", "within_5"} <= set(answer):
        return False, "answer_3 must be a dict with the keys 'map' and 'within_5'."
    rows = [r for r in semi_run(2, SEEDS[0], pseudo=False) if r["direction"] == D_3 and r["level"] == "class"]
    value = float(rows[0]["mAP"])
    ceiling = _class_map(results, "supervised", D_3)
    try:
        got = float(answer["map"])
    except (TypeError, ValueError):
        return False, "answer_3['map'] must be a number."
    if abs(got - value) > 0.01:
        return False, f"that is not the class mAP of {D_3} in a re-run of semi_run(2, SEEDS[0], pseudo=False)."
    within = ceiling - value <= 0.05
    if bool(answer["within_5"]) != within:
        return False, "the mAP is right; compare it with the supervised mean again (5 points = 0.05)."
    return True, (f"(two labelled pairs per class, no pseudo-labels: {value:.3f}, ceiling {ceiling:.3f}: "
                  f"{'within' if within else 'more than'} 5 points{'' if within else ' below'}.)")
