"""Offline speech synthesis with espeak-ng, WAV files and audio features.

Words are spoken by the espeak-ng library bundled in the ``espeakng-loader``
wheel (GPL-3.0: called through :mod:`ctypes`, not vendored). Importing loads
nothing. espeak-ng keeps hidden state between calls (statics of its wave
generator) and seeds its noise from the clock, so :func:`synthesize` loads a
fresh library for each call (about 3 ms), fixes the seed and unloads it, under
a lock: its output depends only on its arguments, in any process. Threads can
synthesise in parallel: :func:`parallel_copies` makes copies of the library
file (each loads as a separate instance with its own state), and each call
takes whichever copy is free.

References: espeak-ng, https://github.com/espeak-ng/espeak-ng ; MFCC: S. Davis
and P. Mermelstein, IEEE Trans. ASSP 28(4), 1980.
"""
import _ctypes
import ctypes
import functools
import numbers
import os
import queue
import shutil
import tempfile
import threading
from pathlib import Path

import numpy as np
import soundfile as sf
import torch
import torchaudio

from .cache import atomic_write

__all__ = ["VOICE_VARIANTS", "RATE_RANGE", "PITCH_RANGE", "TRIM_THRESHOLD",
           "synthesize", "parallel_copies", "write_wav", "read_wav", "log_mel", "mfcc", "pooled_mfcc"]

#: English voice variants for the course: 8 male, 5 female, each checked to give
#: a different waveform (median pitch 77-94 Hz male, 162-188 Hz female).
VOICE_VARIANTS = ("en+m1", "en+m2", "en+m3", "en+m4", "en+m5", "en+m6", "en+m7", "en+m8",
                  "en+f1", "en+f2", "en+f3", "en+f4", "en+f5")
RATE_RANGE = (80, 450)  # speaking rate, words per minute, as espeak-ng accepts it
PITCH_RANGE = (0, 100)  # base pitch on espeak-ng's scale (50 = normal)
TRIM_THRESHOLD = 1e-3   # |x| <= this (about -60 dBFS) counts as silence when trimming

_AUDIO_OUTPUT_SYNCHRONOUS, _POS_CHARACTER, _EE_OK = 2, 1, 0  # from espeak-ng's speak_lib.h
_ESPEAK_RATE, _ESPEAK_PITCH, _CHARS_AUTO, _ENDPAUSE = 1, 3, 0, 0x1000
_RAND_SEED = 0  # breathy variants (f2, f3, f5) draw noise from this generator

_SynthCallback = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short),
                                  ctypes.c_int, ctypes.c_void_p)
_free: queue.Queue = queue.Queue()  # library files not in use; each is one global state: one synthesis at a time
_copies: list[str] = []  # every library file handed out so far (the wheel's own first)
_copies_lock = threading.Lock()


@functools.cache
def _paths() -> tuple[str, bytes, frozenset]:
    """Library path, data path and the names of the voice variants (looked up once)."""
    import espeakng_loader
    data = espeakng_loader.get_data_path()
    variants = frozenset(os.listdir(Path(data) / "voices" / "!v"))
    return espeakng_loader.get_library_path(), os.fsencode(data), variants


_ARGTYPES = {  # of the espeak-ng functions used here; all return an int
    "espeak_Initialize": [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int],
    "espeak_SetSynthCallback": [_SynthCallback],
    "espeak_ng_SetRandSeed": [ctypes.c_long],
    "espeak_SetVoiceByName": [ctypes.c_char_p],
    "espeak_SetParameter": [ctypes.c_int, ctypes.c_int, ctypes.c_int],
    "espeak_Synth": [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int,
                     ctypes.c_uint, ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p],
}


def parallel_copies(n: int) -> int:
    """Make ``n`` library files available so that ``n`` threads can synthesise at once; returns ``n``.

    The first is the wheel's own file; the others are copies in a temporary folder (removed at exit).
    A copy under another path loads as a separate instance, so calls on different copies share no
    state and give the same output as the original.
    """
    _check_int(n, "n", 1, 64)
    with _copies_lock:
        if not _copies:
            _copies.append(_paths()[0])
            _free.put(_copies[0])
        while len(_copies) < n:
            folder = _copy_folder()
            path = os.path.join(folder, f"copy{len(_copies)}-" + os.path.basename(_copies[0]))
            shutil.copyfile(_copies[0], path)
            _copies.append(path)
            _free.put(path)
    return n


