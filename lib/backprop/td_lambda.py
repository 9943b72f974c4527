"""TD(lambda) with eligibility traces for a dense network, many episodes side by side.

A network with outputs ``Y(x; w)`` (``K`` units) predicts the outcome ``z`` of an
episode from each state ``x_t`` it passes through. Sutton's TD(lambda), in the
vector form Tesauro used for TD-Gammon, changes the weights after every step:

    delta_t = Y(x_{t+1}) - Y(x_t)            (K,): one temporal difference per output
    w      <- w + alpha * sum_k delta_t[k] * e_t[k]
    e_t[k]  = lambda * e_{t-1}[k] + dY_k(x_t)/dw

with ``Y(x_{T+1})`` replaced by the outcome ``z`` when the episode ends. The
update needs ``dY_k/dw``, the gradient of an *output*, not of a cost: it is
the backward pass of :mod:`backprop.dense` started from
``delta[L] = f'(z[L]) * u_k`` (``u_k`` the unit vector of output ``k``, see
:func:`~backprop.dense.output_delta`) instead of from a cost's
``dC/da[L]``. Every line of the backward pass is the same; only its seed differs.

``m`` episodes (self-play games) run side by side, each with its own traces;
their updates are summed into one change of the shared weights per step. To get
one gradient per episode rather than their sum, each example is given its own
leading axis and the weights are broadcast over it: ``x`` becomes
``(m, 1, n_0, 1)`` and the backward pass returns ``(m, K, *shape)`` arrays.

Non-goals: control (choosing actions is the caller's job, see
:mod:`backprop.papers.tesauro1992.selfplay`); step-size schedules; replacing traces.
"""

from __future__ import annotations

from dataclasses import dataclass

from backprop.backend import namespace
from backprop.dense import DenseNet, backward, forward, output_delta


@dataclass
class Traces:
    """The state of ``m`` episodes: the current predictions and the eligibility traces."""

    y: object  # (K, m): Y(x_t) of each episode's current state
    e: dict  # name -> (m, K, *shape): one trace per episode, output and weight

    def __repr__(self) -> str:
        K, m = self.y.shape
        return f"Traces({m} episodes, {K} outputs)"


def output_gradients(net: DenseNet, params: dict, x):
    """``Y(x)`` ``(K, m)`` and ``dY_k/dw`` for every example (column of ``x``) and output ``k``.

    Returns ``(y, grads)`` with ``grads[name]`` of shape ``(m, K, *params[name].shape)``.
    """
    xp = namespace(x, *params.values())
    n0, m = x.shape
    K = net.sizes[-1]
    xs = xp.reshape(xp.permute_dims(x, (1, 0)), (m, 1, n0, 1))  # each example on its own axis
    y, cache = forward(net, params, xs, check=False)  # y: (m, 1, K, 1)
    unit = xp.reshape(xp.eye(K, dtype=x.dtype, device=getattr(x, "device", None)), (1, K, K, 1))
    delta_L = output_delta(net, cache, unit)  # (m, K, K, 1): output k's own gradient, seeded by u_k
    grads = backward(net, params, cache, delta_L)  # each (m, K, *shape): never summed over m
    return xp.permute_dims(xp.reshape(y, (m, K)), (1, 0)), grads


def begin(net: DenseNet, params: dict, x) -> Traces:
    """Start ``m`` episodes in states ``x`` ``(n_0, m)``: traces ``e = dY/dw``."""
    y, grads = output_gradients(net, params, x)
    return Traces(y, grads)


def step(net: DenseNet, params: dict, traces: Traces, x_next, y_next, z, done, alpha: float, lam: float, active=None):
    """One TD(lambda) step of every episode: ``(params, traces, delta)``; new ``params``,
    while ``traces`` (often the largest arrays of a run) are updated in place.

    ``x_next`` ``(n_0, m)``: each episode's next state; for an episode that has
    just ended, the first state of the episode that replaces it. ``y_next``
    ``(K, m)``: ``Y(x_next)`` under the current weights (``None``: computed here).
    ``done`` ``(m,)``, 1 where the episode has just ended: its target is the
    outcome ``z`` ``(K, m)`` instead of ``y_next``, and its traces start afresh.
    ``active`` ``(m,)`` (optional), 0 for episodes that sit this step out: they
    change nothing. ``done`` and ``active`` are 0/1 arrays of the params' backend.
    """
    xp = namespace(x_next, *params.values())
    if y_next is None:
        y_next, _ = forward(net, params, x_next, check=False)
    d = xp.reshape(done, (1, -1))
    delta = d * z + (1.0 - d) * y_next - traces.y  # (K, m): the temporal differences
    if active is not None:
        delta = delta * xp.reshape(active, (1, -1))
    dT = xp.permute_dims(delta, (1, 0))  # (m, K)
    params = {k: w + alpha * xp.tensordot(dT, traces.e[k], axes=([0, 1], [0, 1])) for k, w in params.items()}
    y, grads = output_gradients(net, params, x_next)  # with the new weights: the next step's Y(x_t)
    keep = lam * (1.0 - done)  # a new episode starts with empty traces
    for k, g in grads.items():  # e = keep * e + g, in place: the traces are the largest arrays here
        e = traces.e[k]
        e *= xp.reshape(keep, (-1,) + (1,) * (g.ndim - 1))
        e += g
    traces.y = y
    return params, traces, delta
