"""The primitives of the adjoint graph: each one's forward and its vector-Jacobian rules.

One entry per primitive operation ``out = op(x, y, ...)``:

    forward(xp, x, y, ..., **kw)           -> out
    vjp_j(xp, g, out, x, y, ..., **kw)     -> g . d out / d input_j

where ``g = out_bar = dC/d out`` is the adjoint of the output (shaped like
``out``) and the result is the adjoint contribution sent to input ``j`` (shaped
like input ``j``). The rule never forms the Jacobian: for ``out = x @ y`` it is
``g @ y.T`` and ``x.T @ g``, each the cost of one more matrix product.

``xp`` is the array namespace (numpy or torch through ``array_api_compat``), so
one table serves every backend. Names and keyword arguments follow the
array-API standard (``sum(x, axis=..., keepdims=...)``), which lets the library's
activations and costs, written against ``xp``, run on the graph unchanged.

Broadcasting: an input that numpy broadcast (a bias ``b[l]`` of shape ``(n, 1)``
added to ``(n, m)``) receives the sum of ``g`` over the broadcast axes
(:func:`unbroadcast`): the adjoint of a value used ``m`` times is the sum of the
``m`` contributions, as at every fork of the graph.

Forward-mode rules (Jacobian-vector products) live in :mod:`backprop.autodiff.forward`;
the engine that walks the graph lives in :mod:`backprop.autodiff.reverse`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np
from array_api_compat import device, is_numpy_namespace


@dataclass(frozen=True)
class Rule:
    """A primitive: its forward and one vector-Jacobian rule per input.

    ``vjps=None`` declares an operation that can be evaluated and traced but not
    differentiated (the backward pass names it). A ``variadic`` rule (``concat``)
    has one VJP that takes the input's position as the keyword ``i``.
    """

    name: str
    forward: Callable
    vjps: Optional[tuple] = None
    variadic: bool = False

    def vjp(self, i: int) -> Callable:
        """The vector-Jacobian rule for input ``i``."""
        if self.vjps is None:
            raise NotImplementedError(
                f"operation {self.name!r} has no vector-Jacobian rule, so the backward pass "
                "cannot go through it; give it one with graph.defprimitive(name, forward, *vjps)"
            )
        if self.variadic:
            return lambda *args, **kw: self.vjps[0](*args, i=i, **kw)
        return self.vjps[i]

    def __repr__(self) -> str:
        return f"Rule({self.name!r})"


def shape_of(x) -> tuple:
    """The shape of an array, or ``()`` for a Python number."""
    return tuple(getattr(x, "shape", ()))


def unbroadcast(xp, g, x):
    """``g`` summed over the axes along which ``x`` was broadcast: the adjoint of ``x``."""
    shape = getattr(x, "shape", ())
    if g.shape == shape:
        return g
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape) if n == 1 and g.shape[lead + i] != 1)
    if lead == 0:
        return xp.sum(g, axis=axes, keepdims=True)
    return xp.reshape(xp.sum(g, axis=axes), shape)


def reduced_axes(ndim: int, axis) -> tuple:
    """The axes a reduction runs over, as non-negative integers."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    return tuple(a % ndim for a in axes)


def expand(xp, r, x, axis):
    """The result ``r`` of a reduction of ``x`` over ``axis``, with the reduced axes
    put back as length-1 axes, ready to broadcast against ``x`` (with or without keepdims)."""
    axes = reduced_axes(x.ndim, axis)
    return xp.reshape(r, tuple(1 if i in axes else n for i, n in enumerate(x.shape)))


def _sum_back(xp, g, x, axis):
    # every element that was summed gets the adjoint of the sum
    return xp.broadcast_to(expand(xp, g, x, axis), x.shape)


def _count(x, axis) -> int:
    return math.prod(x.shape[a] for a in reduced_axes(x.ndim, axis))


