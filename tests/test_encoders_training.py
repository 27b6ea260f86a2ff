"""Tests for course_lib.encoders, course_lib.training and course_lib.recipes:
network shapes, input checks, seeded training, alignment, the model cache,
the shared splits, and the offline ImageNet network."""
import copy
import inspect

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from course_lib import data, encoders, recipes, training
from course_lib.alignment import mmd2
from course_lib.encoders import SmallCNN, extract_features, to_tensor
from course_lib.training import TrainConfig

pytestmark = pytest.mark.timeout(300)

QUIET = dict(progress=False)


def weights(net):
    return {k: v.detach().clone() for k, v in net.state_dict().items()}


def same_weights(a, b):
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


@pytest.fixture(scope="module")
def printed200():
    return data.load("printed", n=200, seed=0, size=16)


# --- SmallCNN and to_tensor -----------------------------------------------------------

def test_small_cnn_shapes():
    net = SmallCNN().eval()
    x = torch.rand(5, 3, 32, 32)
    assert net.features(x).shape == (5, 64), "features are (n, feat_dim)"
    assert net(x).shape == (5, 10), "logits are (n, num_classes)"
    other = SmallCNN(num_classes=3, feat_dim=16, in_channels=1, width=4).eval()
    assert other(torch.rand(2, 1, 20, 20)).shape == (2, 3), "any size thanks to adaptive pooling"
    assert other.features(torch.rand(2, 1, 20, 20)).shape == (2, 16)


def test_to_tensor_converts_without_changing_values():
    x = np.random.default_rng(0).random((2, 3, 4, 4))
    t = to_tensor(x)
    assert t.dtype == torch.float32 and torch.allclose(t, torch.from_numpy(x).float())
    y = torch.rand(2, 3, 4, 4)
    assert to_tensor(y) is y, "a float32 tensor is not copied"
    assert to_tensor(np.zeros((4, 5)), rank=2).shape == (4, 5)


@pytest.mark.parametrize("bad, error, pattern", [
    (np.zeros((3, 8, 8)), ValueError, "images must have 4 dimensions"),
    (np.zeros((1, 1, 3, 8, 8)), ValueError, "images must have 4 dimensions"),
    (np.full((1, 3, 8, 8), np.nan), ValueError, "images contains NaN"),
    (np.full((1, 3, 8, 8), np.inf), ValueError, "images contains NaN or inf"),
    ([[[[0.0]]]], TypeError, "images must be a numpy array or torch tensor"),
    ("pixels", TypeError, "images"),
])
def test_to_tensor_rejects_bad_input_by_name(bad, error, pattern):
    with pytest.raises(error, match=pattern):
        to_tensor(bad, name="images")


# --- extract_features and predict ------------------------------------------------------

@pytest.mark.parametrize("training_mode", [True, False])
def test_extract_features_shape_and_restores_the_mode(training_mode):
    net = SmallCNN()
    net.train(training_mode)
    X = np.random.default_rng(0).random((7, 3, 32, 32)).astype(np.float32)
    feats = extract_features(net, X, batch_size=3)
    assert feats.shape == (7, 64) and feats.dtype == np.float32
    assert net.training is training_mode, "the module's train/eval mode is restored"
    net.eval()
    with torch.no_grad():
        expected = net.features(torch.from_numpy(X)).numpy()
    assert np.allclose(feats, expected, atol=1e-5), "batched eval-mode features equal one eval pass"


def test_extract_features_uses_the_module_without_features():
    lin = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(3 * 2 * 2, 4))
    assert extract_features(lin, np.zeros((3, 3, 2, 2), np.float32)).shape == (3, 4)


def test_extract_features_rejects_bad_input():
    net = SmallCNN()
    with pytest.raises(ValueError, match="batch_size"):
        extract_features(net, np.zeros((2, 3, 8, 8), np.float32), batch_size=0)
    with pytest.raises(ValueError, match="X must have 4 dimensions"):
        extract_features(net, np.zeros((3, 8, 8), np.float32))
    assert net.training, "a rejected call leaves the mode alone"


def test_predict_shape():
    pred = training.predict(SmallCNN(), np.random.default_rng(0).random((9, 3, 32, 32)), batch_size=4)
    assert pred.shape == (9,) and pred.dtype == np.int64 and pred.min() >= 0 and pred.max() <= 9


# --- seeds, schedule, device -------------------------------------------------------------

def test_set_seed_makes_training_reproducible(printed200):
    cfg = TrainConfig(num_epochs=1, batch_size=50, seed=7, **QUIET)
    training.set_seed(0)
    start = SmallCNN(width=8)
    runs = []
    for _ in range(2):
        net = copy.deepcopy(start)
        history = training.train_classifier(net, printed200.X, printed200.y, cfg)
        runs.append((history, weights(net)))
    assert runs[0][0] == runs[1][0], "identical loss histories"
    assert same_weights(runs[0][1], runs[1][1]), "identical weights from the same start and seed"
    assert not same_weights(runs[0][1], weights(start)), "training changed the weights"


