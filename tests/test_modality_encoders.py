"""Tests for course_lib.modality_encoders: shapes, agreement with reference computations, properties of
the trained speech encoder, offline loading and bad input."""
import numpy as np
import pytest
import torch

from course_lib import modality_encoders as me, speech
from test_offline import no_network  # noqa: F401  (the socket guard fixture)

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def images():
    return np.random.default_rng(0).random((3, 3, 32, 32)).astype(np.float32)


@pytest.fixture(scope="module")
def waves():
    return [speech.synthesize(t, voice=v)[0] for t, v in
            (("a thin seven", "en+m1"), ("the digit two on a cat", "en+f2"), ("nine", "en+m3"))]


@pytest.fixture(scope="module")
def frames(waves):
    return me.LogMelFrames().encode(waves, progress=False)


# ----------------------------------------------------------------- image
def test_hog_matches_scikit_image_on_the_grey_image(images):
    from skimage.feature import hog

    out = me.HOGEncoder().encode(images, progress=False)
    assert out.shape == (3, 324) and out.dtype == np.float32
    ref = hog(images[1].mean(axis=0), orientations=9, pixels_per_cell=(8, 8), cells_per_block=(2, 2))
    np.testing.assert_allclose(out[1], ref, rtol=1e-5, atol=1e-6)


def test_imagenet_encoder_gives_1280_features(images):
    out = me.ImageNetEncoder(image_size=32).encode(images, progress=False)
    assert out.shape == (3, 1280) and np.isfinite(out).all()
    assert me.ImageNetEncoder(image_size=64).settings() != me.ImageNetEncoder().settings()


def test_source_cnn_encoder_uses_the_course_network(images, monkeypatch):
    from course_lib import encoders, recipes

    net = encoders.SmallCNN().eval()
    monkeypatch.setattr(recipes, "source_cnn", lambda seed: net)
    out = me.SourceCNNEncoder(seed=0).encode(images, progress=False)
    np.testing.assert_allclose(out, encoders.extract_features(net, images), rtol=1e-6)
    assert out.shape == (3, 64)


@pytest.mark.parametrize("bad", [np.zeros((3, 32, 32)), np.zeros((2, 1, 32, 32)), np.zeros((0, 3, 8, 8))])
def test_image_encoders_reject_bad_images(bad):
    with pytest.raises(ValueError, match="X must be images of shape \\(n, 3, H, W\\)"):
        me.HOGEncoder().encode(bad, progress=False)


# ----------------------------------------------------------------- text
TEXTS = ["a bold italic seven in a serif font", "a bold italic 7 in a serif font", "a thin handwritten two"]


def test_minilm_is_unit_length_and_deterministic():
    a = me.MiniLMEncoder().encode(TEXTS, progress=False)
    b = me.MiniLMEncoder(batch_size=1).encode(TEXTS, progress=False)
    assert a.shape == (3, 384)
    np.testing.assert_allclose(np.linalg.norm(a, axis=1), 1, atol=1e-5)
    np.testing.assert_allclose(a, b, atol=1e-5, err_msg="batching does not change the embedding")
    assert a[0] @ a[1] > a[0] @ a[2], "'seven' and '7' captions are closer than a different caption"


def test_static_words_average_the_input_embedding_table():
    out = me.StaticWordEncoder().encode(TEXTS, progress=False)
    model = me.minilm()
    table = model[0].auto_model.get_input_embeddings().weight.detach().numpy()
    ids = model.tokenizer(TEXTS[2], add_special_tokens=False)["input_ids"]
    np.testing.assert_allclose(out[2], table[ids].mean(axis=0), rtol=1e-5)
    assert out.shape == (3, 384)


def test_tfidf_fits_a_vocabulary_and_encodes_unit_rows():
    enc = me.TfidfEncoder().fit(TEXTS)
    out = enc.encode(["a seven", "zebra"], progress=False)
    assert out.shape == (2, len(enc.vectorizer_.vocabulary_))
    np.testing.assert_allclose(np.linalg.norm(out[0]), 1, rtol=1e-6)
    assert not out[1].any(), "an unseen word has no features"
    assert "7" in enc.vectorizer_.vocabulary_, "single characters (numerals) are tokens"
    assert me.TfidfEncoder().settings()["corpus"] is None and enc.settings()["corpus"] is not None


