"""The primitives of automatic differentiation: each one's forward with its VJP and JVP rules side by side.

One entry per primitive operation ``out = op(x, y, ...)``, in one place, so
that a primitive cannot gain a rule for one mode and lack it for the other:

    forward(xp, x, y, ..., **kw)           -> out
    vjp_j(xp, g, out, x, y, ..., **kw)     -> g . d out / d input_j      (reverse mode)
    jvp_j(xp, t, out, x, y, ..., **kw)     -> d out / d input_j . t      (forward mode)

In a VJP, ``g = out_bar = dC/d out`` is the adjoint of the output (shaped like
``out``) and the result is the adjoint contribution sent to input ``j`` (shaped
like input ``j``). In a JVP, ``t`` is the tangent of input ``j`` (shaped like
it) and the result is its contribution to the tangent of ``out`` (shaped like
``out``, or broadcastable to it). Neither forms the Jacobian: for
``out = x @ y`` the VJPs are ``g @ y.T`` and ``x.T @ g`` and the JVPs
``t @ y`` and ``x @ t``, each the cost of one more matrix product.

``xp`` is the array namespace (numpy or torch through ``array_api_compat``), so
one table serves every backend. Names and keyword arguments follow the
array-API standard (``sum(x, axis=..., keepdims=...)``), which lets the library's
activations and costs, written against ``xp``, run on the graph unchanged.

Broadcasting: an input that numpy broadcast (a bias ``b[l]`` of shape ``(n, 1)``
added to ``(n, m)``) receives the sum of ``g`` over the broadcast axes
(:func:`unbroadcast`): the adjoint of a value used ``m`` times is the sum of the
``m`` contributions, as at every fork of the graph.

The engines that use the table: :mod:`backprop.autodiff.reverse` (the adjoint
graph) and :mod:`backprop.autodiff.forward` (dual numbers). A new primitive is
added with :func:`backprop.autodiff.reverse.defprimitive`.

Non-goals: rules that are themselves differentiable (they take and give plain
arrays, so there are no derivatives of derivatives); in-place operations.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial
from typing import Callable, Optional

import numpy as np
from array_api_compat import device, is_numpy_namespace


@dataclass(frozen=True)
class Rule:
    """A primitive: its forward, and per input one vector-Jacobian rule (``vjps``, for
    reverse mode) and one Jacobian-vector rule (``jvps``, for forward mode).

    ``vjps=None`` (``jvps=None``) declares an operation that can be evaluated but that
    reverse (forward) mode cannot go through: the sweep that meets it names it. A
    ``variadic`` rule (``concat``) has one rule of each kind, which takes the input's
    position as the keyword ``i``.
    """

    name: str
    forward: Callable
    vjps: Optional[tuple] = None
    jvps: Optional[tuple] = None
    variadic: bool = False

    def __post_init__(self):
        given = [rules for rules in (self.vjps, self.jvps) if rules is not None]
        if self.variadic and any(len(rules) != 1 for rules in given):
            raise ValueError(f"{self.name}: a variadic primitive takes one rule of each kind, told the input as i=")
        if len(given) == 2 and len(self.vjps) != len(self.jvps):
            raise ValueError(f"{self.name}: {len(self.vjps)} VJP rule(s) but {len(self.jvps)} JVP rule(s); "
                             "give one of each per input")

    def vjp(self, i: int) -> Callable:
        """The vector-Jacobian rule for input ``i``."""
        return self._for_input(self.vjps, "vjps", i)

    def jvp(self, i: int) -> Callable:
        """The Jacobian-vector rule for input ``i``."""
        return self._for_input(self.jvps, "jvps", i)

    def _for_input(self, rules: Optional[tuple], kind: str, i: int) -> Callable:
        if rules is None:
            raise self.no_rule(kind)
        if self.variadic:  # one rule for every input, told which one
            return partial(rules[0], i=i)
        return rules[i]

    def no_rule(self, kind: str) -> NotImplementedError:
        """The error for a sweep that needs this primitive's ``vjps`` or ``jvps`` and finds none."""
        rule, mode = {"vjps": ("vector-Jacobian", "the backward pass"), "jvps": ("Jacobian-vector", "forward mode")}[kind]
        return NotImplementedError(
            f"operation {self.name!r} has no {rule} rule, so {mode} cannot go through it; give it one with "
            "reverse.defprimitive(name, forward, *vjps, jvps=(...))"
        )

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