def _max(xp, x, axis=None, keepdims=False):
    return xp.max(x, axis=axis, keepdims=keepdims)


def _max_back(xp, g, out, x, axis=None, keepdims=False):
    # the adjoint goes to the maximal entries, shared equally between ties
    hit = xp.astype(x == expand(xp, out, x, axis), g.dtype)
    return expand(xp, g, x, axis) * hit / xp.sum(hit, axis=axis, keepdims=True)


def _logsumexp(xp, x, axis=None, keepdims=False):
    shift = xp.max(x, axis=axis, keepdims=True)  # shifted: no overflow
    r = shift + xp.log(xp.sum(xp.exp(x - shift), axis=axis, keepdims=True))
    return r if keepdims else xp.reshape(r, tuple(n for i, n in enumerate(x.shape) if i not in reduced_axes(x.ndim, axis)))


def _softmax(xp, x, axis=-1):
    e = xp.exp(x - xp.max(x, axis=axis, keepdims=True))
    return e / xp.sum(e, axis=axis, keepdims=True)


def _mask(xp, condition, like):
    return xp.astype(condition, like.dtype)


def scatter_add(xp, g, x, index):
    """Zeros shaped like ``x`` with ``g`` added at ``x[index]``; repeated indices add up.

    The array API has no scatter-add, so this is the one place that asks which
    library it is talking to (numpy's ``add.at``, torch's ``index_add``).
    """
    n = math.prod(x.shape)
    positions = xp.reshape(xp.reshape(xp.arange(n, device=device(x)), x.shape)[index], (-1,))
    flat = xp.zeros(n, dtype=g.dtype, device=device(g))
    if is_numpy_namespace(xp):
        np.add.at(flat, positions, xp.reshape(g, (-1,)))
    else:
        flat = flat.index_add(0, positions, xp.reshape(g, (-1,)))
    return xp.reshape(flat, x.shape)


def _concat_back(xp, g, out, *xs, axis=0, i=0):
    axis = axis % g.ndim
    start = sum(x.shape[axis] for x in xs[:i])
    return g[(slice(None),) * axis + (slice(start, start + xs[i].shape[axis]),)]


def _matmul(x, y):
    if len(shape_of(x)) < 2 or len(shape_of(y)) < 2:
        raise ValueError(
            f"matmul needs arrays of at least 2 dimensions, got shapes {shape_of(x)} and {shape_of(y)}; "
            "make vectors into columns, e.g. reshape(v, (n, 1))"
        )
    return x @ y


def _inverse(axes) -> tuple:
    return tuple(int(a) for a in np.argsort(axes))


