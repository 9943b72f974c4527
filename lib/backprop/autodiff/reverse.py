"""The adjoint graph: a general reverse-mode differentiation engine.

A program written with the primitives below is *traced*: every intermediate
value ``v_i`` becomes a :class:`Node` that remembers the primitive that made it
and its parents. Reverse accumulation (Linnainmaa 1970) then visits the nodes
from the output ``C`` back to the inputs, in a topological order, and sums into
each parent ``j`` the contribution of each child ``i``:

    v_bar[j] = sum over children i of j of  vjp_ij(v_bar[i])      v_bar = dC/dv,  C_bar = 1

where ``vjp_ij(g) = g . dv_i/dv_j`` is the primitive's vector-Jacobian rule
(the table :data:`backprop.autodiff.rules.RULES`, which gives every primitive's
forward, VJP and JVP rules side by side). The adjoints ``v_bar`` live on the
*adjoint graph*: the same nodes with every edge reversed. One backward sweep
gives the derivative of ``C`` with respect to every input at once, for a few
times the cost of the forward sweep; backpropagation in a network is this
sweep with the rules of ``matmul``, ``add`` and ``f``.

The same program runs on three kinds of input:

- plain arrays (numpy or torch): it is simply evaluated, nothing is recorded;
- :class:`Node` (:func:`variable`): it is traced, for reverse mode;
- :class:`backprop.autodiff.forward.Dual`: value and tangent are pushed forwards.

Usage, with params a dict of arrays and the examples as columns of ``x``::

    from backprop.autodiff import reverse as g

    def C(p, x, y):
        a1 = g.tanh(p["W1"] @ x + p["b1"])           # (n1, m)
        return 0.5 * g.sum((p["W2"] @ a1 + p["b2"] - y) ** 2)

    C_value, grads = g.value_and_grad(C)(params, x, y)   # grads shaped like params

The primitives carry array-API names (``sum(x, axis=, keepdims=)``, ``max``,
``maximum``, ``logaddexp``, ...), so this module can be passed where the library
expects an array namespace ``xp``: ``activation.f(z, graph)`` traces the
library's own activation functions.

A primitive of one's own is one call, its forward and its rules side by side::

    cube = g.defprimitive("cube", lambda xp, x: x**3,
                          lambda xp, G, out, x: G * 3 * x**2,          # VJP: reverse mode
                          jvps=(lambda xp, t, out, x: 3 * x**2 * t,))   # JVP: forward mode

Non-goals: derivatives of derivatives (a program may not mix Node and Dual);
in-place updates; speed beyond avoiding needless work (no adjoint is computed
for a constant such as the data ``x``) and Python's recursion limit (every walk
of the graph is iterative).
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from backprop.backend import namespace
from backprop.autodiff.rules import RULES, Rule, shape_of


class _NumpyNamespace:
    """array_api_compat's numpy namespace, with the few functions the rules call most
    bound to numpy's own methods (the same results, without the wrapper's checks):
    on the small arrays of a small network, the engine's time is mostly such calls."""

    def __init__(self, xp):
        self._xp = xp

    def __getattr__(self, name):
        return getattr(self._xp, name)

    @staticmethod
    def sum(x, axis=None, keepdims=False):
        return x.sum(axis=axis, keepdims=keepdims)

    @staticmethod
    def max(x, axis=None, keepdims=False):
        return x.max(axis=axis, keepdims=keepdims)

    @staticmethod
    def reshape(x, shape):
        return x.reshape(shape)

    @staticmethod
    def matrix_transpose(x):
        return x.mT


_NUMPY = _NumpyNamespace(namespace(np.empty(0)))


def xp_of(*values):
    """The array namespace of the first array among ``values``, skipping Boxes and numbers.

    It is asked once per operation, so a numpy array, the common case, gets the engine's
    numpy namespace without a lookup; any other array asks :func:`backprop.backend.namespace`.
    """
    for v in values:
        if type(v) is np.ndarray:
            return _NUMPY
        if not isinstance(v, Box) and hasattr(v, "shape"):
            xp = namespace(v)
            return _NUMPY if xp is _NUMPY._xp else xp
    raise TypeError(f"no array among the inputs {[type(v).__name__ for v in values]}")


class Primitive:
    """A callable primitive: evaluates on arrays, hands a Node or a Dual to its ``apply``."""

    __slots__ = ("rule",)

    def __init__(self, rule: Rule):
        self.rule = rule

    def __call__(self, *args, **kwargs):
        box = None
        for a in args:
            if isinstance(a, Box):
                if box is not None and type(a) is not type(box):
                    raise TypeError(
                        f"{self.rule.name}: cannot mix {type(box).__name__} and {type(a).__name__} inputs "
                        "(derivatives of derivatives are not supported)"
                    )
                box = a
        if box is None:
            return self.rule.forward(xp_of(*args), *args, **kwargs)
        return type(box).apply(self.rule, args, kwargs)

    def __repr__(self) -> str:
        return f"Primitive({self.rule.name!r})"


