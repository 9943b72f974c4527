"""Recurrent networks and backpropagation through time, in matrix form.

A recurrent network reads a sequence ``x[0], ..., x[T-1]`` one step at a time and
keeps a hidden state ``h[t]``. For ``t = 0 .. T-1``, with ``h[-1] = h0`` (zeros by
default),

    z_h[t] = W_hh @ h[t-1] + W_xh @ x[t] + b_h        h[t] = f(z_h[t])
    z_y[t] = W_hy @ h[t] + b_y                         y[t] = g(z_y[t])

and the cost is summed over the steps (and the examples), each step's term
weighted by a mask that says where there is a target: ``C = sum_t mask[t] C_t``.

Unrolled over the T steps, the network is a layered network of ``T`` hidden
layers whose weights are *the same matrices at every layer*. Its backward pass
(Werbos's backpropagation through time; the "unfolding in time" of Rumelhart,
Hinton and Williams) runs back from the last step, with ``delta_y[t] = dC/dz_y[t]``
supplied by the cost:

    dC/dh[t]   = W_hy.T @ delta_y[t] + W_hh.T @ delta_h[t+1]     (no second term at t = T-1)
    delta_h[t] = f'(z_h[t]) * dC/dh[t]

and **the gradient of a shared weight is the sum over its copies**, one copy per
step, because the weight enters the cost once through each:

    dC/dW_hh = sum_t delta_h[t] @ h[t-1].T       dC/dW_xh = sum_t delta_h[t] @ x[t].T
    dC/db_h  = sum_t delta_h[t] @ 1              (summed over the examples too)
    dC/dW_hy = sum_t delta_y[t] @ h[t].T         dC/db_y  = sum_t delta_y[t] @ 1

:func:`copy_gradients` returns the terms of these sums, one per copy, before
they are summed; :func:`backward` sums them.

Shapes (**examples are columns**, as in :mod:`backprop.dense`): ``xs`` is
``(T, I, m)``, ``h[t]`` ``(H, m)``, ``ys`` ``(T, O, m)``. Parameters may carry a
leading seeds axis (``W_hh``: ``(S, H, H)``) to run S independent networks at
once; then ``ys`` is ``(S, T, O, m)``. The examples are never looped over; the
loop over time steps is the algorithm itself (each step needs the one before).

Non-goals: truncated BPTT, gated units (LSTM, GRU), outputs fed back as inputs,
several recurrent layers, sequences of different lengths (pad and mask them).
"""

from __future__ import annotations

import math

import numpy as np
from array_api_compat import device as _device

from backprop import activations as _activations
from backprop import costs as _costs
from backprop.backend import Backend, get_backend, like, namespace, to_numpy
from backprop.layout import check_params

NAMES = ("W_xh", "W_hh", "b_h", "W_hy", "b_y")


