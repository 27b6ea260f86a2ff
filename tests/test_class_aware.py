"""Information maximisation, cluster pseudo-labels and the class-aware (SHOT-style) loop."""
import numpy as np
import pytest
import torch

from course_lib.class_aware import (cluster_pseudo_labels, entropy, im_loss, im_terms, self_training_loss,
                                    source_centres, spherical_kmeans, train_class_aware)
from course_lib.encoders import SmallCNN
from course_lib.training import TrainConfig


def test_im_loss_is_minimal_for_confident_balanced_predictions():
    k = 4
    confident_balanced = torch.eye(k).repeat(3, 1) * 30
    collapsed = torch.zeros(12, k)
    collapsed[:, 0] = 30  # confident but all in one class
    uncertain = torch.zeros(12, k)  # uniform predictions
    best = im_loss(confident_balanced).item()
    assert best == pytest.approx(-np.log(k), abs=1e-4), "the minimum is -log k"
    assert im_loss(collapsed).item() > best + 1.0, "collapse into one class is penalised by the diversity term"
    assert im_loss(uncertain).item() > best + 1.0, "uncertain predictions are penalised by the entropy term"
    rng = torch.Generator().manual_seed(0)
    for _ in range(20):
        assert im_loss(torch.randn(12, k, generator=rng) * 3).item() >= best - 1e-6, "no logits beat the minimum"


def test_im_terms_and_entropy_values():
    cond, marg = im_terms(torch.zeros(5, 3))
    assert cond.item() == pytest.approx(np.log(3)) and marg.item() == pytest.approx(np.log(3))
    assert entropy(torch.tensor([[1.0, 0.0]])).item() == pytest.approx(0.0)
    assert im_loss(torch.zeros(5, 3), diversity=0).item() == pytest.approx(np.log(3)), "diversity 0: entropy only"


def test_spherical_kmeans_recovers_planted_classes_and_keeps_the_centres_names():
    rng = np.random.default_rng(0)
    k, d = 5, 10
    dirs = rng.normal(size=(k, d))
    y = np.repeat(np.arange(k), 40)
    Z = dirs[y] * rng.uniform(0.5, 3, size=(len(y), 1)) + 0.3 * rng.normal(size=(len(y), d))  # norms vary: cosine
    noisy_centres = dirs + 0.5 * rng.normal(size=dirs.shape)
    labels, C = spherical_kmeans(Z, noisy_centres)
    assert (labels == y).mean() > 0.95, "planted classes recovered, named after their starting centres"
    np.testing.assert_allclose(np.linalg.norm(C, axis=1), 1.0, err_msg="centres are unit vectors")


def test_self_training_loss_keeps_only_confident_samples():
    logits = torch.tensor([[10.0, 0.0], [0.1, 0.0]])
    pseudo = torch.tensor([1, 1])
    full = self_training_loss(logits, pseudo, threshold=0.0)
    confident_only = self_training_loss(logits, pseudo, threshold=0.9)
    expected = torch.nn.functional.cross_entropy(logits[:1], pseudo[:1])
    assert confident_only.item() == pytest.approx(expected.item()), "only the first sample passes 0.9"
    assert full.item() != pytest.approx(confident_only.item())
    assert self_training_loss(torch.zeros(2, 2), pseudo, threshold=0.9).item() == 0.0, "none passes: 0"


def _toy(n=60, seed=0):
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 10
    X = rng.random((n, 3, 16, 16), dtype=np.float32) * 0.3
    for i, c in enumerate(y):  # a class-dependent bright stripe, so the classes are learnable
        X[i, :, c + 3, :] += 0.7
    return X.astype(np.float32), y


def test_pseudo_labels_from_source_centres_on_a_trained_net():
    from course_lib.training import train_classifier
    X, y = _toy(100)
    torch.manual_seed(0)
    net = SmallCNN()
    train_classifier(net, X, y, TrainConfig(num_epochs=15, batch_size=20, lr=3e-3, progress=False))
    Xt, yt = _toy(100, seed=1)
    pl = cluster_pseudo_labels(net, Xt, source_centres(net, X, y))
    assert (pl == yt).mean() > 0.8, "clusters started at the source centres carry the class names"


@pytest.mark.parametrize("pl_weight", [0.0, 0.3])
def test_training_returns_a_history_and_never_reads_target_labels(pl_weight):
    Xs, ys = _toy(40)
    Xt, yt = _toy(48, seed=2)
    scrambled = np.random.default_rng(1).permutation(yt)
    assert (scrambled != yt).mean() > 0.5
    cfg = TrainConfig(num_epochs=2, batch_size=16, seed=0, progress=False)
    runs = []
    for labels in (yt, scrambled):
        torch.manual_seed(0)
        net = SmallCNN()
        head_before = net.head.weight.detach().clone()
        hist = train_class_aware(net, Xt, cfg, pl_weight=pl_weight, Xs=Xs, ys=ys, yt_eval=labels)
        assert torch.equal(net.head.weight, head_before), "the head stays frozen"
        runs.append((net, hist))
    (net_a, h_a), (net_b, h_b) = runs
    for key in ("im", "cond", "marg", "pl"):
        assert len(h_a[key]) == 2 and h_a[key] == h_b[key], f"scrambled target labels changed {key}"
    for k, v in net_a.state_dict().items():
        assert torch.equal(v, net_b.state_dict()[k]), f"scrambled target labels changed weight {k}"
    if pl_weight:
        assert len(h_a["pl_acc"]) == 2 and h_a["pl_acc"] != h_b["pl_acc"], "the labels reach the analysis only"


def test_progress_bar_can_be_silenced(capsys):
    Xt, _ = _toy(32)
    train_class_aware(SmallCNN(), Xt, TrainConfig(num_epochs=1, batch_size=16, progress=False), pl_weight=0)
    assert capsys.readouterr().out == ""


def test_bad_inputs_raise_value_errors_naming_the_argument():
    Xt, y = _toy(32)
    with pytest.raises(ValueError, match="diversity"):
        im_loss(torch.zeros(3, 2), diversity=-1)
    with pytest.raises(ValueError, match="logits"):
        im_terms(torch.zeros(3))
    with pytest.raises(ValueError, match="centres"):
        spherical_kmeans(np.ones((5, 3)), np.ones((2, 4)))
    with pytest.raises(ValueError, match="n_iter"):
        spherical_kmeans(np.ones((5, 3)), np.ones((2, 3)), n_iter=-1)
    with pytest.raises(ValueError, match="threshold"):
        self_training_loss(torch.zeros(2, 2), torch.tensor([0, 1]), threshold=1.0)
    with pytest.raises(ValueError, match="logits must be"):
        self_training_loss(torch.zeros(2, 2), torch.tensor([0, 1, 1]))
    with pytest.raises(ValueError, match="pl_weight"):
        train_class_aware(SmallCNN(), Xt, pl_weight=-0.1)
    with pytest.raises(ValueError, match="centres"):
        train_class_aware(SmallCNN(), Xt, pl_weight=0.3)
    with pytest.raises(ValueError, match="ys"):
        source_centres(SmallCNN(), Xt, np.zeros(32, dtype=int), k=3)
