"""Spoken captions of the paired set (notebooks 06-08): espeak-ng clips cached as WAV with a manifest.

The first ``spoken_per_image`` word-style captions of each image are spoken by espeak-ng
(:mod:`course_lib.speech`) once in a random source voice and once in a random unseen target voice, at a
random rate and pitch. Clips are synthesised by ``workers`` threads (each on its own copy of the
library, so the output does not depend on the number of workers), written as WAV files and checked
against a SHA-256 manifest on every load; a missing or corrupt clip is synthesised again.

This module never imports :mod:`course_lib.data`.
"""
from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from sklearn.utils import Bunch

from . import cache
from ._validation import check_int
from .paired_captions import load_captions
from .paired_images import DIGIT_WORDS, PAIRS_VERSION

__all__ = ["SOURCE_VOICES", "TARGET_VOICES", "RATES", "PITCHES", "LazyWaves", "load_clips"]

#: The course's voice groups (equal to course_lib.data.SPEECH_SOURCE_VOICES / _TARGET_VOICES; a test checks it).
SOURCE_VOICES = ("en+m1", "en+m3", "en+m4", "en+m6", "en+m7", "en+m8")
TARGET_VOICES = ("en+f1", "en+f2", "en+f3", "en+f4")
RATES, PITCHES = (140, 190), (35, 65)  # ranges the clip's speaking rate and pitch are drawn from


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
               seed: int = 0, rebuild: bool = False, progress: bool = False, workers: int = 2) -> Bunch:
    """The spoken captions: synthesised once, cached as WAV with a SHA-256 manifest, verified on load.

    A missing, partial or corrupt clip (checksum mismatch) is synthesised again. ``workers`` threads
    (1-16) synthesise at once; the clips are the same for any number.

    Returns
    -------
    Bunch with waves : :class:`LazyWaves` (k clips, read on access); sample_rate : 22050; paths :
    (k,) str; caption_id : (k,) row of the caption it speaks; rank : (k,) that caption's rank; image_id,
    y, domain, split, attr_key : (k,) of that image; text : (k,) the transcript; voice : (k,) str;
    group : (k,) "source" / "target" (voice group); rate, pitch : (k,) int64.
    """
    from . import speech
    from .training import progress as bar

    check_int(workers, "workers", 1, 16)
    captions = load_captions(n_per_domain, captions_per_image, spoken_per_image, seed, rebuild)
    plan = _clip_plan(captions, spoken_per_image, seed)
    params = {"set": "spoken-captions", "n": n_per_domain, "cpi": captions_per_image,
              "spoken": spoken_per_image, "seed": seed, "v": PAIRS_VERSION}
    folder, manifest = cache.file_folder("spoken-captions", params, rebuild)
    paths = [folder / f"clip{j:05d}_{p[1].replace('+', '-')}.wav" for j, p in enumerate(plan)]
    sums = [cache.sha256_file(p) if p.exists() else None for p in paths]
    todo = [j for j, (p, s) in enumerate(zip(paths, sums)) if s is None or manifest.get(p.name) != s]

    def make(j: int) -> str:  # runs in a worker thread; returns the new file's digest
        c, voice, _, rate, pitch = plan[j]
        wave, sr = speech.synthesize(str(captions.text[c]), voice=voice, rate=rate, pitch=pitch)
        speech.write_wav(paths[j], wave, sr)
        return cache.sha256_file(paths[j])

    if todo:
        speech.parallel_copies(workers)
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for j, digest in zip(todo, bar(pool.map(make, todo), total=len(todo), desc="spoken captions",
                                           enable=progress)):
                sums[j] = manifest[paths[j].name] = digest
        cache.write_folder_manifest(folder, manifest)
    cap = np.array([p[0] for p in plan], dtype=np.int64)
    return Bunch(waves=LazyWaves([str(p) for p in paths], sums, 22050), sample_rate=22050,
                 paths=np.array([str(p) for p in paths]), caption_id=cap, rank=captions.rank[cap],
                 image_id=captions.image_id[cap], y=captions.y[cap], domain=captions.domain[cap],
                 split=captions.split[cap], attr_key=captions.attr_key[cap], text=captions.text[cap],
                 voice=np.array([p[1] for p in plan]), group=np.array([p[2] for p in plan]),
                 rate=np.array([p[3] for p in plan], dtype=np.int64),
                 pitch=np.array([p[4] for p in plan], dtype=np.int64), classes=list(DIGIT_WORDS))
