"""Paired multimodal data for retrieval (notebooks 06-08): digit images, captions and spoken captions.

Each image comes with captions that describe it *beyond its class*, from what is known about how it
was made or can be measured from it:

* ``printed`` (source): the font's typeface, category (serif, sans-serif, monospace), weight and slant;
* ``textured`` (second source): the font category, the background photo and its dominant colour;
* ``handwritten`` (target): stroke thickness and slant measured from the image (terciles within the
  digit's class, so they say something the class does not).

Every image gets ``captions_per_image`` captions from different templates, each written in two
styles that are kept as text domains: ``word`` ("a bold italic seven in a serif font") and
``numeral`` ("a bold italic 7 in a serif font"). The first ``spoken_per_image`` word-style captions
of each image are spoken by espeak-ng (:mod:`course_lib.speech`) once in a random source voice and
once in a random unseen target voice, at a random rate and pitch; the clips are cached as WAV files
with a SHA-256 manifest.

Relevance has two levels: *class* (same digit, compare ``y``) and *instance* (the same image,
compare ``image_id``; or matching all its attributes, compare ``attr_key``). :func:`relevance`
builds either as a boolean matrix.

This module never imports :mod:`course_lib.data` (which registers ``SPECS``).
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.utils import Bunch

from . import cache, digits
from ._validation import check_int

__all__ = ["IMAGE_DOMAINS", "STYLES", "SOURCE_VOICES", "TARGET_VOICES", "PHOTO_NAMES", "FONT_ATTRIBUTES",
           "load_pairs", "load_images", "load_captions", "load_clips", "LazyWaves", "relevance",
           "measure_strokes", "colour_name", "SPECS"]

PAIRS_VERSION = 1  # bump to invalidate every cached pair set
DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
IMAGE_DOMAINS = ("printed", "textured", "handwritten")  # the first two are sources, the last the target
STYLES = ("word", "numeral")  # caption styles: the text domains
#: The course's voice groups (equal to course_lib.data.SPEECH_SOURCE_VOICES / _TARGET_VOICES; a test checks it).
SOURCE_VOICES = ("en+m1", "en+m3", "en+m4", "en+m6", "en+m7", "en+m8")
TARGET_VOICES = ("en+f1", "en+f2", "en+f3", "en+f4")
RATES, PITCHES = (140, 190), (35, 65)  # ranges the clip's speaking rate and pitch are drawn from
#: What the background photos of ``digits.render_textured`` show, in its order.
PHOTO_NAMES = ("an astronaut", "a cat", "a coffee cup", "a rocket", "a temple", "a flower")

#: typeface, category, weight, slant of each font in ``digits.DIGIT_FONTS`` (same order).
FONT_ATTRIBUTES = tuple(
    [("DejaVu Sans", "sans-serif", w, s) for w, s in
     (("regular", "upright"), ("bold", "upright"), ("regular", "italic"), ("bold", "italic"))]
    + [("DejaVu Sans Mono", "monospace", w, s) for w, s in
       (("regular", "upright"), ("bold", "upright"), ("regular", "italic"), ("bold", "italic"))]
    + [("DejaVu Serif", "serif", w, s) for w, s in
       (("regular", "upright"), ("bold", "upright"), ("regular", "italic"), ("bold", "italic"))]
    + [("STIX", "serif", w, s) for w, s in
       (("regular", "upright"), ("bold", "upright"), ("regular", "italic"), ("bold", "italic"))]
    + [("Computer Modern", "serif", "regular", "upright"), ("Computer Modern", "serif", "bold", "upright"),
       ("Computer Modern", "sans-serif", "regular", "upright"),
       ("Computer Modern", "monospace", "regular", "upright"),
       ("Computer Modern", "serif", "regular", "italic"), ("Computer Modern", "serif", "regular", "italic")])

# Templates per image domain; {w} is the number word or numeral, the other fields are attributes.
_TEMPLATES = {
    "printed": ("a {weight} {slant} {w} in a {category} font",
                "the {w} printed in {typeface}, {weight} and {slant}",
                "a {category} {w}, {slant} type of {weight} weight",
                "{typeface} {weight} {slant}: the digit {w}"),
    "textured": ("a {w} on a {colour} photo of {photo}",
                 "the digit {w} in {category} type over a picture of {photo}",
                 "a {category} {w} printed on {photo}, mostly {colour}",
                 "{photo} in {colour} tones behind a {w}"),
    "handwritten": ("a {w} written by hand with {thickness} strokes, {lean}",
                    "a handwritten {w}, {lean}, drawn with a {thickness} pen",
                    "someone wrote a {w} in {thickness} strokes",
                    "a {lean} handwritten {w}"),
}
_THICKNESS = ("thin", "medium", "thick")
_LEAN = ("leaning left", "upright", "leaning right")


# ----------------------------------------------------------------- measurements
def measure_strokes(X) -> tuple[np.ndarray, np.ndarray]:
    """Ink amount and slant of grey digit images (bright strokes on dark).

    Parameters
    ----------
    X : array of shape (n, 3, H, W) or (n, H, W), values in [0, 1]

    Returns
    -------
    ink : ndarray (n,)
        Mean intensity, a proxy for stroke thickness at a fixed digit size.
    slant : ndarray (n,)
        ``-cov(col, row) / var(row)`` of the intensity-weighted pixel
        coordinates: > 0 when the top of the digit leans to the right.
    """
    X = np.asarray(X, dtype=np.float64)
    if X.ndim == 4:
        X = X.mean(axis=1)
    if X.ndim != 3 or X.shape[0] < 1:
        raise ValueError(f"X must have shape (n, 3, H, W) or (n, H, W) with n >= 1, got {X.shape}")
    n, h, w = X.shape
    rows, cols = np.mgrid[0:h, 0:w]
    mass = X.sum(axis=(1, 2)) + 1e-12
    r_mean = (X * rows).sum(axis=(1, 2)) / mass
    c_mean = (X * cols).sum(axis=(1, 2)) / mass
    dr, dc = rows[None] - r_mean[:, None, None], cols[None] - c_mean[:, None, None]
    var_r = (X * dr ** 2).sum(axis=(1, 2)) / mass
    cov_rc = (X * dr * dc).sum(axis=(1, 2)) / mass
    return X.mean(axis=(1, 2)), -cov_rc / (var_r + 1e-12)


def colour_name(rgb) -> str:
    """A plain colour word for a mean RGB colour in [0, 1]^3 (dark, light, grey or one of six hues)."""
    import colorsys

    r, g, b = (float(v) for v in np.asarray(rgb, dtype=float).reshape(3))
    hue, sat, val = colorsys.rgb_to_hsv(r, g, b)
    if sat < 0.2:
        return "dark" if val < 0.35 else "light" if val > 0.7 else "grey"
    hue *= 360
    for limit, name in ((20, "red"), (45, "orange"), (70, "yellow"), (170, "green"), (260, "blue"),
                        (330, "purple")):
        if hue < limit:
            return name
    return "red"


def _terciles(values: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """0/1/2 tercile of each value within its group (ranks, so each group splits about evenly)."""
    out = np.empty(len(values), dtype=np.int64)
    for g in np.unique(groups):
        idx = np.flatnonzero(groups == g)
        ranks = np.argsort(np.argsort(values[idx], kind="stable"), kind="stable")
        out[idx] = np.minimum(3 * ranks // max(len(idx), 1), 2)
    return out


# ----------------------------------------------------------------- images
def _check_opts(n_per_domain, captions_per_image, spoken_per_image, seed) -> None:
    check_int(n_per_domain, "n_per_domain", 20, 1790)
    if n_per_domain % 10:
        raise ValueError(f"n_per_domain must be a multiple of 10 (balanced classes), got {n_per_domain!r}")
    check_int(captions_per_image, "captions_per_image", 1, len(_TEMPLATES["printed"]))
    check_int(spoken_per_image, "spoken_per_image", 1, captions_per_image)
    check_int(seed, "seed", 0)


def _build_images(n: int, seed: int) -> dict[str, np.ndarray]:
    """Images of the three domains with their attributes (see :func:`load_images`)."""
    rng = np.random.default_rng([seed, 906])
    printed = digits.render_printed(n, seed=1000 + seed)  # a seed that the source CNN's training set never uses
    textured = digits.render_textured(n, seed=1000 + seed)
    hand = digits.load_handwritten()
    pick = np.concatenate([rng.choice(np.flatnonzero(hand["y"] == c), n // 10, replace=False) for c in range(10)])
    pick = np.sort(pick)
    X = np.concatenate([printed["X"], textured["X"], hand["X"][pick]])
    y = np.concatenate([printed["y"], textured["y"], hand["y"][pick]])
    domain = np.repeat(np.array(IMAGE_DOMAINS), n)
    font = np.concatenate([printed["font"], textured["font"], np.full(n, -1)])
    photo = np.concatenate([np.full(n, -1), textured["photo"], np.full(n, -1)])
    colour = np.array([colour_name(X[i].mean(axis=(1, 2))) if domain[i] == "textured" else ""
                       for i in range(len(X))])
    ink, slant = measure_strokes(X)
    thickness, lean = np.full(len(X), -1), np.full(len(X), -1)
    hw = domain == "handwritten"
    thickness[hw], lean[hw] = _terciles(ink[hw], y[hw]), _terciles(slant[hw], y[hw])
    split = np.empty(len(X), dtype="<U5")
    for d in IMAGE_DOMAINS:  # half of each class of each domain for training, half for test
        for c in range(10):
            idx = np.flatnonzero((domain == d) & (y == c))
            perm = rng.permutation(idx)
            split[perm[: len(idx) // 2]], split[perm[len(idx) // 2:]] = "train", "test"
    return {"X": X.astype(np.float32), "y": y.astype(np.int64), "domain": domain, "split": split,
            "font": font.astype(np.int64), "photo": photo.astype(np.int64), "colour": colour,
            "thickness": thickness.astype(np.int64), "lean": lean.astype(np.int64),
            "ink": ink.astype(np.float32), "slant": slant.astype(np.float32)}


def _attributes(img: dict, i: int) -> dict[str, str]:
    """The words that describe image ``i`` (besides its digit)."""
    d = str(img["domain"][i])
    if d == "handwritten":
        return {"thickness": _THICKNESS[img["thickness"][i]], "lean": _LEAN[img["lean"][i]]}
    typeface, category, weight, slant = FONT_ATTRIBUTES[img["font"][i]]
    out = {"typeface": typeface, "category": category, "weight": weight, "slant": slant}
    if d == "textured":
        out.update(photo=PHOTO_NAMES[img["photo"][i]], colour=str(img["colour"][i]))
    return out


def _attr_key(img: dict, i: int) -> str:
    """All attributes of image ``i`` that its captions mention, with its domain and digit."""
    attrs = _attributes(img, i)
    used = sorted({f for t in _TEMPLATES[str(img["domain"][i])] for f in attrs if "{" + f + "}" in t})
    return "|".join([str(img["domain"][i]), str(img["y"][i])] + [f"{f}={attrs[f]}" for f in used])


def load_images(n_per_domain: int = 150, captions_per_image: int = 3, spoken_per_image: int = 2,
                seed: int = 0, rebuild: bool = False) -> Bunch:
    """The images of the paired set: ``n_per_domain`` per domain, balanced classes, cached.

    The options are those of :func:`load_pairs` (the caption and voice options do not change the
    images; they are accepted so that every view of the set takes the same options).

    Returns
    -------
    Bunch with
        X : (n, 3, 32, 32) float32 in [0, 1], n = 3 * n_per_domain, domains in ``IMAGE_DOMAINS`` order;
        y : (n,) int64 digit; image_id : (n,) int64 = row index; domain, split ("train"/"test", half of
        each class of each domain) : (n,) str; font, photo : (n,) int64 (-1 where not applicable);
        colour : (n,) str; thickness, lean : (n,) int64 terciles (handwritten only, else -1);
        ink, slant : (n,) float32 measured; attr_key : (n,) str, equal for images whose captions
        can say the same things; classes : the ten number words.
    """
    _check_opts(n_per_domain, captions_per_image, spoken_per_image, seed)
    if not isinstance(rebuild, (bool, np.bool_)):
        raise ValueError(f"rebuild must be True or False, got {rebuild!r}")
    params = {"set": "paired-images", "n": n_per_domain, "seed": seed, "v": PAIRS_VERSION}
    img = cache.cached_arrays("paired-images", params, lambda: _build_images(n_per_domain, seed),
                              rebuild=bool(rebuild))
    keys = np.array([_attr_key(img, i) for i in range(len(img["y"]))])
    return Bunch(**img, image_id=np.arange(len(img["y"]), dtype=np.int64), attr_key=keys,
                 classes=list(DIGIT_WORDS))


# ----------------------------------------------------------------- captions
def _captions(images: Bunch, captions_per_image: int, seed: int) -> Bunch:
    rng = np.random.default_rng([seed, 907])
    rows = []
    for i in range(len(images.y)):
        d, attrs = str(images.domain[i]), _attributes(images, i)
        templates = rng.permutation(len(_TEMPLATES[d]))[:captions_per_image]
        for k, t in enumerate(templates):
            for style in STYLES:
                w = DIGIT_WORDS[images.y[i]] if style == "word" else str(images.y[i])
                rows.append((_TEMPLATES[d][t].format(w=w, **attrs), i, k, int(t), style))
    text, image_id, rank, template, style = (np.array(c) for c in zip(*rows))
    return Bunch(text=text, image_id=image_id.astype(np.int64), rank=rank.astype(np.int64),
                 template=template.astype(np.int64), style=style, y=images.y[image_id],
                 domain=images.domain[image_id], split=images.split[image_id],
                 attr_key=images.attr_key[image_id], classes=list(DIGIT_WORDS))


def load_captions(n_per_domain: int = 150, captions_per_image: int = 3, spoken_per_image: int = 2,
                  seed: int = 0, rebuild: bool = False) -> Bunch:
    """The captions of the paired set (options as :func:`load_pairs`).

    Returns
    -------
    Bunch with text : (m,) str, m = n_images * captions_per_image * 2 styles; image_id : (m,) the image
    it describes; rank : (m,) 0 .. captions_per_image - 1 (rank 0 is the one that is spoken); template :
    (m,) template index within the domain; style : (m,) "word" / "numeral"; y, domain, split, attr_key :
    (m,) copied from the image.
    """
    images = load_images(n_per_domain, captions_per_image, spoken_per_image, seed, rebuild)
    return _captions(images, captions_per_image, seed)


# ----------------------------------------------------------------- spoken captions
class LazyWaves(Sequence):
    """A read-only sequence of waveforms read from WAV files when indexed (keeps memory small).

    ``waves[i]`` is a float32 array (n_samples,); ``waves[a:b]`` a list. ``checksums`` holds the
    SHA-256 of each file (used as the data fingerprint by :mod:`course_lib.features`).
    """

    def __init__(self, paths: Sequence[str], checksums: Sequence[str], sample_rate: int):
        if len(paths) != len(checksums):
            raise ValueError(f"paths and checksums must have the same length, got {len(paths)} and {len(checksums)}")
        self.paths, self.checksums, self.sample_rate = list(paths), list(checksums), int(sample_rate)

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, i):
        from .speech import read_wav

        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        return read_wav(self.paths[i])[0]

    def __repr__(self) -> str:
        return f"LazyWaves({len(self)} clips at {self.sample_rate} Hz)"


def _clip_plan(captions: Bunch, spoken_per_image: int, seed: int) -> list[tuple]:
    """(caption row, voice, group, rate, pitch) of every clip: the first ``spoken_per_image`` word-style
    captions of each image, each once in a random source voice and once in a random target voice."""
    rng = np.random.default_rng([seed, 908])
    plan = []
    for c in np.flatnonzero((captions.rank < spoken_per_image) & (captions.style == "word")):
        for group, voices in (("source", SOURCE_VOICES), ("target", TARGET_VOICES)):
            plan.append((int(c), voices[rng.integers(len(voices))], group,
                         int(rng.integers(RATES[0], RATES[1] + 1)), int(rng.integers(PITCHES[0], PITCHES[1] + 1))))
    return plan


def load_clips(n_per_domain: int = 150, captions_per_image: int = 3, spoken_per_image: int = 2,
               seed: int = 0, rebuild: bool = False, progress: bool = False) -> Bunch:
    """The spoken captions: synthesised once, cached as WAV with a SHA-256 manifest, verified on load.

    A missing, partial or corrupt clip (checksum mismatch) is synthesised again.

    Returns
    -------
    Bunch with waves : :class:`LazyWaves` (k clips, read on access); sample_rate : 22050; paths :
    (k,) str; caption_id : (k,) row of the caption it speaks; rank : (k,) that caption's rank; image_id, y, domain, split, attr_key :
    (k,) of that image; text : (k,) the transcript; voice : (k,) str; group : (k,) "source" /
    "target" (voice group); rate, pitch : (k,) int64.
    """
    from . import speech
    from .training import progress as bar

    captions = load_captions(n_per_domain, captions_per_image, spoken_per_image, seed, rebuild)
    plan = _clip_plan(captions, spoken_per_image, seed)
    params = {"set": "spoken-captions", "n": n_per_domain, "cpi": captions_per_image,
              "spoken": spoken_per_image, "seed": seed, "v": PAIRS_VERSION}
    folder, manifest = cache.file_folder("spoken-captions", params, rebuild)
    paths, sums, changed = [], [], False
    for j, (c, voice, _, rate, pitch) in enumerate(bar(plan, desc="spoken captions", enable=progress)):
        path = folder / f"clip{j:05d}_{voice.replace('+', '-')}.wav"
        digest = cache.sha256_file(path) if path.exists() else None
        if digest is None or manifest.get(path.name) != digest:  # missing, partial or corrupt
            wave, sr = speech.synthesize(str(captions.text[c]), voice=voice, rate=rate, pitch=pitch)
            speech.write_wav(path, wave, sr)
            digest = manifest[path.name] = cache.sha256_file(path)
            changed = True
        paths.append(str(path))
        sums.append(digest)
    if changed:
        cache.write_folder_manifest(folder, manifest)
    cap = np.array([p[0] for p in plan], dtype=np.int64)
    return Bunch(waves=LazyWaves(paths, sums, 22050), sample_rate=22050, paths=np.array(paths),
                 caption_id=cap, rank=captions.rank[cap], image_id=captions.image_id[cap], y=captions.y[cap],
                 domain=captions.domain[cap], split=captions.split[cap], attr_key=captions.attr_key[cap],
                 text=captions.text[cap], voice=np.array([p[1] for p in plan]),
                 group=np.array([p[2] for p in plan]), rate=np.array([p[3] for p in plan], dtype=np.int64),
                 pitch=np.array([p[4] for p in plan], dtype=np.int64), classes=list(DIGIT_WORDS))


def load_pairs(n_per_domain: int = 150, captions_per_image: int = 3, spoken_per_image: int = 2,
               seed: int = 0, rebuild: bool = False, progress: bool = False) -> Bunch:
    """Images, captions and spoken captions of the paired set, deterministic for ``seed``, cached.

    Parameters
    ----------
    n_per_domain : int, multiple of 10 in [20, 1790]
        Images per image domain (printed, textured, handwritten), balanced over the ten digits.
    captions_per_image : int in [1, 4]
        Captions per image, each from a different template, each in both styles.
    spoken_per_image : int in [1, captions_per_image]
        Word-style captions of each image that are spoken, each once in a source voice and once in a
        target voice: ``2 * spoken_per_image`` clips per image.
    seed : int >= 0
        Seed of the images, template and voice choices and the train/test split.
    rebuild : bool
        Ignore the cache and build everything again.
    progress : bool
        Show a progress bar while clips are synthesised.

    Returns
    -------
    Bunch with ``images`` (:func:`load_images`), ``captions`` (:func:`load_captions`) and ``clips``
    (:func:`load_clips`); their ``image_id`` columns link them.

    Examples
    --------
    >>> pairs = load_pairs(n_per_domain=20, captions_per_image=1, spoken_per_image=1)  # doctest: +SKIP
    >>> len(pairs.images.y), len(pairs.captions.text), len(pairs.clips.waves)  # doctest: +SKIP
    (60, 120, 120)
    """
    clips = load_clips(n_per_domain, captions_per_image, spoken_per_image, seed, rebuild, progress)
    images = load_images(n_per_domain, captions_per_image, spoken_per_image, seed)
    return Bunch(images=images, captions=_captions(images, captions_per_image, seed), clips=clips)


def relevance(query_keys, gallery_keys) -> np.ndarray:
    """Boolean relevance matrix ``R[i, j] = query_keys[i] == gallery_keys[j]``.

    Pass ``y`` for class relevance, ``image_id`` for instance relevance, ``attr_key`` for "matches all
    the attributes". Shapes: (n_q,) and (n_g,) -> (n_q, n_g).

    Examples
    --------
    >>> relevance([3, 7], [7, 3, 7]).astype(int).tolist()
    [[0, 1, 0], [1, 0, 1]]
    """
    q, g = np.asarray(query_keys), np.asarray(gallery_keys)
    if q.ndim != 1 or g.ndim != 1:
        raise ValueError(f"query_keys and gallery_keys must be 1-d, got shapes {q.shape} and {g.shape}")
    return q[:, None] == g[None, :]


# ----------------------------------------------------------------- registry entries
def _images_reader(n_per_domain: int = 150, captions_per_image: int = 3, spoken_per_image: int = 2,
                   seed: int = 0, rebuild: bool = False) -> Bunch:
    return load_images(n_per_domain, captions_per_image, spoken_per_image, seed, rebuild)


def _captions_reader(n_per_domain: int = 150, captions_per_image: int = 3, spoken_per_image: int = 2,
                     seed: int = 0, rebuild: bool = False) -> Bunch:
    return load_captions(n_per_domain, captions_per_image, spoken_per_image, seed, rebuild)


def _clips_reader(n_per_domain: int = 150, captions_per_image: int = 3, spoken_per_image: int = 2,
                  seed: int = 0, rebuild: bool = False) -> Bunch:
    return load_clips(n_per_domain, captions_per_image, spoken_per_image, seed, rebuild)


_COMMON = ("Built by `course_lib.paired_data` for notebooks 06-08 (MIT); `paired_images`, `paired_captions` "
           "and `spoken_captions` take the same options (`n_per_domain`, `captions_per_image`, "
           "`spoken_per_image`, `seed`) and link through `image_id`. Relevance: class (`y`) or instance "
           "(`image_id`, or `attr_key` for all attributes).")

SPECS = [
    ("paired_images", "image", _images_reader, f"""\
