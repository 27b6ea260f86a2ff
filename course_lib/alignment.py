"""Distribution alignment: maximum mean discrepancy (MMD) and CORAL.

Losses are pure, differentiable functions on tensors, source first, returning
0-d tensors (``mmd2(xs, xt)``, ``coral_loss(xs, xt)``); :class:`CORAL` is the
closed-form scikit-learn style version on NumPy arrays.  Conventions:

* Gaussian kernel ``k(x, y) = exp(-||x - y||^2 / (2 sigma^2))``; several
  bandwidths give the *mean* of the kernels (so ``k(x, x) = 1`` and the
  multi-kernel MMD is the mean of the single-kernel MMDs).
* Median heuristic: ``sigma`` = median Euclidean distance between the distinct
  pairs of the pooled sample.
* Covariances are unbiased (divide by ``n - 1``).
"""

import numpy as np
import torch
from scipy import linalg
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from ._validation import as_2d_array, as_2d_tensor, check_int, check_same_dim

__all__ = ["gaussian_kernel", "median_bandwidth", "mmd2", "mmd_permutation_test",
           "coral_loss", "CORAL"]

ESTIMATORS = ("biased", "unbiased", "linear")


def _pair(xs, xt, min_samples=2, names=("xs", "xt")):
    """Validate a source/target pair and give both the same floating dtype."""
    xs = as_2d_tensor(xs, names[0], min_samples)
    xt = as_2d_tensor(xt, names[1], min_samples)
    check_same_dim(xs, xt, *names)
    dtype = torch.promote_types(xs.dtype, xt.dtype)
    return xs.to(dtype), xt.to(dtype)


def _check_estimator(estimator):
    if estimator not in ESTIMATORS:
        raise ValueError(f"estimator must be one of {ESTIMATORS}; got {estimator!r}.")


def _check_linear_sizes(xs, xt, estimator):
    if estimator == "linear" and len(xs) != len(xt):
        raise ValueError(f"the linear estimator needs xs and xt of equal size; got xs "
                         f"with shape {tuple(xs.shape)} and xt with shape {tuple(xt.shape)}.")


def _bandwidths(bandwidth, like):
    """Bandwidth(s) as a 1-d tensor of positive floats with the dtype of ``like``."""
    try:
        sig = torch.as_tensor(bandwidth, dtype=like.dtype, device=like.device)
    except (TypeError, ValueError, RuntimeError) as err:
        raise ValueError(f"bandwidth must be a float > 0 or a 1-d sequence of them; "
                         f"got {bandwidth!r}.") from err
    sig = sig.reshape(1) if sig.ndim == 0 else sig
    if sig.ndim != 1 or sig.numel() == 0:
        raise ValueError(f"bandwidth must be a float or a non-empty 1-d sequence; "
                         f"got shape {tuple(sig.shape)}.")
    if not bool(torch.isfinite(sig).all() & (sig > 0).all()):
        raise ValueError(f"bandwidth must be finite and > 0; got {sig.tolist()}.")
    return sig


def _kernel_from_sq_dists(d2, sig):
    """Mean over the bandwidths of ``exp(-d2 / (2 sigma^2))``, elementwise."""
    return torch.exp(-d2.unsqueeze(-1) / (2 * sig**2)).mean(-1)


def _sq_dists(x, y):
    """Squared Euclidean distances ``||x_i - y_j||^2``, shape (n, m)."""
    d2 = (x * x).sum(1)[:, None] + (y * y).sum(1)[None, :] - 2 * x @ y.T
    return d2.clamp_min(0)


def gaussian_kernel(x, y, bandwidth):
    """Gaussian kernel matrix, averaged over one or several bandwidths.

    ``K[i, j] = (1/L) sum_l exp(-||x_i - y_j||^2 / (2 sigma_l^2))``.

    Parameters
    ----------
    x, y : torch.Tensor, shapes (n, d) and (m, d)
    bandwidth : float or 1-d sequence/tensor of L floats > 0
        The ``sigma_l``; several kernels are *averaged*, not summed.

    Returns
    -------
    torch.Tensor, shape (n, m)
        Values in ``(0, 1]``, differentiable in ``x`` and ``y``.

    References
    ----------
    Gretton, A. et al. (2012). A kernel two-sample test. JMLR, 13, 723-773.

    Examples
    --------
    >>> x = torch.tensor([[0.0], [2.0]])
    >>> round(gaussian_kernel(x, x, bandwidth=[1.0, 2.0])[0, 1].item(), 4)  # (e^-2 + e^-0.5)/2
    0.3709
    """
    x, y = _pair(x, y, min_samples=1, names=("x", "y"))
    return _kernel_from_sq_dists(_sq_dists(x, y), _bandwidths(bandwidth, x))