class RecurrentNet:
    """The architecture of a recurrent network: sizes, hidden and output activations, cost.

    It holds no weights; those live in a ``params`` dict made by :meth:`init_params`
    with the keys ``W_xh (H, I)``, ``W_hh (H, H)``, ``b_h (H, 1)``, ``W_hy (O, H)``, ``b_y (O, 1)``.
    """

    def __init__(self, n_in: int, n_hidden: int, n_out: int, activation="logistic",
                 output="logistic", cost="half_squared_error"):
        sizes = (n_in, n_hidden, n_out)
        if not all(isinstance(n, (int, np.integer)) and not isinstance(n, bool) and n > 0 for n in sizes):
            raise ValueError(f"n_in, n_hidden and n_out must be positive integers, got {sizes!r}")
        self.n_in, self.n_hidden, self.n_out = (int(n) for n in sizes)
        self.activation = _activations.get(activation)  # f, of the hidden state
        self.output = _activations.get(output)  # g, of the outputs
        self.cost = _costs.get(cost)
        if self.activation.df is None:
            raise ValueError(f"the hidden activation {self.activation.name} has no elementwise derivative")
        if self.cost.output is not None and self.output.name != self.cost.output:
            raise ValueError(f"cost {self.cost.name} needs a {self.cost.output} output, got {self.output.name}")
        if self.cost.output is None and self.output.df is None:
            raise ValueError(f"a {self.output.name} output needs the softmax_cross_entropy cost")

    def __repr__(self) -> str:
        return (f"RecurrentNet({self.n_in}, {self.n_hidden}, {self.n_out}, activation={self.activation.name!r}, "
                f"output={self.output.name!r}, cost={self.cost.name!r})")

    def param_shapes(self) -> dict[str, tuple[int, int]]:
        """The shape of every parameter (without the seeds axis)."""
        I, H, O = self.n_in, self.n_hidden, self.n_out
        return {"W_xh": (H, I), "W_hh": (H, H), "b_h": (H, 1), "W_hy": (O, H), "b_y": (O, 1)}

    def n_params(self) -> int:
        return sum(math.prod(s) for s in self.param_shapes().values())

    def init_params(self, rng: np.random.Generator, scale: float = 0.5, seeds: int | None = None,
                    backend: Backend | str | None = None, dtype: str = "float64") -> dict:
        """Weights and biases drawn uniformly from [-scale, scale], on ``backend`` (numpy by default).

        ``seeds=S`` draws S independent networks stacked on a leading axis. The numbers
        are drawn by numpy whatever the backend, so a seed gives the same network on
        every device (as :meth:`backprop.dense.DenseNet.init_params`).
        """
        if not isinstance(rng, np.random.Generator):
            raise TypeError("rng must be a numpy Generator, e.g. np.random.default_rng(0)")
        backend = get_backend(backend or "numpy") if not isinstance(backend, Backend) else backend
        lead = () if seeds is None else (int(seeds),)
        return {k: backend.asarray(rng.uniform(-scale, scale, size=lead + s), dtype)
                for k, s in self.param_shapes().items()}


# ---- checks ---------------------------------------------------------------------------------


def _check_finite(name: str, a) -> None:
    bad = ~np.isfinite(to_numpy(a))
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(f"{name} contains NaN or inf ({int(bad.sum())} entries, the first at index {where})")


def check_inputs(net: RecurrentNet, params: dict, xs, targets=None, mask=None, h0=None) -> None:
    """Raise a ``ValueError`` naming the array that does not fit ``net`` (wrong shape, NaN or inf)."""
    check_params(net.param_shapes(), params, net, seeds=True)
    for k in NAMES:
        _check_finite(f"params[{k!r}]", params[k])
    shape = tuple(getattr(xs, "shape", ()))
    if len(shape) < 3 or shape[-2] != net.n_in:
        raise ValueError(f"xs has shape {shape}; expected (T, {net.n_in}, m): T steps of {net.n_in} inputs, "
                         "one column per example")
    _check_finite("xs", xs)
    T, m = shape[-3], shape[-1]
    if h0 is not None:
        if tuple(h0.shape[-2:]) != (net.n_hidden, m):
            raise ValueError(f"h0 has shape {tuple(h0.shape)}; expected ({net.n_hidden}, {m}), one column per example")
        _check_finite("h0", h0)
    if targets is not None:
        if len(targets.shape) < 3 or tuple(targets.shape[-3:]) != (T, net.n_out, m):
            raise ValueError(f"targets has shape {tuple(targets.shape)}; expected ({T}, {net.n_out}, {m}) like the outputs")
        _check_finite("targets", targets)
    if mask is not None:
        mask_np = to_numpy(mask)
        try:
            full = np.broadcast_to(mask_np, np.broadcast_shapes(mask_np.shape, (T, net.n_out, m)))
        except ValueError:
            raise ValueError(f"mask has shape {mask_np.shape}, which does not broadcast to the outputs' "
                             f"({T}, {net.n_out}, {m})") from None
        _check_finite("mask", mask_np.astype(float))
        if net.cost.output == "softmax" and not np.all(full == full[..., :1, :]):
            raise ValueError("mask must be the same for every output unit with softmax_cross_entropy: "
                             "its cost is one term per step and example, not per unit")


