"""Tests for course_lib.reporting: sample std, gap share, verdicts against the seed spread."""
import numpy as np
import pytest

from course_lib.reporting import fmt_mean_std, gap_share, mean_std, verdict


def test_mean_std_is_the_sample_std():
    v = np.random.default_rng(0).normal(size=5)
    m, s = mean_std(v)
    assert m == pytest.approx(v.mean()) and s == pytest.approx(v.std(ddof=1)), "ddof=1, not the population std"
    assert s != pytest.approx(v.std(ddof=0))


def test_fmt_mean_std():
    assert fmt_mean_std([1.0, 2.0, 3.0], digits=2) == "2.00 ± 1.00"


def test_gap_share_endpoints():
    assert gap_share(0.5, 0.5, 0.9) == 0.0 and gap_share(0.9, 0.5, 0.9) == pytest.approx(1.0)
    assert gap_share(0.4, 0.5, 0.9) < 0, "worse than the baseline gives a negative share"


def test_verdict_depends_on_the_spread():
    a, b = [0.60, 0.61, 0.62], [0.55, 0.56, 0.57]
    assert verdict(a, b, "a", "b") == "a above b, beyond the seed spread"
    assert verdict(b, a, "b", "a") == "b below a, beyond the seed spread"
    wide = [0.45, 0.60, 0.75]  # same mean as b's neighbourhood but a large spread
    assert verdict(a, wide, "a", "w") == "a vs w: within the seed spread"


@pytest.mark.parametrize("bad", [[0.5], [], [0.5, np.nan]])
def test_bad_values_are_named(bad):
    with pytest.raises(ValueError, match="values"):
        mean_std(bad)
    with pytest.raises(ValueError, match="^a "):
        verdict(bad, [0.1, 0.2])


def test_gap_share_needs_a_ceiling_above_the_baseline():
    with pytest.raises(ValueError, match="ceiling"):
        gap_share(0.5, 0.6, 0.6)
