"""Class-aware adaptation from the target's own clusters (SHOT-style, source-free).

Aligning marginal feature distributions (MMD, CORAL, DANN) does not make a
target "3" land on the source "3". The methods here use the target's cluster
structure instead, with the source classifier (``net.head``) kept fixed:

* :func:`im_loss` -- **information maximisation**: each prediction confident
  (low mean per-sample entropy) and the predictions diverse as a whole (high
  entropy of the mean prediction), so that not all samples fall in one class;
* :func:`spherical_kmeans` / :func:`cluster_pseudo_labels` -- pseudo-labels
  from k-means on L2-normalised target features, started at the **source
  class centres** so that cluster ``c`` is named class ``c`` (no matching);
* :func:`self_training_loss` -- cross-entropy on pseudo-labels, optionally only
  where the network is confident;
* :func:`train_class_aware` -- the loop: refresh the pseudo-labels, then
  fine-tune the encoder on ``im_weight * IM + pl_weight * CE(pseudo-labels)``.

Reference: J. Liang, D. Hu, J. Feng. Do we really need to access the source
data? Source hypothesis transfer for unsupervised domain adaptation (SHOT).
ICML 2020.
"""
from __future__ import annotations

import copy

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from ._validation import as_1d_labels, as_2d_array, check_int
from .encoders import extract_features, to_tensor
from .training import TrainConfig, _batches, _labels, get_device, progress, set_seed

__all__ = ["entropy", "im_loss", "im_terms", "spherical_kmeans", "source_centres", "cluster_pseudo_labels",
           "self_training_loss", "train_class_aware"]


def entropy(probs: torch.Tensor) -> torch.Tensor:
    """Entropy (nats) of each row of ``probs`` (shape (n, k)); returns shape (n,)."""
    return -(probs * torch.log(probs.clamp_min(1e-12))).sum(-1)