@pytest.mark.parametrize("bad", [[], ["ok", ""], [3]])
def test_text_encoders_reject_bad_texts(bad):
    with pytest.raises(ValueError, match="texts must be a non-empty sequence of non-empty strings"):
        me.TfidfEncoder().encode(bad, progress=False)


# ----------------------------------------------------------------- audio
def test_logmel_frames_pad_with_silence_and_keep_lengths(waves, frames):
    specs = [speech.log_mel(w, 22050, n_mels=40).numpy() for w in waves]
    assert frames.shape == (3, 40, max(s.shape[1] for s in specs)) and frames.dtype == np.float16
    np.testing.assert_array_equal(me.frame_lengths(frames), [s.shape[1] for s in specs])
    np.testing.assert_allclose(frames[2, :, :specs[2].shape[1]], np.maximum(specs[2], me.PAD_VALUE + 2e-3),
                               atol=0.02)


def test_pooled_logmel_is_mean_and_std_over_real_frames(waves, frames):
    out = me.LogMelEncoder().encode(frames, progress=False)
    ref = np.maximum(speech.log_mel(waves[2], 22050, n_mels=40).numpy(), me.PAD_VALUE + 2e-3)
    np.testing.assert_allclose(out[2], np.concatenate([ref.mean(axis=1), ref.std(axis=1)]), atol=0.02)
    assert out.shape == (3, 80)


def test_mfcc_from_frames_agrees_with_torchaudio(waves, frames):
    out = me.MFCCEncoder(n_mfcc=13).encode(frames, progress=False)
    ref = speech.mfcc(waves[0], 22050, n_mfcc=13, n_mels=40)
    assert out.shape == (3, 26)
    np.testing.assert_allclose(out[0, :13], ref.mean(dim=1).numpy(), atol=0.1, rtol=0.02)
    with pytest.raises(ValueError, match="n_mfcc must be in \\[1, n_mels=40\\]"):
        me.MFCCEncoder(n_mfcc=41).encode(frames, progress=False)


@pytest.mark.parametrize("bad", [np.zeros((3, 40)), np.zeros((2, 40, 5), dtype=np.int64)])
def test_frame_encoders_reject_other_inputs(bad):
    with pytest.raises(ValueError, match="frames must be float log-mel frames"):
        me.LogMelEncoder().encode(bad, progress=False)


def test_aisfx_embeds_speech_in_512_dimensions(waves):
    enc = me.AisfxEncoder()
    out = enc.encode(waves[:2], progress=False)
    assert out.shape == (2, 512) and np.isfinite(out).all()
    spec = enc.spectrogram(waves[0])
    assert spec.shape[1] == 96 and 0 <= float(spec.min()) and float(spec.max()) < 1.5
    with pytest.raises(ValueError, match="wave must be 1-d with at least 2048 samples"):
        enc.spectrogram(np.zeros(100, dtype=np.float32))


# ----------------------------------------------------------------- the speech encoder trained here
def test_info_nce_is_symmetric_and_smallest_for_matched_pairs():
    g = torch.Generator().manual_seed(0)
    a = torch.nn.functional.normalize(torch.randn(8, 16, generator=g), dim=1)
    b = torch.nn.functional.normalize(a + 0.1 * torch.randn(8, 16, generator=g), dim=1)
    assert torch.isclose(me.info_nce(a, b), me.info_nce(b, a))
    assert me.info_nce(a, b) < me.info_nce(a, b[torch.randperm(8, generator=g)]), "shuffled pairs cost more"


