"""Levenberg-Marquardt training: a damped Gauss-Newton step whose Jacobian backprop builds.

For the half squared error ``E(w) = 1/2 sum_i r_i(w)^2`` with residuals
``r = a[L] - y`` (one per output unit and example, ``N = n_L * m`` of them) the
step is (Hagan & Menhaj 1994)

    (J.T @ J + mu * I) @ dw = -J.T @ r,        J[i, p] = d r_i / d w_p     (N, P)

Far from a minimum (large ``mu``) it is a short gradient-descent step of length
about ``|J.T r| / mu``; near one (small ``mu``) it is the Gauss-Newton step,
which treats ``J.T @ J`` as the Hessian. ``mu`` adapts: divided by ``beta``
after a step that lowers ``E``, multiplied by ``beta`` (and the step refused)
after one that does not.

**The Jacobian by backprop.** Row ``i = (k, c)`` of ``J`` is the gradient of the
single output ``a[L][k, c]``. The backward pass of :mod:`backprop.dense`, fed the
output error ``delta[L] = f'(z[L]) * e_k`` (``e_k`` the unit vector of output
unit ``k``), returns exactly that gradient. To keep the examples apart instead
of summing over them, they are moved onto a leading batch axis (each one a
batch of a single column), so ``dW[l] = delta[l] @ a[l-1].T`` comes out per
example. One backward pass per output unit, batched over all examples: ``n_L``
passes in all, never a loop over examples.

Works for networks with ``half_squared_error`` and an elementwise output
activation, with or without a leading seed axis (S networks at once, each with
its own ``mu``), on numpy or torch. Non-goals: large networks (the ``P x P``
solve grows as ``P^3``), other costs.
"""

from __future__ import annotations

from typing import Callable, Optional

import numpy as np
from array_api_compat import device as device_of

from backprop.backend import namespace, to_numpy
from backprop.dense import DenseNet, backward, check_inputs, forward, loss
from backprop.layout import Layout
from backprop.train import History, SolvedSeeds


def _check_net(net: DenseNet) -> None:
    if net.cost.name != "half_squared_error":
        raise ValueError(f"Levenberg-Marquardt needs the half_squared_error cost; {net!r} has {net.cost.name}")
    if net.activations[net.L].df is None:
        raise ValueError(f"Levenberg-Marquardt needs an elementwise output activation; {net!r} has softmax")


def _seeded(net: DenseNet, params: dict) -> bool:
    return params["W1"].ndim == len(net.param_shapes()["W1"]) + 1


def flatten(net: DenseNet, params: dict):
    """All parameters as one vector ``w``, ``(P,)`` or ``(S, P)``, in the order of ``net.param_shapes()``."""
    return Layout(net.param_shapes()).flatten(params)


def unflatten(net: DenseNet, w) -> dict:
    """The inverse of :func:`flatten`: a parameter dict from ``w`` ``(..., P)``."""
    return Layout(net.param_shapes()).unflatten(w)


def residuals_and_jacobian(net: DenseNet, params: dict, x, y, check: bool = True):
    """The residuals ``r = a[L] - y`` and their Jacobian ``J = dr/dw``.

    ``r``: ``(..., N)`` and ``J``: ``(..., N, P)`` with ``N = n_L * m`` ordered
    unit-major (row ``k * m + c`` is output unit ``k`` on example ``c``) and the
    ``P`` columns in the order of :func:`flatten`. ``...`` is the seed axis, if any.
    """
    _check_net(net)
    if check:
        check_inputs(net, params, x, y)
    xp = namespace(x, *params.values())
    n0, m, nL = net.sizes[0], x.shape[-1], net.sizes[-1]
    seeded = _seeded(net, params)
    # Each example becomes a batch of one column on a leading axis: x_e (m, n0, 1).
    x_e = xp.reshape(xp.permute_dims(x, (1, 0)), (m, n0, 1))
    y_e = xp.reshape(xp.permute_dims(y, (1, 0)), (m, nL, 1))
    # With seeds, W (S, n, n') becomes (S, 1, n, n') so that it meets every example.
    p_e = {k: xp.expand_dims(v, axis=-3) for k, v in params.items()} if seeded else params
    a_L, cache = forward(net, p_e, x_e, check=False)  # a_L: (S?, m, nL, 1)
    lead = tuple(a_L.shape[:-3])
    r = xp.reshape(xp.matrix_transpose((a_L - y_e)[..., 0]), lead + (nL * m,))  # unit-major
    rows, layout = [], Layout(net.param_shapes())
    for k in range(nL):  # one backward pass per output unit
        e_k = xp.reshape(xp.asarray([1.0 if j == k else 0.0 for j in range(nL)], dtype=x.dtype, device=device_of(x)), (nL, 1))
        grads = backward(net, p_e, cache, cache["df"][net.L] * e_k)  # per-example gradients of a_L[k]
        rows.append(layout.flatten(grads))  # (S?, m, P): one row of J per example
    J = xp.stack(rows, axis=-3)  # (S?, nL, m, P)
    return r, xp.reshape(J, lead + (nL * m, J.shape[-1]))


