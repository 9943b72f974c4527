"""Cost functions C and the error they send back, delta^L = dC/dz^L.

A cost is summed over the output units and over the examples (the columns), as
Rumelhart, Hinton & Williams define E = 1/2 sum_c sum_j (y_jc - d_jc)^2; divide
the learning rate by the batch size for a mean. With leading "seed"
dimensions, ``fn`` returns one total per seed.

``delta(z, a, df, y, xp)`` is the output layer's error

    delta^L = f'(z^L) * grad_a C                      (any elementwise f)
    delta^L = a^L - y                                 (the paired costs below)

Cross-entropy is paired with the output nonlinearity that makes its delta
simply ``a - y`` and lets its value be computed from ``z`` without taking the
log of a number that has rounded to 0 (numerically stable): softmax
cross-entropy needs a ``softmax`` output layer, binary cross-entropy a
``logistic`` one. ``output`` names that requirement; the network checks it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

from backprop.activations import _softplus
from backprop.named import lookup


@dataclass(frozen=True)
class Cost:
    name: str
    fn: Callable  # fn(z, a, y, xp) -> total cost (per seed)
    delta: Callable  # delta(z, a, df, y, xp) -> dC/dz^L, shaped like z
    output: Optional[str] = None  # required output activation; None = any elementwise one

    def __repr__(self) -> str:
        return f"Cost({self.name!r})"


def _total(x, xp):
    return xp.sum(x, axis=(-2, -1))


def _log_softmax(z, xp):
    shifted = z - xp.max(z, axis=-2, keepdims=True)
    return shifted - xp.log(xp.sum(xp.exp(shifted), axis=-2, keepdims=True))


half_squared_error = Cost(
    "half_squared_error",
    fn=lambda z, a, y, xp: 0.5 * _total((a - y) ** 2, xp),
    delta=lambda z, a, df, y, xp: df * (a - y),
)

softmax_cross_entropy = Cost(
    "softmax_cross_entropy",
    fn=lambda z, a, y, xp: -_total(y * _log_softmax(z, xp), xp),
    delta=lambda z, a, df, y, xp: a - y,
    output="softmax",
)

# -[y log a + (1-y) log(1-a)] with a = logistic(z) equals softplus(z) - y z.
binary_cross_entropy = Cost(
    "binary_cross_entropy",
    fn=lambda z, a, y, xp: _total(_softplus(z, xp) - y * z, xp),
    delta=lambda z, a, df, y, xp: a - y,
    output="logistic",
)

_REGISTRY = {c.name: c for c in (half_squared_error, softmax_cross_entropy, binary_cross_entropy)}


def get(cost: str | Cost) -> Cost:
    """A cost by name (or the cost itself)."""
    return lookup(_REGISTRY, cost, Cost, "cost")
