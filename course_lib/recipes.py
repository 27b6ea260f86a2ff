"""Ready-made steps that several notebooks share: the digit splits, the source CNN, its adapted and ceiling
networks, and the class-aware adaptation of the shaped source (notebooks 03 and 05).

Kept here (and tested) so that the notebooks train the *same* networks, share one cache entry for each, and
evaluate on the *same* target split.
"""
from __future__ import annotations

import numpy as np
import torch
from sklearn.utils import Bunch

from . import data
from .encoders import SmallCNN
from .training import TrainConfig, cached_model, set_seed, train_classifier

__all__ = ["target_split", "source_cnn", "adapted_cnn", "ceiling_cnn", "ADAPT", "shaped_class_aware", "SHAPE_EPOCHS", "CLASS_AWARE",
           "CLASS_AWARE_VARIANTS", "im_picked_cnn"]


def target_split(domain: str, seed: int = 0, train_fraction: float = 0.5, **load_kwargs) -> Bunch:
    """Split a digit domain into an (unlabelled) adaptation half and a test half.

    Returns
    -------
    Bunch with ``X_train, y_train, X_test, y_test`` (``y_train`` is only for
    the ceiling and for few-label experiments: adaptation never reads it).
    """
    if not 0 < train_fraction < 1:
        raise ValueError(f"train_fraction must be in (0, 1), got {train_fraction}")
    d = data.load(domain, **load_kwargs)
    perm = np.random.default_rng(seed).permutation(len(d.y))
    k = int(round(train_fraction * len(perm)))
    tr, te = np.sort(perm[:k]), np.sort(perm[k:])
    return Bunch(X_train=d.X[tr], y_train=d.y[tr], X_test=d.X[te], y_test=d.y[te], domain=domain)


def source_cnn(seed: int = 0, source: str = "printed", n: int = 2000, num_epochs: int = 5,
               progress: bool = False, rebuild: bool = False) -> SmallCNN:
    """A :class:`SmallCNN` trained on a labelled source domain (cached per seed).

    Parameters
    ----------
    seed : seeds initialisation and batch order (the data set itself uses seed 0).
    source : "printed" or "textured" (the domains with a generator and ``n``).
    n : number of source images.
    num_epochs : training epochs.
    """
    if source not in ("printed", "textured"):
        raise ValueError(f"source must be 'printed' or 'textured', got {source!r}")
    params = {"source": source, "n": n, "seed": seed, "num_epochs": num_epochs, "arch": "SmallCNN-16-64", "v": 1}

    def make():
        set_seed(seed)
        return SmallCNN()

    def fit(net):  # the source data are loaded only when there is no checkpoint to reuse
        src = data.load(source, n=n)
        train_classifier(net, src.X, src.y, TrainConfig(num_epochs=num_epochs, seed=seed, progress=progress))

    return cached_model(f"cnn-{source}", params, make, fit, rebuild=rebuild)


def _fit_channels_last(net, fit) -> None:
    """Run ``fit(net)`` with the weights in channels-last memory layout, then restore the default layout.

    The same network and the same maths: only how convolution weights sit in memory changes, which makes
    training SmallCNN on the CPU about a third faster (measured with one thread).
    """
    net.to(memory_format=torch.channels_last)
    try:
        fit(net)
    finally:
        net.to(memory_format=torch.contiguous_format)


def _alignment_loss(method: str):
    """The alignment loss of notebook 02 for a method name (weight 0 still uses the loss, times 0)."""
    from .alignment import coral_loss, median_bandwidth, mmd2

    def dan_mmd(fs, ft):  # multi-kernel MMD^2, bandwidths around this batch's median heuristic (DAN-style)
        sigma = median_bandwidth(fs, ft)
        return mmd2(fs, ft, bandwidth=[sigma * m for m in (0.5, 1.0, 2.0, 4.0)])

    losses = {"Deep CORAL": coral_loss, "MMD (DAN-style)": dan_mmd}
    if method not in losses:
        raise ValueError(f"method must be one of {sorted(losses)}, got {method!r}")
    return losses[method]


