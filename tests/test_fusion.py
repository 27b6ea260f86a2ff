"""Tests for course_lib.fusion: attention weights, late fusion, the FusionEncoder strategies."""
import numpy as np
import pytest
import torch

from course_lib.fusion import STRATEGIES, FusionEncoder, attention_weights, fuse_similarities


def test_attention_weights_are_nonnegative_and_sum_to_one():
    torch.manual_seed(0)
    a = attention_weights(10 * torch.randn(20, 3))
    assert (a >= 0).all() and torch.allclose(a.sum(1), torch.ones(20))
    assert torch.allclose(attention_weights(torch.tensor([0.0, 0.0])), torch.tensor([0.5, 0.5]))
    assert attention_weights(torch.tensor([[0.0, 50.0]]))[0, 1] > 0.999, "a large score takes all the weight"


@pytest.mark.parametrize("strategy", ["mean", "weighted", "attention"])
def test_encoder_weights_sum_to_one_per_sample_and_forward_is_their_mix(strategy):
    torch.manual_seed(0)
    enc = FusionEncoder([4, 6, 3], out_dim=5, strategy=strategy).eval()
    x = torch.randn(9, 13)
    w = enc.weights(x)
    assert w.shape == (9, 3) and (w >= 0).all() and torch.allclose(w.sum(1), torch.ones(9))
    p = torch.stack([f(b) for f, b in zip(enc.proj, torch.split(x, [4, 6, 3], dim=1))], 1)
    assert torch.allclose(enc(x), (w.unsqueeze(-1) * p).sum(1), atol=1e-6)


def test_attention_weights_differ_between_samples_but_weighted_ones_do_not():
    torch.manual_seed(0)
    x = torch.randn(16, 10)
    att, wtd = FusionEncoder([5, 5], 4, "attention").eval(), FusionEncoder([5, 5], 4, "weighted").eval()
    assert att.weights(x).std(0).max() > 1e-4, "attention: per-sample weights"
    assert wtd.weights(x).std(0).max() == 0, "weighted mean: one weight per block for all samples"


def test_concat_strategy_is_an_mlp_on_all_columns_and_has_no_weights():
    enc = FusionEncoder([2, 3], out_dim=4, strategy="concat")
    assert enc(torch.randn(5, 5)).shape == (5, 4)
    assert enc.mlp[0].in_features == 5
    with pytest.raises(ValueError, match="concat"):
        enc.weights(torch.randn(5, 5))


def test_every_strategy_trains_inside_the_contrastive_space():
    from course_lib.retrieval import cosine_similarity
    from course_lib.shared_space import ContrastiveSpace

    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    z = rng.normal(size=(200, 3))
    img = np.hstack([z @ rng.normal(size=(3, 5)), rng.normal(size=(200, 4)), z @ rng.normal(size=(3, 3))])
    txt = z @ rng.normal(size=(3, 6)) + 0.05 * rng.normal(size=(200, 6))
    for strategy in STRATEGIES:
        maker = lambda d_in, d_out, s=strategy: FusionEncoder([5, 4, 3], d_out, s, hidden=32)
        cs = ContrastiveSpace(8, hidden=32, heads=[maker, None], num_epochs=30, batch_size=50, lr=3e-3).fit(img, txt)
        sim = cosine_similarity(cs.transform(img, 0), cs.transform(txt, 1))
        assert np.mean(sim.argmax(1) == np.arange(200)) > 0.1, f"{strategy}: far above chance (1/200)"


def test_fuse_similarities_is_a_weighted_mean():
    a, b = np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]])
    assert fuse_similarities([a, b]).tolist() == [[0.5, 0.5]]
    assert fuse_similarities([a, b], [1, 0]).tolist() == a.tolist()


def test_bad_inputs_raise_value_errors_naming_the_argument():
    with pytest.raises(ValueError, match="strategy"):
        FusionEncoder([2], 2, "max")
    with pytest.raises(ValueError, match="dims"):
        FusionEncoder([2, 0], 2)
    with pytest.raises(ValueError, match="x must have shape"):
        FusionEncoder([2, 3], 2)(torch.randn(4, 6))
    with pytest.raises(ValueError, match="scores"):
        attention_weights(torch.zeros(2, 2, 2))
    with pytest.raises(ValueError, match="weights"):
        fuse_similarities([np.ones((1, 2))] * 2, [-1, 2])
    with pytest.raises(ValueError, match="sims\\[1\\]"):
        fuse_similarities([np.ones((1, 2)), np.ones((2, 2))])
    with pytest.raises(ValueError, match="sims"):
        fuse_similarities([])
