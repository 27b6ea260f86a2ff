"""Shared spaces for two (or more) modalities: CCA / PLS, collective matrix factorisation, contrastive heads.

Every method here learns one map per modality ("view") from paired training rows, so that an image
and its caption land close together; retrieval then ranks by cosine similarity in the shared space.
All have the same shape::

    space = Method(...).fit(X_img, X_txt)            # rows i of the views are a pair
    Z_img, Z_txt = space.transform(X_img, view=0), space.transform(X_txt, view=1)

* :class:`CCA`: linear maps that maximise the correlation of the paired projections, in closed form
  (whitening + SVD). ``reg`` shrinks each covariance towards a multiple of the identity: ``reg=0`` is
  CCA, ``reg=1`` maximises covariance instead (PLS-SVD), values between are regularised CCA.
* :class:`SharedFactorisation`: collective matrix factorisation: ``X_v ~ L B_v`` with one latent matrix
  ``L`` shared by every view, solved by a truncated SVD of the stacked views; a new sample of one view
  is folded into the latent space by ridge regression on that view's basis.
* :class:`ContrastiveSpace`: a projection head per view (``nn.Module``) trained with the symmetric
  InfoNCE loss :func:`info_nce` and a learnable temperature, for two views or more (all pairs of views);
  defined in :mod:`course_lib.contrastive_heads` and importable from here.

References
----------
Hotelling (1936), "Relations between two sets of variates", Biometrika. Vinod (1976), "Canonical ridge
and econometrics of joint production", J. Econometrics (regularised CCA). Singh & Gordon (2008),
"Relational learning via collective matrix factorization", KDD. Ding, Guo & Zhou (2014), "Collective
matrix factorization hashing for multimodal data", CVPR. van den Oord, Li & Vinyals (2018), "Representation
learning with contrastive predictive coding" (InfoNCE). Radford et al. (2021), "Learning transferable
visual models from natural language supervision", ICML (symmetric loss, learnable temperature).
"""
from __future__ import annotations

import numpy as np

from ._paired_views import paired_views, view_input
from ._validation import check_int
from .contrastive_heads import ContrastiveSpace, ProjectionHead, check_training_settings, info_nce, train_heads

__all__ = ["CCA", "SharedFactorisation", "info_nce", "train_heads", "check_training_settings", "ProjectionHead",
           "ContrastiveSpace"]


def _whitening_basis(Vc: np.ndarray, reg: float):
    """Thin SVD of centred data ``Vc = U diag(s) W^T`` and the eigenvalues ``lam`` of the shrunk covariance
    on ``span(W)``: ``S = (1 - reg) Vc^T Vc / (n - 1) + reg (tr C / d) I = W diag(lam) W^T + (reg tr C / d) (I - W W^T)``.

    Working in this basis costs ``O(n d min(n, d))`` instead of the ``O(d^3)`` of an eigendecomposition of
    ``S``, and ``S^{-1/2} W = W diag(lam^{-1/2})`` is all that CCA needs (the rest of ``S^{-1/2}`` acts on
    directions where the training data have no variance).
    """
    n, d = Vc.shape
    U, sv, Wt = np.linalg.svd(Vc, full_matrices=False)
    ev = sv ** 2 / (n - 1)
    lam = (1 - reg) * ev + reg * ev.sum() / d
    lam = np.maximum(lam, 1e-12 * lam.max())
    return U, sv, Wt.T, lam


class CCA:
    """Canonical correlation analysis in closed form, with shrinkage (``reg=1``: PLS-SVD).

    With centred views and covariances ``C_xx, C_yy, C_xy``, the shrunk covariances are
    ``S_x = (1 - reg) C_xx + reg (tr C_xx / d_x) I`` (and likewise ``S_y``). The projections are
    ``A = S_x^{-1/2} U_k`` and ``B = S_y^{-1/2} V_k`` from the SVD
    ``S_x^{-1/2} C_xy S_y^{-1/2} = U diag(rho) V^T``. With ``reg=0`` the ``rho`` are the canonical
    correlations; with ``reg=1`` the whitening is a constant and ``A, B`` are the singular vectors of
    ``C_xy`` (PLS-SVD).

    Parameters
    ----------
    n_components : int
        Dimension ``k`` of the shared space (at most ``min(d_x, d_y)``).
    reg : float in [0, 1]
        Shrinkage of each covariance towards a scaled identity.
    scale_power : float
        Each shared dimension is multiplied by ``rho_j ** scale_power`` in :meth:`transform`, which damps
        the weakly correlated directions (0: plain canonical variates; Gong et al. 2014 use 4).

    Attributes
    ----------
    means_ : list of 2 arrays of shape (d_v,)
    weights_ : list of 2 arrays of shape (d_v, k)
        Projection matrices ``A`` and ``B``.
    correlations_ : numpy.ndarray, shape (k,)
        ``rho``: singular values of the whitened cross-covariance (the canonical correlations if reg=0).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> z = rng.normal(size=(500, 1))
    >>> X = np.hstack([z, rng.normal(size=(500, 3))])
    >>> Y = np.hstack([rng.normal(size=(500, 2)), -z + 0.1 * rng.normal(size=(500, 1))])
    >>> round(float(CCA(n_components=1).fit(X, Y).correlations_[0]), 2)
    0.99
    """

    def __init__(self, n_components: int = 32, reg: float = 1e-3, scale_power: float = 0.0):
        self.n_components = check_int(n_components, "n_components", 1)
        if not (isinstance(reg, (int, float)) and 0.0 <= reg <= 1.0):
            raise ValueError(f"reg must be a number in [0, 1], got {reg!r}")
        if not (isinstance(scale_power, (int, float)) and scale_power >= 0):
            raise ValueError(f"scale_power must be a number >= 0, got {scale_power!r}")
        self.reg, self.scale_power = float(reg), float(scale_power)

    def fit(self, X, Y) -> "CCA":
        """Fit on paired views ``X`` (n, d_x) and ``Y`` (n, d_y); returns self."""
        X, Y = paired_views((X, Y), 2, 2)
        k = self.n_components
        if k > min(X.shape[1], Y.shape[1]):
            raise ValueError(f"n_components must be at most min(d_x, d_y) = {min(X.shape[1], Y.shape[1])}, "
                             f"got {k}")
        self.means_ = [X.mean(0), Y.mean(0)]
        n = len(X)
        (Ux, sx, Wx, lx), (Uy, sy, Wy, ly) = (_whitening_basis(V - m, self.reg) for V, m in zip((X, Y), self.means_))
        # S_x^{-1/2} C_xy S_y^{-1/2} = Wx K Wy^T with the small core K below; its SVD gives U = Wx P, V = Wy Q.
        K = (sx / np.sqrt(lx))[:, None] * (Ux.T @ Uy) * (sy / np.sqrt(ly))[None, :] / (n - 1)
        P, rho, Qt = np.linalg.svd(K, full_matrices=False)
        if k > len(rho):
            raise ValueError(f"n_components must be at most the rank of the cross-covariance ({len(rho)} here: "
                             f"min(n_samples, d_x, d_y)), got {k}")
        self.weights_ = [Wx @ (P[:, :k] / np.sqrt(lx)[:, None]), Wy @ (Qt[:k].T / np.sqrt(ly)[:, None])]
        self.correlations_ = rho[:k]
        return self

    def transform(self, X, view: int = 0) -> np.ndarray:
        """Project samples of one view into the shared space: ``(X - mean) A diag(rho^p)``, shape (n, k)."""
        view, X = view_input(self, "weights_", view, X)
        return (X - self.means_[view]) @ self.weights_[view] * self.correlations_ ** self.scale_power


