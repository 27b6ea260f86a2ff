"""Audio encoders for retrieval (notebooks 06-08): log-mel frames, pooled log-mel and MFCC, the
sound-effects CNN aisfx, and a small speech encoder trained here (distilled into a text space).

They share the interface of :mod:`course_lib.modality_encoders` (``name``, ``modality``,
``settings()``, ``encode(items, progress=True)``) and are importable from there too. All but aisfx
take log-mel *frames* from :class:`LogMelFrames` (computed once, cached), not waveforms.
"""
from __future__ import annotations

import functools

import numpy as np
import torch
from torch.nn import functional as F

from .features import batched, fingerprint
from ._encoder_base import _Encoder

__all__ = ["LogMelFrames", "LogMelEncoder", "MFCCEncoder", "AisfxEncoder", "frame_lengths", "PAD_VALUE",
           "SpeechConvNet", "SpeechConvEncoder", "info_nce", "DIGIT_HEAD_SETTINGS"]

PAD_VALUE = float(np.log(1e-6))  # log-mel of exact silence: the padding of LogMelFrames

#: The settings of :class:`SpeechConvEncoder` used from notebook 06 on (with ``fit(..., y=...)``): a digit head
#: weighted 4 against the distillation, 40 epochs and width 96 (chosen on source voices only: trained on four
#: source voices, scored on the other two), and mel shifts of up to 3 bands (notebook 06's augmentation).
DIGIT_HEAD_SETTINGS = {"mel_shift": 3, "class_weight": 4.0, "num_epochs": 40, "width": 96}


def _frames(frames) -> np.ndarray:
    frames = np.asarray(frames)
    if frames.ndim != 3 or frames.shape[0] < 1 or not np.issubdtype(frames.dtype, np.floating):
        raise ValueError(f"frames must be float log-mel frames (n, n_mels, n_frames) from LogMelFrames, "
                         f"got shape {frames.shape} dtype {frames.dtype}")
    return frames


# ----------------------------------------------------------------- audio
def frame_lengths(frames) -> np.ndarray:
    """Number of real (unpadded) frames of each clip in a :class:`LogMelFrames` output: (n,) int64."""
    frames = _frames(frames)
    real = (frames > PAD_VALUE + 1e-3).any(axis=1)  # (n, T): a frame with any energy
    idx = np.arange(frames.shape[2])
    return np.where(real.any(axis=1), (real * (idx + 1)).max(axis=1), 1).astype(np.int64)


