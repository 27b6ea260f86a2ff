"""Checkers of notebook 08's exercises: they recompute the expected value from the learner's context."""
import numpy as np
import pandas as pd
import pytest

from course_lib.exercises import check


@pytest.fixture(autouse=True)
def lenient(monkeypatch):
    monkeypatch.delenv("COURSE_STRICT_CHECKS", raising=False)


def results_table(zs=0.3, semi=0.8, sup=0.9):
    rows = []
    for seed, jitter in enumerate((-0.01, 0.0, 0.01)):
        for setting, v in (("zero-shot", zs), ("semi-supervised", semi), ("supervised", sup)):
            for d in ("text -> image", "image -> text"):
                rows.append({"setting": setting, "seed": seed, "direction": d, "level": "class", "mAP": v + jitter})
                rows.append({"setting": setting, "seed": seed, "direction": d, "level": "instance", "mAP": 0.0})
    return pd.DataFrame(rows)


def test_08_1_gap_share_follows_the_table():
    assert check("08.1", (0.8 - 0.3) / (0.9 - 0.3), results=results_table())
    assert not check("08.1", 0.5, results=results_table())
    assert check("08.1", 0.5, results=results_table(zs=0.3, semi=0.6, sup=0.9))


def test_08_2_chance_share():
    TEST = (np.arange(4), None, np.arange(3))
    YS = (np.array([0, 0, 0, 1]), None, np.array([0, 1, 1]))
    expected = (0.75 + 0.25 + 0.25) / 3
    assert check("08.2", expected, TEST=TEST, YS=YS)
    assert not check("08.2", 0.5, TEST=TEST, YS=YS)


def test_08_3_reruns_the_experiment_without_pseudo_labels():
    def semi_run(n, seed, pseudo=True):  # the pseudo-label run differs: an answer read from it must fail
        assert (n, seed) == (2, 0)
        v = 0.6 if pseudo else 0.87
        return [{"direction": "speech -> image", "level": "class", "mAP": v},
                {"direction": "image -> text", "level": "class", "mAP": 0.1}]
    results = results_table(sup=0.9).assign(direction=lambda df: df.direction.replace({"text -> image": "speech -> image"}))
    ctx = dict(semi_run=semi_run, results=results, SEEDS=[0, 1, 2])
    assert check("08.3", {"map": 0.87, "within_5": True}, **ctx)
    assert not check("08.3", {"map": 0.87, "within_5": False}, **ctx)
    assert not check("08.3", {"map": 0.6, "within_5": False}, **ctx), "the run with pseudo-labels is not the one asked for"
    assert not check("08.3", 0.87, **ctx)
    low = lambda n, seed, pseudo=True: [{"direction": "speech -> image", "level": "class", "mAP": 0.7}]
    assert check("08.3", {"map": 0.7, "within_5": False}, semi_run=low, results=results, SEEDS=[0])


def test_unknown_id_is_an_error():
    with pytest.raises(ValueError):
        check("08.9", 1)
