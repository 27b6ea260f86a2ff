"""Captions of the paired images (notebooks 06-08): what each image shows, beyond its class.

Every caption of a printed or textured digit names *all* its visible attributes (size, lean, position,
weight; brightness for printed ink; the background photo and its colour word for textured digits), so
that a caption fits its own image and the few others that happen to share every
level. Handwritten digits get stroke thickness and lean measured from the image. Each image gets
``captions_per_image`` captions from different templates, each written in two styles kept as text
domains: ``word`` ("... a large, bold seven ...") and ``numeral`` ("... a large, bold 7 ...").

This module never imports :mod:`course_lib.data`.
"""
from __future__ import annotations

import re

import numpy as np
from sklearn.utils import Bunch

from .paired_images import DIGIT_WORDS, LEVELS, PHOTO_NAMES, load_images

__all__ = ["STYLES", "TEMPLATES", "articles", "attributes", "attr_key", "n_templates", "load_captions"]

STYLES = ("word", "numeral")  # caption styles: the text domains
# Templates per image domain; {w} is the number word or numeral, the other fields are attributes.
TEMPLATES = {
    "printed": ("a {size}, {weight} {w}, {lean} and {position}, in {brightness} ink",
                "the digit {w} printed {position} in {brightness}, {weight} type, {size} and {lean}",
                "{brightness} ink: a {size} {w}, {lean}, {weight}, set {position}",
                "a {lean} {w} {position}: {size}, {weight}, in {brightness} lettering"),
    "textured": ("a {size}, {weight} {w}, {lean}, {position}, on a {colour} photo of {photo}",
                 "{photo} in {colour} tones behind a {size} {weight} {w}, {lean} and {position}",
                 "the digit {w} over a {colour} picture of {photo}: {size}, {weight}, {lean}, {position}",
                 "a {lean} {w} {position} on {photo}, mostly {colour}, in a {size} {weight} font"),
    "handwritten": ("a {w} written by hand with {thickness} strokes, {lean}",
                    "a handwritten {w}, {lean}, drawn with a {thickness} pen",
                    "someone wrote a {w} in {thickness} strokes, {lean}",
                    "a {lean} handwritten {w} in {thickness} strokes"),
}
_THICKNESS = ("thin", "medium", "thick")  # handwritten: terciles measured within the class
_HAND_LEAN = ("leaning left", "upright", "leaning right")
_AN = re.compile(r"\ba (?=(?!one\b)[aeiou8])")  # "a" before a vowel sound ("one" starts with a /w/)


def articles(text: str) -> str:
    """Write "an" where the next word starts with a vowel sound: "a upright 8" -> "an upright 8"."""
    return _AN.sub("an ", text)


def n_templates() -> int:
    """Templates per domain (the largest ``captions_per_image``)."""
    return min(len(t) for t in TEMPLATES.values())


def attributes(img, i: int) -> dict[str, str]:
    """The words that describe image ``i`` of :func:`course_lib.paired_images.load_images` (besides its digit)."""
    d = str(img["domain"][i])
    if d == "handwritten":
        return {"thickness": _THICKNESS[img["thickness"][i]], "lean": _HAND_LEAN[img["lean"][i]]}
    out = {k: LEVELS[k][img[k][i]] for k in ("size", "lean", "position", "weight")}
    if d == "printed":
        out["brightness"] = LEVELS["brightness"][img["brightness"][i]]
    else:
        out.update(photo=PHOTO_NAMES[img["photo"][i]], colour=str(img["colour"][i]))
    return out


def attr_key(img, i: int) -> str:
    """All attributes of image ``i`` that its captions mention, with its domain and digit."""
    attrs = attributes(img, i)
    used = sorted({f for t in TEMPLATES[str(img["domain"][i])] for f in attrs if "{" + f + "}" in t})
    return "|".join([str(img["domain"][i]), str(img["y"][i])] + [f"{f}={attrs[f]}" for f in used])


def _captions(images: Bunch, captions_per_image: int, seed: int) -> Bunch:
    rng = np.random.default_rng([seed, 907])
    rows = []
    for i in range(len(images.y)):
        d, attrs = str(images.domain[i]), attributes(images, i)
        templates = rng.permutation(len(TEMPLATES[d]))[:captions_per_image]
        for k, t in enumerate(templates):
            for style in STYLES:
                w = DIGIT_WORDS[images.y[i]] if style == "word" else str(images.y[i])
                rows.append((articles(TEMPLATES[d][t].format(w=w, **attrs)), i, k, int(t), style))
    text, image_id, rank, template, style = (np.array(c) for c in zip(*rows))
    return Bunch(text=text, image_id=image_id.astype(np.int64), rank=rank.astype(np.int64),
                 template=template.astype(np.int64), style=style, y=images.y[image_id],
                 domain=images.domain[image_id], split=images.split[image_id],
                 attr_key=images.attr_key[image_id], classes=list(DIGIT_WORDS))


def load_captions(n_per_domain: int = 150, captions_per_image: int = 3, spoken_per_image: int = 2,
                  seed: int = 0, rebuild: bool = False) -> Bunch:
    """The captions of the paired set (options as ``paired_data.load_pairs``).

    Returns
    -------
    Bunch with text : (m,) str, m = n_images * captions_per_image * 2 styles; image_id : (m,) the image
    it describes; rank : (m,) 0 .. captions_per_image - 1 (ranks below ``spoken_per_image`` are spoken);
    template : (m,) template index within the domain; style : (m,) "word" / "numeral"; y, domain, split,
    attr_key : (m,) copied from the image.
    """
    images = load_images(n_per_domain, captions_per_image, spoken_per_image, seed, rebuild)
    return _captions(images, captions_per_image, seed)