# Notebook 02's fine-tuning budget, shared by every aligned network and its lambda = 0 control: one pass over
# the 2,000 printed digits (31 steps of 64 source + 64 target images) at Adam's default learning rate.
ADAPT = {"num_epochs": 1, "lr": 1e-3}


def adapted_cnn(seed: int, method: str, target: str, weight: float = 1.0, progress: bool = False) -> SmallCNN:
    """The source CNN of ``seed`` fine-tuned with notebook 02's alignment loss (cached).

    Starts from :func:`source_cnn` (printed, 5 epochs) and runs
    :func:`course_lib.training.train_aligned` for ``ADAPT`` epochs on the
    labelled printed digits plus the unlabelled adaptation half of
    ``target_split(target)``. ``weight=0`` is the control: the same mixed
    batches, epochs and BatchNorm exposure to target images, no alignment.

    Parameters
    ----------
    seed : seed of the source CNN and of the fine-tuning.
    method : "Deep CORAL" or "MMD (DAN-style)".
    target : "handwritten" or "textured".
    weight : alignment weight lambda (>= 0).
    """
    from .training import train_aligned

    align = _alignment_loss(method)
    if target not in ("handwritten", "textured"):
        raise ValueError(f"target must be 'handwritten' or 'textured', got {target!r}")
    if not weight >= 0:
        raise ValueError(f"weight must be >= 0, got {weight!r}")

    def make():
        net = SmallCNN()
        net.load_state_dict(source_cnn(seed).state_dict())
        return net

    def fit(net):
        printed = data.load("printed")
        split = target_split(target)
        _fit_channels_last(net, lambda n: train_aligned(n, printed.X, printed.y, split.X_train, align, weight=weight,
                                                        cfg=TrainConfig(seed=seed, progress=progress, **ADAPT)))

    params = {"seed": seed, "method": method, "weight": weight, "target": target, **ADAPT, "layout": "channels_last",
              "v": 2}
    return cached_model("adapted", params, make, fit)


def ceiling_cnn(seed: int, target: str, num_epochs: int = 10) -> SmallCNN:
    """The target-supervised ceiling: a SmallCNN trained on the labelled adaptation half of ``target`` (cached)."""
    if target not in ("handwritten", "textured"):
        raise ValueError(f"target must be 'handwritten' or 'textured', got {target!r}")

    def make():
        set_seed(seed)
        return SmallCNN()

    def fit(net):
        split = target_split(target)
        _fit_channels_last(net, lambda n: train_classifier(n, split.X_train, split.y_train,
                                                           TrainConfig(num_epochs=num_epochs, seed=seed, progress=False)))

    params = {"seed": seed, "target": target, "num_epochs": num_epochs, "layout": "channels_last", "v": 2}
    return cached_model("ceiling", params, make, fit)


SHAPE_EPOCHS = 15                          # the shaped source CNN that starts class-aware adaptation (notebook 03)
CLASS_AWARE = {"num_epochs": 8, "lr": 1e-3}  # class-aware adaptation of that CNN, a checkpoint scored every 2 epochs
#: notebook 03's two class-aware variants: the weight of the k-means pseudo-label loss beside information maximisation
CLASS_AWARE_VARIANTS = {"IM only": 0.0, "IM + pseudo-labels": 0.3}


def _channels_last_net(state) -> SmallCNN:
    """A SmallCNN with the weights ``state``, channels-last and in evaluation mode."""
    net = SmallCNN()
    net.load_state_dict(state)
    return net.to(memory_format=torch.channels_last).eval()


