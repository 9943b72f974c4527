"""Dense feed-forward networks: the forward and the backward pass in matrix form.

Notation (the book's): layer ``l`` counts from the input, ``a[0] = x``; for
``l = 1 .. L``

    z[l] = W[l] @ a[l-1] + b[l]   (+ the direct connections into l)
    a[l] = f(z[l])

and backwards, from the output error ``delta[L]`` supplied by the cost,

    delta[l] = f'(z[l]) * (W[l+1].T @ delta[l+1])   (+ the direct connections out of l)
    dC/dW[l] = delta[l] @ a[l-1].T
    dC/db[l] = delta[l] summed over the examples

**Examples are columns**, as in the equations: ``x`` has shape ``(n_0, m)`` for
``m`` examples and ``a[l]`` shape ``(n_l, m)``. Parameters may carry leading
"seed" dimensions (``W[l]``: ``(S, n_l, n_{l-1})``) to train S independent
networks at once; every line below broadcasts over them, and the examples are
never looped over.

A direct connection ``(k, l)`` with ``k < l - 1`` adds ``W{l}_from{k} @ a[k]`` to
``z[l]`` (Rumelhart's XOR net with one hidden unit feeds the inputs straight to
the output: ``skips=[(0, 2)]``).

Non-goals: convolutions and other layer types live in their own modules; this
one is the textbook dense network and nothing else.
"""

from __future__ import annotations

import math
from typing import Iterable, Sequence

import numpy as np

from backprop import activations as _activations
from backprop import costs as _costs
from backprop.backend import Backend, get_backend, namespace, to_numpy
from backprop.layout import check_params


class DenseNet:
    """The architecture of a dense network: sizes, activations, direct connections, cost.

    It holds no weights; those live in a ``params`` dict made by
    :meth:`init_params` with keys ``W1, b1, ..., WL, bL`` and ``W{l}_from{k}``.
    """

    def __init__(
        self,
        sizes: Sequence[int],
        activations="logistic",
        cost="half_squared_error",
        skips: Iterable[tuple[int, int]] = (),
    ):
        sizes = list(sizes)
        if len(sizes) < 2 or not all(isinstance(n, (int, np.integer)) and n > 0 for n in sizes):
            raise ValueError(f"sizes must be two or more positive integers, got {sizes!r}")
        self.sizes = [int(n) for n in sizes]
        L = self.L
        if isinstance(activations, (str, _activations.Activation)):
            activations = [activations] * L
        activations = list(activations)
        if len(activations) != L:
            raise ValueError(f"{L} layers need {L} activations, got {len(activations)}")
        self.activations = [None] + [_activations.get(f) for f in activations]  # index by l
        self.cost = _costs.get(cost)
        self.skips = sorted({(int(k), int(l)) for k, l in skips})
        for k, l in self.skips:
            if not 0 <= k < l - 1 or l > L:
                raise ValueError(
                    f"direct connection {(k, l)} must run from a layer k to a later layer l "
                    f"with 0 <= k < l - 1 and l <= {L}"
                )
        self._check_cost()

    def _check_cost(self) -> None:
        out = self.activations[self.L]
        for l, f in enumerate(self.activations[1 : self.L], start=1):
            if f.df is None:
                raise ValueError(f"layer {l}: {f.name} has no elementwise derivative; use it only at the output")
        if self.cost.output is not None and out.name != self.cost.output:
            raise ValueError(
                f"cost {self.cost.name} needs a {self.cost.output} output layer, got {out.name}"
            )
        if self.cost.output is None and out.df is None:
            raise ValueError(f"a {out.name} output layer needs the softmax_cross_entropy cost")

    @property
    def L(self) -> int:
        """Number of layers with weights (the input layer is layer 0)."""
        return len(self.sizes) - 1

    def __repr__(self) -> str:
        acts = [f.name for f in self.activations[1:]]
        if len(set(acts)) == 1:
            acts = acts[0]
        skips = f", skips={self.skips}" if self.skips else ""
        return f"DenseNet({self.sizes}, activations={acts!r}, cost={self.cost.name!r}{skips})"

    def param_shapes(self) -> dict[str, tuple[int, ...]]:
        """The shape of every parameter (without seed dimensions)."""
        n = self.sizes
        shapes = {}
        for l in range(1, self.L + 1):
            shapes[f"W{l}"] = (n[l], n[l - 1])
            shapes[f"b{l}"] = (n[l], 1)
            for k in self.skips_into(l):
                shapes[f"W{l}_from{k}"] = (n[l], n[k])
        return shapes

    def n_params(self) -> int:
        return sum(math.prod(s) for s in self.param_shapes().values())

    def skips_into(self, l: int) -> list[int]:
        return [k for k, j in self.skips if j == l]

    def skips_out_of(self, k: int) -> list[int]:
        return [l for j, l in self.skips if j == k]

    def init_params(
        self,
        rng: np.random.Generator,
        scale: float = 0.5,
        seeds: int | None = None,
        backend: Backend | str = "numpy",
        dtype: str = "float64",
    ) -> dict:
        """Weights and biases drawn uniformly from [-scale, scale].

        ``seeds=S`` draws S independent networks stacked on a leading axis. The
        numbers are drawn by numpy whatever the backend, so a seed gives the same
        network on every device.
        """
        if not isinstance(rng, np.random.Generator):
            raise TypeError("rng must be a numpy Generator, e.g. np.random.default_rng(0)")
        backend = get_backend(backend) if isinstance(backend, str) else backend
        lead = () if seeds is None else (int(seeds),)
        return {
            k: backend.asarray(rng.uniform(-scale, scale, size=lead + s), dtype)
            for k, s in self.param_shapes().items()
        }