**paired digit images**. `n_per_domain` (default 150) images in each of three domains, balanced over
the digits: printed (new seed, disjoint from the source CNN's training set), textured and a seeded
subset of the handwritten digits; half of each class of each domain is `train`, half `test`.
Attributes: font (typeface, category, weight, slant), background photo and its colour word, and for
handwritten digits stroke thickness and slant measured from the image (terciles within the class).
Arrays: `X` (n, 3, 32, 32), `y`, `domain`, `split`, `font`, `photo`, `colour`, `thickness`, `lean`,
`ink`, `slant`, `image_id`, `attr_key`. {_COMMON}"""),
    ("paired_captions", "text", _captions_reader, f"""\
**captions of the paired images**. `captions_per_image` (default 3) captions per image from different
templates of its domain, each in two styles kept as text domains: `word` ("a bold italic seven in a
serif font") and `numeral` ("a bold italic 7 in a serif font"); written from the image's attributes,
so a caption says more than the class. Arrays: `text`, `image_id`, `rank`, `template`, `style`, `y`,
`domain`, `split`, `attr_key`. {_COMMON}"""),
    ("spoken_captions", "audio", _clips_reader, f"""\
**spoken captions**. The first `spoken_per_image` (default 2) word-style captions of each paired image,
each spoken by espeak-ng 1.52 (the `espeakng-loader` wheel, GPL-3.0, called through ctypes) once in a
random source voice (male variants, group `source`) and once in a random unseen target voice (female
variants, group `target`), rate 140-190 wpm and pitch 35-65 drawn per clip; 22,050 Hz WAV files in the
cache with a SHA-256 manifest (a corrupt clip is synthesised again). Default 1,800 clips of about 2.7 s. Arrays: `waves` (read lazily), `sample_rate`, `paths`,
`caption_id`, `image_id`, `y`, `text`, `voice`, `group`, `rate`, `pitch`, `domain`, `split`,
`attr_key`. {_COMMON}"""),
]
