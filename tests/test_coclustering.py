"""Cross-domain co-clustering: planted co-clusters are recovered, a source with the same feature
clusters rescues a noisy target, scikit-learn conventions, errors that name the argument."""
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.cluster import SpectralCoclustering
from sklearn.exceptions import NotFittedError

from course_lib.coclustering import CrossDomainCoclustering, stack_domains
from course_lib.metrics import cluster_accuracy


def planted(n_rows=60, n_cols=30, k=3, signal=1.0, noise=0.2, seed=0):
    """Rows of class c put ``signal`` (Poisson) mass on column block c, ``noise`` everywhere."""
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(k), n_rows // k)
    cols = np.repeat(np.arange(k), n_cols // k)
    rate = noise + signal * (y[:, None] == cols[None, :])
    return rng.poisson(rate * 5).astype(float) + 1e-3, y, cols


def test_recovers_planted_co_clusters_rows_and_columns():
    X, y, cols = planted(signal=2.0)
    m = CrossDomainCoclustering(3, source_weight=0).fit(None, X)
    assert cluster_accuracy(y, m.labels_) == 1.0
    assert cluster_accuracy(cols, m.column_labels_) == 1.0
    # rows and columns of one co-cluster carry the same index
    assert all(np.bincount(m.column_labels_[cols == c]).argmax() == np.bincount(m.labels_[y == c]).argmax()
               for c in range(3))


def test_target_alone_matches_scikit_learn():
    X, _, _ = planted(seed=1)
    ours = CrossDomainCoclustering(3, source_weight=0, random_state=4).fit(None, X).labels_
    ref = SpectralCoclustering(3, random_state=4).fit(X).row_labels_
    np.testing.assert_array_equal(ours, ref)


def test_a_clean_source_with_shared_feature_clusters_helps_a_noisy_target():
    gains = []
    for seed in range(4):
        Xs, _, _ = planted(n_rows=150, signal=2.0, seed=100 + seed)
        Xt, yt, _ = planted(n_rows=30, signal=0.3, noise=0.5, seed=seed)
        alone = CrossDomainCoclustering(3, source_weight=0, random_state=seed).fit(None, Xt).labels_
        joint = CrossDomainCoclustering(3, source_weight=1.0, random_state=seed).fit(Xs, Xt).labels_
        gains.append(cluster_accuracy(yt, joint) - cluster_accuracy(yt, alone))
    assert np.mean(gains) > 0.05 and min(gains) >= 0, f"the source lifts the noisy target: {np.round(gains, 3)}"


def test_predict_on_the_fitted_rows_mostly_agrees():
    X, y, _ = planted(signal=2.0)
    m = CrossDomainCoclustering(3, source_weight=0).fit(None, X)
    assert (m.predict(X) == m.labels_).mean() > 0.95
    assert m.predict(X[:1]).shape == (1,)


def test_scikit_learn_conventions():
    X, _, _ = planted()
    est = CrossDomainCoclustering(3, source_weight=0.5, random_state=2)
    c = clone(est)
    assert c.get_params() == est.get_params()
    with pytest.raises(NotFittedError):
        c.predict(X)
    assert c.fit(X, X) is c
    assert c.labels_.shape == (len(X),) and c.source_labels_.shape == (len(X),)
    np.testing.assert_array_equal(c.fit_predict(X, X), c.labels_)


def test_zero_columns_are_labelled_minus_one():
    X, _, _ = planted()
    X = np.c_[X, np.zeros(len(X))]
    m = CrossDomainCoclustering(3, source_weight=0).fit(None, X)
    assert m.column_labels_[-1] == -1 and (m.column_labels_[:-1] >= 0).all()


def test_stack_domains_weights_the_source_rows():
    A = stack_domains(np.ones((2, 3)), np.full((4, 3), 2.0), 0.25)
    assert A.shape == (6, 3) and A[0, 0] == 0.25 and A[-1, 0] == 2.0
    assert stack_domains(None, np.ones((2, 3)), 0).shape == (2, 3)


@pytest.mark.parametrize("case, match", [
    ("negative", "Xt must be non-negative"),
    ("zero_row", "Xt has rows with no mass"),
    ("cols", "Xs and Xt"),
    ("k", "n_clusters"),
    ("weight", "source_weight"),
])
def test_bad_inputs_name_the_argument(case, match):
    X, _, _ = planted()
    Xs, Xt, kw = X, X.copy(), {"n_clusters": 3}
    if case == "negative":
        Xt[0, 0] = -1
    elif case == "zero_row":
        Xt[0] = 0
    elif case == "cols":
        Xs = X[:, :-1]
    elif case == "k":
        kw["n_clusters"] = 1
    elif case == "weight":
        kw["source_weight"] = -0.5
    with pytest.raises(ValueError, match=match):
        CrossDomainCoclustering(**kw).fit(Xs, Xt)


def test_predict_checks_columns():
    X, _, _ = planted()
    m = CrossDomainCoclustering(3, source_weight=0).fit(None, X)
    with pytest.raises(ValueError, match="Xt must have 30 columns"):
        m.predict(np.ones((2, 5)))
