"""Tests for course_lib.viz (figures) and course_lib.checks (exercise checks)."""
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from course_lib import viz
from course_lib.checks import check_answer


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


# --- viz ------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(7, 3, 8, 8), (7, 8, 8)])
def test_image_grid_returns_a_figure_with_one_image_per_sample(shape):
    X = np.random.default_rng(0).random(shape)
    fig = viz.image_grid(X, labels=list("abcdefg"), ncols=4, title="grid")
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 8, "two rows of four"
    shown = [ax for ax in fig.axes if ax.images]
    assert len(shown) == 7, "one image per sample, the spare cell stays empty"
    assert [ax.get_title() for ax in shown] == list("abcdefg"), "labels become titles"
    assert shown[0].images[0].get_array().shape[:2] == (8, 8)


def test_image_grid_nrows_limits_the_images():
    fig = viz.image_grid(np.zeros((30, 3, 4, 4)), ncols=5, nrows=2)
    assert sum(bool(ax.images) for ax in fig.axes) == 10, "at most nrows * ncols images"


@pytest.mark.parametrize("shape", [(8, 8), (2, 1, 3, 8, 8), (5,)])
def test_image_grid_rejects_a_bad_rank(shape):
    with pytest.raises(ValueError, match="X must have shape"):
        viz.image_grid(np.zeros(shape))


def test_embed_2d_pca():
    X = np.random.default_rng(0).normal(size=(40, 6))
    Z = viz.embed_2d(X, method="pca")
    assert Z.shape == (40, 2)
    assert np.allclose(Z, viz.embed_2d(X, method="pca")), "deterministic"
    assert Z[:, 0].var() >= Z[:, 1].var(), "the first axis carries most variance"


def test_embed_2d_rejects_bad_input():
    with pytest.raises(ValueError, match="method"):
        viz.embed_2d(np.zeros((10, 3)), method="tsne")
    with pytest.raises(ValueError, match="X must have shape"):
        viz.embed_2d(np.zeros((10, 3, 2)), method="pca")


def test_scatter_2d_returns_axes_with_one_collection_per_group():
    Z = np.random.default_rng(0).normal(size=(20, 2))
    ax = viz.scatter_2d(Z, np.arange(20) % 4, marker_groups=np.array(["s", "t"] * 10), title="emb")
    assert isinstance(ax, Axes) and len(ax.collections) == 2 and ax.get_title() == "emb"
    assert len(viz.scatter_2d(Z, np.zeros(20)).collections) == 1, "one group without marker_groups"


def test_results_bar():
    ax = viz.results_bar(["a", "b", "c"], [0.5, 0.7, 0.9], [0.1, 0.0, 0.05], title="t")
    assert isinstance(ax, Axes) and len(ax.patches) == 3, "one bar per name"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "c"]
    assert ax.get_ylim() == (0, 1), "accuracies share the [0, 1] axis"


@pytest.mark.parametrize("names, means, stds", [
    (["a", "b"], [0.5], [0.1, 0.1]), (["a"], [0.5], [0.1, 0.2]), (["a", "b", "c"], [0.1, 0.2], [0.1, 0.2]),
])
def test_results_bar_rejects_length_mismatch(names, means, stds):
    with pytest.raises(ValueError, match="names, means and stds must have the same length"):
        viz.results_bar(names, means, stds)


# --- checks ---------------------------------------------------------------------

@pytest.mark.parametrize("answer, expected", [
    (0.5, 0.5), (0.5 + 1e-8, 0.5), (3, 3.0), ([1, 2], (1.0, 2.0)), (np.eye(2), np.eye(2).tolist()),
    (np.float32(0.25), 0.25), ("pca", "pca"), ({"a": 1}, {"a": 1}),
])
def test_check_answer_accepts_a_right_answer(capsys, answer, expected):
    assert check_answer(answer, expected) is True
    assert capsys.readouterr().out.strip() == "Correct."


