"""Data sets of the course, by name: one concept set (the ten digits), several
domains, three modalities, plus a set of simulated textile images (and the
application sets of :mod:`course_lib.app_data`).

Notebooks ask for data in one way only::

    from course_lib import data
    hand = data.load("handwritten")          # Bunch(X, y, ...)
    print(data.card("handwritten"))          # where it comes from, licence, size

Every local set is generated deterministically for a seed and cached on disk
(see :mod:`course_lib.cache`). A downloadable set is registered with the URL
and SHA-256 of each file; :func:`load` fetches and verifies the files, then
hands their paths to the set's reader, so notebooks do not change when a
learner online switches to bigger real data.
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
from sklearn.utils import Bunch

from . import cache, digits
from ._validation import check_int

__all__ = ["DatasetSpec", "RemoteFile", "MODALITIES", "register", "list_datasets", "card", "cards_markdown",
           "options", "load",
           "DIGIT_WORDS", "caption_templates", "SPEECH_SOURCE_VOICES", "SPEECH_TARGET_VOICES",
           "TEXTILE_CLASSES"]

DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
DATA_VERSION = 1  # bump to invalidate every cached data set


@dataclass(frozen=True)
class RemoteFile:
    """One file of a downloadable data set: where it is and its SHA-256."""

    url: str
    sha256: str
    filename: str | None = None


@dataclass(frozen=True)
class DatasetSpec:
    """A registered data set.

    Attributes
    ----------
    name : registry key.
    modality : one of ``MODALITIES``: "image", "text", "audio", "tabular", "timeseries".
    reader : callable returning a Bunch; for remote sets it receives
        ``paths=[...]`` (the verified local copies of ``files``) as first keyword.
    card : short markdown: source, licence, sizes, how it is built.
    files : remote files; empty for sets generated locally.
    """

    name: str
    modality: str
    reader: Callable[..., Bunch]
    card: str
    files: tuple[RemoteFile, ...] = field(default_factory=tuple)


_REGISTRY: dict[str, DatasetSpec] = {}
MODALITIES = ("image", "text", "audio", "tabular", "timeseries")


def register(spec: DatasetSpec, overwrite: bool = False) -> DatasetSpec:
    """Add a data set to the registry (``overwrite=True`` to replace one)."""
    if not isinstance(spec, DatasetSpec):
        raise TypeError(f"spec must be a DatasetSpec, got {type(spec).__name__}")
    if spec.modality not in MODALITIES:
        raise ValueError(f"spec.modality must be one of {MODALITIES}, got {spec.modality!r}")
    if spec.name in _REGISTRY and not overwrite:
        raise ValueError(f"a data set named {spec.name!r} is already registered (pass overwrite=True)")
    _REGISTRY[spec.name] = spec
    return spec


def _spec(name: str) -> DatasetSpec:
    if name not in _REGISTRY:
        raise ValueError(f"unknown data set name={name!r}; registered: {sorted(_REGISTRY)}")
    return _REGISTRY[name]


def list_datasets(modality: str | None = None) -> list[str]:
    """Names of the registered data sets, optionally of one modality."""
    return sorted(n for n, s in _REGISTRY.items() if modality is None or s.modality == modality)


def card(name: str) -> str:
    """The data set's card (markdown): source, licence, sizes, construction."""
    return _spec(name).card


def cards_markdown() -> str:
    """All cards as one markdown document (the content of docs/data_cards.md)."""
    parts = ["# Data cards", "",
             "Generated from `course_lib.data` by `python data_scripts/build_data.py --cards`; "
             "do not edit by hand.", ""]
    for name in list_datasets():
        spec = _REGISTRY[name]
        parts += [f"## `{name}` ({spec.modality})", "", spec.card.replace("\n", " "), ""]
    return "\n".join(parts)


def options(name: str) -> list[str]:
    """The keyword options that ``load(name, ...)`` accepts, e.g. ``["n", "seed", "size", "rebuild"]``."""
    params = inspect.signature(_spec(name).reader).parameters.values()
    return [p.name for p in params if p.name != "paths" and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]


def load(name: str, **kwargs) -> Bunch:
    """Load a data set by name; keyword arguments go to its reader.

    Remote files are downloaded once into the cache and verified by SHA-256
    before the reader sees them.

    Raises
    ------
    ValueError
        For an unknown ``name``, an option the set does not take (the message
        lists the options it does take, see :func:`options`) or a bad value of
        an option (the message names the option and what is allowed).
    """
    spec = _spec(name)
    params = inspect.signature(spec.reader).parameters.values()
    if not any(p.kind == p.VAR_KEYWORD for p in params):
        allowed = options(name)
        unknown = sorted(set(kwargs) - set(allowed))
        if unknown:
            raise ValueError(f"data set {name!r} has no option {', '.join(unknown)}; it accepts: "
                             f"{', '.join(allowed) if allowed else 'no options'}")
    if spec.files:
        paths = [cache.fetch(f.url, f.sha256, filename=f.filename, subdir=f"downloads/{name}") for f in spec.files]
        return spec.reader(paths=paths, **kwargs)
    return spec.reader(**kwargs)


