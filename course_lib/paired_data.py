"""Paired multimodal data for retrieval (notebooks 06-08): digit images, captions and spoken captions.

Each image comes with captions that describe it *beyond its class*, from what can be seen in it:

* ``printed`` (source): size, lean, position, stroke weight and ink brightness, drawn as discrete levels
  by the renderer of :mod:`course_lib.paired_images` and kept with the image;
* ``textured`` (second source): the same digit attributes, the background photo and its colour word;
* ``handwritten`` (target): stroke thickness and slant measured from the image (terciles within the
  digit's class, so they say something the class does not).

Every image gets ``captions_per_image`` captions from different templates
(:mod:`course_lib.paired_captions`), each written in two styles that are kept as text domains:
``word`` ("a large, bold seven, slanted forward and on the left, in faint grey ink") and ``numeral``
(the same with "7"). The first ``spoken_per_image`` word-style captions of each image are spoken by
espeak-ng (:mod:`course_lib.spoken_captions`) once in a random source voice and once in a random unseen
target voice, at a random rate and pitch; the clips are cached as WAV files with a SHA-256 manifest.

Relevance has two levels: *class* (same digit, compare ``y``) and *instance* (the same image,
compare ``image_id``; or matching all its attributes, compare ``attr_key``). :func:`relevance`
builds either as a boolean matrix.

This module gathers the public names of the three modules it is built from; it never imports
:mod:`course_lib.data` (which registers ``SPECS``).
"""
from __future__ import annotations

import numpy as np
from sklearn.utils import Bunch

from .paired_captions import STYLES, TEMPLATES, _captions, load_captions
from .paired_images import (DIGIT_WORDS, FONT_ATTRIBUTES, IMAGE_DOMAINS, LEVELS, PAIRS_VERSION, PHOTO_NAMES,
                            UPRIGHT_FONTS, colour_name, load_images, measure_strokes, render_attributed)
from .spoken_captions import PITCHES, RATES, SOURCE_VOICES, TARGET_VOICES, LazyWaves, load_clips

__all__ = ["IMAGE_DOMAINS", "STYLES", "SOURCE_VOICES", "TARGET_VOICES", "PHOTO_NAMES", "FONT_ATTRIBUTES",
           "LEVELS", "UPRIGHT_FONTS", "TEMPLATES", "PAIRS_VERSION", "DIGIT_WORDS", "RATES", "PITCHES",
           "load_pairs", "load_images", "load_captions", "load_clips", "LazyWaves", "relevance",
           "measure_strokes", "colour_name", "render_attributed", "SPECS"]


def load_pairs(n_per_domain: int = 150, captions_per_image: int = 3, spoken_per_image: int = 2,
               seed: int = 0, rebuild: bool = False, progress: bool = False, workers: int = 2) -> Bunch:
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
    workers : int in [1, 16]
        Threads that synthesise clips at once (the clips do not depend on it).

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
    clips = load_clips(n_per_domain, captions_per_image, spoken_per_image, seed, rebuild, progress, workers)
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
the digits: printed and textured digits rendered with visible attributes drawn as discrete levels
(size small/large, lean backward/upright/forward, position left/right, weight thin/bold, and for
printed ink faint/bright; textured: background photo and its colour word), from the seven upright
regular fonts and seeds disjoint from the source CNN's training set, and a seeded subset of the
handwritten digits with stroke thickness and slant measured from the image (terciles within the
class); half of each class of each domain is `train`, half `test`. Arrays: `X` (n, 3, 32, 32), `y`,
`domain`, `split`, `font`, `photo`, `colour`, `size`, `lean`, `position`, `weight`, `brightness`,
`thickness`, `ink`, `slant`, `image_id`, `attr_key`. {_COMMON}"""),
    ("paired_captions", "text", _captions_reader, f"""\
**captions of the paired images**. `captions_per_image` (default 3) captions per image from different
templates of its domain, each in two styles kept as text domains: `word` ("a large, bold seven,
slanted forward and on the left, in faint grey ink") and `numeral` (the same with "7"); every caption
names all the attributes its image shows, so it says more than the class. Arrays: `text`, `image_id`, `rank`, `template`, `style`, `y`,
`domain`, `split`, `attr_key`. {_COMMON}"""),
    ("spoken_captions", "audio", _clips_reader, f"""\
**spoken captions**. The first `spoken_per_image` (default 2) word-style captions of each paired image,
each spoken by espeak-ng 1.52 (the `espeakng-loader` wheel, GPL-3.0, called through ctypes) once in a
random source voice (male variants, group `source`) and once in a random unseen target voice (female
variants, group `target`), rate 140-190 wpm and pitch 35-65 drawn per clip; 22,050 Hz WAV files in the
cache with a SHA-256 manifest (a corrupt clip is synthesised again); two threads synthesise at once. Default 1,800 clips of about 4 s (2 h of audio). Arrays: `waves` (read lazily), `sample_rate`, `paths`,
`caption_id`, `image_id`, `y`, `text`, `voice`, `group`, `rate`, `pitch`, `domain`, `split`,
`attr_key`. {_COMMON}"""),
]
