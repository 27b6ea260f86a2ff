"""The real-data track: MNIST, USPS and SVHN from :mod:`torchvision.datasets` and spoken digits from
:mod:`torchaudio.datasets` Speech Commands, for a learner who is online.

The libraries download the files and check them against the checksums they ship (MD5 for
torchvision, SHA-256 for torchaudio); this module only wraps them so that

* a copy on disk that fails its checksum (a truncated or corrupt earlier download) is deleted
  before the library sees it: torchvision's USPS and torchaudio's Speech Commands would otherwise
  read such a file without checking it again;
* a failed download or verification leaves nothing behind that a later call could use, and
  raises a ``RuntimeError`` that names the data set and the address;
* the result has the shape of the offline sets: images as ``X`` (n, 3, size, size) float32 in
  [0, 1] with ``y`` in 0..9 (so a notebook switches with one line, ``DATA = "offline"`` /
  ``"real"``); spoken digits as ``waves`` (list of float32), ``sample_rate``, ``y``, ``text``,
  ``voice``, ``group``, ``paths``.

Nothing is downloaded at import. Files go to the course cache, ``downloads/<name>/``.
``SPECS`` lists ``(name, modality, reader, card)`` tuples that :mod:`course_lib.data` registers;
this module never imports :mod:`course_lib.data`.
"""
from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch

from . import cache

__all__ = ["SPECS", "SPEECH_COMMANDS_URL", "to_images", "mnist", "usps", "svhn", "speech_commands"]

_DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
SPEECH_COMMANDS_URL = "http://download.tensorflow.org/data/speech_commands_v0.02.tar.gz"


# ----------------------------------------------------------------- option checks
def _bad(dataset, option, value, allowed):
    return ValueError(f"data set {dataset!r}: {option} must be {allowed}, got {value!r}")


def _int(dataset, option, value, low, high=None, allow_none=False):
    if value is None and allow_none:
        return None
    ok = isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))
    if not ok or value < low or (high is not None and value > high):
        span = f"an integer in [{low}, {high}]" if high is not None else f"an integer >= {low}"
        raise _bad(dataset, option, value, span + (" or None" if allow_none else ""))
    return int(value)


def _choice(dataset, option, value, allowed):
    if value not in allowed:
        raise _bad(dataset, option, value, f"one of {allowed}")
    return value


def _bool(dataset, option, value):
    if not isinstance(value, (bool, np.bool_)):
        raise _bad(dataset, option, value, "True or False")
    return bool(value)


# ----------------------------------------------------------------- verified downloads
def _digest(path: Path, algo: str) -> str:
    h = hashlib.new(algo, usedforsecurity=False) if algo == "md5" else hashlib.new(algo)
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _matches(path: Path, checksum: str, algo: str) -> bool:
    return path.is_file() and _digest(path, algo).startswith(checksum.lower())


def _verified(name: str, expected: list[tuple[Path, str, str]], build, extracted=(), url: str = ""):
    """Run ``build()`` (the library's download + read) with the checksum guard around it.

    ``expected`` lists ``(path, checksum, algo)`` of the downloaded files; a copy that fails its
    checksum is deleted before and after ``build``. ``extracted`` lists folders unpacked from an
    archive, removed if ``build`` fails (a half-unpacked archive is never read later).
    """
    for path, checksum, algo in expected:
        if path.exists() and not _matches(path, checksum, algo):
            path.unlink()  # truncated or corrupt earlier download: never handed to the library
    try:
        return build()
    except Exception as err:
        for path, checksum, algo in expected:
            if path.exists() and not _matches(path, checksum, algo):
                path.unlink()
        for folder in extracted:
            shutil.rmtree(folder, ignore_errors=True)
        raise RuntimeError(f"data set {name!r}: the download{' from ' + url if url else ''} failed or did not "
                           f"match its checksum ({type(err).__name__}: {err}); nothing was kept. Check the "
                           f"connection and load it again.") from err


def _root(name: str) -> Path:
    return cache.cache_dir(f"downloads/{name}")


# ----------------------------------------------------------------- images
def to_images(data, size: int = 32) -> np.ndarray:
    """Convert uint8 images to the course's image arrays.

    Parameters
    ----------
    data : array-like of uint8, shape (n, H, W) (grey) or (n, 3, H, W) (colour)
    size : int
        Output side; resized bilinearly (anti-aliased when shrinking).

    Returns
    -------
    X : ndarray of float32, shape (n, 3, size, size), values in [0, 1]
        Grey images are copied to the three channels.
    """
    import torch
    import torch.nn.functional as F

    arr = np.asarray(data)
    if arr.dtype != np.uint8 or arr.ndim not in (3, 4) or (arr.ndim == 4 and arr.shape[1] != 3):
        raise ValueError(f"data must be uint8 of shape (n, H, W) or (n, 3, H, W), got {arr.dtype} {arr.shape}")
    x = torch.from_numpy(arr.astype(np.float32) / 255.0)
    if x.ndim == 3:
        x = x[:, None].expand(-1, 3, -1, -1)
    if x.shape[-2:] != (size, size):
        x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False,
                          antialias=size < max(x.shape[-2:]))
    return x.clamp(0.0, 1.0).contiguous().numpy()


