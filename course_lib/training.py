"""Seeds, devices and two short training loops (supervised, and with alignment).

The loops read top to bottom: sample a source batch (and a target batch),
compute the classification loss on the source, add ``weight * align(fs, ft)``
on the bottleneck features, step. ``align`` is any function of two feature
batches that returns a 0-d tensor, e.g. :func:`course_lib.alignment.mmd2` or
:func:`course_lib.alignment.coral_loss`.
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from . import cache
from ._validation import check_int
from .encoders import to_tensor

__all__ = ["progress", "cached_model", "TrainConfig", "set_seed", "get_device", "train_classifier", "train_aligned", "predict",
           "rampup_weight", "adabn"]


def progress(iterable, desc: str = "", enable: bool = True, **kwargs):
    """A text progress bar on stdout (``tqdm``), one line that updates in place.

    Text rather than a widget, so that a notebook executed headless stores the
    bar's final state (a widget would be saved showing 0%).
    """
    import sys

    from tqdm.std import tqdm

    return tqdm(iterable, desc=desc, disable=not enable, file=sys.stdout, mininterval=0.5, ascii=True,
                dynamic_ncols=False, ncols=80, **kwargs)


@dataclass
class TrainConfig:
    """Hyper-parameters of :func:`train_classifier` and :func:`train_aligned`."""

    num_epochs: int = 8        # passes over the source set
    batch_size: int = 64       # source (and target) images per step
    lr: float = 1e-3           # Adam learning rate
    weight_decay: float = 5e-4  # L2 penalty
    seed: int = 0              # seeds batch order and initialisation
    progress: bool = True      # show a tqdm bar over steps
    device: str | None = None  # "cpu", "cuda", ...; None: a GPU if one is available, else the CPU


def set_seed(seed: int) -> torch.Generator:
    """Seed Python, NumPy and torch; return a torch Generator seeded the same way."""
    seed = check_int(seed, "seed", 0)
    random.seed(int(seed))
    np.random.seed(int(seed) % 2**32)
    torch.manual_seed(int(seed))
    return torch.Generator().manual_seed(int(seed))


def get_device(prefer: str | None = None) -> torch.device:
    """The device to train on: ``prefer`` if given, else ``cuda`` when available, else ``cpu``.

    The course never needs a GPU; every notebook runs on the CPU.

    Raises
    ------
    ValueError
        If ``prefer`` is not a valid device string, or names CUDA on a machine without it.
    """
    if prefer is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(prefer)
    except (RuntimeError, TypeError) as err:
        raise ValueError(f"prefer must be a device such as 'cpu' or 'cuda', got {prefer!r}") from err
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"prefer={prefer!r} asks for CUDA, but no CUDA device is available; use 'cpu' or None")
    return dev


def rampup_weight(progress: float, gamma: float = 10.0) -> float:
    """DANN schedule ``2 / (1 + exp(-gamma p)) - 1``: 0 at the start, ~1 at the end (Ganin et al. 2016)."""
    return 2.0 / (1.0 + math.exp(-gamma * progress)) - 1.0


def _labels(y, n: int, name: str) -> torch.Tensor:
    y = torch.as_tensor(np.asarray(y), dtype=torch.long)
    if y.ndim != 1 or len(y) != n:
        raise ValueError(f"{name} must have shape ({n},), got {tuple(y.shape)}")
    return y


def _batches(n: int, batch_size: int, gen: torch.Generator):
    perm = torch.randperm(n, generator=gen)
    for i in range(0, n - batch_size + 1 if n >= batch_size else 1, batch_size):
        yield perm[i:i + batch_size]


def train_classifier(net: nn.Module, X, y, cfg: TrainConfig | None = None) -> list[float]:
    """Supervised training with cross-entropy; returns the mean loss of each epoch.

    Parameters
    ----------
    net : module with ``forward`` giving logits.
    X : array of shape (n, C, H, W).
    y : int array of shape (n,).
    cfg : hyper-parameters.
    """
    cfg = cfg or TrainConfig()
    X = to_tensor(X, "X")
    y = _labels(y, len(X), "y")
    gen = set_seed(cfg.seed)
    dev = get_device(cfg.device)
    net.to(dev)
    opt = torch.optim.Adam(net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    history = []
    net.train()
    for _ in progress(range(cfg.num_epochs), desc="train", enable=cfg.progress, leave=False):
        losses = []
        for idx in _batches(len(X), cfg.batch_size, gen):
            loss = F.cross_entropy(net(X[idx].to(dev)), y[idx].to(dev))
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        history.append(float(np.mean(losses)))
    net.eval()
    return history


def train_aligned(net: nn.Module, Xs, ys, Xt, align: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
                  weight: float = 1.0, cfg: TrainConfig | None = None, schedule: bool = True) -> dict[str, list]:
    """Fine-tune ``net`` on labelled source while aligning source and target features.

    Each step minimises ``CE(net(xs), ys) + w(p) * align(f(xs), f(xt))`` where
    ``f`` is ``net.features`` and ``w(p) = weight * rampup_weight(p)`` when
    ``schedule`` (``p`` is the fraction of training done), else ``weight``.
    Target labels are never used.

    Parameters
    ----------
    net : module with ``features`` and ``head`` (e.g. :class:`SmallCNN`).
    Xs : source images, shape (ns, C, H, W); ys : source labels, shape (ns,).
    Xt : unlabelled target images, shape (nt, C, H, W).
    align : loss on two feature batches, e.g. ``mmd2`` or ``coral_loss``.
    weight : the alignment weight (lambda).
    cfg : hyper-parameters.
    schedule : ramp the weight up from 0 (DANN schedule).

    Returns
    -------
    dict with per-epoch lists ``cls`` (classification loss) and ``align``.
    """
    cfg = cfg or TrainConfig()
    Xs, Xt = to_tensor(Xs, "Xs"), to_tensor(Xt, "Xt")
    ys = _labels(ys, len(Xs), "ys")
    if Xs.shape[1:] != Xt.shape[1:]:
        raise ValueError(f"Xs and Xt must have the same image shape, got {tuple(Xs.shape)} and {tuple(Xt.shape)}")
    if weight < 0:
        raise ValueError(f"weight must be >= 0, got {weight}")
    gen = set_seed(cfg.seed)
    dev = get_device(cfg.device)
    net.to(dev)
    opt = torch.optim.Adam(net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    steps_per_epoch = max(1, len(Xs) // cfg.batch_size)
    total = cfg.num_epochs * steps_per_epoch
    history = {"cls": [], "align": []}
    step = 0
    net.train()
    for _ in progress(range(cfg.num_epochs), desc="align", enable=cfg.progress, leave=False):
        cls_l, al_l = [], []
        for idx in _batches(len(Xs), cfg.batch_size, gen):
            tidx = torch.randint(len(Xt), (len(idx),), generator=gen)
            feats = net.features(torch.cat([Xs[idx], Xt[tidx]]).to(dev))
            fs, ft = feats[: len(idx)], feats[len(idx):]
            cls = F.cross_entropy(net.head(fs), ys[idx].to(dev))
            al = align(fs, ft)
            w = weight * rampup_weight(step / total) if schedule else weight
            loss = cls + w * al
            opt.zero_grad()
            loss.backward()
            opt.step()
            cls_l.append(cls.item())
            al_l.append(al.item())
            step += 1
        history["cls"].append(float(np.mean(cls_l)))
        history["align"].append(float(np.mean(al_l)))
    net.eval()
    return history


@torch.no_grad()
def adabn(net: nn.Module, X, batch_size: int = 256) -> nn.Module:
    """AdaBN: a copy of ``net`` whose BatchNorm statistics are recomputed on ``X`` (Li et al., Pattern Recognition 2018).

    Every weight stays as it is; only the running mean and variance of each
    BatchNorm layer are replaced by the mean of its inputs over ``X`` and the
    size-weighted average of the per-batch variances. No label is read, so
    ``X`` is typically the unlabelled target. The input network is not changed.

    Parameters
    ----------
    net : module with BatchNorm layers.
    X : array of shape (n, C, H, W), the data whose statistics the copy adopts.
    batch_size : images per forward pass.

    Returns
    -------
    nn.Module, the adapted copy, in eval mode.

    Raises
    ------
    ValueError
        If ``net`` has no BatchNorm layer (AdaBN would do nothing).
    """
    import copy

    X = to_tensor(X, "X")
    batch_size = check_int(batch_size, "batch_size", 2)
    out = copy.deepcopy(net)
    bns = [m for m in out.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if not bns:
        raise ValueError("net has no BatchNorm layer: AdaBN has nothing to recompute")
    out.eval()
    for bn in bns:
        bn.reset_running_stats()
        bn.train()
    dev = next(out.parameters()).device
    seen = 0
    for i in range(0, len(X), batch_size):
        batch = X[i:i + batch_size]
        for bn in bns:  # weight each batch by its size: the running mean becomes the mean over all of X
            bn.momentum = len(batch) / (seen + len(batch))
        out(batch.to(dev))
        seen += len(batch)
    for bn in bns:
        bn.momentum = 0.1
    return out.eval()


@torch.no_grad()
def predict(net: nn.Module, X, batch_size: int = 512) -> np.ndarray:
    """Class predictions ``argmax net(X)``, shape (n,)."""
    X = to_tensor(X, "X")
    net.eval()
    dev = next(net.parameters()).device
    return torch.cat([net(X[i:i + batch_size].to(dev)).argmax(1).cpu() for i in range(0, len(X), batch_size)]).numpy()


def cached_model(name: str, params: dict, make_net: Callable[[], nn.Module], fit: Callable[[nn.Module], object],
                 rebuild: bool = False) -> nn.Module:
    """Load a trained network from the cache, or build, train and cache it.

    The weights are stored as ``models/{name}-{hash(params)}.pt`` with a
    SHA-256 manifest; a missing, corrupt or differently-parametrised file is
    trained again.

    Parameters
    ----------
    name : stem of the checkpoint file.
    params : everything the weights depend on (data, seed, hyper-parameters).
    make_net : returns a fresh, untrained network.
    fit : trains the network in place (its return value is ignored).
    rebuild : train even if a checkpoint exists.
    """
    import io

    path = cache.cache_dir("models") / f"{name}-{cache.params_key(params)}.pt"
    net = make_net()
    if not rebuild and cache.verify(path, params):
        net.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
        return net.eval()
    fit(net)
    net.cpu()  # checkpoints and returned networks live on the CPU, wherever they were trained
    buf = io.BytesIO()
    torch.save(net.state_dict(), buf)
    cache.atomic_write_bytes(path, buf.getvalue())
    cache.write_manifest(path, params)
    return net.eval()