# ----------------------------------------------------------------- option checks
def _bad(dataset: str, option: str, value, allowed: str) -> ValueError:
    return ValueError(f"data set {dataset!r}: {option} must be {allowed}, got {value!r}")


def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _int_opt(dataset: str, option: str, value, low: int, high: int | None = None) -> int:
    """``value`` as an int in [low, high] (high None: no upper bound), else a ValueError naming it all."""
    if not _is_int(value) or value < low or (high is not None and value > high):
        allowed = (f"an integer in [{low}, {high}]" if high is not None else
                   "a non-negative integer" if low == 0 else f"an integer >= {low}")
        raise _bad(dataset, option, value, allowed)
    return int(value)


def _bool_opt(dataset: str, option: str, value) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise _bad(dataset, option, value, "True or False")
    return bool(value)


def _image_opts(dataset: str, size, rebuild, n=None, seed=None) -> None:
    if n is not None:
        _int_opt(dataset, "n", n, 1)
    if seed is not None:
        _int_opt(dataset, "seed", seed, 0)
    _int_opt(dataset, "size", size, 8, 256)
    _bool_opt(dataset, "rebuild", rebuild)


# ----------------------------------------------------------------- images
def _image_bunch(arrays: dict, domain: str) -> Bunch:
    return Bunch(**arrays, domain=domain, classes=list(DIGIT_WORDS))


def _printed(n: int = 2000, seed: int = 0, size: int = digits.IMAGE_SIZE, rebuild: bool = False) -> Bunch:
    _image_opts("printed", size, rebuild, n=n, seed=seed)
    params = {"set": "printed", "n": n, "seed": seed, "size": size, "v": DATA_VERSION}
    return _image_bunch(cache.cached_arrays("printed", params, lambda: digits.render_printed(n, seed, size),
                                            rebuild=rebuild), "printed")


def _handwritten(size: int = digits.IMAGE_SIZE, rebuild: bool = False) -> Bunch:
    _image_opts("handwritten", size, rebuild)
    params = {"set": "handwritten", "size": size, "v": DATA_VERSION}
    return _image_bunch(cache.cached_arrays("handwritten", params, lambda: digits.load_handwritten(size),
                                            rebuild=rebuild), "handwritten")


def _textured(n: int = 1800, seed: int = 0, size: int = digits.IMAGE_SIZE, rebuild: bool = False) -> Bunch:
    _image_opts("textured", size, rebuild, n=n, seed=seed)
    params = {"set": "textured", "n": n, "seed": seed, "size": size, "v": DATA_VERSION}
    return _image_bunch(cache.cached_arrays("textured", params, lambda: digits.render_textured(n, seed, size),
                                            rebuild=rebuild), "textured")


register(DatasetSpec("printed", "image", _printed, """\
**printed digits** (source domain). Rendered on the fly from the 22 TrueType fonts that
matplotlib ships (DejaVu, STIX, Computer Modern; their licences are in matplotlib's
`fonts/ttf` folder), with a random rotation (+/-12 deg), scale, shear, shift, stroke width,
Gaussian blur and noise. Balanced classes, as many samples as asked (`n`, default 2,000),
deterministic for `seed`. Arrays: `X` (n, 3, 32, 32) float32 in [0, 1], `y`, `font`."""))

register(DatasetSpec("handwritten", "image", _handwritten, """\
**handwritten digits** (target domain). scikit-learn's `load_digits`: the test set of the UCI
Optical Recognition of Handwritten Digits (CC BY 4.0), 1,797 real digits written by 13 people
(the other 30 of the 43 UCI writers made its training set, not shipped), 8x8 with 17 grey
levels, resized bilinearly to 32x32 and copied to 3 channels. The notebooks split it into two
halves that share these 13 writers, so a ceiling trained on one half is optimistic. Arrays: `X` (1797, 3, 32, 32)
float32 in [0, 1], `y`."""))