class SharedFactorisation:
    """Collective matrix factorisation: every view ``X_v ~ L B_v`` with one shared latent matrix ``L``.

    Each view is centred and scaled to unit total variance (so no view dominates by its dimension),
    then weighted: the minimiser of ``sum_v w_v ||X_v - L B_v||_F^2`` over ``L`` (n, k) and ``B_v``
    (k, d_v) is the rank-``k`` truncated SVD of the stacked matrix ``[sqrt(w_1) X_1, ..., sqrt(w_V) X_V]
    = U S W^T``: ``L = U_k S_k`` and ``B_v = W_{k,v}^T / sqrt(w_v)`` (Eckart-Young). A new sample ``x``
    of view ``v`` alone is folded in by ridge regression on that view's basis,
    ``l = x B_v^T (B_v B_v^T + ridge I)^{-1}``, so images and captions meet in the latent space.

    Parameters
    ----------
    n_components : int
        Latent dimension ``k``.
    weights : sequence of float or None
        ``w_v`` per view (None: all 1).
    ridge : float > 0
        Ridge of the fold-in, relative to the mean eigenvalue of ``B_v B_v^T``.

    Attributes
    ----------
    means_, scales_ : per-view centring and scaling.
    bases_ : list of arrays of shape (k, d_v)
    latent_ : numpy.ndarray, shape (n, k): ``L`` of the training rows.
    """

    def __init__(self, n_components: int = 32, weights=None, ridge: float = 1e-2):
        self.n_components = check_int(n_components, "n_components", 1)
        if not (isinstance(ridge, (int, float)) and ridge > 0):
            raise ValueError(f"ridge must be a number > 0, got {ridge!r}")
        self.weights, self.ridge = weights, float(ridge)

    def fit(self, *views) -> "SharedFactorisation":
        """Fit on two or more paired views of shapes (n, d_v); returns self."""
        views = paired_views(views, 2)
        w = np.ones(len(views)) if self.weights is None else np.asarray(self.weights, dtype=float)
        if w.shape != (len(views),) or not np.all(w > 0):
            raise ValueError(f"weights must be {len(views)} positive numbers (one per view), got {self.weights!r}")
        k = self.n_components
        if k > min(len(views[0]), sum(V.shape[1] for V in views)):
            raise ValueError(f"n_components must be at most min(n, sum of d_v), got {k}")
        self.means_ = [V.mean(0) for V in views]
        self.scales_ = [max(np.sqrt(((V - m) ** 2).sum(1).mean()), 1e-12) for V, m in zip(views, self.means_)]
        stacked = np.hstack([np.sqrt(wv) * (V - m) / s for V, m, s, wv in zip(views, self.means_, self.scales_, w)])
        U, S, Wt = np.linalg.svd(stacked, full_matrices=False)
        self.latent_ = U[:, :k] * S[:k]
        cuts = np.cumsum([0] + [V.shape[1] for V in views])
        self.bases_ = [Wt[:k, a:b] / np.sqrt(wv) for a, b, wv in zip(cuts[:-1], cuts[1:], w)]
        self._fold = []
        for B in self.bases_:
            G = B @ B.T
            self._fold.append(B.T @ np.linalg.inv(G + self.ridge * np.trace(G) / k * np.eye(k)))
        return self

    def transform(self, X, view: int = 0) -> np.ndarray:
        """Fold samples of one view into the shared latent space; shape (n, k)."""
        view, X = view_input(self, "bases_", view, X)
        return (X - self.means_[view]) / self.scales_[view] @ self._fold[view]