@functools.cache
def _copy_folder() -> str:
    folder = tempfile.TemporaryDirectory(prefix="espeak-copies-")
    _copy_folder.keep = folder  # removed when the interpreter exits
    return folder.name


def _load_library(path: str | None = None) -> ctypes.CDLL:
    """Load a fresh libespeak-ng (``path``: one of the copies) and declare the signatures used here."""
    lib = ctypes.CDLL(path or _paths()[0])
    for name, argtypes in _ARGTYPES.items():
        getattr(lib, name).argtypes = argtypes
    return lib


def _check(code: int, call: str) -> None:
    if code != _EE_OK:
        raise RuntimeError(f"espeak-ng call {call} failed with code {code}")


def _check_int(value, name: str, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int in [{low}, {high}], got {value!r} ({type(value).__name__})")
    if not low <= value <= high:
        raise ValueError(f"{name} must be in [{low}, {high}], got {value}")


def _synthesize_int16(text: str, voice: str, rate: int, pitch: int,
                      flags: int = _CHARS_AUTO | _ENDPAUSE) -> tuple[np.ndarray, int]:
    """Raw espeak-ng output, int16 of shape (n_samples,), from a fresh library."""
    chunks = []

    def collect(samples, n_samples, events):  # called with each block; 0 = go on
        if samples and n_samples > 0:
            chunks.append(np.ctypeslib.as_array(samples, shape=(n_samples,)).copy())
        return 0

    callback, data_path = _SynthCallback(collect), _paths()[1]
    parallel_copies(1)
    path = _free.get()  # a library file that no other thread is using
    try:
        lib = _load_library(path)
        try:
            sample_rate = lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, data_path, 0)
            if sample_rate <= 0:
                raise RuntimeError(f"espeak_Initialize failed (returned {sample_rate}) "
                                   f"with data path {data_path!r}")
            try:
                lib.espeak_SetSynthCallback(callback)
                if lib.espeak_SetVoiceByName(voice.encode()) != _EE_OK:
                    raise ValueError(f"voice {voice!r} is not known to espeak-ng")
                _check(lib.espeak_SetParameter(_ESPEAK_RATE, rate, 0), "SetParameter(rate)")
                _check(lib.espeak_SetParameter(_ESPEAK_PITCH, pitch, 0), "SetParameter(pitch)")
                encoded = text.encode("utf-8")
                lib.espeak_ng_SetRandSeed(_RAND_SEED)
                _check(lib.espeak_Synth(encoded, len(encoded) + 1, 0, _POS_CHARACTER,
                                        0, flags, None, None), "Synth")
                _check(lib.espeak_Synchronize(), "Synchronize")
            finally:
                lib.espeak_Terminate()
        finally:  # unload, so that the next call starts from a clean state
            (getattr(_ctypes, "dlclose", None) or _ctypes.FreeLibrary)(lib._handle)
    finally:
        _free.put(path)
    samples = np.concatenate(chunks) if chunks else np.zeros(0, np.int16)
    return samples, int(sample_rate)


