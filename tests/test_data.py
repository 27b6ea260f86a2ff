"""Tests for course_lib.data: the registry, a remote (downloaded) set served
locally, the image domains, captions, speech and textile photos, and how each
uses the verified cache."""
import io
import json
import re

import numpy as np
import pytest
from sklearn.utils import Bunch

from course_lib import cache, data, digits, speech
from course_lib.data import DIGIT_WORDS, DatasetSpec, RemoteFile

pytestmark = pytest.mark.timeout(120)

SIX = {"printed", "handwritten", "textured", "captions", "speech", "textile"}
SMALL_SPEECH = dict(voices=("en+m1", "en+f1"), rates=(150,), pitches=(50,))


# --- registry --------------------------------------------------------------------

def test_registry_lists_the_six_sets_by_modality():
    assert SIX <= set(data.list_datasets()), "every course data set is registered"
    assert data.list_datasets() == sorted(data.list_datasets()), "names come sorted"
    assert {"printed", "handwritten", "textured", "textile"} <= set(data.list_datasets("image"))
    assert "captions" in data.list_datasets("text") and "speech" in data.list_datasets("audio")
    assert data.list_datasets("video") == [], "an unknown modality has no sets"


@pytest.mark.parametrize("name", sorted(SIX))
def test_every_set_has_a_card(name):
    text = data.card(name)
    assert isinstance(text, str) and len(text.strip()) > 50, "the card says where the data come from"


@pytest.mark.parametrize("func", [data.card, data.load])
def test_unknown_name_is_rejected(func):
    with pytest.raises(ValueError, match="name='no-such-set'"):
        func("no-such-set")


def dummy_spec(name="tmp-set", modality="image"):
    return DatasetSpec(name, modality, lambda **kw: "loaded", "a card")


def test_register_rejects_duplicates_unless_overwrite():
    original = data._REGISTRY["printed"]
    with pytest.raises(ValueError, match="'printed' is already registered"):
        data.register(dummy_spec("printed"))
    assert data._REGISTRY["printed"] is original, "the failed registration changed nothing"
    try:
        data.register(dummy_spec())
        data.register(dummy_spec(modality="text"), overwrite=True)
        assert data.list_datasets("text").count("tmp-set") == 1, "overwrite=True replaces the set"
        assert data.load("tmp-set") == "loaded", "a local set's reader is called without paths"
    finally:
        data._REGISTRY.pop("tmp-set", None)


def test_register_rejects_a_bad_modality_or_spec():
    with pytest.raises(ValueError, match="modality"):
        data.register(dummy_spec(modality="video"))
    with pytest.raises(TypeError, match="spec"):
        data.register({"name": "tmp-set"})
    assert "tmp-set" not in data.list_datasets(), "nothing was registered"


# --- a remote data set, served from 127.0.0.1 ----------------------------------------

def npz_bytes(**arrays):
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def test_remote_set_is_downloaded_verified_and_read(fresh_cache, http_server):
    X = np.random.default_rng(0).random((6, 3, 8, 8)).astype(np.float32)
    y = np.arange(6) % 3
    url, digest = http_server.add("toy.npz", npz_bytes(X=X, y=y))
    seen = []

    def reader(paths, scale=1.0):
        seen.append(paths)
        with np.load(paths[0]) as npz:
            return Bunch(X=npz["X"] * scale, y=npz["y"])

    data.register(DatasetSpec("remote-toy", "image", reader, "a served toy set",
                              files=(RemoteFile(url, digest),)))
    try:
        first = data.load("remote-toy", scale=2.0)
        assert np.array_equal(first.X, 2 * X) and np.array_equal(first.y, y), \
            "the reader sees the downloaded file and the keyword arguments"
        local = cache.cache_dir("downloads/remote-toy") / "toy.npz"
        assert seen == [[local]], "the reader gets the verified local copies"
        assert cache.sha256_file(local) == digest
        second = data.load("remote-toy")
        assert np.array_equal(second.X, X)
        assert http_server.requests == ["/toy.npz"], "the second load uses the cached copy"
    finally:
        data._REGISTRY.pop("remote-toy", None)


