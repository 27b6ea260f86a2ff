"""Tests for course_lib.retrieval_metrics: hand-worked cases and scikit-learn's ranking metrics."""
import numpy as np
import pytest
from sklearn.metrics import average_precision_score, label_ranking_average_precision_score

from course_lib import retrieval_metrics as rm

# One query, gallery of 5; ranking by sim: items 3, 0, 4, 1, 2; relevant items 0 and 1 (ranks 2 and 4).
SIM = np.array([[0.8, 0.3, 0.1, 0.9, 0.5]])
REL = np.array([[1, 1, 0, 0, 0]], dtype=bool)


def test_hand_worked_single_query():
    assert rm.ranked_relevance(SIM, REL).astype(int).tolist() == [[0, 1, 0, 1, 0]]
    assert rm.first_relevant_rank(SIM, REL).tolist() == [2]
    assert rm.recall_at_k(SIM, REL, 1) == 0.0
    assert rm.recall_at_k(SIM, REL, 2) == 1.0, "'any': one relevant item in the top 2 is a hit"
    assert rm.recall_at_k(SIM, REL, 2, kind="fraction") == 0.5, "one of two relevant items found"
    assert rm.precision_at_k(SIM, REL, 2) == 0.5
    assert rm.precision_at_k(SIM, REL, 4) == 0.5
    assert rm.mean_average_precision(SIM, REL) == pytest.approx((1 / 2 + 2 / 4) / 2)
    assert rm.mean_average_precision(SIM, REL, k=3) == pytest.approx((1 / 2) / 2), "AP@3: / min(3, R=2)"
    assert rm.mean_reciprocal_rank(SIM, REL) == 0.5
    assert rm.median_rank(SIM, REL) == 2.0


def test_k_larger_than_the_gallery_is_clipped_to_the_gallery():
    assert rm.recall_at_k(SIM, REL, 100, kind="fraction") == 1.0
    assert rm.precision_at_k(SIM, REL, 100) == pytest.approx(2 / 5), "P@K with K > n_g = R / n_g"
    assert rm.mean_average_precision(SIM, REL, k=100) == rm.mean_average_precision(SIM, REL)


def test_ties_are_pessimistic_so_a_constant_scorer_earns_no_credit():
    sim, rel = np.zeros((1, 4)), np.array([[0, 1, 0, 1]], dtype=bool)
    # all tied: irrelevant items first -> relevant at ranks 3 and 4
    assert rm.first_relevant_rank(sim, rel).tolist() == [3]
    assert rm.mean_average_precision(sim, rel) == pytest.approx((1 / 3 + 2 / 4) / 2)
    assert rm.recall_at_k(sim, rel, 2) == 0.0
    # a partial tie: item 2 (irrelevant) and item 1 (relevant) tie at 0.5 below item 0 (relevant)
    sim2, rel2 = np.array([[0.9, 0.5, 0.5, 0.1]]), np.array([[1, 1, 0, 0]], dtype=bool)
    assert rm.ranked_relevance(sim2, rel2).astype(int).tolist() == [[1, 0, 1, 0]]
    # ties do not depend on the gallery order
    perm = [3, 1, 0, 2]
    assert rm.mean_average_precision(sim2[:, perm], rel2[:, perm]) == rm.mean_average_precision(sim2, rel2)


def test_several_positives_and_several_queries():
    sim = np.array([[0.9, 0.8, 0.7, 0.6], [0.1, 0.2, 0.3, 0.4], [0.4, 0.3, 0.2, 0.1]])
    rel = np.array([[1, 0, 1, 1], [1, 0, 0, 0], [0, 1, 1, 0]], dtype=bool)
    ap = [(1 + 2 / 3 + 3 / 4) / 3, 1 / 4, (1 / 2 + 2 / 3) / 2]
    assert np.allclose(rm.average_precision(sim, rel), ap)
    assert rm.mean_reciprocal_rank(sim, rel) == pytest.approx((1 + 1 / 4 + 1 / 2) / 3)
    assert rm.median_rank(sim, rel) == 2.0
    assert rm.recall_at_k(sim, rel, 2) == pytest.approx(2 / 3)
    assert rm.recall_at_k(sim, rel, 2, kind="fraction") == pytest.approx((1 / 3 + 0 + 1 / 2) / 3)
    report = rm.retrieval_report(sim, rel, ks=(1, 2), map_k=2)
    assert report["R@1"] == pytest.approx(1 / 3) and report["mAP"] == pytest.approx(np.mean(ap))
    assert report["mAP@2"] == pytest.approx(np.mean([1 / 2, 0, (1 / 2) / 2]))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_map_matches_scikit_learn_on_random_scores(seed):
    rng = np.random.default_rng(seed)
    sim = rng.normal(size=(30, 40))
    rel = rng.random((30, 40)) < 0.15
    rel[np.arange(30), rng.integers(0, 40, 30)] = True
    ap = rm.average_precision(sim, rel)
    assert np.allclose(ap, [average_precision_score(r, s) for r, s in zip(rel, sim)])
    assert rm.mean_average_precision(sim, rel) == pytest.approx(label_ranking_average_precision_score(rel, sim))


