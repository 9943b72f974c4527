"""The Santa Fe laser series (competition data set A), from the ``reservoirpy`` wheel.

``reservoirpy`` ships the series as ``reservoirpy/datasets/santafe_laser.npy``
(10,093 integer intensities, shape ``(10093, 1)``, from McNames' copy of the
competition data). We read that file with numpy, locating the package with
``importlib.util.find_spec`` so that reservoirpy itself (and what it imports) is
never imported, and nothing is downloaded.

The competition (Weigend & Gershenfeld 1993): the first 1,000 points were given
(data set A), and the task was to predict the next 100. We take the file's first
1,000 values as data set A and the next 100 as the points to predict.

Non-goals: the other competition series; the later, longer continuation.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

N_TRAIN, N_PREDICT = 1000, 100  # the competition's split: 1,000 points given, the next 100 predicted


def path() -> Path:
    """Where the installed reservoirpy keeps the series; a clear error if it is not installed."""
    spec = importlib.util.find_spec("reservoirpy")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(
            "the Santa Fe laser series is read from the reservoirpy package, which is not installed: "
            "pip install reservoirpy"
        )
    file = Path(next(iter(spec.submodule_search_locations))) / "datasets" / "santafe_laser.npy"
    if not file.is_file():
        raise FileNotFoundError(f"reservoirpy is installed but has no {file}: a version without the laser data set?")
    return file


def series() -> np.ndarray:
    """The whole series as float64 ``(10093,)``."""
    x = np.load(path()).astype(np.float64).ravel()
    if x.size < N_TRAIN + N_PREDICT or not np.isfinite(x).all():
        raise ValueError(f"{path()} holds {x.size} values (or non-finite ones); expected at least {N_TRAIN + N_PREDICT}")
    return x


def competition() -> tuple[np.ndarray, np.ndarray]:
    """``(train, future)``: the 1,000 given points and the 100 to predict, raw intensities."""
    x = series()
    return x[:N_TRAIN], x[N_TRAIN : N_TRAIN + N_PREDICT]


def nmse(prediction, truth) -> float:
    """Normalised mean squared error: ``mean((p - y)^2) / var(y)``, the competition's measure."""
    p, y = np.asarray(prediction, dtype=float), np.asarray(truth, dtype=float)
    if p.shape != y.shape or y.size < 2:
        raise ValueError(f"prediction {p.shape} and truth {y.shape} must have one shape, two or more points")
    return float(np.mean((p - y) ** 2) / np.var(y))
