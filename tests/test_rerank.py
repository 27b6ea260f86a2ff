"""Tests for course_lib.rerank: k-NN graph, normalised affinity, manifold ranking."""
import numpy as np
import pytest
from scipy import sparse
from sklearn.exceptions import NotFittedError

from course_lib.rerank import ManifoldRanking, knn_graph, manifold_ranking, normalized_affinity
from course_lib.retrieval import cosine_similarity
from course_lib.retrieval_metrics import mean_average_precision, relevance


def test_knn_graph_is_symmetric_nonnegative_without_self_loops_and_links_nearest_neighbours():
    rng = np.random.default_rng(0)
    G = rng.normal(size=(40, 5))
    W = knn_graph(G, k=4)
    A = W.toarray()
    assert np.allclose(A, A.T) and (A >= 0).all() and np.all(np.diag(A) == 0)
    sim = cosine_similarity(G, G)
    np.fill_diagonal(sim, -np.inf)
    for i in range(40):
        nearest = np.argsort(-sim[i])[:4]
        assert all(np.isclose(A[i, j], max(sim[i, j], 0) ** 3, rtol=1e-12, atol=1e-15) for j in nearest)
        assert (A[i] > 0).sum() >= sum(sim[i, nearest] > 0), "at least its own k neighbours (union graph)"


def test_normalized_affinity_has_spectral_radius_at_most_one():
    rng = np.random.default_rng(1)
    S = normalized_affinity(knn_graph(rng.normal(size=(30, 4)), k=5)).toarray()
    assert np.allclose(S, S.T) and np.abs(np.linalg.eigvalsh(S)).max() <= 1 + 1e-9


def test_manifold_ranking_converges_to_the_closed_form_and_alpha_zero_is_identity():
    rng = np.random.default_rng(2)
    S = normalized_affinity(knn_graph(rng.normal(size=(25, 3)), k=4))
    Y = rng.normal(size=(3, 25))
    closed = (1 - 0.7) * Y @ np.linalg.inv(np.eye(25) - 0.7 * S.toarray())
    assert np.allclose(manifold_ranking(Y, S, alpha=0.7, n_iter=200), closed, atol=1e-8)
    assert np.allclose(manifold_ranking(Y, S, alpha=0.0, n_iter=5), Y)
    assert np.allclose(manifold_ranking(Y, S.toarray(), alpha=0.7, n_iter=200), closed, atol=1e-8)


def test_diffusion_on_a_clustered_gallery_lifts_class_map_of_noisy_scores():
    rng = np.random.default_rng(3)
    centres = 3 * rng.normal(size=(5, 8))
    y = np.repeat(np.arange(5), 30)
    G = centres[y] + rng.normal(size=(150, 8))
    yq = rng.integers(0, 5, 40)
    Q = centres[yq] + rng.normal(size=(40, 8))
    sim = cosine_similarity(Q, G) + 0.6 * rng.normal(size=(40, 150))  # a noisy cross-modal scorer
    rel = relevance(yq, y)
    before = mean_average_precision(sim, rel)
    after = mean_average_precision(ManifoldRanking(k=10, alpha=0.9).fit(G).rerank(sim), rel)
    assert after > before + 0.1, f"graph of the gallery denoises the scores: {before:.3f} -> {after:.3f}"


def test_tau_turns_scores_into_positive_weights_of_the_best_items():
    rng = np.random.default_rng(4)
    G, sim = rng.normal(size=(20, 3)), rng.normal(size=(2, 20))
    mr = ManifoldRanking(k=3, alpha=0.0, tau=0.1).fit(G)
    out = mr.rerank(sim)
    assert np.allclose(out.max(1), 1.0) and (out > 0).all()
    assert np.array_equal(np.argsort(-out, 1), np.argsort(-sim, 1)), "alpha=0 keeps the order"


def test_bad_inputs_raise_value_errors_naming_the_argument():
    G = np.random.default_rng(0).normal(size=(10, 3))
    with pytest.raises(ValueError, match="k must"):
        knn_graph(G, k=10)
    with pytest.raises(ValueError, match="power"):
        knn_graph(G, k=2, power=0)
    with pytest.raises(ValueError, match="alpha"):
        ManifoldRanking(alpha=1.0)
    with pytest.raises(ValueError, match="tau"):
        ManifoldRanking(tau=-1)
    with pytest.raises(ValueError, match="S must have shape"):
        manifold_ranking(np.ones((2, 5)), sparse.eye(4))
    with pytest.raises(ValueError, match="W must be a square"):
        normalized_affinity(np.ones((2, 3)))
    with pytest.raises(ValueError, match="non-negative"):
        normalized_affinity(-np.eye(2))
    with pytest.raises(ValueError, match="sim must have 10 columns"):
        ManifoldRanking(k=2).fit(G).rerank(np.ones((1, 4)))
    with pytest.raises(NotFittedError):
        ManifoldRanking().rerank(np.ones((1, 4)))