RULES: dict[str, Rule] = {
    rule.name: rule
    for rule in (
        # -- broadcasting arithmetic ------------------------------------------------
        Rule("add", lambda xp, x, y: x + y,
             (lambda xp, g, out, x, y: unbroadcast(xp, g, x),
              lambda xp, g, out, x, y: unbroadcast(xp, g, y))),
        Rule("subtract", lambda xp, x, y: x - y,
             (lambda xp, g, out, x, y: unbroadcast(xp, g, x),
              lambda xp, g, out, x, y: unbroadcast(xp, -g, y))),
        Rule("multiply", lambda xp, x, y: x * y,
             (lambda xp, g, out, x, y: unbroadcast(xp, g * y, x),
              lambda xp, g, out, x, y: unbroadcast(xp, g * x, y))),
        Rule("divide", lambda xp, x, y: x / y,
             (lambda xp, g, out, x, y: unbroadcast(xp, g / y, x),
              lambda xp, g, out, x, y: unbroadcast(xp, -g * out / y, y))),
        Rule("negative", lambda xp, x: -x,
             (lambda xp, g, out, x: -g,)),
        Rule("power", lambda xp, x, y: x**y,
             (lambda xp, g, out, x, y: unbroadcast(xp, g * y * x ** (y - 1), x),
              lambda xp, g, out, x, y: unbroadcast(xp, g * out * xp.log(x), y))),
        Rule("maximum", lambda xp, x, y: xp.maximum(x, y),  # ties go to y: relu'(0) = 0
             (lambda xp, g, out, x, y: unbroadcast(xp, g * _mask(xp, x > y, g), x),
              lambda xp, g, out, x, y: unbroadcast(xp, g * _mask(xp, x <= y, g), y))),
        Rule("logaddexp", lambda xp, x, y: xp.logaddexp(x, y),
             (lambda xp, g, out, x, y: unbroadcast(xp, g * xp.exp(x - out), x),
              lambda xp, g, out, x, y: unbroadcast(xp, g * xp.exp(y - out), y))),
        # -- the matrix product (at least 2-D; leading axes broadcast) --------------
        Rule("matmul", lambda xp, x, y: _matmul(x, y),
             (lambda xp, g, out, x, y: unbroadcast(xp, g @ xp.matrix_transpose(y), x),
              lambda xp, g, out, x, y: unbroadcast(xp, xp.matrix_transpose(x) @ g, y))),
        # -- elementwise functions -------------------------------------------------
        Rule("exp", lambda xp, x: xp.exp(x), (lambda xp, g, out, x: g * out,)),
        Rule("log", lambda xp, x: xp.log(x), (lambda xp, g, out, x: g / x,)),
        Rule("tanh", lambda xp, x: xp.tanh(x), (lambda xp, g, out, x: g * (1.0 - out * out),)),
        Rule("sin", lambda xp, x: xp.sin(x), (lambda xp, g, out, x: g * xp.cos(x),)),
        Rule("cos", lambda xp, x: xp.cos(x), (lambda xp, g, out, x: -g * xp.sin(x),)),
        Rule("sqrt", lambda xp, x: xp.sqrt(x), (lambda xp, g, out, x: g * 0.5 / out,)),
        Rule("abs", lambda xp, x: xp.abs(x), (lambda xp, g, out, x: g * xp.sign(x),)),
        # -- reductions ------------------------------------------------------------
        Rule("sum", lambda xp, x, axis=None, keepdims=False: xp.sum(x, axis=axis, keepdims=keepdims),
             (lambda xp, g, out, x, axis=None, keepdims=False: _sum_back(xp, g, x, axis),)),
        Rule("mean", lambda xp, x, axis=None, keepdims=False: xp.mean(x, axis=axis, keepdims=keepdims),
             (lambda xp, g, out, x, axis=None, keepdims=False: _sum_back(xp, g, x, axis) / _count(x, axis),)),
        Rule("max", _max, (_max_back,)),
        Rule("logsumexp", _logsumexp,
             (lambda xp, g, out, x, axis=None, keepdims=False:
                 expand(xp, g, x, axis) * xp.exp(x - expand(xp, out, x, axis)),)),
        Rule("softmax", _softmax,
             (lambda xp, g, out, x, axis=-1: out * (g - xp.sum(g * out, axis=axis, keepdims=True)),)),
        # -- shapes ----------------------------------------------------------------
        Rule("reshape", lambda xp, x, shape: xp.reshape(x, shape),
             (lambda xp, g, out, x, shape: xp.reshape(g, x.shape),)),
        Rule("permute_dims", lambda xp, x, axes: xp.permute_dims(x, axes),
             (lambda xp, g, out, x, axes: xp.permute_dims(g, _inverse(axes)),)),
        Rule("matrix_transpose", lambda xp, x: xp.matrix_transpose(x),
             (lambda xp, g, out, x: xp.matrix_transpose(g),)),
        Rule("getitem", lambda xp, x, index: x[index],
             (lambda xp, g, out, x, index: scatter_add(xp, g, x, index),)),
        Rule("concat", lambda xp, *xs, axis=0: xp.concat(list(xs), axis=axis),
             (_concat_back,), variadic=True),
    )
}