def shaped_class_aware(seed: int, pl_weight: float, shape_epochs: int = SHAPE_EPOCHS):
    """Notebook 03's class-aware adaptation of the shaped source CNN to the handwritten target (cached).

    Starts from :func:`course_lib.source_shaping.shaped_source_cnn` (channels-last) and runs
    :func:`course_lib.class_aware.train_class_aware` on the unlabelled adaptation half (``pl_weight`` = 0:
    information maximisation only; > 0: plus k-means pseudo-labels started at the class centres of 500
    shaped-source images), :data:`CLASS_AWARE` epochs. Notebooks 03 and 05 both call this, so one cache entry
    serves both.

    Returns
    -------
    (net, history): the network after the last epoch and :func:`train_class_aware`'s history, plus, for every
    second epoch ``e``: ``criteria[e]`` (the label-free criteria of :data:`course_lib.selection.CRITERIA` on the
    unlabelled adaptation half; source accuracy on 500 held-out printed renders), ``probs[e]`` (softmax outputs
    on that half, a tensor of shape (n, 10)) and ``test_acc[e]`` (accuracy on the test half: scores only, never
    read by training or by a label-free choice). ``pl_acc`` / ``target_acc`` are likewise analysis only.
    """
    from .adversarial import cached_training
    from .class_aware import train_class_aware
    from .selection import criteria_from_outputs, features_and_proba, source_accuracy
    from .source_shaping import shaped_source, shaped_source_cnn
    from .training import predict

    def make():
        return _channels_last_net(shaped_source_cnn(seed, num_epochs=shape_epochs, channels_last=True).state_dict())

    def fit(net):
        split, src = target_split("handwritten"), shaped_source(seed=seed)
        hist = train_class_aware(net, split.X_train, TrainConfig(seed=seed, progress=False, **CLASS_AWARE),
                                 pl_weight=pl_weight, Xs=src.X[:500], ys=src.y[:500], yt_eval=split.y_train)
        held_out = data.load("printed", n=500, seed=1)
        hist["criteria"], hist["test_acc"], hist["probs"] = {}, {}, {}
        for e in range(2, CLASS_AWARE["num_epochs"] + 1, 2):
            ckpt = _channels_last_net(hist["checkpoints"][e - 1])
            feats, probs = features_and_proba(ckpt, split.X_train)
            hist["probs"][e] = torch.from_numpy(probs)
            hist["criteria"][e] = criteria_from_outputs(feats, probs, source_accuracy(ckpt, held_out.X, held_out.y))
            hist["test_acc"][e] = float((predict(ckpt, split.X_test) == split.y_test).mean())
        return hist

    params = {"seed": seed, "target": "handwritten", "start": "shaped", "pl_weight": pl_weight,
              "shape_epochs": shape_epochs, **CLASS_AWARE, "v": 3}
    return cached_training("nb03-class-aware", params, make, fit)


def im_picked_cnn(seed: int, shape_epochs: int = SHAPE_EPOCHS) -> tuple[str, SmallCNN]:
    """Notebook 03's label-free pick: the class-aware checkpoint with the highest IM score on the unlabelled target.

    The candidates are every scored checkpoint (every second epoch) of the two
    :data:`CLASS_AWARE_VARIANTS` of :func:`shaped_class_aware`; the IM score was computed on the unlabelled
    adaptation half of the handwritten digits when the run was made, so the choice reads no target label
    (ties: the first candidate). Notebooks 05 and 08 start from this network.

    Returns
    -------
    (name, net): the pick as ``"<variant>, epoch <e>"`` and the network (evaluation mode, channels-last).
    """
    from ._validation import check_int
    from .selection import select

    seed, shape_epochs = check_int(seed, "seed", 0), check_int(shape_epochs, "shape_epochs", 1)
    cands = {}
    for name, w in CLASS_AWARE_VARIANTS.items():
        hist = shaped_class_aware(seed, w, shape_epochs)[1]
        for e, crit in hist["criteria"].items():
            cands[f"{name}, epoch {e}"] = (crit["IM score"], hist["checkpoints"][e - 1])
    best, _ = select(cands, lambda c: c[0])
    return best, _channels_last_net(cands[best][1])