def test_set_seed_seeds_every_generator():
    gen = training.set_seed(3)
    a = (np.random.rand(), torch.rand(2), torch.rand(2, generator=gen))
    gen = training.set_seed(3)
    b = (np.random.rand(), torch.rand(2), torch.rand(2, generator=gen))
    assert a[0] == b[0] and torch.equal(a[1], b[1]) and torch.equal(a[2], b[2])
    assert isinstance(training.set_seed(np.int64(4)), torch.Generator), "NumPy integers are fine"
    training.set_seed(5)
    first = weights(SmallCNN())
    training.set_seed(5)
    assert same_weights(first, weights(SmallCNN())), "the same seed gives the same initialisation"


@pytest.mark.parametrize("seed", [-1, 1.5, True, "0", None])
def test_set_seed_rejects_bad_seeds(seed):
    with pytest.raises(ValueError, match="seed"):
        training.set_seed(seed)


def test_rampup_weight_goes_from_zero_to_one():
    assert training.rampup_weight(0.0) == 0.0, "no alignment at the start"
    values = [training.rampup_weight(p) for p in np.linspace(0, 1, 21)]
    assert all(a < b for a, b in zip(values, values[1:])), "strictly increasing"
    assert 0.999 < training.rampup_weight(1.0) < 1.0, "close to 1 at the end"
    assert training.rampup_weight(0.5, gamma=1.0) < training.rampup_weight(0.5), "gamma sets the speed"


def test_get_device():
    assert training.get_device("cpu") == torch.device("cpu")
    assert training.get_device().type in ("cpu", "cuda")


# --- train_classifier ----------------------------------------------------------------------

def test_train_classifier_reduces_the_loss(printed200):
    training.set_seed(0)
    net = SmallCNN(width=8)
    history = training.train_classifier(net, printed200.X, printed200.y,
                                        TrainConfig(num_epochs=3, batch_size=32, **QUIET))
    assert len(history) == 3 and all(np.isfinite(history)), "one finite mean loss per epoch"
    assert history[-1] < history[0], "the loss goes down"
    assert not net.training, "the network is returned in eval mode"


def test_train_classifier_rejects_bad_labels(printed200):
    with pytest.raises(ValueError, match="y must have shape"):
        training.train_classifier(SmallCNN(), printed200.X, printed200.y[:-1], TrainConfig(**QUIET))
    with pytest.raises(ValueError, match="X must have 4 dimensions"):
        training.train_classifier(SmallCNN(), printed200.X[0], printed200.y, TrainConfig(**QUIET))


# --- train_aligned -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def handwritten120():
    X = data.load("handwritten", size=16).X
    return X[np.random.default_rng(0).permutation(len(X))[:120]]


def test_train_aligned_histories_and_no_target_labels(printed200, handwritten120):
    assert not {"yt", "y_target", "yt_train"} & set(inspect.signature(training.train_aligned).parameters), \
        "the signature has no place for target labels"
    training.set_seed(0)
    net = SmallCNN(width=8)
    hist = training.train_aligned(net, printed200.X[:90], printed200.y[:90], handwritten120, mmd2,
                                  cfg=TrainConfig(num_epochs=2, batch_size=30, **QUIET))
    assert set(hist) == {"cls", "align"}
    assert len(hist["cls"]) == len(hist["align"]) == 2, "one entry per epoch"
    assert all(np.isfinite(hist["cls"] + hist["align"])) and min(hist["align"]) >= 0
    assert not net.training


def test_alignment_lowers_the_mmd_between_domains(printed200, handwritten120):
    """Same start, same batches: only the alignment weight differs."""
    Xs, ys = printed200.X[:120], printed200.y[:120]
    training.set_seed(0)
    start = SmallCNN(width=8)
    cfg = TrainConfig(num_epochs=8, batch_size=40, seed=0, **QUIET)
    final = {}
    for weight in (0.0, 5.0):
        net = copy.deepcopy(start)
        hist = training.train_aligned(net, Xs, ys, handwritten120, mmd2, weight=weight, cfg=cfg, schedule=False)
        fs = torch.from_numpy(extract_features(net, Xs))
        ft = torch.from_numpy(extract_features(net, handwritten120))
        final[weight] = (float(mmd2(fs, ft)), hist["align"][-1])
    assert final[5.0][1] < 0.5 * final[0.0][1], "the aligned run ends with a lower training MMD"
    assert final[5.0][0] < 0.8 * final[0.0][0], "and lower MMD between all source and target features"


