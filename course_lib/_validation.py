"""Private input checks shared by the modules of ``course_lib``.

Every public function of the package validates its arguments with these
helpers, so that bad input fails early with a message that names the argument
and says what shape or value it got, e.g.::

    ValueError: xs must be a 2-d array of shape (n_samples, n_features);
    got shape (5,).

Nothing here is part of the public API.
"""

import numpy as np
import torch

__all__ = [
    "as_2d_tensor",
    "as_2d_array",
    "check_same_dim",
    "as_1d_labels",
    "check_same_length",
]


def _check_2d_shape(shape, name, min_samples):
    """Raise ValueError unless ``shape`` is ``(n, d)`` with ``n >= min_samples``."""
    shape = tuple(shape)
    if len(shape) != 2:
        raise ValueError(
            f"{name} must be 2-d of shape (n_samples, n_features); "
            f"got shape {shape} (rank {len(shape)})."
        )
    if shape[0] < min_samples:
        raise ValueError(
            f"{name} needs at least {min_samples} samples (rows); got shape {shape}."
        )
    if shape[1] < 1:
        raise ValueError(f"{name} needs at least 1 feature (column); got shape {shape}.")


def as_2d_tensor(x, name, min_samples=2):
    """Check that ``x`` is a finite 2-d float tensor and return it.

    Parameters
    ----------
    x : torch.Tensor or numpy.ndarray, shape (n_samples, n_features)
        Input data.  A tensor keeps its device and its autograd graph (it is
        never detached); a NumPy array is converted with ``torch.as_tensor``.
    name : str
        Argument name used in error messages.
    min_samples : int, default=2
        Minimum number of rows.

    Returns
    -------
    torch.Tensor, shape (n_samples, n_features)
        Floating tensor: float16/32/64 are kept, integer and boolean inputs
        become float32.

    Raises
    ------
    TypeError
        If ``x`` is neither a tensor nor an array, or is complex.
    ValueError
        If ``x`` is not 2-d, has fewer than ``min_samples`` rows, or contains
        NaN or inf.
    """
    if isinstance(x, np.ndarray):
        if np.iscomplexobj(x) or x.dtype.kind not in "biuf":
            raise TypeError(f"{name} must hold real numbers; got dtype {x.dtype}.")
        x = torch.as_tensor(np.ascontiguousarray(x))
    elif not isinstance(x, torch.Tensor):
        raise TypeError(
            f"{name} must be a torch.Tensor or numpy.ndarray; got {type(x).__name__}."
        )
    if x.is_complex():
        raise TypeError(f"{name} must hold real numbers; got dtype {x.dtype}.")
    _check_2d_shape(x.shape, name, min_samples)
    if not x.is_floating_point():
        x = x.float()
    if not bool(torch.isfinite(x).all()):
        raise ValueError(
            f"{name} contains NaN or inf values (shape {tuple(x.shape)})."
        )
    return x


def as_2d_array(X, name, min_samples=2):
    """Check that ``X`` is a finite 2-d real array and return it as float64.

    Parameters
    ----------
    X : array-like or torch.Tensor, shape (n_samples, n_features)
        Input data; tensors are detached and moved to the CPU.
    name : str
        Argument name used in error messages.
    min_samples : int, default=2
        Minimum number of rows.

    Returns
    -------
    numpy.ndarray of float64, shape (n_samples, n_features)

    Raises
    ------
    TypeError
        If ``X`` cannot be read as an array of real numbers.
    ValueError
        If ``X`` is not 2-d, has fewer than ``min_samples`` rows, or contains
        NaN or inf.
    """
    if isinstance(X, torch.Tensor):
        X = X.detach().cpu().numpy()
    elif not isinstance(X, (np.ndarray, list, tuple)):
        raise TypeError(
            f"{name} must be a numpy.ndarray, list or torch.Tensor; "
            f"got {type(X).__name__}."
        )
    X = np.asarray(X)
    if np.iscomplexobj(X) or X.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold real numbers; got dtype {X.dtype}.")
    _check_2d_shape(X.shape, name, min_samples)
    X = X.astype(np.float64, copy=False)
    if not np.isfinite(X).all():
        raise ValueError(f"{name} contains NaN or inf values (shape {X.shape}).")
    return X


def check_same_dim(a, b, name_a, name_b):
    """Raise ValueError unless the 2-d inputs ``a`` and ``b`` have the same number of columns.

    Parameters
    ----------
    a, b : torch.Tensor or numpy.ndarray, shapes (n, d_a) and (m, d_b)
    name_a, name_b : str
        Argument names used in the error message.
    """
    if a.shape[1] != b.shape[1]:
        raise ValueError(
            f"{name_a} and {name_b} must have the same number of features; "
            f"got {name_a} with shape {tuple(a.shape)} and {name_b} with shape "
            f"{tuple(b.shape)}."
        )


def as_1d_labels(y, name):
    """Check that ``y`` is a non-empty 1-d label vector without NaN.

    Parameters
    ----------
    y : array-like or torch.Tensor, shape (n_samples,)
        Labels of any hashable, sortable type (ints, strings, ...).
    name : str
        Argument name used in error messages.

    Returns
    -------
    numpy.ndarray, shape (n_samples,)

    Raises
    ------
    ValueError
        If ``y`` is not 1-d, is empty, or contains NaN (or None).
    """
    if isinstance(y, torch.Tensor):
        y = y.detach().cpu().numpy()
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(
            f"{name} must be a 1-d array of labels of shape (n_samples,); "
            f"got shape {y.shape}."
        )
    if y.shape[0] == 0:
        raise ValueError(f"{name} is empty (shape {y.shape}).")
    if y.dtype.kind in "fc":
        bad = ~np.isfinite(y)
    elif y.dtype.kind == "O":
        # NaN is the only value that differs from itself.
        bad = np.array([v is None or v != v for v in y], dtype=bool)
    else:
        bad = np.zeros(y.shape, dtype=bool)
    if bad.any():
        raise ValueError(
            f"{name} contains {int(bad.sum())} missing (NaN/None/inf) labels "
            f"(shape {y.shape})."
        )
    return y


def check_same_length(a, b, name_a, name_b):
    """Raise ValueError unless ``a`` and ``b`` have the same number of samples.

    Parameters
    ----------
    a, b : array-like, shapes (n, ...) and (m, ...)
    name_a, name_b : str
        Argument names used in the error message.
    """
    if len(a) != len(b):
        raise ValueError(
            f"{name_a} and {name_b} must have the same number of samples; "
            f"got {name_a} with shape {tuple(np.shape(a))} and {name_b} with "
            f"shape {tuple(np.shape(b))}."
        )


def check_int(value, name, low=None, high=None):
    """Return ``int(value)`` if it is an integer (not a bool) in ``[low, high]``.

    Either bound may be None. Raises ValueError naming ``name``, the allowed
    range and the value it got.
    """
    ok = not isinstance(value, bool) and isinstance(value, (int, np.integer))
    ok = ok and (low is None or value >= low) and (high is None or value <= high)
    if not ok:
        if low is not None and high is not None:
            allowed = f" in [{low}, {high}]"
        elif low is not None:
            allowed = f" >= {low}"
        elif high is not None:
            allowed = f" <= {high}"
        else:
            allowed = ""
        raise ValueError(f"{name} must be an integer{allowed}, got {value!r}")
    return int(value)

