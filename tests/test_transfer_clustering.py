"""Model transfer and transfer spectral clustering: planted cases where the source carries the
structure, a case where it does not, scikit-learn conventions, and errors that name the argument."""
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.cluster import KMeans, SpectralClustering
from sklearn.exceptions import NotFittedError

from course_lib.metrics import accuracy, cluster_accuracy
from course_lib.transfer_clustering import ModelTransferClustering, TransferSpectralClustering, standardize

pytestmark = pytest.mark.filterwarnings("ignore:Graph is not fully connected:UserWarning")


def planted_shift(seed=0, n_s=300, n_t=300):
    """A big wide class and two small tight ones close together; the target is the source scaled by 2
    and shifted. k-means on the target alone splits the big class and merges the small ones (lower
    within-cluster sum of squares); started from the source's class means it keeps the classes."""
    rng = np.random.default_rng(seed)
    means, sds = np.array([[0, 0], [6, 6], [7, 5]]), np.array([1.0, 0.3, 0.3])

    def draw(n):
        y = rng.choice(3, n, p=[0.8, 0.1, 0.1])
        return means[y] + sds[y, None] * rng.normal(size=(n, 2)), y

    Xs, ys = draw(n_s)
    Xt, yt = draw(n_t)
    return Xs, ys, 2 * Xt + [10, -5], yt


def test_model_transfer_beats_clustering_the_target_alone_on_a_planted_shift():
    gains = []
    for seed in range(3):
        Xs, ys, Xt, yt = planted_shift(seed)
        mt = ModelTransferClustering().fit(Xs, ys, Xt)
        alone = KMeans(3, n_init=10, random_state=seed).fit_predict(standardize(Xt)[0])
        gains.append(cluster_accuracy(yt, mt.labels_) - cluster_accuracy(yt, alone))
    assert min(gains) > 0.3, f"transfer gains more than 30 points on every seed, got {np.round(gains, 3)}"


def test_model_transfer_names_clusters_after_source_classes_and_predict_agrees():
    Xs, ys, Xt, yt = planted_shift(0)
    mt = ModelTransferClustering().fit(Xs, ys, Xt)
    assert accuracy(yt, mt.labels_) == cluster_accuracy(yt, mt.labels_), "cluster j is class j: no matching needed"
    np.testing.assert_array_equal(mt.predict(Xt), mt.labels_)
    assert mt.cluster_centers_.shape == (3, 2) and mt.source_centres_.shape == (3, 2)


def test_model_transfer_without_source_labels_uses_source_kmeans():
    Xs, ys, Xt, yt = planted_shift(1)
    mt = ModelTransferClustering(n_clusters=3).fit(Xs, None, Xt)
    km = KMeans(3, n_init=10, random_state=0).fit(standardize(Xs)[0])
    np.testing.assert_allclose(mt.source_centres_, km.cluster_centers_)
    alone = KMeans(3, n_init=10, random_state=0).fit_predict(standardize(Xt)[0])
    assert cluster_accuracy(yt, mt.labels_) == pytest.approx(cluster_accuracy(yt, alone), abs=0.05), \
        "without labels the source model makes the same split as k-means on the target"


def test_max_iter_zero_keeps_the_initial_centres():
    Xs, ys, Xt, _ = planted_shift(2)
    mt = ModelTransferClustering(init="source-means", max_iter=0).fit(Xs, ys, Xt)
    np.testing.assert_allclose(mt.cluster_centers_, mt.source_centres_)
    assert mt.n_iter_ == 0


def test_training_reads_no_target_labels():
    # the estimators never see yt; scrambling the source labels changes the result (they are read)
    Xs, ys, Xt, _ = planted_shift(0)
    a = ModelTransferClustering().fit(Xs, ys, Xt).labels_
    b = ModelTransferClustering().fit(Xs, np.random.default_rng(0).permutation(ys), Xt).labels_
    assert not np.array_equal(a, b)


def nuisance_case(seed=0, n=200, n_nuisance=20):
    """Two classes along the first feature, ``n_nuisance`` noise features beside it in both domains:
    a k-NN graph in the standardised space links across classes, the source's discriminant metric
    ignores the noise."""
    rng = np.random.default_rng(seed)

    def draw():
        y = rng.choice(2, n)
        X = np.c_[2.5 * y + rng.normal(0, 0.5, n), rng.normal(0, 1, (n, n_nuisance))]
        return X, y

    Xs, ys = draw()
    Xt, yt = draw()
    return Xs, ys, Xt, yt


def test_transfer_spectral_beats_plain_spectral_when_the_source_carries_the_structure():
    for seed in range(3):
        Xs, ys, Xt, yt = nuisance_case(seed)
        tsc = TransferSpectralClustering(graph="metric", random_state=seed).fit(Xs, ys, Xt)
        plain = TransferSpectralClustering(graph="none", n_clusters=2, random_state=seed).fit(None, None, Xt)
        a, b = cluster_accuracy(yt, tsc.labels_), cluster_accuracy(yt, plain.labels_)
        assert a > 0.95 and a - b > 0.1, f"seed {seed}: transfer {a:.3f} vs plain {b:.3f}"


def test_joint_graph_with_must_links_helps_on_the_nuisance_case():
    Xs, ys, Xt, yt = nuisance_case(0, n_nuisance=3)
    joint = TransferSpectralClustering(graph="joint", must_link_weight=5.0).fit(Xs, ys, Xt)
    plain = TransferSpectralClustering(graph="none", n_clusters=2).fit(None, None, Xt)
    assert cluster_accuracy(yt, joint.labels_) >= cluster_accuracy(yt, plain.labels_)


