"""Deep (transfer) clustering: a convolutional autoencoder, the DEC/IDEC head, and the pipeline as steps.

The pipeline of notebook 05, one function per step, each usable on its own:

1. :func:`pretrain` -- train a network on the labelled source: reconstruction
   (an autoencoder), plus the source labels when ``label_weight > 0``.
2. :func:`finetune_aligned` -- fine-tune the encoder on source and unlabelled
   target with ``weight * align(zs, zt)`` (MMD, CORAL, or an adversarial
   module) beside the reconstruction of both domains.
3. :func:`embed` and :func:`cluster_embedding` -- cluster the target in the
   shared space (k-means, GMM, spectral; optionally after a UMAP, :func:`umap_reduce`, as in N2D).
4. :func:`fit_dec` -- refine with the target's own clusters: DEC (``recon_weight=0``)
   or IDEC (``recon_weight > 0``), i.e. self-training on sharpened soft assignments.

The DEC maths is in three pure functions: :func:`soft_assignment`,
:func:`target_distribution` and :func:`dec_loss`. No step reads a target label.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
from sklearn.utils import Bunch
from torch import nn
from torch.nn import functional as F

from ._validation import as_2d_tensor, check_int
from .encoders import extract_features, to_tensor
from .training import _batches, _labels, get_device, progress, set_seed

__all__ = ["ConvAutoencoder", "soft_assignment", "target_distribution", "dec_loss", "DECHead", "AEConfig",
           "pretrain", "finetune_aligned", "embed", "umap_reduce", "cluster_embedding", "fit_dec", "select_k"]


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


# ------------------------------------------------------------------ DEC maths (pure functions)
def soft_assignment(z, centres, alpha: float = 1.0) -> torch.Tensor:
    """Student-t soft assignment of points to centres (DEC, eq. 1).

    ``q_ij = (1 + ||z_i - mu_j||^2 / alpha)^(-(alpha + 1) / 2)``, normalised so that each row sums to 1.

    Parameters
    ----------
    z : tensor of shape (n, d), the embedded points.
    centres : tensor of shape (k, d), the cluster centres ``mu_j``.
    alpha : degrees of freedom of the Student-t kernel (> 0; DEC uses 1).

    Returns
    -------
    tensor of shape (n, k), rows summing to 1; differentiable in ``z`` and ``centres``.

    Examples
    --------
    >>> soft_assignment(torch.tensor([[0.0]]), torch.tensor([[0.0], [1.0]]))
    tensor([[0.6667, 0.3333]])
    """
    z = as_2d_tensor(z, "z", min_samples=1)
    centres = as_2d_tensor(centres, "centres", min_samples=1)
    if z.shape[1] != centres.shape[1]:
        raise ValueError(f"z and centres must have the same number of columns, got shapes {tuple(z.shape)} "
                         f"and {tuple(centres.shape)}")
    if not alpha > 0:
        raise ValueError(f"alpha must be > 0, got {alpha!r}")
    d2 = ((z[:, None, :] - centres[None, :, :]) ** 2).sum(-1)
    q = (1.0 + d2 / alpha) ** (-(alpha + 1.0) / 2.0)
    return q / q.sum(1, keepdim=True)


def _check_assignment(q, name: str) -> torch.Tensor:
    q = as_2d_tensor(q, name, min_samples=1)
    if bool((q < 0).any()) or not torch.allclose(q.sum(1), torch.ones(len(q), dtype=q.dtype, device=q.device),
                                                 atol=1e-4):
        raise ValueError(f"{name} must be non-negative with rows summing to 1 (shape {tuple(q.shape)})")
    return q


def target_distribution(q) -> torch.Tensor:
    """DEC's sharpened target ``p_ij = (q_ij^2 / f_j) / sum_j' (q_ij'^2 / f_j')`` with ``f_j = sum_i q_ij``.

    Squaring puts more weight on confident assignments; dividing by the
    cluster frequency ``f_j`` stops large clusters from swallowing the rest.
    Treated as a constant (no gradient) in :func:`dec_loss`.

    Parameters
    ----------
    q : tensor of shape (n, k), a soft assignment (non-negative rows summing to 1).

    Returns
    -------
    tensor of shape (n, k), rows summing to 1, detached.

    Examples
    --------
    >>> target_distribution(torch.tensor([[0.6, 0.4], [0.4, 0.6]]))
    tensor([[0.6923, 0.3077],
            [0.3077, 0.6923]])
    """
    q = _check_assignment(q, "q").detach()
    w = q ** 2 / q.sum(0, keepdim=True).clamp_min(1e-12)
    return w / w.sum(1, keepdim=True)


def dec_loss(q, p) -> torch.Tensor:
    """``KL(P || Q) = (1/n) sum_i sum_j p_ij log(p_ij / q_ij)``, a 0-d tensor (DEC, eq. 2; mean over points)."""
    q, p = _check_assignment(q, "q"), _check_assignment(p, "p")
    if q.shape != p.shape:
        raise ValueError(f"q and p must have the same shape, got {tuple(q.shape)} and {tuple(p.shape)}")
    return (p * (torch.log(p.clamp_min(1e-12)) - torch.log(q.clamp_min(1e-12)))).sum(1).mean()


class DECHead(nn.Module):
    """Trainable cluster centres; ``forward(z)`` is :func:`soft_assignment` ``(n, d) -> (n, k)``.

    Parameters
    ----------
    centres : array of shape (k, d), the initial centres (usually from k-means).
    alpha : Student-t degrees of freedom.
    """

    def __init__(self, centres, alpha: float = 1.0):
        super().__init__()
        c = as_2d_tensor(torch.as_tensor(np.asarray(centres), dtype=torch.float32), "centres", min_samples=2)
        self.centres = nn.Parameter(c.clone())
        self.alpha = float(alpha)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return soft_assignment(z, self.centres, self.alpha)


# ------------------------------------------------------------------ pipeline steps
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


def pretrain(net: nn.Module, X, y=None, label_weight: float = 0.0, cfg: AEConfig | None = None) -> list[float]:
    """Step 1: train ``net`` on the source by reconstruction (+ ``label_weight`` x cross-entropy on ``y``).

    Minimises ``||net(x) - x||^2`` (mean over pixels) ``+ label_weight * CE(net.head(z), y)``.

    Parameters
    ----------
    net : a :class:`ConvAutoencoder` (``features``, ``decoder``, and ``head`` when labels are used).
    X : images of shape (n, C, H, W) in [0, 1].
    y : int labels of shape (n,), read only when ``label_weight > 0``.
    label_weight : weight of the source-label term (0: a plain autoencoder).
    cfg : hyper-parameters.

    Returns
    -------
    list of the mean loss of each epoch.
    """
    cfg = cfg or AEConfig()
    X = to_tensor(X, "X")
    label_weight = _check_weight(label_weight, "label_weight")
    y = _supervision(net, X, y, label_weight, "y")
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
    net.eval()
    return history


def finetune_aligned(net: nn.Module, Xs, Xt, align: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
                     weight: float = 1.0, ys=None, label_weight: float = 0.0,
                     cfg: AEConfig | None = None) -> dict[str, list[float]]:
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
    net.eval()
    return history


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


def fit_dec(net: nn.Module, X, k: int = 10, recon_weight: float = 0.0, num_iters: int = 300,
            update_interval: int = 30, tol: float = 0.001, alpha: float = 1.0,
            cfg: AEConfig | None = None) -> Bunch:
    """Step 4: DEC (``recon_weight = 0``) or IDEC (``> 0``) refinement of ``net`` on unlabelled ``X``.

    Centres start from k-means (20 restarts) on ``net.features(X)``. Every
    ``update_interval`` steps the target ``P = target_distribution(Q(X))`` is
    recomputed on all of ``X``; training stops when fewer than ``tol`` of the
    points change cluster between two updates, or after ``num_iters`` steps.
    Each step minimises ``KL(P_b || Q_b) + recon_weight * ||net(x) - x||^2``
    on a batch ``b``. ``net`` is changed in place.

    Parameters
    ----------
    net : a network with ``features`` (and ``decoder`` when ``recon_weight > 0``).
    X : images (n, C, H, W), the data to cluster.
    k : number of clusters.
    recon_weight : IDEC's reconstruction weight (DEC: 0).
    num_iters, update_interval, tol : schedule, as above.
    alpha : Student-t degrees of freedom.
    cfg : hyper-parameters (``lr``, ``batch_size``, ``seed``, ``progress``, ``device``; not ``num_epochs``).

    Returns
    -------
    Bunch with ``labels`` (n,) the final hard assignment, ``init_labels`` (n,) the k-means start,
    ``head`` the trained :class:`DECHead`, and per-update lists ``loss`` and ``changed``.

    References
    ----------
    Xie, Girshick & Farhadi (2016), Unsupervised deep embedding for clustering analysis, ICML;
    Guo et al. (2017), Improved deep embedded clustering with local structure preservation, IJCAI.
    """
    from sklearn.cluster import KMeans

    cfg = cfg or AEConfig()
    X = to_tensor(X, "X")
    k = check_int(k, "k", 2, len(X))
    num_iters = check_int(num_iters, "num_iters", 1)
    update_interval = check_int(update_interval, "update_interval", 1)
    recon_weight = _check_weight(recon_weight, "recon_weight")
    if not 0 <= tol < 1:
        raise ValueError(f"tol must be in [0, 1), got {tol!r}")
    if recon_weight > 0 and getattr(net, "decoder", None) is None:
        raise ValueError("recon_weight > 0 (IDEC) needs a network with a `decoder`")
    gen = set_seed(cfg.seed)
    dev = get_device(cfg.device)
    Z = embed(net, X)
    km = KMeans(k, n_init=20, random_state=cfg.seed).fit(Z)
    head = DECHead(km.cluster_centers_, alpha).to(dev)
    net.to(dev)
    opt = torch.optim.Adam(list(net.parameters()) + list(head.parameters()), lr=cfg.lr)
    labels, history = km.labels_.copy(), {"loss": [], "changed": []}
    steps = 0
    bar = progress(range(num_iters // update_interval + 1), desc="DEC", enable=cfg.progress)
    for _ in bar:
        with torch.no_grad():
            q = head(torch.as_tensor(embed(net, X)).to(dev))
        new = q.argmax(1).cpu().numpy()
        changed = float(np.mean(new != labels))
        labels = new
        history["changed"].append(changed)
        if (steps > 0 and changed < tol) or steps >= num_iters:
            break
        p = target_distribution(q)
        net.train()
        losses = []
        for _ in range(update_interval):
            idx = torch.randint(len(X), (cfg.batch_size,), generator=gen)
            x = X[idx].to(dev)
            z = net.features(x)
            loss = dec_loss(head(z), p[idx.to(dev)])
            if recon_weight > 0:
                loss = loss + recon_weight * F.mse_loss(net.decoder(z), x)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
            steps += 1
        net.eval()
        history["loss"].append(float(np.mean(losses)))
    bar.close()
    return Bunch(labels=labels, init_labels=km.labels_, head=head.cpu(), **history)


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
