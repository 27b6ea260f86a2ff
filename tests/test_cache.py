"""Tests for course_lib.cache: atomic writes, checksummed .npz files with a
manifest, the build-once cache and verified downloads (from a local server)."""
import hashlib
import json
import os
import urllib.error

import numpy as np
import pytest

from course_lib import cache

pytestmark = pytest.mark.timeout(60)  # nothing here may hang, network included

ARRAYS = {"X": np.arange(24, dtype=np.float32).reshape(2, 3, 4), "y": np.array([3, 1], dtype=np.int64),
          "name": np.array(["printed", "handwritten"])}
PARAMS = {"n": 2, "seed": 0, "sizes": [3, 4]}


def assert_same_arrays(a, b):
    assert sorted(a) == sorted(b), "the same keys come back"
    for k in a:
        assert a[k].dtype == b[k].dtype and np.array_equal(a[k], b[k]), f"array {k!r} is unchanged"


def saved(tmp_path, name="a.npz"):
    path = tmp_path / name
    cache.save_npz(path, ARRAYS, PARAMS)
    return path


# --- folder, hashes, keys --------------------------------------------------------

def test_cache_dir_follows_the_environment_variable(tmp_path, monkeypatch):
    monkeypatch.setenv(cache.ENV_VAR, str(tmp_path / "root"))
    assert cache.cache_dir() == tmp_path / "root"
    sub = cache.cache_dir("data")
    assert sub == tmp_path / "root" / "data" and sub.is_dir(), "the sub-folder is created"


def test_session_cache_is_not_the_users_cache(private_cache_dir):
    assert cache.cache_dir() == private_cache_dir, "tests run against a private temp folder"


def test_sha256_file_matches_hashlib(tmp_path):
    payload = os.urandom(3000)
    (tmp_path / "f").write_bytes(payload)
    assert cache.sha256_file(tmp_path / "f", chunk_size=1000) == hashlib.sha256(payload).hexdigest(), \
        "hashing in chunks gives the digest of the whole file"


def test_params_key_is_short_stable_and_order_free():
    key = cache.params_key({"a": 1, "b": [1, 2]})
    assert len(key) == 12 and all(c in "0123456789abcdef" for c in key), "12 hex characters"
    assert key == cache.params_key({"b": [1, 2], "a": 1}), "key order does not matter"
    assert key != cache.params_key({"a": 2, "b": [1, 2]}), "other params give another key"


# --- atomic writes ---------------------------------------------------------------

def test_atomic_write_bytes_replaces_and_leaves_no_temp_file(tmp_path):
    path = tmp_path / "sub" / "blob.bin"
    cache.atomic_write_bytes(path, b"old")
    cache.atomic_write_bytes(path, b"new")
    assert path.read_bytes() == b"new", "a rewrite replaces the content"
    assert os.listdir(path.parent) == ["blob.bin"], "no temporary file is left behind"


