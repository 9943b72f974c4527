"""The USPS zip-code digits: the 7,291 / 2,007 split of LeCun et al. (1989).

Hull's database of handwritten digits cut from envelopes at the Buffalo post
office (J. J. Hull, IEEE PAMI 16(5), 1994), 16x16 grey images. :func:`load`
returns the training and test :class:`Split`, pixels scaled to -1 (background)
.. +1 (ink) as in the paper, **one image per column**: ``x`` is ``(256, m)``.

Where the data comes from (:mod:`backprop.datafiles`):

- ``usps/usps.h5``: the HDF5 file of Kaggle's "usps-dataset" (groups ``train``
  and ``test``, each with ``data`` ``(m, 256)`` float in 0..1 and ``target``
  ``(m,)`` int in 0..9), found in a data folder and checked by its SHA-256.
  Kaggle needs a login, so it cannot be downloaded from here.
- otherwise the LIBSVM copies ``usps.bz2`` / ``usps.t.bz2`` (the same split,
  pixels in -1..1, labels 1..10; the files torchvision downloads), fetched into
  the user cache and checked by the MD5 that torchvision publishes. As a second
  check the class counts must be the published ones.

Non-goals: the 1989 preprocessing (segmentation, size normalisation), which the
data set has already had.
"""

from __future__ import annotations

import bz2
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from backprop.datafiles import DataFile, DataFileError, DataFileMissing, locate

H5 = DataFile(
    "usps/usps.h5",
    sha256="734f88c541104a956d88be2c95d03b4a463ffd74ccc2ba9c80841fb98e3fcb36",
    size=2_913_522,
    licence="public research data (J. J. Hull 1994); the HDF5 layout of Kaggle's usps-dataset",
)
LIBSVM = {
    "train": DataFile("usps/usps.bz2", md5="ec16c51db3855ca6c91edd34d0e9b197",
                      url="https://www.csie.ntu.edu.tw/~cjlin/libsvmtools/datasets/multiclass/usps.bz2"),
    "test": DataFile("usps/usps.t.bz2", md5="8ea070ee2aca1ac39742fdd1ef5ed118",
                     url="https://www.csie.ntu.edu.tw/~cjlin/libsvmtools/datasets/multiclass/usps.t.bz2"),
}
# Digits 0..9 per split: what identifies the 1989 split (the data README lists them too).
COUNTS = {
    "train": (1194, 1005, 731, 658, 652, 556, 664, 645, 542, 644),
    "test": (359, 264, 198, 166, 200, 160, 170, 147, 166, 177),
}


@dataclass(frozen=True)
class Split:
    """One split: ``x`` ``(256, m)`` float32 in -1..1, ``labels`` ``(m,)`` int64 in 0..9."""

    name: str
    x: np.ndarray
    labels: np.ndarray

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    def __repr__(self) -> str:
        return f"Split({self.name!r}, {len(self)} images of 16x16, classes {np.bincount(self.labels, minlength=10).tolist()})"

    def targets(self, low: float = -1.0, high: float = 1.0) -> np.ndarray:
        """``(10, m)``: ``high`` for the right digit, ``low`` elsewhere (the paper's +-1)."""
        y = np.full((10, len(self)), low, dtype=np.float32)
        y[self.labels, np.arange(len(self))] = high
        return y

    def images(self) -> np.ndarray:
        """``(m, 16, 16)``, for pictures."""
        return self.x.T.reshape(-1, 16, 16)

    def subset(self, n: int) -> "Split":
        """The first ``n`` examples."""
        return Split(self.name, self.x[:, :n], self.labels[:n])


def load(path: str | Path | None = None, download: bool = True) -> tuple[Split, Split]:
    """``(train, test)``, from ``path`` (an HDF5 file in the layout above) or found as described."""
    if path is not None:
        return read_h5(path)
    try:
        train, test = read_h5(locate(H5, download=False))
    except DataFileMissing:
        if not download:
            raise
        train, test = (read_libsvm(locate(LIBSVM[s]), s) for s in ("train", "test"))
    for split in (train, test):
        counts = tuple(np.bincount(split.labels, minlength=10).tolist())
        if counts != COUNTS[split.name]:
            raise DataFileError(f"the USPS {split.name} split has class counts {counts}, expected {COUNTS[split.name]}: "
                                "not the 1989 split")
    return train, test


