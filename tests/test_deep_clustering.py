"""course_lib.deep_clustering: the DEC maths, the autoencoder, the pipeline steps, choosing k, bad input."""
import inspect

import numpy as np
import pytest
import torch

from course_lib import metrics
from course_lib.alignment import mmd2
from course_lib.deep_clustering import (AEConfig, ConvAutoencoder, DECHead, cluster_embedding, dec_loss, embed,
                                        finetune_aligned, fit_dec, pretrain, select_k, soft_assignment,
                                        target_distribution, umap_reduce)

FAST = dict(batch_size=32, lr=3e-3, progress=False)


def planted_domain(n, seed, offset):
    """Two classes (a faint vertical or horizontal bar) and a bright nuisance square in one of two corners,
    drawn independently of the class; ``offset`` brightens the background (the domain shift)."""
    rng = np.random.default_rng(seed)
    y, corner = rng.integers(0, 2, n), rng.integers(0, 2, n)
    X = np.full((n, 1, 32, 32), offset, np.float32)
    for i in range(n):
        if y[i] == 0:
            X[i, 0, 8:24, 15:17] += 0.4
        else:
            X[i, 0, 15:17, 8:24] += 0.4
        r = 2 if corner[i] == 0 else 22
        X[i, 0, r:r + 8, r:r + 8] = 1.0
    X += rng.normal(0, 0.03, X.shape).astype(np.float32)
    return np.clip(X, 0, 1), y


# ---------------------------------------------------------------- DEC maths
def test_soft_assignment_matches_hand_worked_case():
    # squared distances 0, 1, 4 -> (1 + d2)^-1 = 1, 1/2, 1/5, normalised by 1.7
    q = soft_assignment(torch.tensor([[0.0, 0.0]]), torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 2.0]]))
    assert torch.allclose(q, torch.tensor([[1.0, 0.5, 0.2]]) / 1.7)


def test_soft_assignment_alpha_changes_the_kernel_as_the_formula_says():
    z, c = torch.tensor([[0.0]]), torch.tensor([[0.0], [1.0]])
    # alpha = 3: (1 + 1/3)^-2 = 0.5625 for the far centre, 1 for the near one
    assert torch.allclose(soft_assignment(z, c, alpha=3.0), torch.tensor([[1.0, 0.5625]]) / 1.5625)


def test_target_distribution_rows_sum_to_one_and_sharpen():
    q = torch.softmax(torch.randn(50, 4, generator=torch.Generator().manual_seed(0)), 1)
    p = target_distribution(q)
    assert torch.allclose(p.sum(1), torch.ones(50), atol=1e-6)
    ent = lambda a: -(a * a.log()).sum(1)  # noqa: E731
    assert (ent(p) < ent(q)).float().mean() > 0.9, "P is sharper (lower entropy) than Q for most points"
    assert torch.equal(p.argmax(1), q.argmax(1)) or (p.argmax(1) != q.argmax(1)).float().mean() < 0.1


def test_target_distribution_divides_by_cluster_frequency():
    # two points, equal confidence 0.6 in their own cluster, but cluster 0 is used by both more: p shifts to 1
    q = torch.tensor([[0.6, 0.4], [0.6, 0.4]])
    p = target_distribution(q)
    f = q.sum(0)
    expected = (q ** 2 / f) / (q ** 2 / f).sum(1, keepdim=True)
    assert torch.allclose(p, expected)


def test_dec_loss_is_kl_zero_iff_equal():
    q = torch.softmax(torch.randn(20, 3, generator=torch.Generator().manual_seed(1)), 1)
    assert float(dec_loss(q, q)) == pytest.approx(0.0, abs=1e-6)
    p = target_distribution(q)
    ref = torch.nn.functional.kl_div(q.log(), p, reduction="batchmean")
    assert float(dec_loss(q, p)) == pytest.approx(float(ref), rel=1e-5)
    assert float(dec_loss(q, p)) > 0


def test_dec_head_moves_centres_with_gradient():
    head = DECHead(np.array([[0.0, 0.0], [3.0, 3.0]]))
    z = torch.tensor([[0.5, 0.0], [2.5, 3.0]])
    loss = dec_loss(head(z), target_distribution(head(z)))
    loss.backward()
    assert head.centres.grad is not None and head.centres.grad.abs().sum() > 0