def im_terms(logits: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The two terms of information maximisation for ``logits`` of shape (n, k).

    Returns
    -------
    (cond, marg): ``cond = mean_i H(p_i)`` (0 when every prediction is one-hot) and
    ``marg = H(mean_i p_i)`` (``log k`` when the classes are used equally), 0-d tensors.
    """
    if logits.ndim != 2 or len(logits) < 1:
        raise ValueError(f"logits must have shape (n, k) with n >= 1, got {tuple(logits.shape)}")
    p = F.softmax(logits, dim=1)
    return entropy(p).mean(), entropy(p.mean(0))


def im_loss(logits: torch.Tensor, diversity: float = 1.0) -> torch.Tensor:
    """Information-maximisation loss ``mean_i H(p_i) - diversity * H(mean_i p_i)``, a 0-d tensor.

    Its minimum, ``-diversity * log k``, is reached by confident predictions that use
    every class equally often. ``diversity = 0`` leaves plain entropy minimisation, which
    can collapse every sample into one class.

    Examples
    --------
    >>> confident_balanced = torch.eye(4) * 20
    >>> bool(abs(im_loss(confident_balanced).item() + np.log(4)) < 1e-3)
    True
    """
    if not diversity >= 0:
        raise ValueError(f"diversity must be >= 0, got {diversity!r}")
    cond, marg = im_terms(logits)
    return cond - diversity * marg


def spherical_kmeans(Z, centres, n_iter: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """k-means with cosine similarity, started from ``centres``; cluster ``j`` keeps centre ``j``'s name.

    Parameters
    ----------
    Z : array of shape (n, d); rows are L2-normalised inside.
    centres : array of shape (k, d), the starting centres (e.g. source class means).
    n_iter : assignment / update rounds. A cluster that empties keeps its previous centre.

    Returns
    -------
    labels : int array of shape (n,); centres : array of shape (k, d), unit rows.
    """
    Z = as_2d_array(Z, "Z", min_samples=1)
    C = as_2d_array(centres, "centres", min_samples=2)
    if C.shape[1] != Z.shape[1]:
        raise ValueError(f"centres must have {Z.shape[1]} columns like Z, got shape {C.shape}")
    n_iter = check_int(n_iter, "n_iter", 0)
    unit = lambda A: A / np.maximum(np.linalg.norm(A, axis=1, keepdims=True), 1e-12)
    Z, C = unit(Z), unit(C)
    labels = (Z @ C.T).argmax(1)
    for _ in range(n_iter):
        for j in range(len(C)):
            if np.any(labels == j):
                C[j] = Z[labels == j].sum(0)
        C = unit(C)
        new = (Z @ C.T).argmax(1)
        if np.array_equal(new, labels):
            break
        labels = new
    return labels, C


def source_centres(net: nn.Module, Xs, ys, k: int | None = None) -> np.ndarray:
    """Mean L2-normalised feature ``net.features(x)`` of each source class, shape (k, feat_dim)."""
    ys = as_1d_labels(ys, "ys")
    k = int(ys.max()) + 1 if k is None else check_int(k, "k", 2)
    F_s = extract_features(net, Xs)
    F_s = F_s / np.maximum(np.linalg.norm(F_s, axis=1, keepdims=True), 1e-12)
    missing = [c for c in range(k) if not np.any(ys == c)]
    if missing:
        raise ValueError(f"ys has no sample of class(es) {missing}; every class in 0..{k - 1} needs one")
    return np.stack([F_s[ys == c].mean(0) for c in range(k)])


def cluster_pseudo_labels(net: nn.Module, Xt, centres, n_iter: int = 10) -> np.ndarray:
    """Pseudo-labels of the target: spherical k-means on ``net.features(Xt)`` started at ``centres``; shape (nt,)."""
    return spherical_kmeans(extract_features(net, Xt), centres, n_iter)[0]


def self_training_loss(logits: torch.Tensor, pseudo: torch.Tensor, threshold: float = 0.0) -> torch.Tensor:
    """Cross-entropy on pseudo-labels where the network's own confidence ``max p >= threshold``.

    ``threshold = 0`` keeps every sample (SHOT's clustering loss); ``threshold = 0.9``
    is confident-only self-training. Returns 0 (with a gradient path) when no sample passes.
    """
    if not 0.0 <= threshold < 1.0:
        raise ValueError(f"threshold must be in [0, 1), got {threshold!r}")
    if logits.ndim != 2 or pseudo.shape != (len(logits),):
        raise ValueError(f"logits must be (n, k) and pseudo (n,), got {tuple(logits.shape)} and {tuple(pseudo.shape)}")
    keep = F.softmax(logits, 1).max(1).values.detach() >= threshold
    if not keep.any():
        return logits.sum() * 0.0
    return F.cross_entropy(logits[keep], pseudo[keep])


def train_class_aware(net: nn.Module, Xt, cfg: TrainConfig | None = None, im_weight: float = 1.0,
                      diversity: float = 1.0, pl_weight: float = 0.3, threshold: float = 0.0,
                      centres=None, Xs=None, ys=None, freeze_head: bool = True, classes=None,
                      yt_eval=None) -> dict[str, list]:
    """Adapt ``net`` to the unlabelled target with information maximisation and cluster pseudo-labels.

    At the start of every epoch the pseudo-labels are refreshed: spherical
    k-means on the current target features, started at the class centres
    (``centres``, or the source class centres of the current encoder when ``Xs, ys``
    are given). Then each target batch minimises

    ``im_weight * im_loss(logits, diversity) + pl_weight * self_training_loss(logits, pseudo, threshold)``

    with the head frozen (``freeze_head``: the source hypothesis is kept, the encoder moves to fit it).

    Parameters
    ----------
    net : module with ``features`` and ``head``.
    Xt : unlabelled target images, shape (nt, C, H, W).
    cfg : epochs, batch size, lr, seed, progress bar.
    im_weight, diversity : weight of the IM loss and of its diversity term.
    pl_weight : weight of the pseudo-label loss (0: IM only, no clustering needed).
    threshold : keep only pseudo-labelled samples whose confidence reaches it.
    centres : array (k, feat_dim) to start k-means from; ignored when ``Xs, ys`` are given.
    Xs, ys : labelled source images whose class centres start k-means (recomputed at each refresh).
    freeze_head : keep ``net.head`` fixed.
    classes : optional subset of class indices believed present in the target (partial-set
        adaptation): the logits of the other classes are masked out of every loss and k-means
        starts only from these classes' centres. Predict with the same mask afterwards.
    yt_eval : optional target labels, used *only* to report ``pl_acc`` and ``target_acc``.

    Returns
    -------
    dict of per-epoch lists: ``im``, ``cond`` (mean entropy), ``marg`` (entropy of the mean),
    ``pl`` (pseudo-label loss), ``pl_changed`` (share of pseudo-labels changed by the refresh),
    ``checkpoints`` (state dicts, after each epoch), and ``pl_acc``, ``target_acc`` when ``yt_eval`` is given.
    """
    cfg = cfg or TrainConfig()
    Xt = to_tensor(Xt, "Xt")
    for name, v in (("im_weight", im_weight), ("diversity", diversity), ("pl_weight", pl_weight)):
        if not (isinstance(v, (int, float)) and v >= 0):
            raise ValueError(f"{name} must be a number >= 0, got {v!r}")
    if pl_weight > 0 and centres is None and (Xs is None or ys is None):
        raise ValueError("pl_weight > 0 needs class centres: pass centres=... or the labelled source Xs, ys")
    if Xs is not None:
        Xs = to_tensor(Xs, "Xs")
        ys = _labels(ys, len(Xs), "ys").numpy()
    gen = set_seed(cfg.seed)
    dev = get_device(cfg.device)
    net.to(dev)
    mask = None
    if classes is not None:
        with torch.no_grad():
            k = net(Xt[:1].to(dev)).shape[1]
        classes = np.unique(as_1d_labels(classes, "classes")).astype(int)
        if classes.min() < 0 or classes.max() >= k or len(classes) < 2:
            raise ValueError(f"classes must hold at least 2 distinct indices in 0..{k - 1}, got {classes.tolist()}")
        mask = torch.full((k,), -1e4, device=dev)
        mask[torch.as_tensor(classes)] = 0.0
    params = net.encoder.parameters() if freeze_head and hasattr(net, "encoder") else (
        [p for n, p in net.named_parameters() if not (freeze_head and n.startswith("head."))])
    opt = torch.optim.Adam(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    keys = ["im", "cond", "marg", "pl", "pl_changed", "checkpoints"]
    history = {k: [] for k in keys}
    if yt_eval is not None:
        yt_eval = _labels(yt_eval, len(Xt), "yt_eval").numpy()
        history["pl_acc"], history["target_acc"] = [], []
    pseudo, feats_t = None, None  # feats_t: target features of the current encoder, reused by the next refresh
    for epoch in progress(range(cfg.num_epochs), desc="class-aware", enable=cfg.progress, leave=False):
        if pl_weight > 0:
            c0 = source_centres(net, Xs, ys) if Xs is not None else centres
            c0 = c0 if classes is None else np.asarray(c0)[classes]
            if feats_t is None:
                feats_t = extract_features(net, Xt)
            new = spherical_kmeans(feats_t, c0)[0]  # = cluster_pseudo_labels(net, Xt, c0), features computed once
            new = new if classes is None else classes[new]
            history["pl_changed"].append(float("nan") if pseudo is None else float((new != pseudo).mean()))
            pseudo = new
            if yt_eval is not None:
                history["pl_acc"].append(float((pseudo == yt_eval).mean()))
        pseudo_t = None if pseudo is None else torch.as_tensor(pseudo, dtype=torch.long)
        net.train()
        if freeze_head:
            net.head.requires_grad_(False)
        run = {k: [] for k in ["im", "cond", "marg", "pl"]}
        for idx in _batches(len(Xt), cfg.batch_size, gen):
            logits = net(Xt[idx].to(dev))
            logits = logits if mask is None else logits + mask
            cond, marg = im_terms(logits)
            im = cond - diversity * marg
            pl = self_training_loss(logits, pseudo_t[idx].to(dev), threshold) if pl_weight > 0 else logits.sum() * 0
            loss = im_weight * im + pl_weight * pl
            opt.zero_grad()
            loss.backward()
            opt.step()
            for k, v in (("im", im), ("cond", cond), ("marg", marg), ("pl", pl)):
                run[k].append(v.item())
        for k in run:
            history[k].append(float(np.mean(run[k])))
        net.eval()
        history["checkpoints"].append(copy.deepcopy({k: v.detach().cpu() for k, v in net.state_dict().items()}))
        last = epoch == cfg.num_epochs - 1
        feats_t = extract_features(net, Xt) if yt_eval is not None or (pl_weight > 0 and not last) else None
        if yt_eval is not None:  # analysis only: the head on the features the next refresh clusters
            with torch.no_grad():
                out = net.head(torch.as_tensor(feats_t).to(dev)).cpu()
                pred = (out if mask is None else out + mask.cpu()).argmax(1)
            history["target_acc"].append(float((pred.numpy() == yt_eval).mean()))
    if freeze_head:
        net.head.requires_grad_(True)
    net.eval()
    return history
