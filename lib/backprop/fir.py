"""FIR networks: a finite impulse response filter on every connection, trained by
temporal backpropagation (Wan 1990, 1993).

Each connection from unit ``i`` of layer ``l-1`` to unit ``j`` of layer ``l`` is a
tapped delay line of ``T[l]`` weights ``W[l][j, i, k]``, ``k = 0 .. T[l]-1`` (the
weight on the input ``k`` steps ago). In the book's notation, for every time ``t``

    z[l](t) = sum_k W[l][:, :, k] @ a[l-1](t - k) + b[l]
    a[l](t) = f(z[l](t)),        a[0] = x

**Time runs along the last axis** (the columns, as examples do in ``dense``): ``x`` is
``(n_0, N)`` or ``(B, n_0, N)`` for ``B`` sequences at once. A layer with ``T`` taps
needs ``T - 1`` steps of history, so each layer's output is ``T - 1`` steps shorter
("valid" filtering, no padding): the network's output ``a[L]`` has
``N - memory`` columns, where ``memory = sum_l (T[l] - 1)``, and its column ``j``
belongs to input time ``j + memory``.

Backwards, temporal backpropagation: the error of a unit at time ``t`` collects the
next layer's errors at the *future* times its output reaches through the taps,

    delta[l](t) = f'(z[l](t)) * sum_k W[l+1][:, :, k].T @ delta[l+1](t + k)
    dC/dW[l][:, :, k] = sum_t delta[l](t) @ a[l-1](t - k).T,   dC/db[l] = sum_t delta[l](t)

which is exactly backpropagation through the network unfolded in time, with the
copies of each tap weight summed (a convolution in time and its transpose). The
sums over ``t`` are matrix products with a "tap matrix" that stacks the delayed
copies of ``a[l-1]`` (im2col in one dimension); the only Python loop is over taps.

Non-goals: recurrent (IIR) connections (see ``recurrent``), padding or causal
streaming, other costs than the half squared error.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from backprop import activations as _activations
from backprop.backend import namespace, to_numpy


class FIRNet:
    """The architecture of an FIR network: layer sizes, taps per layer, activations.

    ``sizes = [n_0, ..., n_L]``, ``taps = [T_1, ..., T_L]`` (``T = 1`` is an ordinary
    dense layer); weights live in a ``params`` dict with ``W{l}``: ``(n_l, n_{l-1}, T_l)``
    and ``b{l}``: ``(n_l, 1)``. The cost is half the squared error summed over the
    output units and times.
    """

    def __init__(self, sizes: Sequence[int], taps: Sequence[int], activations=("tanh", "identity")):
        sizes, taps = [int(n) for n in sizes], [int(t) for t in taps]
        if len(sizes) < 2 or min(sizes) < 1:
            raise ValueError(f"sizes must be two or more positive integers, got {sizes}")
        if len(taps) != len(sizes) - 1 or min(taps) < 1:
            raise ValueError(f"{len(sizes) - 1} layers need {len(sizes) - 1} positive tap counts, got {taps}")
        self.sizes, self.taps = sizes, taps
        acts = list(activations)
        if len(acts) == 2 and self.L != 2:  # (hidden, output): every hidden layer the same
            acts = [acts[0]] * (self.L - 1) + [acts[1]]
        if len(acts) != self.L:
            raise ValueError(f"{self.L} layers need {self.L} activations (or a pair: hidden, output), got {len(acts)}")
        self.activations = [None] + [_activations.get(f) for f in acts]
        if any(f.df is None for f in self.activations[1:]):
            raise ValueError("FIR layers need elementwise activations")

    @property
    def L(self) -> int:
        return len(self.sizes) - 1

    @property
    def memory(self) -> int:
        """How many past inputs an output sees beyond the present one: ``sum_l (T_l - 1)``."""
        return sum(t - 1 for t in self.taps)

    def __repr__(self) -> str:
        acts = [f.name for f in self.activations[1:]]
        return f"FIRNet({self.sizes}, taps={self.taps}, activations={acts}, memory={self.memory})"

    def param_shapes(self) -> dict[str, tuple[int, ...]]:
        shapes = {}
        for l in range(1, self.L + 1):
            shapes[f"W{l}"] = (self.sizes[l], self.sizes[l - 1], self.taps[l - 1])
            shapes[f"b{l}"] = (self.sizes[l], 1)
        return shapes

    def n_params(self) -> int:
        return sum(math.prod(s) for s in self.param_shapes().values())

    def init_params(self, rng: np.random.Generator, dtype: str = "float64") -> dict:
        """Weights and biases uniform in ``+-1 / sqrt(fan_in)``, ``fan_in = n_{l-1} T_l``."""
        if not isinstance(rng, np.random.Generator):
            raise TypeError("rng must be a numpy Generator, e.g. np.random.default_rng(0)")
        params = {}
        for k, s in self.param_shapes().items():
            l = int(k[1:])
            r = 1.0 / math.sqrt(self.sizes[l - 1] * self.taps[l - 1])
            params[k] = rng.uniform(-r, r, size=s).astype(dtype)
        return params


def check_inputs(net: FIRNet, params: dict, x, y=None) -> None:
    """Raise a ``ValueError`` naming the problem if params, x or y do not fit ``net``."""
    for k, s in net.param_shapes().items():
        if k not in params:
            raise ValueError(f"params lacks {k} (shape {s})")
        if tuple(params[k].shape) != s:
            raise ValueError(f"params[{k!r}] has shape {tuple(params[k].shape)}; {net!r} needs {s}")
    if getattr(x, "ndim", 0) not in (2, 3) or x.shape[-2] != net.sizes[0]:
        raise ValueError(f"x has shape {tuple(getattr(x, 'shape', ()))}; expected ({net.sizes[0]}, N) or (B, {net.sizes[0]}, N)")
    if x.shape[-1] <= net.memory:
        raise ValueError(f"x has {x.shape[-1]} time steps; the network needs more than its memory of {net.memory}")
    if not np.isfinite(to_numpy(x)).all():
        raise ValueError("x contains NaN or inf")
    if y is not None:
        want = (*x.shape[:-2], net.sizes[-1], x.shape[-1] - net.memory)
        if tuple(y.shape) != want:
            raise ValueError(f"y has shape {tuple(y.shape)}; the output has shape {want} (N - memory columns)")


def tap_matrix(a, T: int):
    """The delayed copies of ``a`` (..., n, N) stacked for a ``T``-tap layer: (..., n T, N - T + 1).

    Row ``i T + k`` holds ``a[i](t - k)`` for the output times ``t = T-1 .. N-1``.
    """
    xp = namespace(a)
    N_out = a.shape[-1] - T + 1
    A = xp.stack([a[..., T - 1 - k : T - 1 - k + N_out] for k in range(T)], axis=-2)  # (..., n, T, N_out)
    return xp.reshape(A, (*A.shape[:-3], A.shape[-3] * T, N_out))


def forward(net: FIRNet, params: dict, x, check: bool = True):
    """The forward pass: ``a[L]`` (..., n_L, N - memory) and the cache for the backward pass."""
    if check:
        check_inputs(net, params, x)
    xp = namespace(x)
    a, taps, df = [x], [None], [None]
    for l in range(1, net.L + 1):
        W = params[f"W{l}"]
        A = tap_matrix(a[l - 1], net.taps[l - 1])  # (..., n_{l-1} T_l, N_l)
        z = xp.reshape(W, (W.shape[0], -1)) @ A + params[f"b{l}"]  # (..., n_l, N_l)
        f = net.activations[l]
        al = f.f(z, xp)
        a.append(al)
        taps.append(A)
        df.append(f.df(z, al, xp))
    return a[-1], {"a": a, "taps": taps, "df": df}


def _sum_leading(g, ndim: int):
    """Sum a gradient over the leading (sequence-batch) axes, down to ``ndim`` axes."""
    return g.sum(axis=tuple(range(g.ndim - ndim))) if g.ndim > ndim else g


def backward(net: FIRNet, params: dict, cache: dict, delta_L) -> dict:
    """Temporal backpropagation from ``delta[L] = dC/dz[L]`` (..., n_L, N_L): gradients like ``params``."""
    xp = namespace(delta_L)
    a, taps, df = cache["a"], cache["taps"], cache["df"]
    grads, delta = {}, delta_L
    for l in range(net.L, 0, -1):
        W, T = params[f"W{l}"], net.taps[l - 1]
        dW = delta @ taps[l].swapaxes(-1, -2)  # (..., n_l, n_{l-1} T): sum over t of delta(t) a(t - k)
        grads[f"W{l}"] = xp.reshape(_sum_leading(dW, 2), W.shape)
        grads[f"b{l}"] = _sum_leading(delta.sum(-1, keepdims=True), 2)
        if l == 1:
            break
        G = xp.reshape(W, (W.shape[0], -1)).T @ delta  # (..., n_{l-1} T, N_l)
        G = xp.reshape(G, (*G.shape[:-2], W.shape[1], T, G.shape[-1]))
        back = xp.zeros_like(a[l - 1])  # (..., n_{l-1}, N_{l-1})
        N_l = delta.shape[-1]
        for k in range(T):  # the output at t + k reached back k steps to time t
            back[..., T - 1 - k : T - 1 - k + N_l] += G[..., k, :]
        delta = df[l - 1] * back
    return grads


def loss_and_grads(net: FIRNet, params: dict, x, y, check: bool = True):
    """``C = 1/2 sum (a[L] - y)^2`` over units, times and sequences, and its gradient."""
    if check:
        check_inputs(net, params, x, y)
    out, cache = forward(net, params, x, check=False)
    e = out - y
    return 0.5 * float((e * e).sum()), backward(net, params, cache, e * cache["df"][-1])


def loss(net: FIRNet, params: dict, x, y, check: bool = True) -> float:
    if check:
        check_inputs(net, params, x, y)
    e = forward(net, params, x, check=False)[0] - y
    return 0.5 * float((e * e).sum())
