"""The one place where the array library and the device are chosen.

Every numerical routine in the package is written once against the array-API
standard (through ``array_api_compat``), so the same lines run on numpy arrays
and on torch tensors, on the CPU or on a CUDA GPU. This module turns a device
name into a :class:`Backend` that creates arrays there and brings them back.

Device names:

``"numpy"``   numpy on the CPU (needs no torch)
``"cpu"``     torch on the CPU
``"cuda"``    torch on the current CUDA device (``"cuda:1"`` picks another)
``"auto"``    ``"cuda"`` when torch sees a GPU, otherwise ``"numpy"``

Non-goals: no array library is imported before it is asked for; torch is
optional for everything that runs on ``"numpy"``.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from typing import Any

import numpy as np
from array_api_compat import array_namespace

DEVICES = ("auto", "numpy", "cpu", "cuda")
DTYPES = ("float32", "float64")


_NAMESPACES: dict = {}


def namespace(*arrays: Any):
    """The array-API namespace (``xp``) shared by ``arrays``: numpy or torch.

    Remembered per tuple of array types: per-example training asks for it tens of
    thousands of times a second, and array_api_compat's lookup costs microseconds.
    """
    key = type(arrays[0]) if len(arrays) == 1 else tuple(map(type, arrays))
    xp = _NAMESPACES.get(key)
    if xp is None:
        xp = _NAMESPACES[key] = array_namespace(*arrays)
    return xp


def dtype_name(a: Any) -> str:
    """The dtype of a numpy array or a torch tensor as a name: ``"float64"``, ``"float32"``, ..."""
    return str(a.dtype).split(".")[-1]


def like(a: Any, ref: Any):
    """``a`` (a numpy array or array-like) as an array of the library, device and dtype of ``ref``."""
    if isinstance(ref, np.ndarray):
        return np.asarray(a, dtype=ref.dtype)
    return _import_torch().as_tensor(np.asarray(a), dtype=ref.dtype, device=ref.device)


def torch_available() -> bool:
    return importlib.util.find_spec("torch") is not None


def cuda_available() -> bool:
    if not torch_available():
        return False
    import torch

    return torch.cuda.is_available()


def _import_torch():
    if not torch_available():
        raise ImportError(
            "torch is not installed, so only device='numpy' is available; "
            "install it with `pip install torch`"
        )
    import torch

    return torch


@dataclass(frozen=True)
class Backend:
    """An array library and a device. Create one with :func:`get_backend`."""

    library: str  # "numpy" or "torch"
    device: str  # "cpu", "cuda", "cuda:1", ...

    def __repr__(self) -> str:
        return f"Backend({self.library!r}, device={self.device!r})"

    @property
    def xp(self):
        """The array-API namespace of this backend."""
        if self.library == "numpy":
            return namespace(np.empty(0))
        return namespace(self._torch().empty(0))

    def _torch(self):
        return _import_torch()

    def asarray(self, a: Any, dtype: str = "float64"):
        """``a`` (array-like, numpy array or tensor) as an array of this backend."""
        if dtype not in DTYPES:
            raise ValueError(f"unknown dtype {dtype!r}; choose one of {DTYPES}")
        if self.library == "numpy":
            return np.asarray(to_numpy(a), dtype=dtype)
        torch = self._torch()
        if isinstance(a, torch.Tensor):
            return a.to(device=self.device, dtype=getattr(torch, dtype))
        return torch.as_tensor(np.asarray(a), dtype=getattr(torch, dtype), device=self.device)

    def tree(self, params: dict, dtype: str = "float64") -> dict:
        """Every array of a parameter dict moved to this backend."""
        return {k: self.asarray(v, dtype) for k, v in params.items()}

    def synchronize(self) -> None:
        """Wait for queued GPU work (for honest timings); a no-op on the CPU."""
        if self.device.startswith("cuda"):
            self._torch().cuda.synchronize(self.device)

    def describe(self) -> str:
        """A human-readable name of the hardware, for run records."""
        if self.device.startswith("cuda"):
            return self._torch().cuda.get_device_name(self.device)
        return f"{self.library} on CPU"


def get_backend(device: str = "auto") -> Backend:
    """The backend for a device name (see the module docstring)."""
    if not isinstance(device, str) or device.split(":")[0] not in DEVICES:
        raise ValueError(f"unknown device {device!r}; choose one of {DEVICES}")
    if device == "auto":
        device = "cuda" if cuda_available() else "numpy"
    if device == "numpy":
        return Backend("numpy", "cpu")
    torch = _import_torch()
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise RuntimeError(
            f"device={device!r} was asked for, but torch sees no CUDA GPU; "
            "use device='auto' to fall back to the CPU"
        )
    return Backend("torch", device)


def to_numpy(a: Any) -> np.ndarray:
    """Any array (numpy, torch on any device, nested lists) as a numpy array."""
    if isinstance(a, np.ndarray):
        return a
    if hasattr(a, "detach"):  # a torch tensor, possibly on a GPU
        return a.detach().cpu().numpy()
    return np.asarray(a)