@pytest.mark.parametrize("answer, expected", [
    (0.6, 0.5), (0.5 + 1e-3, 0.5), ([1, 3], [1, 2]), ("umap", "pca"),
    ("abc", 1.0), (object(), [1, 2]), (np.zeros(3), "pca"),
    ([1, 1, 1], 1), ([[1, 2], [1, 2]], [1, 2]), ([1, 2], [[1, 2]]),  # shapes must match: no broadcasting
])
def test_check_answer_rejects_a_wrong_answer_without_raising(capsys, answer, expected):
    assert check_answer(answer, expected, hint="look again") is False
    assert capsys.readouterr().out.strip() == "Not yet. Hint: look again"


def test_check_answer_tolerance(capsys):
    assert check_answer(0.51, 0.5, tol=0.02) is True, "tol is an absolute tolerance"
    assert check_answer(0.51, 0.5) is False
    assert capsys.readouterr().out.split() == ["Correct.", "Not", "yet."], "no hint, no hint text"


def test_check_answer_reports_an_open_exercise(capsys):
    assert check_answer(None, 0.5) is False
    assert capsys.readouterr().out.strip() == "Not answered yet: replace None with your answer."
    assert check_answer(None, 0.5, hint="use mmd2") is False
    assert capsys.readouterr().out.strip().endswith("Hint: use mmd2")


def test_check_answer_compares_sequences_of_strings_element_by_element(capsys):
    from course_lib.checks import check_answer

    assert check_answer(("kmeans", "gmm"), ("kmeans", "gmm")) is True, "equal tuples of strings are correct"
    assert check_answer(["kmeans", "gmm"], ("kmeans", "gmm")) is True, "a list matches a tuple with the same items"
    assert check_answer(("gmm", "kmeans"), ("kmeans", "gmm")) is False, "order matters"
    assert check_answer(("kmeans",), ("kmeans", "gmm")) is False, "lengths must match"
    assert check_answer(3, ("kmeans", "gmm")) is False, "a number is not a sequence of strings (and does not raise)"


# --- stored outputs (data_scripts/run_notebooks.py) -------------------------------

def _runner():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "data_scripts" / "run_notebooks.py"
    spec = importlib.util.spec_from_file_location("run_notebooks", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize("text, shown", [
    ("\rtrain:   0%|   | 0/9\rtrain:  50%|#  | 4/9\rtrain: 100%|###| 9/9\n", "train: 100%|###| 9/9\n"),
    ("plain line\nsecond\n", "plain line\nsecond\n"),
    ("a\r\nb\n", "a\nb\n"),  # Windows line ends keep their text
    ("\r 10%\r 90%", " 90%"),  # a bar still running keeps its last state
    ("", ""),
])
def test_collapse_carriage_returns_keeps_the_final_state_of_each_line(text, shown):
    assert _runner().collapse_carriage_returns(text) == shown


def test_tidy_outputs_merges_consecutive_streams_and_keeps_one_line_per_bar():
    import nbformat

    new = nbformat.v4.new_output
    cell = nbformat.v4.new_code_cell("train()")
    cell.outputs = [new("stream", name="stdout", text="fitting\n"),
                    new("stream", name="stdout", text="\rep:  0%|  | 0/4"),
                    new("stream", name="stdout", text="\rep: 50%|# | 2/4"),
                    new("stream", name="stderr", text="warning\n"),
                    new("stream", name="stdout", text="\rep:100%|##| 4/4\n"),
                    new("display_data", data={"text/plain": "<Figure>"}),
                    new("stream", name="stdout", text="done\n")]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# t"), cell])
    _runner().tidy_outputs(nb)
    outs = nb.cells[1].outputs
    assert [(o.output_type, o.get("name")) for o in outs] == [
        ("stream", "stdout"), ("stream", "stderr"), ("stream", "stdout"), ("display_data", None),
        ("stream", "stdout")], "only consecutive streams of one name merge; order and figures are kept"
    assert outs[0].text == "fitting\nep: 50%|# | 2/4"
    assert outs[2].text == "ep:100%|##| 4/4\n"
    assert outs[4].text == "done\n"
    nbformat.validate(nb)
