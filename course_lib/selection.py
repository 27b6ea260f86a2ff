"""Label-free model selection and transferability: choosing without target labels.

In unsupervised domain adaptation the target has no labels, so a
hyper-parameter or a checkpoint has to be chosen by a criterion that reads
none. Each criterion below is a pure function of what the network produces on
the unlabelled target (or of labelled *source* data); higher is better:

* :func:`source_accuracy` -- accuracy on held-out source data (blind to the target);
* :func:`im_score` -- ``H(mean p) - mean H(p)``: confident and diverse target predictions;
* :func:`snd` -- soft neighbourhood density (Saito et al. 2021): target points
  whose predictions have close, consistent neighbours;
* :func:`feature_silhouette` -- cosine silhouette of the target features
  grouped by the predicted class;
* :func:`ensemble_agreement` -- EnsV (Hu et al. 2024): agreement of each candidate
  with the ensemble of all candidates (a criterion of the whole candidate set).

:func:`select` picks the best candidate by one of them, and
:func:`transferability_score` asks, before any adaptation, whether the source
classifier's classes agree with the target's own clusters.
"""
from __future__ import annotations

from typing import Callable, Mapping, Sequence

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from ._validation import as_2d_array, as_1d_labels, check_int, check_same_length
from .encoders import extract_features, to_tensor

__all__ = ["predict_proba", "features_and_proba", "source_accuracy", "im_score", "snd", "feature_silhouette", "criteria",
           "criteria_from_outputs", "CRITERIA", "select", "ensemble_agreement", "transferability_score", "class_coverage", "present_classes"]

CRITERIA = ("source accuracy", "IM score", "SND", "silhouette")


def _probs(P, name: str = "probs") -> np.ndarray:
    P = as_2d_array(P, name, min_samples=1)
    if (P < -1e-6).any() or not np.allclose(P.sum(1), 1.0, atol=1e-4):
        raise ValueError(f"{name} must hold probability rows (>= 0, summing to 1), got shape {P.shape}")
    return np.clip(P, 0, 1)


@torch.no_grad()
def predict_proba(net: nn.Module, X, batch_size: int = 512) -> np.ndarray:
    """Softmax outputs of ``net`` on ``X`` (n, C, H, W), in eval mode; shape (n, num_classes)."""
    X = to_tensor(X, "X")
    net.eval()
    dev = next(net.parameters()).device
    return torch.cat([F.softmax(net(X[i:i + batch_size].to(dev)), 1).cpu()
                      for i in range(0, len(X), batch_size)]).numpy()