register(DatasetSpec("textured", "image", _textured, """\
**textured digits** (second target domain). Printed digits blended over random crops of the
natural photos that ship with scikit-image (astronaut, chelsea, coffee, rocket) and
scikit-learn (china, flower), as `|patch - digit|` per channel, after MNIST-M (Ganin et al.
2016). Default 1,800 images, deterministic for `seed`. Arrays: `X` (n, 3, 32, 32) float32,
`y`, `font`, `photo`."""))


# ----------------------------------------------------------------- text
def caption_templates() -> dict[str, tuple[str, ...]]:
    """Caption templates by style; ``{w}`` is the number word, ``{d}`` the numeral."""
    return {
        "word": ("a handwritten {w}", "the number {w}", "a picture of the digit {w}",
                 "someone wrote a {w}", "the figure {w}, drawn by hand"),
        "numeral": ("the digit {d}", "a photo of a {d}", "an image showing {d}",
                    "a {d} printed in some font", "number {d} on a background"),
    }


def _captions(styles: tuple[str, ...] = ("word", "numeral")) -> Bunch:
    templates = caption_templates()
    if (not isinstance(styles, (tuple, list)) or not styles
            or any(not isinstance(s, str) or s not in templates for s in styles)):
        raise _bad("captions", "styles", styles, f"a non-empty tuple of styles from {sorted(templates)}")
    text, y, style, template = [], [], [], []
    for s in styles:
        for t, tpl in enumerate(templates[s]):
            for d, w in enumerate(DIGIT_WORDS):
                text.append(tpl.format(w=w, d=d))
                y.append(d)
                style.append(s)
                template.append(t)
    return Bunch(text=np.array(text), y=np.array(y, dtype=np.int64), style=np.array(style),
                 template=np.array(template, dtype=np.int64), classes=list(DIGIT_WORDS))


register(DatasetSpec("captions", "text", _captions, """\
**digit captions**. Short captions per class from 10 templates in two styles: `word`
("a handwritten seven", "the number seven", ...) and `numeral` ("the digit 7", "a photo of
a 7", ...); 100 captions. Written for this course (MIT). Arrays: `text`, `y`, `style`,
`template`."""))


# ----------------------------------------------------------------- audio
SPEECH_SOURCE_VOICES = ("en+m1", "en+m3", "en+m4", "en+m6", "en+m7", "en+m8")
SPEECH_TARGET_VOICES = ("en+f1", "en+f2", "en+f3", "en+f4")


def _clip_name(word: str, voice: str, rate: int, pitch: int) -> str:
    return f"{word}_{voice.replace('+', '-')}_r{rate}_p{pitch}.wav"


def _speech(voices: tuple[str, ...] = SPEECH_SOURCE_VOICES + SPEECH_TARGET_VOICES,
            rates: tuple[int, ...] = (130, 190), pitches: tuple[int, ...] = (35, 65),
            rebuild: bool = False) -> Bunch:
    """Spoken digit words, one WAV per (word, voice, rate, pitch), cached and verified."""
    from . import speech

    def seq(option, value, check):
        if not isinstance(value, (tuple, list)) or not value:
            raise _bad("speech", option, value, "a non-empty tuple")
        for v in value:
            check(v)

    def voice_ok(v):
        if not isinstance(v, str) or v not in speech.VOICE_VARIANTS:
            raise _bad("speech", "voices", voices, f"a tuple of voices from {speech.VOICE_VARIANTS}")

    seq("voices", voices, voice_ok)
    seq("rates", rates, lambda v: _int_opt("speech", "rates (each)", v, *speech.RATE_RANGE))
    seq("pitches", pitches, lambda v: _int_opt("speech", "pitches (each)", v, *speech.PITCH_RANGE))
    _bool_opt("speech", "rebuild", rebuild)
    params = {"set": "speech", "voices": list(voices), "rates": list(rates), "pitches": list(pitches),
              "v": DATA_VERSION}
    folder, manifest = cache.file_folder("speech", params, rebuild)
    rows, changed = [], False
    for d, word in enumerate(DIGIT_WORDS):
        for voice in voices:
            for rate in rates:
                for pitch in pitches:
                    path = folder / _clip_name(word, voice, rate, pitch)
                    ok = path.exists() and manifest.get(path.name) == cache.sha256_file(path)
                    if not ok:  # missing, partial or corrupt: synthesise again
                        wave, sr = speech.synthesize(word, voice=voice, rate=rate, pitch=pitch)
                        speech.write_wav(path, wave, sr)
                        manifest[path.name] = cache.sha256_file(path)
                        changed = True
                    rows.append((path, d, word, voice, rate, pitch))
    if changed:
        cache.write_folder_manifest(folder, manifest)
    waves, rate_hz = [], None
    for path, *_ in rows:
        wave, sr = speech.read_wav(path)
        waves.append(wave)
        rate_hz = sr
    group = np.array(["source" if r[3] in SPEECH_SOURCE_VOICES else
                      "target" if r[3] in SPEECH_TARGET_VOICES else "other" for r in rows])
    return Bunch(waves=waves, sample_rate=rate_hz, y=np.array([r[1] for r in rows], dtype=np.int64),
                 text=np.array([r[2] for r in rows]), voice=np.array([r[3] for r in rows]),
                 rate=np.array([r[4] for r in rows]), pitch=np.array([r[5] for r in rows]),
                 group=group, paths=[str(r[0]) for r in rows], classes=list(DIGIT_WORDS))


