"""Label-free criteria, selection by one of them, and the transferability score."""
import numpy as np
import pytest
import torch

from course_lib.encoders import SmallCNN
from course_lib.selection import (class_coverage, criteria, criteria_from_outputs, ensemble_agreement, feature_silhouette,
                                  features_and_proba, im_score, predict_proba,
                                  present_classes, select, snd, source_accuracy, transferability_score)


def _onehot(labels, k, conf=0.97):
    P = np.full((len(labels), k), (1 - conf) / (k - 1))
    P[np.arange(len(labels)), labels] = conf
    return P


def test_im_score_prefers_confident_and_diverse_predictions():
    k = 5
    balanced = _onehot(np.arange(50) % k, k)
    collapsed = _onehot(np.zeros(50, dtype=int), k)
    uniform = np.full((50, k), 1 / k)
    assert im_score(balanced) > im_score(collapsed), "diversity counts"
    assert im_score(balanced) > im_score(uniform), "confidence counts"
    assert im_score(np.eye(k)) == pytest.approx(np.log(k)), "the maximum is log k"


def test_snd_is_higher_for_clustered_predictions_than_for_scattered_ones():
    rng = np.random.default_rng(0)
    clustered = _onehot(np.arange(60) % 3, 3, conf=0.9) + rng.normal(0, 0.01, (60, 3))
    clustered = np.abs(clustered) / np.abs(clustered).sum(1, keepdims=True)
    scattered = rng.dirichlet(np.ones(3) * 0.7, size=60)
    assert snd(clustered) > snd(scattered)


def test_feature_silhouette_is_high_for_separated_groups_and_minus_one_for_a_single_group():
    rng = np.random.default_rng(0)
    y = np.arange(90) % 3
    Z = np.eye(3)[y] * 5 + rng.normal(0, 0.1, (90, 3))
    assert feature_silhouette(Z, y) > 0.8
    assert feature_silhouette(Z, np.zeros(90, dtype=int)) == -1.0
    assert feature_silhouette(Z, y) > feature_silhouette(Z, rng.permutation(y)), "wrong grouping scores lower"


def test_select_picks_the_right_value_on_a_planted_case():
    # planted: predictions are a mix of the right one-hot and the uniform vector; the closer the
    # hyper-parameter is to 0.3, the less uniform they are (and below 0.3 half the classes collapse)
    k = 4
    truth = np.arange(80) % k

    def probs_for(h):
        a = min(1.0, abs(h - 0.3))
        labels = truth if h >= 0.3 else truth % 2
        return (1 - a) * np.eye(k)[labels] + a / k

    cands = {h: probs_for(h) for h in (0.0, 0.1, 0.3, 1.0, 3.0)}
    best, scores = select(cands, im_score)
    assert best == 0.3 and set(scores) == set(cands)
    assert select([3, 1, 3], lambda v: v)[0] == 0, "ties go to the first candidate"


def test_transferability_ranks_a_matching_source_above_a_mismatched_one():
    rng = np.random.default_rng(0)
    k, n = 4, 200
    y = np.arange(n) % k
    feats = np.eye(k)[y] * 3 + rng.normal(0, 0.3, (n, k)) + 1.0  # target clusters = classes
    matching = _onehot(y, k, conf=0.8)                    # the source's classes follow the clusters
    mismatched = _onehot(rng.integers(0, k, n), k, conf=0.8)  # its boundaries cut through them
    assert transferability_score(feats, matching) > 0.8
    assert transferability_score(feats, matching) > transferability_score(feats, mismatched) + 0.5


def test_class_coverage_and_present_classes():
    P = _onehot(np.r_[np.zeros(45, int), np.ones(45, int), np.full(10, 2)], 10)
    assert class_coverage(_onehot(np.arange(100) % 10, 10)) == pytest.approx(1.0)
    assert 0.2 < class_coverage(P) < 0.35, "about three classes of ten used"
    assert present_classes(P).tolist() == [0, 1, 2]
    assert present_classes(P, min_share=1.5).tolist() == [0, 1], "class 2 holds 10% < 1.5 x 1/k"


def test_network_criteria_on_a_tiny_net():
    torch.manual_seed(0)
    net = SmallCNN().eval()
    X = np.random.default_rng(0).random((30, 3, 16, 16), dtype=np.float32)
    y = np.arange(30) % 10
    P = predict_proba(net, X)
    assert P.shape == (30, 10) and np.allclose(P.sum(1), 1, atol=1e-5)
    acc = source_accuracy(net, X, y)
    assert acc == pytest.approx((P.argmax(1) == y).mean())
    c = criteria(net, X, X, y)
    assert set(c) == {"source accuracy", "IM score", "SND", "silhouette"} and c["source accuracy"] == acc
    assert np.isnan(criteria(net, X)["source accuracy"]), "without source data: NaN, never a guess"