def median_bandwidth(xs, xt):
    """Median heuristic ``sigma = median{||z_i - z_j|| : i < j}``, ``z = [xs; xt]``.

    Computed without gradient (the bandwidth is a constant of the loss).  If
    the median is 0 (over half the pairs are duplicates) the mean distance is
    used, and 1.0 if all points coincide.

    Parameters
    ----------
    xs, xt : torch.Tensor or numpy.ndarray, shapes (n, d) and (m, d)

    Returns
    -------
    float

    References
    ----------
    Garreau, D., Jitkrittum, W., & Kanagawa, M. (2017). Large sample analysis
    of the median heuristic. arXiv:1707.07269.

    Examples
    --------
    >>> median_bandwidth(torch.tensor([[0.0], [1.0]]), torch.tensor([[3.0]]))
    2.0
    """
    xs, xt = _pair(xs, xt, min_samples=1)
    with torch.no_grad():
        dists = torch.pdist(torch.cat([xs, xt]).detach().double()).cpu().numpy()
    sigma = float(np.median(dists))
    return sigma if sigma > 0 else (float(dists.mean()) or 1.0)


def mmd2(xs, xt, bandwidth=None, estimator="biased"):
    """Squared maximum mean discrepancy with a Gaussian kernel.

    ``MMD^2 = E k(x, x') + E k(y, y') - 2 E k(x, y)`` with ``x, x' ~ P_s``,
    ``y, y' ~ P_t``, estimated from the samples by

    * ``"biased"`` (V-statistic): means over all pairs, diagonals included;
      ``>= 0``, and exactly 0 when ``xs`` and ``xt`` are the same sample.
    * ``"unbiased"`` (U-statistic): within-sample means skip ``i == j``; can
      be negative.  Sizes may differ.
    * ``"linear"`` (Lemma 14 of the reference): needs ``n == m``; with
      ``p = floor(n / 2)`` disjoint pairs, the mean over ``i < p`` of
      ``k(x_2i, x_2i+1) + k(y_2i, y_2i+1) - k(x_2i, y_2i+1) - k(x_2i+1, y_2i)``
      (an odd last sample is dropped).  Unbiased, ``O(n)``, higher variance.

    Parameters
    ----------
    xs, xt : torch.Tensor or numpy.ndarray, shapes (n, d) and (m, d)
        Source and target samples, ``n, m >= 2``.
    bandwidth : None, float or 1-d sequence of floats, default=None
        Gaussian ``sigma``; None: :func:`median_bandwidth`; a sequence: mean
        of the kernels (:func:`gaussian_kernel`).
    estimator : {"biased", "unbiased", "linear"}, default="biased"

    Returns
    -------
    torch.Tensor, shape ()
        Differentiable in ``xs`` and ``xt``.

    References
    ----------
    Gretton, A., Borgwardt, K. M., Rasch, M. J., Schoelkopf, B., & Smola, A.
    (2012). A kernel two-sample test. JMLR, 13, 723-773.

    Examples
    --------
    >>> x = torch.randn(50, 3)
    >>> float(mmd2(x, x, bandwidth=1.0)), float(mmd2(x, x + 1.0)) > 0
    (0.0, True)
    """
    _check_estimator(estimator)
    xs, xt = _pair(xs, xt)
    _check_linear_sizes(xs, xt, estimator)
    n, m = len(xs), len(xt)
    sig = _bandwidths(median_bandwidth(xs, xt) if bandwidth is None else bandwidth, xs)
    if estimator == "linear":
        p = n // 2
        x1, x2 = xs[0 : 2 * p : 2], xs[1 : 2 * p : 2]
        y1, y2 = xt[0 : 2 * p : 2], xt[1 : 2 * p : 2]

        def k(a, b):
            return _kernel_from_sq_dists(((a - b) ** 2).sum(1), sig)

        return (k(x1, x2) + k(y1, y2) - k(x1, y2) - k(x2, y1)).mean()
    k_ss = _kernel_from_sq_dists(_sq_dists(xs, xs), sig)
    k_tt = _kernel_from_sq_dists(_sq_dists(xt, xt), sig)
    k_st = _kernel_from_sq_dists(_sq_dists(xs, xt), sig)
    if estimator == "biased":
        return k_ss.mean() + k_tt.mean() - 2 * k_st.mean()
    within_s = (k_ss.sum() - k_ss.diagonal().sum()) / (n * (n - 1))
    within_t = (k_tt.sum() - k_tt.diagonal().sum()) / (m * (m - 1))
    return within_s + within_t - 2 * k_st.mean()


