"""Gradient reversal, the DANN schedule, CDAN's multilinear map, and the adversarial loop."""
import numpy as np
import pytest
import torch

from course_lib.adversarial import (DomainDiscriminator, GradientReversal, dann_lambda, domain_loss, entropy_weights,
                                    grad_reverse, multilinear_map, train_adversarial)
from course_lib.encoders import SmallCNN
from course_lib.training import TrainConfig


@pytest.mark.parametrize("lambd", [0.0, 0.3, 1.0, 2.5])
def test_gradient_reversal_is_identity_forward_and_flips_and_scales_the_gradient(lambd):
    x = torch.randn(4, 3, requires_grad=True)
    upstream = torch.randn(4, 3)
    y = grad_reverse(x, lambd)
    assert torch.equal(y, x), "forward pass is the identity"
    y.backward(upstream)
    torch.testing.assert_close(x.grad, -lambd * upstream, msg="gradient is -lambda times the incoming one")


def test_gradient_reversal_module_uses_its_current_lambda():
    grl = GradientReversal(1.0)
    grl.lambd = 0.25
    x = torch.ones(2, requires_grad=True)
    grl(x).sum().backward()
    torch.testing.assert_close(x.grad, torch.full((2,), -0.25))


def test_dann_lambda_starts_at_zero_grows_and_approaches_its_maximum():
    vals = [dann_lambda(p, max_lambda=0.5) for p in np.linspace(0, 1, 11)]
    assert vals[0] == 0.0, "no reversal at the start"
    assert all(a < b for a, b in zip(vals, vals[1:])), "monotone increasing"
    assert 0.49 < vals[-1] <= 0.5, "close to max_lambda at the end"


def test_multilinear_map_shape_values_and_gradient():
    f = torch.randn(5, 4, requires_grad=True)
    p = torch.softmax(torch.randn(5, 3), 1)
    z = multilinear_map(f, p)
    assert z.shape == (5, 12), "(n, d * k)"
    torch.testing.assert_close(z[2, 1 * 3 + 2], f[2, 1] * p[2, 2], msg="entry [i, a*k + c] = f[i, a] p[i, c]")
    z.sum().backward()
    torch.testing.assert_close(f.grad, p.sum(1, keepdim=True).expand(5, 4), msg="d/df of sum = sum_c p_c (= 1)")


def test_entropy_weights_favour_confident_samples_and_have_mean_one():
    p = torch.tensor([[0.98, 0.01, 0.01], [1 / 3, 1 / 3, 1 / 3]])
    w = entropy_weights(p)
    assert w[0] > w[1], "a confident prediction weighs more"
    assert w.mean().item() == pytest.approx(1.0)


def test_domain_loss_is_small_for_a_perfect_discriminator_and_log2_at_chance():
    assert domain_loss(torch.full((4,), 20.0), torch.full((6,), -20.0)).item() < 1e-6
    assert domain_loss(torch.zeros(4), torch.zeros(6)).item() == pytest.approx(np.log(2))


def test_discriminator_output_shape():
    assert DomainDiscriminator(8)(torch.randn(5, 8)).shape == (5,)


def _toy(seed=0, n=64):
    rng = np.random.default_rng(seed)
    Xs = rng.random((n, 3, 16, 16), dtype=np.float32)
    ys = np.arange(n) % 10
    Xt = (rng.random((n, 3, 16, 16), dtype=np.float32) * 0.5 + 0.3).astype(np.float32)
    yt = np.arange(n) % 10
    return Xs, ys, Xt, yt


@pytest.mark.parametrize("method", ["DANN", "CDAN", "CDAN+E"])
def test_training_returns_a_history_and_never_reads_target_labels(method):
    Xs, ys, Xt, yt = _toy()
    cfg = TrainConfig(num_epochs=2, batch_size=16, seed=0, progress=False)
    runs = []
    scrambled = np.random.default_rng(1).permutation(yt)
    assert (scrambled != yt).mean() > 0.5, "the scrambled labels really differ"
    for labels in (yt, scrambled):
        torch.manual_seed(0)
        net = SmallCNN()
        hist = train_adversarial(net, Xs, ys, Xt, method, cfg=cfg, yt_eval=labels)
        runs.append((net, hist))
    (net_a, h_a), (net_b, h_b) = runs
    for key in ("cls", "domain", "domain_acc", "lambda"):
        assert len(h_a[key]) == 2, f"one {key} entry per epoch"
        assert h_a[key] == h_b[key], f"scrambled target labels changed {key}"
    for k, v in net_a.state_dict().items():
        assert torch.equal(v, net_b.state_dict()[k]), f"scrambled target labels changed weight {k}"
    assert len(h_a["checkpoints"]) == 2


def test_progress_bar_can_be_silenced(capsys):
    Xs, ys, Xt, _ = _toy(n=32)
    train_adversarial(SmallCNN(), Xs, ys, Xt, cfg=TrainConfig(num_epochs=1, batch_size=16, progress=False))
    assert capsys.readouterr().out == ""


def test_bad_inputs_raise_value_errors_naming_the_argument():
    Xs, ys, Xt, _ = _toy(n=32)
    with pytest.raises(ValueError, match="lambd"):
        grad_reverse(torch.ones(2), -1.0)
    with pytest.raises(ValueError, match="progress"):
        dann_lambda(1.5)
    with pytest.raises(ValueError, match="max_lambda"):
        dann_lambda(0.5, max_lambda=-1)
    with pytest.raises(ValueError, match="feats and probs"):
        multilinear_map(torch.ones(3, 2), torch.ones(4, 2))
    with pytest.raises(ValueError, match="probs"):
        entropy_weights(torch.ones(3))
    with pytest.raises(ValueError, match="in_dim"):
        DomainDiscriminator(0)
    with pytest.raises(ValueError, match="method"):
        train_adversarial(SmallCNN(), Xs, ys, Xt, method="GAN")
    with pytest.raises(ValueError, match="weight"):
        train_adversarial(SmallCNN(), Xs, ys, Xt, weight=-1)
    with pytest.raises(ValueError, match="Xs and Xt"):
        train_adversarial(SmallCNN(), Xs, ys, Xt[:, :, :8, :8])
    with pytest.raises(ValueError, match="ys"):
        train_adversarial(SmallCNN(), Xs, ys[:5], Xt)


def test_cached_training_round_trips_a_history_and_refuses_numpy_arrays(fresh_cache):
    from course_lib.adversarial import cached_training

    def make():
        return torch.nn.Linear(2, 2)

    def fit_ok(net):
        return {"loss": [1.0, 0.5], "probs": {2: torch.ones(3, 2) / 2}}

    _, h1 = cached_training("t-hist", {"a": 1}, make, fit_ok)
    _, h2 = cached_training("t-hist", {"a": 1}, make, fit_ok)   # loaded from the cache
    assert h2["loss"] == h1["loss"] and torch.equal(h2["probs"][2], h1["probs"][2])
    with pytest.raises(ValueError, match="history .* cannot be loaded back"):
        cached_training("t-hist", {"a": 2}, make, lambda net: {"probs": np.ones((3, 2))})
