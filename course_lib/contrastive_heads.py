"""Contrastive shared spaces: a projection head per modality trained with the symmetric InfoNCE loss.

:class:`ContrastiveSpace` has the shape of the classical methods of :mod:`course_lib.shared_space`
(``fit(*views)``, ``transform(X, view=v)``) and learns a projection head per view (``nn.Module``) with
:func:`info_nce` and a learnable temperature, for two views or more (all pairs of views).
:func:`train_heads` is its training loop and :func:`check_training_settings` its argument checks, shared
with :class:`course_lib.trimodal.TriModalSpace`. Everything here is also importable from
:mod:`course_lib.shared_space`.

References
----------
van den Oord, Li & Vinyals (2018), "Representation learning with contrastive predictive coding" (InfoNCE).
Radford et al. (2021), "Learning transferable visual models from natural language supervision", ICML
(symmetric loss, learnable temperature).
"""
from __future__ import annotations

import math
import time

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from ._paired_views import paired_views, view_input
from ._validation import as_1d_labels, as_2d_tensor, check_int, check_same_length

__all__ = ["info_nce", "train_heads", "check_training_settings", "ProjectionHead", "ContrastiveSpace"]


def info_nce(za: torch.Tensor, zb: torch.Tensor, logit_scale, groups=None) -> torch.Tensor:
    """Symmetric InfoNCE loss of a batch of paired embeddings (row i of ``za`` pairs with row i of ``zb``).

    ``logits = s * normalise(za) normalise(zb)^T``; the loss is the mean of the cross-entropy of each
    row (a -> b) and of each column (b -> a) with the diagonal as the target:

        L = 1/2 [ -1/n sum_i log softmax_j(logits)_ii  - 1/n sum_j log softmax_i(logits)_jj ].

    Symmetric in ``(za, zb)``; at least 0, and ``log n`` for ``n`` pairs when all logits are equal
    (chance). ``groups`` (e.g. the image id of each caption) removes the off-diagonal pairs of the same
    group from the negatives, so that two captions of one image in a batch are not pushed apart.

    Parameters
    ----------
    za, zb : torch.Tensor, shape (n, d)
    logit_scale : float or 0-d tensor
        ``s = 1 / temperature`` (> 0).
    groups : array-like of shape (n,), optional

    Returns
    -------
    torch.Tensor, 0-d

    Examples
    --------
    >>> z = torch.eye(3)
    >>> bool(info_nce(z, z, 10.0) < info_nce(z, z.roll(1, 0), 10.0))
    True
    """
    za, zb = as_2d_tensor(za, "za"), as_2d_tensor(zb, "zb")
    if za.shape != zb.shape:
        raise ValueError(f"za and zb must have the same shape (paired rows); got {tuple(za.shape)} and "
                         f"{tuple(zb.shape)}")
    s = torch.as_tensor(logit_scale, dtype=za.dtype, device=za.device)
    if s.ndim != 0 or not bool(s > 0):
        raise ValueError(f"logit_scale must be a positive scalar, got {logit_scale!r}")
    logits = s * F.normalize(za, dim=1) @ F.normalize(zb, dim=1).T
    n = len(za)
    if groups is not None:
        g = torch.as_tensor(np.asarray(as_1d_labels(groups, "groups")) if not isinstance(groups, torch.Tensor)
                            else groups, device=za.device)
        if g.shape != (n,):
            raise ValueError(f"groups must have shape ({n},), one group per row; got {tuple(g.shape)}")
        same = (g[:, None] == g[None, :]) & ~torch.eye(n, dtype=torch.bool, device=za.device)
        logits = logits.masked_fill(same, float("-inf"))
    target = torch.arange(n, device=za.device)
    return 0.5 * (F.cross_entropy(logits, target) + F.cross_entropy(logits.T, target))