def check_inputs(net: DenseNet, params: dict, x, y=None) -> None:
    """Raise a ``ValueError`` naming the problem if params, x or y do not fit ``net``."""
    check_params(net.param_shapes(), params, net, seeds=True)
    _check_array("x", x, rows=net.sizes[0])
    if y is not None:
        _check_array("y", y, rows=net.sizes[-1])
        if x.shape[-1] != y.shape[-1]:
            raise ValueError(f"x has {x.shape[-1]} examples (columns) but y has {y.shape[-1]}")


def _check_array(name: str, a, rows: int) -> None:
    if getattr(a, "ndim", 0) < 2 or a.shape[-2] != rows:
        raise ValueError(
            f"{name} has shape {tuple(getattr(a, 'shape', ()))}; expected ({rows}, m): "
            f"{rows} rows, one column per example"
        )
    bad = ~np.isfinite(to_numpy(a))
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(f"{name} contains NaN or inf ({int(bad.sum())} entries, the first at index {where})")


def forward(net: DenseNet, params: dict, x, check: bool = True):
    """The forward pass: ``a[L]`` and the cache the backward pass needs.

    cache = {"a": [a0 .. aL], "z": [None, z1 .. zL], "df": [None, f'(z1) .. f'(zL)]}
    """
    if check:
        check_inputs(net, params, x)
    xp = namespace(x, *params.values())
    a, z, df = [x], [None], [None]
    for l in range(1, net.L + 1):
        zl = params[f"W{l}"] @ a[l - 1]  # (n_l, m), a fresh array:
        zl += params[f"b{l}"]  # the bias is added in place (autograd allows it: @ keeps its inputs, not its output)
        for k in net.skips_into(l):
            zl = zl + params[f"W{l}_from{k}"] @ a[k]
        f = net.activations[l]
        al = f.f(zl, xp)
        z.append(zl)
        a.append(al)
        df.append(None if f.df is None else f.df(zl, al, xp))  # cached for the backward pass
    return a[-1], {"a": a, "z": z, "df": df}


def _T(m):
    return m.swapaxes(-1, -2)  # transpose of the last two axes; seeds stay in front


def backward(net: DenseNet, params: dict, cache: dict, delta_L) -> dict:
    """The backward pass: gradients shaped like ``params``, from ``delta[L] = dC/dz[L]``."""
    a, df = cache["a"], cache["df"]
    delta = [None] * (net.L + 1)
    delta[net.L] = delta_L
    for l in range(net.L - 1, 0, -1):
        back = _T(params[f"W{l + 1}"]) @ delta[l + 1]  # (n_l, m)
        for j in net.skips_out_of(l):
            back = back + _T(params[f"W{j}_from{l}"]) @ delta[j]
        back *= df[l]  # in place: `back` is a fresh array made just above
        delta[l] = back
    grads = {}
    for l in range(1, net.L + 1):
        grads[f"W{l}"] = delta[l] @ _T(a[l - 1])  # (n_l, n_{l-1}), summed over the examples
        grads[f"b{l}"] = delta[l].sum(-1, keepdims=True)
        for k in net.skips_into(l):
            grads[f"W{l}_from{k}"] = delta[l] @ _T(a[k])
    return grads


def output_delta(net: DenseNet, cache: dict, grad_a):
    """``delta[L] = f'(z[L]) * grad_a``: for backpropagating any gradient of the output
    (for example the output itself, ``grad_a = 1``, as TD learning needs)."""
    df = cache["df"][net.L]
    if df is None:
        raise ValueError(f"the {net.activations[net.L].name} output has no elementwise derivative")
    return df * grad_a


def cost_and_delta(net: DenseNet, cache: dict, y):
    """The cost (one total per seed) and the output error ``delta[L] = dC/dz[L]``."""
    a_L, z_L = cache["a"][-1], cache["z"][-1]
    xp = namespace(a_L)
    return net.cost.fn(z_L, a_L, y, xp), net.cost.delta(z_L, a_L, cache["df"][-1], y, xp)


def loss_and_grads(net: DenseNet, params: dict, x, y, check: bool = True):
    """The cost and its gradient with respect to every parameter: ``(C, grads)``."""
    if check:
        check_inputs(net, params, x, y)
    _, cache = forward(net, params, x, check=False)
    C, delta_L = cost_and_delta(net, cache, y)
    return C, backward(net, params, cache, delta_L)


def loss(net: DenseNet, params: dict, x, y, check: bool = True):
    """The cost alone (one total per seed), without gradients."""
    if check:
        check_inputs(net, params, x, y)
    _, cache = forward(net, params, x, check=False)
    return cost_and_delta(net, cache, y)[0]
