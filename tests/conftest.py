"""Shared fixtures: a private cache folder for the whole session (and an empty
one per test on request), a headless matplotlib backend, one torch thread, and
a local HTTP server for the download tests."""
import functools
import hashlib
import http.server
import os
import threading
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # before any pyplot import: tests never open a window

import pytest  # noqa: E402
import torch  # noqa: E402

from course_lib import cache  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def one_torch_thread():
    """Run torch on one thread: the networks here are tiny, and on a shared 2-core machine two
    intra-op threads competing with other processes make them 5-20x slower, not faster."""
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(old)


@pytest.fixture(scope="session", autouse=True)
def private_cache_dir(tmp_path_factory):
    """Point ``COURSE_CACHE_DIR`` at a per-session temp folder so tests never touch the user's cache.

    ``monkeypatch`` is function-scoped, so the variable is set and restored by hand.
    Tests that need an empty cache set their own folder with ``monkeypatch.setenv``.
    """
    folder = tmp_path_factory.mktemp("course-cache")
    old = os.environ.get(cache.ENV_VAR)
    os.environ[cache.ENV_VAR] = str(folder)
    try:
        yield folder
    finally:
        if old is None:
            os.environ.pop(cache.ENV_VAR, None)
        else:
            os.environ[cache.ENV_VAR] = old


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):
    """An empty cache folder for one test (the folder does not exist yet)."""
    folder = tmp_path / "cache"
    monkeypatch.setenv(cache.ENV_VAR, str(folder))
    return folder


class LocalServer:
    """A folder served over HTTP on 127.0.0.1; ``requests`` lists every GET path."""

    def __init__(self, root: Path, port: int, requests: list):
        self.root, self.port, self.requests = root, port, requests

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/{name}"

    def add(self, name: str, payload: bytes) -> tuple[str, str]:
        """Serve ``payload`` as ``name``; return its URL and SHA-256."""
        (self.root / name).write_bytes(payload)
        return self.url(name), hashlib.sha256(payload).hexdigest()


@pytest.fixture
def http_server(tmp_path, monkeypatch):
    """A ThreadingHTTPServer on an ephemeral port serving a temp folder; shut down afterwards."""
    root = tmp_path / "served"
    root.mkdir()
    requests: list[str] = []
    lock = threading.Lock()

    class Handler(http.server.SimpleHTTPRequestHandler):
        def do_GET(self):
            with lock:
                requests.append(self.path)
            super().do_GET()

        def log_message(self, *args):  # keep the test output quiet
            pass

    for var in ("no_proxy", "NO_PROXY"):  # a proxy set in the environment must not intercept 127.0.0.1
        monkeypatch.setenv(var, "127.0.0.1,localhost")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(root)))
    server.timeout = 5
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield LocalServer(root, server.server_address[1], requests)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