class ProjectionHead(nn.Module):
    """Map one modality's features into the shared space: Linear (-> ReLU -> Dropout -> Linear).

    Parameters
    ----------
    in_dim, out_dim : int
    hidden : int or None
        Width of the hidden layer; None: a single linear map.
    dropout : float
    """

    def __init__(self, in_dim: int, out_dim: int, hidden: int | None = 256, dropout: float = 0.1):
        super().__init__()
        in_dim, out_dim = check_int(in_dim, "in_dim", 1), check_int(out_dim, "out_dim", 1)
        if hidden is None:
            self.net = nn.Linear(in_dim, out_dim)
        else:
            hidden = check_int(hidden, "hidden", 1)
            self.net = nn.Sequential(nn.Linear(in_dim, hidden), nn.ReLU(), nn.Dropout(dropout),
                                     nn.Linear(hidden, out_dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(n, in_dim) -> (n, out_dim), not normalised (the loss and ``transform`` normalise)."""
        return self.net(x)


def check_training_settings(n_components, num_epochs, batch_size, seed, temperature, lr) -> tuple[int, int, int, int]:
    """Validate the settings shared by the contrastive spaces; returns the four integers.

    Raises
    ------
    ValueError
        Naming the argument: ``n_components``, ``num_epochs`` >= 1, ``batch_size`` >= 2, ``seed`` >= 0,
        ``temperature`` in (0, 10], ``lr`` > 0.
    """
    ints = (check_int(n_components, "n_components", 1), check_int(num_epochs, "num_epochs", 1),
            check_int(batch_size, "batch_size", 2), check_int(seed, "seed", 0))
    if not (isinstance(temperature, (int, float)) and 0 < temperature <= 10):
        raise ValueError(f"temperature must be a number in (0, 10], got {temperature!r}")
    if not (isinstance(lr, (int, float)) and lr > 0):
        raise ValueError(f"lr must be a number > 0, got {lr!r}")
    return ints


def train_heads(heads, data, groups, log_scale, opt, gen, batch_size: int, epochs) -> list[float]:
    """The training loop of the contrastive spaces: :func:`info_nce` averaged over every pair of views.

    Each epoch shuffles the ``n`` rows with ``gen``, walks them in batches of ``batch_size`` (a last batch
    of one row is skipped), embeds each view's batch with its head, steps ``opt`` and clips the learned
    log-scale at ``log 100`` (as in CLIP). Shared by :class:`ContrastiveSpace` and
    :class:`course_lib.trimodal.TriModalSpace`.

    Parameters
    ----------
    heads : sequence of nn.Module, one per view, mapping (b, d_v) to (b, k).
    data : list of tensors (n, d_v), on the heads' device.
    groups : tensor (n,) of int or None (see :func:`info_nce`).
    log_scale : 0-d parameter, ``log(1 / temperature)``.
    opt : the optimiser of the heads (and of ``log_scale`` when it is learned).
    gen : torch.Generator for the shuffles.
    batch_size : int
    epochs : iterable with one item per epoch (e.g. ``range(num_epochs)`` or a progress bar over it).

    Returns
    -------
    list of the mean training loss of each epoch.
    """
    n, device = len(data[0]), data[0].device
    pairs = [(a, b) for a in range(len(data)) for b in range(a + 1, len(data))]
    history = []
    for module in heads:
        module.train()
    for _ in epochs:
        perm, total = torch.randperm(n, generator=gen), 0.0
        for i in range(0, n - 1, batch_size):
            idx = perm[i:i + batch_size]
            if len(idx) < 2:
                continue
            z = [h(d[idx.to(device)]) for h, d in zip(heads, data)]
            g = None if groups is None else groups[idx].to(device)
            loss = sum(info_nce(z[a], z[b], log_scale.exp(), g) for a, b in pairs) / len(pairs)
            opt.zero_grad()
            loss.backward()
            opt.step()
            with torch.no_grad():
                log_scale.clamp_(max=math.log(100.0))
            total += loss.item() * len(idx)
        history.append(total / n)
    return history


class ContrastiveSpace:
    """Projection heads for two or more views, trained jointly with the symmetric InfoNCE loss.

    Every step draws a batch of paired rows, embeds each view with its head and averages
    :func:`info_nce` over all pairs of views. The temperature is learned: ``logit_scale = exp(t)``
    with ``t`` a parameter initialised at ``log(1 / temperature)`` and clipped at ``log 100`` (as in
    CLIP). Inputs are standardised per feature with the training statistics.

    Parameters
    ----------
    n_components : int
        Dimension of the shared space.
    hidden : int or None
        Hidden width of each :class:`ProjectionHead` (None: linear heads).
    heads : list or None
        One entry per view: None (a :class:`ProjectionHead`) or a callable ``f(in_dim, n_components)``
        that returns an ``nn.Module`` mapping (n, in_dim) to (n, n_components), e.g. a
        :class:`course_lib.fusion.FusionEncoder`. It is called inside :meth:`fit` after seeding, so the
        initialisation follows ``seed``.
    temperature : float
        Initial temperature.
    learn_temperature : bool
    num_epochs, batch_size, lr, weight_decay, dropout : training settings (Adam).
    seed : int
    progress : bool
        A progress bar over epochs.

    Attributes
    ----------
    heads_ : nn.ModuleList
    logit_scale_ : float
        Final ``1 / temperature``.
    history_ : list of float
        Mean training loss per epoch.
    fit_time_ : float
        Seconds spent in :meth:`fit`.
    """

    def __init__(self, n_components: int = 64, hidden: int | None = 256, heads=None, temperature: float = 0.07,
                 learn_temperature: bool = True, num_epochs: int = 30, batch_size: int = 256, lr: float = 1e-3,
                 weight_decay: float = 1e-4, dropout: float = 0.1, seed: int = 0, progress: bool = False):
        self.n_components, self.num_epochs, self.batch_size, self.seed = check_training_settings(
            n_components, num_epochs, batch_size, seed, temperature, lr)
        self.hidden, self.heads, self.temperature = hidden, heads, float(temperature)
        self.learn_temperature, self.lr, self.weight_decay = bool(learn_temperature), float(lr), float(weight_decay)
        self.dropout, self.progress = float(dropout), bool(progress)

    def fit(self, *views, groups=None) -> "ContrastiveSpace":
        """Train on two or more paired views of shapes (n, d_v); ``groups`` (n,) as in :func:`info_nce`."""
        from .training import progress as bar

        start = time.perf_counter()
        views = paired_views(views, 2)
        n = len(views[0])
        if groups is not None:
            groups = as_1d_labels(groups, "groups")
            check_same_length(views[0], groups, "views[0]", "groups")
            groups = torch.as_tensor(np.unique(groups, return_inverse=True)[1])
        if self.heads is not None and (len(self.heads) != len(views)
                                       or not all(f is None or callable(f) for f in self.heads)):
            raise ValueError(f"heads must be a list of {len(views)} entries (one per view), each None or a "
                             f"callable (in_dim, n_components) -> nn.Module; got {self.heads!r}")
        self.means_ = [V.mean(0) for V in views]
        self.scales_ = [np.where(V.std(0) > 1e-8, V.std(0), 1.0) for V in views]
        data = [torch.as_tensor((V - m) / s, dtype=torch.float32) for V, m, s in zip(views, self.means_, self.scales_)]
        gen = torch.Generator().manual_seed(self.seed)
        torch.manual_seed(self.seed)
        makers = self.heads if self.heads is not None else [None] * len(views)
        self.heads_ = nn.ModuleList([
            ProjectionHead(V.shape[1], self.n_components, self.hidden, self.dropout) if f is None
            else f(V.shape[1], self.n_components) for f, V in zip(makers, views)])
        t = nn.Parameter(torch.tensor(math.log(1 / self.temperature)), requires_grad=self.learn_temperature)
        params = list(self.heads_.parameters()) + ([t] if self.learn_temperature else [])
        opt = torch.optim.Adam(params, lr=self.lr, weight_decay=self.weight_decay)
        self.history_ = train_heads(self.heads_, data, groups, t, opt, gen, self.batch_size,
                                    bar(range(self.num_epochs), desc="contrastive heads", enable=self.progress))
        self.heads_.eval()
        self.logit_scale_ = float(t.detach().exp())
        self.fit_time_ = time.perf_counter() - start
        return self

    @torch.no_grad()
    def transform(self, X, view: int = 0) -> np.ndarray:
        """Embed samples of one view: unit-length rows, shape (n, n_components)."""
        view, X = view_input(self, "heads_", view, X)
        x = torch.as_tensor((X - self.means_[view]) / self.scales_[view], dtype=torch.float32)
        return F.normalize(self.heads_[view](x), dim=1).numpy().astype(np.float64)
