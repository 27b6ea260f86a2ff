"""course_lib.contrastive: InfoNCE against a plain loop and hand-worked values, the augmentations, the loop."""
import math

import numpy as np
import pytest
import torch
from torch import nn

from course_lib.contrastive import ProjectionHead, augment_batch, info_nce, train_contrastive
from course_lib.training import TrainConfig


def info_nce_loop(z1, z2, tau):
    """Reference: the NT-Xent loss written as a plain loop over the 2n anchors."""
    u = torch.nn.functional.normalize(torch.cat([z1, z2]), dim=1)
    n2 = len(u)
    total = 0.0
    for i in range(n2):
        p = (i + n2 // 2) % n2
        denom = sum(math.exp(float(u[i] @ u[j]) / tau) for j in range(n2) if j != i)
        total += -math.log(math.exp(float(u[i] @ u[p]) / tau) / denom)
    return total / n2


def test_info_nce_matches_a_plain_loop():
    g = torch.Generator().manual_seed(0)
    z1, z2 = torch.randn(5, 3, generator=g), torch.randn(5, 3, generator=g)
    assert float(info_nce(z1, z2, 0.3)) == pytest.approx(info_nce_loop(z1, z2, 0.3), rel=1e-5)


def test_info_nce_of_identical_embeddings_is_log_2n_minus_1():
    z = torch.ones(6, 4)  # every similarity equal: the positive is one of 2n - 1 equally likely candidates
    assert float(info_nce(z, z, 0.5)) == pytest.approx(math.log(11), rel=1e-6)


def test_info_nce_is_small_for_matched_orthogonal_pairs_and_large_for_swapped_ones():
    z = torch.eye(4)
    matched = float(info_nce(z, z, 0.1))
    swapped = float(info_nce(z, z[[1, 0, 3, 2]], 0.1))
    assert matched < 0.01 < 5 < swapped


def test_info_nce_is_symmetric_in_the_two_views_and_has_a_gradient():
    g = torch.Generator().manual_seed(1)
    z1 = torch.randn(4, 3, generator=g, requires_grad=True)
    z2 = torch.randn(4, 3, generator=g)
    loss = info_nce(z1, z2)
    assert loss.item() == pytest.approx(info_nce(z2, z1).item(), rel=1e-6)
    loss.backward()
    assert z1.grad.abs().sum() > 0


def test_augment_batch_keeps_shape_and_range_and_is_reproducible():
    x = torch.rand(8, 3, 32, 32)
    a = augment_batch(x, torch.Generator().manual_seed(0))
    b = augment_batch(x, torch.Generator().manual_seed(0))
    c = augment_batch(x, torch.Generator().manual_seed(1))
    assert a.shape == x.shape and float(a.min()) >= 0 and float(a.max()) <= 1
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_augment_batch_without_randomness_is_the_identity():
    x = torch.rand(4, 1, 32, 32)
    out = augment_batch(x, rotate=0, scale=(1, 1), shift=0, stroke_prob=0, noise=0)
    assert torch.allclose(out, x, atol=1e-5)


def test_train_contrastive_lowers_the_loss_on_a_tiny_set():
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    X = np.zeros((32, 1, 32, 32), np.float32)
    for i in range(32):  # 32 different bars: each image is its own class
        r, c = divmod(i, 8)
        X[i, 0, 4 * r:4 * r + 3, 4 * c:4 * c + 12] = 1.0
    X += rng.uniform(0, 0.05, X.shape).astype(np.float32)
    net = nn.Sequential(nn.Conv2d(1, 8, 3, 2, 1), nn.ReLU(), nn.Flatten(), nn.Linear(8 * 16 * 16, 16))
    net.features = net.forward  # the loop trains net.features
    hist = train_contrastive(net, X, TrainConfig(num_epochs=15, batch_size=16, lr=3e-3, progress=False))
    assert len(hist) == 15
    assert np.mean(hist[-3:]) < np.mean(hist[:3]) - 0.3


@pytest.mark.parametrize("call, match", [
    (lambda: info_nce(torch.zeros(3, 2), torch.zeros(4, 2)), "same shape"),
    (lambda: info_nce(torch.zeros(3, 2), torch.zeros(3, 2), temperature=0), "temperature"),
    (lambda: info_nce(torch.zeros(3), torch.zeros(3)), "z1 must be 2-d"),
    (lambda: augment_batch(torch.zeros(2, 32, 32)), "x must have 4 dimensions"),
    (lambda: augment_batch(torch.zeros(2, 1, 8, 8), scale=(1.2, 1.0)), "scale"),
    (lambda: augment_batch(torch.zeros(2, 1, 8, 8), stroke_prob=2), "stroke_prob"),
    (lambda: augment_batch(torch.zeros(2, 1, 8, 8), noise=-1), "noise"),
    (lambda: ProjectionHead(0), "in_dim"),
    (lambda: train_contrastive(nn.Linear(2, 2), np.zeros((4, 1, 8, 8), np.float32), TrainConfig(batch_size=8)),
     "batch_size"),
])
def test_bad_input_raises_value_error_naming_the_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()
