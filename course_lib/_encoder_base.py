"""The interface shared by the encoders of :mod:`course_lib.modality_encoders` and
:mod:`course_lib.speech_encoders`, and their input checks (private)."""
from __future__ import annotations

import numpy as np


class _Encoder:
    name = "encoder"
    modality = ""

    def settings(self) -> dict:
        """Everything the output depends on (the feature cache's key)."""
        return {}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self.settings().items())})"


def _images(X) -> np.ndarray:
    X = np.asarray(X)
    if X.ndim != 4 or X.shape[1] != 3 or X.shape[0] < 1:
        raise ValueError(f"X must be images of shape (n, 3, H, W), got shape {X.shape}")
    return X


def _texts(texts) -> list[str]:
    texts = list(texts)
    if not texts or not all(isinstance(t, (str, np.str_)) and t.strip() for t in texts):
        raise ValueError("texts must be a non-empty sequence of non-empty strings")
    return [str(t) for t in texts]
