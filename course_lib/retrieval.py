"""Search: cosine similarity, exact top-k, and a FAISS index (exact or approximate).

Retrieval ranks a gallery for each query by a similarity score. With unit-length
embeddings the cosine similarity is the inner product,

    sim[i, j] = <q_i, g_j> / (||q_i|| ||g_j||),

so one matrix product scores every pair: ``O(n_q n_g d)`` time. That is exact
and fast for the galleries of this course (thousands of items). Past memory, an
*index* avoids scoring everything: FAISS's IVF index clusters the gallery into
``nlist`` cells and scans only the ``nprobe`` cells nearest to the query; HNSW
walks a navigable small-world graph. Both are approximate; IVF with
``nprobe == nlist`` scans every cell and is exact again (tested).

References
----------
Johnson, Douze & Jégou (2019), "Billion-scale similarity search with GPUs", IEEE Trans. Big Data
(FAISS). Malkov & Yashunin (2020), "Efficient and robust approximate nearest neighbor search using
hierarchical navigable small world graphs", IEEE TPAMI (HNSW).
"""
from __future__ import annotations

import numpy as np

from ._validation import as_2d_array, check_int, check_same_dim

__all__ = ["l2_normalize", "cosine_similarity", "top_k", "FaissIndex"]


def l2_normalize(X, name: str = "X", eps: float = 1e-12) -> np.ndarray:
    """Rows of ``X`` scaled to unit Euclidean length.

    Parameters
    ----------
    X : array-like, shape (n, d)
    name : argument name for error messages.
    eps : rows with a norm below ``eps`` are left at zero length instead of dividing by zero.

    Returns
    -------
    numpy.ndarray of float64, shape (n, d)

    Examples
    --------
    >>> l2_normalize([[3.0, 4.0]]).round(2).tolist()
    [[0.6, 0.8]]
    """
    X = as_2d_array(X, name, min_samples=1)
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    return X / np.maximum(norms, eps)


def cosine_similarity(Q, G) -> np.ndarray:
    """Cosine similarity of every query with every gallery item.

    Parameters
    ----------
    Q : array-like, shape (n_q, d)
        Query embeddings.
    G : array-like, shape (n_g, d)
        Gallery embeddings (same space as ``Q``).

    Returns
    -------
    sim : numpy.ndarray of float64, shape (n_q, n_g)
        ``sim[i, j] = cos(Q[i], G[j])`` in [-1, 1].

    Examples
    --------
    >>> cosine_similarity([[1.0, 0.0]], [[2.0, 0.0], [0.0, 1.0], [-1.0, 0.0]]).tolist()
    [[1.0, 0.0, -1.0]]
    """
    Qn, Gn = l2_normalize(Q, "Q"), l2_normalize(G, "G")
    check_same_dim(Qn, Gn, "Q", "G")
    return Qn @ Gn.T


def top_k(sim, k: int):
    """Exact top-k of each row of a similarity matrix, best first.

    Ties are broken by the lower gallery index (a stable sort), so the result is
    deterministic. ``k`` larger than the gallery returns the whole gallery, ranked.

    Parameters
    ----------
    sim : array-like, shape (n_q, n_g)
    k : int >= 1

    Returns
    -------
    scores : numpy.ndarray, shape (n_q, min(k, n_g))
    indices : numpy.ndarray of int64, shape (n_q, min(k, n_g))

    Examples
    --------
    >>> s, i = top_k([[0.1, 0.9, 0.5, 0.9]], 3)
    >>> i.tolist(), s.tolist()
    ([[1, 3, 2]], [[0.9, 0.9, 0.5]])
    """
    sim = as_2d_array(sim, "sim", min_samples=1)
    k = min(check_int(k, "k", 1), sim.shape[1])
    if k < sim.shape[1]:
        # partial selection first (O(n_g)), then a stable sort of the candidates; ties at the cut are
        # resolved by index because argpartition alone does not promise which tied item it keeps.
        kth = np.partition(-sim, k - 1, axis=1)[:, k - 1:k]
        candidates = [np.flatnonzero(-row <= t) for row, t in zip(sim, kth[:, 0])]
        idx = np.stack([c[np.argsort(-sim[i, c], kind="stable")][:k] for i, c in enumerate(candidates)])
    else:
        idx = np.argsort(-sim, axis=1, kind="stable")
    return np.take_along_axis(sim, idx, axis=1), idx.astype(np.int64)


_KINDS = ("flat", "ivf", "hnsw")
_METRICS = ("cosine", "ip")


