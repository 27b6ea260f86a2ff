"""Contrastive (SimCLR-style) learning from augmentation pairs: InfoNCE as a pure function and a tiny loop.

Two random augmentations of the same image are a *positive* pair; the other
``2n - 2`` images of the batch are its negatives. The InfoNCE (NT-Xent) loss
pulls each pair together on the unit sphere and pushes the rest apart, so an
encoder learns what the augmentations leave unchanged (the digit's identity)
without any label.

* :func:`info_nce` -- the loss, a pure function of two batches of projections.
* :func:`augment_batch` -- label-free digit augmentations on a tensor batch
  (small affine warps, stroke thickening or thinning, pixel noise).
* :class:`ProjectionHead` and :func:`train_contrastive` -- the loop: encoder,
  projection head, InfoNCE, Adam.

Reference: T. Chen, S. Kornblith, M. Norouzi, G. Hinton. A simple framework for
contrastive learning of visual representations (SimCLR). ICML 2020.
"""
from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from ._validation import as_2d_tensor, check_int
from .encoders import to_tensor
from .training import TrainConfig, _batches, get_device, progress, set_seed

__all__ = ["info_nce", "augment_batch", "ProjectionHead", "train_contrastive"]


def info_nce(z1, z2, temperature: float = 0.5) -> torch.Tensor:
    """NT-Xent / InfoNCE loss of two views, a 0-d tensor.

    With ``u = normalise([z1; z2])`` (2n rows) and ``s_ij = u_i . u_j / tau``,
    the loss is ``-(1/2n) sum_i log( exp(s_{i,p(i)}) / sum_{j != i} exp(s_ij) )``
    where ``p(i)`` is the other view of the same image (``i +/- n``).

    Parameters
    ----------
    z1, z2 : tensors of shape (n, d), two views of the same n images (row i of each is one pair), n >= 2.
    temperature : tau > 0; smaller values weigh hard negatives more.

    Returns
    -------
    0-d tensor, differentiable; its minimum over all embeddings tends to 0 as tau -> 0 and its value
    for uninformative (all equal) embeddings is ``log(2n - 1)``.

    Examples
    --------
    >>> z = torch.ones(4, 3)
    >>> round(float(info_nce(z, z)), 4) == round(math.log(7), 4)
    True
    """
    z1 = as_2d_tensor(z1, "z1")
    z2 = as_2d_tensor(z2, "z2")
    if z1.shape != z2.shape:
        raise ValueError(f"z1 and z2 must have the same shape (n, d), got {tuple(z1.shape)} and {tuple(z2.shape)}")
    if not (isinstance(temperature, (int, float)) and temperature > 0):
        raise ValueError(f"temperature must be a number > 0, got {temperature!r}")
    n = len(z1)
    u = F.normalize(torch.cat([z1, z2]), dim=1)
    sim = u @ u.T / temperature
    sim = sim.masked_fill(torch.eye(2 * n, dtype=torch.bool, device=u.device), float("-inf"))
    positive = torch.cat([torch.arange(n, 2 * n), torch.arange(0, n)]).to(u.device)
    return F.cross_entropy(sim, positive)


