"""course_lib.dec and course_lib.autoencoder: the modules split out of deep_clustering keep one set of objects."""
import ast
from pathlib import Path

import course_lib.autoencoder as autoencoder
import course_lib.dec as dec
import course_lib.deep_clustering as deep_clustering


def test_deep_clustering_re_exports_the_same_objects():
    for mod in (dec, autoencoder):
        for name in mod.__all__:
            assert getattr(deep_clustering, name) is getattr(mod, name), \
                f"deep_clustering.{name} is not {mod.__name__}.{name}"


def test_split_modules_do_not_import_deep_clustering():
    # no cycle: dec -> autoencoder, deep_clustering -> both, never back
    for mod in (dec, autoencoder):
        tree = ast.parse(Path(mod.__file__).read_text())
        froms = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        assert "deep_clustering" not in froms, f"{mod.__name__} imports deep_clustering"
    tree = ast.parse(Path(autoencoder.__file__).read_text())
    froms = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert "dec" not in froms, "autoencoder imports dec"


def test_modules_stay_small():
    for mod in (dec, autoencoder, deep_clustering):
        n = len(Path(mod.__file__).read_text().splitlines())
        assert n < 400, f"{mod.__name__} has {n} lines"


# ---------------------------------------------------------------- new options: a given start, callbacks, seeds
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from course_lib.autoencoder import AEConfig, ConvAutoencoder, finetune_aligned, pretrain  # noqa: E402
from course_lib.alignment import mmd2  # noqa: E402
from course_lib.deep_clustering import run_seeds  # noqa: E402
from course_lib.dec import fit_dec  # noqa: E402

CFG = dict(batch_size=16, lr=1e-3, progress=False)


def blobs(n=40, seed=0):
    rng = np.random.default_rng(seed)
    y = np.repeat([0, 1], n // 2)
    X = rng.uniform(0, 0.1, (n, 1, 32, 32)).astype(np.float32)
    X[y == 0, 0, :16] += 0.8
    X[y == 1, 0, 16:] += 0.8
    return np.clip(X, 0, 1), y


def test_fit_dec_given_start_is_its_starting_partition():
    X, y = blobs()
    torch.manual_seed(0)
    net = ConvAutoencoder(latent_dim=4, in_channels=1, width=4, num_classes=None)
    start = np.array([1, 0])[y]  # any partition found without labels; names may differ from y
    out = fit_dec(net, X, k=2, num_iters=4, update_interval=2, init_labels=start, cfg=AEConfig(**CFG))
    assert np.array_equal(out.init_labels, start), "init_labels must be returned as the start"
    assert np.allclose(out.head.centres.shape, (2, 4))


@pytest.mark.parametrize("bad", [np.zeros(40, int), np.zeros(39, int), np.full(40, 5)])
def test_fit_dec_rejects_a_start_that_is_not_a_partition_into_k(bad):
    X, _ = blobs()
    net = ConvAutoencoder(latent_dim=4, in_channels=1, width=4, num_classes=None)
    with pytest.raises(ValueError, match="init_labels"):
        fit_dec(net, X, k=2, num_iters=2, init_labels=bad, cfg=AEConfig(**CFG))


def test_on_epoch_is_called_once_per_epoch_in_eval_mode_and_does_not_change_training():
    X, _ = blobs()
    seen = []
    torch.manual_seed(0)
    a = ConvAutoencoder(latent_dim=4, in_channels=1, width=4, num_classes=None)
    b = ConvAutoencoder(latent_dim=4, in_channels=1, width=4, num_classes=None)
    b.load_state_dict(a.state_dict())
    pretrain(a, X, cfg=AEConfig(num_epochs=3, seed=1, **CFG), on_epoch=lambda net, e: seen.append((e, net.training)))
    pretrain(b, X, cfg=AEConfig(num_epochs=3, seed=1, **CFG))
    assert seen == [(1, False), (2, False), (3, False)]
    same = all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    assert same, "a read-only callback changed training"
    seen.clear()
    finetune_aligned(a, X, X[::-1].copy(), mmd2, 1.0, cfg=AEConfig(num_epochs=2, seed=1, **CFG),
                     on_epoch=lambda net, e: seen.append(e))
    assert seen == [1, 2]


def test_on_epoch_must_be_callable():
    X, _ = blobs()
    net = ConvAutoencoder(latent_dim=4, in_channels=1, width=4, num_classes=None)
    with pytest.raises(ValueError, match="on_epoch"):
        pretrain(net, X, cfg=AEConfig(num_epochs=1, **CFG), on_epoch=3)
    with pytest.raises(ValueError, match="on_epoch"):
        finetune_aligned(net, X, X, mmd2, cfg=AEConfig(num_epochs=1, **CFG), on_epoch="x")


def test_run_seeds_in_workers_equals_a_plain_loop():
    seeds = [3, -1, 2]
    assert run_seeds(abs, seeds, n_jobs=2) == [abs(s) for s in seeds] == run_seeds(abs, seeds, n_jobs=1)


@pytest.mark.parametrize("kw, match", [(dict(fn=abs, seeds=[1], n_jobs=0), "n_jobs"), (dict(fn=3, seeds=[1]), "fn")])
def test_run_seeds_bad_input(kw, match):
    with pytest.raises(ValueError, match=match):
        run_seeds(**kw)
