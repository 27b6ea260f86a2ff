"""Adversarial domain adaptation: gradient reversal, DANN and CDAN.

A domain discriminator ``D`` learns to tell source features from target
features; the feature extractor ``f`` is trained to fool it. Both happen in one
backward pass thanks to the **gradient reversal layer** (GRL): identity in the
forward pass, gradient times ``-lambda`` in the backward pass (Ganin &
Lempitsky 2015). One step of :func:`train_adversarial` minimises

.. math:: \\mathrm{CE}(h(f(x_s)), y_s) + \\mathrm{BCE}(D(\\mathrm{GRL}_\\lambda(z_s)), 1)
          + \\mathrm{BCE}(D(\\mathrm{GRL}_\\lambda(z_t)), 0)

where ``z = f(x)`` for DANN and ``z = f(x) \\otimes softmax(h(f(x)))`` for
CDAN (Long et al. 2018), which conditions the discriminator on the class
prediction; CDAN+E weights each sample by ``1 + exp(-H(p))`` so that confident
predictions count more. Target labels are never read (``yt_eval`` only
measures, after each epoch, for analysis).
"""
from __future__ import annotations

import copy

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from ._validation import check_int
from .encoders import to_tensor
from .training import TrainConfig, _batches, _labels, get_device, progress, rampup_weight, set_seed

__all__ = ["cached_training", "GradientReversalFn", "grad_reverse", "GradientReversal", "dann_lambda", "DomainDiscriminator",
           "multilinear_map", "entropy_weights", "domain_loss", "train_adversarial", "ADVERSARIAL_METHODS"]

ADVERSARIAL_METHODS = ("DANN", "CDAN", "CDAN+E")


class GradientReversalFn(torch.autograd.Function):
    """``y = x`` forward; ``dL/dx = -lambda * dL/dy`` backward."""

    @staticmethod
    def forward(ctx, x, lambd):
        ctx.lambd = float(lambd)
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad_output):
        return -ctx.lambd * grad_output, None


def grad_reverse(x: torch.Tensor, lambd: float = 1.0) -> torch.Tensor:
    """Apply gradient reversal with strength ``lambd >= 0`` to ``x`` (any shape).

    Examples
    --------
    >>> x = torch.ones(3, requires_grad=True)
    >>> grad_reverse(x, 0.5).sum().backward()
    >>> x.grad
    tensor([-0.5000, -0.5000, -0.5000])
    """
    if not (isinstance(lambd, (int, float)) and np.isfinite(lambd) and lambd >= 0):
        raise ValueError(f"lambd must be a finite number >= 0, got {lambd!r}")
    return GradientReversalFn.apply(x, lambd)


class GradientReversal(nn.Module):
    """Module form of :func:`grad_reverse`; set ``.lambd`` to change the strength during training."""

    def __init__(self, lambd: float = 1.0):
        super().__init__()
        grad_reverse(torch.zeros(1), lambd)  # validates lambd
        self.lambd = float(lambd)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return grad_reverse(x, self.lambd)


def dann_lambda(progress: float, gamma: float = 10.0, max_lambda: float = 1.0) -> float:
    """The DANN schedule ``max_lambda * (2 / (1 + exp(-gamma p)) - 1)`` for training progress ``p`` in [0, 1].

    Starts at 0 (the discriminator's early, noisy gradients do not reach the
    features) and approaches ``max_lambda``. Reference: Ganin et al., JMLR 2016.
    """
    if not 0.0 <= progress <= 1.0:
        raise ValueError(f"progress must be in [0, 1], got {progress!r}")
    if not max_lambda >= 0:
        raise ValueError(f"max_lambda must be >= 0, got {max_lambda!r}")
    return max_lambda * rampup_weight(progress, gamma)


class DomainDiscriminator(nn.Module):
    """MLP ``(n, in_dim) -> (n,)`` domain logits (positive: source).

    Parameters
    ----------
    in_dim : input size (feature size for DANN, ``feat_dim * num_classes`` for CDAN).
    hidden : width of the two hidden layers.
    """

    def __init__(self, in_dim: int, hidden: int = 128):
        super().__init__()
        in_dim, hidden = check_int(in_dim, "in_dim", 1), check_int(hidden, "hidden", 1)
        self.net = nn.Sequential(nn.Linear(in_dim, hidden), nn.ReLU(), nn.Dropout(0.2),
                                 nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, 1))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z).squeeze(1)


