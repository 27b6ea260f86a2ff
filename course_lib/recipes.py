"""Ready-made steps that several notebooks share: the digit splits and the source CNN.

Kept here (and tested) so that notebooks 01 and 02 train the *same* source
network and evaluate on the *same* target split.
"""
from __future__ import annotations

import numpy as np
import torch
from sklearn.utils import Bunch

from . import data
from .encoders import SmallCNN
from .training import TrainConfig, cached_model, set_seed, train_classifier

__all__ = ["target_split", "source_cnn", "adapted_cnn", "ceiling_cnn", "ADAPT"]


def target_split(domain: str, seed: int = 0, train_fraction: float = 0.5, **load_kwargs) -> Bunch:
    """Split a digit domain into an (unlabelled) adaptation half and a test half.

    Returns
    -------
    Bunch with ``X_train, y_train, X_test, y_test`` (``y_train`` is only for
    the ceiling and for few-label experiments: adaptation never reads it).
    """
    if not 0 < train_fraction < 1:
        raise ValueError(f"train_fraction must be in (0, 1), got {train_fraction}")
    d = data.load(domain, **load_kwargs)
    perm = np.random.default_rng(seed).permutation(len(d.y))
    k = int(round(train_fraction * len(perm)))
    tr, te = np.sort(perm[:k]), np.sort(perm[k:])
    return Bunch(X_train=d.X[tr], y_train=d.y[tr], X_test=d.X[te], y_test=d.y[te], domain=domain)


def source_cnn(seed: int = 0, source: str = "printed", n: int = 2000, num_epochs: int = 5,
               progress: bool = False, rebuild: bool = False) -> SmallCNN:
    """A :class:`SmallCNN` trained on a labelled source domain (cached per seed).

    Parameters
    ----------
    seed : seeds initialisation and batch order (the data set itself uses seed 0).
    source : "printed" or "textured" (the domains with a generator and ``n``).
    n : number of source images.
    num_epochs : training epochs.
    """
    if source not in ("printed", "textured"):
        raise ValueError(f"source must be 'printed' or 'textured', got {source!r}")
    params = {"source": source, "n": n, "seed": seed, "num_epochs": num_epochs, "arch": "SmallCNN-16-64", "v": 1}

    def make():
        set_seed(seed)
        return SmallCNN()

    def fit(net):  # the source data are loaded only when there is no checkpoint to reuse
        src = data.load(source, n=n)
        train_classifier(net, src.X, src.y, TrainConfig(num_epochs=num_epochs, seed=seed, progress=progress))

    return cached_model(f"cnn-{source}", params, make, fit, rebuild=rebuild)


def _fit_channels_last(net, fit) -> None:
    """Run ``fit(net)`` with the weights in channels-last memory layout, then restore the default layout.

    The same network and the same maths: only how convolution weights sit in memory changes, which makes
    training SmallCNN on the CPU about a third faster (measured with one thread).
    """
    net.to(memory_format=torch.channels_last)
    try:
        fit(net)
    finally:
        net.to(memory_format=torch.contiguous_format)


def _alignment_loss(method: str):
    """The alignment loss of notebook 02 for a method name (weight 0 still uses the loss, times 0)."""
    from .alignment import coral_loss, median_bandwidth, mmd2

    def dan_mmd(fs, ft):  # multi-kernel MMD^2, bandwidths around this batch's median heuristic (DAN-style)
        sigma = median_bandwidth(fs, ft)
        return mmd2(fs, ft, bandwidth=[sigma * m for m in (0.5, 1.0, 2.0, 4.0)])

    losses = {"Deep CORAL": coral_loss, "MMD (DAN-style)": dan_mmd}
    if method not in losses:
        raise ValueError(f"method must be one of {sorted(losses)}, got {method!r}")
    return losses[method]


# Notebook 02's fine-tuning budget, shared by every aligned network and its lambda = 0 control: one pass over
# the 2,000 printed digits (31 steps of 64 source + 64 target images) at Adam's default learning rate.
ADAPT = {"num_epochs": 1, "lr": 1e-3}


def adapted_cnn(seed: int, method: str, target: str, weight: float = 1.0, progress: bool = False) -> SmallCNN:
    """The source CNN of ``seed`` fine-tuned with notebook 02's alignment loss (cached).

    Starts from :func:`source_cnn` (printed, 5 epochs) and runs
    :func:`course_lib.training.train_aligned` for ``ADAPT`` epochs on the
    labelled printed digits plus the unlabelled adaptation half of
    ``target_split(target)``. ``weight=0`` is the control: the same mixed
    batches, epochs and BatchNorm exposure to target images, no alignment.

    Parameters
    ----------
    seed : seed of the source CNN and of the fine-tuning.
    method : "Deep CORAL" or "MMD (DAN-style)".
    target : "handwritten" or "textured".
    weight : alignment weight lambda (>= 0).
    """
    from .training import train_aligned

    align = _alignment_loss(method)
    if target not in ("handwritten", "textured"):
        raise ValueError(f"target must be 'handwritten' or 'textured', got {target!r}")
    if not weight >= 0:
        raise ValueError(f"weight must be >= 0, got {weight!r}")

    def make():
        net = SmallCNN()
        net.load_state_dict(source_cnn(seed).state_dict())
        return net

    def fit(net):
        printed = data.load("printed")
        split = target_split(target)
        _fit_channels_last(net, lambda n: train_aligned(n, printed.X, printed.y, split.X_train, align, weight=weight,
                                                        cfg=TrainConfig(seed=seed, progress=progress, **ADAPT)))

    params = {"seed": seed, "method": method, "weight": weight, "target": target, **ADAPT, "layout": "channels_last",
              "v": 2}
    return cached_model("adapted", params, make, fit)


def ceiling_cnn(seed: int, target: str, num_epochs: int = 10) -> SmallCNN:
    """The target-supervised ceiling: a SmallCNN trained on the labelled adaptation half of ``target`` (cached)."""
    if target not in ("handwritten", "textured"):
        raise ValueError(f"target must be 'handwritten' or 'textured', got {target!r}")

    def make():
        set_seed(seed)
        return SmallCNN()

    def fit(net):
        split = target_split(target)
        _fit_channels_last(net, lambda n: train_classifier(n, split.X_train, split.y_train,
                                                           TrainConfig(num_epochs=num_epochs, seed=seed, progress=False)))

    params = {"seed": seed, "target": target, "num_epochs": num_epochs, "layout": "channels_last", "v": 2}
    return cached_model("ceiling", params, make, fit)
