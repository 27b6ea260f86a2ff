"""Tests for course_lib.paired_data: images with attributes, captions beyond the class, spoken captions
in two voice groups, relevance, the cache, the registry entries and bad input."""
import ast
import inspect
import re

import numpy as np
import pytest

from course_lib import cache, digits, paired_data as pd
from test_offline import no_network  # noqa: F401  (the socket guard fixture)

pytestmark = pytest.mark.timeout(300)

SMALL = dict(n_per_domain=20, captions_per_image=2, spoken_per_image=1)
WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


@pytest.fixture(scope="module")
def small():
    return pd.load_pairs(**SMALL)


def test_constants_agree_with_the_rest_of_the_course():
    from course_lib import data

    assert pd.SOURCE_VOICES == data.SPEECH_SOURCE_VOICES and pd.TARGET_VOICES == data.SPEECH_TARGET_VOICES
    assert len(pd.FONT_ATTRIBUTES) == len(digits.DIGIT_FONTS), "one attribute row per font"
    assert len(pd.PHOTO_NAMES) == len(digits._photos()), "one name per background photo"
    assert pd.DIGIT_WORDS == data.DIGIT_WORDS


def test_module_never_imports_course_lib_data():
    tree = ast.parse(inspect.getsource(pd))
    names = [a.name for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom)) for a in n.names]
    modules = [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module]
    assert "data" not in names and not any(m.endswith("data") and m != "paired_data" for m in modules)


def test_images_are_balanced_split_in_halves_and_carry_attributes(small):
    im = small.images
    assert im.X.shape == (60, 3, 32, 32) and im.X.dtype == np.float32
    for d in pd.IMAGE_DOMAINS:
        sel = im.domain == d
        assert np.bincount(im.y[sel], minlength=10).tolist() == [2] * 10, f"{d}: two images per digit"
        assert sorted(set(im.split[sel])) == ["test", "train"]
    assert (im.font[im.domain == "handwritten"] == -1).all() and (im.font[im.domain != "handwritten"] >= 0).all()
    assert (im.photo[im.domain == "textured"] >= 0).all() and (im.photo[im.domain != "textured"] == -1).all()
    assert set(im.thickness[im.domain == "handwritten"]) <= {0, 1, 2}
    for k in ("size", "position", "weight"):
        assert (im[k][im.domain == "handwritten"] == -1).all() and set(im[k][im.domain != "handwritten"]) <= {0, 1}
    assert set(im.brightness[im.domain == "printed"]) <= {0, 1} and (im.brightness[im.domain != "printed"] == -1).all()
    assert set(im.lean) <= {0, 1, 2}
    assert all(k.startswith(f"{d}|{y}|") for k, d, y in zip(im.attr_key, im.domain, im.y))
    np.testing.assert_array_equal(im.image_id, np.arange(60))


def test_split_is_half_of_each_class_with_more_images():
    im = pd.load_images(n_per_domain=40, seed=3)
    for d in pd.IMAGE_DOMAINS:
        for c in range(10):
            sel = (im.domain == d) & (im.y == c)
            assert (im.split[sel] == "train").sum() == 2 and (im.split[sel] == "test").sum() == 2
    hand = im.domain == "handwritten"
    assert np.bincount(im.thickness[hand], minlength=3).min() >= 10, "terciles within each class split evenly"


def test_deterministic_for_a_seed_and_different_across_seeds(fresh_cache):
    a, b = pd.load_images(n_per_domain=20, seed=1), pd.load_images(n_per_domain=20, seed=1, rebuild=True)
    np.testing.assert_array_equal(a.X, b.X)
    c = pd.load_images(n_per_domain=20, seed=2)
    assert not np.array_equal(a.X, c.X), "another seed gives other images"
    ca, cb = pd.load_captions(n_per_domain=20, seed=1), pd.load_captions(n_per_domain=20, seed=1)
    np.testing.assert_array_equal(ca.text, cb.text)


def test_captions_describe_more_than_the_class_in_two_parallel_styles(small):
    cap, im = small.captions, small.images
    assert len(cap.text) == 60 * 2 * 2
    word, num = cap.style == "word", cap.style == "numeral"
    for t, y in zip(cap.text[word], cap.y[word]):
        assert WORDS[y] in t.split() or WORDS[y] + "," in t.split() or WORDS[y] + ":" in t.split(), t
    for t, y in zip(cap.text[num], cap.y[num]):
        assert str(y) in t and WORDS[y] not in t.split(), t
    # the two styles are the same sentences with the digit written differently
    for tw, tn, y in zip(cap.text[word], cap.text[num], cap.y[word]):
        assert re.sub(rf"\b{WORDS[y]}\b", str(y), tw) == tn
    # each image's captions use different templates
    for i in range(60):
        assert len(set(cap.template[(cap.image_id == i) & word])) == 2
    # beyond the class: captions of one class say different things (attributes differ)
    sevens = set(cap.text[word & (cap.y == 7)])
    assert len(sevens) >= 4
    np.testing.assert_array_equal(cap.y, im.y[cap.image_id])


