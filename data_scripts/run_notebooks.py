"""Execute notebooks headless into a build folder and print a table of wall times.

Usage: python data_scripts/run_notebooks.py notebooks/*.ipynb --out build/notebooks
The sources are never overwritten; executed copies go to --out, and the table
is also written to <out>/timings.md. Exits non-zero if a notebook fails.

Before an executed notebook is written its outputs are tidied (:func:`tidy_outputs`): consecutive
stream outputs of the same name become one, and a progress bar that redraws its line with carriage
returns keeps only its final state, so the stored output shows one line per bar.
"""
import argparse
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient


def collapse_carriage_returns(text: str) -> str:
    """Keep, on each line of ``text``, only what a terminal would show after its carriage returns.

    ``"\\r 10%|#  |\\r100%|###|\\n"`` becomes ``"100%|###|\\n"``: the last non-empty piece after a
    ``\\r`` (progress bars pad each redraw to the full width, so that piece is the final state).
    """
    lines = []
    for line in text.split("\n"):
        pieces = [p for p in line.split("\r") if p]
        lines.append(pieces[-1] if pieces else "")
    return "\n".join(lines)


def tidy_outputs(nb):
    """Merge consecutive stream outputs of the same name in each code cell and collapse ``\\r`` redraws.

    Widget outputs (e.g. a library's ``tqdm.auto`` bar, stored at 0%) and the notebook's widget state
    are dropped: they show nothing without a live kernel and would make the website load scripts from a
    CDN. Modifies ``nb`` (an nbformat notebook) in place and returns it. Other outputs (figures, tables,
    errors) and their order are kept.
    """
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        if cell.get("cell_type") != "code":
            continue
        merged = []
        for out in cell.get("outputs", []):
            if "application/vnd.jupyter.widget-view+json" in out.get("data", {}):
                continue
            if (out.get("output_type") == "stream" and merged and merged[-1].get("output_type") == "stream"
                    and merged[-1].get("name") == out.get("name")):
                merged[-1]["text"] += out["text"]
            else:
                merged.append(out)
        for out in merged:
            if out.get("output_type") == "stream":
                out["text"] = collapse_carriage_returns(out["text"])
        cell["outputs"] = merged
    return nb


def run(path: Path, out_dir: Path, timeout: int) -> float:
    nb = nbformat.read(path, as_version=4)
    # the kernel app's own start-up warnings (e.g. "running over TCP without encryption" on loopback) are
    # noise here; its errors and everything the notebook prints still show
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", extra_arguments=["--IPKernelApp.log_level=ERROR"],
                            resources={"metadata": {"path": str(path.parent)}})
    t0 = time.perf_counter()
    try:
        client.execute()
    finally:
        out_dir.mkdir(parents=True, exist_ok=True)
        nbformat.write(tidy_outputs(nb), out_dir / path.name)
    return time.perf_counter() - t0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--out", type=Path, default=Path("build/notebooks"))
    parser.add_argument("--timeout", type=int, default=900, help="seconds per cell")
    args = parser.parse_args()
    rows, failed = [], []
    for path in sorted(args.notebooks):
        print(f"running {path} ...", flush=True)
        try:
            rows.append((path.name, f"{run(path, args.out, args.timeout):.0f} s"))
        except Exception as exc:  # report every notebook, then fail
            rows.append((path.name, "FAILED"))
            failed.append(f"{path}: {type(exc).__name__}: {str(exc)[-2000:]}")
    table = "| notebook | wall time |\n|---|---|\n" + "\n".join(f"| {n} | {t} |" for n, t in rows)
    print("\n" + table)
    (args.out / "timings.md").write_text(table + "\n")
    for f in failed:
        print(f, file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
