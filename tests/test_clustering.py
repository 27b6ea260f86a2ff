"""Clustering helpers: separated blobs are found, seeded k-means keeps class names, few_labels draws m per class."""
import numpy as np
import pytest
from sklearn.cluster import KMeans
from sklearn.datasets import make_blobs

from course_lib.clustering import METHODS, class_centres, cluster, few_labels, seeded_kmeans
from course_lib.metrics import accuracy, cluster_accuracy


@pytest.fixture(scope="module")
def blobs():
    return make_blobs(n_samples=300, centers=4, cluster_std=0.5, random_state=0)


# far-apart blobs make the neighbour graph disconnected: the ideal case for spectral clustering, which
# scikit-learn nevertheless warns about
@pytest.mark.filterwarnings("ignore:Graph is not fully connected:UserWarning")
@pytest.mark.parametrize("method", METHODS)
def test_every_method_recovers_well_separated_blobs(blobs, method):
    Z, y = blobs
    pred = cluster(Z, method, k=4, seed=0)
    assert pred.shape == (300,) and set(np.unique(pred)) == {0, 1, 2, 3}, "k labels, one per sample"
    assert cluster_accuracy(y, pred) == 1.0, f"{method} separates blobs 10 std apart perfectly"


def test_cluster_k_means_matches_scikit_learn_with_the_same_settings(blobs):
    Z, _ = blobs
    ref = KMeans(4, n_init=10, random_state=3).fit_predict(Z)
    np.testing.assert_array_equal(cluster(Z, "k-means", k=4, seed=3), ref)


def test_seeded_kmeans_from_class_means_names_clusters_after_classes(blobs):
    Z, y = blobs
    lab = few_labels(y, 3, seed=0)
    pred = seeded_kmeans(Z, class_centres(Z[lab], y[lab]))
    assert accuracy(y, pred) == 1.0, "plain accuracy (no matching) is 1: cluster j is class j"


def test_class_centres_are_the_class_means():
    Z = np.array([[0.0, 0.0], [2.0, 0.0], [10.0, 10.0], [12.0, 10.0]])
    np.testing.assert_allclose(class_centres(Z, [0, 0, 1, 1]), [[1.0, 0.0], [11.0, 10.0]])


def test_few_labels_draws_m_distinct_examples_per_class_deterministically():
    y = np.repeat(np.arange(5), 20)
    idx = few_labels(y, 4, seed=1)
    assert len(idx) == 20 and len(np.unique(idx)) == 20, "20 distinct indices"
    assert np.all(np.bincount(y[idx]) == 4), "4 per class"
    np.testing.assert_array_equal(idx, few_labels(y, 4, seed=1), err_msg="same seed, same draw")
    assert not np.array_equal(idx, few_labels(y, 4, seed=2)), "another seed, another draw"


def test_bad_inputs_name_the_argument(blobs):
    Z, y = blobs
    with pytest.raises(ValueError, match="method"):
        cluster(Z, "dbscan", k=4)
    with pytest.raises(ValueError, match="k must"):
        cluster(Z, "k-means", k=1)
    with pytest.raises(ValueError, match="Z"):
        cluster(np.full((10, 2), np.nan), "k-means", k=2)
    with pytest.raises(ValueError, match="centres"):
        seeded_kmeans(Z, np.zeros((4, 3)))
    with pytest.raises(ValueError, match="m="):
        few_labels(np.array([0, 0, 1]), 2)
    with pytest.raises(ValueError, match="m must"):
        few_labels(y, 0)
    with pytest.raises(ValueError, match="class"):
        class_centres(Z[:5], [0, 0, 2, 2, 2])
    with pytest.raises(ValueError, match="y"):
        class_centres(Z, y[:10])
