"""Training loops for dense networks: per sweep (batch) or per pattern (online).

A *sweep* is one pass through all the training patterns, as in the 1986 paper.
With ``mode="sweep"`` the gradient is accumulated over all patterns (a single
matrix-form pass over the whole batch) and the weights change once per sweep;
with ``mode="pattern"`` they change after every pattern.

With parameters that carry a leading seed axis, S networks train at once, and
each one freezes as soon as it meets ``until`` (:class:`SolvedSeeds`, shared
with the Levenberg-Marquardt loop). :class:`History` is what both loops return.

Non-goals: other architectures (``backprop.papers.lecun1989.lenet.fit`` trains
the convolutional network of 1989 one example at a time, and scores it per pass);
learning-rate schedules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np

from backprop.backend import like, namespace, to_numpy
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


class SolvedSeeds:
    """Which of S networks trained at once have met the stopping rule ``until``, and when.

    ``solved_at[s]``: the first sweep at whose start seed ``s`` met it (-1: not
    yet). A seed that has met it is frozen: the training loops (:func:`train`,
    :func:`backprop.levenberg_marquardt.train_lm`) leave its weights alone from
    then on, so that its sweep count means "trained in ``solved_at`` sweeps".
    """

    def __init__(self, n_seeds: int):
        self.solved_at = np.full(n_seeds, -1)

    def __repr__(self) -> str:
        return f"SolvedSeeds({int((self.solved_at >= 0).sum())}/{self.solved_at.size} solved)"

    def record(self, t: int, done) -> bool:
        """Note sweep ``t`` for the seeds that meet the rule now (``done``: one boolean per seed,
        as ``until`` returns it); ``True`` once every seed has met it: time to stop."""
        done = np.atleast_1d(to_numpy(done)).astype(bool)
        self.solved_at[(self.solved_at < 0) & done] = t
        return bool(np.all(self.solved_at >= 0))

    def training(self, ref):
        """1 for the seeds still training, 0 for the frozen ones: ``(S,)``, with the dtype and
        on the device of ``ref``."""
        return like(self.solved_at < 0, ref)


def all_within(tolerance: float) -> Callable:
    """A stopping rule: every output within ``tolerance`` of its target (per seed)."""

    def until(a_L, y):
        xp = namespace(a_L)
        return xp.all(xp.abs(a_L - y) < tolerance, axis=(-2, -1))

    return until


def squared_error_below(target: float) -> Callable:
    """A stopping rule: ``sum (a - y)^2`` over all outputs and patterns, ``2E``, below ``target`` (per seed)."""

    def until(a_L, y):
        xp = namespace(a_L)
        return xp.sum((a_L - y) ** 2, axis=(-2, -1)) < target

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
    seeded = params["W1"].ndim == 3
    n_seeds = params["W1"].shape[0] if seeded else 1
    m = x.shape[-1]
    solved = SolvedSeeds(n_seeds)
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
            if solved.record(t, until(cache["a"][-1], y)):
                break
            if seeded:
                mask = solved.training(params["W1"])[:, None, None]  # (S, 1, 1): frozen seeds take no step
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
    history = History(error=np.array(errors).squeeze(-1) if not seeded else np.array(errors), solved_at=solved.solved_at, sweeps=len(errors))
    return params, history
