"""course_lib.exercises.check (hidden-answer checks) and the solutions build (data_scripts/solve_notebooks.py)."""
import importlib.util
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest

from course_lib import exercises
from course_lib.exercises import check, judged, numeric

ROOT = Path(__file__).resolve().parents[1]


# --- check() -----------------------------------------------------------------------
# Test exercises live under notebook number 99, which no course notebook uses.

@numeric("99.1", atol=5e-4, hint="mean of x")
def _mean(x):
    return float(np.mean(x))


@numeric("99.2")
def _exact():
    return 0.125


@numeric("99.3", atol=0.0, rtol=0.01)
def _relative():
    return 200.0


@judged("99.4", hint="compare the two numbers")
def _judge(answer, a, b):
    ok = answer["bigger"] == ("a" if a > b else "b")
    return ok, "" if ok else "the bigger one is the other"


@pytest.fixture(autouse=True)
def lenient(monkeypatch):
    monkeypatch.delenv("COURSE_STRICT_CHECKS", raising=False)


def test_check_reports_an_open_exercise_and_returns_false(capsys):
    assert check("99.1", None, x=[1, 2]) is False
    out = capsys.readouterr().out.strip()
    assert out.startswith("Not answered yet") and "Hint: mean of x" in out


def test_check_accepts_the_recomputed_value_and_prints_correct(capsys):
    assert check("99.1", 1.5, x=[1, 2]) is True
    assert capsys.readouterr().out.strip() == "Correct."


def test_expected_value_follows_the_learners_context(capsys):
    assert check("99.1", 1.5, x=[1, 2, 3, 4]) is False, "the mean of this context is 2.5, not 1.5"
    assert check("99.1", 2.5, x=[1, 2, 3, 4]) is True


def test_wrong_answer_prints_not_yet_with_hint_and_never_the_expected_value(capsys):
    assert check("99.1", 7.0, x=[1, 2]) is False
    out = capsys.readouterr().out.strip()
    assert out == "Not yet. Hint: mean of x"
    assert "1.5" not in out, "the expected value is never shown"


def test_a_value_read_at_its_printed_precision_is_right(capsys):
    assert check("99.1", 0.333, x=[0, 1, 0]) is True, "1/3 printed at three decimals, atol=5e-4"
    assert check("99.1", 0.33, x=[0, 1, 0]) is False, "two decimals is outside atol=5e-4"


def test_default_tolerance_is_tight_and_rtol_scales_with_the_value(capsys):
    assert check("99.2", 0.125 + 1e-7) is True and check("99.2", 0.126) is False
    assert check("99.3", 201.0) is True, "rtol=1%: 201 is within 2 of 200"
    assert check("99.3", 203.0) is False


def test_shapes_and_types_must_match(capsys):
    assert check("99.2", [0.125, 0.125]) is False, "no broadcasting of an array onto a scalar"
    assert check("99.2", "0.125") is False, "a string is not a number"


def test_judged_exercise_uses_the_judge_and_its_message(capsys):
    assert check("99.4", {"bigger": "a"}, a=2, b=1) is True
    assert capsys.readouterr().out.strip() == "Correct."
    assert check("99.4", {"bigger": "a"}, a=1, b=2) is False
    assert capsys.readouterr().out.strip() == "Not yet. the bigger one is the other Hint: compare the two numbers"


def test_judged_exercise_with_an_unreadable_answer_says_so_without_raising(capsys):
    assert check("99.4", 3.0, a=1, b=2) is False
    assert "could not read the answer" in capsys.readouterr().out


@pytest.mark.parametrize("answer", [None, 9.0])
def test_strict_mode_raises_on_a_missing_or_wrong_answer(monkeypatch, capsys, answer):
    monkeypatch.setenv("COURSE_STRICT_CHECKS", "1")
    with pytest.raises(AssertionError, match="exercise 99.1"):
        check("99.1", answer, x=[1, 2])
    assert check("99.1", 1.5, x=[1, 2]) is True, "a right answer passes in strict mode too"


def test_unknown_id_raises_value_error_naming_the_id():
    with pytest.raises(ValueError, match=r"'99\.77'"):
        check("99.77", 1.0)
    with pytest.raises(ValueError, match=r"'nope'"):
        check("nope", 1.0)


def test_registered_lists_the_test_exercises():
    assert {"99.1", "99.2", "99.3", "99.4"} <= set(exercises.registered())


def test_bad_exercise_id_is_refused_at_registration():
    with pytest.raises(ValueError, match="exercise id"):
        numeric("2.1.3")(lambda: 0)


# --- solutions build ----------------------------------------------------------------

