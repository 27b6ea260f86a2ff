"""`make lab` serves the notebooks: start JupyterLab with the Makefile's own flags (as root too), read
the contents API with a token, stop it."""
import json
import os
import secrets
import shlex
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.timeout(150)


def _make_lab_command() -> list[str]:
    """The command `make lab` would run, read from `make -n` (so the test uses the Makefile's flags)."""
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    out = subprocess.run(["make", "-s", "-n", "lab"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    lines = [l for l in out.stdout.splitlines() if " lab " in f" {l} " and "jupyter" in l]
    assert out.returncode == 0 and lines, f"make -n lab shows no jupyter lab command: {out.stdout}{out.stderr}"
    return shlex.split(lines[-1])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_make_lab_passes_allow_root_exactly_when_run_as_root_and_binds_loopback():
    cmd = _make_lab_command()
    assert "--ip=127.0.0.1" in cmd, "the server listens on loopback only"
    assert ("--allow-root" in cmd) == (os.getuid() == 0), "--allow-root only for root, where Lab needs it"
    assert cmd[-1] == "notebooks", "Lab opens on the notebooks folder"


def test_make_lab_serves_the_notebooks(tmp_path):
    cmd = _make_lab_command()
    exe = cmd[0] if os.path.isabs(cmd[0]) else str(ROOT / cmd[0])
    if not os.path.exists(exe):
        pytest.skip(f"jupyter is not installed ({cmd[0]} does not exist): run `make venv` first")
    check = subprocess.run([exe, "lab", "--version"], capture_output=True, text=True, timeout=60)
    if check.returncode != 0:
        pytest.skip(f"jupyter lab is not installed in the environment: {check.stderr.strip()[-300:]}")
    port, token = _free_port(), secrets.token_hex(16)
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"), JUPYTER_CONFIG_DIR=str(tmp_path / "config"),
               JUPYTER_DATA_DIR=str(tmp_path / "data"), JUPYTER_PLATFORM_DIRS="1")
    args = [exe, *cmd[1:-1], "--no-browser", f"--port={port}", "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={token}", cmd[-1]]
    log = open(tmp_path / "lab.log", "w")
    proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    expected = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
    listed, last_error = None, None
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            req = urllib.request.Request(f"http://127.0.0.1:{port}/api/contents/",
                                         headers={"Authorization": f"token {token}"})
            try:
                with urllib.request.urlopen(req, timeout=5) as resp:
                    listed = sorted(i["name"] for i in json.load(resp)["content"] if i["type"] == "notebook")
                break
            except (urllib.error.URLError, ConnectionError, TimeoutError) as err:
                last_error = err
                time.sleep(1)
        # without the token the server refuses: it is not open to anyone on the machine
        if listed is not None:
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/contents/", timeout=5)
            assert refused.value.code == 403
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
    output = (tmp_path / "lab.log").read_text()[-3000:]
    assert listed is not None, f"JupyterLab did not answer within 60 s (last error: {last_error}); its log:\n{output}"
    assert listed == expected, "the contents API lists the course's notebooks"
