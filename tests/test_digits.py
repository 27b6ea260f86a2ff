"""Tests for course_lib.digits: the three image domains and their inputs."""
import os

import numpy as np
import pytest

from course_lib import digits


def test_font_paths_exist_and_match_the_font_list():
    paths = digits.font_paths()
    assert len(paths) == len(digits.DIGIT_FONTS) == 22, "one path per listed font"
    assert all(os.path.isfile(p) and p.endswith(".ttf") for p in paths), "every font file is installed"
    assert [os.path.basename(p) for p in paths] == list(digits.DIGIT_FONTS), "in the listed order"


@pytest.mark.parametrize("font", range(len(digits.DIGIT_FONTS)))
def test_glyphs_of_different_digits_differ(font):
    glyphs = [digits._glyph(font, d, 0).astype(np.float32) / 255 for d in range(10)]
    assert all(g.shape == (digits._RENDER, digits._RENDER) and g.max() > 0.9 for g in glyphs), "ink on a canvas"
    for a in range(10):
        for b in range(a + 1, 10):
            assert np.abs(glyphs[a] - glyphs[b]).mean() > 0.02, f"font {font}: {a} and {b} look different"


def test_render_printed_shapes_and_values():
    out = digits.render_printed(30, seed=1)
    assert out["X"].shape == (30, 3, 32, 32) and out["X"].dtype == np.float32
    assert out["X"].min() >= 0 and out["X"].max() <= 1, "pixels lie in [0, 1]"
    assert np.array_equal(out["X"][:, 0], out["X"][:, 2]), "grey images copied to 3 channels"
    assert out["y"].dtype == np.int64 and np.bincount(out["y"]).tolist() == [3] * 10, "balanced classes"
    assert out["font"].shape == (30,) and out["font"].max() < len(digits.DIGIT_FONTS)
    assert digits.render_printed(5, size=20)["X"].shape == (5, 3, 20, 20), "size sets the side"


def test_render_printed_is_deterministic_for_a_seed():
    a, b, c = digits.render_printed(12, seed=2), digits.render_printed(12, seed=2), digits.render_printed(12, seed=3)
    assert all(np.array_equal(a[k], b[k]) for k in a), "same seed, same images"
    assert not np.array_equal(a["X"], c["X"]), "another seed, other images"


def test_printed_strokes_are_bright_on_dark():
    X = digits.render_printed(20, seed=0)["X"]
    border = np.concatenate([X[:, 0, 0, :], X[:, 0, -1, :]], axis=1)
    assert border.mean() < 0.15 < X[:, 0].max(axis=(1, 2)).min(), "dark background, bright ink"


def test_load_handwritten_shapes_and_values():
    out = digits.load_handwritten(size=16)
    assert out["X"].shape == (1797, 3, 16, 16) and out["X"].dtype == np.float32
    assert out["X"].min() >= 0 and out["X"].max() <= 1
    assert out["y"].shape == (1797,) and set(out["y"].tolist()) == set(range(10))


def test_render_textured_shapes_and_values():
    out = digits.render_textured(20, seed=0)
    assert out["X"].shape == (20, 3, 32, 32) and out["X"].dtype == np.float32
    assert out["X"].min() >= 0 and out["X"].max() <= 1
    assert np.bincount(out["y"]).tolist() == [2] * 10
    assert out["photo"].shape == (20,) and 0 <= out["photo"].min() and out["photo"].max() < 6, "six photos"
    assert not np.array_equal(out["X"][:, 0], out["X"][:, 1]), "colour backgrounds"
    again = digits.render_textured(20, seed=0)
    assert all(np.array_equal(out[k], again[k]) for k in out), "deterministic for a seed"


GENERATORS = [digits.render_printed, digits.render_textured]


@pytest.mark.parametrize("func", GENERATORS)
@pytest.mark.parametrize("n", [0, -3, 2.5, True, "10", None])
def test_bad_n_is_rejected(func, n):
    with pytest.raises(ValueError, match="n must"):
        func(n)


@pytest.mark.parametrize("func", GENERATORS + [lambda n, size: digits.load_handwritten(size)])
@pytest.mark.parametrize("size", [7, 257, 32.0, True, "32"])
def test_bad_size_is_rejected(func, size):
    with pytest.raises(ValueError, match="size"):
        func(4, size=size)


def test_numpy_integers_are_accepted():
    assert digits.render_printed(np.int64(3), size=np.int32(16))["X"].shape == (3, 3, 16, 16)
