"""One shared space for images, text and speech (notebook 08): heads trained jointly, pseudo-triplets, six directions.

* :class:`TriModalSpace`: one head per modality ("view"), trained with the symmetric InfoNCE loss
  (:func:`course_lib.contrastive_heads.info_nce`) averaged over every pair of views, on the device you
  name (a GPU through the notebook's parameters cell; the heads are small enough for a CPU);
* :func:`pseudo_triplets`: triplets of unpaired items whose (pseudo-)labels agree, for training on a
  target domain that has no pairs (pseudo-labels from an adapted network, a source classifier or
  clustering: the idea of notebook 03);
* :func:`six_directions`: the retrieval report of every ordered pair of modalities at several
  relevance levels (:func:`course_lib.retrieval_metrics.cross_modal_report` for each unordered pair).

References
----------
van den Oord, Li & Vinyals (2018), "Representation learning with contrastive predictive coding"
(InfoNCE). Radford et al. (2021), "Learning transferable visual models from natural language
supervision", ICML. Tian, Krishnan & Isola (2020), "Contrastive multiview coding", ECCV (the loss
summed over all pairs of views). Harwath et al. (2018), "Jointly discovering visual objects and
spoken words from raw sensory input", ECCV (images and speech in one space).
"""
from __future__ import annotations

import math
import time
from itertools import combinations

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from ._validation import as_1d_labels, as_2d_array, check_int, check_same_length

__all__ = ["MODALITIES", "TriModalSpace", "pseudo_triplets", "six_directions"]

MODALITIES = ("image", "text", "speech")