def _subset(n_total: int, n, seed: int) -> np.ndarray:
    if n is None or n >= n_total:
        return np.arange(n_total)
    return np.sort(np.random.default_rng(seed).choice(n_total, n, replace=False))


def _image_bunch(images, labels, n, seed, size, domain) -> Bunch:
    labels = np.asarray(labels, dtype=np.int64)
    idx = _subset(len(labels), n, seed)
    return Bunch(X=to_images(np.asarray(images)[idx], size), y=labels[idx], domain=domain,
                 classes=list(_DIGIT_WORDS))


def _image_opts(name, split, splits, n, seed, size, download):
    _choice(name, "split", split, splits)
    _int(name, "n", n, 1, allow_none=True)
    _int(name, "seed", seed, 0)
    _int(name, "size", size, 8, 256)
    _bool(name, "download", download)


def mnist(split: str = "train", n: int | None = 2000, seed: int = 0, size: int = 32,
          download: bool = True) -> Bunch:
    """MNIST through ``torchvision.datasets.MNIST``; a seeded subset of ``n`` images (None: all)."""
    from torchvision.datasets import MNIST

    _image_opts("mnist", split, ("train", "test"), n, seed, size, download)
    root = _root("mnist")
    raw = root / "MNIST" / "raw"
    expected = [(raw / f, md5, "md5") for f, md5 in MNIST.resources]
    ds = _verified("mnist", expected, lambda: MNIST(str(root), train=split == "train", download=download),
                   url=MNIST.mirrors[0])
    return _image_bunch(ds.data.numpy(), ds.targets.numpy(), n, seed, size, "mnist")


def usps(split: str = "train", n: int | None = 2000, seed: int = 0, size: int = 32,
         download: bool = True) -> Bunch:
    """USPS through ``torchvision.datasets.USPS``; a seeded subset of ``n`` images (None: all)."""
    from torchvision.datasets import USPS

    _image_opts("usps", split, ("train", "test"), n, seed, size, download)
    root = _root("usps")
    url, filename, md5 = USPS.split_list[split]
    ds = _verified("usps", [(root / filename, md5, "md5")],
                   lambda: USPS(str(root), train=split == "train", download=download), url=url)
    return _image_bunch(ds.data, ds.targets, n, seed, size, "usps")


def svhn(split: str = "train", n: int | None = 2000, seed: int = 0, size: int = 32,
         download: bool = True) -> Bunch:
    """SVHN (cropped digits) through ``torchvision.datasets.SVHN``; a seeded subset of ``n`` (None: all)."""
    from torchvision.datasets import SVHN

    _image_opts("svhn", split, ("train", "test", "extra"), n, seed, size, download)
    root = _root("svhn")
    url, filename, md5 = SVHN.split_list[split]
    ds = _verified("svhn", [(root / filename, md5, "md5")],
                   lambda: SVHN(str(root), split=split, download=download), url=url)
    return _image_bunch(ds.data, ds.labels, n, seed, size, "svhn")


