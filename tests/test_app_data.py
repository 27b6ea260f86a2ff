"""Application data of notebook 04: deterministic, the planted differences are there, options checked."""
import numpy as np
import pytest

from course_lib import app_data
from course_lib.app_data import (ANCHORS, CUSTOMER_FEATURES, SEGMENTS, bilingual_captions, customers,
                                 regime_features, regimes)


def test_specs_have_names_modalities_readers_and_cards():
    names = [s[0] for s in app_data.SPECS]
    assert names == ["customers", "bilingual_captions", "regimes"]
    assert [s[1] for s in app_data.SPECS] == ["tabular", "text", "timeseries"]
    for _, _, reader, card in app_data.SPECS:
        assert callable(reader) and len(card) > 100 and "MIT" in card


def test_app_data_does_not_import_the_registry():
    import ast
    import inspect
    tree = ast.parse(inspect.getsource(app_data))
    imported = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    imported += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    assert not any(m.endswith("data") and m != "sklearn.utils" for m in imported if "course_lib" in m or m == "data")


@pytest.mark.parametrize("reader", [customers, bilingual_captions, regimes])
def test_readers_are_deterministic_for_a_seed(reader):
    a, b, c = reader(seed=0), reader(seed=0), reader(seed=1)
    key = next(k for k in a if k.startswith("X") or k == "text")
    np.testing.assert_array_equal(a[key], b[key])
    assert not np.array_equal(a[key], c[key])


def test_customers_markets_differ_in_scale_mix_and_one_shifted_feature():
    b = customers(n_source=4000, n_target=4000)
    assert b.X_source.shape == (4000, len(CUSTOMER_FEATURES)) and b.segments == list(SEGMENTS)
    mix_s, mix_t = np.bincount(b.y_source) / 4000, np.bincount(b.y_target) / 4000
    assert abs(mix_s - 0.25).max() < 0.03 and mix_t[0] > 0.5, "equal mix in A, 'young online' dominates B"
    # per segment: income scaled by 1.6, visits shifted by 2.5, age unchanged
    for c in range(4):
        s, t = b.X_source[b.y_source == c].mean(0), b.X_target[b.y_target == c].mean(0)
        assert t[1] / s[1] == pytest.approx(1.6, rel=0.08)
        assert t[2] - s[2] == pytest.approx(2.5, abs=0.5)
        assert t[0] == pytest.approx(s[0], abs=2.5)
    same = customers(n_source=4000, n_target=4000, shift=0.0)
    assert abs(same.X_target.mean(0) - same.X_source.mean(0))[1] < 3, "shift=0: one market"


def test_bilingual_captions_share_numerals_and_anchor_words_only_through_the_list():
    b = bilingual_captions(n_per_class=5)
    assert len(b.text) == 2 * 10 * 5 and set(b.language) == {"en", "fr"}
    fr = " ".join(b.text[b.language == "fr"])
    assert "sept" in fr and "seven" not in fr and "chiffre" in fr
    assert set(ANCHORS) <= set(fr.split()) | {"photo"}
    assert all(str(d) in t or w in t for t, d, w in zip(b.text[b.language == "fr"], b.y[b.language == "fr"],
                                                         np.array(app_data.FRENCH_WORDS)[b.y[b.language == "fr"]]))
    assert len(bilingual_captions(n_per_class=3, languages=("fr",)).text) == 30


def test_regimes_drift_between_the_periods():
    b = regimes(n_windows=400)
    Fe, Fl = regime_features(b.X_early), regime_features(b.X_late)
    for r in range(3):
        e, late = Fe[b.y_early == r].mean(0), Fl[b.y_late == r].mean(0)
        assert late[0] - e[0] == pytest.approx(0.8, abs=0.15), "level drifted by 0.8"
        assert late[1] > e[1], "noisier later"
    assert np.mean(b.y_late == 2) > np.mean(b.y_early == 2), "overload more frequent later"
    same = regimes(n_windows=400, drift=0.0)
    assert abs(regime_features(same.X_late)[:, 0].mean() - Fe[:, 0].mean()) < 0.6


def test_regime_features_find_the_frequency_and_autocorrelation():
    t = np.arange(128)
    F = regime_features(np.stack([np.sin(2 * np.pi * t / 16), np.cos(2 * np.pi * t / 32) + 3]))
    np.testing.assert_allclose(F[:, 3], [1 / 16, 1 / 32])
    np.testing.assert_allclose(F[:, 0], [0, 3], atol=1e-9)
    assert (F[:, 2] > 0.9).all(), "smooth sinusoids are strongly autocorrelated"
    with pytest.raises(ValueError, match="W must be"):
        regime_features(np.ones(10))


@pytest.mark.parametrize("reader, kwargs, option", [
    (customers, {"n_source": 3}, "n_source"),
    (customers, {"n_target": 2.5}, "n_target"),
    (customers, {"shift": -1}, "shift"),
    (customers, {"shift": True}, "shift"),
    (customers, {"seed": -1}, "seed"),
    (bilingual_captions, {"n_per_class": 0}, "n_per_class"),
    (bilingual_captions, {"languages": ("en", "de")}, "languages"),
    (bilingual_captions, {"languages": ("en", "en")}, "languages"),
    (bilingual_captions, {"languages": "en"}, "languages"),
    (regimes, {"n_windows": 5}, "n_windows"),
    (regimes, {"length": 8}, "length"),
    (regimes, {"drift": 5.0}, "drift"),
])
def test_bad_options_name_the_option_and_the_value(reader, kwargs, option):
    with pytest.raises(ValueError, match=option) as err:
        reader(**kwargs)
    assert repr(next(iter(kwargs.values()))) in str(err.value)


def test_sets_load_through_the_registry():
    from course_lib import data
    assert {"customers", "bilingual_captions", "regimes"} <= set(data.list_datasets())
    assert data.list_datasets("timeseries") == ["regimes"] and "customers" in data.list_datasets("tabular")
    assert data.options("customers") == ["n_source", "n_target", "shift", "seed"]
    np.testing.assert_array_equal(data.load("regimes", seed=3).X_late, regimes(seed=3).X_late)
    with pytest.raises(ValueError, match="n_windows"):
        data.load("regimes", n=10)
