"""Tests for course_lib.viz (figures) and course_lib.checks (exercise checks)."""
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.axes import Axes
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.legend import Legend

from course_lib import viz
from course_lib.data import DIGIT_WORDS
from course_lib.checks import check_answer
from course_lib.neighbours import neighbour_indices, neighbour_shares, same_class_other_domain_rate


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


def _legends(ax):
    return [a for a in ax.get_children() if isinstance(a, Legend)]


def _all_texts(ax):
    texts = [ax.title, ax.xaxis.label, ax.yaxis.label, *ax.get_xticklabels(), *ax.get_yticklabels()]
    for leg in _legends(ax):
        texts += [leg.get_title(), *leg.get_texts()]
    return [t for t in texts if t.get_text()]


def _scatter_example():
    rng = np.random.default_rng(1)
    y = np.repeat(np.arange(10), 6)
    dom = np.array(["printed", "handwritten"] * 30)
    return viz.scatter_2d(rng.normal(size=(60, 2)), y, marker_groups=dom, class_names=DIGIT_WORDS), y, dom


def test_scatter_2d_has_a_class_legend_with_names_and_a_grey_domain_legend():
    ax, y, dom = _scatter_example()
    legends = _legends(ax)
    assert len(legends) == 2, "one legend for colours (classes), one for markers (domains)"
    by_title = {leg.get_title().get_text(): leg for leg in legends}
    assert [t.get_text() for t in by_title["class"].get_texts()] == list(DIGIT_WORDS), "classes by name"
    assert [t.get_text() for t in by_title["domain"].get_texts()] == sorted(set(dom))
    class_colours = [to_rgba(h.get_color()) for h in by_title["class"].legend_handles]
    assert len(set(class_colours)) == 10, "ten different class colours"
    for h in by_title["domain"].legend_handles:
        assert to_rgba(h.get_markeredgecolor()) == to_rgba(viz.LEGEND_GREY), "domain handles really are grey"
        assert to_rgba(h.get_markeredgecolor()) not in class_colours
    fills = [h.get_markerfacecolor() for h in by_title["domain"].legend_handles]
    assert to_rgba(fills[0]) == to_rgba(viz.LEGEND_GREY) and fills[1] == "none", "filled vs hollow"


def test_scatter_2d_points_take_their_class_colour_and_domains_differ_in_marker_and_fill():
    ax, y, dom = _scatter_example()
    class_leg = {leg.get_title().get_text(): leg for leg in _legends(ax)}["class"]
    colour_of = {i: to_rgba(h.get_color()) for i, h in enumerate(class_leg.legend_handles)}
    filled, hollow = ax.collections  # domains in sorted order: handwritten (filled), printed (hollow)
    y_f, y_h = y[dom == "handwritten"], y[dom == "printed"]
    assert np.allclose(filled.get_facecolors()[:, :3], [colour_of[c][:3] for c in y_f]), "fill = class colour"
    assert len(hollow.get_facecolors()) == 0 or np.all(hollow.get_facecolors()[:, 3] == 0), "hollow markers"
    assert np.allclose(hollow.get_edgecolors()[:, :3], [colour_of[c][:3] for c in y_h]), "edge = class colour"
    assert filled.get_paths()[0] != hollow.get_paths()[0], "different marker shapes"
    assert min(filled.get_sizes()) >= 15, "markers big enough to tell domains apart"


def test_scatter_2d_keeps_a_class_colour_across_figures():
    Z = np.zeros((3, 2))
    a = viz.scatter_2d(Z, np.array([0, 3, 3]))
    b = viz.scatter_2d(Z, np.array([3, 5, 5]))
    colour = lambda ax, label: next(to_rgba(h.get_color()) for h, t in
                                    zip(_legends(ax)[0].legend_handles, _legends(ax)[0].get_texts())
                                    if t.get_text() == label)
    assert colour(a, "3") == colour(b, "3"), "class 3 has one colour whichever classes are present"


def test_every_text_of_the_course_figures_is_at_least_8_points():
    ax, _, _ = _scatter_example()
    bar = viz.results_bar(["source only", "Deep CORAL"], [0.5, 0.7], [0.02, 0.03], title="t")
    grid = viz.image_grid(np.zeros((3, 8, 8)), labels=["a", "b", "c"], ncols=3)
    for texts in (_all_texts(ax), _all_texts(bar), [a.title for a in grid.axes if a.get_title()]):
        assert texts and min(t.get_fontsize() for t in texts) >= viz.MIN_FONT


@pytest.mark.parametrize("kwargs, match", [
    (dict(Z=np.zeros((4, 3))), "Z must have shape"), (dict(color=np.zeros(3)), "color must have shape"),
    (dict(marker_groups=np.zeros(5)), "marker_groups must have shape"),
    (dict(class_names=["zero"]), "class_names must name every class value"),
])
def test_scatter_2d_rejects_bad_input(kwargs, match):
    args = {"Z": np.zeros((4, 2)), "color": np.array([0, 1, 1, 0]), **kwargs}
    with pytest.raises(ValueError, match=match):
        viz.scatter_2d(**args)


def test_results_bar():
    ax = viz.results_bar(["a", "b", "c"], [0.5, 0.7, 0.9], [0.1, 0.0, 0.05], title="t")
    assert isinstance(ax, Axes) and len(ax.patches) == 3, "one bar per name"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "c"]
    assert ax.get_ylim() == (0, 1), "accuracies share the [0, 1] axis"
    assert ax.get_ylabel() == "target accuracy", "the y axis says what the bars measure"
    assert viz.results_bar(["a"], [12.0], [1.0], ylabel="MMD^2", ylim=None).get_ylim()[1] > 12, "ylim=None: auto"