def test_relevance_from_labels_gives_class_and_instance_levels():
    classes_q, classes_g = np.array([3, 7]), np.array([7, 3, 3, 1])
    assert rm.relevance(classes_q, classes_g).astype(int).tolist() == [[0, 1, 1, 0], [1, 0, 0, 0]]
    # instance relevance: image ids of 6 captions (3 per image) against 2 images -> one positive each
    rel = rm.relevance(np.repeat([10, 11], 3), np.array([11, 10]))
    assert rel.sum(axis=1).tolist() == [1] * 6
    assert rm.relevance(np.array([10, 11]), np.repeat([10, 11], 3)).sum(axis=1).tolist() == [3, 3]


def test_top1_scores_equal_a_classification_of_the_top1_label():
    from sklearn.metrics import f1_score, recall_score

    rng = np.random.default_rng(0)
    yq, yg = rng.integers(0, 4, 50), rng.integers(0, 4, 30)
    sim = rng.normal(size=(50, 30))
    pred = yg[np.argmax(sim, axis=1)]
    r = rm.top1_scores(sim, yq, yg)
    assert r["accuracy"] == pytest.approx(np.mean(pred == yq))
    assert r["accuracy"] == pytest.approx(rm.recall_at_k(sim, rm.relevance(yq, yg), 1))
    assert r["recall"] == pytest.approx(recall_score(yq, pred, average="macro"))
    assert r["f1"] == pytest.approx(f1_score(yq, pred, average="macro"))


def test_bad_inputs_raise_value_errors_naming_the_argument():
    with pytest.raises(ValueError, match="relevant must have the shape"):
        rm.recall_at_k(SIM, REL[:, :3], 1)
    with pytest.raises(ValueError, match="relevant must be boolean"):
        rm.precision_at_k(SIM, np.full(SIM.shape, 2), 1)
    with pytest.raises(ValueError, match="no relevant gallery item"):
        rm.mean_average_precision(SIM, np.zeros_like(REL))
    with pytest.raises(ValueError, match="k must be an integer"):
        rm.recall_at_k(SIM, REL, 0)
    with pytest.raises(ValueError, match="kind"):
        rm.recall_at_k(SIM, REL, 1, kind="all")
    with pytest.raises(ValueError, match="sim must have shape"):
        rm.top1_scores(SIM, [0, 1], [0] * 5)
    with pytest.raises(ValueError, match="query_labels"):
        rm.relevance(np.zeros((2, 2)), [1])
    with pytest.raises(ValueError, match="sim"):
        rm.precision_at_k(np.ones(3), REL, 1)


def test_cross_modal_report_gives_both_directions_and_levels():
    rng = np.random.default_rng(0)
    sim = rng.normal(size=(3, 6))
    ids_a, ids_b = np.array([0, 1, 3]), np.array([0, 0, 1, 1, 3, 3])  # two captions per image
    y_a, y_b = np.array([0, 1, 1]), np.array([0, 0, 1, 1, 1, 1])
    rows = rm.cross_modal_report(sim, {"instance": (ids_a, ids_b), "class": (y_a, y_b)})
    assert [(r["direction"], r["level"]) for r in rows] == [
        ("image -> text", "instance"), ("image -> text", "class"),
        ("text -> image", "instance"), ("text -> image", "class")]
    assert rows[0]["mAP"] == pytest.approx(rm.mean_average_precision(sim, rm.relevance(ids_a, ids_b)))
    assert rows[3]["mAP"] == pytest.approx(rm.mean_average_precision(sim.T, rm.relevance(y_b, y_a)))
    assert rows[2]["accuracy"] == pytest.approx(rows[2]["R@1"])
    with pytest.raises(ValueError, match="no relevant"):  # image 2 has no caption
        rm.cross_modal_report(rng.normal(size=(4, 6)), {"instance": ([0, 1, 2, 3], ids_b)})
    with pytest.raises(ValueError, match="levels"):
        rm.cross_modal_report(sim, {})