# ---- the forward pass -----------------------------------------------------------------------


def forward(net: RecurrentNet, params: dict, xs, h0=None, check: bool = True):
    """The forward pass through the T steps: ``ys`` ``(T, O, m)`` (``(S, T, O, m)`` seeded) and the cache.

    cache = {"xs": xs, "h": (.., T+1, H, m) with h[0] = h0, "df_h": (.., T, H, m) f'(z_h),
             "z_y", "ys", "df_y": (.., T, O, m) (df_y None for a softmax output)}
    """
    if check:
        check_inputs(net, params, xs, h0=h0)
    xp = namespace(xs, *params.values())
    W_xh, W_hh, b_h, W_hy, b_y = (params[k] for k in NAMES)
    f, g = net.activation, net.output
    if h0 is None:
        h0 = xp.zeros((net.n_hidden, xs.shape[-1]), dtype=W_hh.dtype, device=_device(W_hh))
    h, df_h, z_y, ys = [h0], [], [], []
    for t in range(xs.shape[-3]):
        z = W_hh @ h[t] + W_xh @ xs[..., t, :, :] + b_h  # (.., H, m); h[t] here is h[t-1] of the equations
        h.append(f.f(z, xp))
        df_h.append(f.df(z, h[-1], xp))
        z_y.append(W_hy @ h[-1] + b_y)  # (.., O, m)
        ys.append(g.f(z_y[-1], xp))
    h[0] = xp.broadcast_to(h0, tuple(h[1].shape))  # zeros or one h0 for every seed: stacked like the others
    stack = lambda a: xp.stack(a, axis=-3)  # noqa: E731  a list over t -> (.., T, rows, m)
    ys, z_y = stack(ys), stack(z_y)
    df_y = None if g.df is None else g.df(z_y, ys, xp)
    return ys, {"xs": xs, "h": stack(h), "df_h": stack(df_h), "z_y": z_y, "ys": ys, "df_y": df_y}


# ---- the cost -------------------------------------------------------------------------------


def _cost_terms(cost, z, a, y, xp):
    """The cost's terms, whose sum is the cost: one per entry ``(.., T, O, m)`` for an elementwise
    cost, one per step and example ``(.., T, 1, m)`` for softmax cross-entropy (its terms
    couple the units). The cost's ``fn`` sums over the last two axes, so it is handed each
    entry (each column) as a 1x1 (an O x 1) matrix of its own."""
    if cost.output == "softmax":
        column = lambda v: v.swapaxes(-1, -2)[..., None]  # noqa: E731  (.., T, m, O, 1)
        return cost.fn(column(z), column(a), column(y), xp)[..., None, :]
    return cost.fn(z[..., None, None], a[..., None, None], y[..., None, None], xp)


def _as_mask(mask, ref):
    if mask is None:
        return None
    if type(mask) is type(ref) and mask.dtype == ref.dtype:
        return mask
    return like(to_numpy(mask), ref)


def cost_and_delta(net: RecurrentNet, cache: dict, targets, mask=None):
    """The cost ``C = sum over steps, outputs and examples of mask * term`` (one total per seed)
    and ``delta_y = dC/dz_y = mask * (the cost's delta)``, shaped like ``ys``."""
    z_y, ys = cache["z_y"], cache["ys"]
    xp = namespace(ys)
    mask = _as_mask(mask, ys)
    terms = _cost_terms(net.cost, z_y, ys, targets, xp)
    delta_y = net.cost.delta(z_y, ys, cache["df_y"], targets, xp)
    if mask is not None:
        delta_y = delta_y * mask
        if terms.shape[-2] == 1 and mask.ndim >= 2:  # softmax: one term per column, its mask any unit's
            mask = mask[..., :1, :]
        terms = terms * mask
    return xp.sum(terms, axis=(-3, -2, -1)), delta_y


# ---- the backward pass ----------------------------------------------------------------------


def _T(m):
    return m.swapaxes(-1, -2)  # transpose of the last two axes; seeds and steps stay in front