def test_failed_write_keeps_the_old_file_and_leaves_no_temp_file(tmp_path, monkeypatch):
    path = saved(tmp_path)
    before = path.read_bytes()

    def broken_savez(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", broken_savez)
    with pytest.raises(OSError, match="disk full"):
        cache.save_npz(path, {"X": np.zeros(3)}, PARAMS)
    assert path.read_bytes() == before, "the old file survives a failed write"
    assert sorted(os.listdir(tmp_path)) == ["a.npz", "a.npz.json"], "a failed write leaves no temp file"
    assert cache.load_npz(path, PARAMS) is not None, "the old file still verifies"


# --- save_npz / load_npz / verify --------------------------------------------------

def test_save_and_load_npz_round_trip(tmp_path):
    path = saved(tmp_path)
    assert sorted(os.listdir(tmp_path)) == ["a.npz", "a.npz.json"], "the file and its manifest, no temp file"
    manifest = json.loads((tmp_path / "a.npz.json").read_text())
    assert manifest == {"sha256": cache.sha256_file(path), "params": PARAMS}, "the manifest records hash and params"
    assert cache.verify(path, PARAMS), "a fresh file verifies"
    assert_same_arrays(cache.load_npz(path, PARAMS), ARRAYS)


def test_params_default_to_empty(tmp_path):
    path = tmp_path / "b.npz"
    cache.save_npz(path, ARRAYS)
    assert cache.verify(path) and cache.verify(path, {}), "no params and {} are the same"
    assert_same_arrays(cache.load_npz(path), ARRAYS)


@pytest.mark.parametrize("damage", ["truncate", "flip_byte", "append", "empty"])
def test_damaged_file_is_detected(tmp_path, damage):
    path = saved(tmp_path)
    data = path.read_bytes()
    damaged = {"truncate": data[: len(data) // 2], "flip_byte": data[:100] + bytes([data[100] ^ 0xFF]) + data[101:],
               "append": data + b"\0", "empty": b""}[damage]
    path.write_bytes(damaged)
    assert not cache.verify(path, PARAMS), "a changed file fails the checksum"
    assert cache.load_npz(path, PARAMS) is None, "and is never loaded"


def test_manifest_with_other_params_is_detected(tmp_path):
    path = saved(tmp_path)
    other = dict(PARAMS, seed=1)
    assert not cache.verify(path, other), "a file built with other params does not verify"
    assert cache.load_npz(path, other) is None
    assert cache.load_npz(path, {k: PARAMS[k] for k in ("n", "seed")}) is None, "missing params differ too"


@pytest.mark.parametrize("manifest", [None, b"", b"{not json", b'{"params": {}}'])
def test_missing_or_broken_manifest_is_detected(tmp_path, manifest):
    path = saved(tmp_path)
    mpath = tmp_path / "a.npz.json"
    if manifest is None:
        mpath.unlink()
    else:
        mpath.write_bytes(manifest)
    assert not cache.verify(path, PARAMS), "without a valid manifest nothing verifies"
    assert cache.load_npz(path, PARAMS) is None


def test_missing_file_is_detected(tmp_path):
    path = saved(tmp_path)
    path.unlink()
    assert not cache.verify(path, PARAMS) and cache.load_npz(path, PARAMS) is None


def test_unreadable_npz_with_matching_manifest_returns_none(tmp_path):
    path = tmp_path / "junk.npz"
    path.write_bytes(b"this is not a zip file")
    cache.write_manifest(path, PARAMS)  # checksum matches, but NumPy cannot read it
    assert cache.verify(path, PARAMS), "the checksum alone is fine"
    assert cache.load_npz(path, PARAMS) is None, "an unreadable file is reported as None, not raised"


def test_file_key_is_rejected_and_nothing_is_written(tmp_path):
    with pytest.raises(ValueError, match="file"):
        cache.save_npz(tmp_path / "c.npz", {"file": np.zeros(2)})
    assert os.listdir(tmp_path) == [], "a rejected save creates nothing"


# --- cached_arrays ---------------------------------------------------------------

class CountingBuild:
    def __init__(self, seed=0):
        self.calls, self.seed = 0, seed

    def __call__(self):
        self.calls += 1
        rng = np.random.default_rng(self.seed)
        return {"X": rng.normal(size=(5, 3)).astype(np.float32), "y": np.arange(5)}


def cache_file(name, params, subdir="data"):
    return cache.cache_dir(subdir) / f"{name}-{cache.params_key(params)}.npz"


def test_cached_arrays_builds_once(fresh_cache):
    build = CountingBuild()
    first = cache.cached_arrays("toy", PARAMS, build)
    second = cache.cached_arrays("toy", PARAMS, build)
    assert build.calls == 1, "the second call reads the cache"
    assert_same_arrays(first, second)
    assert cache_file("toy", PARAMS).exists(), "the file is named {name}-{params_key}.npz"
    assert cache.verify(cache_file("toy", PARAMS), PARAMS)


@pytest.mark.parametrize("damage", ["truncate", "manifest_params", "delete_manifest"])
def test_cached_arrays_rebuilds_a_damaged_entry(fresh_cache, damage):
    build = CountingBuild()
    first = cache.cached_arrays("toy", PARAMS, build)
    path = cache_file("toy", PARAMS)
    mpath = path.with_name(path.name + ".json")
    if damage == "truncate":
        path.write_bytes(path.read_bytes()[:-20])
    elif damage == "manifest_params":
        manifest = json.loads(mpath.read_text())
        manifest["params"]["seed"] = 99
        mpath.write_text(json.dumps(manifest))
    else:
        mpath.unlink()
    again = cache.cached_arrays("toy", PARAMS, build)
    assert build.calls == 2, "a damaged entry is built again"
    assert_same_arrays(again, first)
    assert cache.verify(path, PARAMS), "and the repaired entry verifies"
    cache.cached_arrays("toy", PARAMS, build)
    assert build.calls == 2, "then the repaired entry is reused"


def test_cached_arrays_rebuild_flag_builds_again(fresh_cache):
    build = CountingBuild()
    cache.cached_arrays("toy", PARAMS, build)
    fresh = cache.cached_arrays("toy", PARAMS, CountingBuild(seed=1), rebuild=True)
    assert build.calls == 1
    assert_same_arrays(cache.cached_arrays("toy", PARAMS, build), fresh), "rebuild=True overwrites the entry"
    assert build.calls == 1


def test_cached_arrays_keeps_settings_side_by_side(fresh_cache):
    a, b = CountingBuild(0), CountingBuild(1)
    xa = cache.cached_arrays("toy", {"seed": 0}, a, subdir="features")
    xb = cache.cached_arrays("toy", {"seed": 1}, b, subdir="features")
    assert not np.array_equal(xa["X"], xb["X"])
    assert len(list(cache.cache_dir("features").glob("toy-*.npz"))) == 2, "one file per setting"
    assert_same_arrays(cache.cached_arrays("toy", {"seed": 0}, a, subdir="features"), xa)
    assert (a.calls, b.calls) == (1, 1), "neither setting is rebuilt"


# --- fetch -----------------------------------------------------------------------

PAYLOAD = os.urandom(200_000)  # random bytes, many TCP packets


def downloads(subdir="downloads"):
    return sorted(os.listdir(cache.cache_dir(subdir)))


def test_fetch_downloads_verifies_and_reuses_the_copy(fresh_cache, http_server):
    url, digest = http_server.add("blob.bin", PAYLOAD)
    path = cache.fetch(url, digest, timeout=10)
    assert path == cache.cache_dir("downloads") / "blob.bin", "the file is named after the URL"
    assert path.read_bytes() == PAYLOAD, "the bytes arrive intact"
    assert http_server.requests == ["/blob.bin"]
    assert cache.fetch(url, digest, timeout=10) == path
    assert http_server.requests == ["/blob.bin"], "a verified cached copy is returned without a request"
    assert downloads() == ["blob.bin"], "no temporary file is left behind"


def test_fetch_accepts_an_upper_case_digest_and_a_filename(fresh_cache, http_server):
    url, digest = http_server.add("blob.bin", PAYLOAD)
    path = cache.fetch(url, digest.upper(), filename="renamed.dat", subdir="dl/x", timeout=10)
    assert path == cache.cache_dir("dl/x") / "renamed.dat" and path.read_bytes() == PAYLOAD


def test_fetch_downloads_a_corrupt_cached_copy_again(fresh_cache, http_server):
    url, digest = http_server.add("blob.bin", PAYLOAD)
    path = cache.fetch(url, digest, timeout=10)
    path.write_bytes(PAYLOAD[:1000])  # a partial file left by something else
    assert cache.fetch(url, digest, timeout=10).read_bytes() == PAYLOAD, "the copy is repaired"
    assert len(http_server.requests) == 2, "the corrupt copy triggered one new download"
    assert downloads() == ["blob.bin"]


def test_fetch_rejects_a_checksum_mismatch_and_keeps_nothing(fresh_cache, http_server):
    url, _ = http_server.add("blob.bin", PAYLOAD)
    wrong = hashlib.sha256(b"something else").hexdigest()
    with pytest.raises(ValueError, match="checksum mismatch"):
        cache.fetch(url, wrong, timeout=10)
    assert http_server.requests == ["/blob.bin"], "the file was downloaded"
    assert downloads() == [], "neither the file nor a temp file is left behind"


def test_fetch_http_error_keeps_nothing(fresh_cache, http_server):
    with pytest.raises(urllib.error.HTTPError):
        cache.fetch(http_server.url("missing.bin"), "0" * 64, timeout=10)
    assert downloads() == [], "a failed download leaves no file"


def test_fetch_reads_file_urls(fresh_cache, tmp_path):
    src = tmp_path / "local.bin"
    src.write_bytes(PAYLOAD)
    path = cache.fetch(src.as_uri(), hashlib.sha256(PAYLOAD).hexdigest())
    assert path.read_bytes() == PAYLOAD and path.name == "local.bin"


@pytest.mark.parametrize("sha", ["", "abc", "g" * 64, "0" * 63, "0" * 65, 123, None, b"0" * 64])
def test_fetch_rejects_a_malformed_sha256_before_any_request(fresh_cache, http_server, sha):
    url, _ = http_server.add("blob.bin", PAYLOAD)
    with pytest.raises(ValueError, match="sha256"):
        cache.fetch(url, sha, timeout=10)
    assert http_server.requests == [], "nothing is downloaded"


def test_fetch_needs_a_file_name(fresh_cache):
    with pytest.raises(ValueError, match="url"):
        cache.fetch("", "0" * 64)


def test_file_folder_manifest_round_trip_and_a_corrupt_manifest_is_empty(tmp_path, monkeypatch):
    monkeypatch.setenv(cache.ENV_VAR, str(tmp_path))
    folder, manifest = cache.file_folder("clips", {"n": 2})
    assert folder.is_dir() and manifest == {}, "a new folder starts with an empty manifest"
    (folder / "a.wav").write_bytes(b"abc")
    manifest["a.wav"] = cache.sha256_file(folder / "a.wav")
    cache.write_folder_manifest(folder, manifest)
    again, loaded = cache.file_folder("clips", {"n": 2})
    assert again == folder and loaded == manifest, "the same params give the same folder and its manifest"
    assert cache.file_folder("clips", {"n": 2}, rebuild=True)[1] == {}, "rebuild ignores the manifest"
    assert cache.file_folder("clips", {"n": 3})[0] != folder, "other params, other folder"
    (folder / "manifest.json").write_text("{not json")
    assert cache.file_folder("clips", {"n": 2})[1] == {}, "an unreadable manifest means: check every file again"