class TriModalSpace:
    """A head per view (modality), trained jointly so that paired rows of every two views meet.

    The loss of a batch is the mean over all pairs of views ``(a, b)`` of the symmetric InfoNCE
    ``L(z_a, z_b)`` with a learned scale ``s = exp(t)`` (clipped at 100, as in CLIP); ``groups`` removes
    same-group rows from the negatives. Inputs are used as given: standardise them first (e.g. per
    domain with :func:`course_lib.multimodal_transfer.group_standardise`).

    Parameters
    ----------
    n_components : int
        Dimension of the shared space.
    hidden : int or None
        Hidden width of the default heads (Linear -> ReLU -> Dropout -> Linear); None: linear heads.
    heads : list or None
        One entry per view: None (the default head) or ``f(in_dim, n_components) -> nn.Module``
        (e.g. a :class:`course_lib.fusion.FusionEncoder`), called after seeding.
    temperature : float in (0, 10]
        Initial temperature ``1 / s``.
    num_epochs, batch_size, lr, weight_decay, dropout : training settings (Adam).
    seed : int
    device : str or None
        ``"cpu"``, ``"cuda"``, ...; None: :func:`course_lib.training.get_device`.

    Attributes
    ----------
    heads_ : nn.ModuleList (on the CPU after fitting)
    logit_scale_ : float
    history_ : list of float, the mean loss of each epoch
    fit_time_ : float, seconds

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> z = rng.normal(size=(64, 4))
    >>> views = [z @ rng.normal(size=(4, d)) for d in (5, 6, 7)]
    >>> space = TriModalSpace(8, hidden=None, num_epochs=30, batch_size=32, lr=1e-2, device="cpu").fit(*views)
    >>> space.transform(views[2], view=2).shape
    (64, 8)
    """

    def __init__(self, n_components: int = 64, hidden: int | None = 128, heads=None, temperature: float = 0.07,
                 num_epochs: int = 30, batch_size: int = 128, lr: float = 2e-3, weight_decay: float = 1e-4,
                 dropout: float = 0.1, seed: int = 0, device: str | None = None):
        from .contrastive_heads import check_training_settings

        self.n_components, self.num_epochs, self.batch_size, self.seed = check_training_settings(
            n_components, num_epochs, batch_size, seed, temperature, lr)
        self.hidden = None if hidden is None else check_int(hidden, "hidden", 1)
        if not (isinstance(dropout, (int, float)) and 0 <= dropout < 1):
            raise ValueError(f"dropout must be a number in [0, 1), got {dropout!r}")
        self.heads, self.temperature, self.lr = heads, float(temperature), float(lr)
        self.weight_decay, self.dropout, self.device = float(weight_decay), float(dropout), device

    def _head(self, in_dim: int) -> nn.Module:
        if self.hidden is None:
            return nn.Linear(in_dim, self.n_components)
        return nn.Sequential(nn.Linear(in_dim, self.hidden), nn.ReLU(), nn.Dropout(self.dropout),
                             nn.Linear(self.hidden, self.n_components))

    def fit(self, *views, groups=None) -> "TriModalSpace":
        """Train on two or more paired views of shapes (n, d_v) (row i of every view is one item);
        ``groups`` (n,): rows of one group are not each other's negatives. Returns self."""
        from .contrastive_heads import train_heads
        from .training import get_device

        start = time.perf_counter()
        if len(views) < 2:
            raise ValueError(f"views: need at least 2 paired arrays, got {len(views)}")
        arrays = [as_2d_array(V, f"views[{i}]", min_samples=2) for i, V in enumerate(views)]
        for i, V in enumerate(arrays[1:], 1):
            check_same_length(arrays[0], V, "views[0]", f"views[{i}]")
        n = len(arrays[0])
        if self.heads is not None and (len(self.heads) != len(arrays)
                                       or not all(f is None or callable(f) for f in self.heads)):
            raise ValueError(f"heads must be a list of {len(arrays)} entries (one per view), each None or a "
                             f"callable (in_dim, n_components) -> nn.Module; got {self.heads!r}")
        if groups is not None:
            groups = as_1d_labels(groups, "groups")
            check_same_length(arrays[0], groups, "views[0]", "groups")
            groups = torch.as_tensor(np.unique(groups, return_inverse=True)[1])
        device = get_device(self.device)
        data = [torch.as_tensor(V, dtype=torch.float32, device=device) for V in arrays]
        gen = torch.Generator().manual_seed(self.seed)
        torch.manual_seed(self.seed)
        makers = self.heads if self.heads is not None else [None] * len(arrays)
        heads = nn.ModuleList([self._head(V.shape[1]) if f is None else f(V.shape[1], self.n_components)
                               for f, V in zip(makers, arrays)]).to(device)
        t = nn.Parameter(torch.tensor(math.log(1 / self.temperature), device=device))
        opt = torch.optim.Adam(list(heads.parameters()) + [t], lr=self.lr, weight_decay=self.weight_decay, foreach=True)
        self.history_ = train_heads(heads, data, groups, t, opt, gen, self.batch_size, range(self.num_epochs))
        self.heads_ = heads.cpu().eval()
        self.in_dims_ = [V.shape[1] for V in arrays]
        self.logit_scale_ = float(t.detach().exp())
        self.fit_time_ = time.perf_counter() - start
        return self

    @torch.no_grad()
    def transform(self, X, view: int = 0) -> np.ndarray:
        """Embed rows of one view: (n, d_view) -> unit-length rows (n, n_components)."""
        if not hasattr(self, "heads_"):
            from sklearn.exceptions import NotFittedError
            raise NotFittedError("TriModalSpace is not fitted yet: call fit(...) first.")
        view = check_int(view, "view", 0, len(self.heads_) - 1)
        X = as_2d_array(X, "X", min_samples=1)
        if X.shape[1] != self.in_dims_[view]:
            raise ValueError(f"X must have {self.in_dims_[view]} features for view {view}; got {X.shape}")
        return F.normalize(self.heads_[view](torch.as_tensor(X, dtype=torch.float32)), dim=1).numpy().astype(np.float64)