# ---------------------------------------------------------------- autoencoder and pipeline
def test_autoencoder_reconstructs_a_tiny_planted_set():
    X, _ = planted_domain(16, 0, 0.0)
    torch.manual_seed(0)
    ae = ConvAutoencoder(latent_dim=4, in_channels=1, width=4, num_classes=None)
    with torch.no_grad():
        before = float(((ae(torch.from_numpy(X)) - torch.from_numpy(X)) ** 2).mean())
    hist = pretrain(ae, X, cfg=AEConfig(num_epochs=200, batch_size=16, lr=3e-3, progress=False))
    with torch.no_grad():
        after = float(((ae(torch.from_numpy(X)) - torch.from_numpy(X)) ** 2).mean())
    baseline = float(((X - X.mean(0)) ** 2).mean())  # predicting the mean image
    assert hist[-1] < hist[0]
    assert after < 0.25 * baseline < before, (before, baseline, after)


def test_pipeline_composes_and_beats_clustering_the_target_alone():
    Xs, ys = planted_domain(128, 0, 0.0)
    Xt, yt = planted_domain(128, 1, 0.3)
    cfg = AEConfig(num_epochs=6, seed=0, **FAST)
    torch.manual_seed(0)
    ae = ConvAutoencoder(latent_dim=4, in_channels=1, width=4, num_classes=2)
    pretrain(ae, Xs, ys, label_weight=1.0, cfg=cfg)
    hist = finetune_aligned(ae, Xs, Xt, lambda a, b: mmd2(a, b), 1.0, ys, 1.0, cfg)
    assert set(hist) == {"rec", "align"} and len(hist["rec"]) == 6
    transfer = metrics.cluster_accuracy(yt, cluster_embedding(embed(ae, Xt), k=2))
    alone = metrics.cluster_accuracy(yt, cluster_embedding(Xt.reshape(len(Xt), -1), k=2))
    assert alone < 0.7, "the nuisance square dominates the pixels of the target"
    assert transfer > 0.9 > alone


def test_fit_dec_refines_a_clustering_and_is_deterministic():
    Xt, yt = planted_domain(96, 2, 0.0)
    torch.manual_seed(0)
    ae = ConvAutoencoder(latent_dim=4, in_channels=1, width=4, num_classes=None)
    runs = []
    for _ in range(2):
        net = ConvAutoencoder(latent_dim=4, in_channels=1, width=4, num_classes=None)
        net.load_state_dict(ae.state_dict())
        runs.append(fit_dec(net, Xt, k=2, recon_weight=0.1, num_iters=20, update_interval=5,
                            cfg=AEConfig(seed=0, **FAST)))
    out = runs[0]
    assert out.labels.shape == (96,) and set(np.unique(out.labels)) <= {0, 1}
    assert out.head.centres.shape == (2, 4) and out.changed[0] == 0.0
    np.testing.assert_array_equal(runs[0].labels, runs[1].labels)


def test_no_step_takes_target_labels():
    """Training and selection cannot read target labels: no step has a parameter for them, and the
    pipeline's result does not depend on what the target labels are (they are never passed)."""
    for fn in (finetune_aligned, fit_dec, cluster_embedding, select_k, embed):
        names = set(inspect.signature(fn).parameters)
        assert not names & {"yt", "y_target", "yt_eval", "labels"}, (fn.__name__, names)
    assert set(inspect.signature(pretrain).parameters) >= {"y"}  # the source labels only (pretrain sees source)
    Xs, ys = planted_domain(64, 0, 0.0)
    Xt, yt = planted_domain(64, 1, 0.3)
    cfg = AEConfig(num_epochs=2, seed=0, **FAST)
    outs = []
    for scramble in (False, True):
        _ = np.random.default_rng(0).permutation(yt) if scramble else yt  # the labels exist, unused
        torch.manual_seed(0)
        ae = ConvAutoencoder(latent_dim=4, in_channels=1, width=4, num_classes=2)
        finetune_aligned(ae, Xs, Xt, lambda a, b: mmd2(a, b), 1.0, ys, 1.0, cfg)
        outs.append(cluster_embedding(embed(ae, Xt), k=2))
    np.testing.assert_array_equal(outs[0], outs[1])