class LogMelFrames(_Encoder):
    """Log-mel frames of each clip (:func:`course_lib.speech.log_mel` at 16 kHz), padded to one length
    with ``PAD_VALUE`` (silence): n waves -> (n, n_mels, n_frames), float16 to halve the cache."""

    name, modality = "logmel-frames", "audio"

    def __init__(self, n_mels: int = 40, n_fft: int = 1024, hop_length: int = 256, sample_rate: int = 22050):
        from ._validation import check_int
        self.n_fft, self.hop_length = check_int(n_fft, "n_fft", 2, 2**16), check_int(hop_length, "hop_length", 1)
        self.n_mels = check_int(n_mels, "n_mels", 1, self.n_fft // 2 + 1)
        self.sample_rate = check_int(sample_rate, "sample_rate", 1)

    def settings(self) -> dict:
        return {"n_mels": self.n_mels, "n_fft": self.n_fft, "hop_length": self.hop_length, "rate": 16000,
                "sample_rate": self.sample_rate}

    def encode(self, waves, progress: bool = True) -> np.ndarray:
        from .speech import log_mel
        from .training import progress as bar
        if len(waves) == 0:
            raise ValueError("waves must not be empty")
        specs = [log_mel(waves[i], self.sample_rate, self.n_mels, self.n_fft, self.hop_length).numpy()
                 for i in bar(range(len(waves)), desc="log-mel", enable=progress)]
        out = np.full((len(specs), self.n_mels, max(s.shape[1] for s in specs)), PAD_VALUE, dtype=np.float16)
        for i, s in enumerate(specs):
            out[i, :, :s.shape[1]] = np.maximum(s, PAD_VALUE + 2e-3)  # keep real frames above the pad value
        return out


def _pool(values: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Mean and std over each clip's real frames: (n, c, T) -> (n, 2c)."""
    mask = np.arange(values.shape[2])[None, None, :] < lengths[:, None, None]
    count = lengths[:, None].astype(np.float64)
    mean = np.where(mask, values, 0).sum(axis=2) / count
    var = np.where(mask, (values - mean[:, :, None]) ** 2, 0).sum(axis=2) / count
    return np.concatenate([mean, np.sqrt(var)], axis=1).astype(np.float32)


class LogMelEncoder(_Encoder):
    """Pooled log-mel: mean and standard deviation of each band over time, (n, n_mels, T) frames ->
    (n, 2 n_mels)."""

    name, modality = "logmel-pooled", "audio"

    def encode(self, frames, progress: bool = True) -> np.ndarray:
        frames = _frames(frames)
        return _pool(frames.astype(np.float64), frame_lengths(frames))


class MFCCEncoder(_Encoder):
    """Pooled MFCC (Davis & Mermelstein 1980): the orthonormal DCT-II of the log-mel in dB (floored at
    ``top_db`` below each clip's peak, as torchaudio's MFCC does), mean and std over time:
    (n, n_mels, T) frames -> (n, 2 n_mfcc)."""

    name, modality = "mfcc-pooled", "audio"

    def __init__(self, n_mfcc: int = 20, top_db: float = 80.0):
        from ._validation import check_int
        self.n_mfcc = check_int(n_mfcc, "n_mfcc", 1)
        if not top_db > 0:
            raise ValueError(f"top_db must be > 0 (decibels below the peak), got {top_db!r}")
        self.top_db = float(top_db)

    def settings(self) -> dict:
        return {"n_mfcc": self.n_mfcc, "top_db": self.top_db}

    def encode(self, frames, progress: bool = True) -> np.ndarray:
        import torchaudio
        frames = _frames(frames)
        if not 1 <= self.n_mfcc <= frames.shape[1]:
            raise ValueError(f"n_mfcc must be in [1, n_mels={frames.shape[1]}], got {self.n_mfcc}")
        lengths = frame_lengths(frames)
        db = frames.astype(np.float64) * (10 / np.log(10))  # ln(power) -> dB
        peak = np.array([db[i, :, :n].max() for i, n in enumerate(lengths)])
        db = np.maximum(db, (peak - self.top_db)[:, None, None])
        dct = torchaudio.functional.create_dct(self.n_mfcc, frames.shape[1], "ortho").double().numpy()
        return _pool(np.einsum("nmt,mk->nkt", db, dct), lengths)


class AisfxEncoder(_Encoder):
    """The aisfx sound-effects encoder (Ma et al., ISMIR 2021; 6.2 M-parameter CNN, 512-d), applied to
    speech: its own 44.1 kHz, 96-band log-mel (log10(1 + 1e4 M), scaled as in its training), at least
    101 frames, at most ``max_frames`` (about 3 s), then conv blocks pooled over frequency and time.

    Costly on a CPU (about 0.3 s per clip on one core): encode a subset.
    """

    name, modality = "aisfx", "audio"

    def __init__(self, max_frames: int = 128, batch_size: int = 16):
        from ._validation import check_int
        self.max_frames = check_int(max_frames, "max_frames", 101)
        self.batch_size = check_int(batch_size, "batch_size", 1)

    def settings(self) -> dict:
        return {"max_frames": self.max_frames, "version": "aisfx 0.1.2 X-Sequential-CE"}

    @staticmethod
    @functools.cache
    def _model():
        from aisfx.inference import get_path_modelWeights, load_bestModel
        weights, ds_dict = torch.load(get_path_modelWeights(), map_location="cpu", weights_only=False)
        return load_bestModel(weights, ds_dict, "cpu").eval()

    @staticmethod
    @functools.cache
    def _transforms(sample_rate: int):
        import torchaudio
        mel = torchaudio.transforms.MelSpectrogram(sample_rate=44100, n_fft=2048, hop_length=1024, n_mels=96,
                                                   f_min=0.0, f_max=22050.0, norm="slaney", mel_scale="htk")
        return torchaudio.transforms.Resample(sample_rate, 44100), mel

    def spectrogram(self, wave, sample_rate: int = 22050) -> torch.Tensor:
        """aisfx's input for one clip: (n_frames, 96), peak-normalised, log-compressed, scaled."""
        resample, mel = self._transforms(sample_rate)
        x = torch.as_tensor(np.asarray(wave, dtype=np.float32))
        if x.ndim != 1 or x.numel() < 2048:
            raise ValueError(f"wave must be 1-d with at least 2048 samples, got shape {tuple(x.shape)}")
        x = resample(x / x.abs().max().clamp_min(1e-8))
        return (torch.log10(mel(x) * 1e4 + 1) / 9.457798957824707).T[: self.max_frames]

    @torch.no_grad()
    def encode(self, waves, progress: bool = True) -> np.ndarray:
        model = self._model()
        rate = getattr(waves, "sample_rate", 22050)

        def fn(batch):
            specs = [self.spectrogram(w, rate) for w in batch]
            x = torch.zeros(len(specs), max(101, max(len(s) for s in specs)), 96)
            for i, s in enumerate(specs):
                x[i, :len(s)] = s
            return model.get_embedding(x).numpy()

        return batched(fn, waves, self.batch_size, "aisfx", progress)


# ----------------------------------------------------------------- a speech encoder trained here
class SpeechConvNet(torch.nn.Module):
    """A small 1-D conv net over log-mel frames: (n, n_mels, T) -> (n, out_dim), unit length.

    Each clip is standardised per band over its real frames (cepstral mean and variance
    normalisation: removes much of the voice's timbre), three strided conv blocks follow (the padded
    steps are zeroed after each, so a clip's embedding does not depend on the batch's length), then
    mean and max pooling over the real frames and a linear map.
    """

    def __init__(self, n_mels: int = 40, width: int = 96, out_dim: int = 384):
        super().__init__()
        block = lambda i, o: torch.nn.Sequential(torch.nn.Conv1d(i, o, 5, stride=2, padding=2),
                                                 torch.nn.BatchNorm1d(o), torch.nn.ReLU())
        self.blocks = torch.nn.ModuleList([block(n_mels, width), block(width, width), block(width, width)])
        self.proj = torch.nn.Linear(2 * width, out_dim)

    def forward(self, frames: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        mask = (torch.arange(frames.shape[2])[None, :] < lengths[:, None]).float()[:, None, :]  # (n, 1, T)
        count = mask.sum(dim=2, keepdim=True)
        mean = (frames * mask).sum(dim=2, keepdim=True) / count
        std = (((frames - mean) * mask) ** 2).sum(dim=2, keepdim=True).div(count).sqrt() + 1e-3
        h, keep = (frames - mean) / std * mask, mask
        for block in self.blocks:  # zero the padded steps after each block: padding never leaks in
            keep = F.max_pool1d(keep, 2, 2, ceil_mode=True)
            h = block(h) * keep
        pooled_mean = h.sum(dim=2) / keep.sum(dim=2).clamp_min(1)
        pooled_max = (h + (keep - 1) * 1e4).amax(dim=2)
        return F.normalize(self.proj(torch.cat([pooled_mean, pooled_max], dim=1)), dim=1)


def info_nce(a: torch.Tensor, b: torch.Tensor, temperature: float = 0.07) -> torch.Tensor:
    """Symmetric InfoNCE of matched rows with a fixed temperature: :func:`course_lib.contrastive_heads.info_nce`
    with ``logit_scale = 1 / temperature`` (one implementation of the loss in the package).
    a, b: (n, d) -> 0-d tensor."""
    from .contrastive_heads import info_nce as symmetric_info_nce

    return symmetric_info_nce(a, b, 1.0 / temperature)


def _shift_bands(frames: torch.Tensor, k: int) -> torch.Tensor:
    """Move (n_mels, T) frames ``k`` bands up (k > 0) or down, repeating the edge band."""
    if k == 0:
        return frames
    if k > 0:
        return torch.cat([frames[:1].expand(k, -1), frames[:-k]])
    return torch.cat([frames[-k:], frames[-1:].expand(-k, -1)])


class SpeechConvEncoder(_Encoder):
    """:class:`SpeechConvNet` distilled into a frozen text space: trained with :func:`info_nce` so that a
    clip's embedding finds its own transcript's MiniLM embedding among the batch's (speech -> text).

    Train with :meth:`fit` on *source* clips only (their frames and their transcripts' embeddings);
    ``mel_shift > 0`` shifts each training clip by up to that many mel bands (a crude vocal-tract-length
    perturbation, after Jaitly & Hinton 2013; it reads nothing of the target voices);
    ``class_weight > 0`` adds an auxiliary cross-entropy of a linear classifier of the clips' labels
    ``y`` (the digit of the source clips, passed to :meth:`fit`) on the unit-length embedding, weighted by
    ``class_weight`` against the InfoNCE: the transcript's embedding says the digit among many attribute
    words, and the head makes the embedding keep the digit (the classifier is dropped after training);
    the network is cached (:func:`course_lib.training.cached_model`) under the fingerprint of those
    data and the settings. ``encode(frames)`` -> (n, 384), in the text space.
    """

    name, modality = "speech-conv", "audio"

    def __init__(self, num_epochs: int = 20, batch_size: int = 64, lr: float = 1e-2, width: int = 64,
                 temperature: float = 0.07, mel_shift: int = 0, class_weight: float = 0.0, seed: int = 0):
        from ._validation import check_int
        self.num_epochs, self.batch_size = check_int(num_epochs, "num_epochs", 1), check_int(batch_size, "batch_size", 2)
        self.mel_shift = check_int(mel_shift, "mel_shift", 0, 8)
        if isinstance(class_weight, bool) or not isinstance(class_weight, (int, float)) or not 0 <= class_weight <= 100:
            raise ValueError(f"class_weight must be a number in [0, 100] (0: no class head), got {class_weight!r}")
        self.class_weight = float(class_weight)
        self.width, self.seed = check_int(width, "width", 4), check_int(seed, "seed", 0)
        if not (lr > 0 and temperature > 0):
            raise ValueError(f"lr and temperature must be > 0, got lr={lr!r}, temperature={temperature!r}")
        self.lr, self.temperature = float(lr), float(temperature)

    def settings(self) -> dict:
        return {"num_epochs": self.num_epochs, "batch_size": self.batch_size, "lr": self.lr, "width": self.width,
                "temperature": self.temperature, "mel_shift": self.mel_shift, "class_weight": self.class_weight,
                "seed": self.seed, "train": getattr(self, "train_data_", None),
                "arch": "SpeechConvNet-3x(conv5/2,BN,ReLU)-meanmax, batches of similar length, cropped", "version": 2}

    def fit(self, frames, text_emb, y=None, progress: bool = True, rebuild: bool = False) -> "SpeechConvEncoder":
        """Train (or load the cached network) on ``frames`` (n, n_mels, T) and the matching frozen text
        embeddings ``text_emb`` (n, d); ``y`` (n,), the clips' class labels (source labels only), is
        required when ``class_weight > 0`` and must be None otherwise. Returns self with ``net_`` and
        ``train_data_`` set."""
        from ._validation import as_1d_labels
        from .training import cached_model, progress as bar, set_seed
        frames, text_emb = _frames(frames), np.asarray(text_emb, dtype=np.float32)
        if text_emb.ndim != 2 or len(text_emb) != len(frames) or len(frames) < self.batch_size:
            raise ValueError(f"text_emb must be (n, d) with n = len(frames) = {len(frames)} >= batch_size "
                             f"{self.batch_size}, got shape {text_emb.shape}")
        if (y is None) != (self.class_weight == 0):
            raise ValueError(f"y (the training clips' labels) must be given when class_weight > 0 and only then; "
                             f"class_weight={self.class_weight}, y {'missing' if y is None else 'given'}")
        self.train_data_ = fingerprint(frames) + fingerprint(text_emb)
        if y is not None:
            y = as_1d_labels(y, "y")
            if len(y) != len(frames):
                raise ValueError(f"y must have one label per clip ({len(frames)}), got {len(y)}")
            classes, y_idx = np.unique(y, return_inverse=True)
            if len(classes) < 2:
                raise ValueError(f"y must hold at least 2 classes, got {len(classes)}")
            self.train_data_ += fingerprint(y_idx.astype(np.int64))
            Y = torch.as_tensor(y_idx.astype(np.int64))
        lengths = torch.as_tensor(frame_lengths(frames))
        X, T = torch.as_tensor(frames.astype(np.float32)), F.normalize(torch.as_tensor(text_emb), dim=1)

        def make():
            set_seed(self.seed)
            return SpeechConvNet(frames.shape[1], self.width, text_emb.shape[1])

        def train(net):
            gen = set_seed(self.seed)
            params = list(net.parameters())
            if self.class_weight:  # a linear classifier of the unit-length embedding, dropped after training
                head = torch.nn.Linear(text_emb.shape[1], len(classes))
                params += list(head.parameters())
            opt = torch.optim.Adam(params, lr=self.lr, weight_decay=1e-4)
            sched = torch.optim.lr_scheduler.OneCycleLR(opt, self.lr, total_steps=self.num_epochs * (len(X) // self.batch_size))
            net.train()
            n_batches = len(X) // self.batch_size
            for _ in bar(range(self.num_epochs), desc="speech encoder", enable=progress):
                # batches of clips of similar length (sorted by length + random jitter of up to a quarter
                # of the longest clip), in random order: less padding to crop than random batches
                jitter = torch.rand(len(X), generator=gen) * float(lengths.max()) / 4
                order = torch.argsort(lengths.float() + jitter)[torch.randperm(len(X), generator=gen)[:n_batches * self.batch_size].sort().values]
                for b in torch.randperm(n_batches, generator=gen):
                    idx = order[int(b) * self.batch_size:(int(b) + 1) * self.batch_size]
                    x = X[idx][:, :, :int(lengths[idx].max())]  # crop the batch to its longest clip
                    if self.mel_shift:  # shift each clip along the mel axis (a crude vocal-tract-length change)
                        shifts = torch.randint(-self.mel_shift, self.mel_shift + 1, (len(idx),), generator=gen)
                        x = torch.stack([_shift_bands(c, int(k)) for c, k in zip(x, shifts)])
                    z = net(x, lengths[idx])
                    loss = info_nce(z, T[idx], self.temperature)
                    if self.class_weight:
                        loss = loss + self.class_weight * F.cross_entropy(head(z) / self.temperature, Y[idx])
                    opt.zero_grad()
                    loss.backward()
                    opt.step()
                    sched.step()

        self.net_ = cached_model("speech-conv", self.settings() | {"dims": list(frames.shape[1:])}, make, train,
                                 rebuild=rebuild)
        return self

    @torch.no_grad()
    def encode(self, frames, progress: bool = True) -> np.ndarray:
        from sklearn.exceptions import NotFittedError
        if not hasattr(self, "net_"):
            raise NotFittedError("SpeechConvEncoder is not fitted: call fit(frames, text_emb) first")
        frames = _frames(frames)
        net, lengths = self.net_.eval(), frame_lengths(frames)
        fn = lambda idx: net(torch.as_tensor(frames[idx][:, :, :lengths[idx].max()].astype(np.float32)),
                             torch.as_tensor(lengths[idx])).numpy()
        return batched(fn, np.arange(len(frames)), 256, "speech encoder", progress)
