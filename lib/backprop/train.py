"""Training loops for dense networks: per sweep (batch) or per pattern (online).

A *sweep* is one pass through all the training patterns, as in the 1986 paper.
With ``mode="sweep"`` the gradient is accumulated over all patterns (a single
matrix-form pass over the whole batch) and the weights change once per sweep;
with ``mode="pattern"`` they change after every pattern.

With parameters that carry a leading seed axis, S networks train at once, and
each one freezes as soon as it meets ``until``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np

from array_api_compat import device as device_of

from backprop.backend import namespace, to_numpy
from backprop.dense import DenseNet, backward, check_inputs, cost_and_delta, forward, loss_and_grads
from backprop.optim import momentum_step
from backprop.progress import progress_bar


@dataclass
class History:
    """What happened during training, as numpy arrays.

    ``error[t]``: the cost over all patterns at the start of sweep t (one column per seed).
    ``solved_at``: the first sweep at whose start ``until`` held (-1: never), per seed.
    """

    error: np.ndarray
    solved_at: np.ndarray
    sweeps: int
    extras: dict = field(default_factory=dict)

    def __repr__(self) -> str:
        solved = int((self.solved_at >= 0).sum())
        final = np.median(self.error[-1])
        return f"History(sweeps={self.sweeps}, solved={solved}/{self.solved_at.size}, median final error={final:.4g})"


def all_within(tolerance: float) -> Callable:
    """A stopping rule: every output within ``tolerance`` of its target (per seed)."""

    def until(a_L, y):
        xp = namespace(a_L)
        return xp.all(xp.abs(a_L - y) < tolerance, axis=(-2, -1))

    return until


def train(
    net: DenseNet,
    params: dict,
    x,
    y,
    *,
    eta: float,
    alpha: float = 0.0,
    decay: float = 0.0,
    sweeps: int = 1000,
    mode: str = "sweep",
    until: Optional[Callable] = None,
    rng: Optional[np.random.Generator] = None,
    progress: bool = False,
):
    """Train ``params`` on the patterns (columns) of ``x`` and ``y``; returns ``(params, History)``.

    ``until(a_L, y)`` is checked at the start of every sweep on all patterns; it
    returns a boolean (one per seed) and training stops once it holds for every
    seed. In ``"pattern"`` mode the patterns are presented in a new random order
    each sweep when ``rng`` is given, otherwise in their stored order.
    """
    if mode not in ("sweep", "pattern"):
        raise ValueError(f"mode must be 'sweep' or 'pattern', got {mode!r}")
    check_inputs(net, params, x, y)
    xp = namespace(x, *params.values())
    seeded = params["W1"].ndim == 3
    n_seeds = params["W1"].shape[0] if seeded else 1
    m = x.shape[-1]
    solved_at = np.full(n_seeds, -1)
    errors, velocity, mask = [], None, None
    bar = progress_bar(sweeps, enabled=progress, desc="sweeps", leave=False)
    for t in range(sweeps):
        _, cache = forward(net, params, x, check=False)
        E, delta_L = cost_and_delta(net, cache, y)
        E_now = np.atleast_1d(to_numpy(E)).astype(float)
        errors.append(E_now)
        if not np.all(np.isfinite(E_now)):
            raise FloatingPointError(
                f"training diverged at sweep {t}: the error is {E_now}; try a smaller eta (now {eta})"
            )
        if until is not None:
            done = np.atleast_1d(to_numpy(until(cache["a"][-1], y))).astype(bool)
            solved_at[(solved_at < 0) & done] = t
            if np.all(solved_at >= 0):
                break
            if seeded:
                mask = xp.asarray(solved_at < 0, dtype=params["W1"].dtype, device=device_of(x))[:, None, None]
        if mode == "sweep":
            grads = backward(net, params, cache, delta_L)
            params, velocity = momentum_step(params, grads, velocity, eta, alpha, decay, mask)
        else:
            order = rng.permutation(m) if rng is not None else range(m)
            for i in order:
                i = int(i)
                _, grads = loss_and_grads(net, params, x[..., i : i + 1], y[..., i : i + 1], check=False)
                params, velocity = momentum_step(params, grads, velocity, eta, alpha, decay, mask)
        bar.update(1)
    bar.close()
    history = History(error=np.array(errors).squeeze(-1) if not seeded else np.array(errors), solved_at=solved_at, sweeps=len(errors))
    return params, history
