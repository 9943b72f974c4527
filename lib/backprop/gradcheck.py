"""Gradient checks: central differences along random directions, and torch.autograd.

A gradient ``g`` of ``C(w)`` is right when, for random directions ``u``,

    <g, u>  ==  d/dh C(w + h u) at h = 0,

the right side computed by the five-point central difference
``(-C(2h) + 8 C(h) - 8 C(-h) + C(-2h)) / 12h`` (error of order h^4). One
directional check tests every component of ``g`` at once; a few directions make
a silent error in any one of them vanishingly unlikely. Only float64 is
accepted: in float32 the rounding error of a difference swamps the derivative.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from .backend import to_numpy


def _total(c) -> float:
    return float(np.sum(to_numpy(c)))  # per-seed costs: the sum's gradient is each seed's own


def directional_errors(
    cost: Callable[[dict], object],
    params: dict,
    grads: dict,
    rng: np.random.Generator,
    n_directions: int = 3,
    h: float = 1e-4,
) -> np.ndarray:
    """Relative errors |<g,u> - D_u C| / max(|<g,u>|, |D_u C|, 1e-12), one per random direction u."""
    for k, w in params.items():
        if str(w.dtype).split(".")[-1] != "float64":
            raise TypeError(f"gradient checks need float64 parameters; {k} is {w.dtype}")
    errors = []
    for _ in range(n_directions):
        u = {k: rng.standard_normal(tuple(w.shape)) for k, w in params.items()}
        analytic = sum(float(np.sum(to_numpy(grads[k]) * u[k])) for k in params)

        def at(t):
            return _total(cost({k: w + t * _like(u[k], w) for k, w in params.items()}))

        numeric = (-at(2 * h) + 8 * at(h) - 8 * at(-h) + at(-2 * h)) / (12 * h)
        errors.append(abs(analytic - numeric) / max(abs(analytic), abs(numeric), 1e-12))
    return np.array(errors)


def _like(u: np.ndarray, w):
    """``u`` as an array of the same library and device as ``w``."""
    if isinstance(w, np.ndarray):
        return u
    import torch

    return torch.as_tensor(u, dtype=w.dtype, device=w.device)


def autograd_grads(cost: Callable[[dict], object], params: dict) -> dict:
    """The gradient of ``cost(params)`` by torch.autograd, as numpy float64 arrays.

    ``cost`` is run on torch copies of ``params``: pass the library's own forward
    pass and cost, and autograd differentiates them independently of our backward.
    """
    import torch

    leaves = {k: torch.tensor(to_numpy(w), dtype=torch.float64, requires_grad=True) for k, w in params.items()}
    total = cost(leaves).sum()
    total.backward()
    return {k: v.grad.numpy() for k, v in leaves.items()}