def test_remote_set_with_a_wrong_checksum_never_reaches_the_reader(fresh_cache, http_server):
    url, _ = http_server.add("toy.npz", npz_bytes(X=np.zeros(3)))
    called = []
    data.register(DatasetSpec("remote-bad", "image", lambda paths: called.append(paths), "bad checksum",
                              files=(RemoteFile(url, "ab" * 32),)))
    try:
        with pytest.raises(ValueError, match="checksum mismatch"):
            data.load("remote-bad")
        assert called == [], "the reader never sees an unverified file"
        assert not (cache.cache_dir("downloads/remote-bad") / "toy.npz").exists()
    finally:
        data._REGISTRY.pop("remote-bad", None)


# --- image domains ------------------------------------------------------------------

IMAGE_SETS = {"printed": dict(n=40), "handwritten": {}, "textured": dict(n=40)}


@pytest.mark.parametrize("name", list(IMAGE_SETS))
def test_image_domain_shapes_range_and_labels(name):
    d = data.load(name, **IMAGE_SETS[name])
    n = IMAGE_SETS[name].get("n", 1797)
    assert d.X.shape == (n, 3, 32, 32) and d.X.dtype == np.float32, "(n, 3, 32, 32) float32"
    assert d.X.min() >= 0.0 and d.X.max() <= 1.0, "pixels lie in [0, 1]"
    assert d.X.std() > 0.05, "the images are not blank"
    assert d.y.shape == (n,) and d.y.dtype == np.int64 and set(d.y.tolist()) == set(range(10)), "labels 0-9"
    assert d.domain == name and d.classes == list(DIGIT_WORDS)


@pytest.mark.parametrize("name", ["printed", "textured"])
def test_generated_domains_are_balanced_and_deterministic(name):
    d = data.load(name, n=40, seed=3)
    assert np.bincount(d.y, minlength=10).tolist() == [4] * 10, "classes are balanced"
    again = data.load(name, n=40, seed=3, rebuild=True)  # really generated again
    assert np.array_equal(d.X, again.X) and np.array_equal(d.y, again.y), "the same seed gives the same set"
    other = data.load(name, n=40, seed=4)
    assert not np.array_equal(d.X, other.X), "another seed gives another set"


def test_printed_respects_size():
    assert data.load("printed", n=20, size=16).X.shape == (20, 3, 16, 16)


def test_image_cache_is_reused_and_a_corrupt_file_rebuilt(fresh_cache, monkeypatch):
    calls = []
    real = digits.render_printed

    def counting(*args, **kwargs):
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(digits, "render_printed", counting)
    first = data.load("printed", n=30, seed=5)
    second = data.load("printed", n=30, seed=5)
    assert len(calls) == 1, "the second load reads the cache, the builder is not called"
    assert np.array_equal(first.X, second.X)
    (path,) = cache.cache_dir("data").glob("printed-*.npz")
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0xFF  # one flipped byte
    path.write_bytes(bytes(raw))
    third = data.load("printed", n=30, seed=5)
    assert len(calls) == 2, "the corrupt file is detected and rebuilt"
    assert np.array_equal(third.X, first.X) and np.array_equal(third.y, first.y), "with identical content"
    assert cache.verify(path, {"set": "printed", "n": 30, "seed": 5, "size": 32, "v": data.DATA_VERSION})


# --- captions -----------------------------------------------------------------------

def mentioned_classes(text):
    tokens = re.findall(r"[a-z]+|\d", text.lower())  # "someone" is not "one"
    return {d for d, w in enumerate(DIGIT_WORDS) if w in tokens or str(d) in tokens}


def test_captions_mention_exactly_their_class():
    c = data.load("captions")
    assert len(c.text) == 100 and len(set(c.text.tolist())) == 100, "100 distinct captions"
    assert np.bincount(c.y).tolist() == [10] * 10, "ten captions per class"
    for text, y in zip(c.text, c.y):
        assert mentioned_classes(str(text)) == {int(y)}, f"{text!r} names class {y} and no other"
    assert set(c.style.tolist()) == {"word", "numeral"}
    assert set(c.template.tolist()) == set(range(5))


