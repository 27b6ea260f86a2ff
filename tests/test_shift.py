"""Domain-classifier diagnostics: chance for no shift, near 1 for a clear one; the proxy A-distance formula."""
import numpy as np
import pytest
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.neighbors import KNeighborsClassifier

from course_lib.shift import domain_classifier_accuracy, proxy_a_distance


def test_no_shift_gives_chance_and_a_clear_shift_gives_near_perfect_accuracy():
    rng = np.random.default_rng(0)
    same = domain_classifier_accuracy(rng.normal(size=(300, 5)), rng.normal(size=(300, 5)))
    far = domain_classifier_accuracy(rng.normal(size=(300, 5)), rng.normal(size=(300, 5)) + 2.0)
    assert same.shape == (5,), "one accuracy per fold"
    assert abs(same.mean() - 0.5) < 0.08, "no shift: the domain classifier is at chance"
    assert far.mean() > 0.95, "a mean shift of 2 std in every coordinate is easy to detect"


def test_accuracy_grows_with_the_shift():
    rng = np.random.default_rng(1)
    xs = rng.normal(size=(200, 3))
    accs = [domain_classifier_accuracy(xs, rng.normal(size=(200, 3)) + d).mean() for d in (0.0, 0.5, 1.5)]
    assert accs[0] < accs[1] < accs[2], "a larger shift is easier to detect"


def test_agrees_with_a_plain_scikit_learn_cross_validation():
    rng = np.random.default_rng(2)
    xs, xt = rng.normal(size=(60, 4)), rng.normal(0.5, 1, size=(40, 4))
    model = KNeighborsClassifier(5)
    ours = domain_classifier_accuracy(xs, xt, model=model, n_splits=4, seed=3)
    ref = cross_val_score(model, np.vstack([xs, xt]), np.r_[np.zeros(60), np.ones(40)],
                          cv=StratifiedKFold(4, shuffle=True, random_state=3))
    np.testing.assert_allclose(ours, ref, err_msg="same folds, same model: same accuracies")


def test_proxy_a_distance_hand_worked_values():
    assert proxy_a_distance(0.5) == 0.0, "chance -> 0"
    assert proxy_a_distance(1.0) == 2.0, "perfect separation -> 2"
    assert proxy_a_distance(0.75) == pytest.approx(1.0), "err 0.25 -> 2 (1 - 0.5) = 1"
    assert proxy_a_distance(np.array([0.7, 0.8])) == pytest.approx(1.0), "fold accuracies are averaged"


@pytest.mark.parametrize("bad", [-0.1, 1.5, float("nan")])
def test_proxy_a_distance_rejects_accuracies_outside_0_1(bad):
    with pytest.raises(ValueError, match="accuracy"):
        proxy_a_distance(bad)


def test_bad_inputs_name_the_argument():
    rng = np.random.default_rng(0)
    xs = rng.normal(size=(20, 3))
    with pytest.raises(ValueError, match="xt"):
        domain_classifier_accuracy(xs, rng.normal(size=(20, 4)))
    with pytest.raises(ValueError, match="xs"):
        domain_classifier_accuracy(np.full((20, 3), np.nan), xs)
    with pytest.raises(ValueError, match="n_splits"):
        domain_classifier_accuracy(xs, xs + 1, n_splits=1)
    with pytest.raises(ValueError, match="n_splits"):
        domain_classifier_accuracy(xs[:3], xs + 1, n_splits=5)