def _permuted_stats(K, perms, n, estimator):
    """MMD^2 for each row of ``perms`` (B, N), whose first ``n`` entries index the source."""
    m = K.shape[0] - n
    if estimator == "linear":
        p = n // 2
        src, tgt = perms[:, :n], perms[:, n:]
        x1, x2 = src[:, 0 : 2 * p : 2], src[:, 1 : 2 * p : 2]
        y1, y2 = tgt[:, 0 : 2 * p : 2], tgt[:, 1 : 2 * p : 2]
        return (K[x1, x2] + K[y1, y2] - K[x1, y2] - K[x2, y1]).mean(1)
    first_n = torch.zeros(perms.shape, dtype=K.dtype, device=K.device)
    first_n[:, :n] = 1.0
    S = torch.zeros_like(first_n).scatter_(1, perms, first_n)  # S[b, i] = 1: i is source
    T = 1.0 - S
    KS, KT = S @ K, T @ K
    ss, tt, st = (KS * S).sum(1), (KT * T).sum(1), (KS * T).sum(1)
    if estimator == "biased":
        return ss / n**2 + tt / m**2 - 2 * st / (n * m)
    ss, tt = ss - S @ K.diagonal(), tt - T @ K.diagonal()
    return ss / (n * (n - 1)) + tt / (m * (m - 1)) - 2 * st / (n * m)


def mmd_permutation_test(xs, xt, n_permutations=200, bandwidth=None, estimator="biased",
                         seed=0):
    """Permutation two-sample test of ``P_s = P_t`` with MMD^2 as the statistic.

    The bandwidth is fixed once on the pooled data (median heuristic if None)
    and the pooled kernel matrix computed once; each permutation re-splits its
    indices.  ``p = (1 + #{b : MMD^2_b >= MMD^2_obs}) / (1 + B)``.

    Parameters
    ----------
    xs, xt : torch.Tensor or numpy.ndarray, shapes (n, d) and (m, d)
    n_permutations : int, default=200
        ``B``, the number of random re-splits of the pooled sample.
    bandwidth, estimator :
        As in :func:`mmd2`.
    seed : int, default=0
        Seed of the generator drawing the permutations.

    Returns
    -------
    statistic : float
        ``mmd2(xs, xt, bandwidth, estimator)`` on the observed split.
    p_value : float
        In ``[1 / (1 + B), 1]``.

    References
    ----------
    Gretton, A. et al. (2012). A kernel two-sample test. JMLR, 13, 723-773.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> stat, p = mmd_permutation_test(rng.normal(size=(100, 2)), rng.normal(1, size=(100, 2)))
    >>> p < 0.05
    True
    """
    _check_estimator(estimator)
    n_permutations = check_int(n_permutations, "n_permutations", 1)
    xs, xt = _pair(xs, xt)
    _check_linear_sizes(xs, xt, estimator)
    with torch.no_grad():
        z = torch.cat([xs, xt]).detach().double()
        if bandwidth is None:
            bandwidth = median_bandwidth(xs, xt)
        K = _kernel_from_sq_dists(_sq_dists(z, z), _bandwidths(bandwidth, z))
        rng = np.random.default_rng(seed)
        perms = np.vstack([np.arange(len(z)),  # row 0: the observed split
                           rng.permuted(np.tile(np.arange(len(z)), (n_permutations, 1)), axis=1)])
        stats = _permuted_stats(K, torch.as_tensor(perms, device=K.device), len(xs), estimator)
    observed, stats = float(stats[0]), stats[1:]
    # A tiny tolerance so that rounding does not break exact ties with the observed value.
    n_extreme = int((stats >= observed - 1e-12 * (1.0 + abs(observed))).sum())
    return observed, (1 + n_extreme) / (1 + n_permutations)


def coral_loss(xs, xt):
    """Deep CORAL loss ``||C_s - C_t||_F^2 / (4 d^2)``, unbiased covariances.

    Parameters
    ----------
    xs, xt : torch.Tensor, shapes (n, d) and (m, d)
        Source and target features, ``n, m >= 2`` (``m`` may differ from ``n``).

    Returns
    -------
    torch.Tensor, shape ()
        Differentiable; blind to the means.

    References
    ----------
    Sun, B., & Saenko, K. (2016). Deep CORAL: Correlation alignment for deep
    domain adaptation. ECCV Workshops.

    Examples
    --------
    >>> x = torch.randn(20, 4)
    >>> float(coral_loss(x, x + 3.0)) < 1e-10
    True
    """
    xs, xt = _pair(xs, xt)

    def cov(x):
        xc = x - x.mean(0, keepdim=True)
        return xc.T @ xc / (len(x) - 1)

    return ((cov(xs) - cov(xt)) ** 2).sum() / (4 * xs.shape[1] ** 2)


