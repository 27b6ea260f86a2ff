"""Exercises of notebooks 00 and 01: each accepts its solution value computed on a small context and
rejects a wrong one (the notebooks' solutions are also run through their checks by the solutions build)."""
import numpy as np
import pandas as pd
import pytest

from course_lib.exercises import check, registered
from course_lib.exercises import nb00, nb01


@pytest.fixture(autouse=True)
def _not_strict(monkeypatch):
    monkeypatch.delenv("COURSE_STRICT_CHECKS", raising=False)


def test_registered_ids():
    assert registered("00") == ["00.1", "00.2", "00.3", "00.4"]
    assert registered("01") == ["01.1", "01.2", "01.3", "01.4"]


def test_00_1_smallest_p_value_at_printed_precision():
    assert check("00.1", 1 / 201, n_permutations=200)
    assert check("00.1", 0.005, n_permutations=200)        # as printed in the table, 3 decimals
    assert not check("00.1", 1 / 200, n_permutations=1000)
    assert not check("00.1", 0.0, n_permutations=200)


def _shift_table(hw, tex):
    return pd.DataFrame({"MMD²": [0.01, hw, tex]},
                        index=["printed vs printed (2nd sample)", "printed vs handwritten", "printed vs textured"])


def test_00_2_further_target_follows_the_table():
    assert check("00.2", "textured", shift_table=_shift_table(0.17, 0.30))
    assert check("00.2", " Handwritten ", shift_table=_shift_table(0.40, 0.30))
    assert not check("00.2", "handwritten", shift_table=_shift_table(0.17, 0.30))


def test_00_3_proxy_a_distance_at_chance():
    assert check("00.3", 0.0)
    assert not check("00.3", 1.0)


def _audio(shift, seed=0):
    rng = np.random.default_rng(seed)
    voice = np.repeat(["en+f1", "en+f2", "en+f3", "en+f4", "en+m1"], 20)
    F = rng.normal(size=(100, 4))
    F[np.isin(voice, ["en+f3", "en+f4"])] += shift
    return F, voice


@pytest.mark.parametrize("shift", [0.0, 2.0])
def test_00_4_judges_the_value_and_the_conclusion(shift):
    F, voice = _audio(shift)
    stat, p = nb00.female_halves_test(F, voice, n_permutations=50, seed=0)
    assert (p < 0.05) == (shift > 0)                      # the small experiment itself behaves
    ctx = dict(F_audio=F, voice=voice, n_permutations=50, seed=0)
    assert check("00.4", {"mmd2": stat, "p": p, "shift": p < 0.05}, **ctx)
    assert not check("00.4", {"mmd2": stat, "p": p, "shift": not p < 0.05}, **ctx)   # wrong conclusion
    assert not check("00.4", {"mmd2": stat + 0.5, "p": p, "shift": p < 0.05}, **ctx)  # wrong value
    assert not check("00.4", [stat, p], **ctx)                                          # wrong form


def test_00_4_rejects_missing_voices():
    F, voice = _audio(0.0)
    with pytest.raises(ValueError, match="voice"):
        nb00.female_halves_test(F, np.full(len(voice), "en+m1"), 10, 0)


def test_01_1_acc_by_hand():
    assert check("01.1", 0.75)
    assert not check("01.1", 5 / 8)


def _pairs():
    return pd.DataFrame({"data": ["textile", "digits", "digits", "digits"],
                         "features": ["a", "pixels", "cnn", "cnn"], "method": ["k-means", "spectral", "k-means", "GMM"],
                         "silhouette": [0.9, 0.20, 0.30, 0.25], "acc": [0.99, 0.8604, 0.7661, 0.77]})


def test_01_2_and_01_3_read_the_digit_rows():
    pairs = _pairs()
    assert check("01.2", 0.766, pairs=pairs)            # read off the table at 3 decimals
    assert not check("01.2", 0.99, pairs=pairs)          # the textile row is not a digit pair
    assert not check("01.2", 0.860, pairs=pairs)
    assert check("01.3", False, pairs=pairs)
    assert not check("01.3", True, pairs=pairs)
    best = pairs.assign(acc=[0.5, 0.7, 0.9, 0.8])
    assert check("01.3", True, pairs=best)


def test_01_4_judges_the_value_and_the_conclusion():
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(10), 12)
    Z_good = np.eye(10)[y] * 3 + rng.normal(scale=0.3, size=(120, 10))
    Z_bad = rng.normal(size=(120, 10))
    acc_bad, acc_good = nb01.seeded_accuracy(y, Z_bad), nb01.seeded_accuracy(y, Z_good)
    assert acc_good > 0.95 and acc_bad < acc_good
    ctx = dict(y=y, Z_imagenet=Z_bad, Z_source=Z_good)
    assert check("01.4", {"acc": acc_bad, "better": False}, **ctx)
    assert not check("01.4", {"acc": acc_bad, "better": True}, **ctx)
    assert not check("01.4", {"acc": acc_good, "better": False}, **ctx)
    assert check("01.4", {"acc": acc_good, "better": True}, y=y, Z_imagenet=Z_good, Z_source=Z_bad)


def test_strict_mode_raises_on_a_wrong_answer(monkeypatch):
    monkeypatch.setenv("COURSE_STRICT_CHECKS", "1")
    with pytest.raises(AssertionError, match="00.3"):
        check("00.3", 2.0)
