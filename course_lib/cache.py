"""On-disk cache: where files live, atomic writes, checksums, verified downloads.

Every generated data set and every expensive feature matrix is stored once as a
``.npz`` file beside a small JSON manifest that records the SHA-256 of the
file and the parameters that produced it. Loading re-hashes the file; a
missing, partial or corrupt file (or one built with other parameters) is
detected and rebuilt, never silently used.

The cache lives in ``$COURSE_CACHE_DIR`` when that variable is set, otherwise in
the user's cache directory (``~/.cache/tl-course`` on Linux).
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
import urllib.request
from pathlib import Path
from typing import Any, Callable

import numpy as np

__all__ = [
    "cache_dir",
    "sha256_file",
    "atomic_write",
    "atomic_write_bytes",
    "params_key",
    "write_manifest",
    "verify",
    "save_npz",
    "load_npz",
    "cached_arrays",
    "file_folder",
    "write_folder_manifest",
    "fetch",
]

ENV_VAR = "COURSE_CACHE_DIR"


def cache_dir(subdir: str | None = None) -> Path:
    """Return (and create) the course cache directory.

    Parameters
    ----------
    subdir : str, optional
        A sub-folder inside the cache, e.g. ``"data"`` or ``"features"``.
    """
    root = os.environ.get(ENV_VAR)
    if root:
        base = Path(root).expanduser()
    else:
        import platformdirs

        base = Path(platformdirs.user_cache_dir("tl-course", appauthor=False))
    path = base / subdir if subdir else base
    path.mkdir(parents=True, exist_ok=True)
    return path


def sha256_file(path: str | os.PathLike, chunk_size: int = 1 << 20) -> str:
    """SHA-256 hex digest of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(chunk_size), b""):
            digest.update(chunk)
    return digest.hexdigest()


def atomic_write(path: str | os.PathLike, write: Callable[[Any], None]) -> None:
    """Call ``write(fileobj)`` on a temporary file beside ``path``, then rename it onto ``path``.

    Readers never see a partial file; on any error the temporary file is
    removed and an existing ``path`` is left as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (readers never see a partial file)."""
    atomic_write(Path(path), lambda fh: fh.write(data))


def _manifest_path(path: Path) -> Path:
    return path.with_name(path.name + ".json")


def _canonical(params: dict) -> str:
    return json.dumps(params, sort_keys=True, default=str)


def params_key(params: dict) -> str:
    """A short stable hash of a JSON-serialisable dict (12 hex characters)."""
    return hashlib.sha256(_canonical(params).encode()).hexdigest()[:12]


def write_manifest(path: str | os.PathLike, params: dict | None = None) -> None:
    """Record the SHA-256 of ``path`` and the ``params`` that made it, in ``path.json``."""
    path = Path(path)
    manifest = {"sha256": sha256_file(path), "params": json.loads(_canonical(params or {}))}
    atomic_write_bytes(_manifest_path(path), json.dumps(manifest, indent=1).encode())


def verify(path: str | os.PathLike, params: dict | None = None) -> bool:
    """True if ``path`` and its manifest exist, the checksum matches and the params are the same."""
    path = Path(path)
    mpath = _manifest_path(path)
    if not path.exists() or not mpath.exists():
        return False
    try:
        manifest = json.loads(mpath.read_text())
    except (OSError, ValueError):
        return False
    return (manifest.get("sha256") == sha256_file(path)
            and _canonical(manifest.get("params", {})) == _canonical(json.loads(_canonical(params or {}))))


def save_npz(path: str | os.PathLike, arrays: dict[str, np.ndarray], params: dict | None = None) -> None:
    """Save arrays to ``path`` atomically and write a manifest with its SHA-256.

    Parameters
    ----------
    path : path-like
        Target ``.npz`` file.
    arrays : dict of str to ndarray
        What to store (no pickled objects: string arrays are stored as unicode).
    params : dict, optional
        JSON-serialisable description of how the arrays were made; ``load_npz``
        refuses a file whose manifest records other parameters.
    """
    path = Path(path)
    if "file" in arrays:
        raise ValueError("arrays cannot have a key named 'file' (numpy.savez reserves it)")
    atomic_write(path, lambda fh: np.savez(fh, **arrays))
    write_manifest(path, params)


