"""Tests for course_lib.features: fingerprints, the feature cache (keyed by encoder, data set and
settings; invalidated when any changes; corrupt files rebuilt; atomic) and batched extraction."""
import numpy as np
import pytest

from course_lib import cache, features
from course_lib.paired_data import LazyWaves

pytestmark = pytest.mark.timeout(60)


class Counting:
    """A toy encoder: row sums times ``scale``; counts its calls."""

    name = "counting"

    def __init__(self, scale=1.0):
        self.scale, self.calls = scale, 0

    def settings(self):
        return {"scale": self.scale}

    def encode(self, items, progress=True):
        self.calls += 1
        return np.asarray(items, dtype=np.float32).reshape(len(items), -1).sum(axis=1, keepdims=True) * self.scale


@pytest.fixture
def X():
    return np.arange(12, dtype=np.float32).reshape(4, 3)


def test_fingerprint_follows_the_content():
    a = np.arange(6.0)
    assert features.fingerprint(a) == features.fingerprint(a.copy()), "same content, same fingerprint"
    b = a.copy()
    b[3] += 1e-6
    assert features.fingerprint(a) != features.fingerprint(b), "one value changed"
    assert features.fingerprint(a) != features.fingerprint(a.astype(np.float32)), "dtype counts"
    assert features.fingerprint(a) != features.fingerprint(a.reshape(2, 3)), "shape counts"
    assert features.fingerprint(["a b", "c"]) != features.fingerprint(["a", "b c"]), "texts keep their borders"
    assert features.fingerprint(np.array(["a b", "c"])) == features.fingerprint(["a b", "c"]), "array of str = list"
    assert features.fingerprint([np.zeros(3), np.ones(2)]) != features.fingerprint([np.zeros(2), np.ones(3)])
    waves = LazyWaves(["x.wav", "y.wav"], ["s1", "s2"], 22050)
    assert features.fingerprint(waves) != features.fingerprint(LazyWaves(["x.wav", "y.wav"], ["s1", "s3"], 22050))


@pytest.mark.parametrize("items", [np.zeros((0, 3)), [], ["a", 1], 5, np.array([object()])])
def test_fingerprint_rejects_what_it_cannot_hash(items):
    with pytest.raises(ValueError, match="items must"):
        features.fingerprint(items)


def test_features_are_computed_once_then_read_from_the_cache(fresh_cache, X):
    enc = Counting()
    first = features.cached_features(enc, X, "toy")
    second = features.cached_features(enc, X, "toy")
    assert enc.calls == 1, "the second call read the cache"
    np.testing.assert_array_equal(first, second)
    np.testing.assert_array_equal(first[:, 0], X.sum(axis=1))
    assert features.last_timings[("counting", "toy")][0] == "cached"
    path = features.feature_path(enc, X, "toy")
    assert path.exists() and cache.verify(path, features._params(enc, X, "toy")), "file and manifest agree"


@pytest.mark.parametrize("change", ["settings", "dataset", "data", "length"])
def test_the_cache_is_invalidated_when_any_part_of_the_key_changes(fresh_cache, X, change):
    enc = Counting()
    features.cached_features(enc, X, "toy")
    enc2, X2, name = enc, X, "toy"
    if change == "settings":
        enc2 = Counting(scale=2.0)
    elif change == "dataset":
        name = "toy2"
    elif change == "data":
        X2 = X.copy()
        X2[0, 0] = 100
    else:
        X2 = X[:3]
    out = features.cached_features(enc2, X2, name)
    assert enc2.calls == 1 if enc2 is not enc else enc.calls == 2, "computed again"
    np.testing.assert_allclose(out[:, 0], X2.sum(axis=1) * enc2.scale)


def test_a_corrupt_or_truncated_feature_file_is_rebuilt(fresh_cache, X):
    enc = Counting()
    good = features.cached_features(enc, X, "toy")
    path = features.feature_path(enc, X, "toy")
    path.write_bytes(path.read_bytes()[:-10])  # truncated
    again = features.cached_features(enc, X, "toy")
    assert enc.calls == 2, "the truncated file failed verification and was computed again"
    np.testing.assert_array_equal(again, good)
    path.write_bytes(b"garbage")
    np.testing.assert_array_equal(features.cached_features(enc, X, "toy"), good)
    assert enc.calls == 3
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")], "no temporary file left"


def test_rebuild_recomputes(fresh_cache, X):
    enc = Counting()
    features.cached_features(enc, X, "toy")
    features.cached_features(enc, X, "toy", rebuild=True)
    assert enc.calls == 2 and features.last_timings[("counting", "toy")][0] == "computed"


def test_bad_arguments_raise_naming_them(fresh_cache, X):
    with pytest.raises(ValueError, match="encoder must have name, settings\\(\\) and encode\\(\\)"):
        features.cached_features(object(), X, "toy")
    with pytest.raises(ValueError, match="dataset must be a non-empty name"):
        features.cached_features(Counting(), X, "a/b")
    with pytest.raises(ValueError, match="rebuild must be True or False"):
        features.cached_features(Counting(), X, "toy", rebuild="no")

    class Wrong(Counting):
        def encode(self, items, progress=True):
            return np.zeros((1, 2))

    with pytest.raises(ValueError, match="returned shape \\(1, 2\\) for 4 items"):
        features.cached_features(Wrong(), X, "toy")


def test_batched_equals_one_call_and_checks_its_arguments():
    items = np.arange(23.0).reshape(23, 1)
    out = features.batched(lambda b: b * 2, items, batch_size=5, progress=False)
    np.testing.assert_array_equal(out, items * 2)
    assert out.dtype == np.float32
    assert features.batched(lambda b: np.array([[len(s)] for s in b]), ["ab", "c"], 1, progress=False).tolist() \
        == [[2.0], [1.0]], "lists of strings are batched too"
    with pytest.raises(ValueError, match="batch_size must be an integer >= 1"):
        features.batched(lambda b: b, items, batch_size=0)
    with pytest.raises(ValueError, match="items must not be empty"):
        features.batched(lambda b: b, [], batch_size=2)
