import numpy as np
import pytest
import torch

from course_lib.fusion import FusionEncoder
from course_lib.retrieval_metrics import cross_modal_report
from course_lib.trimodal import TriModalSpace, pseudo_triplets, six_directions


def toy_views(n=96, seed=0):
    """Three views of one latent code: paired rows share the code."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, 6))
    return [z @ rng.normal(size=(6, d)) + 0.05 * rng.normal(size=(n, d)) for d in (10, 8, 12)]


def r1(za, zb):
    return float(np.mean((za @ zb.T).argmax(1) == np.arange(len(za))))


def test_space_pairs_rows_of_every_two_views():
    views = toy_views()
    space = TriModalSpace(8, hidden=32, num_epochs=60, batch_size=48, lr=1e-2, device="cpu").fit(*views)
    Z = [space.transform(V, v) for v, V in enumerate(views)]
    for a, b in ((0, 1), (0, 2), (1, 2)):
        assert r1(Z[a], Z[b]) > 0.5, f"views {a} and {b}: paired rows should find each other (chance is 1/96)"
    assert space.history_[-1] < space.history_[0], "the loss falls"
    np.testing.assert_allclose(np.linalg.norm(Z[0], axis=1), 1.0, atol=1e-6)


def test_same_seed_same_space_and_scrambled_pairs_learn_nothing():
    views = toy_views()
    kw = dict(n_components=8, hidden=None, num_epochs=40, batch_size=48, lr=1e-2, device="cpu")
    a = TriModalSpace(seed=3, **kw).fit(*views).transform(views[0], 0)
    b = TriModalSpace(seed=3, **kw).fit(*views).transform(views[0], 0)
    np.testing.assert_array_equal(a, b)
    perm = np.random.default_rng(1).permutation(len(views[1]))
    broken = TriModalSpace(seed=3, **kw).fit(views[0], views[1][perm], views[2])
    Z0, Z1 = broken.transform(views[0], 0), broken.transform(views[1], 1)
    assert r1(Z0, Z1) < 0.2, "with scrambled pairs image and text rows should not find each other"


def test_fusion_heads_and_two_views():
    views = toy_views()[:2]
    head = lambda d_in, d_out: FusionEncoder([4, 6], d_out, "attention", hidden=16)
    space = TriModalSpace(8, heads=[head, None], num_epochs=5, batch_size=32, device="cpu").fit(*views)
    assert space.transform(views[0], 0).shape == (96, 8)
    assert isinstance(space.heads_[0], FusionEncoder)


def test_groups_remove_same_group_negatives():
    # two rows of one group with identical inputs: without the mask they are each other's hard negatives
    views = toy_views(32)
    views = [np.vstack([V, V[:1]]) for V in views]
    groups = np.r_[np.arange(32), 0]
    space = TriModalSpace(4, hidden=None, num_epochs=3, batch_size=64, device="cpu").fit(*views, groups=groups)
    assert np.isfinite(space.history_).all()


def test_pseudo_triplets_agree_on_labels():
    labels = [np.array([0, 1, 1, 2]), np.array([1, 0, 2, 2, 0]), np.array([2, 1, 0])]
    idx = pseudo_triplets(labels, 4, seed=0)
    assert idx.shape == (12, 3)
    got = np.stack([labels[v][idx[:, v]] for v in range(3)], 1)
    assert (got == got[:, :1]).all(), "every tuple has one label"
    assert np.array_equal(got[:, 0], np.repeat([0, 1, 2], 4))
    # a label missing from one view is skipped
    idx = pseudo_triplets([np.array([0, 1]), np.array([1, 1])], 2)
    assert (np.array([0, 1])[idx[:, 0]] == 1).all()


def test_six_directions_matches_cross_modal_report():
    rng = np.random.default_rng(0)
    Z = {"image": rng.normal(size=(6, 3)), "text": rng.normal(size=(8, 3)), "speech": rng.normal(size=(7, 3))}
    y = {"image": rng.integers(0, 2, 6), "text": rng.integers(0, 2, 8), "speech": rng.integers(0, 2, 7)}
    y = {m: np.r_[[0, 1], v[2:]] for m, v in y.items()}  # every class present in every modality
    rows = six_directions(Z, {"class": y}, ks=(1, 5))
    assert [r["direction"] for r in rows] == ["image -> text", "text -> image", "image -> speech", "speech -> image",
                                              "text -> speech", "speech -> text"]
    from course_lib.retrieval import cosine_similarity
    ref = cross_modal_report(cosine_similarity(Z["image"], Z["speech"]), {"class": (y["image"], y["speech"])},
                             names=("image", "speech"), ks=(1, 5))
    for r, e in zip(rows[2:4], ref):
        assert r == pytest.approx(e)


def test_six_directions_top1_only_where_asked():
    Z = {"a": np.eye(2), "b": np.eye(2)}
    rows = six_directions(Z, {"class": {"a": [0, 1], "b": [0, 1]}, "instance": {"a": [0, 1], "b": [0, 1]}}, ks=(1,))
    assert "f1" in rows[0] and "f1" not in rows[1]


@pytest.mark.parametrize("call, match", [
    (lambda: TriModalSpace(0), "n_components"),
    (lambda: TriModalSpace(temperature=0), "temperature"),
    (lambda: TriModalSpace(lr=-1), "lr"),
    (lambda: TriModalSpace(dropout=1.0), "dropout"),
    (lambda: TriModalSpace(device="cpu").fit(np.ones((4, 2))), "views"),
    (lambda: TriModalSpace(device="cpu").fit(np.ones((4, 2)), np.ones((3, 2))), "views"),
    (lambda: TriModalSpace(device="cpu", heads=[None]).fit(np.ones((4, 2)), np.ones((4, 2))), "heads"),
    (lambda: TriModalSpace(device="cpu").fit(np.ones((4, 2)), np.ones((4, 2)), groups=[0, 1]), "groups"),
    (lambda: TriModalSpace(num_epochs=1, device="cpu").fit(np.random.rand(4, 2), np.random.rand(4, 3)).transform(np.ones((2, 3)), 0), "features"),
    (lambda: pseudo_triplets([[0, 1]], 1), "labels"),
    (lambda: pseudo_triplets([[0], [1]], 1), "no label"),
    (lambda: pseudo_triplets([[0], [0]], 0), "n_per_class"),
    (lambda: six_directions({"a": np.eye(2)}, {"class": {"a": [0, 1]}}), "Z"),
    (lambda: six_directions({"a": np.eye(2), "b": np.eye(2)}, {"class": {"a": [0, 1]}}), "levels"),
    (lambda: six_directions({"a": np.eye(2), "b": np.eye(2)}, {"class": {"a": [0, 1], "b": [0]}}), "labels"),
])
def test_bad_inputs(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_transform_before_fit():
    from sklearn.exceptions import NotFittedError
    with pytest.raises(NotFittedError):
        TriModalSpace().transform(np.ones((2, 2)))
