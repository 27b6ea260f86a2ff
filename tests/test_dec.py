"""course_lib.dec and course_lib.autoencoder: the modules split out of deep_clustering keep one set of objects."""
import ast
from pathlib import Path

import course_lib.autoencoder as autoencoder
import course_lib.dec as dec
import course_lib.deep_clustering as deep_clustering


def test_deep_clustering_re_exports_the_same_objects():
    for mod in (dec, autoencoder):
        for name in mod.__all__:
            assert getattr(deep_clustering, name) is getattr(mod, name), f"deep_clustering.{name} is not {mod.__name__}.{name}"


def test_split_modules_do_not_import_deep_clustering():
    # no cycle: dec -> autoencoder, deep_clustering -> both, never back
    for mod in (dec, autoencoder):
        tree = ast.parse(Path(mod.__file__).read_text())
        froms = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        assert "deep_clustering" not in froms, f"{mod.__name__} imports deep_clustering"
    tree = ast.parse(Path(autoencoder.__file__).read_text())
    assert "dec" not in {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}


def test_modules_stay_small():
    for mod in (dec, autoencoder, deep_clustering):
        n = len(Path(mod.__file__).read_text().splitlines())
        assert n < 400, f"{mod.__name__} has {n} lines"