def pseudo_triplets(labels, n_per_class: int, seed: int = 0) -> np.ndarray:
    """Triplets (or tuples) of unpaired items whose labels agree, drawn at random per class.

    Parameters
    ----------
    labels : sequence of V arrays, array v of shape (n_v,)
        The (pseudo-)label of every item of view v; the views need not have the same length.
    n_per_class : int >= 1
        Tuples drawn for each label present in every view (with replacement within the class).
    seed : int

    Returns
    -------
    idx : int array of shape (m, V)
        Row j gives one item of each view, all with the same label; m = n_per_class x (labels present
        in every view), grouped by label in increasing order.

    Examples
    --------
    >>> pseudo_triplets([[0, 1, 1], [1, 0], [0, 0, 1]], 2, seed=0).shape
    (4, 3)
    """
    if len(labels) < 2:
        raise ValueError(f"labels must hold at least 2 arrays (one per view), got {len(labels)}")
    labels = [as_1d_labels(y, f"labels[{v}]") for v, y in enumerate(labels)]
    n_per_class = check_int(n_per_class, "n_per_class", 1)
    rng = np.random.default_rng(seed)
    common = sorted(set.intersection(*(set(np.unique(y).tolist()) for y in labels)))
    if not common:
        raise ValueError("labels: no label is present in every view, so no tuple can be drawn")
    rows = [np.stack([rng.choice(np.flatnonzero(y == c), n_per_class) for y in labels], axis=1) for c in common]
    return np.concatenate(rows).astype(int)


def six_directions(Z: dict, levels: dict, ks=(1, 5, 10), top1_levels=("class",)) -> list[dict]:
    """Retrieval in both directions between every two modalities, at each relevance level.

    Parameters
    ----------
    Z : dict {modality: array (n_m, d)}
        Embeddings of each modality's gallery in one shared space (compared by cosine similarity).
    levels : dict {level: {modality: labels (n_m,)}}
        e.g. ``{"class": {"image": y_i, ...}, "instance": {"image": image_id_i, ...}}``; an item is
        relevant to a query when their labels are equal.
    ks : the K of Recall@K.
    top1_levels : levels whose rows also get the top-1 ``accuracy``, macro ``recall`` and ``f1`` of
        :func:`course_lib.retrieval_metrics.top1_scores` (meaningful for class labels; costly).

    Returns
    -------
    list of dict, one per (direction, level), directions in the order ``a -> b``, ``b -> a`` for each
    pair of modalities in ``Z``'s order: ``direction`` ("image -> speech", ...), ``level``, ``R@k``,
    ``mAP``, ``MRR``, ``MedR`` (and the top-1 scores for ``top1_levels``).

    Examples
    --------
    >>> Z = {"image": np.eye(2), "text": np.eye(2), "speech": np.eye(2)}
    >>> rows = six_directions(Z, {"class": {m: [0, 1] for m in Z}}, ks=(1,))
    >>> [r["direction"] for r in rows][:2], rows[0]["R@1"]
    (['image -> text', 'text -> image'], 1.0)
    """
    from .retrieval import cosine_similarity
    from .retrieval_metrics import relevance, retrieval_report, top1_scores

    if not isinstance(Z, dict) or len(Z) < 2:
        raise ValueError(f"Z must be a dict of at least 2 modalities' embeddings, got {type(Z).__name__}")
    if not isinstance(levels, dict) or not levels:
        raise ValueError("levels must be a non-empty dict {level: {modality: labels}}")
    for level, lab in levels.items():
        if not isinstance(lab, dict) or set(lab) != set(Z):
            raise ValueError(f"levels[{level!r}] must give labels for exactly the modalities {sorted(Z)}")
        for m, y in lab.items():
            if len(y) != len(Z[m]):
                raise ValueError(f"levels[{level!r}][{m!r}] has {len(y)} labels for {len(Z[m])} embeddings")
    rows = []
    for a, b in combinations(list(Z), 2):
        sim = cosine_similarity(Z[a], Z[b])
        for q, g, s in ((a, b, sim), (b, a, sim.T)):
            for level, lab in levels.items():
                row = {"direction": f"{q} -> {g}", "level": level}
                row.update(retrieval_report(s, relevance(lab[q], lab[g]), ks))
                if level in top1_levels:
                    row.update(top1_scores(s, lab[q], lab[g]))
                rows.append(row)
    return rows
