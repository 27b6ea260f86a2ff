"""Fusion of several features (or modalities) of one item into one vector: mean, weighted mean,
concatenation + MLP, attention.

Features from different extractors live in different spaces (ImageNet CNN 1280-d, a source CNN,
HOG), so the three learned-projection strategies first map each input ``x_m`` to a common width
``p_m = W_m x_m`` and then combine:

* ``"mean"``: ``z = (1/M) sum_m p_m``;
* ``"weighted"``: ``z = sum_m a_m p_m`` with ``a = softmax(w)``, one learned weight per input, the
  same for every sample;
* ``"attention"``: ``z = sum_m a_m(x) p_m`` with ``a(x) = softmax_m(v^T tanh(U p_m))``, weights
  computed per sample (additive attention, Bahdanau et al. 2015);
* ``"concat"``: ``z = MLP([x_1, ..., x_M])``, a small MLP over the concatenated inputs.

The weights of ``"weighted"`` and ``"attention"`` are non-negative and sum to 1 over the inputs
(tested). :class:`FusionEncoder` takes the inputs side by side in one matrix (the shape the
training code passes around) and splits it by ``dims``.

Without training, :func:`fuse_similarities` fuses at the score level: a weighted mean of the
per-feature cosine similarity matrices.

References
----------
Bahdanau, Cho & Bengio (2015), "Neural machine translation by jointly learning to align and
translate", ICLR (additive attention). Baltrušaitis, Ahuja & Morency (2019), "Multimodal machine
learning: a survey and taxonomy", IEEE TPAMI (early / late fusion).
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ._validation import as_2d_array, check_int

__all__ = ["STRATEGIES", "attention_weights", "fuse_similarities", "FusionEncoder"]

STRATEGIES = ("mean", "weighted", "concat", "attention")


def attention_weights(scores: torch.Tensor) -> torch.Tensor:
    """Softmax over the inputs: ``a[n, m] = exp(s[n, m]) / sum_m' exp(s[n, m'])``.

    Parameters
    ----------
    scores : torch.Tensor, shape (n, M) or (M,)

    Returns
    -------
    torch.Tensor of the same shape; non-negative, each row sums to 1.

    Examples
    --------
    >>> attention_weights(torch.zeros(2, 4)).tolist()
    [[0.25, 0.25, 0.25, 0.25], [0.25, 0.25, 0.25, 0.25]]
    """
    if not isinstance(scores, torch.Tensor) or scores.ndim not in (1, 2) or scores.shape[-1] < 1:
        raise ValueError(f"scores must be a tensor of shape (n, M) or (M,), got "
                         f"{getattr(scores, 'shape', type(scores).__name__)}")
    return torch.softmax(scores, dim=-1)


def fuse_similarities(sims, weights=None) -> np.ndarray:
    """Late fusion: ``sum_m w_m sim_m / sum_m w_m`` of similarity matrices of one shape.

    Parameters
    ----------
    sims : sequence of array-like, each of shape (n_q, n_g)
    weights : sequence of float >= 0 (not all 0), or None for the plain mean

    Returns
    -------
    numpy.ndarray, shape (n_q, n_g)

    Examples
    --------
    >>> fuse_similarities([[[1.0, 0.0]], [[0.0, 1.0]]], weights=[3, 1]).tolist()
    [[0.75, 0.25]]
    """
    if len(sims) < 1:
        raise ValueError("sims must hold at least one similarity matrix, got none")
    mats = [as_2d_array(s, f"sims[{i}]", min_samples=1) for i, s in enumerate(sims)]
    for i, m in enumerate(mats[1:], 1):
        if m.shape != mats[0].shape:
            raise ValueError(f"sims[{i}] has shape {m.shape}, sims[0] has {mats[0].shape}; all must match")
    w = np.ones(len(mats)) if weights is None else np.asarray(weights, dtype=float)
    if w.shape != (len(mats),) or np.any(w < 0) or not w.sum() > 0:
        raise ValueError(f"weights must be {len(mats)} non-negative numbers, not all 0; got {weights!r}")
    return sum(wi * m for wi, m in zip(w, mats)) / w.sum()


class FusionEncoder(nn.Module):
    """Fuse ``M`` feature blocks, given side by side, into one ``out_dim`` vector per sample.

    Parameters
    ----------
    dims : sequence of int
        Width of each block; the input has ``sum(dims)`` columns, block ``m`` first after block ``m-1``.
    out_dim : int
    strategy : {"mean", "weighted", "concat", "attention"}
    hidden : int
        Hidden width of the per-block projections (two layers) and of the concat MLP.
    dropout : float

    Examples
    --------
    >>> enc = FusionEncoder([3, 5], out_dim=4, strategy="attention")
    >>> x = torch.randn(7, 8)
    >>> tuple(enc(x).shape), bool(torch.allclose(enc.weights(x).sum(1), torch.ones(7)))
    ((7, 4), True)
    """

    def __init__(self, dims, out_dim: int, strategy: str = "attention", hidden: int = 256, dropout: float = 0.1):
        super().__init__()
        if strategy not in STRATEGIES:
            raise ValueError(f"strategy must be one of {STRATEGIES}, got {strategy!r}")
        dims = [check_int(d, "dims[i]", 1) for d in dims]
        if len(dims) < 1:
            raise ValueError("dims must list at least one block width, got none")
        out_dim, hidden = check_int(out_dim, "out_dim", 1), check_int(hidden, "hidden", 1)
        self.dims, self.strategy = dims, strategy
        if strategy == "concat":
            self.mlp = nn.Sequential(nn.Linear(sum(dims), hidden), nn.ReLU(), nn.Dropout(dropout),
                                     nn.Linear(hidden, out_dim))
            return
        self.proj = nn.ModuleList(nn.Sequential(nn.Linear(d, hidden), nn.ReLU(), nn.Dropout(dropout),
                                                nn.Linear(hidden, out_dim)) for d in dims)
        if strategy == "weighted":
            self.logits = nn.Parameter(torch.zeros(len(dims)))
        elif strategy == "attention":
            self.score = nn.Sequential(nn.Linear(out_dim, hidden // 4 or 1), nn.Tanh(),
                                       nn.Linear(hidden // 4 or 1, 1, bias=False))

    def _split(self, x: torch.Tensor) -> list[torch.Tensor]:
        if x.ndim != 2 or x.shape[1] != sum(self.dims):
            raise ValueError(f"x must have shape (n, {sum(self.dims)}) (blocks of widths {self.dims} side by "
                             f"side); got {tuple(x.shape)}")
        return list(torch.split(x, self.dims, dim=1))

    def weights(self, x: torch.Tensor) -> torch.Tensor:
        """Fusion weights per sample, shape (n, M), rows summing to 1 (uniform for "mean").

        Raises ValueError for ``"concat"``, which has no per-block weights.
        """
        if self.strategy == "concat":
            raise ValueError("strategy='concat' has no per-block weights; use 'mean', 'weighted' or 'attention'")
        n = self._split(x)[0].shape[0]
        if self.strategy == "mean":
            return torch.full((n, len(self.dims)), 1.0 / len(self.dims), device=x.device)
        if self.strategy == "weighted":
            return attention_weights(self.logits).expand(n, -1)
        p = torch.stack([f(b) for f, b in zip(self.proj, self._split(x))], dim=1)  # (n, M, out_dim)
        return attention_weights(self.score(p).squeeze(-1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(n, sum(dims)) -> (n, out_dim)."""
        blocks = self._split(x)
        if self.strategy == "concat":
            return self.mlp(x)
        p = torch.stack([f(b) for f, b in zip(self.proj, blocks)], dim=1)  # (n, M, out_dim)
        if self.strategy == "mean":
            return p.mean(1)
        a = attention_weights(self.logits) if self.strategy == "weighted" else attention_weights(
            self.score(p).squeeze(-1))
        return (a.unsqueeze(-1) * p).sum(1)