# ----------------------------------------------------------------- spoken digits
def speech_commands(subset: str | None = "testing", n_per_class: int | None = 40, seed: int = 0,
                    download: bool = True) -> Bunch:
    """The ten digit words of Speech Commands v0.02 through ``torchaudio.datasets.SPEECHCOMMANDS``.

    Speakers are split in two disjoint halves by a seeded permutation: ``group`` is "source" or
    "target", a speaker shift like the offline set's voice groups. WAV files are read with
    soundfile (``torchaudio.load`` needs FFmpeg).
    """
    import soundfile
    from torchaudio.datasets import SPEECHCOMMANDS
    from torchaudio.datasets import speechcommands as sc

    _choice("speech_commands", "subset", subset, (None, "training", "validation", "testing"))
    _int("speech_commands", "n_per_class", n_per_class, 1, allow_none=True)
    _int("speech_commands", "seed", seed, 0)
    _bool("speech_commands", "download", download)
    url = SPEECH_COMMANDS_URL
    checksum = sc._CHECKSUMS.get(url)
    if download and checksum is None:  # torchaudio would download it without any check
        raise RuntimeError(f"data set 'speech_commands': no checksum is known for {url!r}; refusing to download")
    root = _root("speech_commands")
    archive = root / os.path.basename(url)
    unpacked = root / sc.FOLDER_IN_ARCHIVE / os.path.basename(url).rsplit(".", 2)[0]
    expected = [(archive, checksum, "sha256")] if checksum else []
    stamp = unpacked / ".complete"  # written after a whole, verified archive was unpacked
    if download and unpacked.exists() and not stamp.exists():
        shutil.rmtree(unpacked)  # an interrupted unpacking: start again from the verified archive
    ds = _verified("speech_commands", expected,
                   lambda: SPEECHCOMMANDS(str(root), url=url, download=download, subset=subset),
                   extracted=[unpacked], url=url)
    stamp.touch()
    rows = [ds.get_metadata(i) for i in range(len(ds))]
    rows = [r for r in rows if r[2] in _DIGIT_WORDS]
    rng = np.random.default_rng(seed)
    keep = []
    for word in _DIGIT_WORDS:
        idx = [i for i, r in enumerate(rows) if r[2] == word]
        if n_per_class is not None and n_per_class < len(idx):
            idx = sorted(rng.choice(idx, n_per_class, replace=False).tolist())
        keep += idx
    rows = [rows[i] for i in keep]
    speakers = sorted({r[3] for r in rows})
    perm = np.random.default_rng(seed).permutation(len(speakers))
    source = {speakers[i] for i in perm[: (len(speakers) + 1) // 2]}
    waves, paths, rate = [], [], sc.SAMPLE_RATE
    for relpath, sample_rate, *_ in rows:
        path = root / sc.FOLDER_IN_ARCHIVE / relpath
        wave, sr = soundfile.read(str(path), dtype="float32")
        if sr != sample_rate:
            raise RuntimeError(f"data set 'speech_commands': {path} has sample rate {sr}, expected {sample_rate}")
        waves.append(wave if wave.ndim == 1 else wave.mean(axis=1))
        paths.append(str(path))
    return Bunch(waves=waves, sample_rate=rate, y=np.array([_DIGIT_WORDS.index(r[2]) for r in rows], dtype=np.int64),
                 text=np.array([r[2] for r in rows]), voice=np.array([r[3] for r in rows]),
                 group=np.array(["source" if r[3] in source else "target" for r in rows]), paths=paths,
                 classes=list(_DIGIT_WORDS))


_DL = ("Downloaded on first use (needs the internet; never in the default path or in CI) into the "
       "course cache and verified by the library's checksums; a copy that fails them is deleted, never read.")

SPECS: list = [
    ("mnist", "image", mnist, f"""\
**MNIST** (real-data track). `torchvision.datasets.MNIST`: 70,000 handwritten digits (60,000
train, 10,000 test), 28x28 grey, written by about 500 Census Bureau employees and high-school
students (LeCun, Cortes & Burges; distributed under CC BY-SA 3.0), about 11 MB compressed. {_DL}
By default a seeded subset of 2,000 of the chosen split, resized bilinearly to 32x32 and
copied to 3 channels. Arrays: `X` (n, 3, 32, 32) float32 in [0, 1], `y`."""),
    ("usps", "image", usps, f"""\
**USPS** (real-data track). `torchvision.datasets.USPS` (the LIBSVM copy): 9,298 handwritten
digits from US postal envelopes (7,291 train, 2,007 test), 16x16 grey (Hull 1994; no licence
stated by the source, research use), two bz2 text files of a few MB. {_DL} By default a seeded subset of
2,000 of the chosen split, resized bilinearly to 32x32 and copied to 3 channels. Arrays: `X`
(n, 3, 32, 32) float32 in [0, 1], `y`."""),
    ("svhn", "image", svhn, f"""\
**SVHN** (real-data track). `torchvision.datasets.SVHN`, cropped digits: 32x32 colour crops of
house numbers from Google Street View (Netzer et al. 2011; non-commercial use), 73,257 train,
26,032 test, 531,131 extra; the train file is about 182 MB. {_DL} Label 10 is mapped to 0. By
default a seeded subset of 2,000 of the chosen split. Arrays: `X` (n, 3, 32, 32) float32 in
[0, 1], `y`."""),
    ("speech_commands", "audio", speech_commands, f"""\
**spoken digits, Speech Commands v0.02** (real-data track). `torchaudio.datasets.SPEECHCOMMANDS`:
one-second 16 kHz clips of 35 words from thousands of speakers (Warden 2018, CC BY 4.0); the
archive is about 2.3 GB. {_DL} Only the ten digit words are kept, by default 40 per word from
the official `testing` list, seeded. Speakers are split into two disjoint seeded halves
(`group` "source" / "target"). Arrays: `waves` (list of float32), `sample_rate` (16,000), `y`,
`text`, `voice` (speaker id), `group`, `paths`."""),
]
