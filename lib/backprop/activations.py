"""Activation functions f and their derivatives f'.

Each activation is a pair of functions of the pre-activation ``z``:
``f(z, xp)`` and ``df(z, a, xp)``, where ``a = f(z)`` is passed in because many
derivatives are cheapest from the output (the logistic's ``f' = a (1 - a)``).
``xp`` is the array namespace (numpy or torch), so one definition serves every
backend. The forward pass caches ``df`` for the backward pass, as the article
describes.

Add your own with :func:`register` or by passing an :class:`Activation`
wherever a name is accepted::

    softsign = Activation("softsign",
                          f=lambda z, xp: z / (1 + xp.abs(z)),
                          df=lambda z, a, xp: 1 / (1 + xp.abs(z)) ** 2)

``softmax`` is not elementwise: its Jacobian is not diagonal, so it has no
``df`` and is only accepted as the output of a network trained with the
softmax cross-entropy cost, whose delta needs no ``f'``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np
from array_api_compat import is_numpy_namespace, is_torch_namespace

from backprop.named import lookup


@dataclass(frozen=True)
class Activation:
    name: str
    f: Callable
    df: Optional[Callable]  # None: not elementwise (softmax)

    def __repr__(self) -> str:
        return f"Activation({self.name!r})"


def _logistic(z, xp):
    """1 / (1 + e^-z), written as (tanh(z/2) + 1) / 2: no overflow for large |z|.

    The formula takes four passes over z. On numpy they run in place on one fresh
    array (same operations, same rounding, a quarter of the allocations); torch
    has the fused kernel, which autograd can also differentiate.
    """
    if is_numpy_namespace(xp):
        a = z * 0.5
        np.tanh(a, out=a)
        a += 1.0
        a *= 0.5
        return a
    if is_torch_namespace(xp):
        return z.sigmoid()
    return 0.5 * (xp.tanh(0.5 * z) + 1.0)


def _logistic_df(z, a, xp):
    d = 1.0 - a  # a fresh array, so the product can go in place
    d *= a
    return d


def _softplus(z, xp):
    return xp.logaddexp(xp.zeros_like(z), z)


def _swish_df(z, a, xp):
    s = _logistic(z, xp)
    return s + a * (1.0 - s)  # d/dz z s(z) = s + z s (1 - s), with a = z s


def _mish_df(z, a, xp):
    t = xp.tanh(_softplus(z, xp))
    return t + z * (1.0 - t * t) * _logistic(z, xp)


def _softmax(z, xp):
    # over the unit axis (-2: examples are columns), shifted for stability
    e = xp.exp(z - xp.max(z, axis=-2, keepdims=True))
    return e / xp.sum(e, axis=-2, keepdims=True)


_REGISTRY: dict[str, Activation] = {}


def register(activation: Activation) -> Activation:
    """Make ``activation`` available by its name; returns it."""
    if not isinstance(activation, Activation):
        raise TypeError(f"register() takes an Activation, got {type(activation).__name__}")
    _REGISTRY[activation.name] = activation
    return activation


for _act in (
    Activation("logistic", _logistic, _logistic_df),
    Activation("tanh", lambda z, xp: xp.tanh(z), lambda z, a, xp: 1.0 - a * a),
    # ReLU is not differentiable at 0; we use the subgradient f'(0) = 0.
    Activation("relu", lambda z, xp: xp.maximum(z, xp.zeros_like(z)), lambda z, a, xp: xp.astype(z > 0, z.dtype)),
    Activation("swish", lambda z, xp: z * _logistic(z, xp), _swish_df),
    Activation("mish", lambda z, xp: z * xp.tanh(_softplus(z, xp)), _mish_df),
    Activation("identity", lambda z, xp: z, lambda z, a, xp: xp.ones_like(z)),
    Activation("softmax", _softmax, None),
):
    register(_act)


def get(activation: str | Activation) -> Activation:
    """An activation by name (or the activation itself)."""
    return lookup(_REGISTRY, activation, Activation, "activation", " (or pass an Activation(name, f, df))")


def names() -> list[str]:
    return sorted(_REGISTRY)