def augment_batch(x: torch.Tensor, gen: torch.Generator | None = None, rotate: float = 15.0,
                  scale: tuple[float, float] = (0.85, 1.1), shift: float = 0.1, stroke_prob: float = 0.5,
                  noise: float = 0.05) -> torch.Tensor:
    """A random label-preserving view of each digit image in ``x`` (no gradient).

    Per image: rotation in ``+/- rotate`` degrees, isotropic scale in ``scale``, a shift of up to
    ``shift`` of the image side (one affine warp, bilinear); with probability ``stroke_prob`` the strokes
    are thickened (3x3 max-pool) or thinned (3x3 min-pool), half and half; then Gaussian pixel noise of
    standard deviation ``noise``; values clipped to [0, 1].

    Parameters
    ----------
    x : tensor of shape (n, C, H, W) in [0, 1].
    gen : torch Generator for reproducible views (None: the global generator).

    Returns
    -------
    tensor of shape (n, C, H, W) in [0, 1].
    """
    x = to_tensor(x, "x")
    if not (scale[0] > 0 and scale[0] <= scale[1]):
        raise ValueError(f"scale must be (low, high) with 0 < low <= high, got {scale!r}")
    if not 0 <= stroke_prob <= 1:
        raise ValueError(f"stroke_prob must be in [0, 1], got {stroke_prob!r}")
    if rotate < 0 or shift < 0 or noise < 0:
        raise ValueError(f"rotate, shift and noise must be >= 0, got {rotate!r}, {shift!r}, {noise!r}")
    n = len(x)

    def uniform(low, high):
        return low + (high - low) * torch.rand(n, generator=gen)

    with torch.no_grad():
        ang = uniform(-rotate, rotate) * math.pi / 180
        s = uniform(*scale)
        cos, sin = torch.cos(ang) / s, torch.sin(ang) / s
        theta = torch.stack([torch.stack([cos, -sin, uniform(-2 * shift, 2 * shift)], 1),
                             torch.stack([sin, cos, uniform(-2 * shift, 2 * shift)], 1)], 1)
        grid = F.affine_grid(theta.to(x.device), list(x.shape), align_corners=False)
        out = F.grid_sample(x, grid, align_corners=False, padding_mode="zeros")
        r = torch.rand(n, generator=gen).to(x.device)[:, None, None, None]
        thick = F.max_pool2d(out, 3, 1, 1)
        thin = -F.max_pool2d(-out, 3, 1, 1)
        out = torch.where(r < stroke_prob / 2, thick, torch.where(r < stroke_prob, thin, out))
        out = out + noise * torch.randn(out.shape, generator=gen).to(x.device)
    return out.clamp(0, 1)


class ProjectionHead(nn.Module):
    """The small MLP ``d -> hidden -> out_dim`` that InfoNCE sees (SimCLR clusters the features before it)."""

    def __init__(self, in_dim: int, hidden: int = 64, out_dim: int = 32):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(check_int(in_dim, "in_dim", 1), check_int(hidden, "hidden", 1)),
                                 nn.ReLU(), nn.Linear(hidden, check_int(out_dim, "out_dim", 1)))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)


def train_contrastive(net: nn.Module, X, cfg: TrainConfig | None = None, temperature: float = 0.5,
                      head: nn.Module | None = None) -> list[float]:
    """Train ``net.features`` on unlabelled images ``X`` with InfoNCE on augmentation pairs.

    Each step draws a batch, makes two views with :func:`augment_batch`, and
    minimises ``info_nce(g(f(v1)), g(f(v2)), temperature)`` where ``f`` is
    ``net.features`` and ``g`` a :class:`ProjectionHead` (trained too, then
    dropped). No label is read. ``net`` is changed in place.

    Parameters
    ----------
    net : module with ``features`` (e.g. :class:`~course_lib.encoders.SmallCNN`).
    X : images of shape (n, C, H, W) in [0, 1], n >= ``cfg.batch_size``.
    cfg : epochs, batch size (the number of pairs per step), lr, seed, progress, device.
    temperature : InfoNCE temperature.
    head : projection head; None: ``ProjectionHead(feature size)``.

    Returns
    -------
    list of the mean InfoNCE loss of each epoch.
    """
    cfg = cfg or TrainConfig()
    X = to_tensor(X, "X")
    if len(X) < max(2, cfg.batch_size):
        raise ValueError(f"X needs at least batch_size={cfg.batch_size} (and 2) images, got shape {tuple(X.shape)}")
    gen = set_seed(cfg.seed)
    dev = get_device(cfg.device)
    net.to(dev)
    if head is None:
        with torch.no_grad():
            net.eval()
            head = ProjectionHead(net.features(X[:2].to(dev)).shape[1])
    head.to(dev)
    opt = torch.optim.Adam(list(net.parameters()) + list(head.parameters()), lr=cfg.lr,
                           weight_decay=cfg.weight_decay)
    history = []
    net.train()
    for _ in progress(range(cfg.num_epochs), desc="contrastive", enable=cfg.progress):
        losses = []
        for idx in _batches(len(X), cfg.batch_size, gen):
            x = X[idx]
            v1, v2 = augment_batch(x, gen).to(dev), augment_batch(x, gen).to(dev)
            z = head(net.features(torch.cat([v1, v2])))
            loss = info_nce(z[: len(idx)], z[len(idx):], temperature)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        history.append(float(np.mean(losses)))
    net.eval()
    return history
