"""Clustering models transferred from a source domain to a target domain.

* :class:`ModelTransferClustering` transfers a *clustering model* (its centres):
  centres learned on the source (class means when source labels exist, k-means
  centres when they do not) start k-means on the target, which then refines
  them. Cluster ``j`` on the target keeps the name of source centre ``j``.
* :class:`TransferSpectralClustering` builds the target's affinity graph with
  knowledge from the labelled source, either in a metric learned on the source
  (Fisher's linear discriminant) or as one joint graph over source and target
  in which same-class source points are tied by must-links, then clusters the
  target spectrally.

Both put each domain through the same cheap adapter first: every feature is
standardised with the domain's own mean and standard deviation (``adapt=
"standardize"``), which removes a per-feature shift and rescaling between the
domains (the tabular analogue of AdaBN).
"""
from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClusterMixin
from sklearn.utils.validation import check_is_fitted

from ._validation import as_1d_labels, as_2d_array, check_int, check_same_dim, check_same_length

__all__ = ["standardize", "ModelTransferClustering", "TransferSpectralClustering"]

ADAPTERS = ("standardize", "none")


def standardize(X, mean=None, scale=None):
    """Standardise the columns of ``X``: ``(X - mean) / scale``.

    Parameters
    ----------
    X : array of shape (n, d)
    mean, scale : arrays of shape (d,), or None to use ``X``'s own column means and
        standard deviations (a column with zero spread gets scale 1).

    Returns
    -------
    Z : array of shape (n, d); mean : (d,); scale : (d,).

    Examples
    --------
    >>> Z, m, s = standardize(np.array([[0., 1.], [2., 1.]]))
    >>> Z.tolist(), m.tolist(), s.tolist()
    ([[-1.0, 0.0], [1.0, 0.0]], [1.0, 1.0], [1.0, 1.0])
    """
    X = np.asarray(X, dtype=np.float64)
    mean = X.mean(0) if mean is None else np.asarray(mean, dtype=np.float64)
    if scale is None:
        scale = X.std(0)
        scale = np.where(scale > 1e-12, scale, 1.0)
    return (X - mean) / scale, mean, np.asarray(scale, dtype=np.float64)


def _check_adapt(adapt):
    if adapt not in ADAPTERS:
        raise ValueError(f"adapt must be one of {ADAPTERS}, got {adapt!r}")


def _source_labels(ys, Xs):
    """Source labels as integers 0..k-1 plus the original class names."""
    ys = as_1d_labels(ys, "ys")
    check_same_length(Xs, ys, "Xs", "ys")
    classes, codes = np.unique(ys, return_inverse=True)
    if len(classes) < 2:
        raise ValueError(f"ys must hold at least 2 classes, got {len(classes)}: {classes.tolist()}")
    return classes, codes


def _nearest(Z, C):
    """Index of the nearest row of ``C`` (k, d) for each row of ``Z`` (n, d)."""
    d2 = (Z ** 2).sum(1)[:, None] - 2 * Z @ C.T + (C ** 2).sum(1)[None]
    return d2.argmin(1)


