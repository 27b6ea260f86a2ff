"""Tests for course_lib.metrics."""

import itertools

import numpy as np
import pytest
from sklearn import metrics as skm

from course_lib import metrics as mt


def brute_force_accuracy(y_true, y_pred):
    """Try every one-to-one map from clusters to classes (None: cluster left unmatched)."""
    classes, clusters = sorted(set(y_true)), sorted(set(y_pred))
    targets = classes + [None] * max(0, len(clusters) - len(classes))
    best = 0.0
    for chosen in itertools.permutations(targets, len(clusters)):
        mapping = dict(zip(clusters, chosen))
        best = max(best, np.mean([mapping[p] == t for t, p in zip(y_true, y_pred)]))
    return best


# --------------------------------------------------------------- cluster accuracy
def test_perfect_clustering_up_to_renaming_scores_one():
    y_true = np.array(["cat", "cat", "dog", "dog", "owl"])
    y_pred = np.array([-1, -1, 7, 7, 0])
    assert mt.cluster_accuracy(y_true, y_pred) == 1.0, "any renaming of a perfect clustering"
    assert mt.cluster_label_mapping(y_true, y_pred) == {-1: "cat", 7: "dog", 0: "owl"}


def test_cluster_accuracy_is_invariant_to_relabelling_the_clusters():
    rng = np.random.default_rng(0)
    y_true, y_pred = rng.integers(0, 4, 60), rng.integers(0, 5, 60)
    names = np.array(["e", "a", "d", "b", "c"])  # a renaming of 0..4
    assert mt.cluster_accuracy(y_true, names[y_pred]) == mt.cluster_accuracy(y_true, y_pred)


def test_cluster_accuracy_hand_worked():
    # clusters 1 -> class 0 (2 hits), 0 -> class 1 (2 hits), 2 -> class 2 (1 hit): 5 / 6
    y_true, y_pred = [0, 0, 0, 1, 1, 2], [1, 1, 0, 0, 0, 2]
    assert mt.cluster_accuracy(y_true, y_pred) == pytest.approx(5 / 6)
    assert mt.cluster_label_mapping(y_true, y_pred) == {0: 1, 1: 0, 2: 2}


def test_more_clusters_than_classes_leaves_clusters_unmatched():
    # cluster 0 -> class 0 (3), cluster 2 -> class 1 (3); clusters 1 and 3 count as errors
    y_true, y_pred = [0, 0, 0, 0, 1, 1, 1, 1], [0, 0, 0, 1, 2, 2, 2, 3]
    assert mt.cluster_accuracy(y_true, y_pred) == pytest.approx(6 / 8)
    assert mt.cluster_label_mapping(y_true, y_pred) == {0: 0, 2: 1}, "only 2 clusters matched"


def test_fewer_clusters_than_classes_leaves_classes_unmatched():
    # cluster 0 covers classes 0 and 1 (2 each) but can take only one; cluster 1 -> class 2
    y_true, y_pred = [0, 0, 1, 1, 2, 2], [0, 0, 0, 0, 1, 1]
    assert mt.cluster_accuracy(y_true, y_pred) == pytest.approx(4 / 6)
    mapping = mt.cluster_label_mapping(y_true, y_pred)
    assert len(mapping) == 2 and mapping[1] == 2 and mapping[0] in (0, 1)


def test_cluster_accuracy_matches_brute_force_on_small_random_cases():
    rng = np.random.default_rng(1)
    for _ in range(40):
        n_classes, n_clusters = rng.integers(1, 5), rng.integers(1, 6)
        y_true, y_pred = rng.integers(0, n_classes, 12), rng.integers(0, n_clusters, 12) - 1
        assert mt.cluster_accuracy(y_true, y_pred) == pytest.approx(
            brute_force_accuracy(y_true.tolist(), y_pred.tolist())), (y_true, y_pred)


def test_mapping_reproduces_the_accuracy():
    rng = np.random.default_rng(2)
    y_true, y_pred = rng.integers(0, 3, 50), rng.integers(0, 4, 50)
    mapping = mt.cluster_label_mapping(y_true, y_pred)
    mapped = np.array([mapping.get(c, -99) for c in y_pred])
    assert np.mean(mapped == y_true) == pytest.approx(mt.cluster_accuracy(y_true, y_pred))
    assert all(type(k) is int for k in mapping), "keys are plain Python values"


# ------------------------------------------------------------ scikit-learn wrappers
def test_wrappers_agree_with_scikit_learn():
    rng = np.random.default_rng(3)
    y_true, y_pred = rng.integers(0, 3, 80), rng.integers(0, 3, 80)
    assert mt.nmi(y_true, y_pred) == skm.normalized_mutual_info_score(y_true, y_pred)
    assert mt.ari(y_true, y_pred) == skm.adjusted_rand_score(y_true, y_pred)
    assert mt.accuracy(y_true, y_pred) == skm.accuracy_score(y_true, y_pred)
    assert mt.macro_f1(y_true, y_pred) == skm.f1_score(y_true, y_pred, average="macro")
    assert all(isinstance(f(y_true, y_pred), float)
               for f in (mt.nmi, mt.ari, mt.accuracy, mt.macro_f1)), "plain floats"


def test_nmi_and_ari_are_one_for_a_renamed_perfect_clustering():
    y_true, y_pred = [0, 0, 1, 1, 2], ["b", "b", "a", "a", "c"]
    assert mt.nmi(y_true, y_pred) == pytest.approx(1.0)
    assert mt.ari(y_true, y_pred) == pytest.approx(1.0)