def test_transfer_spectral_does_not_lose_badly_when_the_source_is_uninformative():
    # source labels unrelated to the target's clusters (random labels): the metric is noise
    rng = np.random.default_rng(0)
    yt = rng.choice(3, 300)
    Xt = np.array([[0, 0], [6, 0], [0, 6]])[yt] + rng.normal(size=(300, 2))
    Xs, ys = rng.normal(size=(300, 2)) * 3, rng.choice(3, 300)
    tsc = TransferSpectralClustering(graph="metric").fit(Xs, ys, Xt)
    plain = SpectralClustering(3, affinity="nearest_neighbors", n_neighbors=10, random_state=0).fit_predict(
        standardize(Xt)[0])
    assert cluster_accuracy(yt, tsc.labels_) > cluster_accuracy(yt, plain) - 0.1


def test_plain_graph_matches_spectral_clustering_on_the_same_knn_graph():
    Xs, ys, Xt, yt = nuisance_case(1, n_nuisance=0)
    plain = TransferSpectralClustering(graph="none", n_clusters=2).fit(None, None, Xt)
    ref = SpectralClustering(2, affinity="nearest_neighbors", n_neighbors=10, random_state=0).fit_predict(
        standardize(Xt)[0])
    assert cluster_accuracy(ref, plain.labels_) > 0.95, "same graph, same partition up to k-means noise"


def test_transfer_spectral_predict_reproduces_fitted_labels():
    Xs, ys, Xt, yt = nuisance_case(0)
    tsc = TransferSpectralClustering(graph="metric").fit(Xs, ys, Xt)
    assert tsc.projection_.shape == (21, 1)
    assert (tsc.predict(Xt) == tsc.labels_).mean() > 0.95


@pytest.mark.parametrize("est", [ModelTransferClustering(init="source-means", max_iter=5),
                                 TransferSpectralClustering(graph="joint", n_neighbors=7)])
def test_scikit_learn_conventions(est):
    Xs, ys, Xt, _ = nuisance_case(0)
    c = clone(est)
    assert c.get_params() == est.get_params() and c is not est
    with pytest.raises(NotFittedError):
        c.predict(Xt)
    assert c.fit(Xs, ys, Xt) is c, "fit returns self"
    assert c.labels_.shape == (len(Xt),)
    np.testing.assert_array_equal(c.fit_predict(Xs, ys, Xt), c.labels_)


@pytest.mark.parametrize("kwargs, args, match", [
    ({"init": "random"}, None, "init"),
    ({"adapt": "pca"}, None, "adapt"),
    ({"max_iter": -1}, None, "max_iter"),
    ({"n_clusters": 4}, None, "n_clusters"),
    ({}, "ys_short", "ys"),
    ({}, "ys_one_class", "ys"),
    ({}, "xt_dim", "Xs and Xt"),
    ({}, "xt_nan", "Xt"),
    ({}, "no_ys_no_k", "n_clusters"),
])
def test_model_transfer_bad_inputs_name_the_argument(kwargs, args, match):
    Xs, ys, Xt, _ = planted_shift(0)
    if args == "ys_short":
        ys = ys[:-1]
    elif args == "ys_one_class":
        ys = np.zeros_like(ys)
    elif args == "xt_dim":
        Xt = np.c_[Xt, Xt]
    elif args == "xt_nan":
        Xt = Xt.copy()
        Xt[0, 0] = np.nan
    elif args == "no_ys_no_k":
        ys = None
    with pytest.raises(ValueError, match=match):
        ModelTransferClustering(**kwargs).fit(Xs, ys, Xt)


def test_model_transfer_predict_checks_columns():
    Xs, ys, Xt, _ = planted_shift(0)
    mt = ModelTransferClustering().fit(Xs, ys, Xt)
    with pytest.raises(ValueError, match="Xt must have 2 columns"):
        mt.predict(np.ones((3, 5)))


@pytest.mark.parametrize("kwargs, match", [
    ({"graph": "knn"}, "graph"),
    ({"n_neighbors": 0}, "n_neighbors"),
    ({"must_link_weight": -1.0}, "must_link_weight"),
    ({"n_source": 1}, "n_source"),
    ({"adapt": "whiten"}, "adapt"),
    ({"n_clusters": 1}, "n_clusters"),
])
def test_transfer_spectral_bad_inputs_name_the_argument(kwargs, match):
    Xs, ys, Xt, _ = nuisance_case(0)
    with pytest.raises(ValueError, match=match):
        TransferSpectralClustering(**kwargs).fit(Xs, ys, Xt)


def test_transfer_spectral_needs_source_labels_for_a_source_graph():
    Xs, _, Xt, _ = nuisance_case(0)
    with pytest.raises(ValueError, match="ys must be given"):
        TransferSpectralClustering(graph="metric").fit(Xs, None, Xt)
    with pytest.raises(ValueError, match="n_clusters"):
        TransferSpectralClustering(graph="none").fit(None, None, Xt)


def test_standardize_gives_zero_mean_unit_std_and_reuses_given_statistics():
    X = np.random.default_rng(0).normal(3, 2, (50, 3))
    Z, m, s = standardize(X)
    np.testing.assert_allclose(Z.mean(0), 0, atol=1e-12)
    np.testing.assert_allclose(Z.std(0), 1)
    np.testing.assert_allclose(standardize(X[:5], m, s)[0], Z[:5])