@torch.no_grad()
def features_and_proba(net: nn.Module, X, batch_size: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """Features ``net.features(X)`` and softmax outputs ``softmax(net.head(features))`` from one pass.

    For a network whose ``forward`` is ``head(features(x))`` (e.g. :class:`~course_lib.encoders.SmallCNN`)
    this gives what :func:`~course_lib.encoders.extract_features` and :func:`predict_proba` give, at the
    cost of one forward pass instead of two.

    Parameters
    ----------
    net : module with ``features`` and ``head``.
    X : images of shape (n, C, H, W).

    Returns
    -------
    (feats, probs): float32 arrays of shapes (n, feat_dim) and (n, num_classes).
    """
    if not (hasattr(net, "features") and hasattr(net, "head")):
        raise ValueError(f"net must have .features and .head, got {type(net).__name__}")
    feats = extract_features(net, X, batch_size=batch_size)
    net.eval()
    dev = next(net.parameters()).device
    probs = F.softmax(net.head(torch.as_tensor(feats).to(dev)), 1).cpu().numpy()
    return feats, probs


def source_accuracy(net: nn.Module, Xs_val, ys_val) -> float:
    """Accuracy of ``net`` on held-out labelled *source* data (no target label involved)."""
    ys_val = as_1d_labels(ys_val, "ys_val")
    check_same_length(Xs_val, ys_val, "Xs_val", "ys_val")
    return float((predict_proba(net, Xs_val).argmax(1) == ys_val).mean())


def im_score(probs) -> float:
    """Information-maximisation score ``H(mean_i p_i) - mean_i H(p_i)`` in nats, from (n, k) probabilities.

    Between ``-log k`` and ``log k``; ``log k`` for confident predictions spread evenly over ``k`` classes.

    Examples
    --------
    >>> bool(abs(im_score(np.eye(4)) - np.log(4)) < 1e-6)
    True
    """
    P = _probs(probs)
    ent = lambda Q: -(Q * np.log(np.clip(Q, 1e-12, None))).sum(-1)
    return float(ent(P.mean(0)) - ent(P).mean())


def snd(probs, temperature: float = 0.05) -> float:
    """Soft neighbourhood density: mean entropy of each point's softmax over its similarities to the others.

    ``s_ij = cos(p_i, p_j) / temperature`` (``j != i``), ``q_i = softmax_j(s_ij)``,
    ``SND = mean_i H(q_i)``. Higher when predictions form dense, consistent neighbourhoods.
    Reference: K. Saito et al. Tune it the right way: unsupervised validation of domain
    adaptation via soft neighborhood density. ICCV 2021.
    """
    P = _probs(probs)
    if len(P) < 2:
        raise ValueError(f"probs needs at least 2 rows for neighbourhoods, got shape {P.shape}")
    if not temperature > 0:
        raise ValueError(f"temperature must be > 0, got {temperature!r}")
    U = P / np.maximum(np.linalg.norm(P, axis=1, keepdims=True), 1e-12)
    S = U @ U.T / temperature
    np.fill_diagonal(S, -np.inf)
    S = S - S.max(1, keepdims=True)
    Q = np.exp(S)
    Q /= Q.sum(1, keepdims=True)
    return float(-(Q * np.log(np.clip(Q, 1e-30, None))).sum(1).mean())


def feature_silhouette(feats, labels, sample_size: int | None = 1000, seed: int = 0) -> float:
    """Cosine silhouette of ``feats`` (n, d) grouped by predicted ``labels`` (n,); -1 if only one group is used."""
    from sklearn.metrics import silhouette_score

    Z = as_2d_array(feats, "feats")
    labels = as_1d_labels(labels, "labels")
    check_same_length(Z, labels, "feats", "labels")
    if len(np.unique(labels)) < 2:
        return -1.0
    n = None if sample_size is None or sample_size >= len(Z) else check_int(sample_size, "sample_size", 2)
    return float(silhouette_score(Z, labels, metric="cosine", sample_size=n, random_state=seed))


def criteria(net: nn.Module, Xt, Xs_val=None, ys_val=None) -> dict[str, float]:
    """Every label-free criterion of :data:`CRITERIA` for ``net`` on the unlabelled target ``Xt``.

    ``source accuracy`` needs held-out source data ``Xs_val, ys_val`` (it is NaN without them).
    """
    P = predict_proba(net, Xt)
    out = {"source accuracy": float("nan") if Xs_val is None else source_accuracy(net, Xs_val, ys_val),
           "IM score": im_score(P), "SND": snd(P),
           "silhouette": feature_silhouette(extract_features(net, Xt), P.argmax(1))}
    return out


def criteria_from_outputs(feats, probs, source_acc: float = float("nan")) -> dict[str, float]:
    """The criteria of :data:`CRITERIA` from a network's target outputs (e.g. :func:`features_and_proba`).

    Parameters
    ----------
    feats : target features, shape (n, d); probs : target softmax outputs, shape (n, k).
    source_acc : accuracy on held-out source data, computed elsewhere (NaN when unknown).

    Returns
    -------
    dict with the keys of :data:`CRITERIA`, higher is better for each.
    """
    P = _probs(probs)
    check_same_length(feats, P, "feats", "probs")
    return {"source accuracy": float(source_acc), "IM score": im_score(P), "SND": snd(P),
            "silhouette": feature_silhouette(feats, P.argmax(1))}


def select(candidates: Sequence | Mapping, score: Callable[[object], float]) -> tuple[object, dict]:
    """The candidate with the highest ``score(candidate)`` (ties: the first).

    Parameters
    ----------
    candidates : sequence (keys are the positions) or mapping of anything ``score`` accepts:
        hyper-parameter values, networks, checkpoints.
    score : label-free criterion, higher is better.

    Returns
    -------
    (best_key, scores): the chosen key and the score of every key.

    Examples
    --------
    >>> select({"a": 1, "b": 3, "c": 2}, lambda v: -abs(v - 2.2))
    ('c', {'a': -1.2000000000000002, 'b': -0.7999999999999998, 'c': -0.20000000000000018})
    """
    items = list(candidates.items()) if isinstance(candidates, Mapping) else list(enumerate(candidates))
    if not items:
        raise ValueError("candidates must not be empty")
    scores = {k: float(score(v)) for k, v in items}
    bad = [k for k, s in scores.items() if not np.isfinite(s)]
    if bad:
        raise ValueError(f"score gave non-finite values for candidates {bad}")
    return max(scores, key=lambda k: (scores[k], -list(scores).index(k))), scores


def ensemble_agreement(probs: Mapping) -> dict:
    """EnsV: the share of target points on which each candidate agrees with the ensemble of all candidates.

    The ensemble predicts ``argmax_k mean_m p_m(k | x)`` over the candidates ``m``; a candidate's score is
    the share of points where its own argmax equals the ensemble's. The ensemble of a pool is, under mild
    conditions, at least as good as its average member, so the candidate that agrees with it most avoids
    the worst of the pool even where per-model criteria (IM score, SND) are fooled by confident, wrong
    predictions (Hu, Luo, Liang, Foo: *Towards reliable model selection for unsupervised domain
    adaptation: an empirical study and a certified baseline*, NeurIPS 2024 Datasets and Benchmarks).

    Parameters
    ----------
    probs : mapping of candidate name -> softmax outputs on the *same* unlabelled target points, each of
        shape (n, k); at least two candidates.

    Returns
    -------
    dict name -> agreement in [0, 1], higher is better (pass it to :func:`select` as ``scores.get``).

    Examples
    --------
    >>> a, b = np.eye(3)[[0, 1, 2, 2]], np.eye(3)[[0, 1, 2, 0]]
    >>> ensemble_agreement({"a": a, "b": b, "c": a})
    {'a': 1.0, 'b': 0.75, 'c': 1.0}
    """
    if not isinstance(probs, Mapping) or len(probs) < 2:
        raise ValueError(f"probs must map at least two candidate names to probability arrays, got {type(probs).__name__}"
                         f"{'' if not isinstance(probs, Mapping) else f' with {len(probs)} entries'}")
    P = {name: _probs(p, f"probs[{name!r}]") for name, p in probs.items()}
    shapes = {p.shape for p in P.values()}
    if len(shapes) != 1:
        raise ValueError(f"probs must hold arrays of one shape (the same target points and classes), got {sorted(shapes)}")
    ens = np.mean(list(P.values()), axis=0).argmax(1)
    return {name: float((p.argmax(1) == ens).mean()) for name, p in P.items()}


def transferability_score(feats, probs, k: int | None = None, seed: int = 0) -> float:
    """Does the source classifier agree with the target's own clusters? A label-free score in [0, 1].

    Cluster the target features ``feats`` (n, d) with k-means (``k`` = number of classes,
    cosine geometry) and compare the clusters with the source classifier's predictions
    ``probs.argmax(1)`` by normalised mutual information. A source that fits the target
    draws its class boundaries between the target's clusters (high score); a mismatched
    source cuts through them (low score). Computed before any adaptation, it warns when
    adapting to that target may hurt.
    """
    from sklearn.cluster import KMeans
    from sklearn.metrics import normalized_mutual_info_score

    Z = as_2d_array(feats, "feats")
    P = _probs(probs)
    check_same_length(Z, P, "feats", "probs")
    k = P.shape[1] if k is None else check_int(k, "k", 2, len(Z))
    Z = Z / np.maximum(np.linalg.norm(Z, axis=1, keepdims=True), 1e-12)
    clusters = KMeans(k, n_init=4, random_state=seed).fit_predict(Z)
    return float(normalized_mutual_info_score(clusters, P.argmax(1)))


def class_coverage(probs) -> float:
    """Effective number of predicted classes over the number of classes: ``exp(H(mean_i p_i)) / k`` in (0, 1].

    1 when the predictions use every class equally often; about ``m / k`` when only ``m`` of the
    ``k`` classes occur. Information maximisation and k-means pseudo-labels assume the target holds
    every source class in similar shares: a low coverage of the *source* model's predictions on the
    target warns, before adapting, that this assumption fails (e.g. classes missing from the target).

    Examples
    --------
    >>> class_coverage(np.eye(4)[[0, 1, 0, 1]])
    0.5
    """
    P = _probs(probs)
    m = P.mean(0)
    return float(np.exp(-(m * np.log(np.clip(m, 1e-12, None))).sum()) / P.shape[1])


def present_classes(probs, min_share: float = 0.5) -> np.ndarray:
    """Classes whose share of the predictions reaches ``min_share`` times the uniform share ``1 / k``.

    Returns a sorted int array of class indices (the classes the target seems to hold).
    """
    P = _probs(probs)
    if not min_share >= 0:
        raise ValueError(f"min_share must be >= 0, got {min_share!r}")
    share = np.bincount(P.argmax(1), minlength=P.shape[1]) / len(P)
    return np.flatnonzero(share >= min_share / P.shape[1])
