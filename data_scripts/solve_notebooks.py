"""Build the solved copies of the notebooks: every answer cell replaced by its stored solution.

Usage: python data_scripts/solve_notebooks.py notebooks/*.ipynb --out build/solved

An answer cell is a code cell whose first line is ``# ANSWER NN.k``. Its solution is the block of
``solutions/NN.py`` that starts with the line ``# %% NN.k`` and runs to the next such line (or the end
of the file); the block replaces the whole cell. A notebook with an answer cell that has no block, or a
solutions file with a block that no answer cell uses, is an error: a solution cannot silently go
missing or go stale. The sources are never overwritten.

``make solutions`` (and ``make test``) then runs the solved copies with ``COURSE_STRICT_CHECKS=1``, so a
check that the solution does not pass fails the build.
"""
from __future__ import annotations

import argparse
import copy
import re
import sys
from pathlib import Path

import nbformat

ANSWER_LINE = re.compile(r"^#\s*ANSWER\s+(\d{2}\.\d+)\s*$")
BLOCK_LINE = re.compile(r"^#\s*%%\s+(\d{2}\.\d+)\s*$")


class SolutionError(ValueError):
    """A solution block is missing, unused, duplicated or in the wrong file."""


def parse_solutions(text: str, source: str = "solutions") -> dict[str, str]:
    """Split a solutions file into ``{"NN.k": code}``; text before the first ``# %% NN.k`` line is ignored.

    Raises
    ------
    SolutionError
        If an id has two blocks.
    """
    blocks: dict[str, list[str]] = {}
    current = None
    for line in text.splitlines():
        m = BLOCK_LINE.match(line)
        if m:
            current = m.group(1)
            if current in blocks:
                raise SolutionError(f"{source}: two blocks '# %% {current}'")
            blocks[current] = []
        elif current is not None:
            blocks[current].append(line)
    return {k: "\n".join(v).strip("\n") for k, v in blocks.items()}


def answer_id(cell) -> str | None:
    """The exercise id of an answer cell (first line ``# ANSWER NN.k``), else None."""
    if cell.get("cell_type") != "code":
        return None
    first = cell.source.splitlines()[0] if cell.source.strip() else ""
    m = ANSWER_LINE.match(first)
    return m.group(1) if m else None


def solve(nb, solutions: dict[str, str], notebook: str = "notebook"):
    """Return a copy of ``nb`` with every answer cell replaced by its solution block and outputs cleared.

    Parameters
    ----------
    nb : nbformat.NotebookNode
    solutions : ``{"NN.k": code}`` of this notebook (from :func:`parse_solutions`).
    notebook : name used in error messages.

    Raises
    ------
    SolutionError
        If an answer cell has no solution block, two answer cells share an id, or a block is unused.
    """
    nb = copy.deepcopy(nb)
    used: list[str] = []
    for cell in nb.cells:
        if cell.get("cell_type") == "code":
            cell.outputs, cell.execution_count = [], None
        ex = answer_id(cell)
        if ex is None:
            continue
        if ex in used:
            raise SolutionError(f"{notebook}: two answer cells '# ANSWER {ex}'")
        if ex not in solutions:
            raise SolutionError(f"{notebook}: answer cell '# ANSWER {ex}' has no solution block "
                                f"'# %% {ex}' (have: {sorted(solutions)})")
        cell.source = f"# SOLUTION {ex} (from solutions/)\n" + solutions[ex]
        used.append(ex)
    unused = sorted(set(solutions) - set(used))
    if unused:
        raise SolutionError(f"{notebook}: solution blocks {unused} match no '# ANSWER' cell")
    return nb


def solve_file(path: Path, solutions_dir: Path, out_dir: Path) -> Path:
    """Write the solved copy of the notebook ``path`` (named ``NN_*.ipynb``) into ``out_dir``."""
    number = path.name[:2]
    if not number.isdigit():
        raise SolutionError(f"{path}: notebook names start with their two-digit number")
    sol_path = solutions_dir / f"{number}.py"
    solutions = parse_solutions(sol_path.read_text(), str(sol_path)) if sol_path.exists() else {}
    wrong = sorted(k for k in solutions if not k.startswith(f"{number}."))
    if wrong:
        raise SolutionError(f"{sol_path}: blocks {wrong} belong to another notebook")
    solved = solve(nbformat.read(path, as_version=4), solutions, str(path))
    out_dir.mkdir(parents=True, exist_ok=True)
    nbformat.write(solved, out_dir / path.name)
    return out_dir / path.name


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--solutions", type=Path, default=Path("solutions"))
    parser.add_argument("--out", type=Path, default=Path("build/solved"))
    args = parser.parse_args()
    # a solutions file whose notebook is missing from the notebooks' folder is stale (one notebook may be
    # solved alone: the others' solution files are then only checked to have a notebook)
    numbers = {q.name[:2] for folder in {p.parent for p in args.notebooks} for q in folder.glob("[0-9][0-9]_*.ipynb")}
    errors = [f"{s}: no notebook {s.stem}_*.ipynb beside the notebooks given"
              for s in sorted(args.solutions.glob("[0-9][0-9].py")) if s.stem not in numbers]
    for path in sorted(args.notebooks):
        try:
            print(f"solved {solve_file(path, args.solutions, args.out)}")
        except SolutionError as err:
            errors.append(str(err))
    for e in errors:
        print(f"error: {e}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