def load_npz(path: str | os.PathLike, params: dict | None = None) -> dict[str, np.ndarray] | None:
    """Load a verified ``.npz`` written by :func:`save_npz`, or return None.

    None means: the file or its manifest is missing, the checksum does not
    match (a partial or corrupt file), the parameters differ, or NumPy cannot
    read it. The caller then rebuilds.
    """
    if not verify(path, params):
        return None
    try:
        with np.load(path, allow_pickle=False) as npz:
            return {k: npz[k] for k in npz.files}
    except (OSError, ValueError):
        return None


def cached_arrays(
    name: str,
    params: dict,
    build: Callable[[], dict[str, np.ndarray]],
    subdir: str = "data",
    rebuild: bool = False,
) -> dict[str, np.ndarray]:
    """Return ``build()``'s arrays, computed once and cached on disk.

    The file name is ``{name}-{hash of params}.npz`` so different settings
    live side by side.

    Parameters
    ----------
    name : str
        Human-readable stem of the cache file.
    params : dict
        Everything ``build`` depends on (sizes, seed, version, ...).
    build : callable
        Zero-argument function returning a dict of arrays.
    subdir : str
        Cache sub-folder.
    rebuild : bool
        Ignore an existing file and build again.
    """
    path = cache_dir(subdir) / f"{name}-{params_key(params)}.npz"
    if not rebuild:
        arrays = load_npz(path, params)
        if arrays is not None:
            return arrays
    arrays = build()
    save_npz(path, arrays, params)
    return arrays


def file_folder(prefix: str, params: dict, rebuild: bool = False) -> tuple[Path, dict[str, str]]:
    """A cache folder of many files (e.g. WAV clips) and the SHA-256 manifest of its files.

    The folder is ``data/{prefix}-{params_key(params)}``; its ``manifest.json``
    maps file names to their SHA-256. A missing or unreadable manifest (or
    ``rebuild``) gives an empty one, so every file is checked and rebuilt.
    After adding files, save the manifest with :func:`write_folder_manifest`.

    Returns
    -------
    (folder, manifest) : the created folder and a dict ``{file name: sha256}``.
    """
    folder = cache_dir("data") / f"{prefix}-{params_key(params)}"
    folder.mkdir(parents=True, exist_ok=True)
    try:
        manifest = {} if rebuild else json.loads((folder / "manifest.json").read_text())
    except (OSError, ValueError):
        manifest = {}
    return folder, manifest


def write_folder_manifest(folder: str | os.PathLike, manifest: dict[str, str]) -> None:
    """Write the manifest of :func:`file_folder` atomically."""
    atomic_write_bytes(Path(folder) / "manifest.json", json.dumps(manifest, indent=1, sort_keys=True).encode())


def fetch(url: str, sha256: str, filename: str | None = None, subdir: str = "downloads",
          timeout: float = 60.0) -> Path:
    """Download ``url`` into the cache once, verify its SHA-256, return the path.

    A cached file whose checksum does not match is deleted and downloaded
    again. The download goes to a temporary file that is renamed only after
    the checksum matched, so a broken transfer never leaves a file that looks
    complete.

    Parameters
    ----------
    url : str
        ``http(s)://`` or ``file://`` address.
    sha256 : str
        Expected hex digest (64 characters).
    filename : str, optional
        Name inside the cache folder; default: the last part of the URL.
    subdir : str
        Cache sub-folder.
    timeout : float
        Seconds before the connection gives up.

    Raises
    ------
    ValueError
        If ``sha256`` is not a 64-character hex string, or the downloaded
        bytes do not match it.
    """
    if not isinstance(sha256, str) or len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256.lower()):
        raise ValueError(f"sha256 must be a 64-character hex digest, got {sha256!r}")
    name = filename or url.rstrip("/").rsplit("/", 1)[-1]
    if not name:
        raise ValueError(f"cannot derive a file name from url={url!r}; pass filename=")
    path = cache_dir(subdir) / name
    if path.exists():
        if sha256_file(path) == sha256.lower():
            return path
        path.unlink()  # corrupt or stale: fetch again
    digest = hashlib.sha256()

    def write(fh):
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            for chunk in iter(lambda: resp.read(1 << 20), b""):
                digest.update(chunk)
                fh.write(chunk)
        if digest.hexdigest() != sha256.lower():
            raise ValueError(
                f"checksum mismatch for url={url!r}: expected sha256 {sha256.lower()}, got {digest.hexdigest()}"
            )

    atomic_write(path, write)
    return path
