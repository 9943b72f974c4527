"""Gradient checks: central differences along random directions, and torch.autograd.

A gradient ``g`` of ``C(w)`` is right when, for random directions ``u``,

    <g, u>  ==  d/dh C(w + h u) at h = 0,

the right side computed by the five-point central difference
``(-C(2h) + 8 C(h) - 8 C(-h) + C(-2h)) / 12h`` (error of order h^4). One
directional check tests every component of ``g`` at once; a few directions make
a silent error in any one of them vanishingly unlikely. Only float64 is
accepted: in float32 the rounding error of a difference swamps the derivative.

For the small networks whose matrices the book shows, :func:`central_jacobian`
and :func:`central_hessian` compute whole Jacobians and Hessians column by column.

Non-goals: derivatives for training (backprop computes those); checks of
second derivatives beyond the central difference of a gradient.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from backprop.backend import dtype_name, like, to_numpy


# A difference within the stencil's rounding is agreement only when that rounding is at most
# this fraction of the directional derivative (see directional_errors).
AGREEMENT = 1e-9


def _total(c) -> float:
    return float(np.sum(to_numpy(c)))  # per-seed costs: the sum's gradient is each seed's own


def require_float64(params: dict, what: str) -> None:
    """Raise ``TypeError`` unless every array of ``params`` is float64: in float32 the
    rounding of a finite difference swamps the derivative it estimates."""
    for k, w in params.items():
        if dtype_name(w) != "float64":
            raise TypeError(f"{what} need float64 parameters; {k} is {w.dtype}")


def directional_errors(
    cost: Callable[[dict], object],
    params: dict,
    grads: dict,
    rng: np.random.Generator,
    n_directions: int = 3,
    h: float = 1e-4,
) -> np.ndarray:
    """Relative errors |<g,u> - D_u C| / max(|<g,u>|, |D_u C|), one per random direction u.

    ``D_u C`` is the five-point difference, summed as differences first,

        D_u C = (8 (C(h) - C(-h)) - (C(2h) - C(-2h))) / 12h,

    so that a cost that is flat along ``u`` (behind a ReLU that is off) gives exactly 0,
    and the two sides agree exactly (error 0) instead of comparing rounding with rounding.

    What the check can resolve: each cost carries a rounding error of about eps |C|, and
    the stencil adds these up to ``rounding = 1.5 eps max|C| / h``. A difference within
    ten times that is agreement (error 0) only when the rounding is also a small part
    (``AGREEMENT``, one part in 10^9) of the derivative's own size ``max(|<g,u>|, |D_u C|)``;
    otherwise the relative difference is reported as it is. A large cost with a small
    gradient therefore shows its rounding, of order eps |C| / (h |D_u C|), instead of
    hiding a wrong gradient behind it: a tolerance below that cannot be met, and the
    cure is a larger ``h`` or a cost measured from a nearer origin, not a looser check.
    """
    require_float64(params, "gradient checks")
    errors = []
    for _ in range(n_directions):
        u = {k: rng.standard_normal(tuple(w.shape)) for k, w in params.items()}
        analytic = sum(float(np.sum(to_numpy(grads[k]) * u[k])) for k in params)

        def at(t):
            return _total(cost({k: w + t * like(u[k], w) for k, w in params.items()}))

        c2, c1, c_1, c_2 = at(2 * h), at(h), at(-h), at(-2 * h)
        numeric = (8 * (c1 - c_1) - (c2 - c_2)) / (12 * h)
        rounding = 10 * 1.5 * np.finfo(np.float64).eps * max(abs(c2), abs(c1), abs(c_1), abs(c_2)) / h
        difference, size = abs(analytic - numeric), max(abs(analytic), abs(numeric))
        if difference == 0 or difference <= rounding <= AGREEMENT * size:
            errors.append(0.0)
        else:
            errors.append(difference / size)
    return np.array(errors)


def central_jacobian(f: Callable, w, h: float = 1e-6) -> np.ndarray:
    """The Jacobian of ``f`` at the flat vector ``w`` by central differences, one column per entry:

        J[..., i, p] = (f(w + h e_p) - f(w - h e_p))[..., i] / 2h        (error of order h^2)

    ``w``: ``(..., P)`` float64 (numpy or torch; leading axes are independent
    problems, perturbed together); ``f(w)``: ``(..., N)``. Returns numpy ``(..., N, P)``.
    ``2 P`` calls of ``f``: for the small networks whose Jacobians and Hessians the
    book shows, not for checking large ones (use :func:`directional_errors`).
    """
    require_float64({"w": w}, "central differences")
    columns = []
    for e in h * np.eye(w.shape[-1]):
        e = like(e, w)
        columns.append((to_numpy(f(w + e)) - to_numpy(f(w - e))) / (2 * h))
    return np.stack(columns, axis=-1)


def central_hessian(grad: Callable, w, h: float = 1e-5) -> np.ndarray:
    """The Hessian of a cost at the flat vector ``w`` ``(P,)``: the central-difference Jacobian
    of its (backpropagated) gradient ``grad(w) -> (P,)``, symmetrised, ``(H + H.T) / 2``.

    Exact up to ``O(h^2)`` and rounding, the second-derivative terms included: what the
    Gauss-Newton matrix ``J.T @ J`` is compared with.
    """
    H = central_jacobian(grad, w, h)
    return 0.5 * (H + H.T)


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
