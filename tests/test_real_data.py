"""The real-data track without the internet: torchvision's MNIST/USPS/SVHN and torchaudio's Speech
Commands download tiny fixture files from a loopback server (the libraries' URLs and checksums are
patched here), every other connection is blocked, and a checksum mismatch, a truncated transfer or a
corrupt copy on disk is refused, never used."""
import ast
import bz2
import gzip
import hashlib
import http.server
import io
import os
import socket
import struct
import tarfile
import threading
from pathlib import Path

import numpy as np
import pytest
import scipy.io
import soundfile
from torchaudio.datasets import speechcommands as sc
from torchvision.datasets import MNIST, SVHN, USPS

from course_lib import data, real_data

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.timeout(120)


# ----------------------------------------------------------------- a loopback server, nothing else
class Server:
    """Serves ``files`` (URL path -> bytes) on 127.0.0.1; paths in ``truncate`` send half the bytes
    under the full Content-Length and close the connection."""

    def __init__(self):
        self.files, self.truncate, self.requests = {}, set(), []
        server_self = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                server_self.requests.append(self.path)
                body = server_self.files.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.path in server_self.truncate:
                    self.wfile.write(body[: len(body) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                else:
                    self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def loopback_only(monkeypatch):
    """Refuse every IPv4/IPv6 connection that is not to 127.0.0.1 (and every DNS lookup of another host)."""
    real_connect, real_getaddrinfo = socket.socket.connect, socket.getaddrinfo

    def connect(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6) and address[0] not in ("127.0.0.1", "::1"):
            raise OSError(f"network access outside loopback attempted: {address!r}")
        return real_connect(self, address)

    def getaddrinfo(host, *args, **kwargs):
        if host not in ("127.0.0.1", "::1", "localhost"):
            raise OSError(f"DNS lookup outside loopback attempted: {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


@pytest.fixture
def server(loopback_only, fresh_cache):
    srv = Server()
    yield srv
    srv.close()


def _md5(b):
    return hashlib.md5(b).hexdigest()


# ----------------------------------------------------------------- tiny fixture files in the real formats
RNG = np.random.default_rng(0)
N = 12
LABELS = np.arange(N) % 10


def _mnist_files():
    imgs = RNG.integers(0, 256, (N, 28, 28), dtype=np.uint8)
    images = gzip.compress(struct.pack(">IIII", 0x803, N, 28, 28) + imgs.tobytes(), mtime=0)
    labels = gzip.compress(struct.pack(">II", 0x801, N) + LABELS.astype(np.uint8).tobytes(), mtime=0)
    return imgs, {"train-images-idx3-ubyte.gz": images, "train-labels-idx1-ubyte.gz": labels,
                  "t10k-images-idx3-ubyte.gz": images, "t10k-labels-idx1-ubyte.gz": labels}


def _usps_file():
    grey = np.round(RNG.uniform(-1, 1, (N, 256)), 4)
    lines = [" ".join([str(int(c) + 1)] + [f"{j + 1}:{v}" for j, v in enumerate(row)])
             for c, row in zip(LABELS, grey)]
    expected = ((grey.astype(np.float32) + 1) / 2 * 255).astype(np.uint8).reshape(N, 16, 16)
    return expected, bz2.compress(("\n".join(lines) + "\n").encode())


def _svhn_file():
    imgs = RNG.integers(0, 256, (N, 3, 32, 32), dtype=np.uint8)
    buf = io.BytesIO()
    y = np.where(LABELS == 0, 10, LABELS).reshape(-1, 1)  # SVHN stores the digit 0 as label 10
    scipy.io.savemat(buf, {"X": imgs.transpose(2, 3, 1, 0), "y": y})
    return imgs, buf.getvalue()


def _speech_archive():
    """Digit words from 3 speakers, a non-digit word and background noise (both must be left out)."""
    buf, waves = io.BytesIO(), {}
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        def add(name, payload):
            info = tarfile.TarInfo(name)
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))

        entries = [(w, s) for w in real_data._DIGIT_WORDS for s in ("aa11", "bb22", "cc33")] + [("yes", "aa11")]
        for word, spk in entries:
            wave = (0.1 * np.sin(np.arange(1600) * (0.05 + len(waves) * 1e-3))).astype(np.float32)
            wav = io.BytesIO()
            soundfile.write(wav, wave, 16000, format="WAV", subtype="FLOAT")
            add(f"./{word}/{spk}_nohash_0.wav", wav.getvalue())
            waves[f"{word}/{spk}"] = wave
        add("./_background_noise_/noise.wav", b"not read")
        listed = "\n".join(f"{w}/{s}_nohash_0.wav" for w, s in entries if s != "cc33") + "\n"
        add("./testing_list.txt", listed.encode())
        add("./validation_list.txt", b"")
    return waves, buf.getvalue()


@pytest.fixture
def fixtures(server, monkeypatch):
    """Serve the four sets and patch the libraries' addresses and checksums to them."""
    mnist_imgs, mnist_files = _mnist_files()
    for name, payload in mnist_files.items():
        server.files[f"/mnist/{name}"] = payload
    monkeypatch.setattr(MNIST, "mirrors", [f"{server.base}/mnist/"])
    monkeypatch.setattr(MNIST, "resources", [(n, _md5(p)) for n, p in mnist_files.items()])

    usps_imgs, usps_bytes = _usps_file()
    server.files["/usps/usps.bz2"] = usps_bytes
    monkeypatch.setattr(USPS, "split_list", {"train": [f"{server.base}/usps/usps.bz2", "usps.bz2", _md5(usps_bytes)],
                                             "test": [f"{server.base}/usps/usps.t.bz2", "usps.t.bz2", "0" * 32]})

    svhn_imgs, svhn_bytes = _svhn_file()
    server.files["/svhn/test_32x32.mat"] = svhn_bytes
    monkeypatch.setattr(SVHN, "split_list", {"test": [f"{server.base}/svhn/test_32x32.mat", "test_32x32.mat",
                                                      _md5(svhn_bytes)]})

    waves, archive = _speech_archive()
    url = f"{server.base}/speech_commands_v0.02.tar.gz"
    server.files["/speech_commands_v0.02.tar.gz"] = archive
    monkeypatch.setattr(real_data, "SPEECH_COMMANDS_URL", url)
    monkeypatch.setitem(sc._CHECKSUMS, url, hashlib.sha256(archive).hexdigest())
    return {"mnist": mnist_imgs, "usps": usps_imgs, "svhn": svhn_imgs, "speech": waves}


# ----------------------------------------------------------------- the download path works through the registry
def test_mnist_usps_svhn_load_through_the_registry_from_loopback_with_the_offline_shape(fixtures, server):
    hand = data.load("handwritten")
    for name, split in (("mnist", "train"), ("usps", "train"), ("svhn", "test")):
        b = data.load(name, split=split, n=None)
        assert set(b) == set(hand), f"{name} has the keys of the offline image sets"
        assert b.X.shape == (N, 3, 32, 32) and b.X.dtype == np.float32
        assert 0.0 <= b.X.min() and b.X.max() <= 1.0
        assert np.array_equal(b.y, LABELS), f"{name}: labels 0..9 (SVHN's 10 mapped to 0)"
        assert b.classes == hand.classes
    native = {"mnist": 28, "usps": 16, "svhn": 32}
    for name, size in native.items():  # at the native size the pixels are the fixture's, divided by 255
        split = "test" if name == "svhn" else "train"
        X = data.load(name, split=split, n=None, size=size).X
        expected = fixtures[name].astype(np.float32) / 255
        expected = expected if expected.ndim == 4 else np.repeat(expected[:, None], 3, axis=1)
        np.testing.assert_allclose(X, expected, atol=1e-6)
    assert any(r.startswith("/mnist/") for r in server.requests) and "/usps/usps.bz2" in server.requests


def test_a_seeded_subset_is_reproducible_and_a_second_load_downloads_nothing(fixtures, server):
    a = data.load("mnist", n=5, seed=3)
    count = len(server.requests)
    b = data.load("mnist", n=5, seed=3)
    assert len(server.requests) == count, "verified files in the cache are not downloaded again"
    assert np.array_equal(a.X, b.X) and np.array_equal(a.y, b.y) and len(a.y) == 5
    assert not np.array_equal(data.load("mnist", n=5, seed=4).y, a.y) or \
        not np.array_equal(data.load("mnist", n=5, seed=4).X, a.X), "another seed draws another subset"


def test_speech_commands_keeps_the_ten_digit_words_and_splits_speakers_into_two_groups(fixtures, server):
    b = data.load("speech_commands", subset="testing", n_per_class=None)
    offline_keys = {"waves", "sample_rate", "y", "text", "voice", "group", "paths", "classes", "rate", "pitch"}
    assert set(b) <= offline_keys and {"waves", "sample_rate", "y", "group"} <= set(b)
    assert b.sample_rate == 16000 and len(b.waves) == 20, "2 listed speakers x 10 digit words; 'yes' left out"
    assert set(b.text) == set(real_data._DIGIT_WORDS) and np.array_equal(np.array(b.classes)[b.y], b.text)
    for wave, text, voice in zip(b.waves, b.text, b.voice):
        np.testing.assert_allclose(wave, fixtures["speech"][f"{text}/{voice}"], atol=1e-7)
    by_group = {g: set(b.voice[b.group == g]) for g in ("source", "target")}
    assert by_group["source"] and by_group["target"] and not by_group["source"] & by_group["target"]
    everything = data.load("speech_commands", subset=None, n_per_class=2, seed=1)
    assert len(everything.y) == 20 and np.bincount(everything.y).tolist() == [2] * 10


# ----------------------------------------------------------------- refused, never used
@pytest.mark.parametrize("fault", ["checksum", "truncated"])
@pytest.mark.parametrize("name", ["mnist", "usps", "svhn", "speech_commands"])
def test_a_bad_download_is_refused_nothing_is_kept_and_the_next_good_one_loads(fixtures, server, name, fault,
                                                                               fresh_cache):
    path = {"mnist": "/mnist/train-images-idx3-ubyte.gz", "usps": "/usps/usps.bz2",
            "svhn": "/svhn/test_32x32.mat", "speech_commands": "/speech_commands_v0.02.tar.gz"}[name]
    kwargs = {"svhn": {"split": "test"}}.get(name, {})
    good = server.files[path]
    if fault == "checksum":
        server.files[path] = good[:-8] + bytes(8 - i for i in range(8))  # same length, other bytes
    else:
        server.truncate.add(path)
    with pytest.raises(RuntimeError, match=name):
        data.load(name, **kwargs)
    folder = fresh_cache / "downloads" / name
    left = [p for p in folder.rglob("*") if p.is_file()]
    served = [n for n in (Path(path).name, Path(path).name[: -len(".gz")]) if n]
    assert not [p for p in left if p.name in served or p.suffix == ".partial"], \
        f"nothing of the bad download is kept: {left}"
    assert not (folder / "SpeechCommands").exists() or not any((folder / "SpeechCommands").rglob("*.wav"))
    server.files[path], server.truncate = good, set()
    assert len(data.load(name, **kwargs).y) > 0, "the next good download is verified and used"


def test_a_corrupt_copy_already_on_disk_is_deleted_and_downloaded_again(fixtures, server, fresh_cache):
    # torchvision's USPS reads an existing file without checking it; the wrapper checks it first
    bad = fresh_cache / "downloads" / "usps" / "usps.bz2"
    bad.parent.mkdir(parents=True)
    bad.write_bytes(bz2.compress(b"1 1:1.0\n"))
    b = data.load("usps", n=None, size=16)
    assert "/usps/usps.bz2" in server.requests and len(b.y) == N
    np.testing.assert_allclose(b.X[:, 0], fixtures["usps"].astype(np.float32) / 255, atol=1e-6)


def test_an_interrupted_unpacking_is_redone_from_the_verified_archive(fixtures, server, fresh_cache):
    data.load("speech_commands", n_per_class=None)
    unpacked = fresh_cache / "downloads" / "speech_commands" / "SpeechCommands" / "speech_commands_v0.02"
    (unpacked / ".complete").unlink()
    next(unpacked.glob("zero/*.wav")).unlink()  # as if unpacking stopped half-way
    assert len(data.load("speech_commands", n_per_class=None).y) == 20


def test_speech_commands_refuses_an_address_without_a_known_checksum(server, monkeypatch):
    monkeypatch.setattr(real_data, "SPEECH_COMMANDS_URL", f"{server.base}/unknown.tar.gz")
    with pytest.raises(RuntimeError, match="no checksum"):
        data.load("speech_commands")
    assert server.requests == [], "nothing was requested"


def test_without_a_server_the_error_names_the_set_and_nothing_leaves_the_machine(loopback_only, fresh_cache):
    with pytest.raises(RuntimeError, match="'mnist'"):
        data.load("mnist")  # the real mirrors are refused by the loopback-only guard


# ----------------------------------------------------------------- options, conversion, module rules
@pytest.mark.parametrize("name, kwargs, option", [
    ("mnist", {"split": "val"}, "split"), ("usps", {"n": 0}, "n"), ("svhn", {"size": 4}, "size"),
    ("mnist", {"seed": -1}, "seed"), ("usps", {"download": "yes"}, "download"),
    ("speech_commands", {"subset": "train"}, "subset"), ("speech_commands", {"n_per_class": 1.5}, "n_per_class"),
])
def test_bad_options_name_the_option_and_what_is_allowed(name, kwargs, option, loopback_only):
    with pytest.raises(ValueError, match=f"{name}.*{option} must be"):
        data.load(name, **kwargs)


def test_to_images_copies_grey_to_three_channels_and_checks_its_input():
    grey = np.arange(4 * 16 * 16, dtype=np.int64).reshape(4, 16, 16) % 256
    X = real_data.to_images(grey.astype(np.uint8), size=16)
    assert X.shape == (4, 3, 16, 16) and np.allclose(X[:, 1], grey / 255) and np.array_equal(X[:, 0], X[:, 2])
    assert real_data.to_images(grey.astype(np.uint8), size=32).shape == (4, 3, 32, 32)
    with pytest.raises(ValueError, match="uint8"):
        real_data.to_images(grey.astype(np.float32))
    with pytest.raises(ValueError, match="shape"):
        real_data.to_images(np.zeros((2, 4, 8, 8), np.uint8))


def test_every_set_has_a_card_with_source_licence_and_size_and_real_data_does_not_import_data():
    for name in ("mnist", "usps", "svhn", "speech_commands"):
        text = data.card(name)
        assert "torchvision.datasets" in text or "torchaudio.datasets" in text
        assert any(w in text for w in ("CC BY", "licence", "non-commercial")) and "verified" in text
    tree = ast.parse((ROOT / "course_lib" / "real_data.py").read_text())
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) for a in n.names}
    assert "data" not in imported, "real_data never imports course_lib.data (data imports it)"
    assert real_data._DIGIT_WORDS == data.DIGIT_WORDS


def test_a_notebook_switches_from_offline_to_real_data_with_one_line(fixtures, server):
    from course_lib import recipes

    splits = {}
    for DATA in ("offline", "real"):  # the parameters-cell switch proposed for notebook 01
        target, kwargs = {"offline": ("handwritten", {}), "real": ("mnist", {"split": "test", "n": None})}[DATA]
        splits[DATA] = recipes.target_split(target, **kwargs)
    off, real = splits["offline"], splits["real"]
    assert set(off) == set(real)
    for key in ("X_train", "X_test"):
        assert off[key].shape[1:] == real[key].shape[1:] == (3, 32, 32) and off[key].dtype == real[key].dtype
    assert len(real.y_train) + len(real.y_test) == N