def synthesize(text: str, voice: str = "en+m1", rate: int = 150, pitch: int = 50,
               trim: bool = True) -> tuple[np.ndarray, int]:
    """Speak ``text`` with espeak-ng and return the waveform.

    Parameters
    ----------
    text : str
        Text to speak, e.g. one word such as ``"seven"``.
    voice : str
        ``"language"`` or ``"language+variant"``; see :data:`VOICE_VARIANTS`.
    rate, pitch : int
        Words per minute in [80, 450]; base pitch in [0, 100] (50 = normal).
    trim : bool
        Drop the leading and trailing samples with ``|x| <= TRIM_THRESHOLD``
        (1e-3, about -60 dBFS); espeak-ng's pauses are exact zeros.

    Returns
    -------
    wave : np.ndarray of float32, shape (n_samples,)
        ``int16 samples / 32768``, in [-1, 1).
    sample_rate : int
        Samples per second (22050).

    Examples
    --------
    >>> wave, sr = synthesize("seven", voice="en+f2", rate=170)
    >>> wave.dtype, wave.ndim, sr
    (dtype('float32'), 1, 22050)
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    if not text.strip() or "\x00" in text:
        raise ValueError(f"text must be a non-empty string without NUL, got {text!r}")
    if not isinstance(voice, str):
        raise TypeError(f"voice must be a str, got {type(voice).__name__}")
    _check_int(rate, "rate", *RATE_RANGE)
    _check_int(pitch, "pitch", *PITCH_RANGE)
    if not isinstance(trim, (bool, np.bool_)):
        raise TypeError(f"trim must be True or False, got {trim!r}")
    language, plus, variant = voice.partition("+")
    if not language or (plus and variant not in _paths()[2]):  # espeak ignores bad variants
        raise ValueError(f"voice {voice!r} is not an espeak-ng voice, try one of {VOICE_VARIANTS}")
    samples, sample_rate = _synthesize_int16(text, voice, rate, pitch)
    wave = samples.astype(np.float32) / np.float32(32768.0)
    loud = np.flatnonzero(np.abs(wave) > TRIM_THRESHOLD)
    if loud.size == 0:
        raise ValueError(f"text {text!r} produced only silence ({wave.size} samples)")
    return (wave[loud[0]:loud[-1] + 1] if trim else wave), sample_rate


def _check_wave(wave) -> torch.Tensor:
    """Validate a mono float waveform; return it as a float32 tensor of shape (n,)."""
    tensor = torch.as_tensor(wave if torch.is_tensor(wave) else np.ascontiguousarray(wave))
    if not tensor.is_floating_point():
        raise TypeError(f"wave must hold floats in [-1, 1], got dtype {tensor.dtype}")
    if tensor.ndim != 1 or tensor.numel() == 0:
        raise ValueError(f"wave must be 1-d (n_samples,), non-empty; got {tuple(tensor.shape)}")
    if not torch.isfinite(tensor).all():
        raise ValueError("wave contains NaN or infinite values")
    return tensor.detach().to(torch.float32)


def write_wav(path, wave, sample_rate: int) -> Path:
    """Write ``wave`` (n_samples,) in [-1, 1] to ``path`` as 16-bit PCM WAV, atomically.

    The data go to a temporary file in the same folder that :func:`os.replace`
    then moves onto ``path``, so a reader never sees half a file. Samples are
    rounded to int16 (a step of 1/32768). Returns ``Path(path)``.
    """
    samples = _check_wave(wave).numpy()
    _check_int(sample_rate, "sample_rate", 1, 10**7)
    if np.abs(samples).max() > 1.0:
        raise ValueError(f"wave must lie in [-1, 1], got max |x| = {np.abs(samples).max():.3g}")
    path = Path(path)
    atomic_write(path, lambda handle: sf.write(handle, samples, sample_rate, subtype="PCM_16", format="WAV"))
    return path


def read_wav(path) -> tuple[np.ndarray, int]:
    """Read a sound file as ``(wave, sample_rate)``: float32 (n_samples,) in [-1, 1], int.

    Several channels are averaged. (``torchaudio.load`` would need FFmpeg.)
    """
    wave, sample_rate = sf.read(os.fspath(path), dtype="float32", always_2d=True)
    return wave.mean(axis=1, dtype=np.float32), int(sample_rate)


# Building a transform costs more than applying it to one word: build each once.
_resampler = functools.lru_cache(maxsize=16)(torchaudio.transforms.Resample)
_mel_spectrogram = functools.lru_cache(maxsize=16)(torchaudio.transforms.MelSpectrogram)


@functools.lru_cache(maxsize=16)
def _mfcc_transform(rate: int, n_mfcc: int, n_fft: int, hop_length: int, n_mels: int):
    return torchaudio.transforms.MFCC(sample_rate=rate, n_mfcc=n_mfcc, melkwargs={
        "n_fft": n_fft, "hop_length": hop_length, "n_mels": n_mels})


def _check_frames(n_mels, n_fft, hop_length) -> None:
    """Ranges of the spectrogram options (n_fft up to 2**16 samples, n_mels at most n_fft // 2 + 1 bins)."""
    _check_int(n_fft, "n_fft", 2, 2**16)
    _check_int(hop_length, "hop_length", 1, 2**16)
    _check_int(n_mels, "n_mels", 1, n_fft // 2 + 1)


def _prepare(wave, sample_rate: int, target_rate, n_fft: int) -> tuple[torch.Tensor, int]:
    """Validate, resample to ``target_rate`` (None keeps the rate), check the length."""
    tensor = _check_wave(wave)
    _check_int(sample_rate, "sample_rate", 1, 10**7)
    if target_rate is not None:
        _check_int(target_rate, "target_rate", 1, 10**7)
        if target_rate != sample_rate:
            tensor, sample_rate = _resampler(sample_rate, target_rate)(tensor), target_rate
    if tensor.numel() <= n_fft // 2:
        raise ValueError(f"wave is too short: {tensor.numel()} samples at {sample_rate} Hz, "
                         f"need more than n_fft // 2 = {n_fft // 2}")
    return tensor, sample_rate


def log_mel(wave, sample_rate: int, n_mels: int = 64, n_fft: int = 1024,
            hop_length: int = 256, target_rate: int | None = 16000) -> torch.Tensor:
    """Log-mel spectrogram ``log(M |STFT(x)|^2 + 1e-6)`` of a mono waveform.

    Parameters
    ----------
    wave : array-like of float, shape (n_samples,)
        Samples in [-1, 1].
    sample_rate : int
        Rate of ``wave``; it is first resampled to ``target_rate`` (None: keep it).
    n_mels, n_fft, hop_length : int
        Mel bands ``M``, FFT size and hop, in samples at the target rate.

    Returns
    -------
    torch.Tensor of float32, shape (n_mels, n_frames)
        ``n_frames = 1 + n_resampled // hop_length`` (centred frames).
    """
    _check_frames(n_mels, n_fft, hop_length)
    tensor, rate = _prepare(wave, sample_rate, target_rate, n_fft)
    mel = _mel_spectrogram(sample_rate=rate, n_fft=n_fft, hop_length=hop_length, n_mels=n_mels)
    return torch.log(mel(tensor) + 1e-6)


def mfcc(wave, sample_rate: int, n_mfcc: int = 20, n_mels: int = 64, n_fft: int = 1024,
         hop_length: int = 256, target_rate: int | None = 16000) -> torch.Tensor:
    """Mel-frequency cepstral coefficients: the DCT-II of the log-mel spectrogram in dB.

    Parameters are those of :func:`log_mel`, plus ``n_mfcc <= n_mels`` coefficients.
    Returns a float32 tensor of shape (n_mfcc, n_frames).
    """
    _check_frames(n_mels, n_fft, hop_length)
    _check_int(n_mfcc, "n_mfcc", 1, n_mels)
    tensor, rate = _prepare(wave, sample_rate, target_rate, n_fft)
    return _mfcc_transform(rate, n_mfcc, n_fft, hop_length, n_mels)(tensor)


def pooled_mfcc(wave, sample_rate: int, n_mfcc: int = 20) -> np.ndarray:
    """Fixed-length clip feature: MFCC mean and standard deviation over time.

    ``f = [mean_t c_t, std_t c_t]`` with ``c = mfcc(wave, sample_rate, n_mfcc)``, a
    baseline for clustering and retrieval of clips. Returns float32 (2 * n_mfcc,).

    Examples
    --------
    >>> pooled_mfcc(*synthesize("two")).shape
    (40,)
    """
    coeffs = mfcc(wave, sample_rate, n_mfcc=n_mfcc)
    return torch.cat([coeffs.mean(dim=1), coeffs.std(dim=1, correction=0)]).numpy()
