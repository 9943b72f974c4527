"""The mirror-symmetry network (Nature Fig. 1; PDP ch. 8, Fig. 9): its training and its weights.

The network is a :class:`backprop.DenseNet` 6-2-1 of logistic units trained on
all 64 vectors of :func:`tasks.symmetry` (``x``: (6, 64), ``y``: (1, 64),
examples as columns), ``n`` networks at once on the seeds axis, with the
caption's settings: weights changed once per sweep on the gradient summed over
the 64 vectors,

    dw(t) = -eps dE/dw + alpha dw(t-1),    eps = 0.1,  alpha = 0.9,

initial weights and biases uniform in [-0.3, 0.3], and a network counted as
learned at the first sweep at which every output is within 0.1 of its target.

Both notebooks that train it (the Nature paper's ratio 1:2:4 and the PDP
chapter's weights of Fig. 9) call :func:`train`, so they share one set of
random draws for one seed.

Non-goals: other architectures; plotting and judging (the notebooks do both).
"""

from __future__ import annotations

import numpy as np

import backprop as bp
from backprop.backend import get_backend
from backprop.papers.rhw1986_nature import tasks

EPS, ALPHA, INIT = 0.1, 0.9, 0.3  # Fig. 1 caption: eps = 0.1, alpha = 0.9, weights uniform in +-0.3
TOLERANCE = 0.1  # our reading of "learned": every output within 0.1 of its target


def network() -> bp.DenseNet:
    """The 6-2-1 network of Fig. 1: six inputs, two hidden units, one output."""
    net = bp.DenseNet([6, 2, 1])
    assert net.n_params() == 6 * 2 + 2 + 2 * 1 + 1  # 14 weights and 3 biases
    return net


def train(rng: np.random.Generator, n: int, sweeps: int, backend="numpy"):
    """Train ``n`` symmetry networks for at most ``sweeps`` sweeps: ``(net, params, history)``.

    ``params["W1"]``: (n, 2, 6), ``params["W2"]``: (n, 1, 2); ``history.solved_at``:
    (n,), the sweep at which each network learned, -1 for none.
    """
    backend = get_backend(backend) if isinstance(backend, str) else backend
    x, y = tasks.symmetry(6)
    X, Y = backend.asarray(x), backend.asarray(y)  # X: (6, 64), Y: (1, 64)
    net = network()
    params = net.init_params(rng, scale=INIT, seeds=n, backend=backend)
    params, history = bp.train(net, params, X, Y, eta=EPS, alpha=ALPHA, sweeps=sweeps, until=bp.all_within(TOLERANCE))
    return net, params, history


def mirror_pairs(W) -> np.ndarray:
    """The magnitude of each mirror pair of input weights, averaged over the pair and sorted.

    ``W``: (..., 2, 6), the input-to-hidden weights; returns (..., 2, 3): for each
    hidden unit ``(|w_i| + |w_{7-i}|) / 2`` for ``i = 1, 2, 3``, smallest first
    (Fig. 1's 1:2:4 and Fig. 9's 3.17 / 6.3 / 12.5 are these three numbers).
    """
    W = np.asarray(W)
    pair = (np.abs(W[..., :3]) + np.abs(W[..., ::-1][..., :3])) / 2
    return np.sort(pair, axis=-1)
