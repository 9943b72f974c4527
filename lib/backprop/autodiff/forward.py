"""Forward mode: derivatives carried forwards with dual numbers, one direction at a time.

A dual number ``v + v_dot eps`` (with ``eps^2 = 0``) carries a value ``v`` and its
*tangent* ``v_dot = dv/dt``, the rate at which ``v`` changes when the inputs
move along a direction ``u`` (``w = w0 + t u``). Every primitive pushes tangents
forwards with its Jacobian-vector rule,

    out_dot = sum over inputs j of  jvp_j(in_dot[j]),      jvp_j(t) = d out / d input_j . t

so one evaluation gives the output and the directional derivative
``dC/dt = <grad C, u>`` (:func:`jvp`). That is one number: the gradient with
respect to ``P`` parameters needs ``P`` such passes, one per direction ``e_i``
(:func:`gradient_by_jvps`), as does the finite-difference gradient
(:func:`gradient_by_differences`, two evaluations per parameter). This is the
"forwards" computation that reverse accumulation (:mod:`backprop.autodiff.reverse`) avoids.

The primitives are the same as the reverse-mode engine's (programs are written
once, with :mod:`backprop.autodiff.reverse`'s functions and operators); each one's
JVP rules, one per input, stand next to its VJP rules in the table
:data:`backprop.autodiff.rules.RULES`. A tangent of ``None`` means zero and costs nothing.

Non-goals: vectorising over many directions at once (that would hide the very
cost this module exists to show); derivatives of derivatives.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from backprop.autodiff import reverse as graph
from backprop.backend import to_numpy
from backprop.gradcheck import require_float64
from backprop.autodiff.rules import Rule, shape_of


class Dual(graph.Box):
    """A value and its tangent (``None``: zero), as one forward-mode number."""

    __slots__ = ("value", "tangent")

    def __init__(self, value, tangent=None):
        if tangent is not None and shape_of(tangent) != shape_of(value):
            raise ValueError(f"a tangent must be shaped like its value: {shape_of(tangent)} != {shape_of(value)}")
        self.value = value
        self.tangent = tangent

    @classmethod
    def apply(cls, rule: Rule, args: tuple, kwargs: dict) -> "Dual":
        if rule.jvps is None:
            raise rule.no_rule("jvps")
        values = [a.value if isinstance(a, Dual) else a for a in args]
        xp = graph.xp_of(*values)
        out = rule.forward(xp, *values, **kwargs)
        tangent = None
        for i, a in enumerate(args):
            if isinstance(a, Dual) and a.tangent is not None:
                t = rule.jvp(i)(xp, a.tangent, out, *values, **kwargs)
                tangent = t if tangent is None else tangent + t
        if tangent is not None and shape_of(tangent) != shape_of(out):
            tangent = xp.broadcast_to(tangent, out.shape)  # a broadcast input moves every copy of itself
        return cls(out, tangent)

    def __repr__(self) -> str:
        return f"Dual(shape={self.shape}, tangent={'zero' if self.tangent is None else 'set'})"


def _scalar(v) -> float:
    a = to_numpy(v)
    if a.size != 1:
        raise ValueError(f"the function must return a single number, got shape {a.shape}")
    return float(a.reshape(()))


def jvp(f: Callable, params: dict, direction: dict, *args) -> tuple:
    """``(f(params, *args), d/dt f(params + t direction, *args) at t = 0)``: one forward pass.

    ``direction`` maps some (or all) parameter names to tangents shaped like them.
    """
    unknown = sorted(set(direction) - set(params))
    if unknown:
        raise ValueError(f"direction names parameters that are not in params: {unknown}")
    duals = {k: Dual(v, direction.get(k)) for k, v in params.items()}
    out = f(duals, *args)
    if not isinstance(out, Dual):
        return out, None  # the output does not depend on the parameters
    return out.value, out.tangent


def locate(params: dict, i: int) -> tuple:
    """``(name, index)`` of the ``i``-th of all parameters, counted across the dict in its order."""
    for name, w in params.items():
        size = math.prod(shape_of(w))
        if i < size:
            return name, np.unravel_index(i, shape_of(w))
        i -= size
    raise IndexError(f"parameter {i} is beyond the last one")


def derivative_by_jvp(f: Callable, params: dict, i: int, *args) -> float:
    """``dC/dw_i`` of a single-number ``f`` by one forward-mode pass along ``e_i``.

    The direction is a full set of tangents, zero but for one entry: each of the
    ``P`` derivatives costs one whole forward pass.
    """
    name, index = locate(params, i)
    e = graph.zeros_like(params[name])
    e[index] = 1.0
    _, dC = jvp(f, params, {k: (e if k == name else graph.zeros_like(w)) for k, w in params.items()}, *args)
    return 0.0 if dC is None else _scalar(dC)


def derivative_by_difference(f: Callable, params: dict, i: int, *args, h: float = 1e-6, shifted=None) -> float:
    """``dC/dw_i ~ (C(w + h e_i) - C(w - h e_i)) / 2h`` (error of order h^2), two passes.

    ``shifted``: working copies of ``params`` to move one entry of (made here when
    not given; pass them in to leave allocation out of a timing). float64 only: in
    float32 the rounding of the difference swamps the derivative.
    """
    name, index = locate(params, i)
    shifted = {k: w * 1.0 for k, w in params.items()} if shifted is None else shifted
    w_i = float(to_numpy(params[name][index]))
    shifted[name][index] = w_i + h
    up = _scalar(f(shifted, *args))
    shifted[name][index] = w_i - h
    down = _scalar(f(shifted, *args))
    shifted[name][index] = w_i
    return (up - down) / (2 * h)


def _gradient(params: dict, derivative) -> dict:
    flat = np.array([derivative(i) for i in range(n_params(params))])
    out, start = {}, 0
    for k, w in params.items():
        size = math.prod(shape_of(w))
        out[k] = flat[start : start + size].reshape(shape_of(w))
        start += size
    return out


def gradient_by_jvps(f: Callable, params: dict, *args) -> dict:
    """The gradient of a single-number ``f`` by forward mode: one JVP along each ``e_i``,
    the "naive forwards" way, ``P`` passes for ``P`` parameters. Returns numpy arrays."""
    return _gradient(params, lambda i: derivative_by_jvp(f, params, i, *args))


def gradient_by_differences(f: Callable, params: dict, *args, h: float = 1e-6) -> dict:
    """The gradient of a single-number ``f`` by central differences, one parameter at a
    time (:func:`derivative_by_difference`), ``2P`` passes. float64 only. Returns numpy arrays."""
    require_float64(params, "finite differences")
    shifted = {k: w * 1.0 for k, w in params.items()}
    return _gradient(params, lambda i: derivative_by_difference(f, params, i, *args, h=h, shifted=shifted))


def n_params(params: dict) -> int:
    """How many numbers the parameters hold (the number of passes the two methods above make)."""
    return int(sum(math.prod(shape_of(w)) for w in params.values()))
