"""Deep (transfer) clustering as one pipeline of steps, each usable on its own.

The pipeline of notebook 05:

1. :func:`pretrain` -- train a network on the labelled source: reconstruction
   (an autoencoder, :class:`ConvAutoencoder`), plus the source labels when ``label_weight > 0``.
2. :func:`finetune_aligned` -- fine-tune the encoder on source and unlabelled
   target with ``weight * align(zs, zt)`` (MMD, CORAL, or an adversarial
   module) beside the reconstruction of both domains.
3. :func:`embed` and :func:`cluster_embedding` -- cluster the target in the
   shared space (k-means, GMM, spectral; optionally after a UMAP, :func:`umap_reduce`, as in N2D).
4. :func:`fit_dec` -- refine with the target's own clusters: DEC (``recon_weight=0``)
   or IDEC (``recon_weight > 0``), i.e. self-training on sharpened soft assignments.

Steps 1-2 live in :mod:`course_lib.autoencoder`, the DEC head and step 4 in :mod:`course_lib.dec`;
they are re-exported here, so ``from course_lib.deep_clustering import fit_dec`` keeps working.
:func:`select_k` chooses the number of clusters without labels. No step reads a target label.
"""
from __future__ import annotations

import numpy as np
from sklearn.utils import Bunch
from torch import nn

from ._validation import check_int
from .autoencoder import AEConfig, ConvAutoencoder, finetune_aligned, pretrain
from .dec import DECHead, dec_loss, fit_dec, soft_assignment, target_distribution
from .encoders import extract_features

__all__ = ["ConvAutoencoder", "soft_assignment", "target_distribution", "dec_loss", "DECHead", "AEConfig",
           "pretrain", "finetune_aligned", "embed", "umap_reduce", "cluster_embedding", "fit_dec", "select_k",
           "run_seeds"]


def embed(net: nn.Module, X) -> np.ndarray:
    """Step 3a: the codes ``net.features(X)`` in eval mode, shape (n, d), float32."""
    return extract_features(net, X)


def umap_reduce(Z, dim: int = 10, seed: int = 0, n_neighbors: int = 15) -> np.ndarray:
    """A ``dim``-d UMAP of the rows of ``Z`` (n, d) with ``min_dist=0`` (tight clumps suit clustering, N2D).

    Returns
    -------
    ndarray of shape (n, dim), float32.
    """
    import warnings

    import umap

    from ._validation import as_2d_array

    Z = as_2d_array(Z, "Z", min_samples=3)
    dim = check_int(dim, "dim", 2)
    n_neighbors = check_int(n_neighbors, "n_neighbors", 2, len(Z) - 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # umap warns that a fixed random_state disables parallelism
        return umap.UMAP(n_components=dim, n_neighbors=n_neighbors, min_dist=0.0,
                         random_state=seed).fit_transform(Z.astype(np.float32))


def cluster_embedding(Z, k: int = 10, method: str = "k-means", seed: int = 0, umap_dim: int | None = None,
                      n_neighbors: int = 15) -> np.ndarray:
    """Step 3b: cluster the rows of ``Z`` (n, d), optionally in a ``umap_dim``-d UMAP of them first (N2D).

    ``method`` is passed to :func:`course_lib.clustering.cluster` ("k-means", "GMM", "spectral");
    the UMAP is :func:`umap_reduce` with ``seed``.

    Returns
    -------
    ndarray of shape (n,), labels in ``0..k-1``.
    """
    from .clustering import cluster

    Z = np.asarray(Z, dtype=np.float32)
    if umap_dim is not None:
        Z = umap_reduce(Z, check_int(umap_dim, "umap_dim", 2), seed, n_neighbors)
    return cluster(Z, method=method, k=k, seed=seed)


# ------------------------------------------------------------------ choosing k without labels
def select_k(Z, ks=range(6, 15), method: str = "k-means", seeds=(0, 1, 2)) -> Bunch:
    """Label-free choice of the number of clusters: the silhouette and the stability of each ``k``.

    For each ``k`` the rows of ``Z`` are clustered once per seed; the
    *silhouette* is the mean silhouette of those clusterings on ``Z``, the
    *stability* the mean adjusted Rand index between the clusterings of every
    pair of seeds (1: every seed finds the same partition). No label is read.

    Parameters
    ----------
    Z : array of shape (n, d), the features to cluster.
    ks : candidate numbers of clusters (each in ``2..n-1``).
    method : passed to :func:`course_lib.clustering.cluster`.
    seeds : at least two seeds.

    Returns
    -------
    Bunch with ``ks`` (list), ``silhouette`` and ``stability`` (arrays, one value per k), and
    ``best_silhouette`` / ``best_stability``: the k each criterion picks (ties: the smaller k).
    """
    from itertools import combinations

    from sklearn.metrics import adjusted_rand_score, silhouette_score

    from ._validation import as_2d_array
    from .clustering import cluster

    Z = as_2d_array(Z, "Z", min_samples=3)
    ks = [check_int(k, "ks", 2, len(Z) - 1) for k in ks]
    if not ks:
        raise ValueError("ks must hold at least one number of clusters")
    seeds = list(seeds)
    if len(seeds) < 2:
        raise ValueError(f"seeds must hold at least 2 seeds for a stability, got {seeds!r}")
    sil, stab = [], []
    for k in ks:
        labels = [cluster(Z, method=method, k=k, seed=s) for s in seeds]
        sil.append(float(np.mean([silhouette_score(Z, lab) if len(np.unique(lab)) > 1 else -1.0 for lab in labels])))
        stab.append(float(np.mean([adjusted_rand_score(a, b) for a, b in combinations(labels, 2)])))
    sil, stab = np.array(sil), np.array(stab)
    return Bunch(ks=ks, silhouette=sil, stability=stab, best_silhouette=ks[int(np.argmax(sil))],
                 best_stability=ks[int(np.argmax(stab))])


# ------------------------------------------------------------------ independent seeds in parallel
def _in_worker(fn, seed):
    import torch

    torch.set_num_threads(1)  # a worker process: one thread, so that n_jobs workers share n_jobs cores
    return fn(seed)


def run_seeds(fn, seeds, n_jobs: int = 2) -> list:
    """``[fn(seed) for seed in seeds]``, run in ``n_jobs`` worker processes (one thread each).

    For independent trainings (one network per seed, cached to disk by ``fn``): on two cores two
    seeds train at once, which halves the wall time and leaves the CPU time as it is (plus the
    workers' start-up). ``n_jobs=1`` runs in this process, with its settings unchanged.

    Parameters
    ----------
    fn : a picklable function of one seed (joblib/loky also ships functions defined in a notebook).
    seeds : the seeds.
    n_jobs : worker processes (>= 1).

    Returns
    -------
    list of ``fn(seed)`` in the order of ``seeds``.

    Examples
    --------
    >>> run_seeds(abs, [-1, 2, -3], n_jobs=1)
    [1, 2, 3]
    """
    seeds = list(seeds)
    n_jobs = check_int(n_jobs, "n_jobs", 1)
    if not callable(fn):
        raise ValueError(f"fn must be a callable of one seed, got {fn!r}")
    if n_jobs == 1 or len(seeds) < 2:
        return [fn(s) for s in seeds]
    from joblib import Parallel, delayed

    return Parallel(n_jobs=min(n_jobs, len(seeds)), backend="loky")(delayed(_in_worker)(fn, s) for s in seeds)