class FaissIndex:
    """A FAISS inner-product index over a gallery, exact or approximate, with the scikit-learn shape.

    Parameters
    ----------
    kind : {"flat", "ivf", "hnsw"}
        ``"flat"``: exact search (``IndexFlatIP``). ``"ivf"``: inverted file (``IndexIVFFlat``), the
        gallery clustered into ``nlist`` cells by k-means, ``nprobe`` of them scanned per query; exact
        when ``nprobe == nlist``. ``"hnsw"``: graph search (``IndexHNSWFlat``), approximate.
    metric : {"cosine", "ip"}
        ``"cosine"`` L2-normalises gallery and queries (then inner product = cosine); ``"ip"`` uses the
        raw inner product.
    nlist : int or None
        IVF cells; None: ``round(sqrt(n_g))``, at most ``n_g``.
    nprobe : int or None
        IVF cells scanned per query; None: ``max(1, nlist // 8)``. Clipped to ``nlist``.
    hnsw_m : int
        HNSW neighbours per node.
    ef_search : int
        HNSW candidate-list length at query time (larger: slower, closer to exact).
    seed : int
        Seed of the IVF k-means.

    Attributes
    ----------
    index_ : faiss.Index
    ntotal_ : int
        Gallery size.
    dim_ : int

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> G, Q = rng.normal(size=(200, 8)), rng.normal(size=(5, 8))
    >>> _, exact = FaissIndex("flat").fit(G).search(Q, 3)
    >>> _, ivf = FaissIndex("ivf", nlist=10, nprobe=10).fit(G).search(Q, 3)
    >>> bool((exact == ivf).all())
    True
    """

    def __init__(self, kind: str = "flat", metric: str = "cosine", nlist: int | None = None,
                 nprobe: int | None = None, hnsw_m: int = 32, ef_search: int = 64, seed: int = 0):
        if kind not in _KINDS:
            raise ValueError(f"kind must be one of {_KINDS}, got {kind!r}")
        if metric not in _METRICS:
            raise ValueError(f"metric must be one of {_METRICS}, got {metric!r}")
        self.kind, self.metric = kind, metric
        self.nlist = None if nlist is None else check_int(nlist, "nlist", 1)
        self.nprobe = None if nprobe is None else check_int(nprobe, "nprobe", 1)
        self.hnsw_m = check_int(hnsw_m, "hnsw_m", 2)
        self.ef_search = check_int(ef_search, "ef_search", 1)
        self.seed = check_int(seed, "seed", 0)

    def _prepare(self, X, name: str) -> np.ndarray:
        X = l2_normalize(X, name) if self.metric == "cosine" else as_2d_array(X, name, min_samples=1)
        return np.ascontiguousarray(X, dtype=np.float32)

    def fit(self, G) -> "FaissIndex":
        """Build the index over the gallery ``G`` of shape (n_g, d); returns self."""
        import faiss

        G = self._prepare(G, "G")
        n, d = G.shape
        if self.kind == "flat":
            index = faiss.IndexFlatIP(d)
        elif self.kind == "hnsw":
            index = faiss.IndexHNSWFlat(d, self.hnsw_m, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efSearch = self.ef_search
        else:
            nlist = self.nlist if self.nlist is not None else max(1, int(round(np.sqrt(n))))
            if nlist > n:
                raise ValueError(f"nlist must be at most the gallery size {n} (one training point per cell), "
                                 f"got nlist={nlist}")
            quantizer = faiss.IndexFlatIP(d)
            index = faiss.IndexIVFFlat(quantizer, d, nlist, faiss.METRIC_INNER_PRODUCT)
            index.cp.seed = self.seed
            index.cp.min_points_per_centroid = 1  # small galleries: no warning, same clustering
            index.train(G)
            index.nprobe = min(self.nprobe if self.nprobe is not None else max(1, nlist // 8), nlist)
            self._quantizer = quantizer  # keep the Python object alive as long as the index
        index.add(G)
        self.index_, self.ntotal_, self.dim_ = index, n, d
        return self

    def search(self, Q, k: int):
        """The ``k`` gallery items with the largest inner product (cosine) for each query.

        Parameters
        ----------
        Q : array-like, shape (n_q, d)
        k : int >= 1; clipped to the gallery size.

        Returns
        -------
        scores : numpy.ndarray of float32, shape (n_q, min(k, n_g))
        indices : numpy.ndarray of int64, shape (n_q, min(k, n_g)); -1 where an approximate index
            found fewer than ``k`` items.
        """
        if not hasattr(self, "index_"):
            from sklearn.exceptions import NotFittedError

            raise NotFittedError("FaissIndex is not fitted yet: call fit(G) with the gallery first.")
        Q = self._prepare(Q, "Q")
        if Q.shape[1] != self.dim_:
            raise ValueError(f"Q must have {self.dim_} features like the gallery; got shape {Q.shape}")
        k = min(check_int(k, "k", 1), self.ntotal_)
        scores, idx = self.index_.search(Q, k)
        return scores, idx.astype(np.int64)
