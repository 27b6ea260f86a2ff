"""The convolutional autoencoder of notebook 05 and the first two steps of deep transfer clustering.

1. :func:`pretrain` -- train a network on the labelled source: reconstruction
   (an autoencoder), plus the source labels when ``label_weight > 0``.
2. :func:`finetune_aligned` -- fine-tune the encoder on source and unlabelled
   target with ``weight * align(zs, zt)`` (MMD, CORAL, or an adversarial
   module) beside the reconstruction of both domains.

:class:`AEConfig` holds the hyper-parameters shared by these steps and by :func:`course_lib.dec.fit_dec`.
No step reads a target label.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from ._validation import check_int
from .encoders import to_tensor
from .training import _batches, _labels, get_device, progress, set_seed

__all__ = ["ConvAutoencoder", "AEConfig", "pretrain", "finetune_aligned"]


class ConvAutoencoder(nn.Module):
    """A small convolutional autoencoder ``(n, C, 32, 32) -> (n, latent_dim) -> (n, C, 32, 32)``.

    Encoder: three stride-2 convolutions (32 -> 16 -> 8 -> 4 pixels) and a
    linear map to the code; the decoder mirrors it with transposed
    convolutions and ends in a sigmoid (images are in [0, 1]). An optional
    linear ``head`` on the code lets the source labels shape it.

    Parameters
    ----------
    latent_dim : size of the code ``z`` that is clustered.
    in_channels : image channels.
    width : channels of the first convolution (then ``2 width``, ``4 width``).
    num_classes : outputs of the linear head on the code; None for no head.

    Examples
    --------
    >>> ae = ConvAutoencoder(latent_dim=10)
    >>> x = torch.rand(2, 3, 32, 32)
    >>> ae.features(x).shape, ae(x).shape
    (torch.Size([2, 10]), torch.Size([2, 3, 32, 32]))
    """

    def __init__(self, latent_dim: int = 10, in_channels: int = 3, width: int = 16, num_classes: int | None = 10):
        super().__init__()
        latent_dim = check_int(latent_dim, "latent_dim", 1)
        w = check_int(width, "width", 1)
        self.encoder = nn.Sequential(
            nn.Conv2d(in_channels, w, 4, 2, 1), nn.ReLU(),
            nn.Conv2d(w, 2 * w, 4, 2, 1), nn.ReLU(),
            nn.Conv2d(2 * w, 4 * w, 4, 2, 1), nn.ReLU(),
            nn.Flatten(), nn.Linear(4 * w * 16, latent_dim),
        )
        self.decoder = nn.Sequential(
            nn.Linear(latent_dim, 4 * w * 16), nn.ReLU(), nn.Unflatten(1, (4 * w, 4, 4)),
            nn.ConvTranspose2d(4 * w, 2 * w, 4, 2, 1), nn.ReLU(),
            nn.ConvTranspose2d(2 * w, w, 4, 2, 1), nn.ReLU(),
            nn.ConvTranspose2d(w, in_channels, 4, 2, 1), nn.Sigmoid(),
        )
        self.head = None if num_classes is None else nn.Linear(latent_dim, check_int(num_classes, "num_classes", 2))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The code ``z``, shape (n, latent_dim)."""
        return self.encoder(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The reconstruction, shape (n, C, 32, 32)."""
        return self.decoder(self.encoder(x))


@dataclass
class AEConfig:
    """Hyper-parameters of :func:`pretrain`, :func:`finetune_aligned` and :func:`fit_dec`."""

    num_epochs: int = 20        # passes over the (larger) training set
    batch_size: int = 64        # images per step (per domain in finetune_aligned)
    lr: float = 1e-3            # Adam learning rate
    weight_decay: float = 0.0   # L2 penalty
    seed: int = 0               # seeds initialisation-independent randomness: batch order, k-means
    progress: bool = True       # one text progress bar per loop
    device: str | None = None   # None: a GPU if available, else the CPU


def _check_weight(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
        raise ValueError(f"{name} must be a number >= 0, got {value!r}")
    return float(value)


def _supervision(net: nn.Module, X: torch.Tensor, y, label_weight: float, name: str):
    """Source labels as a tensor when ``label_weight > 0`` (the net then needs a ``head``), else None."""
    if label_weight == 0:
        return None
    if y is None:
        raise ValueError(f"label_weight={label_weight} needs labels {name}, got None")
    if getattr(net, "head", None) is None:
        raise ValueError("label_weight > 0 needs a network with a classification `head` (num_classes not None)")
    return _labels(y, len(X), name)


def _check_callback(on_epoch) -> None:
    if on_epoch is not None and not callable(on_epoch):
        raise ValueError(f"on_epoch must be None or a callable (net, epoch) -> None, got {on_epoch!r}")


def _after_epoch(net: nn.Module, on_epoch, epoch: int) -> None:
    if on_epoch is not None:
        net.eval()
        with torch.no_grad():
            on_epoch(net, epoch)
        net.train()


def pretrain(net: nn.Module, X, y=None, label_weight: float = 0.0, cfg: AEConfig | None = None,
             on_epoch: Callable[[nn.Module, int], None] | None = None) -> list[float]:
    """Step 1: train ``net`` on the source by reconstruction (+ ``label_weight`` x cross-entropy on ``y``).

    Minimises ``||net(x) - x||^2`` (mean over pixels) ``+ label_weight * CE(net.head(z), y)``.

    Parameters
    ----------
    net : a :class:`ConvAutoencoder` (``features``, ``decoder``, and ``head`` when labels are used).
    X : images of shape (n, C, H, W) in [0, 1].
    y : int labels of shape (n,), read only when ``label_weight > 0``.
    label_weight : weight of the source-label term (0: a plain autoencoder).
    cfg : hyper-parameters.
    on_epoch : optional ``on_epoch(net, epoch)`` called after each epoch (1-based) with ``net`` in eval
        mode, e.g. to record how a clustering of the codes evolves; it must not change ``net``.

    Returns
    -------
    list of the mean loss of each epoch.
    """
    cfg = cfg or AEConfig()
    X = to_tensor(X, "X")
    label_weight = _check_weight(label_weight, "label_weight")
    y = _supervision(net, X, y, label_weight, "y")
    _check_callback(on_epoch)
    gen = set_seed(cfg.seed)
    dev = get_device(cfg.device)
    net.to(dev).train()
    opt = torch.optim.Adam(net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    history = []
    for _ in progress(range(cfg.num_epochs), desc="pretrain", enable=cfg.progress):
        losses = []
        for idx in _batches(len(X), cfg.batch_size, gen):
            x = X[idx].to(dev)
            z = net.features(x)
            loss = F.mse_loss(net.decoder(z), x)
            if y is not None:
                loss = loss + label_weight * F.cross_entropy(net.head(z), y[idx].to(dev))
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        history.append(float(np.mean(losses)))
        _after_epoch(net, on_epoch, len(history))
    net.eval()
    return history


def finetune_aligned(net: nn.Module, Xs, Xt, align: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
                     weight: float = 1.0, ys=None, label_weight: float = 0.0,
                     cfg: AEConfig | None = None,
                     on_epoch: Callable[[nn.Module, int], None] | None = None) -> dict[str, list[float]]:
    """Step 2: fine-tune on source and unlabelled target, pulling their codes together.

    Each step minimises ``rec(xs) + rec(xt) + weight * align(zs, zt)`` (+ ``label_weight * CE`` on the
    source) where ``rec(x) = ||net(x) - x||^2`` and ``z = net.features(x)``. If ``align`` is an
    ``nn.Module`` (e.g. a domain discriminator behind gradient reversal) its parameters are trained too.
    Target labels are never an argument.

    Parameters
    ----------
    net : a :class:`ConvAutoencoder`.
    Xs, Xt : source and target images, shapes (ns, C, H, W) and (nt, C, H, W).
    align : loss on two code batches returning a 0-d tensor (``mmd2``, ``coral_loss``, ...).
    weight : the alignment weight (>= 0; 0 is the control: same batches, no alignment).
    ys, label_weight : source labels and their weight, as in :func:`pretrain`.
    cfg : hyper-parameters; an epoch is ``max(ns, nt) // batch_size`` steps.
    on_epoch : optional ``on_epoch(net, epoch)`` called after each epoch, as in :func:`pretrain`.

    Returns
    -------
    dict with per-epoch lists ``rec`` and ``align``.
    """
    cfg = cfg or AEConfig()
    Xs, Xt = to_tensor(Xs, "Xs"), to_tensor(Xt, "Xt")
    if Xs.shape[1:] != Xt.shape[1:]:
        raise ValueError(f"Xs and Xt must have the same image shape, got {tuple(Xs.shape)} and {tuple(Xt.shape)}")
    if not callable(align):
        raise ValueError(f"align must be a callable (zs, zt) -> 0-d tensor, got {align!r}")
    weight = _check_weight(weight, "weight")
    label_weight = _check_weight(label_weight, "label_weight")
    ys = _supervision(net, Xs, ys, label_weight, "ys")
    _check_callback(on_epoch)
    gen = set_seed(cfg.seed)
    dev = get_device(cfg.device)
    net.to(dev).train()
    params = list(net.parameters())
    if isinstance(align, nn.Module):
        align.to(dev).train()
        params += list(align.parameters())
    opt = torch.optim.Adam(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    steps = max(1, max(len(Xs), len(Xt)) // cfg.batch_size)
    history = {"rec": [], "align": []}
    for _ in progress(range(cfg.num_epochs), desc="align", enable=cfg.progress):
        rec_l, al_l = [], []
        for _ in range(steps):
            si = torch.randint(len(Xs), (cfg.batch_size,), generator=gen)
            ti = torch.randint(len(Xt), (cfg.batch_size,), generator=gen)
            x = torch.cat([Xs[si], Xt[ti]]).to(dev)
            z = net.features(x)
            rec = F.mse_loss(net.decoder(z), x)
            al = align(z[: len(si)], z[len(si):])
            loss = rec + weight * al
            if ys is not None:
                loss = loss + label_weight * F.cross_entropy(net.head(z[: len(si)]), ys[si].to(dev))
            opt.zero_grad()
            loss.backward()
            opt.step()
            rec_l.append(rec.item())
            al_l.append(al.item())
        history["rec"].append(float(np.mean(rec_l)))
        history["align"].append(float(np.mean(al_l)))
        _after_epoch(net, on_epoch, len(history["rec"]))
    net.eval()
    return history