class ModelTransferClustering(ClusterMixin, BaseEstimator):
    """k-means on the target, started from a clustering model learned on the source.

    The source model is a set of centres ``m_1..m_k``: the class means of the
    (adapted) source features when ``ys`` is given, else the centres of k-means
    on the source. On the target they are either used as they are as the first
    centres (``init="source-means"``), or first re-estimated on the target from
    the points nearest to each of them (``init="pseudo-labels"``:
    ``c_j = mean{z_t : argmin_l ||z_t - m_l|| = j}``, the centroid step of
    SHOT, Liang et al. 2020). Lloyd iterations on the target then refine them
    (Lloyd 1982); cluster ``j`` keeps the name of source centre ``j``.

    Parameters
    ----------
    n_clusters : int or None
        Number of clusters; None takes the number of source classes (``ys``
        must then be given).
    init : {"pseudo-labels", "source-means"}
    adapt : {"standardize", "none"}
        Per-domain standardisation of the features before anything else.
    max_iter : int
        Maximum Lloyd iterations on the target (0: keep the initial centres).
    random_state : int
        Seed of the source k-means (used only when ``ys`` is None).

    Attributes
    ----------
    source_centres_ : (k, d) source model in the adapted space.
    cluster_centers_ : (k, d) centres after refinement on the target (adapted space).
    labels_ : (n_t,) cluster of each target row seen in ``fit``.
    classes_ : (k,) name of each cluster: the source class, or 0..k-1 without ``ys``.
    target_mean_, target_scale_ : (d,) the target adapter.
    n_iter_ : int, Lloyd iterations run on the target.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> means = np.array([[0., 0.], [4., 0.], [0., 4.]])
    >>> ys = np.repeat([0, 1, 2], 30); Xs = means[ys] + rng.normal(size=(90, 2))
    >>> yt = np.repeat([0, 1, 2], 20); Xt = 2 * means[yt] + 5 + rng.normal(size=(60, 2))
    >>> m = ModelTransferClustering().fit(Xs, ys, Xt)
    >>> float((m.labels_ == yt).mean())
    1.0
    """

    def __init__(self, n_clusters=None, init="pseudo-labels", adapt="standardize", max_iter=100, random_state=0):
        self.n_clusters = n_clusters
        self.init = init
        self.adapt = adapt
        self.max_iter = max_iter
        self.random_state = random_state

    def _adapt(self, X, mean=None, scale=None):
        if self.adapt == "none":
            return X, np.zeros(X.shape[1]), np.ones(X.shape[1])
        return standardize(X, mean, scale)

    def fit(self, Xs, ys, Xt):
        """Learn the source model on ``(Xs, ys)`` (``ys`` may be None) and refine it on ``Xt``.

        Parameters
        ----------
        Xs : array of shape (n_s, d); ys : array of shape (n_s,) or None; Xt : array of shape (n_t, d).

        Returns
        -------
        self
        """
        from sklearn.cluster import KMeans

        Xs, Xt = as_2d_array(Xs, "Xs"), as_2d_array(Xt, "Xt")
        check_same_dim(Xs, Xt, "Xs", "Xt")
        _check_adapt(self.adapt)
        if self.init not in ("pseudo-labels", "source-means"):
            raise ValueError(f"init must be 'pseudo-labels' or 'source-means', got {self.init!r}")
        max_iter = check_int(self.max_iter, "max_iter", 0)
        Zs, _, _ = self._adapt(Xs)
        Zt, self.target_mean_, self.target_scale_ = self._adapt(Xt)
        if ys is not None:
            classes, codes = _source_labels(ys, Xs)
            if self.n_clusters is not None and self.n_clusters != len(classes):
                raise ValueError(f"n_clusters={self.n_clusters!r} differs from the {len(classes)} classes in ys; "
                                 "pass n_clusters=None to take them from ys")
            k = len(classes)
            centres = np.stack([Zs[codes == j].mean(0) for j in range(k)])
        else:
            if self.n_clusters is None:
                raise ValueError("n_clusters=None needs source labels ys; pass ys or an integer n_clusters")
            k = check_int(self.n_clusters, "n_clusters", 2, len(Xs))
            classes = np.arange(k)
            centres = KMeans(k, n_init=10, random_state=self.random_state).fit(Zs).cluster_centers_
        if k > len(Xt):
            raise ValueError(f"Xt has {len(Xt)} rows, fewer than the {k} clusters")
        self.source_centres_, self.classes_ = centres, classes
        init = centres.copy()
        if self.init == "pseudo-labels":
            near = _nearest(Zt, centres)
            for j in range(k):
                if np.any(near == j):
                    init[j] = Zt[near == j].mean(0)
        if max_iter == 0:
            self.cluster_centers_, self.n_iter_ = init, 0
        else:
            km = KMeans(k, init=init, n_init=1, max_iter=max_iter).fit(Zt)
            self.cluster_centers_, self.n_iter_ = km.cluster_centers_, int(km.n_iter_)
        self.labels_ = _nearest(Zt, self.cluster_centers_)
        return self

    def predict(self, Xt):
        """Cluster index (0..k-1, named by ``classes_``) of each target row: array of shape (n,)."""
        check_is_fitted(self, "cluster_centers_")
        Xt = as_2d_array(Xt, "Xt", min_samples=1)
        if Xt.shape[1] != self.cluster_centers_.shape[1]:
            raise ValueError(f"Xt must have {self.cluster_centers_.shape[1]} columns, got shape {Xt.shape}")
        Zt, _, _ = self._adapt(Xt, self.target_mean_, self.target_scale_)
        return _nearest(Zt, self.cluster_centers_)

    def fit_predict(self, Xs, ys, Xt):
        """``fit(Xs, ys, Xt).labels_``."""
        return self.fit(Xs, ys, Xt).labels_


