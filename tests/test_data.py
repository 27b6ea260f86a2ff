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


# --- errors a learner can act on: every option of every entry point is checked --------------

@pytest.mark.parametrize("name, kwargs, bad", [
    ("handwritten", dict(n=100), "n"), ("captions", dict(seed=1), "seed"), ("printed", dict(sise=32), "sise"),
    ("speech", dict(voice="en+m1"), "voice"), ("textile", dict(paths=["x"]), "paths"),
])
def test_an_unknown_option_names_the_set_the_option_and_what_the_set_accepts(name, kwargs, bad):
    accepted = data.options(name)
    with pytest.raises(ValueError) as err:
        data.load(name, **kwargs)
    msg = str(err.value)
    assert f"data set {name!r} has no option {bad}" in msg
    assert msg.endswith("it accepts: " + ", ".join(accepted)), "the message lists the options the set takes"
    assert "_" + name not in msg and "unexpected keyword" not in msg, "no private function name"


def test_options_lists_what_each_set_takes():
    assert data.options("handwritten") == ["size", "rebuild"]
    assert data.options("printed") == ["n", "seed", "size", "rebuild"]
    assert data.options("textile") == ["n_per_class", "size", "seed", "rebuild"]


@pytest.mark.parametrize("name, option, value, allowed", [
    ("printed", "seed", 1.5, "a non-negative integer"), ("printed", "seed", -1, "a non-negative integer"),
    ("printed", "seed", True, "a non-negative integer"), ("textured", "seed", "0", "a non-negative integer"),
    ("printed", "n", 0, "an integer >= 1"), ("textured", "n", 10.0, "an integer >= 1"),
    ("printed", "size", 4, "an integer in [8, 256]"), ("handwritten", "size", 32.0, "an integer in [8, 256]"),
    ("printed", "rebuild", 1, "True or False"), ("handwritten", "rebuild", "yes", "True or False"),
    ("textured", "rebuild", None, "True or False"),
    ("textile", "size", 4, "an integer in [8, 512]"), ("textile", "seed", 0.5, "a non-negative integer"),
    ("textile", "rebuild", 0, "True or False"),
    ("speech", "rebuild", "no", "True or False"),
    ("speech", "voices", (), "a non-empty tuple"), ("speech", "voices", "en+m1", "a non-empty tuple"),
    ("speech", "rates", 150, "a non-empty tuple"), ("speech", "pitches", [], "a non-empty tuple"),
    ("captions", "styles", "word", "a non-empty tuple of styles from ['numeral', 'word']"),
])
def test_a_bad_option_value_names_the_set_the_option_the_value_and_what_is_allowed(name, option, value, allowed):
    with pytest.raises(ValueError) as err:
        data.load(name, **{option: value})
    assert str(err.value) == f"data set {name!r}: {option} must be {allowed}, got {value!r}"


@pytest.mark.parametrize("kwargs, text", [
    (dict(voices=("en+m1", "en+zz")), "voices must be a tuple of voices from"),
    (dict(voices=("en+m1", 3)), "voices must be a tuple of voices from"),
    (dict(rates=(150, 79)), "rates (each) must be an integer in [80, 450], got 79"),
    (dict(rates=(150.0,)), "rates (each) must be an integer in [80, 450], got 150.0"),
    (dict(pitches=(50, 101)), "pitches (each) must be an integer in [0, 100], got 101"),
])
def test_bad_speech_voices_rates_and_pitches_are_named_before_any_synthesis(fresh_cache, kwargs, text):
    with pytest.raises(ValueError) as err:
        data.load("speech", **kwargs)
    assert str(err.value).startswith("data set 'speech': ") and text in str(err.value)


@pytest.mark.parametrize("func", [lambda s: digits.render_printed(10, seed=s),
                                  lambda s: digits.render_textured(10, seed=s)])
@pytest.mark.parametrize("seed", [1.5, -1, True, "0", None])
def test_digit_renderers_reject_a_bad_seed(func, seed):
    with pytest.raises(ValueError, match=re.escape(f"seed must be a non-negative integer, got {seed!r}")):
        func(seed)


@pytest.mark.parametrize("call, error, text", [
    (lambda w: speech.log_mel(w, 16000, n_fft=1), ValueError, "n_fft must be in [2, 65536], got 1"),
    (lambda w: speech.log_mel(w, 16000, n_fft=256.0), TypeError, "n_fft must be an int in [2, 65536], got 256.0"),
    (lambda w: speech.log_mel(w, 16000, hop_length=0), ValueError, "hop_length must be in [1, 65536], got 0"),
    (lambda w: speech.log_mel(w, 16000, n_mels=600), ValueError, "n_mels must be in [1, 513], got 600"),
    (lambda w: speech.mfcc(w, 16000, n_mels=0), ValueError, "n_mels must be in [1, 513], got 0"),
    (lambda w: speech.mfcc(w, 16000, target_rate=8000.5), TypeError, "target_rate must be an int"),
    (lambda w: speech.pooled_mfcc(w, 16000, n_mfcc=0), ValueError, "n_mfcc must be in [1, 64], got 0"),
    (lambda w: speech.synthesize("two", trim="yes"), TypeError, "trim must be True or False, got 'yes'"),
    (lambda w: speech.synthesize("two", rate=150.5), TypeError, "rate must be an int in [80, 450], got 150.5"),
])
def test_speech_options_are_named_with_their_range(call, error, text):
    with pytest.raises(error, match=re.escape(text)):
        call(np.zeros(4000, np.float32))


def test_tabular_and_timeseries_modalities_are_accepted_and_video_is_not():
    for modality in ("tabular", "timeseries"):
        name = f"tmp-{modality}"
        try:
            data.register(DatasetSpec(name, modality, lambda: Bunch(X=np.zeros((2, 2))), "a card " * 10))
            assert name in data.list_datasets(modality)
        finally:
            data._REGISTRY.pop(name, None)
    with pytest.raises(ValueError, match=r"modality must be one of .*'timeseries'.*got 'video'"):
        data.register(DatasetSpec("tmp-video", "video", lambda: None, "card"))


def test_the_application_sets_of_app_data_are_registered():
    import subprocess
    import sys

    code = ("import importlib, numpy as np\n"
            "from sklearn.utils import Bunch\n"
            "import course_lib.app_data as app_data\n"
            "def reader(n: int = 3):\n"
            "    return Bunch(X=np.zeros((n, 2)))\n"
            "app_data.SPECS.append(('tmp-app', 'tabular', reader, 'a tabular set for a test'))\n"
            "import course_lib.data as data\n"
            "data = importlib.reload(data)\n"
            "assert 'tmp-app' in data.list_datasets('tabular'), data.list_datasets('tabular')\n"
            "assert data.load('tmp-app', n=4).X.shape == (4, 2)\n"
            "assert data.card('tmp-app') == 'a tabular set for a test'\n"
            "print('ok')\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr[-2000:]
    import ast

    import course_lib.app_data as app_data

    tree = ast.parse(open(app_data.__file__).read())
    imported = {(n.module or "", a.name, n.level) for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)
                for a in n.names}
    imported |= {(a.name, "", 0) for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not any((lvl == 1 and (mod == "data" or (mod == "" and name == "data")))
                   or mod == "course_lib.data" or (mod == "course_lib" and name == "data")
                   for mod, name, lvl in imported), "app_data never imports course_lib.data (circular)"