def test_speech_net_ignores_padding(frames):
    net = me.SpeechConvNet(n_mels=40, width=8, out_dim=6).eval()
    lengths = torch.as_tensor(me.frame_lengths(frames))
    x = torch.as_tensor(frames.astype(np.float32))
    padded = torch.cat([x, torch.full((3, 40, 37), me.PAD_VALUE)], dim=2)
    with torch.no_grad():
        np.testing.assert_allclose(net(x, lengths).numpy(), net(padded, lengths).numpy(), atol=1e-5)
        alone, batch = net(x[2:3, :, :int(lengths[2])], lengths[2:3]), net(x, lengths)
    np.testing.assert_allclose(alone.numpy(), batch[2:3].numpy(), atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(alone.numpy(), axis=1), 1, atol=1e-5)


def test_speech_encoder_trains_caches_and_refuses_to_encode_unfitted(frames, fresh_cache):
    from sklearn.exceptions import NotFittedError

    rng = np.random.default_rng(0)
    fr = np.concatenate([frames] * 4)
    emb = rng.normal(size=(12, 5)).astype(np.float32)
    with pytest.raises(NotFittedError):
        me.SpeechConvEncoder().encode(fr, progress=False)
    enc = me.SpeechConvEncoder(num_epochs=2, batch_size=4, width=8).fit(fr, emb, progress=False)
    out = enc.encode(fr, progress=False)
    assert out.shape == (12, 5)
    again = me.SpeechConvEncoder(num_epochs=2, batch_size=4, width=8).fit(fr, emb, progress=False)
    np.testing.assert_allclose(again.encode(fr, progress=False), out, atol=1e-6, err_msg="loaded from the cache")
    assert len(list((fresh_cache / "models").glob("speech-conv-*.pt"))) == 1
    with pytest.raises(ValueError, match="text_emb must be \\(n, d\\)"):
        me.SpeechConvEncoder(batch_size=4).fit(fr, emb[:5], progress=False)
    with pytest.raises(ValueError, match="lr and temperature must be > 0"):
        me.SpeechConvEncoder(lr=0)


@pytest.mark.parametrize("make, match", [
    (lambda: me.ImageNetEncoder(image_size=8), "image_size must be an integer in \\[32, 512\\], got 8"),
    (lambda: me.ImageNetEncoder(batch_size=0), "batch_size must be an integer >= 1, got 0"),
    (lambda: me.HOGEncoder(orientations=0), "orientations must be an integer >= 1"),
    (lambda: me.HOGEncoder(pixels_per_cell=1), "pixels_per_cell must be an integer >= 2"),
    (lambda: me.SourceCNNEncoder(seed=-1), "seed must be an integer >= 0"),
    (lambda: me.MiniLMEncoder(batch_size=0), "batch_size must be an integer >= 1"),
    (lambda: me.TfidfEncoder(ngram_max=4), "ngram_max must be an integer in \\[1, 3\\]"),
    (lambda: me.LogMelFrames(n_mels=600), "n_mels must be an integer in \\[1, 513\\]"),
    (lambda: me.LogMelFrames(hop_length=0), "hop_length must be an integer >= 1"),
    (lambda: me.MFCCEncoder(n_mfcc=0), "n_mfcc must be an integer >= 1"),
    (lambda: me.MFCCEncoder(top_db=0), "top_db must be > 0"),
    (lambda: me.AisfxEncoder(max_frames=50), "max_frames must be an integer >= 101"),
    (lambda: me.SpeechConvEncoder(mel_shift=9), "mel_shift must be an integer in \\[0, 8\\]"),
    (lambda: me.SpeechConvEncoder(num_epochs=0), "num_epochs must be an integer >= 1"),
    (lambda: me.SpeechConvEncoder(temperature=-1.0), "lr and temperature must be > 0"),
])
def test_bad_settings_raise_naming_the_argument(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_encoders_load_offline(no_network, images, waves):  # noqa: F811
    assert me.MiniLMEncoder().encode(TEXTS[:1], progress=False).shape == (1, 384)
    assert me.StaticWordEncoder().encode(TEXTS[:1], progress=False).shape == (1, 384)
    assert me.ImageNetEncoder(image_size=32).encode(images[:1], progress=False).shape == (1, 1280)
    assert me.AisfxEncoder().encode(waves[2:], progress=False).shape == (1, 512)
    assert no_network == [], "nothing even tried to connect"