def multilinear_map(feats: torch.Tensor, probs: torch.Tensor) -> torch.Tensor:
    """CDAN's conditioning: the outer product of features and class probabilities, flattened.

    Parameters
    ----------
    feats : tensor of shape (n, d).
    probs : tensor of shape (n, k), rows of class probabilities.

    Returns
    -------
    tensor of shape (n, d * k) with entry ``[i, a * k + c] = feats[i, a] * probs[i, c]``.
    """
    if feats.ndim != 2 or probs.ndim != 2 or len(feats) != len(probs):
        raise ValueError(f"feats and probs must be 2-d with the same number of rows, got shapes "
                         f"{tuple(feats.shape)} and {tuple(probs.shape)}")
    return torch.bmm(feats.unsqueeze(2), probs.unsqueeze(1)).flatten(1)


def entropy_weights(probs: torch.Tensor) -> torch.Tensor:
    """CDAN+E sample weights ``1 + exp(-H(p_i))``, normalised to mean 1; shape (n,). No gradient flows."""
    if probs.ndim != 2:
        raise ValueError(f"probs must have shape (n, k), got {tuple(probs.shape)}")
    p = probs.detach()
    h = -(p * torch.log(p.clamp_min(1e-12))).sum(1)
    w = 1.0 + torch.exp(-h)
    return w / w.mean()


def domain_loss(logits_s: torch.Tensor, logits_t: torch.Tensor, ws: torch.Tensor | None = None,
                wt: torch.Tensor | None = None) -> torch.Tensor:
    """Binary cross-entropy of the discriminator: source labelled 1, target 0 (optionally weighted).

    Returns the mean of the two domains' losses, a 0-d tensor; the batches may differ in size.
    """
    ls = F.binary_cross_entropy_with_logits(logits_s, torch.ones_like(logits_s), weight=ws)
    lt = F.binary_cross_entropy_with_logits(logits_t, torch.zeros_like(logits_t), weight=wt)
    return 0.5 * (ls + lt)


