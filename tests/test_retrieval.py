"""Tests for course_lib.retrieval: cosine similarity, exact top-k, the FAISS index."""
import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from course_lib.retrieval import FaissIndex, cosine_similarity, l2_normalize, top_k


def _data(n_g=600, n_q=40, d=16, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n_g, d)), rng.normal(size=(n_q, d))


def test_cosine_similarity_matches_a_plain_loop_and_ignores_scale():
    G, Q = _data(30, 5, 4)
    loop = np.array([[q @ g / np.linalg.norm(q) / np.linalg.norm(g) for g in G] for q in Q])
    assert np.allclose(cosine_similarity(Q, G), loop)
    assert np.allclose(cosine_similarity(3 * Q, 0.5 * G), loop), "cosine is scale-free"
    assert np.allclose(np.linalg.norm(l2_normalize(G), axis=1), 1.0)


def test_top_k_is_a_sorted_prefix_of_the_full_ranking_with_ties_by_index():
    sim = np.array([[0.2, 0.9, 0.9, 0.1, 0.9], [0.5, 0.4, 0.3, 0.2, 0.1]])
    s, i = top_k(sim, 2)
    assert i.tolist() == [[1, 2], [0, 1]], "tied 0.9s at indices 1, 2, 4: lower indices first"
    assert s.tolist() == [[0.9, 0.9], [0.5, 0.4]]
    s, i = top_k(sim, 10)
    assert i.shape == (2, 5), "k larger than the gallery returns the whole gallery"
    assert i[0].tolist() == [1, 2, 4, 0, 3]


def test_top_k_agrees_with_argsort_on_random_data():
    G, Q = _data()
    sim = cosine_similarity(Q, G)
    _, i = top_k(sim, 7)
    assert np.array_equal(i, np.argsort(-sim, axis=1)[:, :7])


@pytest.mark.parametrize("metric", ["cosine", "ip"])
def test_faiss_flat_and_exhaustive_ivf_give_the_exact_top_k(metric):
    G, Q = _data()
    sim = cosine_similarity(Q, G) if metric == "cosine" else Q @ G.T
    s_exact, i_exact = top_k(sim, 10)
    for index in (FaissIndex("flat", metric=metric), FaissIndex("ivf", metric=metric, nlist=16, nprobe=16)):
        s, i = index.fit(G).search(Q, 10)
        assert np.array_equal(i, i_exact), f"{index.kind} must be exact"
        assert np.allclose(s, s_exact, atol=1e-4)


def test_approximate_indexes_find_most_true_neighbours_and_ivf_probing_fewer_cells_loses_some():
    G, Q = _data(2000, 50, 16)
    _, exact = top_k(cosine_similarity(Q, G), 10)
    overlap = lambda i: np.mean([len(set(a) & set(b)) / 10 for a, b in zip(i, exact)])
    assert overlap(FaissIndex("hnsw", ef_search=128).fit(G).search(Q, 10)[1]) > 0.9
    partial = overlap(FaissIndex("ivf", nlist=40, nprobe=2).fit(G).search(Q, 10)[1])
    assert partial < 1.0, "probing 2 of 40 cells misses some true neighbours on random data"


def test_faiss_k_larger_than_gallery_is_clipped():
    G, Q = _data(5, 2, 3)
    s, i = FaissIndex().fit(G).search(Q, 50)
    assert i.shape == (2, 5) and sorted(i[0]) == list(range(5))


def test_bad_inputs_raise_value_errors_naming_the_argument():
    G, Q = _data(20, 3, 4)
    with pytest.raises(ValueError, match="kind"):
        FaissIndex("lsh")
    with pytest.raises(ValueError, match="metric"):
        FaissIndex(metric="l1")
    with pytest.raises(ValueError, match="nlist"):
        FaissIndex("ivf", nlist=0)
    with pytest.raises(ValueError, match="nlist"):
        FaissIndex("ivf", nlist=50).fit(G)
    with pytest.raises(ValueError, match="k must"):
        top_k(np.ones((2, 3)), 0)
    with pytest.raises(ValueError, match="Q and G"):
        cosine_similarity(Q, G[:, :3])
    with pytest.raises(ValueError, match="Q must have 4"):
        FaissIndex().fit(G).search(Q[:, :2], 1)
    with pytest.raises(ValueError, match="NaN"):
        cosine_similarity(np.full((2, 4), np.nan), G)
    with pytest.raises(NotFittedError):
        FaissIndex().search(Q, 1)
