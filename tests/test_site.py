"""The course website (``make site``): it builds offline from the stored notebooks, and every page,
served on loopback and opened in headless Chromium, loads with no console error, shows every image,
has its maths typeset, links only to pages and anchors that exist, and keeps its audio players.

The browser part needs Debian's ``chromium`` and ``chromium-driver`` (``.ci/run`` installs them); where
they are missing it is skipped with a message, unless ``COURSE_REQUIRE_BROWSER=1`` (set by CI) makes
that a failure. Screenshots of the landing page and of a notebook page with a figure are kept in
``build/site_test/screenshots/``.
"""
import functools
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "build" / "site_test"
sys.path.insert(0, str(ROOT / "data_scripts"))
import build_site  # noqa: E402

pytestmark = pytest.mark.timeout(600)

# Run the build with every Internet socket refused; attempts are counted even if a library swallows the error.
OFFLINE_BUILD = r"""
import atexit, runpy, socket, sys
attempts = []
def refuse(*args, **kwargs):
    attempts.append(args)
    raise OSError(f"network access attempted during the site build: {args!r}")
real_connect = socket.socket.connect
def connect(self, address):
    if self.family in (socket.AF_INET, socket.AF_INET6):
        refuse(address)
    return real_connect(self, address)
socket.socket.connect = connect
socket.create_connection = refuse
socket.getaddrinfo = refuse
atexit.register(lambda: print(f"NETWORK_ATTEMPTS={len(attempts)}"))
script = %r
sys.argv = [script] + sys.argv[1:]
runpy.run_path(script, run_name="__main__")
""" % str(ROOT / "data_scripts" / "build_site.py")


def _notebooks():
    return [p for p in sorted((ROOT / "notebooks").glob("*.ipynb")) if build_site.NOTEBOOK.match(p.name)]


@pytest.fixture(scope="module")
def site():
    """Build the site from the stored notebooks (no `make course` needed) with the network cut."""
    env = dict(os.environ, MPLBACKEND="Agg", OMP_NUM_THREADS="1")
    out = subprocess.run([sys.executable, "-c", OFFLINE_BUILD, "--stored-only", "--out", str(OUT)], cwd=ROOT,
                         env=env, capture_output=True, text=True, timeout=500)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    return {"html": OUT / "html", "log": out.stdout + out.stderr}


# ----------------------------------------------------------------- the build
def test_the_site_builds_offline_with_every_notebook_in_course_order(site):
    assert "NETWORK_ATTEMPTS=0" in site["log"], "the build never opens a network connection"
    html = site["html"]
    index = (html / "index.html").read_text()
    links = [m for m in re.findall(r'href="(notebooks/[^"#]+\.html)"', index)]
    expected = [f"notebooks/{p.stem}.html" for p in _notebooks()]
    assert expected, "there are notebooks to show"
    assert list(dict.fromkeys(links))[: len(expected)] == expected, "the contents list every notebook, in order"
    for page in expected + ["docs/data_cards.html", "docs/CONVENTIONS.html", "api/index.html"]:
        assert (html / page).is_file(), page
    headings = [l.lstrip("#").strip() for l in (ROOT / "README.md").read_text().splitlines()
                if re.fullmatch(r"#{1,2} [\w ,.:()-]+", l)]
    assert headings and all(h in index for h in headings), "the README is the landing page"
    for module in build_site.api_modules():
        page = (html / "api" / f"{module}.html").read_text()
        assert f'id="{module}' in page or "sig-object" in page, f"{module}: its API page documents it"
    cards = (html / "docs" / "data_cards.html").read_text()
    assert "mnist" in cards and "handwritten" in cards


def test_no_page_loads_anything_from_outside_the_site(site):
    external = re.compile(r'<(?:script|img|audio|source|iframe)[^>]*\bsrc="(?:https?:)?//|'
                          r'<link[^>]*\bhref="(?:https?:)?//[^"]*"[^>]*>', re.I)
    for page in site["html"].rglob("*.html"):
        found = external.findall(page.read_text())
        assert not found, f"{page.relative_to(site['html'])} loads {found[:3]}"


def test_the_api_reference_leaves_out_the_exercise_checkers():
    modules = build_site.api_modules()
    assert "course_lib.data" in modules and "course_lib.real_data" in modules
    assert not [m for m in modules if m.startswith("course_lib.exercises.nb")], "they would show the answers"


