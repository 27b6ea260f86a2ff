"""The DEC / IDEC head: Student-t soft assignment, the sharpened target distribution, the KL loss, and training.

The maths is three pure functions, :func:`soft_assignment`, :func:`target_distribution`
and :func:`dec_loss`; :class:`DECHead` holds trainable centres; :func:`fit_dec` is step 4 of
deep transfer clustering (:mod:`course_lib.deep_clustering`): self-training of an encoder on
the sharpened soft assignments of the data it clusters. No label is read.
"""
from __future__ import annotations

import numpy as np
import torch
from sklearn.utils import Bunch
from torch import nn
from torch.nn import functional as F

from ._validation import as_2d_tensor, check_int
from .autoencoder import AEConfig, _check_weight
from .encoders import extract_features, to_tensor
from .training import get_device, progress, set_seed

__all__ = ["soft_assignment", "target_distribution", "dec_loss", "DECHead", "fit_dec"]


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


def fit_dec(net: nn.Module, X, k: int = 10, recon_weight: float = 0.0, num_iters: int = 300,
            update_interval: int = 30, tol: float = 0.001, alpha: float = 1.0,
            cfg: AEConfig | None = None, init_labels=None) -> Bunch:
    """Step 4: DEC (``recon_weight = 0``) or IDEC (``> 0``) refinement of ``net`` on unlabelled ``X``.

    Centres start from k-means (20 restarts) on ``net.features(X)``, or, when
    ``init_labels`` is given, at the mean code of each of its ``k`` groups. Every
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
    init_labels : optional int array of shape (n,) with values in ``0..k-1``, every value present: a
        starting partition of ``X`` found without labels (e.g. a classifier's argmax); None: k-means.

    Returns
    -------
    Bunch with ``labels`` (n,) the final hard assignment, ``init_labels`` (n,) the start (k-means or the
    given partition), ``head`` the trained :class:`DECHead`, and per-update lists ``loss`` and ``changed``.

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
    Z = extract_features(net, X)
    if init_labels is None:
        km = KMeans(k, n_init=20, random_state=cfg.seed).fit(Z)
        start, centres = km.labels_, km.cluster_centers_
    else:
        start = np.asarray(init_labels)
        if start.shape != (len(X),) or not np.array_equal(np.unique(start), np.arange(k)):
            raise ValueError(f"init_labels must have shape ({len(X)},) and hold every value 0..{k - 1}, "
                             f"got shape {start.shape} with values {np.unique(start)[:12]}")
        centres = np.stack([Z[start == j].mean(0) for j in range(k)])
    head = DECHead(centres, alpha).to(dev)
    net.to(dev)
    opt = torch.optim.Adam(list(net.parameters()) + list(head.parameters()), lr=cfg.lr)
    labels, history = start.copy(), {"loss": [], "changed": []}
    steps = 0
    bar = progress(range(num_iters // update_interval + 1), desc="DEC", enable=cfg.progress)
    for _ in bar:
        with torch.no_grad():
            q = head(torch.as_tensor(extract_features(net, X)).to(dev))
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
    return Bunch(labels=labels, init_labels=start, head=head.cpu(), **history)