def read_h5(path: str | Path) -> tuple[Split, Split]:
    """Read and check an HDF5 file with ``train/data``, ``train/target``, ``test/data``, ``test/target``."""
    try:
        import h5py
    except ImportError:
        raise ImportError("reading the USPS file needs h5py: `pip install h5py`") from None
    path = Path(path)
    if not path.is_file():
        raise DataFileMissing(f"{path}: no such file")
    try:
        f = h5py.File(path, "r")
    except OSError as exc:
        raise DataFileError(f"{path} is not a readable HDF5 file ({exc}); is it truncated or corrupt?") from None
    with f:
        return tuple(_split(f, path, name) for name in ("train", "test"))


def _split(f, path: Path, name: str) -> Split:
    for key in ("data", "target"):
        if f"{name}/{key}" not in f:
            raise ValueError(f"{path}: no dataset {name}/{key}; the file needs train/data, train/target, test/data, test/target")
    try:
        data, target = f[f"{name}/data"][()], f[f"{name}/target"][()]
    except OSError as exc:
        raise DataFileError(f"{path}: {name} cannot be read ({exc}); is the file truncated or corrupt?") from None
    if data.ndim != 2 or data.shape[1] != 256:
        raise ValueError(f"{path}: {name}/data has shape {data.shape}; expected (m, 256), one 16x16 image per row")
    if target.shape != (data.shape[0],):
        raise ValueError(f"{path}: {name}/target has shape {target.shape}; expected ({data.shape[0]},), "
                         f"one label per image of {name}/data")
    if data.shape[0] == 0:
        raise ValueError(f"{path}: {name} holds no images")
    if not np.isfinite(data).all() or data.min() < 0 or data.max() > 1:
        raise ValueError(f"{path}: {name}/data must hold finite pixel values in 0..1, "
                         f"found {np.nanmin(data):g}..{np.nanmax(data):g}")
    return Split(name, _scaled(data.T), _labels(target, path, f"{name}/target"))


def _labels(target: np.ndarray, path, what: str) -> np.ndarray:
    if not np.issubdtype(target.dtype, np.integer):
        if not np.issubdtype(target.dtype, np.floating) or not np.all(target == np.round(target)):
            raise ValueError(f"{path}: {what} must hold whole numbers 0..9, found dtype {target.dtype}")
    bad = (target < 0) | (target > 9)
    if bad.any():
        raise ValueError(f"{path}: {what} must hold digits 0..9; {int(bad.sum())} labels are outside, "
                         f"e.g. {target[bad][0]!r} at index {int(np.flatnonzero(bad)[0])}")
    return target.astype(np.int64)


def _scaled(pixels01: np.ndarray) -> np.ndarray:
    """0..1 -> -1..1 (the paper's scale: background -1), float32, C-contiguous ``(256, m)``."""
    return np.ascontiguousarray(2.0 * pixels01.astype(np.float32) - 1.0)


def read_libsvm(path: str | Path, name: str) -> Split:
    """Read a LIBSVM file (``label index:value ...``, labels 1..10 for digits 0..9, pixels -1..1)."""
    path = Path(path)
    opener = bz2.open if path.suffix == ".bz2" else open
    try:
        with opener(path, "rt") as f:
            lines = f.read().split("\n")
    except (OSError, EOFError) as exc:
        raise DataFileError(f"{path} cannot be read ({exc}); is it truncated or corrupt?") from None
    rows = [ln.split() for ln in lines if ln.strip()]
    x = np.full((len(rows), 256), -1.0, dtype=np.float32)
    labels = np.empty(len(rows), dtype=np.float64)
    for i, row in enumerate(rows):  # once per file, at load time
        labels[i] = float(row[0])
        for item in row[1:]:
            k, v = item.split(":")
            x[i, int(k) - 1] = float(v)
    return Split(name, np.ascontiguousarray(x.T), _labels(labels - 1, path, "the labels"))


def random_shifts(x: np.ndarray, rng: np.random.Generator, max_shift: int = 1, background: float = -1.0) -> np.ndarray:
    """Each image (column of ``x``) moved by its own random whole-pixel shift in ``-max_shift .. max_shift``
    along each axis, the uncovered border filled with ``background``: the "small shifts" augmentation."""
    m, s = x.shape[1], int(max_shift)
    images = np.pad(x.T.reshape(m, 16, 16), ((0, 0), (s, s), (s, s)), constant_values=background)
    dy, dx = rng.integers(-s, s + 1, size=(2, m, 1, 1))
    rows = np.arange(16)[None, :, None] + s - dy
    cols = np.arange(16)[None, None, :] + s - dx
    shifted = images[np.arange(m)[:, None, None], rows, cols]  # (m, 16, 16)
    return np.ascontiguousarray(shifted.reshape(m, 256).T)