# ---------------------------------------------------------------- choosing k
def test_select_k_finds_planted_number_of_blobs():
    rng = np.random.default_rng(0)
    centres = rng.normal(0, 10, (4, 2))
    Z = np.concatenate([c + rng.normal(0, 0.5, (30, 2)) for c in centres])
    out = select_k(Z, ks=[2, 3, 4, 5, 6], seeds=(0, 1, 2))
    assert out.best_silhouette == 4
    assert out.stability[out.ks.index(4)] == pytest.approx(1.0)
    assert len(out.silhouette) == len(out.stability) == 5


def test_cluster_embedding_with_umap_recovers_blobs():
    rng = np.random.default_rng(1)
    Z = np.concatenate([c + rng.normal(0, 0.3, (40, 5)) for c in rng.normal(0, 8, (3, 5))])
    y = np.repeat(np.arange(3), 40)
    assert metrics.cluster_accuracy(y, cluster_embedding(Z, k=3, umap_dim=2)) == 1.0


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize("call, match", [
    (lambda: soft_assignment(torch.zeros(3, 2), torch.zeros(2, 3)), "same number of columns"),
    (lambda: soft_assignment(torch.zeros(3, 2), torch.zeros(2, 2), alpha=0), "alpha"),
    (lambda: soft_assignment(torch.zeros(3), torch.zeros(2, 2)), "z must be 2-d"),
    (lambda: target_distribution(torch.tensor([[0.5, 0.6]])), "rows summing to 1"),
    (lambda: target_distribution(torch.tensor([[1.5, -0.5]])), "non-negative"),
    (lambda: dec_loss(torch.full((2, 2), 0.5), torch.full((2, 3), 1 / 3)), "same shape"),
    (lambda: ConvAutoencoder(latent_dim=0), "latent_dim"),
    (lambda: ConvAutoencoder(num_classes=1), "num_classes"),
    (lambda: pretrain(ConvAutoencoder(), np.zeros((4, 3, 32, 32), np.float32), label_weight=1.0), "needs labels y"),
    (lambda: pretrain(ConvAutoencoder(num_classes=None), np.zeros((4, 3, 32, 32), np.float32), [0, 1, 0, 1],
                      label_weight=1.0), "head"),
    (lambda: pretrain(ConvAutoencoder(), np.zeros((4, 3, 32, 32), np.float32), label_weight=-1), "label_weight"),
    (lambda: pretrain(ConvAutoencoder(), np.zeros((4, 32, 32), np.float32)), "X must have 4 dimensions"),
    (lambda: finetune_aligned(ConvAutoencoder(), np.zeros((4, 3, 32, 32), np.float32),
                              np.zeros((4, 1, 32, 32), np.float32), mmd2), "same image shape"),
    (lambda: finetune_aligned(ConvAutoencoder(), np.zeros((4, 3, 32, 32), np.float32),
                              np.zeros((4, 3, 32, 32), np.float32), "mmd"), "align must be a callable"),
    (lambda: finetune_aligned(ConvAutoencoder(), np.zeros((4, 3, 32, 32), np.float32),
                              np.zeros((4, 3, 32, 32), np.float32), mmd2, weight=-0.5), "weight"),
    (lambda: fit_dec(ConvAutoencoder(), np.zeros((4, 3, 32, 32), np.float32), k=1), "k must be"),
    (lambda: fit_dec(ConvAutoencoder(), np.zeros((4, 3, 32, 32), np.float32), k=2, tol=1.5), "tol"),
    (lambda: fit_dec(ConvAutoencoder(), np.zeros((4, 3, 32, 32), np.float32), k=2, num_iters=0), "num_iters"),
    (lambda: fit_dec(torch.nn.Sequential(torch.nn.Flatten()), np.zeros((4, 3, 32, 32), np.float32), k=2,
                     recon_weight=1.0), "decoder"),
    (lambda: cluster_embedding(np.zeros((10, 3)), umap_dim=1), "umap_dim"),
    (lambda: umap_reduce(np.random.rand(10, 3), dim=1), "dim must be"),
    (lambda: umap_reduce(np.random.rand(10, 3), n_neighbors=10), "n_neighbors"),
    (lambda: cluster_embedding(np.random.rand(10, 3), method="dbscan"), "method must be one of"),
    (lambda: select_k(np.random.rand(10, 2), ks=[]), "ks must hold"),
    (lambda: select_k(np.random.rand(10, 2), ks=[10]), "ks must be an integer"),
    (lambda: select_k(np.random.rand(10, 2), ks=[2], seeds=[0]), "seeds"),
])
def test_bad_input_raises_value_error_naming_the_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()
