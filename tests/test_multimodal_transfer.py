import numpy as np
import pytest

from course_lib.multimodal_transfer import (SETTINGS, group_standardise, modality_gap,
                                            scarce_pair_indices, visible_pairs)

Y = np.repeat(np.arange(4), 12)


@pytest.mark.parametrize("setting", ["zero-shot", "unsupervised"])
def test_label_free_settings_ignore_scrambled_labels(setting):
    rng = np.random.default_rng(0)
    a = visible_pairs(setting, Y)
    b = visible_pairs(setting, rng.permutation(Y))
    assert a.size == 0 and np.array_equal(a, b)


def test_semi_supervised_at_most_five_per_class():
    idx = visible_pairs("semi-supervised", Y, n_per_class=5, seed=1)
    counts = np.bincount(Y[idx])
    assert counts.max() == 5 and counts.min() == 5 and idx.size == 20


def test_supervised_sees_all():
    assert np.array_equal(visible_pairs("supervised", Y), np.arange(Y.size))


def test_scarce_sweep_sizes_and_small_class():
    y = np.r_[np.zeros(2, int), np.ones(20, int)]
    for n in (0, 1, 2, 5, 10):
        idx = scarce_pair_indices(y, n, seed=0)
        assert np.bincount(y[idx], minlength=2).tolist() == [min(n, 2), n]
    assert scarce_pair_indices(y, "all").size == y.size


def test_group_standardise_per_group_and_label_free():
    rng = np.random.default_rng(0)
    X = np.r_[rng.normal(0, 1, (30, 3)), rng.normal(5, 3, (30, 3))]
    g = np.repeat([0, 1], 30)
    Z = group_standardise(X, g)
    for k in (0, 1):
        np.testing.assert_allclose(Z[g == k].mean(0), 0, atol=1e-9)
        np.testing.assert_allclose(Z[g == k].std(0), 1, atol=1e-9)


def test_modality_gap():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(20, 5))
    assert modality_gap(z, 3 * z)["paired_distance"] == pytest.approx(0, abs=1e-12)
    assert modality_gap(z, -z)["paired_distance"] == pytest.approx(2)


@pytest.mark.parametrize("call, match", [
    (lambda: visible_pairs("few-shot", Y), "setting"),
    (lambda: visible_pairs("semi-supervised", Y, n_per_class=6), "n_per_class"),
    (lambda: visible_pairs("semi-supervised", Y, n_per_class=0), "n_per_class"),
    (lambda: scarce_pair_indices(Y, -1), "n_per_class"),
    (lambda: scarce_pair_indices(Y, "some"), "n_per_class"),
    (lambda: scarce_pair_indices(np.zeros((2, 2)), 1), "y"),
    (lambda: group_standardise(np.zeros((4, 2)), [0, 0, 1]), "groups"),
    (lambda: group_standardise(np.zeros((3, 2)), [0, 0, 1]), "groups"),
    (lambda: group_standardise(np.zeros(3), [0, 0, 1]), "X"),
    (lambda: modality_gap(np.ones((3, 2)), np.ones((2, 2))), "za and zb"),
    (lambda: modality_gap(np.zeros((3, 2)), np.ones((3, 2))), "all-zero"),
])
def test_bad_inputs(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_settings_tuple():
    assert SETTINGS == ("zero-shot", "unsupervised", "semi-supervised", "supervised")