def test_bad_inputs_raise_value_errors_naming_the_argument():
    good = _onehot(np.arange(10) % 2, 2)
    with pytest.raises(ValueError, match="probs"):
        im_score(np.ones((4, 3)))
    with pytest.raises(ValueError, match="temperature"):
        snd(good, temperature=0)
    with pytest.raises(ValueError, match="probs"):
        snd(good[:1])
    with pytest.raises(ValueError, match="feats and labels"):
        feature_silhouette(np.ones((5, 2)), np.zeros(4))
    with pytest.raises(ValueError, match="candidates"):
        select([], lambda v: v)
    with pytest.raises(ValueError, match="non-finite"):
        select([1, 2], lambda v: float("nan"))
    with pytest.raises(ValueError, match="feats and probs"):
        transferability_score(np.ones((5, 2)), good)
    with pytest.raises(ValueError, match="min_share"):
        present_classes(good, min_share=-1)
    with pytest.raises(ValueError, match="Xs_val and ys_val"):
        source_accuracy(SmallCNN(), np.zeros((3, 3, 16, 16), np.float32), np.zeros(2, int))


def test_features_and_proba_match_the_two_separate_passes():
    from course_lib.encoders import extract_features

    torch.manual_seed(0)
    net = SmallCNN().eval()
    X = torch.rand(20, 3, 32, 32).numpy()
    feats, probs = features_and_proba(net, X)
    assert feats.shape == (20, 64) and probs.shape == (20, 10)
    np.testing.assert_allclose(feats, extract_features(net, X), atol=1e-5)
    np.testing.assert_allclose(probs, predict_proba(net, X), atol=1e-5)
    with pytest.raises(ValueError, match="net"):
        features_and_proba(torch.nn.Linear(3, 2), X)


def test_criteria_from_outputs_equals_criteria_of_the_network():
    torch.manual_seed(1)
    net = SmallCNN().eval()
    rng = np.random.default_rng(0)
    Xt, Xv, yv = rng.random((40, 3, 32, 32), dtype=np.float32), rng.random((30, 3, 32, 32), dtype=np.float32), rng.integers(0, 10, 30)
    feats, probs = features_and_proba(net, Xt)
    got = criteria_from_outputs(feats, probs, source_accuracy(net, Xv, yv))
    want = criteria(net, Xt, Xv, yv)
    assert list(got) == list(want)
    for k in want:
        assert got[k] == pytest.approx(want[k], abs=1e-4), k
    assert np.isnan(criteria_from_outputs(feats, probs)["source accuracy"])
    with pytest.raises(ValueError, match="feats"):
        criteria_from_outputs(feats[:10], probs)


def test_ensemble_agreement_avoids_a_confidently_wrong_candidate():
    # planted: 200 points, 4 classes; three candidates are right on 90% of the points (their errors fall on
    # different points), one is confident and right on only 40%. Per-model confidence cannot tell them
    # apart (all one-hot); agreement with the ensemble does, and ranks the accurate ones first.
    rng = np.random.default_rng(0)
    y = rng.integers(0, 4, 200)
    cands = {}
    for m, share in enumerate([0.9, 0.9, 0.9, 0.4]):
        pred = y.copy()
        wrong = rng.random(200) > share
        pred[wrong] = (y[wrong] + rng.integers(1, 4, wrong.sum())) % 4
        cands[f"m{m}"] = np.eye(4)[pred]
    scores = ensemble_agreement(cands)
    assert set(scores) == set(cands)
    assert all(0.0 <= v <= 1.0 for v in scores.values())
    assert max(scores, key=scores.get) != "m3" and scores["m3"] == min(scores.values())
    pick, _ = select(scores, lambda v: v)
    assert (cands[pick].argmax(1) == y).mean() >= 0.85
    # the ensemble's own argmax agrees with itself: a candidate equal to the ensemble mean scores 1
    mean = np.mean(list(cands.values()), axis=0)
    assert ensemble_agreement({**cands, "mean": mean})["mean"] == 1.0


def test_ensemble_agreement_matches_a_direct_computation_and_is_order_free():
    rng = np.random.default_rng(1)
    P = {k: rng.dirichlet(np.ones(5), 50) for k in "abc"}
    ens = (P["a"] + P["b"] + P["c"]).argmax(1)
    direct = {k: float((p.argmax(1) == ens).mean()) for k, p in P.items()}
    assert ensemble_agreement(P) == pytest.approx(direct)
    assert ensemble_agreement(dict(reversed(list(P.items())))) == pytest.approx(direct)


@pytest.mark.parametrize("probs, match", [
    ({"a": np.eye(3)}, "at least two"),
    ([np.eye(3), np.eye(3)], "at least two"),
    ({"a": np.eye(3), "b": np.eye(4)[:3]}, "one shape"),
    ({"a": np.eye(3), "b": -np.eye(3)}, r"probs\['b'\]"),
])
def test_ensemble_agreement_bad_inputs_name_the_argument(probs, match):
    with pytest.raises(ValueError, match=match):
        ensemble_agreement(probs)