def test_executed_notebooks_win_and_a_missing_one_falls_back_to_the_stored_copy(tmp_path):
    stored, executed = tmp_path / "notebooks", tmp_path / "executed"
    stored.mkdir()
    executed.mkdir()
    for name in ("00_a.ipynb", "01_b.ipynb", "02_c.ipynb", "scratch.ipynb"):
        (stored / name).write_text("{}")
    (executed / "00_a.ipynb").write_text("{}")
    (executed / "03_d.ipynb").write_text("{}")
    chosen = build_site.pick_notebooks(executed, stored)
    assert [(p.parent.name, p.name, o) for p, o in chosen] == [
        ("executed", "00_a.ipynb", "executed"), ("notebooks", "01_b.ipynb", "stored"),
        ("notebooks", "02_c.ipynb", "stored"), ("executed", "03_d.ipynb", "executed")]
    assert all(o == "stored" for _, o in build_site.pick_notebooks(executed, stored, stored_only=True))


def test_make_site_runs_the_build_script():
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    out = subprocess.run(["make", "-s", "-n", "site"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and "build_site.py" in out.stdout, out.stderr


# ----------------------------------------------------------------- in a real browser
def _browser():
    chromium = next((shutil.which(n) for n in ("chromium", "chromium-browser") if shutil.which(n)), None)
    driver = shutil.which("chromedriver")
    if chromium and driver:
        return chromium, driver
    message = ("headless Chromium not found: install Debian's chromium and chromium-driver "
               "(sudo apt-get install chromium chromium-driver) to run the browser test; CI installs them")
    if os.environ.get("COURSE_REQUIRE_BROWSER") == "1":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def served(site):
    """The built pages over HTTP on 127.0.0.1 (an ephemeral port)."""
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    class Server(http.server.ThreadingHTTPServer):
        def handle_error(self, request, client_address):  # the browser may drop a connection it no longer needs
            if not isinstance(sys.exc_info()[1], ConnectionError):
                super().handle_error(request, client_address)

    server = Server(("127.0.0.1", 0), functools.partial(Quiet, directory=str(site["html"])))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    chromium, driver_path = _browser()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", "--window-size=1280,1600", "--autoplay-policy=no-user-gesture-required",
                 # any host but loopback fails to resolve: a page that reaches out gets a console error
                 "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
                 f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    os.environ.setdefault("SE_OFFLINE", "true")  # selenium-manager must not look for drivers online
    drv = webdriver.Chrome(options=opts, service=Service(executable_path=driver_path))
    drv.set_page_load_timeout(60)
    drv.set_script_timeout(90)
    try:
        yield drv
    finally:
        drv.quit()


PAGE_STATE = """
const done = arguments[arguments.length - 1];
document.querySelectorAll('img[loading="lazy"]').forEach(i => { i.loading = 'eager'; });
const images = Array.from(document.images);
const imagesLoaded = Promise.all(images.map(i => i.complete ? null :
    new Promise(r => { i.addEventListener('load', r); i.addEventListener('error', r); })));
// MathJax loads deferred: wait until it has started, then until its first typesetting is done
const maths = !document.querySelector('.math') ? Promise.resolve() : new Promise(r => {
  const poll = () => (window.MathJax && MathJax.startup && MathJax.startup.promise)
    ? MathJax.startup.promise.then(r, r) : setTimeout(poll, 100);
  poll();
});
const audios = Array.from(document.querySelectorAll('audio'));
const audioReady = Promise.all(audios.map(a => a.readyState >= 1 ? null :
    new Promise(r => { a.addEventListener('loadedmetadata', r); a.addEventListener('error', r); a.load(); })));
const timeout = new Promise(r => setTimeout(r, 15000));
Promise.race([Promise.all([imagesLoaded, maths, audioReady]), timeout]).then(() => { try {
  const body = document.querySelector('main') || document.body;
  const clone = body.cloneNode(true);
  clone.querySelectorAll('pre, code, script, style, mjx-container, .highlight').forEach(e => e.remove());
  done({
    brokenImages: images.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src.slice(0, 120)),
    nImages: images.length,
    mathNodes: document.querySelectorAll('.math').length,
    untypeset: Array.from(document.querySelectorAll('.math')).filter(m => !m.querySelector('mjx-container'))
                 .map(m => m.textContent.slice(0, 80)),
    mathErrors: document.querySelectorAll('mjx-merror').length,
    rawDollars: (clone.innerText.match(/\\$\\$/g) || []).length,
    audio: audios.map(a => ({ready: a.readyState, duration: a.duration, error: a.error && a.error.code})),
    links: Array.from(document.querySelectorAll('a[href]')).map(a => a.href),
    ids: Array.from(document.querySelectorAll('[id]')).map(e => e.id),
  });
} catch (err) { done({jsError: String(err)}); } });
"""


def _expected_audio(page: str) -> int:
    """Audio players the stored notebook behind ``page`` shows (HTML outputs with an <audio> element)."""
    if not page.startswith("notebooks/"):
        return 0
    nb = json.loads((OUT / "src" / "notebooks" / (Path(page).stem + ".ipynb")).read_text())
    count = 0
    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            html = out.get("data", {}).get("text/html", "")
            count += "".join(html).count("<audio")
    return count


def _first_page_with_a_figure(html: Path) -> str | None:
    for page in sorted(html.glob("notebooks/*.html")):
        if "<img" in page.read_text():
            return f"notebooks/{page.name}"
    return None


def _open(browser, url: str) -> dict:
    """Load ``url``, wait until the document is complete, then wait for images, maths and audio."""
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(url)
    for _ in range(2):  # right after a navigation the old document can still answer once: look again
        WebDriverWait(browser, 30).until(lambda d: d.execute_script(
            "return document.readyState === 'complete' && document.body !== null && location.href") == url)
        state = browser.execute_async_script(PAGE_STATE)
        if "jsError" not in state:
            break
    return state


def test_every_page_in_headless_chromium(browser, site, served):
    html = site["html"]
    pages = sorted(str(p.relative_to(html)) for p in html.rglob("*.html") if not str(p.relative_to(html))
                   .startswith("_static"))
    problems, ids, links, typeset = [], {}, set(), 0
    for page in pages:
        state = _open(browser, served + page)
        if "jsError" in state:
            problems.append(f"{page}: the page check failed in the browser: {state['jsError']}")
            continue
        errors = [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]
        if errors:
            problems.append(f"{page}: console errors {errors[:3]}")
        if state["brokenImages"]:
            problems.append(f"{page}: images not loaded {state['brokenImages'][:3]}")
        if state["untypeset"] or state["mathErrors"] or state["rawDollars"]:
            problems.append(f"{page}: maths not typeset {state['untypeset'][:2]}, {state['mathErrors']} MathJax "
                            f"errors, {state['rawDollars']} raw '$$'")
        typeset += state["mathNodes"]
        want = _expected_audio(page)
        players = state["audio"]
        if len(players) < want or any(a["ready"] < 1 or not a["duration"] > 0 or a["error"] for a in players):
            problems.append(f"{page}: {want} audio players expected, found {players[:3]}")
        ids[page] = set(state["ids"])
        links |= {link for link in state["links"] if link.startswith(served)}
    for link in sorted(links):  # every internal link: the page exists and so does the anchor
        url, _, anchor = link.partition("#")
        target = urllib.parse.unquote(url[len(served):]) or "index.html"
        if target.endswith("/"):
            target += "index.html"
        try:
            with urllib.request.urlopen(url, timeout=10) as resp:
                ok = resp.status == 200
        except OSError as err:
            ok = False
            problems.append(f"broken link {link}: {err}")
        if ok and anchor and target in ids and anchor not in ids[target]:
            problems.append(f"broken anchor {link}")
    assert not problems, "\n".join(problems[:30])
    assert len(pages) >= len(_notebooks()) + 4 and typeset > 0, "every page was visited and maths was found"

    shots = OUT / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    _open(browser, served + "index.html")
    browser.save_screenshot(str(shots / "landing.png"))
    page = _first_page_with_a_figure(html) or f"notebooks/{_notebooks()[0].stem}.html"
    _open(browser, served + page)
    browser.execute_script("const i = document.querySelector('main img'); if (i) i.scrollIntoView();"
                           "window.scrollBy(0, -300);")
    browser.save_screenshot(str(shots / "notebook.png"))
    browser.execute_script("const m = document.querySelector('main div.math'); if (m) m.scrollIntoView();"
                           "window.scrollBy(0, -200);")
    browser.save_screenshot(str(shots / "notebook_maths.png"))
    assert (shots / "landing.png").stat().st_size > 10_000 and (shots / "notebook.png").stat().st_size > 10_000
