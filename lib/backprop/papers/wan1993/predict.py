"""Wan's FIR network for the laser series: one-step training, iterated 100-step forecast.

The network (Wan 1993, as we could not check it against the chapter itself: see
the claims file): 1 input, two hidden layers of 12 tanh units, 1 linear output,
with 25, 5 and 5 taps per connection in the three layers (``backprop.fir``):
1,105 weights and biases, and a memory of 24 + 4 + 4 = 32 past steps. It is
trained to predict the next point from the past ones on the 1,000 given points:

    input x(0 .. 998)  ->  outputs for t = 32 .. 998, targets x(t + 1)

and then forecasts the 100 points after them *iterated*: each prediction is
appended to the series and fed back in as the input of the next step, with no
true value ever seen after point 999.

Ours (the chapter's training details were not available to us): the series is
standardised with the mean and standard deviation of the 1,000 given points;
training is full-sequence gradient descent with momentum on the mean squared
one-step error (the gradient divided by the number of times), ``eta`` 0.05 to
start, decayed, ``alpha`` 0.9; initial weights uniform in ``+-1 / sqrt(fan_in)``.

Non-goals: Wan's own tricks that we could not verify (his use of validation data,
the number of epochs, his learning rates).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from backprop import fir
from backprop.optim import momentum_step

SIZES = (1, 12, 12, 1)  # 1-12-12-1
TAPS = (25, 5, 5)  # taps per connection in the three layers


def network() -> fir.FIRNet:
    net = fir.FIRNet(SIZES, TAPS, activations=("tanh", "identity"))
    assert net.n_params() == 12 * 25 + 12 + 12 * 12 * 5 + 12 + 12 * 5 + 1 == 1105
    assert net.memory == 32
    return net


@dataclass(frozen=True)
class Scaling:
    """The standardisation ``u = (x - mean) / std`` fitted on the given points."""

    mean: float
    std: float

    def __call__(self, x):
        return (np.asarray(x, dtype=float) - self.mean) / self.std

    def inverse(self, u):
        return np.asarray(u, dtype=float) * self.std + self.mean


def fit_scaling(train: np.ndarray) -> Scaling:
    return Scaling(float(np.mean(train)), float(np.std(train)))


@dataclass
class Training:
    """The mean squared one-step error (standardised units) every ``every`` steps."""

    mse: list
    every: int

    def __repr__(self) -> str:
        return f"Training({(len(self.mse) - 1) * self.every} steps, one-step MSE {self.mse[0]:.4f} -> {self.mse[-1]:.4f})"


def one_step_data(u: np.ndarray, net: fir.FIRNet):
    """``(x, y)`` for one-step prediction on the standardised series ``u`` (N,): ``(1, N-1)``, ``(1, N-1-memory)``."""
    u = np.asarray(u, dtype=float)
    return u[None, :-1], u[None, net.memory + 1 :]


def train(rng: np.random.Generator, u: np.ndarray, steps: int, eta: float = 0.05, alpha: float = 0.9,
          eta_final: float = 0.005, every: int = 100):
    """Train a fresh network on one-step prediction of ``u``: ``(net, params, Training)``.

    ``eta`` decays geometrically from ``eta`` to ``eta_final`` over the ``steps`` steps.
    """
    if steps < 1 or not 0 < eta_final <= eta:
        raise ValueError(f"need steps >= 1 and 0 < eta_final <= eta, got {steps}, {eta_final}, {eta}")
    net = network()
    params = net.init_params(rng)
    x, y = one_step_data(u, net)
    fir.check_inputs(net, params, x, y)
    n = y.shape[-1]
    velocity, mse = None, []
    decay = (eta_final / eta) ** (1 / max(steps - 1, 1))
    for step in range(steps):
        C, grads = fir.loss_and_grads(net, params, x, y, check=False)
        if step % every == 0:
            mse.append(2 * C / n)
        grads = {k: g / n for k, g in grads.items()}
        params, velocity = momentum_step(params, grads, velocity, eta=eta * decay**step, alpha=alpha)
    mse.append(2 * fir.loss(net, params, x, y, check=False) / n)
    return net, params, Training(mse, every)


def iterate(net: fir.FIRNet, params: dict, u_given: np.ndarray, horizon: int) -> np.ndarray:
    """The iterated forecast ``(horizon,)``: each prediction fed back as the next input."""
    window = list(np.asarray(u_given, dtype=float)[-(net.memory + 1) :])
    if len(window) < net.memory + 1:
        raise ValueError(f"need at least {net.memory + 1} given points, got {len(window)}")
    out = []
    for _ in range(horizon):  # a loop over time: each step needs the one before
        a, _ = fir.forward(net, params, np.array(window)[None, :], check=False)
        nxt = float(a[0, -1])
        out.append(nxt)
        window = window[1:] + [nxt]
    return np.array(out)


def one_step(net: fir.FIRNet, params: dict, u_given: np.ndarray, u_future: np.ndarray) -> np.ndarray:
    """One-step predictions of each point of ``u_future``, from the true points before it."""
    u = np.concatenate([u_given, u_future])
    a, _ = fir.forward(net, params, u[None, len(u_given) - net.memory - 1 : -1], check=False)
    return a[0]