def defprimitive(name: str, forward: Callable, *vjps: Callable, jvps: tuple | None = None,
                 variadic: bool = False) -> Primitive:
    """Add a primitive to the table: ``forward(xp, *inputs, **kw)``, one
    ``vjp(xp, g, out, *inputs, **kw)`` per input for reverse mode and, optionally,
    ``jvps``, one ``jvp(xp, t, out, *inputs, **kw)`` per input for forward mode.
    Without VJPs (JVPs) the primitive can be evaluated, but not differentiated in
    reverse (forward) mode."""
    if name in RULES:
        raise ValueError(f"a primitive named {name!r} exists already")
    RULES[name] = Rule(name, forward, tuple(vjps) if vjps else None, tuple(jvps) if jvps else None, variadic)
    return Primitive(RULES[name])


# -- the primitives, under their array-API names (some shadow Python builtins on purpose:
#    ``graph.sum`` and ``graph.max`` are array reductions, so the module can stand in for ``xp``)
_P = {name: Primitive(rule) for name, rule in RULES.items()}
add, subtract, multiply, divide, negative, power = (_P[n] for n in ("add", "subtract", "multiply", "divide", "negative", "power"))
maximum, logaddexp, matmul = _P["maximum"], _P["logaddexp"], _P["matmul"]
exp, log, tanh, sin, cos, sqrt, abs = (_P[n] for n in ("exp", "log", "tanh", "sin", "cos", "sqrt", "abs"))
sum, mean, max, logsumexp, softmax = (_P[n] for n in ("sum", "mean", "max", "logsumexp", "softmax"))
getitem, matrix_transpose = _P["getitem"], _P["matrix_transpose"]


def reshape(x, shape):
    return _P["reshape"](x, shape=tuple(shape))


def permute_dims(x, axes):
    return _P["permute_dims"](x, axes=tuple(axes))


def concat(arrays, axis: int = 0):
    return _P["concat"](*arrays, axis=axis)


def _operators(primitive: Primitive) -> tuple:
    """``box op other`` and its reflection ``other op box``, both by ``primitive``."""
    return (lambda self, other: primitive(self, other)), (lambda self, other: primitive(other, self))


class Box:
    """A value that a primitive does not simply evaluate: a traced :class:`Node` or a
    forward-mode ``Dual``. Gives both the arithmetic operators of an array."""

    __slots__ = ()
    __array_ufunc__ = None  # numpy defers to our reflected operators: ndarray * Node -> Node

    @classmethod
    def apply(cls, rule: Rule, args: tuple, kwargs: dict):
        raise NotImplementedError

    shape = property(lambda self: shape_of(self.value))
    ndim = property(lambda self: len(shape_of(self.value)))
    dtype = property(lambda self: self.value.dtype)
    T = property(lambda self: permute_dims(self, tuple(reversed(range(self.ndim)))))
    mT = property(lambda self: matrix_transpose(self))

    __add__, __radd__ = _operators(add)
    __sub__, __rsub__ = _operators(subtract)
    __mul__, __rmul__ = _operators(multiply)
    __truediv__, __rtruediv__ = _operators(divide)
    __matmul__, __rmatmul__ = _operators(matmul)
    __pow__, __rpow__ = _operators(power)
    def __neg__(self): return negative(self)
    def __getitem__(self, index): return getitem(self, index=index)

    def sum(self, axis=None, keepdims=False): return sum(self, axis=axis, keepdims=keepdims)
    def reshape(self, shape): return reshape(self, shape=tuple(shape))


class Node(Box):
    """One value of a traced program: its ``value``, the ``rule`` that made it from its
    ``parents`` (with keyword arguments ``kwargs``), and whether an adjoint must flow into it.

    A leaf has no rule: a :func:`variable` (``needs_grad``) or a :func:`constant`.
    ``name`` labels it in drawings of the graph.
    """

    __slots__ = ("value", "rule", "parents", "kwargs", "needs_grad", "name")

    def __init__(self, value, rule: Rule | None = None, parents: tuple = (), kwargs: dict | None = None,
                 needs_grad: bool = False, name: str | None = None):
        self.value = value
        self.rule = rule
        self.parents = parents
        self.kwargs = kwargs or {}
        self.needs_grad = needs_grad
        self.name = name

    @property
    def op(self) -> str:
        """The primitive's name, or ``"variable"`` / ``"constant"`` for a leaf."""
        if self.rule is not None:
            return self.rule.name
        return "variable" if self.needs_grad else "constant"

    @classmethod
    def apply(cls, rule: Rule, args: tuple, kwargs: dict) -> "Node":
        parents, values, needs_grad = [], [], False
        for a in args:
            if not isinstance(a, Node):
                a = Node(a)  # an array or number that is not traced: a constant
            parents.append(a)
            values.append(a.value)
            needs_grad = needs_grad or a.needs_grad
        out = rule.forward(xp_of(*values), *values, **kwargs)
        return cls(out, rule, tuple(parents), kwargs, needs_grad)

    def __repr__(self) -> str:
        name = f", name={self.name!r}" if self.name else ""
        return f"Node({self.op!r}, shape={self.shape}{name})"


