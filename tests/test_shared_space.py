"""Tests for course_lib.shared_space: CCA / PLS, collective matrix factorisation, InfoNCE and contrastive heads."""
import numpy as np
import pytest
import torch
from sklearn.cross_decomposition import CCA as SkCCA
from sklearn.cross_decomposition import PLSSVD
from sklearn.exceptions import NotFittedError

from course_lib.retrieval import cosine_similarity
from course_lib.shared_space import CCA, ContrastiveSpace, ProjectionHead, SharedFactorisation, info_nce


def planted(n=600, k=2, dx=10, dy=8, noise=0.3, seed=0):
    """Views that share a k-d latent z through random mixings, plus view-specific nuisance directions."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, k))
    X = z @ rng.normal(size=(k, dx)) + 2.0 * rng.normal(size=(n, 3)) @ rng.normal(size=(3, dx))
    Y = z @ rng.normal(size=(k, dy)) + 2.0 * rng.normal(size=(n, 3)) @ rng.normal(size=(3, dy))
    return z, X + noise * rng.normal(size=X.shape), Y + noise * rng.normal(size=Y.shape)


def principal_cosines(A, B):
    """Cosines of the principal angles between the column spans of A and B."""
    qa, qb = np.linalg.qr(A - A.mean(0))[0], np.linalg.qr(B - B.mean(0))[0]
    return np.linalg.svd(qa.T @ qb, compute_uv=False)


# ---------------------------------------------------------------------------------------------- CCA
def test_cca_recovers_a_planted_shared_subspace_despite_larger_nuisance():
    z, X, Y = planted()
    cca = CCA(n_components=2, reg=0.0).fit(X, Y)
    assert cca.correlations_.min() > 0.9, "the two shared directions are strongly correlated"
    for view, V in ((0, X), (1, Y)):
        cos = principal_cosines(cca.transform(V, view), z)
        assert cos.min() > 0.95, f"view {view}: span of the canonical variates = span of the latent z"
    # the nuisance has more variance than the shared part, so the top principal components miss z
    pcs = np.linalg.svd(X - X.mean(0), full_matrices=False)[0][:, :2]
    assert principal_cosines(pcs, z).min() < 0.9


def test_cca_canonical_variates_are_uncorrelated_and_their_correlations_match_sklearn():
    _, X, Y = planted(k=3, seed=1)
    cca = CCA(n_components=3, reg=0.0).fit(X, Y)
    A, B = cca.transform(X, 0), cca.transform(Y, 1)
    C = np.corrcoef(np.hstack([A, B]).T)
    assert np.allclose(C[:3, :3], np.eye(3), atol=1e-8), "variates of one view are uncorrelated"
    assert np.allclose(np.diag(C[:3, 3:]), cca.correlations_, atol=1e-8)
    sk = SkCCA(n_components=3, max_iter=5000, tol=1e-10).fit(X, Y)
    Ask, Bsk = sk.transform(X, Y)
    sk_corr = [abs(np.corrcoef(Ask[:, j], Bsk[:, j])[0, 1]) for j in range(3)]
    assert np.allclose(sk_corr, cca.correlations_, atol=1e-3), "same canonical correlations as scikit-learn"
    for j in range(3):
        assert abs(np.corrcoef(A[:, j], Ask[:, j])[0, 1]) > 0.999, f"same {j}-th canonical direction"


def test_cca_with_full_shrinkage_is_pls_svd():
    _, X, Y = planted(seed=2)
    ours = CCA(n_components=2, reg=1.0).fit(X, Y)
    sk = PLSSVD(n_components=2, scale=False).fit(X, Y)
    for j in range(2):
        assert abs(np.corrcoef(ours.transform(X, 0)[:, j], sk.transform(X)[:, j])[0, 1]) > 0.9999


def test_cca_scale_power_weights_dimensions_by_correlation():
    _, X, Y = planted()
    plain, scaled = CCA(2, reg=0.0).fit(X, Y), CCA(2, reg=0.0, scale_power=2).fit(X, Y)
    assert np.allclose(scaled.transform(X), plain.transform(X) * plain.correlations_ ** 2)


# ------------------------------------------------------------------------------ matrix factorisation
def test_shared_factorisation_latent_is_the_truncated_svd_and_recovers_the_shared_subspace():
    z, X, Y = planted(noise=0.1)
    # equal variance for shared and nuisance parts would let SVD pick either; here the shared latent
    # drives both views, so it carries the most joint variance of the stacked matrix
    rng = np.random.default_rng(0)
    X2 = z @ rng.normal(size=(2, 10)) * 3 + rng.normal(size=(600, 10))
    Y2 = z @ rng.normal(size=(2, 8)) * 3 + rng.normal(size=(600, 8))
    mf = SharedFactorisation(n_components=2).fit(X2, Y2)
    assert principal_cosines(mf.latent_, z).min() > 0.95
    for view, V in ((0, X2), (1, Y2)):
        assert principal_cosines(mf.transform(V, view), z).min() > 0.95, f"fold-in of view {view}"
    # Eckart-Young: reconstruction from L and the bases = best rank-2 approximation of the stacked views
    S = np.hstack([(V - m) / s for V, m, s in zip((X2, Y2), mf.means_, mf.scales_)])
    rec = mf.latent_ @ np.hstack(mf.bases_)
    U, sv, Vt = np.linalg.svd(S, full_matrices=False)
    assert np.allclose(rec, (U[:, :2] * sv[:2]) @ Vt[:2], atol=1e-8)


def test_shared_factorisation_pairs_meet_in_the_latent_space_when_shared_variance_dominates():
    rng = np.random.default_rng(3)
    z = rng.normal(size=(300, 4))
    X = 3 * z @ rng.normal(size=(4, 10)) + rng.normal(size=(300, 10))
    Y = 3 * z @ rng.normal(size=(4, 8)) + rng.normal(size=(300, 8))
    mf = SharedFactorisation(n_components=4, ridge=1e-3).fit(X, Y)
    sim = cosine_similarity(mf.transform(X, 0), mf.transform(Y, 1))
    assert np.mean(sim.argmax(1) == np.arange(300)) > 0.2, "far above chance (1/300)"
    # unlike CCA it follows joint variance: with larger view-specific nuisance it fails (planted())
    _, Xn, Yn = planted(n=300, k=4, noise=0.05, seed=3)
    mf_n, cca_n = SharedFactorisation(4).fit(Xn, Yn), CCA(4).fit(Xn, Yn)
    r1 = lambda m: np.mean(cosine_similarity(m.transform(Xn, 0), m.transform(Yn, 1)).argmax(1) == np.arange(300))
    assert r1(cca_n) > 0.2 > r1(mf_n)


def test_shared_factorisation_takes_three_views_and_weights():
    z, X, Y = planted(n=200)
    W = np.hstack([z, z]) + 0.1
    mf = SharedFactorisation(n_components=2, weights=[1, 1, 2]).fit(X, Y, W)
    assert mf.transform(W, view=2).shape == (200, 2)
    with pytest.raises(ValueError, match="weights"):
        SharedFactorisation(2, weights=[1, 0]).fit(X, Y)


# ---------------------------------------------------------------------------------------- InfoNCE
def test_info_nce_is_symmetric_nonnegative_and_chance_is_log_n():
    torch.manual_seed(0)
    a, b = torch.randn(16, 8), torch.randn(16, 8)
    assert torch.allclose(info_nce(a, b, 5.0), info_nce(b, a, 5.0))
    assert info_nce(a, b, 5.0) >= 0
    assert torch.allclose(info_nce(a, b, 1e-6), torch.tensor(np.log(16.0), dtype=a.dtype), atol=1e-4)


def test_info_nce_is_minimal_for_matched_pairs():
    torch.manual_seed(0)
    z = torch.nn.functional.normalize(torch.randn(32, 16), dim=1)
    matched = info_nce(z, z, 20.0)
    for shift in (1, 5, 17):
        assert matched < info_nce(z, z.roll(shift, 0), 20.0), "any mismatch of the pairs costs more"
    noisy = info_nce(z, z + 0.3 * torch.randn(32, 16), 20.0)
    assert matched < noisy
    # with orthogonal codes the loss vanishes as the temperature goes to 0
    e = torch.eye(8)
    assert info_nce(e, e, 100.0) < 1e-6


def test_info_nce_groups_remove_same_group_negatives_and_the_loss_has_gradients():
    a = torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]], requires_grad=True)
    b = torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    plain, grouped = info_nce(a, b, 10.0), info_nce(a, b, 10.0, groups=[0, 0, 1])
    assert grouped < plain, "two captions of one image are no longer negatives of each other"
    grouped.backward()
    assert a.grad is not None and torch.isfinite(a.grad).all()


def test_projection_head_shapes():
    assert ProjectionHead(7, 3)(torch.randn(5, 7)).shape == (5, 3)
    assert isinstance(ProjectionHead(7, 3, hidden=None).net, torch.nn.Linear)


def test_contrastive_space_learns_to_match_pairs_for_three_views_and_learns_the_temperature():
    torch.set_num_threads(1)
    z, X, Y = planted(n=400, k=4, noise=0.05, seed=4)
    rng = np.random.default_rng(0)
    W = z @ rng.normal(size=(4, 6)) + 0.05 * rng.normal(size=(400, 6))
    cs = ContrastiveSpace(n_components=8, hidden=32, num_epochs=40, batch_size=64, lr=3e-3, seed=0).fit(X, Y, W)
    assert cs.history_[-1] < 0.5 * cs.history_[0]
    assert cs.logit_scale_ != pytest.approx(1 / 0.07), "the temperature moved"
    for a, b in ((0, 1), (0, 2), (1, 2)):
        sim = cosine_similarity(cs.transform([X, Y, W][a], a), cs.transform([X, Y, W][b], b))
        assert np.mean(sim.argmax(1) == np.arange(400)) > 0.2, f"views {a}->{b} far above chance"
    again = ContrastiveSpace(n_components=8, hidden=32, num_epochs=40, batch_size=64, lr=3e-3, seed=0).fit(X, Y, W)
    assert np.allclose(again.transform(X, 0), cs.transform(X, 0)), "same seed, same result"


def test_contrastive_space_accepts_custom_heads_and_fixed_temperature():
    _, X, Y = planted(n=100)
    made = []
    def maker(d_in, d_out):
        made.append((d_in, d_out))
        return torch.nn.Linear(d_in, d_out)
    cs = ContrastiveSpace(n_components=4, heads=[maker, None], learn_temperature=False, num_epochs=2).fit(X, Y)
    assert made == [(10, 4)] and cs.logit_scale_ == pytest.approx(1 / 0.07)


def test_bad_inputs_raise_value_errors_naming_the_argument():
    _, X, Y = planted(n=50)
    with pytest.raises(ValueError, match="reg"):
        CCA(reg=2.0)
    with pytest.raises(ValueError, match="n_components"):
        CCA(n_components=20).fit(X, Y)
    with pytest.raises(ValueError, match="views"):
        CCA(2).fit(X, Y[:40])
    with pytest.raises(ValueError, match="view must"):
        CCA(2).fit(X, Y).transform(X, view=2)
    with pytest.raises(ValueError, match="X must have 10 features"):
        CCA(2).fit(X, Y).transform(Y, view=0)
    with pytest.raises(ValueError, match="views"):
        SharedFactorisation(2).fit(X)
    with pytest.raises(ValueError, match="ridge"):
        SharedFactorisation(ridge=0)
    with pytest.raises(ValueError, match="za and zb"):
        info_nce(torch.randn(4, 3), torch.randn(5, 3), 1.0)
    with pytest.raises(ValueError, match="logit_scale"):
        info_nce(torch.randn(4, 3), torch.randn(4, 3), -1.0)
    with pytest.raises(ValueError, match="groups"):
        info_nce(torch.randn(4, 3), torch.randn(4, 3), 1.0, groups=[0, 1])
    with pytest.raises(ValueError, match="temperature"):
        ContrastiveSpace(temperature=0)
    with pytest.raises(ValueError, match="heads"):
        ContrastiveSpace(heads=[None]).fit(X, Y)
    for est in (CCA(), SharedFactorisation(), ContrastiveSpace()):
        with pytest.raises(NotFittedError):
            est.transform(X)


def naive_cca(X, Y, k, reg):
    """Regularised CCA by explicit covariance matrices and eigendecompositions (the textbook route)."""
    Xc, Yc = X - X.mean(0), Y - Y.mean(0)
    n = len(X)

    def inv_sqrt(V):
        C = V.T @ V / (n - 1)
        S = (1 - reg) * C + reg * np.trace(C) / C.shape[0] * np.eye(C.shape[0])
        w, E = np.linalg.eigh(S)
        return (E / np.sqrt(w)) @ E.T

    Wx, Wy = inv_sqrt(Xc), inv_sqrt(Yc)
    U, rho, Vt = np.linalg.svd(Wx @ (Xc.T @ Yc / (n - 1)) @ Wy)
    return Wx @ U[:, :k], Wy @ Vt[:k].T, rho[:k]


@pytest.mark.parametrize("n", [40, 300])
def test_cca_thin_svd_route_equals_the_textbook_route_also_with_fewer_samples_than_features(n):
    rng = np.random.default_rng(n)
    X, Y = rng.normal(size=(n, 60)), rng.normal(size=(n, 50))
    Y[:, :5] += X[:, :5]
    A, B, rho = naive_cca(X, Y, 6, reg=0.3)
    ours = CCA(6, reg=0.3).fit(X, Y)
    assert np.allclose(ours.correlations_, rho)
    for j in range(6):  # the same directions, up to sign
        assert abs(abs(A[:, j] @ ours.weights_[0][:, j]) / np.linalg.norm(A[:, j]) / np.linalg.norm(ours.weights_[0][:, j]) - 1) < 1e-6
        assert abs(abs(B[:, j] @ ours.weights_[1][:, j]) / np.linalg.norm(B[:, j]) / np.linalg.norm(ours.weights_[1][:, j]) - 1) < 1e-6