def test_macro_f1_hand_worked():
    # class 0: P = 1, R = 1/2, F1 = 2/3; class 1: P = 2/3, R = 1, F1 = 4/5; mean 11/15
    assert mt.macro_f1([0, 0, 1, 1], [0, 1, 1, 1]) == pytest.approx(11 / 15)
    assert mt.accuracy([0, 0, 1, 1], [0, 1, 1, 1]) == 0.75


def test_silhouette_agrees_with_scikit_learn_and_is_reproducible():
    rng = np.random.default_rng(4)
    X = np.r_[rng.normal(size=(30, 2)), rng.normal(4.0, size=(30, 2))]
    labels = np.repeat([0, 1], 30)
    assert mt.silhouette(X, labels) == pytest.approx(skm.silhouette_score(X, labels))
    assert mt.silhouette(X, labels, metric="manhattan") == pytest.approx(
        skm.silhouette_score(X, labels, metric="manhattan"))
    sub = mt.silhouette(X, labels, sample_size=20, seed=5)
    assert sub == mt.silhouette(X, labels, sample_size=20, seed=5), "same seed, same subset"
    # hand-worked: a = 0.1, b = 5.05 / 4.95 -> s close to 0.98
    assert mt.silhouette([[0.0], [0.1], [5.0], [5.1]], [0, 0, 1, 1]) == pytest.approx(
        np.mean([1 - 0.1 / 5.05, 1 - 0.1 / 4.95] * 2))


def test_clustering_report_keys_and_values():
    rng = np.random.default_rng(6)
    X = rng.normal(size=(20, 3))
    y_true, y_pred = np.repeat([0, 1], 10), np.r_[np.ones(9), np.zeros(11)].astype(int)
    report = mt.clustering_report(y_true, y_pred)
    assert set(report) == {"acc", "nmi", "ari"}, "no silhouette without X"
    assert report["acc"] == mt.cluster_accuracy(y_true, y_pred) == pytest.approx(19 / 20)
    report = mt.clustering_report(y_true, y_pred, X=X)
    assert set(report) == {"acc", "nmi", "ari", "silhouette"}
    assert report["silhouette"] == pytest.approx(skm.silhouette_score(X, y_pred))


# --------------------------------------------------------------------- bad inputs
PAIR_METRICS = [mt.cluster_accuracy, mt.cluster_label_mapping, mt.nmi, mt.ari, mt.accuracy,
                mt.macro_f1, mt.clustering_report]


@pytest.mark.parametrize("fn", PAIR_METRICS)
def test_mismatched_label_lengths_raise(fn):
    with pytest.raises(ValueError, match=r"y_true and y_pred.*same number.*\(4,\).*\(3,\)"):
        fn([0, 1, 0, 1], [0, 1, 1])


@pytest.mark.parametrize("fn", PAIR_METRICS)
def test_labels_of_wrong_rank_raise(fn):
    with pytest.raises(ValueError, match=r"y_pred must be a 1-d.*\(2, 2\)"):
        fn([0, 1, 0, 1], [[0, 1], [1, 0]])
    with pytest.raises(ValueError, match=r"y_true must be a 1-d.*\(\)"):
        fn(3, [1])


@pytest.mark.parametrize("fn", PAIR_METRICS)
@pytest.mark.parametrize("bad", [[0.0, np.nan, 1.0], np.array([0, None, 1], dtype=object)])
def test_missing_labels_raise(fn, bad):
    with pytest.raises(ValueError, match="y_true contains 1 missing"):
        fn(bad, [0, 1, 1])


@pytest.mark.parametrize("fn", PAIR_METRICS)
def test_empty_labels_raise(fn):
    with pytest.raises(ValueError, match="y_true is empty"):
        fn([], [])


def test_silhouette_bad_inputs_raise():
    X = np.random.default_rng(7).normal(size=(6, 2))
    with pytest.raises(ValueError, match=r"labels must contain between 2 and.*got 1"):
        mt.silhouette(X, np.zeros(6))
    with pytest.raises(ValueError, match=r"labels must contain between 2 and.*got 6"):
        mt.silhouette(X, np.arange(6))
    with pytest.raises(ValueError, match=r"X and labels.*same number.*\(6, 2\).*\(5,\)"):
        mt.silhouette(X, [0, 0, 1, 1, 2])
    with pytest.raises(ValueError, match=r"X must be 2-d.*\(6,\)"):
        mt.silhouette(X[:, 0], [0, 0, 1, 1, 2, 2])
    with pytest.raises(ValueError, match=r"X contains NaN or inf"):
        mt.silhouette(np.where(X > 1, np.nan, X), [0, 0, 1, 1, 2, 2])
    with pytest.raises(ValueError, match=r"X needs at least 2 samples"):
        mt.silhouette(X[:1], [0])


def test_clustering_report_checks_X():
    with pytest.raises(ValueError, match=r"X and labels.*same number"):
        mt.clustering_report([0, 0, 1, 1], [0, 0, 1, 1], X=np.zeros((3, 2)))


def test_check_int_accepts_integers_in_range_and_names_the_argument_otherwise():
    import numpy as np
    import pytest

    from course_lib._validation import check_int

    assert check_int(3, "k", 2, 5) == 3 and check_int(np.int64(7), "n", 1) == 7, "ints and numpy ints pass"
    for bad in (True, 2.0, "3", None, 1, 6):
        with pytest.raises(ValueError, match=r"k must be an integer in \[2, 5\]"):
            check_int(bad, "k", 2, 5)
    with pytest.raises(ValueError, match="n must be an integer >= 1, got 0"):
        check_int(0, "n", 1)
