"""The speech encoder's digit head (course_lib.speech_encoders.SpeechConvEncoder, class_weight and y)."""
import numpy as np
import pytest
import torch

from course_lib import speech_encoders as se


def _toy(n, seed):
    """n clips of 40 mel bands x 24 frames; the class (0 or 1) is a short burst in band 10 or band 25,
    on a near-constant background. Returns frames, labels and text embeddings drawn independently of the class."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    frames = rng.normal(-4.0, 1e-4, size=(n, 40, 24))  # near-constant background: the per-band standardisation keeps it small
    for i, c in enumerate(y):
        start = rng.integers(2, 16)
        frames[i, 10 + 15 * c - 1:10 + 15 * c + 2, start:start + 5] += rng.uniform(3.0, 6.0)
    text = rng.normal(size=(n, 6))
    return frames.astype(np.float32), y, text.astype(np.float32)


def _centroid_accuracy(E_train, y_train, E_test, y_test):
    centres = np.stack([E_train[y_train == c].mean(0) for c in (0, 1)])
    return float(np.mean(np.argmax(E_test @ centres.T, axis=1) == y_test))


def test_the_digit_head_makes_the_embedding_keep_the_class(fresh_cache):
    torch.set_num_threads(1)
    fr, y, text = _toy(64, 0)
    fr_test, y_test, _ = _toy(64, 1)
    settings = dict(num_epochs=15, batch_size=16, width=8, lr=1e-2)
    plain = se.SpeechConvEncoder(**settings).fit(fr, text, progress=False)
    head = se.SpeechConvEncoder(class_weight=4.0, **settings).fit(fr, text, y=y, progress=False)
    acc = {name: _centroid_accuracy(enc.encode(fr, progress=False), y, enc.encode(fr_test, progress=False), y_test)
           for name, enc in (("plain", plain), ("head", head))}
    assert acc["head"] >= 0.9, acc
    assert acc["head"] >= acc["plain"] + 0.15, acc
    out = head.encode(fr_test, progress=False)
    assert out.shape == (64, 6)
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1, atol=1e-5)
    # the classifier is dropped after training: the cached network is a plain SpeechConvNet
    assert set(head.net_.state_dict()) == set(se.SpeechConvNet(40, 8, 6).state_dict())


def test_the_labels_are_part_of_the_cache_key(fresh_cache):
    fr, y, text = _toy(16, 0)
    settings = dict(num_epochs=1, batch_size=8, width=4, class_weight=1.0)
    a = se.SpeechConvEncoder(**settings).fit(fr, text, y=y, progress=False)
    b = se.SpeechConvEncoder(**settings).fit(fr, text, y=1 - y, progress=False)
    assert a.train_data_ != b.train_data_
    assert len(list((fresh_cache / "models").glob("speech-conv-*.pt"))) == 2
    again = se.SpeechConvEncoder(**settings).fit(fr, text, y=y, progress=False)
    np.testing.assert_allclose(again.encode(fr, progress=False), a.encode(fr, progress=False), atol=1e-6)
    assert "class_weight" in a.settings() and a.settings()["version"] == 2


def test_digit_head_settings_build_an_encoder():
    enc = se.SpeechConvEncoder(**se.DIGIT_HEAD_SETTINGS)
    assert enc.class_weight > 0 and enc.mel_shift > 0
    assert se.SpeechConvEncoder().class_weight == 0.0, "the default keeps the plain distillation"


@pytest.mark.parametrize("class_weight", [-1.0, 101.0, "4", True, None])
def test_bad_class_weight_raises_naming_it(class_weight):
    with pytest.raises(ValueError, match="class_weight must be a number in \\[0, 100\\]"):
        se.SpeechConvEncoder(class_weight=class_weight)


def test_bad_labels_raise_naming_y(fresh_cache):
    fr, y, text = _toy(16, 0)
    with pytest.raises(ValueError, match="y \\(the training clips' labels\\) must be given when class_weight > 0"):
        se.SpeechConvEncoder(class_weight=1.0, batch_size=8).fit(fr, text, progress=False)
    with pytest.raises(ValueError, match="y \\(the training clips' labels\\) must be given when class_weight > 0"):
        se.SpeechConvEncoder(batch_size=8).fit(fr, text, y=y, progress=False)
    with pytest.raises(ValueError, match="y must have one label per clip \\(16\\), got 15"):
        se.SpeechConvEncoder(class_weight=1.0, batch_size=8).fit(fr, text, y=y[:15], progress=False)
    with pytest.raises(ValueError, match="y must hold at least 2 classes"):
        se.SpeechConvEncoder(class_weight=1.0, batch_size=8).fit(fr, text, y=np.zeros(16, int), progress=False)
