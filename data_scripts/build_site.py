"""Build the course website: README as the landing page, the notebooks in course order with the
outputs stored by ``make course``, the data cards, the conventions and an API reference of course_lib.

Usage: python data_scripts/build_site.py [--executed build/notebooks] [--stored-only] [--out build/site]

Every ``notebooks/NN_*.ipynb`` is taken from ``--executed`` (the copies ``make course`` wrote) and, where
that folder lacks one, from the stored outputs in ``notebooks/``, which the script says. Nothing is
executed. The sources are assembled in ``<out>/src`` with ``site/conf.py`` and built by Sphinx
(MyST-NB, sphinx-book-theme) into ``<out>/html``; open ``<out>/html/index.html``. Everything comes
from installed packages: the build needs no network (tests/test_site.py checks it with sockets
blocked), and MathJax is served from the site itself.
"""
from __future__ import annotations

import argparse
import pkgutil
import re
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = re.compile(r"^\d\d_.+\.ipynb$")
DOCS = ("data_cards.md", "CONVENTIONS.md")
HIDDEN_MODULES = ("course_lib._validation",)  # private helpers
# the exercise checkers recompute the expected answers: documenting them would show the solutions
HIDDEN_PREFIXES = ("course_lib.exercises.nb",)
FAVICON = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" '
           'fill="#2a5d8f"/><text x="16" y="23" font-size="18" text-anchor="middle" fill="#fff" '
           'font-family="sans-serif">TL</text></svg>\n')


def pick_notebooks(executed: Path, stored: Path, stored_only: bool = False) -> list[tuple[Path, str]]:
    """Every ``NN_*.ipynb`` of ``stored`` or ``executed``, in course order, as (path, origin).

    The executed copy wins; where it is missing the stored copy is used and ``origin`` says so.
    """
    names = {p.name for p in stored.glob("*.ipynb") if NOTEBOOK.match(p.name)}
    if not stored_only and executed.is_dir():
        names |= {p.name for p in executed.glob("*.ipynb") if NOTEBOOK.match(p.name)}
    chosen = []
    for name in sorted(names):
        if not stored_only and (executed / name).is_file():
            chosen.append((executed / name, "executed"))
        else:
            chosen.append((stored / name, "stored"))
    return chosen


def api_modules() -> list[str]:
    """Public modules of course_lib, in alphabetical order (private helpers and exercise checkers left out)."""
    import course_lib

    names = ["course_lib"]
    for info in pkgutil.walk_packages(course_lib.__path__, prefix="course_lib."):
        if info.name in HIDDEN_MODULES or info.name.startswith(HIDDEN_PREFIXES):
            continue
        if info.name.rsplit(".", 1)[-1].startswith("_"):
            continue
        names.append(info.name)
    return sorted(names)


def landing_page(readme: str, notebooks: list[str]) -> str:
    """The README followed by the table of contents (notebooks in order, then reference pages)."""
    entries = "\n".join(f"notebooks/{Path(n).stem}" for n in notebooks)
    return (readme.rstrip() + "\n\n## Contents\n\n"
            "```{toctree}\n:caption: Notebooks\n:maxdepth: 1\n\n" + entries + "\n```\n\n"
            "```{toctree}\n:caption: Reference\n:maxdepth: 1\n\n"
            "docs/data_cards\ndocs/CONVENTIONS\napi/index\n```\n")


def api_pages(src: Path, modules: list[str]) -> None:
    """One reStructuredText page per module (autodoc directives need rST, not MyST) and an index."""
    folder = src / "api"
    folder.mkdir(parents=True, exist_ok=True)
    toc = "\n".join(f"   {name}" for name in modules)
    (folder / "index.rst").write_text(
        "API reference\n=============\n\nGenerated from the numpydoc docstrings of ``course_lib`` (shapes, "
        "formulas, references). One page per module.\n\n.. toctree::\n   :maxdepth: 1\n\n" + toc + "\n")
    for name in modules:
        title = f"``{name}``"
        options = "   :members:\n" + ("   :no-index:\n" if name == "course_lib" else "")
        (folder / f"{name}.rst").write_text(f"{title}\n{'=' * len(title)}\n\n.. automodule:: {name}\n{options}")


def assemble(src: Path, executed: Path, stored: Path, stored_only: bool = False) -> list[tuple[Path, str]]:
    """Write the Sphinx source folder ``src``; return the notebooks used with their origin."""
    import mathjax  # the django-static-mathjax wheel: MathJax 3's files

    if src.exists():
        shutil.rmtree(src)
    (src / "notebooks").mkdir(parents=True)
    chosen = pick_notebooks(executed, stored, stored_only)
    if not chosen:
        raise SystemExit(f"no notebooks named NN_*.ipynb in {stored} or {executed}")
    for path, origin in chosen:
        if origin == "stored" and not stored_only:
            print(f"build_site: {executed / path.name} is missing (run `make course`); "
                  f"using the stored outputs of {path}")
        shutil.copy2(path, src / "notebooks" / path.name)
    (src / "docs").mkdir()
    for name in DOCS:
        shutil.copy2(ROOT / "docs" / name, src / "docs" / name)
    readme = (ROOT / "README.md").read_text()
    (src / "index.md").write_text(landing_page(readme, [p.name for p, _ in chosen]))
    api_pages(src, api_modules())
    shutil.copy2(ROOT / "site" / "conf.py", src / "conf.py")
    static = src / "_static" / "mathjax"
    static.mkdir(parents=True)
    shutil.copy2(Path(mathjax.__file__).parent / "static" / "mathjax" / "es5" / "tex-svg.js", static / "tex-svg.js")
    (src / "_static" / "favicon.svg").write_text(FAVICON)
    return chosen


def build(out: Path, executed: Path, stored: Path, stored_only: bool = False, quiet: bool = True) -> Path:
    """Assemble and build the site; return the folder of the HTML pages (``<out>/html``)."""
    from sphinx.cmd.build import build_main

    src = out / "src"
    chosen = assemble(src, executed, stored, stored_only)
    html = out / "html"
    if html.exists():
        shutil.rmtree(html)
    args = ["-b", "html", "-E", "-d", str(out / "doctrees"), str(src), str(html)] + (["-q"] if quiet else [])
    code = build_main(args)
    if code != 0:
        raise SystemExit(f"sphinx-build failed with exit code {code}")
    origins = ", ".join(f"{p.stem} ({o})" for p, o in chosen)
    print(f"build_site: {len(chosen)} notebooks: {origins}")
    print(f"build_site: open {html / 'index.html'}")
    return html


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--executed", type=Path, default=ROOT / "build" / "notebooks",
                        help="folder of the executed notebooks written by `make course`")
    parser.add_argument("--stored", type=Path, default=ROOT / "notebooks", help="folder of the stored notebooks")
    parser.add_argument("--stored-only", action="store_true",
                        help="use only the outputs stored in --stored (no `make course` needed)")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "site")
    parser.add_argument("--verbose", action="store_true", help="show Sphinx's progress")
    args = parser.parse_args(argv)
    build(args.out, args.executed, args.stored, args.stored_only, quiet=not args.verbose)
    return 0


if __name__ == "__main__":
    sys.exit(main())