def test_captions_name_every_rendered_attribute_of_their_image(small):
    cap, im = small.captions, small.images
    for t, i in zip(cap.text, cap.image_id):
        d = im.domain[i]
        if d == "handwritten":
            continue
        names = ["size", "lean", "position", "weight"] + (["brightness"] if d == "printed" else [])
        for k in names:
            assert pd.LEVELS[k][im[k][i]] in t, (k, t)
        if d == "textured":
            assert pd.PHOTO_NAMES[im.photo[i]] in t and im.colour[i] in t, t


def test_rendered_attributes_are_visible_in_the_pixels():
    r = pd.render_attributed(240, seed=5)
    X = r["X"].mean(axis=1)
    ink, slant = pd.measure_strokes(X)
    lean = [slant[r["lean"] == v].mean() for v in range(3)]
    assert lean[0] < -0.1 < 0.1 < lean[2] and abs(lean[1]) < 0.1, f"backward < upright < forward: {lean}"
    cols = np.arange(X.shape[2])
    centre = (X.sum(axis=1) * cols).sum(axis=1) / X.sum(axis=(1, 2))
    assert (centre[r["position"] == 0].max() < centre[r["position"] == 1].min() + 3
            and centre[r["position"] == 0].mean() + 3 < centre[r["position"] == 1].mean()), "left is left of right"
    extent = (X > 0.3).sum(axis=(1, 2))
    assert np.median(extent[r["size"] == 1]) > 1.3 * np.median(extent[r["size"] == 0]), "large digits cover more"
    peak = np.quantile(X.reshape(len(X), -1), 0.99, axis=1)
    assert peak[r["brightness"] == 0].max() < peak[r["brightness"] == 1].min(), "faint ink is darker than bright ink"
    same = (r["size"] == 1) & (r["brightness"] == 1)
    assert ink[same & (r["weight"] == 1)].mean() > 1.3 * ink[same & (r["weight"] == 0)].mean(), "bold has more ink"
    assert set(r["font"]) <= set(pd.UPRIGHT_FONTS) and (r["photo"] == -1).all()
    t = pd.render_attributed(20, seed=5, textured=True)
    assert (t["photo"] >= 0).all() and (t["brightness"] == -1).all() and t["X"].shape == (20, 3, 32, 32)
    with pytest.raises(ValueError, match="textured must be True or False"):
        pd.render_attributed(4, textured="yes")


def test_synthesis_in_two_threads_gives_the_same_clips(fresh_cache):
    opts = dict(n_per_domain=20, captions_per_image=1, spoken_per_image=1)
    one = pd.load_clips(**opts, workers=1).waves.checksums
    again = pd.load_clips(**opts, workers=2, rebuild=True).waves.checksums
    assert one == again, "the clips do not depend on the number of workers"
    with pytest.raises(ValueError, match="workers must be an integer"):
        pd.load_clips(**opts, workers=0)


def test_articles_follow_the_sound_of_the_next_word(small):
    from course_lib.paired_captions import articles

    assert articles("a upright eight on a orange photo of a cat") == "an upright eight on an orange photo of a cat"
    assert articles("a one, a 8 and a 7") == "a one, an 8 and a 7"
    assert not any(re.search(r"\ba [aeiou8]", t) and not re.search(r"\ba one\b", t) for t in small.captions.text)


def test_measure_strokes_sees_thickness_and_slant():
    img = np.zeros((3, 16, 16))
    for r in range(2, 14):  # a line leaning right: the column grows towards the top (small row)
        img[0, r, 14 - r] = 1
    img[1, 2:14, 7] = 1  # upright thin line
    img[2, 2:14, 6:10] = 1  # upright thick line
    ink, slant = pd.measure_strokes(img)
    assert slant[0] > 0.5 and abs(slant[1]) < 1e-9, "right lean is positive, upright is zero"
    assert ink[2] > ink[1], "a thicker stroke has more ink"
    with pytest.raises(ValueError, match="X must have shape"):
        pd.measure_strokes(np.zeros((16, 16)))


