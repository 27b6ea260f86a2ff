"""Ready-made steps that several notebooks share: the digit splits and the source CNN.

Kept here (and tested) so that notebooks 01 and 02 train the *same* source
network and evaluate on the *same* target split.
"""
from __future__ import annotations

import numpy as np
from sklearn.utils import Bunch

from . import data
from .encoders import SmallCNN
from .training import TrainConfig, cached_model, set_seed, train_classifier

__all__ = ["target_split", "source_cnn"]


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