class TransferSpectralClustering(ClusterMixin, BaseEstimator):
    """Spectral clustering of the target on an affinity graph built with the labelled source.

    Two ways of putting source knowledge into the graph:

    * ``graph="metric"``: learn a metric on the source and build the target's
      k-nearest-neighbour graph in it. The metric is Fisher's linear
      discriminant (shrinkage LDA) fitted on the adapted source: target points
      are compared by ``||L^T (z_i - z_j)||`` with ``L`` the source's
      discriminant directions (the distance that separates the source classes).
    * ``graph="joint"``: one k-NN graph over ``n_source`` source points and all
      target points, plus must-link edges of weight ``must_link_weight``
      between each source point and its nearest same-class source points
      (constraints as in Kamvar, Klein & Manning 2003); the spectral embedding
      of the joint graph is clustered and the target rows read off. Source and
      target are clustered together so that the source's class structure shapes
      the target's cut, the idea of transfer spectral clustering (Jiang & Chung
      2012, who share feature clusters between the tasks instead).

    ``graph="none"`` is the plain counterpart: the same adapter and the same
    k-NN graph on the target alone, no source.

    Parameters
    ----------
    n_clusters : int or None (None: number of source classes)
    graph : {"metric", "joint", "none"}
    n_neighbors : int, neighbours per point in the k-NN graph.
    must_link_weight : float >= 0 (joint graph only).
    n_source : int, source points drawn into the joint graph (all if fewer).
    adapt : {"standardize", "none"}
    random_state : int

    Attributes
    ----------
    labels_ : (n_t,) cluster of each target row.
    embedding_ : (n_t, m) target rows in the space where the graph was built
        (used by :meth:`predict` for new rows).
    projection_ : (d, k - 1) the source's discriminant directions (``graph="metric"`` only).
    target_mean_, target_scale_ : (d,) the target adapter.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> ys = np.repeat([0, 1], 40); Xs = np.c_[3 * ys, rng.normal(0, 3, 80)] + rng.normal(0, .3, (80, 2))
    >>> yt = np.repeat([0, 1], 40); Xt = np.c_[3 * yt, rng.normal(0, 3, 80)] + rng.normal(0, .3, (80, 2))
    >>> m = TransferSpectralClustering(graph="metric").fit(Xs, ys, Xt)
    >>> bool(max((m.labels_ == yt).mean(), (m.labels_ != yt).mean()) > 0.95)
    True
    """

    def __init__(self, n_clusters=None, graph="metric", n_neighbors=10, must_link_weight=1.0, n_source=1000,
                 adapt="standardize", random_state=0):
        self.n_clusters = n_clusters
        self.graph = graph
        self.n_neighbors = n_neighbors
        self.must_link_weight = must_link_weight
        self.n_source = n_source
        self.adapt = adapt
        self.random_state = random_state

    def _check(self, Xs, ys, Xt):
        Xt = as_2d_array(Xt, "Xt")
        if self.graph not in ("metric", "joint", "none"):
            raise ValueError(f"graph must be 'metric', 'joint' or 'none', got {self.graph!r}")
        _check_adapt(self.adapt)
        nn = check_int(self.n_neighbors, "n_neighbors", 1, len(Xt) - 1)
        if not (isinstance(self.must_link_weight, (int, float)) and self.must_link_weight >= 0):
            raise ValueError(f"must_link_weight must be a number >= 0, got {self.must_link_weight!r}")
        check_int(self.n_source, "n_source", 2)
        if self.graph == "none" and ys is None and Xs is None:
            if self.n_clusters is None:
                raise ValueError("n_clusters=None needs source labels ys; pass an integer n_clusters")
            return None, None, Xt, nn, check_int(self.n_clusters, "n_clusters", 2, len(Xt))
        if ys is None:
            raise ValueError(f"ys must be given for graph={self.graph!r} (source labels carry the knowledge)")
        Xs = as_2d_array(Xs, "Xs")
        check_same_dim(Xs, Xt, "Xs", "Xt")
        classes, codes = _source_labels(ys, Xs)
        k = len(classes) if self.n_clusters is None else check_int(self.n_clusters, "n_clusters", 2, len(Xt))
        return Xs, codes, Xt, nn, k

    def fit(self, Xs, ys, Xt):
        """Cluster ``Xt`` with source knowledge from ``(Xs, ys)``; ``Xs, ys`` may be None for ``graph="none"``.

        Parameters
        ----------
        Xs : array of shape (n_s, d) or None; ys : array of shape (n_s,) or None; Xt : array of shape (n_t, d).

        Returns
        -------
        self
        """
        from scipy import sparse
        from sklearn.cluster import KMeans
        from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
        from sklearn.manifold import spectral_embedding
        from sklearn.neighbors import kneighbors_graph

        Xs, codes, Xt, nn, k = self._check(Xs, ys, Xt)
        adapt = (lambda X: standardize(X)) if self.adapt == "standardize" else (
            lambda X: (X, np.zeros(X.shape[1]), np.ones(X.shape[1])))
        Zt, self.target_mean_, self.target_scale_ = adapt(Xt)
        Zs = adapt(Xs)[0] if Xs is not None else None
        if self.graph == "metric":
            lda = LinearDiscriminantAnalysis(solver="eigen", shrinkage="auto").fit(Zs, codes)
            n_dir = min(len(np.unique(codes)) - 1, Zs.shape[1])
            self.projection_ = lda.scalings_[:, :n_dir]
            Zt = Zt @ self.projection_
        self.embedding_ = Zt
        rng = np.random.default_rng(self.random_state)
        if self.graph == "joint":
            pick = np.sort(rng.choice(len(Zs), min(self.n_source, len(Zs)), replace=False))
            Zs, codes = Zs[pick], codes[pick]
            Z = np.vstack([Zs, Zt])
        else:
            Z = Zt
        W = kneighbors_graph(Z, nn, include_self=False)
        W = 0.5 * (W + W.T)
        if self.graph == "joint" and self.must_link_weight > 0:
            rows, cols = [], []
            for c in np.unique(codes):
                members = np.flatnonzero(codes == c)
                if len(members) < 2:
                    continue
                G = kneighbors_graph(Zs[members], min(nn, len(members) - 1), include_self=False).tocoo()
                rows.append(members[G.row])
                cols.append(members[G.col])
            r, c = np.concatenate(rows), np.concatenate(cols)
            M = sparse.csr_matrix((np.ones(len(r)), (r, c)), shape=W.shape)
            W = W + self.must_link_weight * 0.5 * (M + M.T)
        E = spectral_embedding(W, n_components=k, random_state=self.random_state, drop_first=False)
        labels = KMeans(k, n_init=10, random_state=self.random_state).fit_predict(E)
        self.labels_ = labels[len(Z) - len(Zt):]
        self.n_clusters_ = k
        return self

    def fit_predict(self, Xs, ys, Xt):
        """``fit(Xs, ys, Xt).labels_``."""
        return self.fit(Xs, ys, Xt).labels_

    def predict(self, Xt):
        """Out-of-sample extension: the majority cluster of each row's ``n_neighbors`` nearest fitted target rows.

        New target rows are adapted with the statistics of the fitted target. Array of shape (n,).
        """
        from sklearn.neighbors import KNeighborsClassifier

        check_is_fitted(self, "labels_")
        Xt = as_2d_array(Xt, "Xt", min_samples=1)
        d = len(self.target_mean_)
        if Xt.shape[1] != d:
            raise ValueError(f"Xt must have {d} columns, got shape {Xt.shape}")
        Z = (Xt - self.target_mean_) / self.target_scale_
        if self.graph == "metric":
            Z = Z @ self.projection_
        knn = KNeighborsClassifier(min(self.n_neighbors, len(self.labels_))).fit(self.embedding_, self.labels_)
        return knn.predict(Z)