register(DatasetSpec("speech", "audio", _speech, """\
**spoken digits**. Each number word spoken by espeak-ng 1.52 (the library bundled in the
`espeakng-loader` wheel, GPL-3.0, called through ctypes, not vendored) in 10 voices x 2
rates x 2 pitches = 400 clips at 22,050 Hz, one WAV file each in the cache with a SHA-256
manifest. Voice groups are audio domains: `source` = 6 male variants, `target` = 4 female
variants. Arrays: `waves` (list of float32), `sample_rate`, `y`, `text`, `voice`, `rate`,
`pitch`, `group`, `paths`."""))


# ----------------------------------------------------------------- textile images (simulated)
TEXTILE_CLASSES = ("nominal", "local", "global")


def _textile(n_per_class: int | None = 200, size: int = 128, seed: int = 0, rebuild: bool = False) -> Bunch:
    import conformal_clip_data as ccd
    from PIL import Image

    if n_per_class is not None:
        n_per_class = check_int(n_per_class, "n_per_class (or None)", 1)
    _int_opt("textile", "size", size, 8, 512)
    _int_opt("textile", "seed", seed, 0)
    _bool_opt("textile", "rebuild", rebuild)
    folders = (ccd.nominal_dir(), ccd.local_dir(), ccd.global_dir())

    def build():
        rng = np.random.default_rng(seed)
        X, y, names = [], [], []
        for c, folder in enumerate(folders):
            files = sorted(Path(folder).glob("*.jpg"))
            if n_per_class is not None and n_per_class < len(files):
                files = [files[i] for i in sorted(rng.choice(len(files), n_per_class, replace=False))]
            for f in files:
                img = Image.open(f).convert("RGB").resize((size, size), Image.BILINEAR)
                X.append(np.asarray(img, dtype=np.uint8).transpose(2, 0, 1))
                y.append(c)
                names.append(f"{TEXTILE_CLASSES[c]}/{f.name}")
        return {"X": np.stack(X), "y": np.array(y, dtype=np.int64), "filename": np.array(names)}

    params = {"set": "textile", "n_per_class": n_per_class, "size": size, "seed": seed,
              "pkg": getattr(ccd, "__version__", "?"), "v": DATA_VERSION}
    arrays = cache.cached_arrays("textile", params, build, rebuild=rebuild)
    return Bunch(X=arrays["X"].astype(np.float32) / 255.0, y=arrays["y"], filename=arrays["filename"],
                 classes=list(TEXTILE_CLASSES))


register(DatasetSpec("textile", "image", _textile, """\
**simulated textile images** (industrial inspection). The 2,000 250x250 RGB textile images of the
`conformal-clip-data` wheel (MIT; its folder is named `simulated`): 1,000 nominal, 500 with a
local defect, 500 with a global defect. By default a seeded subset of 200 per class, resized
to 128x128. Arrays: `X` (n, 3, size, size) float32 in [0, 1], `y` (0 nominal, 1 local,
2 global), `filename`."""))


# ----------------------------------------------------------------- applications (notebook 04)
# course_lib.app_data holds the generators of the worked applications; it never imports this module.
from . import app_data  # noqa: E402  (registered last, after the course's own sets)

for _name, _modality, _reader, _card_text in app_data.SPECS:
    register(DatasetSpec(_name, _modality, _reader, _card_text))

# ----------------------------------------------------------------- paired multimodal data (notebooks 06-08)
# course_lib.paired_data builds image-caption-speech pairs; like app_data it never imports this module.
from . import paired_data  # noqa: E402

for _name, _modality, _reader, _card_text in paired_data.SPECS:
    register(DatasetSpec(_name, _modality, _reader, _card_text))

# ----------------------------------------------------------------- real-data track (learners online)
# course_lib.real_data wraps torchvision/torchaudio downloads; like app_data it never imports this module.
from . import real_data  # noqa: E402

for _name, _modality, _reader, _card_text in real_data.SPECS:
    register(DatasetSpec(_name, _modality, _reader, _card_text))