def _max_jvp(xp, t, out, x, axis=None, keepdims=False):
    # the tangent of the maximal entries, averaged over ties
    hit = xp.astype(x == expand(xp, out, x, axis), t.dtype)
    return xp.sum(t * hit, axis=axis, keepdims=keepdims) / xp.sum(hit, axis=axis, keepdims=keepdims)


def _logsumexp(xp, x, axis=None, keepdims=False):
    shift = xp.max(x, axis=axis, keepdims=True)  # shifted: no overflow
    r = shift + xp.log(xp.sum(xp.exp(x - shift), axis=axis, keepdims=True))
    return r if keepdims else xp.reshape(r, tuple(n for i, n in enumerate(x.shape) if i not in reduced_axes(x.ndim, axis)))


def _logsumexp_jvp(xp, t, out, x, axis=None, keepdims=False):
    weights = xp.exp(x - expand(xp, out, x, axis))  # the softmax of x along axis
    return xp.sum(t * weights, axis=axis, keepdims=keepdims)


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


def _concat_jvp(xp, t, out, *xs, axis=0, i=0):
    # the tangent of input i in its slot, zeros in the others
    return xp.concat([t if j == i else xp.zeros_like(x) for j, x in enumerate(xs)], axis=axis)


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
             vjps=(lambda xp, g, out, x, y: unbroadcast(xp, g, x),
                   lambda xp, g, out, x, y: unbroadcast(xp, g, y)),
             jvps=(lambda xp, t, out, x, y: t,
                   lambda xp, t, out, x, y: t)),
        Rule("subtract", lambda xp, x, y: x - y,
             vjps=(lambda xp, g, out, x, y: unbroadcast(xp, g, x),
                   lambda xp, g, out, x, y: unbroadcast(xp, -g, y)),
             jvps=(lambda xp, t, out, x, y: t,
                   lambda xp, t, out, x, y: -t)),
        Rule("multiply", lambda xp, x, y: x * y,
             vjps=(lambda xp, g, out, x, y: unbroadcast(xp, g * y, x),
                   lambda xp, g, out, x, y: unbroadcast(xp, g * x, y)),
             jvps=(lambda xp, t, out, x, y: t * y,
                   lambda xp, t, out, x, y: x * t)),
        Rule("divide", lambda xp, x, y: x / y,
             vjps=(lambda xp, g, out, x, y: unbroadcast(xp, g / y, x),
                   lambda xp, g, out, x, y: unbroadcast(xp, -g * out / y, y)),
             jvps=(lambda xp, t, out, x, y: t / y,
                   lambda xp, t, out, x, y: -t * out / y)),
        Rule("negative", lambda xp, x: -x,
             vjps=(lambda xp, g, out, x: -g,),
             jvps=(lambda xp, t, out, x: -t,)),
        Rule("power", lambda xp, x, y: x**y,
             vjps=(lambda xp, g, out, x, y: unbroadcast(xp, g * y * x ** (y - 1), x),
                   lambda xp, g, out, x, y: unbroadcast(xp, g * out * xp.log(x), y)),
             jvps=(lambda xp, t, out, x, y: t * y * x ** (y - 1),
                   lambda xp, t, out, x, y: t * out * xp.log(x))),
        Rule("maximum", lambda xp, x, y: xp.maximum(x, y),  # ties go to y: relu'(0) = 0
             vjps=(lambda xp, g, out, x, y: unbroadcast(xp, g * _mask(xp, x > y, g), x),
                   lambda xp, g, out, x, y: unbroadcast(xp, g * _mask(xp, x <= y, g), y)),
             jvps=(lambda xp, t, out, x, y: t * _mask(xp, x > y, t),
                   lambda xp, t, out, x, y: t * _mask(xp, x <= y, t))),
        Rule("logaddexp", lambda xp, x, y: xp.logaddexp(x, y),
             vjps=(lambda xp, g, out, x, y: unbroadcast(xp, g * xp.exp(x - out), x),
                   lambda xp, g, out, x, y: unbroadcast(xp, g * xp.exp(y - out), y)),
             jvps=(lambda xp, t, out, x, y: t * xp.exp(x - out),
                   lambda xp, t, out, x, y: t * xp.exp(y - out))),
        # -- the matrix product (at least 2-D; leading axes broadcast) --------------
        Rule("matmul", lambda xp, x, y: _matmul(x, y),
             vjps=(lambda xp, g, out, x, y: unbroadcast(xp, g @ xp.matrix_transpose(y), x),
                   lambda xp, g, out, x, y: unbroadcast(xp, xp.matrix_transpose(x) @ g, y)),
             jvps=(lambda xp, t, out, x, y: t @ y,
                   lambda xp, t, out, x, y: x @ t)),
        # -- elementwise functions: (forward, vjp, jvp) ------------------------------
        Rule("exp", lambda xp, x: xp.exp(x),
             vjps=(lambda xp, g, out, x: g * out,), jvps=(lambda xp, t, out, x: t * out,)),
        Rule("log", lambda xp, x: xp.log(x),
             vjps=(lambda xp, g, out, x: g / x,), jvps=(lambda xp, t, out, x: t / x,)),
        Rule("tanh", lambda xp, x: xp.tanh(x),
             vjps=(lambda xp, g, out, x: g * (1.0 - out * out),), jvps=(lambda xp, t, out, x: t * (1.0 - out * out),)),
        Rule("sin", lambda xp, x: xp.sin(x),
             vjps=(lambda xp, g, out, x: g * xp.cos(x),), jvps=(lambda xp, t, out, x: t * xp.cos(x),)),
        Rule("cos", lambda xp, x: xp.cos(x),
             vjps=(lambda xp, g, out, x: -g * xp.sin(x),), jvps=(lambda xp, t, out, x: -t * xp.sin(x),)),
        Rule("sqrt", lambda xp, x: xp.sqrt(x),
             vjps=(lambda xp, g, out, x: g * 0.5 / out,), jvps=(lambda xp, t, out, x: t * 0.5 / out,)),
        Rule("abs", lambda xp, x: xp.abs(x),
             vjps=(lambda xp, g, out, x: g * xp.sign(x),), jvps=(lambda xp, t, out, x: t * xp.sign(x),)),
        # -- reductions ------------------------------------------------------------
        Rule("sum", lambda xp, x, axis=None, keepdims=False: xp.sum(x, axis=axis, keepdims=keepdims),
             vjps=(lambda xp, g, out, x, axis=None, keepdims=False: _sum_back(xp, g, x, axis),),
             jvps=(lambda xp, t, out, x, axis=None, keepdims=False: xp.sum(t, axis=axis, keepdims=keepdims),)),
        Rule("mean", lambda xp, x, axis=None, keepdims=False: xp.mean(x, axis=axis, keepdims=keepdims),
             vjps=(lambda xp, g, out, x, axis=None, keepdims=False: _sum_back(xp, g, x, axis) / _count(x, axis),),
             jvps=(lambda xp, t, out, x, axis=None, keepdims=False: xp.mean(t, axis=axis, keepdims=keepdims),)),
        Rule("max", _max, vjps=(_max_back,), jvps=(_max_jvp,)),
        Rule("logsumexp", _logsumexp,
             vjps=(lambda xp, g, out, x, axis=None, keepdims=False:
                       expand(xp, g, x, axis) * xp.exp(x - expand(xp, out, x, axis)),),
             jvps=(_logsumexp_jvp,)),
        Rule("softmax", _softmax,
             vjps=(lambda xp, g, out, x, axis=-1: out * (g - xp.sum(g * out, axis=axis, keepdims=True)),),
             jvps=(lambda xp, t, out, x, axis=-1: out * (t - xp.sum(out * t, axis=axis, keepdims=True)),)),
        # -- shapes ----------------------------------------------------------------
        Rule("reshape", lambda xp, x, shape: xp.reshape(x, shape),
             vjps=(lambda xp, g, out, x, shape: xp.reshape(g, x.shape),),
             jvps=(lambda xp, t, out, x, shape: xp.reshape(t, shape),)),
        Rule("permute_dims", lambda xp, x, axes: xp.permute_dims(x, axes),
             vjps=(lambda xp, g, out, x, axes: xp.permute_dims(g, _inverse(axes)),),
             jvps=(lambda xp, t, out, x, axes: xp.permute_dims(t, axes),)),
        Rule("matrix_transpose", lambda xp, x: xp.matrix_transpose(x),
             vjps=(lambda xp, g, out, x: xp.matrix_transpose(g),),
             jvps=(lambda xp, t, out, x: xp.matrix_transpose(t),)),
        Rule("getitem", lambda xp, x, index: x[index],
             vjps=(lambda xp, g, out, x, index: scatter_add(xp, g, x, index),),
             jvps=(lambda xp, t, out, x, index: t[index],)),
        Rule("concat", lambda xp, *xs, axis=0: xp.concat(list(xs), axis=axis),
             vjps=(_concat_back,), jvps=(_concat_jvp,), variadic=True),
    )
}