@pytest.mark.parametrize("ylabel", ["", "  ", None])
def test_results_bar_needs_a_y_label(ylabel):
    with pytest.raises(ValueError, match="ylabel must be a non-empty string"):
        viz.results_bar(["a"], [0.5], [0.1], ylabel=ylabel)


@pytest.mark.parametrize("names, means, stds", [
    (["a", "b"], [0.5], [0.1, 0.1]), (["a"], [0.5], [0.1, 0.2]), (["a", "b", "c"], [0.1, 0.2], [0.1, 0.2]),
])
def test_results_bar_rejects_length_mismatch(names, means, stds):
    with pytest.raises(ValueError, match="names, means and stds must have the same length"):
        viz.results_bar(names, means, stds)


# --- neighbours: same class from another domain ---------------------------------

def _notebook_00_inline(Z, y, domain, k):
    """Notebook 00's inline computation (cell 22), the reference."""
    from sklearn.neighbors import NearestNeighbors

    _, nbrs = NearestNeighbors(n_neighbors=k + 1).fit(Z).kneighbors(Z)
    nbrs = nbrs[:, 1:]
    same_domain = domain[nbrs] == domain[:, None]
    same_class = y[nbrs] == y[:, None]
    return same_domain, same_class


def test_same_class_other_domain_rate_matches_notebook_00_and_a_plain_loop():
    rng = np.random.default_rng(0)
    Z, y, dom = rng.normal(size=(80, 5)), rng.integers(0, 4, 80), rng.choice(["a", "b", "c"], 80)
    rate = same_class_other_domain_rate(Z, y, dom, k=10)
    same_domain, same_class = _notebook_00_inline(Z, y, dom, 10)
    assert rate.shape == (80,)
    assert np.allclose(rate, (same_class & ~same_domain).mean(axis=1)), "agrees with notebook 00 per point"
    assert np.isclose(rate.mean(), (same_class & ~same_domain).mean()), "and in the mean it prints"
    D = ((Z[:, None] - Z[None]) ** 2).sum(-1)
    for i in range(80):  # plain loop: sort distances, skip the point itself
        order = [j for j in np.argsort(D[i], kind="stable") if j != i][:10]
        assert rate[i] == sum(y[j] == y[i] and dom[j] != dom[i] for j in order) / 10
    shares = neighbour_shares(Z, y, dom, k=10)
    assert np.allclose(shares["same_domain"], same_domain.mean(1)) and np.allclose(shares["same_class"], same_class.mean(1))


def test_same_class_other_domain_rate_rises_when_domains_mix():
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(3), 40)
    dom = np.tile([0, 1], 60)
    centres = rng.normal(scale=10, size=(3, 2))
    shifted = centres[y] + 20 * dom[:, None] + rng.normal(size=(120, 2))  # domains far apart
    mixed = centres[y] + rng.normal(size=(120, 2))  # domains on top of each other, classes apart
    assert same_class_other_domain_rate(shifted, y, dom).mean() == 0.0, "separate domains: no such neighbour"
    assert same_class_other_domain_rate(mixed, y, dom).mean() > 0.4, "mixed domains: about half of them"


def test_rate_is_invariant_to_relabelling_and_the_point_itself_never_counts():
    Z = np.array([[0.0], [0.0], [0.0], [1.0]])  # duplicates tie with the point itself
    y, dom = np.array([0, 0, 0, 0]), np.array([0, 0, 1, 1])
    nbrs = neighbour_indices(Z, k=2)
    assert all(i not in row for i, row in enumerate(nbrs)), "a point is never its own neighbour"
    r = same_class_other_domain_rate(Z, y, dom, k=2)
    assert np.array_equal(r, same_class_other_domain_rate(Z, y + 7, np.array(["x", "x", "y", "y"]), k=2))


@pytest.mark.parametrize("kwargs, match", [
    (dict(k=0), "k must be an integer in"), (dict(k=6), r"k must be an integer in \[1, 5\]"),
    (dict(k=2.0), "k must be an integer"), (dict(y=np.zeros(5)), "Z and y must have the same number"),
    (dict(domain=np.zeros((6, 1))), "domain must be a 1-d"), (dict(Z=np.zeros(6)), "Z must be 2-d"),
])
def test_neighbour_rate_rejects_bad_input(kwargs, match):
    args = dict(Z=np.random.default_rng(0).normal(size=(6, 2)), y=np.zeros(6), domain=np.arange(6) % 2, k=2)
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        same_class_other_domain_rate(**args)


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


def test_tidy_outputs_drops_widget_outputs_and_widget_state():
    import nbformat

    cell = nbformat.v4.new_code_cell("load()")
    cell.outputs = [nbformat.v4.new_output("display_data", data={
                        "application/vnd.jupyter.widget-view+json": {"model_id": "x", "version_major": 2,
                                                                     "version_minor": 0},
                        "text/plain": "Loading weights:   0%|  | 0/103"}),
                    nbformat.v4.new_output("display_data", data={"text/plain": "<Figure>"})]
    nb = nbformat.v4.new_notebook(cells=[cell], metadata={"widgets": {"state": {}}})
    _runner().tidy_outputs(nb)
    assert [o.data.get("text/plain") for o in nb.cells[0].outputs] == ["<Figure>"], "the widget output is gone"
    assert "widgets" not in nb.metadata, "no widget state: the website then needs no widget scripts from a CDN"
    nbformat.validate(nb)
