"""Tests for course_lib.speech: offline synthesis, WAV files and audio features."""
import hashlib
import math
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
import torch
import torchaudio

from course_lib import speech
from course_lib.speech import (VOICE_VARIANTS, log_mel, mfcc, pooled_mfcc, read_wav,
                               synthesize, write_wav)

REPO = Path(__file__).resolve().parents[1]


def sha256(wave):
    return hashlib.sha256(np.ascontiguousarray(wave).tobytes()).hexdigest()


@pytest.fixture(scope="module")
def seven():
    return synthesize("seven")


# --- synthesis ---------------------------------------------------------------

def test_synthesize_gives_float32_mono_speech_at_22050_hz(seven):
    wave, sr = seven
    assert wave.dtype == np.float32 and wave.ndim == 1, "a float32 vector (n_samples,)"
    assert sr == 22050, "espeak-ng speaks at 22,050 Hz"
    assert np.abs(wave).max() <= 1.0, "samples lie in [-1, 1]"
    assert np.sqrt(np.mean(wave ** 2)) > 0.02, "the clip is not silent"
    assert 0.2 <= wave.size / sr <= 2.0, "one word lasts between 0.2 s and 2 s"


def test_trim_removes_only_leading_and_trailing_silence(seven):
    trimmed, _ = seven
    full, _ = synthesize("seven", trim=False)
    assert full.size > trimmed.size, "the untrimmed clip keeps the end pause"
    assert abs(trimmed[0]) > speech.TRIM_THRESHOLD and abs(trimmed[-1]) > speech.TRIM_THRESHOLD
    start = np.flatnonzero(np.abs(full) > speech.TRIM_THRESHOLD)[0]
    assert np.array_equal(full[start:start + trimmed.size], trimmed), "trimming cuts, never alters"


def test_seven_lasts_longer_than_two(seven):
    two, _ = synthesize("two")
    assert seven[0].size > 1.2 * two.size, "two syllables take longer than one"


def test_higher_rate_gives_shorter_clip():
    slow, _ = synthesize("seven", rate=120)
    fast, _ = synthesize("seven", rate=250)
    assert fast.size < 0.75 * slow.size, "speaking faster shortens the word"


def test_pitch_changes_the_waveform():
    low, _ = synthesize("seven", pitch=20)
    high, _ = synthesize("seven", pitch=80)
    assert sha256(low) != sha256(high), "a different pitch gives a different clip"


def test_every_voice_variant_works_and_differs():
    hashes = {sha256(synthesize("seven", voice=v)[0]) for v in VOICE_VARIANTS}
    assert len(hashes) == len(VOICE_VARIANTS), "each voice variant gives its own waveform"


def test_repeated_calls_in_one_process_are_identical(seven):
    synthesize("nine", voice="en+f3", rate=300)  # history must not matter
    again, _ = synthesize("seven")
    assert sha256(again) == sha256(seven[0]), "the same arguments give the same bytes"


def test_concurrent_calls_from_threads_are_safe_and_identical(seven):
    with ThreadPoolExecutor(max_workers=4) as pool:
        waves = list(pool.map(lambda _: synthesize("seven")[0], range(8)))
    assert {sha256(w) for w in waves} == {sha256(seven[0])}, "the lock serialises espeak-ng"


def test_same_arguments_give_identical_bytes_in_a_fresh_process():
    # en+f2 is breathy: its noise would follow the clock if the seed were not fixed.
    args = dict(text="seven", voice="en+f2", rate=170, pitch=40)
    code = ("import hashlib, sys; from course_lib.speech import synthesize; "
            "maps = open('/proc/self/maps').read() if sys.platform == 'linux' else ''; "
            "assert 'libespeak-ng' not in maps, 'import loaded the library'; "
            f"w, sr = synthesize(**{args!r}); "
            "print(hashlib.sha256(w.tobytes()).hexdigest(), sr)")
    out = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True,
                         text=True, timeout=120, check=True).stdout.split()
    assert out == [sha256(synthesize(**args)[0]), "22050"], "synthesis is reproducible"


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc/self/maps")
def test_library_is_unloaded_after_each_call(seven):
    assert "libespeak-ng" not in Path("/proc/self/maps").read_text(), "no state survives a call"


# --- WAV files ---------------------------------------------------------------

def test_wav_round_trip_within_int16_quantisation(tmp_path, seven):
    wave, sr = seven
    path = write_wav(tmp_path / "seven.wav", wave, sr)
    back, sr_back = read_wav(path)
    assert sr_back == sr and back.dtype == np.float32 and back.shape == wave.shape
    assert np.abs(back - wave).max() <= 1 / 32768, "only int16 rounding is lost"
    assert os.listdir(tmp_path) == ["seven.wav"], "no temporary file is left behind"