@pytest.mark.parametrize("change, pattern", [
    (dict(Xt=np.zeros((10, 3, 8, 8), np.float32)), "Xs and Xt must have the same image shape"),
    (dict(Xt=np.zeros((10, 3, 16), np.float32)), "Xt must have 4 dimensions"),
    (dict(Xs=np.zeros((10, 3, 16), np.float32)), "Xs must have 4 dimensions"),
    (dict(ys=np.zeros(9, np.int64)), "ys must have shape"),
    (dict(weight=-0.1), "weight must be >= 0"),
])
def test_train_aligned_rejects_bad_input(change, pattern):
    args = dict(Xs=np.zeros((10, 3, 16, 16), np.float32), ys=np.zeros(10, np.int64),
                Xt=np.zeros((10, 3, 16, 16), np.float32), align=mmd2, weight=1.0)
    with pytest.raises(ValueError, match=pattern):
        training.train_aligned(SmallCNN(), **{**args, **change}, cfg=TrainConfig(**QUIET))


# --- cached_model ------------------------------------------------------------------------

def test_cached_model_trains_once_and_retrains_a_corrupt_checkpoint(fresh_cache):
    fits = []

    def make():
        training.set_seed(0)
        return SmallCNN(width=4)

    def fit(net):
        fits.append(1)
        with torch.no_grad():
            net.head.bias.add_(1.0)  # a recognisable "training" step

    params = {"toy": 1}
    first = training.cached_model("toy", params, make, fit)
    assert len(fits) == 1 and not first.training
    second = training.cached_model("toy", params, make, fit)
    assert len(fits) == 1, "the second call loads the checkpoint, fit is not called"
    assert same_weights(weights(first), weights(second)), "with the trained weights"
    (path,) = fresh_cache.joinpath("models").glob("toy-*.pt")
    path.write_bytes(path.read_bytes()[:100])
    third = training.cached_model("toy", params, make, fit)
    assert len(fits) == 2, "a corrupt checkpoint is trained again"
    assert same_weights(weights(first), weights(third))
    training.cached_model("toy", {"toy": 2}, make, fit)
    training.cached_model("toy", params, make, fit, rebuild=True)
    assert len(fits) == 4, "other params and rebuild=True both train"


# --- recipes -----------------------------------------------------------------------------

def row_keys(X):
    return [x.tobytes() for x in X]


def test_target_split_halves_are_disjoint_cover_all_and_deterministic():
    full = data.load("printed", n=40, seed=0)
    s = recipes.target_split("printed", seed=1, n=40)
    assert len(s.y_train) == len(s.y_test) == 20, "two halves"
    train, test = row_keys(s.X_train), row_keys(s.X_test)
    assert not set(train) & set(test), "no image is in both halves"
    assert sorted(train + test) == sorted(row_keys(full.X)), "together they are the whole set"
    assert np.array_equal(np.sort(np.concatenate([s.y_train, s.y_test])), np.sort(full.y)), "labels follow images"
    again = recipes.target_split("printed", seed=1, n=40)
    assert np.array_equal(s.X_train, again.X_train) and np.array_equal(s.y_test, again.y_test), "deterministic"
    other = recipes.target_split("printed", seed=2, n=40)
    assert not np.array_equal(s.X_train, other.X_train), "another seed splits otherwise"
    assert len(recipes.target_split("printed", train_fraction=0.25, n=40).y_train) == 10
    assert s.domain == "printed"


@pytest.mark.parametrize("fraction", [0, 1, -0.5, 1.5, float("nan")])
def test_target_split_rejects_bad_fraction(fraction):
    with pytest.raises(ValueError, match="train_fraction"):
        recipes.target_split("printed", train_fraction=fraction, n=40)


def test_source_cnn_rejects_a_bad_source():
    with pytest.raises(ValueError, match="source"):
        recipes.source_cnn(source="handwritten")


def test_source_cnn_is_trained_once_per_setting(fresh_cache, monkeypatch):
    calls = []
    real = recipes.train_classifier
    monkeypatch.setattr(recipes, "train_classifier", lambda *a, **k: calls.append(1) or real(*a, **k))
    a = recipes.source_cnn(seed=0, n=40, num_epochs=1)
    b = recipes.source_cnn(seed=0, n=40, num_epochs=1)
    assert len(calls) == 1, "the second call loads the cached network"
    assert isinstance(b, SmallCNN) and same_weights(weights(a), weights(b))


# --- EfficientNet-Lite0 -------------------------------------------------------------------

@pytest.fixture(scope="module")
def effnet():
    return encoders.efficientnet_lite0()


