"""Hinton's family-trees network (Nature 1986, Figs. 3-4) and the loop that trains it.

The network is a :class:`backprop.DenseNet` 36-12-12-6-24 of logistic units whose
first layer is two separate groups: the 24 person inputs feed person units
0-5, the 12 relation inputs feed units 6-11 (:func:`connections`, a 0/1 mask
on ``W1``). Examples are columns, as in :func:`tasks.family_trees`
(``x``: (36, 104), ``y``: (24, 104)); ``n`` networks train at once, stacked on a
leading axis (``W1``: (n, 12, 36), outputs ``a``: (n, 24, 104)).

:func:`backprop.train` knows neither connections that do not exist nor an error
that stops at the margin, so :func:`train` has its own loop; one sweep is

    e      = 0 where the output is past its margin (on and > 0.8, off and < 0.2), else a - y,
             and 0 on the network's held-out questions
    delta  = f'(z[L]) * e,      grads = backward(delta),      dW1 = dW1 * C
    w      = (1 - 0.002) w + dw,   dw = -eta dE/dw + alpha dw(t-1)    (momentum_step)

with ``eta, alpha = 0.005, 0.5`` for the first 20 sweeps and ``0.01, 0.9``
afterwards (the captions' settings, scaled by ``step``).

Non-goals: other architectures or schedules; plotting (the notebook draws).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

import backprop as bp
from backprop.optim import momentum_step

LAYERS = [36, 12, 12, 6, 24]  # person + relation inputs -> 6 + 6 -> 12 -> 6 -> person 2
PERSON_UNITS, RELATION_UNITS = slice(0, 6), slice(6, 12)  # the two groups of the first hidden layer
HELD_OUT = 4  # "trained on 100 of the 104 questions"
MARGIN = (0.2, 0.8)  # no error below 0.2 for an output that should be off, above 0.8 for one that should be on
DECAY = 0.002  # "every weight decayed by 0.2% after each change"


def network() -> bp.DenseNet:
    """The 36-12-12-6-24 network of logistic units (Nature Fig. 3), every connection of a full net."""
    return bp.DenseNet(LAYERS)


def connections() -> np.ndarray:
    """``C``: (12, 36) float32, 1 where a first-layer weight exists: person -> person units, relation -> relation units."""
    C = np.zeros((12, 36), dtype="float32")
    C[PERSON_UNITS, :24] = 1
    C[RELATION_UNITS, 24:] = 1
    assert int(C.sum()) == 24 * 6 + 12 * 6  # "each of the two groups ... connected to its own group of 6"
    return C


def schedule(t: int) -> tuple[float, float]:
    """``(eta, alpha)`` at sweep ``t``: the captions' 0.005 and 0.5 for 20 sweeps, then 0.01 and 0.9."""
    return (0.005, 0.5) if t < 20 else (0.01, 0.9)


class Trained(NamedTuple):
    """What :func:`train` returns; ``n`` networks, all numpy."""

    params: dict  # the final weights, W1: (n, 12, 36) ...
    learned: np.ndarray  # (n,) bool: every training question answered correctly
    held_right: np.ndarray  # (n,): how many of the network's 4 held-out questions it answers correctly
    progress: np.ndarray  # (k, 2): sweep, median fraction of training questions right (every 50 sweeps and the last)


def answered(a: np.ndarray, y: np.ndarray) -> np.ndarray:
    """(n, m) bool: a question is answered correctly when every output is on the right side of 0.5."""
    return np.all((a > 0.5) == (y > 0.5), axis=1)


def train(x: np.ndarray, y: np.ndarray, n: int, *, init: float, step: float, sweeps: int, rng, backend) -> Trained:
    """Train ``n`` networks at once, each holding out its own 4 questions, drawn from ``rng``.

    ``init``: initial weights uniform in ``[-init, init]``; ``step`` multiplies the
    schedule's learning rates. ``rng`` first draws the held-out questions (one
    permutation per network), then the initial weights. float32 throughout.
    """
    net, m = network(), x.shape[1]
    X, Y = backend.asarray(x, "float32"), backend.asarray(y, "float32")
    C = backend.asarray(connections(), "float32")
    xp = backend.xp
    held = np.stack([rng.permutation(m)[:HELD_OUT] for _ in range(n)])  # (n, 4): each network's test questions
    seen = np.ones((n, 1, m), dtype="float32")
    np.put_along_axis(seen[:, 0], held, 0.0, axis=1)  # 0 on the held-out columns
    seen_b = backend.asarray(seen, "float32")
    params = net.init_params(rng, scale=init, seeds=n, backend=backend, dtype="float32")
    params["W1"] = params["W1"] * C
    off, on = MARGIN
    velocity, progress = None, []
    for t in range(sweeps):
        eta, alpha = schedule(t)
        a, cache = bp.forward(net, params, X, check=False)  # a: (n, 24, 104)
        done = ((Y > 0.5) & (a > on)) | ((Y < 0.5) & (a < off))
        e = xp.where(done, xp.zeros_like(a), a - Y) * seen_b  # dE/da, training questions only
        grads = bp.backward(net, params, cache, cache["df"][-1] * e)
        grads["W1"] = grads["W1"] * C
        params, velocity = momentum_step(params, grads, velocity, step * eta, alpha, decay=DECAY)
        if t % 50 == 0 or t == sweeps - 1:
            right = answered(bp.to_numpy(a), y)  # (n, 104)
            progress.append((t, float(np.median((right * seen[:, 0]).sum(1) / (m - HELD_OUT)))))
    right = answered(bp.to_numpy(bp.forward(net, params, X, check=False)[0]), y)  # (n, 104)
    learned = np.all(right | (seen[:, 0] == 0), axis=1)  # every training question right
    held_right = np.take_along_axis(right, held, axis=1).sum(1)  # (n,): 0 to 4
    return Trained({k: bp.to_numpy(v) for k, v in params.items()}, learned, held_right, np.array(progress))


def heldout_counts(trained: Trained) -> np.ndarray:
    """(k,): held-out questions answered correctly (0 to 4) by each network that learned all its training
    questions, ``k = trained.learned.sum()``; by all ``n`` networks when none learned (the claim is about
    networks that know their training set, but an empty list would say nothing)."""
    return trained.held_right[trained.learned] if trained.learned.any() else trained.held_right