def test_wav_overwrite_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "tone.wav"
    old = np.linspace(-0.5, 0.5, 1000, dtype=np.float32)
    write_wav(path, old, 16000)
    write_wav(path, old[::-1], 16000)
    assert np.allclose(read_wav(path)[0], old[::-1], atol=1 / 32768), "a rewrite replaces"

    def broken_write(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(speech.sf, "write", broken_write)
    with pytest.raises(OSError, match="disk full"):
        write_wav(path, old, 16000)
    assert np.allclose(read_wav(path)[0], old[::-1], atol=1 / 32768), "old file survives"
    assert os.listdir(tmp_path) == ["tone.wav"], "a failed write leaves no temporary file"


def test_read_wav_averages_channels(tmp_path):
    stereo = np.stack([np.full(100, 0.5), np.full(100, -0.25)], axis=1)
    speech.sf.write(tmp_path / "stereo.wav", stereo, 8000, subtype="PCM_16")
    wave, sr = read_wav(tmp_path / "stereo.wav")
    assert wave.shape == (100,) and sr == 8000
    assert np.allclose(wave, 0.125, atol=1e-4), "mono is the mean of the channels"


# --- features ----------------------------------------------------------------

def test_log_mel_and_mfcc_shapes(seven):
    wave, sr = seven
    n_frames = 1 + math.ceil(wave.size * 16000 / sr) // 256  # resampled, centred frames
    assert log_mel(wave, sr).shape == (64, n_frames)
    assert mfcc(wave, sr).shape == (20, n_frames)
    assert mfcc(wave, sr, n_mfcc=13).shape == (13, n_frames)
    assert log_mel(wave, sr, n_mels=40, hop_length=160, target_rate=None).shape == \
        (40, 1 + wave.size // 160), "target_rate=None keeps the input rate"


def test_log_mel_of_a_1khz_tone_peaks_in_the_1khz_band():
    t = np.arange(16000) / 16000
    tone = (0.5 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32)
    bank = torchaudio.functional.melscale_fbanks(513, 0.0, 8000.0, 64, 16000)
    expected = int(bank[round(1000 / (16000 / 1024))].argmax())  # band of the 1 kHz bin
    assert int(log_mel(tone, 16000).mean(dim=1).argmax()) == expected


def test_pooled_mfcc_is_mean_and_std_over_time(seven):
    wave, sr = seven
    feats = pooled_mfcc(wave, sr)
    coeffs = mfcc(wave, sr)
    assert feats.shape == (40,) and feats.dtype == np.float32 and np.isfinite(feats).all()
    assert np.allclose(feats[:20], coeffs.mean(dim=1).numpy(), atol=1e-4), "first half: mean"
    assert np.allclose(feats[20:], coeffs.std(dim=1, correction=0).numpy(), atol=1e-4)
    assert pooled_mfcc(wave, sr, n_mfcc=13).shape == (26,)


def test_features_accept_a_torch_tensor(seven):
    wave, sr = seven
    assert torch.allclose(log_mel(torch.from_numpy(wave), sr), log_mel(wave, sr))


# --- bad input ---------------------------------------------------------------

@pytest.mark.parametrize("kwargs, name", [
    (dict(text=""), "text"), (dict(text="   "), "text"),
    (dict(voice="en+zzz"), "voice"), (dict(voice="xx"), "voice"), (dict(voice=""), "voice"),
    (dict(rate=79), "rate"), (dict(rate=451), "rate"),
    (dict(pitch=-1), "pitch"), (dict(pitch=101), "pitch"),
])
def test_synthesize_rejects_bad_values(kwargs, name):
    with pytest.raises(ValueError, match=name):
        synthesize(**{"text": "seven", **kwargs})


@pytest.mark.parametrize("kwargs, name", [
    (dict(text=None), "text"), (dict(voice=1), "voice"),
    (dict(rate=150.0), "rate"), (dict(pitch=True), "pitch"),
])
def test_synthesize_rejects_bad_types(kwargs, name):
    with pytest.raises(TypeError, match=name):
        synthesize(**{"text": "seven", **kwargs})


BAD_WAVES = {"2-d": np.zeros((2, 4000), np.float32), "empty": np.zeros(0, np.float32),
             "NaN": np.array([0.1, np.nan] * 2000, np.float32)}


@pytest.mark.parametrize("func", [log_mel, mfcc, pooled_mfcc,
                                  lambda w, sr: write_wav("unused.wav", w, sr)])
@pytest.mark.parametrize("bad", list(BAD_WAVES))
def test_bad_waves_are_rejected(func, bad):
    with pytest.raises(ValueError, match="wave"):
        func(BAD_WAVES[bad], 16000)


def test_other_bad_feature_and_wav_inputs(tmp_path):
    ok = np.zeros(4000, np.float32)
    with pytest.raises(TypeError, match="wave"):
        log_mel(np.zeros(4000, np.int16), 16000)
    with pytest.raises(ValueError, match="wave is too short"):
        log_mel(np.zeros(100, np.float32), 16000)
    with pytest.raises(ValueError, match="sample_rate"):
        mfcc(ok, 0)
    with pytest.raises(ValueError, match="n_mfcc"):
        mfcc(ok, 16000, n_mfcc=65)
    with pytest.raises(ValueError, match="wave must lie in"):
        write_wav(tmp_path / "loud.wav", ok + 1.5, 16000)
    assert os.listdir(tmp_path) == [], "a rejected write creates nothing"