def test_efficientnet_classifies_chelsea_as_a_cat(effnet):
    from skimage import data as skdata

    img = skdata.chelsea()
    assert img.shape == (300, 451, 3)
    x = torch.from_numpy(img).permute(2, 0, 1)[None].float() / 255
    x = F.interpolate(x, size=(224, 224), mode="bilinear", align_corners=False) * 2 - 1  # [-1, 1]
    with torch.no_grad():
        logits = effnet(x)
    assert logits.shape == (1, 1000), "ImageNet-1k logits"
    assert 281 <= int(logits.argmax()) <= 285, "tabby, tiger cat, Persian, Siamese or Egyptian cat"
    assert not effnet.training, "the network comes in eval mode"


def test_imagenet_features_shape(effnet):
    X = np.random.default_rng(0).random((3, 3, 32, 32)).astype(np.float32)
    feats = encoders.imagenet_features(X, effnet, batch_size=2, progress=False)
    assert feats.shape == (3, 1280) and feats.dtype == np.float32 and np.isfinite(feats).all()
    one = encoders.imagenet_features(X[:1], effnet, progress=False)
    assert np.allclose(one, feats[:1], atol=1e-4), "batching does not change the features"


def test_get_device_defaults_to_cpu_without_cuda_and_names_bad_input():
    import torch
    from course_lib.training import get_device

    if not torch.cuda.is_available():
        assert get_device().type == "cpu", "without CUDA the default device is the CPU"
    assert get_device("cpu") == torch.device("cpu")
    with pytest.raises(ValueError, match="prefer"):
        get_device("not-a-device")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="prefer"):
            get_device("cuda")


def test_training_on_an_explicit_device_gives_the_same_network_as_the_default_on_cpu():
    import torch
    from course_lib.encoders import SmallCNN
    from course_lib.training import TrainConfig, predict, set_seed, train_classifier

    if torch.cuda.is_available():
        pytest.skip("the default device is CUDA here")
    rng = np.random.default_rng(0)
    X = rng.random((64, 3, 32, 32), dtype=np.float32)
    y = rng.integers(0, 10, 64)
    nets = []
    for device in (None, "cpu"):
        set_seed(0)
        net = SmallCNN()
        train_classifier(net, X, y, TrainConfig(num_epochs=1, batch_size=32, progress=False, device=device))
        nets.append(net)
    for a, b in zip(nets[0].state_dict().values(), nets[1].state_dict().values()):
        assert torch.equal(a, b), "device=None on a CPU-only machine is the CPU"
    assert predict(nets[1], X).shape == (64,)


# --- AdaBN and notebook 02's shared networks -------------------------------------------------------

def test_adabn_sets_batchnorm_statistics_to_those_of_the_data_and_changes_nothing_else():
    torch.manual_seed(0)
    net = SmallCNN().eval()
    X = torch.rand(50, 3, 32, 32) * 3 + 1  # far from the statistics of a fresh network
    before = copy.deepcopy(net.state_dict())
    out = training.adabn(net, X, batch_size=16)  # several batches: the cumulative average must be exact
    bn = out.encoder[1]
    with torch.no_grad():
        h = out.encoder[0](X)  # the input of the first BatchNorm layer
    assert torch.allclose(bn.running_mean, h.mean(dim=(0, 2, 3)), atol=1e-4), "running mean = data mean"
    per_batch_var = torch.stack([h[i:i + 16].var(dim=(0, 2, 3)) for i in range(0, 50, 16)])
    sizes = torch.tensor([16, 16, 16, 2.0])[:, None]
    assert torch.allclose(bn.running_var, (per_batch_var * sizes).sum(0) / 50, rtol=1e-3), "size-weighted variances"
    assert not out.training, "returned in eval mode"
    for k, v in net.state_dict().items():
        assert torch.equal(v, before[k]), f"the input network is left unchanged ({k})"
    for k, v in out.state_dict().items():
        if "running" not in k and "num_batches" not in k:
            assert torch.equal(v, before[k]), f"only BatchNorm statistics change ({k})"


def test_adabn_rejects_a_network_without_batchnorm_and_bad_batch_size():
    with pytest.raises(ValueError, match="BatchNorm"):
        training.adabn(torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(12, 2)), np.zeros((4, 3, 2, 2)))
    with pytest.raises(ValueError, match="batch_size"):
        training.adabn(SmallCNN(), np.zeros((4, 3, 32, 32), dtype=np.float32), batch_size=1)


@pytest.mark.parametrize("kwargs, pattern", [({"method": "DANN"}, "method"), ({"target": "printed"}, "target"),
                                             ({"weight": -1.0}, "weight")])
def test_adapted_cnn_names_bad_arguments(kwargs, pattern):
    args = {"seed": 0, "method": "Deep CORAL", "target": "handwritten", **kwargs}
    with pytest.raises(ValueError, match=pattern):
        recipes.adapted_cnn(**args)


def test_ceiling_cnn_names_a_bad_target():
    with pytest.raises(ValueError, match="target"):
        recipes.ceiling_cnn(0, "printed")