def step(net: DenseNet, params: dict, x, y, mu, beta: float = 10.0, frozen=None, _rJ=None):
    """One Levenberg-Marquardt step with adaptive damping.

    ``mu`` is a float or an array with one entry per seed. Returns
    ``(params, mu, E, accepted)``: the new parameters (the old ones where the step
    was refused or the seed is ``frozen``), the new ``mu``, the error ``E`` after
    the step and a boolean array saying where the step was taken.
    """
    xp = namespace(x, *params.values())
    seeded = _seeded(net, params)
    r, J = _rJ if _rJ is not None else residuals_and_jacobian(net, params, x, y, check=False)
    E = 0.5 * xp.sum(r * r, axis=-1)
    mu = xp.asarray(mu, dtype=x.dtype, device=device_of(x)) * xp.ones_like(E)
    Jt = xp.matrix_transpose(J)
    g = (Jt @ r[..., None])[..., 0]  # J.T r: the gradient of E, (S?, P)
    P = J.shape[-1]
    A = Jt @ J + mu[..., None, None] * xp.eye(P, dtype=x.dtype, device=device_of(x))
    dw = -xp.linalg.solve(A, g[..., None])[..., 0]
    w = flatten(net, params)
    trial = unflatten(net, w + dw)
    E_trial = loss(net, trial, x, y, check=False)
    accepted = E_trial < E
    if frozen is not None:
        accepted = accepted & ~frozen
    keep = xp.reshape(accepted, tuple(accepted.shape) + (1, 1)) if seeded else accepted
    new = {k: xp.where(keep, trial[k], params[k]) for k in params}
    new_mu = xp.where(accepted, mu / beta, mu * beta)
    if frozen is not None:
        new_mu = xp.where(frozen, mu, new_mu)
    mu = xp.clip(new_mu, 1e-12, 1e12)
    return new, mu, xp.where(accepted, E_trial, E), accepted


def train_lm(
    net: DenseNet,
    params: dict,
    x,
    y,
    *,
    iterations: int = 100,
    mu: float = 1e-2,
    beta: float = 10.0,
    until: Optional[Callable] = None,
):
    """Train by Levenberg-Marquardt; returns ``(params, History)`` as :func:`backprop.train` does.

    Every iteration computes (at most) one Jacobian and one ``P x P`` solve,
    whether its step is taken or refused, so ``History.error[t]`` is the error
    at the start of iteration t. With seeds, each network stops (is frozen) at
    the first iteration whose start meets ``until(a_L, y)``.
    ``History.extras["mu"]`` holds the damping per iteration.
    """
    _check_net(net)
    check_inputs(net, params, x, y)
    xp = namespace(x, *params.values())
    seeded = _seeded(net, params)
    n_seeds = params["W1"].shape[0] if seeded else 1
    solved = SolvedSeeds(n_seeds)
    errors, mus, frozen, rJ = [], [], None, None
    for t in range(iterations):
        if rJ is None:
            rJ = residuals_and_jacobian(net, params, x, y, check=False)
        E_now = np.atleast_1d(to_numpy(0.5 * xp.sum(rJ[0] * rJ[0], axis=-1))).astype(float)
        errors.append(E_now)
        if until is not None:
            a_L, _ = forward(net, params, x, check=False)
            if solved.record(t, until(a_L, y)):
                break
            if seeded:
                frozen = solved.training(x) == 0
        params, mu, _, accepted = step(net, params, x, y, mu, beta, frozen=frozen, _rJ=rJ)
        mus.append(np.atleast_1d(to_numpy(mu)).astype(float))
        if bool(xp.any(accepted)):
            rJ = None  # the weights moved: a new Jacobian next time
    errors = np.array(errors)
    history = History(error=errors if seeded else errors.squeeze(-1), solved_at=solved.solved_at, sweeps=len(errors),
                      extras={"mu": np.array(mus)})
    return params, history