def test_caption_style_filter():
    words = data.load("captions", styles=("word",))
    assert len(words.text) == 50 and set(words.style.tolist()) == {"word"}
    assert not any(re.search(r"\d", t) for t in words.text), "word captions contain no numerals"
    nums = data.load("captions", styles=("numeral",))
    assert all(str(y) in t for t, y in zip(nums.text, nums.y)), "numeral captions contain the numeral"


@pytest.mark.parametrize("styles", [("emoji",), ("word", "emoji"), ()])
def test_bad_caption_style_is_rejected(styles):
    with pytest.raises(ValueError, match="styles"):
        data.load("captions", styles=styles)


# --- speech -------------------------------------------------------------------------

def test_small_speech_set(fresh_cache):
    s = data.load("speech", **SMALL_SPEECH)
    assert len(s.waves) == 20 and s.y.tolist() == sorted(list(range(10)) * 2), "2 voices x 10 words"
    assert all(w.dtype == np.float32 and w.ndim == 1 and w.size > 1000 for w in s.waves), "non-empty float32"
    assert s.sample_rate == 22050
    assert all(DIGIT_WORDS[y] == t for y, t in zip(s.y, s.text))
    groups = dict(zip(s.voice.tolist(), s.group.tolist()))
    assert groups == {"en+m1": "source", "en+f1": "target"}, "male voices are source, female target"
    assert np.bincount(s.y[s.group == "target"]).tolist() == [1] * 10


def test_a_corrupt_wav_is_detected_and_only_that_clip_resynthesised(fresh_cache, monkeypatch):
    calls = []
    real = speech.synthesize

    def counting(text, **kwargs):
        calls.append((text, kwargs["voice"]))
        return real(text, **kwargs)

    monkeypatch.setattr(speech, "synthesize", counting)
    first = data.load("speech", **SMALL_SPEECH)
    assert len(calls) == 20, "every clip is synthesised once"
    (folder,) = cache.cache_dir("data").glob("speech-*")
    assert (folder / "manifest.json").exists(), "the clips live beside a manifest"
    assert len(json.loads((folder / "manifest.json").read_text())) == 20, "one checksum per clip"
    data.load("speech", **SMALL_SPEECH)
    assert len(calls) == 20, "a second load synthesises nothing"

    victim = folder / "seven_en-f1_r150_p50.wav"
    original = victim.read_bytes()
    victim.write_bytes(original[: len(original) // 2])  # a truncated clip
    again = data.load("speech", **SMALL_SPEECH)
    assert calls[20:] == [("seven", "en+f1")], "only the damaged clip is synthesised again"
    assert victim.read_bytes() == original, "and it comes back byte for byte"
    assert all(np.array_equal(a, b) for a, b in zip(first.waves, again.waves))


def test_speech_rebuild_resynthesises_everything(fresh_cache, monkeypatch):
    small = dict(voices=("en+m3",), rates=(150,), pitches=(50,))
    data.load("speech", **small)
    calls = []
    real = speech.synthesize
    monkeypatch.setattr(speech, "synthesize", lambda text, **kw: calls.append(text) or real(text, **kw))
    data.load("speech", rebuild=True, **small)
    assert calls == list(DIGIT_WORDS), "rebuild=True ignores the manifest"


# --- textile photos -----------------------------------------------------------------

def test_small_textile_set():
    t = data.load("textile", n_per_class=3, size=32)
    assert t.X.shape == (9, 3, 32, 32) and t.X.dtype == np.float32
    assert t.X.min() >= 0.0 and t.X.max() <= 1.0, "pixels lie in [0, 1]"
    assert t.y.tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 2], "three photos per class, in class order"
    assert t.classes == list(data.TEXTILE_CLASSES)
    assert all(str(f).startswith(data.TEXTILE_CLASSES[y] + "/") for f, y in zip(t.filename, t.y))
    again = data.load("textile", n_per_class=3, size=32, rebuild=True)
    assert np.array_equal(t.X, again.X) and np.array_equal(t.filename, again.filename), "deterministic for a seed"


@pytest.mark.parametrize("bad", [0, -1, 2.5, "3", True])
def test_bad_textile_n_per_class_is_rejected(bad):
    with pytest.raises(ValueError, match="n_per_class"):
        data.load("textile", n_per_class=bad, size=32)