def _solver():
    spec = importlib.util.spec_from_file_location("solve_notebooks", ROOT / "data_scripts" / "solve_notebooks.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture
def tiny_nb():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# ANSWER 07.1 (markdown, not an answer cell)"),
                nbformat.v4.new_code_cell("x = 2"),
                nbformat.v4.new_code_cell("# ANSWER 07.1\nanswer_1 = None"),
                nbformat.v4.new_code_cell("check('07.1', answer_1)"),
                nbformat.v4.new_code_cell("# ANSWER 07.2\nanswer_2 = None")]
    nb.cells[2].outputs = [nbformat.v4.new_output("stream", name="stdout", text="old\n")]
    return nb


SOLUTIONS = """# header comment, ignored
# %% 07.1
answer_1 = x + 1

# %% 07.2
answer_2 = 'b'
"""


def test_parse_solutions_splits_blocks():
    blocks = _solver().parse_solutions(SOLUTIONS)
    assert blocks == {"07.1": "answer_1 = x + 1", "07.2": "answer_2 = 'b'"}


def test_solve_swaps_each_answer_cell_and_keeps_the_rest(tiny_nb):
    solved = _solver().solve(tiny_nb, _solver().parse_solutions(SOLUTIONS))
    src = [c.source for c in solved.cells]
    assert src[0] == tiny_nb.cells[0].source and src[1] == "x = 2" and src[3] == tiny_nb.cells[3].source
    assert src[2].endswith("answer_1 = x + 1") and "answer_1 = None" not in src[2]
    assert src[4].endswith("answer_2 = 'b'")
    assert solved.cells[2].outputs == [], "stale outputs are cleared"
    assert tiny_nb.cells[2].source == "# ANSWER 07.1\nanswer_1 = None", "the source notebook is not modified"


def test_solve_refuses_a_missing_block(tiny_nb):
    mod = _solver()
    with pytest.raises(mod.SolutionError, match=r"ANSWER 07\.2.*no solution block"):
        mod.solve(tiny_nb, {"07.1": "answer_1 = 3"})


def test_solve_refuses_an_unused_block(tiny_nb):
    mod = _solver()
    with pytest.raises(mod.SolutionError, match=r"\['07\.3'\] match no"):
        mod.solve(tiny_nb, {**mod.parse_solutions(SOLUTIONS), "07.3": "answer_3 = 0"})


def test_duplicate_blocks_and_answer_cells_are_refused(tiny_nb):
    mod = _solver()
    with pytest.raises(mod.SolutionError, match="two blocks"):
        mod.parse_solutions(SOLUTIONS + "# %% 07.1\nanswer_1 = 0\n")
    tiny_nb.cells.append(nbformat.v4.new_code_cell("# ANSWER 07.2\nanswer_2 = None"))
    with pytest.raises(mod.SolutionError, match="two answer cells"):
        mod.solve(tiny_nb, mod.parse_solutions(SOLUTIONS))


def test_command_line_writes_the_copy_and_fails_on_a_missing_block(tmp_path, tiny_nb):
    nb_path, sol_dir, out = tmp_path / "07_tiny.ipynb", tmp_path / "solutions", tmp_path / "solved"
    sol_dir.mkdir()
    nbformat.write(tiny_nb, nb_path)
    (sol_dir / "07.py").write_text(SOLUTIONS)
    cmd = [sys.executable, str(ROOT / "data_scripts" / "solve_notebooks.py"), str(nb_path),
           "--solutions", str(sol_dir), "--out", str(out)]
    assert subprocess.run(cmd, capture_output=True, text=True).returncode == 0
    assert "answer_1 = x + 1" in nbformat.read(out / nb_path.name, as_version=4).cells[2].source
    (sol_dir / "07.py").write_text(SOLUTIONS.split("# %% 07.2")[0])
    res = subprocess.run(cmd, capture_output=True, text=True)
    assert res.returncode == 1 and "no solution block" in res.stderr


def test_one_notebook_can_be_solved_alone_but_a_stale_solutions_file_fails(tmp_path, tiny_nb):
    nbs, sol_dir, out = tmp_path / "notebooks", tmp_path / "solutions", tmp_path / "solved"
    nbs.mkdir(), sol_dir.mkdir()
    nbformat.write(tiny_nb, nbs / "07_tiny.ipynb")
    nbformat.write(nbformat.v4.new_notebook(), nbs / "08_other.ipynb")
    (sol_dir / "07.py").write_text(SOLUTIONS)
    (sol_dir / "08.py").write_text("# %% 08.1\nanswer_1 = 0\n")  # another notebook's solutions: not solved now
    cmd = [sys.executable, str(ROOT / "data_scripts" / "solve_notebooks.py"), str(nbs / "07_tiny.ipynb"),
           "--solutions", str(sol_dir), "--out", str(out)]
    assert subprocess.run(cmd, capture_output=True, text=True).returncode == 0
    (nbs / "08_other.ipynb").unlink()  # now 08.py solves no notebook: stale
    res = subprocess.run(cmd, capture_output=True, text=True)
    assert res.returncode == 1 and "no notebook 08_*.ipynb" in res.stderr