def variable(value, name: str | None = None) -> Node:
    """A leaf that the output will be differentiated with respect to."""
    if not hasattr(value, "shape"):
        raise TypeError(f"a variable must be an array (numpy or torch), got {type(value).__name__}")
    return Node(value, needs_grad=True, name=name)


def constant(value, name: str | None = None) -> Node:
    """A leaf that receives no adjoint (data, targets, fixed numbers)."""
    return Node(value, name=name)


def label(x, name: str):
    """Name a traced value for drawings (``z1``, ``a1``); plain arrays and Duals pass through."""
    if isinstance(x, Node):
        x.name = name
    return x


def toposort(out: Node, needs_grad_only: bool = False) -> list[Node]:
    """Every node that ``out`` depends on, each after all its parents (``out`` last).

    A depth-first search with an explicit stack, not recursion: a chain of a
    million operations is as easy as a chain of ten. ``needs_grad_only`` leaves
    out the nodes no adjoint flows into (constants, and values made from
    constants alone): the backward sweep has nothing to do there.
    """
    order, seen = [], set()  # nodes hash by identity
    stack = [(out, False)]
    while stack:
        node, parents_done = stack.pop()
        if parents_done:
            order.append(node)  # every parent is already in order
        elif node not in seen:
            seen.add(node)
            stack.append((node, True))  # come back to it once its parents are done
            for p in node.parents:
                if p not in seen and (p.needs_grad or not needs_grad_only):
                    stack.append((p, False))
    return order


def backward(out: Node, seed=None) -> dict[Node, object]:
    """Reverse accumulation from ``out``: the adjoint ``dC/dv`` of every node ``v`` that needs one.

    ``seed`` is the adjoint of ``out`` itself (shaped like it); it may be left out
    only when ``out`` holds a single number, which then gets the seed 1.
    Returns a dict from each node to its adjoint (identity keys).
    """
    if not isinstance(out, Node):
        raise TypeError(f"backward() needs the traced output Node, got {type(out).__name__}")
    xp = xp_of(out.value)
    if seed is None:
        if math.prod(out.shape) != 1:
            raise ValueError(
                f"the output has shape {out.shape}, not a single number: differentiating it needs "
                "a seed vector (the adjoint of the output, shaped like it), e.g. backward(out, seed=...)"
            )
        seed = xp.ones_like(out.value)
    elif shape_of(seed) != out.shape:
        raise ValueError(f"the seed has shape {shape_of(seed)}, but the output has shape {out.shape}")
    adjoint = {out: seed}
    get = adjoint.get
    for node in reversed(toposort(out, needs_grad_only=True)):
        g = get(node)
        rule = node.rule
        if g is None or rule is None:
            continue  # a leaf, or a node that no adjoint reached
        parents = node.parents
        inputs = [p.value for p in parents]
        for i, parent in enumerate(parents):
            if parent.needs_grad:  # no work for constants such as the data x
                contribution = rule.vjp(i)(xp, g, node.value, *inputs, **node.kwargs)
                before = get(parent)
                adjoint[parent] = contribution if before is None else before + contribution
    return adjoint


def trace(f: Callable, params: dict, *args) -> tuple[Node, dict]:
    """Run ``f(params, *args)`` with every parameter a :func:`variable`; returns ``(out, leaves)``."""
    if not isinstance(params, dict):
        raise TypeError(f"params must be a dict of arrays, got {type(params).__name__}")
    leaves = {k: variable(v, name=k) for k, v in params.items()}
    return f(leaves, *args), leaves


def vjp(f: Callable, params: dict, seed, *args) -> tuple[object, dict]:
    """``(f(params, *args), grads)`` with grads the seed's vector-Jacobian product, shaped like params."""
    out, leaves = trace(f, params, *args)
    if not isinstance(out, Node):  # the output does not depend on anything traced
        return out, {k: xp_of(v).zeros_like(v) for k, v in params.items()}
    adjoint = backward(out, seed)
    grads = {k: adjoint.get(leaf) for k, leaf in leaves.items()}
    return out.value, {k: xp_of(params[k]).zeros_like(params[k]) if g is None else g for k, g in grads.items()}


def value_and_grad(f: Callable) -> Callable:
    """``f`` returning a single number -> a function giving ``(value, grads)``, grads shaped like params."""
    return lambda params, *args: vjp(f, params, None, *args)


def grad(f: Callable) -> Callable:
    """``f`` returning a single number -> a function giving its gradient, shaped like params."""
    return lambda params, *args: vjp(f, params, None, *args)[1]


def zeros_like(x):
    """Zeros shaped like ``x``: a plain array (a constant), traced or not."""
    v = x.value if isinstance(x, Box) else x
    return xp_of(v).zeros_like(v)


def ones_like(x):
    v = x.value if isinstance(x, Box) else x
    return xp_of(v).ones_like(v)