@pytest.mark.parametrize("rgb, name", [((1, 0, 0), "red"), ((0, 0, 0), "dark"), ((1, 1, 1), "light"),
                                       ((0.5, 0.5, 0.5), "grey"), ((0.1, 0.2, 0.9), "blue"),
                                       ((0.1, 0.8, 0.2), "green")])
def test_colour_names(rgb, name):
    assert pd.colour_name(rgb) == name


def test_clips_speak_each_caption_in_both_voice_groups(small):
    cl, cap = small.clips, small.captions
    assert len(cl.waves) == 60 * 2 and cl.sample_rate == 22050
    assert set(cl.voice[cl.group == "source"]) <= set(pd.SOURCE_VOICES)
    assert set(cl.voice[cl.group == "target"]) <= set(pd.TARGET_VOICES)
    for c in np.unique(cl.caption_id):
        assert sorted(cl.group[cl.caption_id == c]) == ["source", "target"]
    np.testing.assert_array_equal(cl.text, cap.text[cl.caption_id])
    assert (cap.style[cl.caption_id] == "word").all() and (cl.rank == 0).all()
    wave = cl.waves[0]
    assert wave.dtype == np.float32 and wave.ndim == 1 and 0.5 < len(wave) / 22050 < 6
    assert len(cl.waves[1:3]) == 2 and len(cl.waves) == len(cl.paths)


def test_a_corrupt_clip_is_synthesised_again(fresh_cache):
    opts = dict(n_per_domain=20, captions_per_image=1, spoken_per_image=1)
    cl = pd.load_clips(**opts)
    path = cl.paths[5]
    good = open(path, "rb").read()
    with open(path, "r+b") as fh:  # flip bytes in the middle of the samples
        fh.seek(len(good) // 2)
        fh.write(b"\x00\x01" * 50)
    again = pd.load_clips(**opts)
    assert open(path, "rb").read() == good, "the same clip was written again (synthesis is deterministic)"
    assert again.waves.checksums == cl.waves.checksums


def test_relevance_matrices(small):
    cap, im = small.captions, small.images
    R = pd.relevance(cap.image_id[:4], im.image_id)
    assert R.shape == (4, 60) and R.sum(axis=1).tolist() == [1, 1, 1, 1]
    Rc = pd.relevance(im.y, im.y)
    assert Rc.sum() == 60 * 6, "six images per digit"
    with pytest.raises(ValueError, match="query_keys and gallery_keys must be 1-d"):
        pd.relevance(np.zeros((2, 2)), im.y)


def test_registry_entries_load_and_card_the_views():
    from course_lib import data

    assert "paired_images" in data.list_datasets("image") and "paired_captions" in data.list_datasets("text")
    assert "spoken_captions" in data.list_datasets("audio")
    assert data.load("paired_images", n_per_domain=20).X.shape == (60, 3, 32, 32)
    assert len(data.load("paired_captions", n_per_domain=20, captions_per_image=1, spoken_per_image=1).text) == 120
    for name in ("paired_images", "paired_captions", "spoken_captions"):
        assert data.options(name) == ["n_per_domain", "captions_per_image", "spoken_per_image", "seed", "rebuild"]
        assert "image_id" in data.card(name)


@pytest.mark.parametrize("kwargs, match", [
    (dict(n_per_domain=35), "n_per_domain must be a multiple of 10"),
    (dict(n_per_domain=0), "n_per_domain must be an integer in"),
    (dict(n_per_domain=2.5), "n_per_domain must be an integer"),
    (dict(captions_per_image=5), "captions_per_image must be an integer in"),
    (dict(captions_per_image=1, spoken_per_image=2), "spoken_per_image must be an integer in \\[1, 1\\]"),
    (dict(seed=-1), "seed must be an integer >= 0"),
    (dict(rebuild="yes"), "rebuild must be True or False"),
])
def test_bad_options_raise_naming_the_argument(kwargs, match):
    with pytest.raises(ValueError, match=match):
        pd.load_images(**kwargs)


def test_lazy_waves_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match="paths and checksums must have the same length"):
        pd.LazyWaves(["a.wav"], [], 22050)


def test_paired_data_builds_offline_from_an_empty_cache(no_network, fresh_cache):  # noqa: F811
    pairs = pd.load_pairs(n_per_domain=20, captions_per_image=1, spoken_per_image=1)
    assert len(pairs.clips.waves) == 120 and len(list((fresh_cache / "data").iterdir())) >= 2
    assert all(cache.sha256_file(p) == s for p, s in zip(pairs.clips.paths, pairs.clips.waves.checksums))
    assert no_network == [], "nothing even tried to connect"