def train_adversarial(net: nn.Module, Xs, ys, Xt, method: str = "DANN", weight: float = 1.0,
                      cfg: TrainConfig | None = None, disc: nn.Module | None = None, gamma: float = 10.0,
                      disc_lr: float | None = None, yt_eval=None, Xt_eval=None) -> dict[str, list]:
    """Fine-tune ``net`` adversarially (DANN, CDAN or CDAN+E); return the per-epoch history.

    Each step: a source batch and a target batch of the same size go through
    ``net.features``; the classifier loss uses source labels only; the
    discriminator sees ``GRL(z)`` with ``lambda = dann_lambda(p, gamma, weight)``.

    Parameters
    ----------
    net : module with ``features`` and ``head`` (e.g. :class:`~course_lib.encoders.SmallCNN`).
    Xs : source images (ns, C, H, W); ys : source labels (ns,).
    Xt : unlabelled target images (nt, C, H, W).
    method : "DANN", "CDAN" or "CDAN+E".
    weight : the largest reversal strength (the schedule ramps up to it).
    cfg : hyper-parameters (epochs, batch size, lr, seed, progress bar).
    disc : a discriminator; default :class:`DomainDiscriminator` of the right input size.
    gamma : steepness of the lambda schedule.
    disc_lr : learning rate of the discriminator (default ``cfg.lr``).
    yt_eval, Xt_eval : optional target labels (and images, default ``Xt``) used *only* to
        report ``target_acc`` after each epoch, for analysis; training never reads them.

    Returns
    -------
    dict of per-epoch lists: ``cls`` (source cross-entropy), ``domain`` (discriminator loss),
    ``domain_acc`` (its training accuracy on the batches), ``lambda`` (at the epoch's end),
    ``checkpoints`` (state dicts of ``net``), and ``target_acc`` when ``yt_eval`` is given; per step:
    ``step_domain_acc`` and ``step_lambda``.
    """
    if method not in ADVERSARIAL_METHODS:
        raise ValueError(f"method must be one of {ADVERSARIAL_METHODS}, got {method!r}")
    if not weight >= 0:
        raise ValueError(f"weight must be >= 0, got {weight!r}")
    cfg = cfg or TrainConfig()
    Xs, Xt = to_tensor(Xs, "Xs"), to_tensor(Xt, "Xt")
    ys = _labels(ys, len(Xs), "ys")
    if Xs.shape[1:] != Xt.shape[1:]:
        raise ValueError(f"Xs and Xt must have the same image shape, got {tuple(Xs.shape)} and {tuple(Xt.shape)}")
    gen = set_seed(cfg.seed)
    dev = get_device(cfg.device)
    net.to(dev)
    with torch.no_grad():
        net.eval()
        feat_dim = net.features(Xs[:2].to(dev)).shape[1]
        n_classes = net.head(net.features(Xs[:2].to(dev))).shape[1]
    if disc is None:
        disc = DomainDiscriminator(feat_dim if method == "DANN" else feat_dim * n_classes)
    disc.to(dev)
    grl = GradientReversal(0.0)
    opt = torch.optim.Adam([{"params": net.parameters()},
                            {"params": disc.parameters(), "lr": disc_lr or cfg.lr}],
                           lr=cfg.lr, weight_decay=cfg.weight_decay)
    total = cfg.num_epochs * max(1, len(Xs) // cfg.batch_size)
    history = {"cls": [], "domain": [], "domain_acc": [], "lambda": [], "checkpoints": [],
               "step_domain_acc": [], "step_lambda": []}
    if yt_eval is not None:
        Xt_eval = Xt if Xt_eval is None else to_tensor(Xt_eval, "Xt_eval")
        yt_eval = _labels(yt_eval, len(Xt_eval), "yt_eval")
        history["target_acc"] = []
    step = 0
    for _ in progress(range(cfg.num_epochs), desc=method, enable=cfg.progress, leave=False):
        net.train()
        disc.train()
        cls_l, dom_l, dom_acc = [], [], []
        for idx in _batches(len(Xs), cfg.batch_size, gen):
            tidx = torch.randint(len(Xt), (len(idx),), generator=gen)
            feats = net.features(torch.cat([Xs[idx], Xt[tidx]]).to(dev))
            logits = net.head(feats)
            n = len(idx)
            cls = F.cross_entropy(logits[:n], ys[idx].to(dev))
            grl.lambd = dann_lambda(step / total, gamma, weight)
            if method == "DANN":
                z = feats
            else:
                z = multilinear_map(feats, F.softmax(logits, 1).detach())
            d = disc(grl(z))
            w = entropy_weights(F.softmax(logits, 1)) if method == "CDAN+E" else None
            dom = domain_loss(d[:n], d[n:], None if w is None else w[:n], None if w is None else w[n:])
            loss = cls + dom
            opt.zero_grad()
            loss.backward()
            opt.step()
            cls_l.append(cls.item())
            dom_l.append(dom.item())
            dom_acc.append(0.5 * ((d[:n] > 0).float().mean() + (d[n:] <= 0).float().mean()).item())
            history["step_domain_acc"].append(dom_acc[-1])
            history["step_lambda"].append(grl.lambd)
            step += 1
        history["cls"].append(float(np.mean(cls_l)))
        history["domain"].append(float(np.mean(dom_l)))
        history["domain_acc"].append(float(np.mean(dom_acc)))
        history["lambda"].append(grl.lambd)
        net.eval()
        history["checkpoints"].append(copy.deepcopy({k: v.detach().cpu() for k, v in net.state_dict().items()}))
        if yt_eval is not None:
            history["target_acc"].append(_accuracy(net, Xt_eval, yt_eval, dev))
    net.eval()
    return history


@torch.no_grad()
def _accuracy(net: nn.Module, X: torch.Tensor, y: torch.Tensor, dev) -> float:
    """Accuracy of ``net`` on (X, y); for analysis after an epoch (never feeds back into training)."""
    net.eval()
    pred = torch.cat([net(X[i:i + 512].to(dev)).argmax(1).cpu() for i in range(0, len(X), 512)])
    return float((pred == y).float().mean())


def cached_training(name: str, params: dict, make_net, fit, rebuild: bool = False):
    """Like :func:`course_lib.training.cached_model`, but also caches the history that ``fit`` returns.

    ``fit(net)`` trains ``net`` in place and returns its history (a dict of lists, e.g. from
    :func:`train_adversarial`, checkpoints included). Returns ``(net, history)``; the history is
    stored beside the weights as ``models/{name}-{hash}.history.pt`` with its own manifest. The
    history may hold tensors, numbers, strings, lists and dicts (what ``torch.load(weights_only=True)``
    reads back); anything else (a NumPy array) raises a ValueError when it is first stored.
    """
    import io

    from . import cache
    from .training import cached_model

    path = cache.cache_dir("models") / f"{name}-{cache.params_key(params)}.history.pt"
    fresh = {}

    def fit_and_keep(net):
        fresh["history"] = fit(net)

    if not cache.verify(path, params):
        rebuild = True
    net = cached_model(name, params, make_net, fit_and_keep, rebuild=rebuild)
    if "history" in fresh:
        buf = io.BytesIO()
        torch.save(fresh["history"], buf)
        try:  # what cannot be read back safely must fail now, not on the next run's load
            torch.load(io.BytesIO(buf.getvalue()), map_location="cpu", weights_only=True)
        except Exception as err:
            raise ValueError(f"the history that fit returned for {name!r} holds objects that cannot be loaded back with "
                             "torch.load(weights_only=True) (e.g. NumPy arrays): store tensors, lists or numbers "
                             f"instead ({type(err).__name__})") from err
        cache.atomic_write_bytes(path, buf.getvalue())
        cache.write_manifest(path, params)
        return net, fresh["history"]
    return net, torch.load(path, map_location="cpu", weights_only=True)
