"""Tests for course_lib.recipes: the channels-last training helper and the shared fine-tuning budget."""
import numpy as np
import pytest
import torch

from course_lib import recipes
from course_lib.encoders import SmallCNN
from course_lib.training import TrainConfig, set_seed, train_aligned, train_classifier

pytestmark = pytest.mark.timeout(120)


def _toy(seed=0, n=96):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, 3, 32, 32)).astype(np.float32), rng.integers(0, 10, n)


def _fresh(seed=0):
    set_seed(seed)
    return SmallCNN()


def test_channels_last_training_learns_the_same_weights_and_restores_the_layout():
    X, y = _toy()
    cfg = TrainConfig(num_epochs=2, batch_size=32, progress=False)
    init, ref, fast = _fresh().state_dict(), _fresh(), _fresh()
    train_classifier(ref, X, y, cfg)
    recipes._fit_channels_last(fast, lambda n: train_classifier(n, X, y, cfg))
    for k, a in ref.state_dict().items():
        moved = (a.float() - init[k].float()).abs().max()
        # float rounding differs between layouts (and Adam amplifies it a little): tiny next to what training moved
        assert (a.float() - fast.state_dict()[k].float()).abs().max() <= 0.05 * moved, f"{k} differs in channels-last"
    conv_weights = [p for p in fast.parameters() if p.ndim == 4]
    assert conv_weights and all(p.is_contiguous() for p in conv_weights), "the default layout is restored"


def test_channels_last_alignment_training_matches_the_default_layout():
    Xs, ys = _toy(0)
    Xt, _ = _toy(1, n=64)
    cfg = TrainConfig(num_epochs=1, batch_size=32, progress=False)
    align = recipes._alignment_loss("MMD (DAN-style)")
    ref, fast = _fresh(), _fresh()
    h_ref = train_aligned(ref, Xs, ys, Xt, align, cfg=cfg)
    h_fast = {}
    recipes._fit_channels_last(fast, lambda n: h_fast.update(train_aligned(n, Xs, ys, Xt, align, cfg=cfg)))
    assert np.allclose(h_ref["cls"], h_fast["cls"], atol=1e-4) and np.allclose(h_ref["align"], h_fast["align"], atol=1e-4)
    x = torch.as_tensor(Xt[:8])
    assert torch.allclose(ref.eval()(x), fast.eval()(x), atol=1e-3)


def test_channels_last_restores_the_layout_when_training_fails():
    net = _fresh()

    def boom(n):
        raise RuntimeError("stop")

    with pytest.raises(RuntimeError, match="stop"):
        recipes._fit_channels_last(net, boom)
    assert all(p.is_contiguous() for p in net.parameters())


def test_the_lambda_0_control_differs_from_an_aligned_run_only_by_the_weight(fresh_cache, monkeypatch):
    from sklearn.utils import Bunch

    from course_lib import training

    X, y = _toy(n=40)
    calls = []
    monkeypatch.setattr(recipes, "source_cnn", lambda seed: _fresh(seed))
    monkeypatch.setattr(recipes.data, "load", lambda name, **kw: Bunch(X=X, y=y))
    monkeypatch.setattr(recipes, "target_split", lambda target: Bunch(X_train=X[:20]))
    monkeypatch.setattr(training, "train_aligned",
                        lambda net, Xs, ys, Xt, align, weight, cfg: calls.append((weight, cfg, align)))
    recipes.adapted_cnn(0, "Deep CORAL", "handwritten", weight=0.0)
    recipes.adapted_cnn(0, "Deep CORAL", "handwritten", weight=1.0)
    (w0, cfg0, a0), (w1, cfg1, a1) = calls
    assert (w0, w1) == (0.0, 1.0) and cfg0 == cfg1 and a0.__name__ == a1.__name__ == "coral_loss"
    assert (cfg0.num_epochs, cfg0.lr) == (recipes.ADAPT["num_epochs"], recipes.ADAPT["lr"])
    recipes.adapted_cnn(0, "Deep CORAL", "handwritten", weight=0.0)
    assert len(calls) == 2, "the second call with the same settings loads the cached network"