def _sym_power(C, power, name):
    """``C ** power`` of a symmetric PSD matrix (PD if ``power < 0``) by ``eigh``."""
    w, V = linalg.eigh(C)
    if power < 0 and w.min() <= 1e-12 * max(1.0, abs(w).max()):
        raise ValueError(f"{name} is singular (smallest eigenvalue {w.min():.3g}); "
                         "increase reg.")
    return (V * np.clip(w, 0.0, None) ** power) @ V.T


class CORAL(BaseEstimator):
    """CORrelation ALignment: whiten the source, re-colour it with the target.

    ``A = (C_s + reg I)^{-1/2} (C_t + reg I)^{1/2}`` (unbiased covariances), so
    that ``A^T (C_s + reg I) A = C_t + reg I``.  ``reg=1`` is the paper's ``+ I``.

    Parameters
    ----------
    reg : float, default=1.0
        Ridge ``>= 0`` added to both covariances.
    match_mean : bool, default=True
        True: ``transform(X) = (X - mean_source_) @ A_ + mean_target_`` (means
        matched too).  False: ``transform(X) = X @ A_``, Algorithm 1 of the
        paper (covariance only; means not aligned).

    Attributes
    ----------
    mean_source_, mean_target_ : ndarray, shape (d,)
    cov_source_, cov_target_ : ndarray, shape (d, d)
        Unbiased covariances, without ``reg``.
    A_ : ndarray, shape (d, d)
    n_features_in_ : int

    References
    ----------
    Sun, B., Feng, J., & Saenko, K. (2016). Return of frustratingly easy
    domain adaptation. AAAI.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> Xs, Xt = rng.normal(size=(200, 3)), 2.0 * rng.normal(size=(200, 3))
    >>> Xs_new = CORAL(reg=1e-9).fit(Xs, Xt).transform(Xs)
    >>> bool(np.allclose(np.cov(Xs_new.T), np.cov(Xt.T)))
    True
    """

    def __init__(self, reg=1.0, match_mean=True):
        self.reg = reg
        self.match_mean = match_mean

    def fit(self, Xs, Xt):
        """Estimate means, covariances and ``A_`` from ``Xs`` (n, d), ``Xt`` (m, d); return self."""
        if not np.isscalar(self.reg) or not np.isfinite(self.reg) or self.reg < 0:
            raise ValueError(f"reg must be a finite float >= 0; got {self.reg!r}.")
        Xs, Xt = as_2d_array(Xs, "Xs"), as_2d_array(Xt, "Xt")
        check_same_dim(Xs, Xt, "Xs", "Xt")
        ridge = self.reg * np.eye(Xs.shape[1])
        self.mean_source_, self.mean_target_ = Xs.mean(0), Xt.mean(0)
        self.cov_source_ = np.atleast_2d(np.cov(Xs, rowvar=False))
        self.cov_target_ = np.atleast_2d(np.cov(Xt, rowvar=False))
        whiten = _sym_power(self.cov_source_ + ridge, -0.5, "cov_source_ + reg I")
        recolour = _sym_power(self.cov_target_ + ridge, 0.5, "cov_target_ + reg I")
        self.A_ = whiten @ recolour
        self.n_features_in_ = Xs.shape[1]
        return self

    def transform(self, X):
        """Map source-like data ``X`` (n, d) to the target domain; returns (n, d)."""
        check_is_fitted(self, "A_", msg="This CORAL instance is not fitted yet: "
                                        "call fit(Xs, Xt) before transform(X).")
        X = as_2d_array(X, "X", min_samples=1)
        if X.shape[1] != self.n_features_in_:
            raise ValueError(f"X must have {self.n_features_in_} features like the data "
                             f"CORAL was fitted on; got shape {X.shape}.")
        if self.match_mean:
            return (X - self.mean_source_) @ self.A_ + self.mean_target_
        return X @ self.A_

    def fit_transform(self, Xs, Xt):
        """``fit(Xs, Xt).transform(Xs)``."""
        return self.fit(Xs, Xt).transform(Xs)