def errors_through_time(net: RecurrentNet, params: dict, cache: dict, delta_y):
    """Back through time: ``(dC/dh, delta_h)``, both ``(.., T, H, m)``, from ``delta_y = dC/dz_y``.

        dC/dh[t] = W_hy.T @ delta_y[t] + W_hh.T @ delta_h[t+1]      delta_h[t] = f'(z_h[t]) * dC/dh[t]
    """
    xp = namespace(delta_y)
    W_hh_T, W_hy_T, df_h = _T(params["W_hh"]), _T(params["W_hy"]), cache["df_h"]
    T = df_h.shape[-3]
    dh, delta_h = [None] * T, [None] * T
    for t in reversed(range(T)):
        dh[t] = W_hy_T @ delta_y[..., t, :, :]  # (.., H, m): through this step's output
        if t + 1 < T:
            dh[t] = dh[t] + W_hh_T @ delta_h[t + 1]  # and through the next step's state
        delta_h[t] = df_h[..., t, :, :] * dh[t]
    return xp.stack(dh, axis=-3), xp.stack(delta_h, axis=-3)


def copy_gradients(net: RecurrentNet, params: dict, cache: dict, delta_y) -> dict:
    """Each copy's term of the gradient, before the sum over copies: every array ``(.., T, *shape)``,
    entry ``t`` the gradient with respect to the copy of the weight used at step t.

        W_xh[t]: delta_h[t] @ x[t].T    W_hh[t]: delta_h[t] @ h[t-1].T    b_h[t]: delta_h[t] @ 1
        W_hy[t]: delta_y[t] @ h[t].T    b_y[t]:  delta_y[t] @ 1
    """
    _, delta_h = errors_through_time(net, params, cache, delta_y)
    h = cache["h"]  # (.., T+1, H, m): h[-1] = h0, h[0], ..., h[T-1]
    return {
        "W_xh": delta_h @ _T(cache["xs"]),  # (.., T, H, I)
        "W_hh": delta_h @ _T(h[..., :-1, :, :]),  # (.., T, H, H)
        "b_h": delta_h.sum(-1, keepdims=True),  # (.., T, H, 1)
        "W_hy": delta_y @ _T(h[..., 1:, :, :]),  # (.., T, O, H)
        "b_y": delta_y.sum(-1, keepdims=True),  # (.., T, O, 1)
    }


def backward(net: RecurrentNet, params: dict, cache: dict, delta_y) -> dict:
    """Backpropagation through time: gradients shaped like ``params``, from ``delta_y = dC/dz_y`` (shaped like ys).

    The weights are shared by the T copies of the unrolled network, so the gradient of
    each is the SUM over its copies of that copy's gradient (:func:`copy_gradients`),
    ``dC/dW = sum_t dC/dW[t]``: the cost depends on W through each copy, and the chain
    rule adds the paths.
    """
    xp = namespace(delta_y)
    return {k: xp.sum(g, axis=-3) for k, g in copy_gradients(net, params, cache, delta_y).items()}


def loss_and_grads(net: RecurrentNet, params: dict, xs, targets, mask=None, h0=None, check: bool = True):
    """The cost, summed over steps and examples (one per seed), and its gradient: ``(C, grads)``.

    ``mask`` (broadcastable to ys, 1 = counted, 0 = no target there) says at which steps
    and outputs there is a target; the other entries of ``targets`` are ignored.
    """
    if check:
        check_inputs(net, params, xs, targets, mask, h0)
    _, cache = forward(net, params, xs, h0, check=False)
    C, delta_y = cost_and_delta(net, cache, targets, mask)
    return C, backward(net, params, cache, delta_y)


def loss(net: RecurrentNet, params: dict, xs, targets, mask=None, h0=None, check: bool = True):
    """The cost alone (one total per seed), without gradients."""
    if check:
        check_inputs(net, params, xs, targets, mask, h0)
    _, cache = forward(net, params, xs, h0, check=False)
    return cost_and_delta(net, cache, targets, mask)[0]