def test_shaped_class_aware_keeps_scored_checkpoints_and_is_cached(fresh_cache, monkeypatch):
    from sklearn.utils import Bunch

    from course_lib import class_aware, source_shaping

    X, y = _toy(n=60)
    monkeypatch.setattr(source_shaping, "shaped_source_cnn", lambda seed, num_epochs, channels_last: _fresh(seed))
    monkeypatch.setattr(source_shaping, "shaped_source", lambda seed: Bunch(X=X, y=y))
    monkeypatch.setattr(recipes.data, "load", lambda name, **kw: Bunch(X=X[:20], y=y[:20]))
    monkeypatch.setattr(recipes, "target_split", lambda target: Bunch(X_train=X[:30], y_train=y[:30], X_test=X[30:],
                                                                      y_test=y[30:]))
    calls = []
    real = class_aware.train_class_aware
    monkeypatch.setattr(class_aware, "train_class_aware", lambda *a, **k: calls.append(k) or real(*a, **k))
    net, hist = recipes.shaped_class_aware(0, 0.3, shape_epochs=1)
    epochs = list(range(2, recipes.CLASS_AWARE["num_epochs"] + 1, 2))
    assert sorted(hist["criteria"]) == sorted(hist["probs"]) == sorted(hist["test_acc"]) == epochs
    for e in epochs:
        P = hist["probs"][e]
        assert isinstance(P, torch.Tensor) and P.shape == (30, 10) and torch.allclose(P.sum(1), torch.ones(30), atol=1e-5)
        assert 0.0 <= hist["test_acc"][e] <= 1.0 and set(hist["criteria"][e]) >= {"IM score", "SND"}
    assert calls[0]["pl_weight"] == 0.3 and len(hist["checkpoints"]) == recipes.CLASS_AWARE["num_epochs"]
    _, again = recipes.shaped_class_aware(0, 0.3, shape_epochs=1)
    assert len(calls) == 1, "the second call loads the cached run"
    assert again["test_acc"] == hist["test_acc"]


def test_im_picked_cnn_takes_the_highest_im_score_and_reads_no_test_accuracy(monkeypatch):
    states = {(w, e): _fresh(int(10 * w) + e).state_dict() for w in recipes.CLASS_AWARE_VARIANTS.values() for e in range(1, 9)}
    im = {(0.0, 2): 0.1, (0.0, 4): 0.5, (0.0, 6): 0.2, (0.0, 8): 0.3, (0.3, 2): 0.4, (0.3, 4): 0.45, (0.3, 6): 0.9, (0.3, 8): 0.0}

    def fake(seed, w, shape_epochs):  # no "test_acc" key: a pick that read it would fail
        return None, {"criteria": {e: {"IM score": im[w, e]} for e in (2, 4, 6, 8)},
                      "checkpoints": [states[w, e] for e in range(1, 9)]}

    monkeypatch.setattr(recipes, "shaped_class_aware", fake)
    name, net = recipes.im_picked_cnn(0)
    assert name == "IM + pseudo-labels, epoch 6" and not net.training
    for k, v in net.state_dict().items():
        assert torch.equal(v, states[0.3, 6][k]), f"{k}: the picked checkpoint's weights"
    im[0.0, 4] = 0.95
    assert recipes.im_picked_cnn(0)[0] == "IM only, epoch 4"


@pytest.mark.parametrize("kwargs, name", [({"seed": -1}, "seed"), ({"seed": 0.5}, "seed"), ({"seed": 0, "shape_epochs": 0}, "shape_epochs")])
def test_im_picked_cnn_names_a_bad_argument(kwargs, name):
    with pytest.raises(ValueError, match=name):
        recipes.im_picked_cnn(**kwargs)
