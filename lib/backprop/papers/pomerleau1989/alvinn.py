"""ALVINN's network (Pomerleau 1989, NIPS 1, Fig. 1), its targets, training and measures.

The network (what we could check in transcriptions of the paper, p. 306): a 30x32
video retina and one road-intensity feedback unit in, **29** logistic hidden units,
**45** direction units (sharp left .. straight ahead .. sharp right) plus one
road-intensity feedback unit out. The paper's 8x32 range-finder retina is left out:
our simulated roads have no obstacles, and the paper reports no noticeable loss
when ALVINN drove with an obstacle-free range image as constant input. So

    x = [960 pixel intensities - 0.5; feedback]  (961, m)   -> a1 (29, m) -> a2 (46, m)

with examples as columns (the book's convention). The target of the direction
units is the paper's "hill": 1.00 on the unit of the correct curvature and
0.89, 0.61, 0.32, 0.10 on its neighbours, 0 elsewhere (we interpolate the hill
between units for a curvature that falls between two). The steering read out is
the unit with the highest activation, as in the paper's tests. The feedback
output's target is 1 when the road is lighter than the non-road; its input is
random early in training (so the network cannot just copy it) and the true
polarity of the previous image afterwards; when driving, the output of the
previous image is fed back (Jordan-style).

Ours: the mapping of curvature to units (``K_MAX``), the initial weights, the
step size, momentum and mini-batches (the NIPS paper gives none of them), and the
offset of the pixels (intensity - 0.5, so that a retina of 960 inputs does not
drive every hidden unit into saturation at the start: chosen after trial runs).

Non-goals: driving a vehicle in closed loop; the range finder; on-the-fly training.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import backprop as bp
from backprop.optim import momentum_step
from backprop.papers.pomerleau1989 import roads

N_PIXELS = roads.ROWS * roads.COLS  # the 30x32 retina
N_HIDDEN = 29  # the paper's hidden layer
N_DIRECTIONS = 45  # the paper's direction units; unit 22 is "straight ahead"
CENTRE = N_DIRECTIONS // 2
HILL = (0.10, 0.32, 0.61, 0.89, 1.00, 0.89, 0.61, 0.32, 0.10)  # the paper's target hill, p. 306
K_MAX = 0.12  # 1/m: the curvature of the outermost direction units (ours: covers our roads' range)
FEEDBACK_IN, FEEDBACK_OUT = N_PIXELS, N_DIRECTIONS  # row of the feedback unit in x and in a2
PIXEL_OFFSET = 0.5  # ours: the retina's input is intensity - 0.5


def network() -> bp.DenseNet:
    """960 + 1 inputs, 29 hidden, 45 + 1 outputs, all logistic; half squared error."""
    net = bp.DenseNet([N_PIXELS + 1, N_HIDDEN, N_DIRECTIONS + 1])
    assert N_PIXELS == 960 and len(HILL) == 9
    assert net.n_params() == 961 * 29 + 29 + 29 * 46 + 46  # 29,244 weights and biases
    return net


def unit_position(curvature) -> np.ndarray:
    """Where a curvature falls on the 45 direction units (0 sharp left, 22 straight, 44 sharp right)."""
    return np.clip(CENTRE + CENTRE * np.asarray(curvature) / K_MAX, 0, N_DIRECTIONS - 1)


def targets(scenes: roads.Roads) -> np.ndarray:
    """``y`` (46, m): the hill centred on each scene's curvature, and the road's polarity."""
    offsets = np.arange(N_DIRECTIONS)[:, None] - unit_position(scenes.curvature)[None, :]  # (45, m)
    hill = np.interp(offsets, np.arange(-4, 5), HILL, left=0.0, right=0.0)
    return np.vstack([hill, scenes.lighter[None, :]])


def inputs(scenes: roads.Roads, feedback) -> np.ndarray:
    """``x`` (961, m): the images as columns (intensity - 0.5), then the feedback unit (a scalar or ``(m,)``)."""
    return retina(scenes.images, feedback)


def retina(images: np.ndarray, feedback) -> np.ndarray:
    """``x`` (961, m) from images ``(m, 30, 32)`` in [0, 1] and the feedback input (a scalar or ``(m,)``)."""
    images = np.asarray(images, dtype=float)
    if images.ndim != 3 or images.shape[1:] != (roads.ROWS, roads.COLS):
        raise ValueError(f"images must have shape (m, {roads.ROWS}, {roads.COLS}), got {images.shape}")
    if not np.isfinite(images).all():
        raise ValueError("images contain NaN or inf")
    m = len(images)
    return np.vstack([images.reshape(m, N_PIXELS).T - PIXEL_OFFSET, np.broadcast_to(feedback, (m,))[None, :]])


@dataclass
class Training:
    """What :func:`train` did: the cost after each epoch (summed over the training set)."""

    cost: list

    def __repr__(self) -> str:
        return f"Training({len(self.cost)} epochs, cost {self.cost[0]:.1f} -> {self.cost[-1]:.1f})"


def train(rng: np.random.Generator, scenes: roads.Roads, epochs: int, random_feedback_epochs: int,
          eta: float = 0.1, alpha: float = 0.9, batch: int = 10, init: float = 0.05):
    """Train a fresh network on ``scenes`` for ``epochs`` passes in shuffled mini-batches.

    dw(t) = -eta dE/dw + alpha dw(t-1), with dE/dw summed over a batch divided by its size.
    The feedback input is uniform random for the first ``random_feedback_epochs`` and
    the scene's true polarity after. Returns ``(net, params, Training)``.
    """
    if not 0 <= random_feedback_epochs <= epochs:
        raise ValueError(f"random_feedback_epochs must lie in [0, {epochs}], got {random_feedback_epochs}")
    net = network()
    params = net.init_params(rng, scale=init)
    x, y = inputs(scenes, scenes.lighter), targets(scenes)  # (961, m), (46, m)
    m, velocity, costs = len(scenes), None, []
    for epoch in range(epochs):
        xe = x.copy()
        if epoch < random_feedback_epochs:
            xe[FEEDBACK_IN] = rng.random(m)
        order = rng.permutation(m)
        for start in range(0, m, batch):
            cols = order[start : start + batch]
            _, grads = bp.loss_and_grads(net, params, xe[:, cols], y[:, cols], check=False)
            grads = {k: g / len(cols) for k, g in grads.items()}
            params, velocity = momentum_step(params, grads, velocity, eta=eta, alpha=alpha)
        costs.append(float(bp.dense.loss(net, params, xe, y, check=False)))
    return net, params, Training(costs)


def drive(net, params, scenes: roads.Roads, frames: int) -> np.ndarray:
    """The outputs ``(46, m)`` on ``scenes`` seen as ``m / frames`` sequences of ``frames`` images.

    Scene ``i`` is frame ``i // n_seq`` of sequence ``i % n_seq``; the first frame gets
    the feedback input 0.5, each later one the feedback output of the frame before.
    """
    m = len(scenes)
    if m % frames:
        raise ValueError(f"{m} scenes do not split into sequences of {frames} frames")
    n_seq = m // frames
    x = inputs(scenes, 0.5)
    out = np.empty((N_DIRECTIONS + 1, m))
    feedback = np.full(n_seq, 0.5)
    for f in range(frames):  # a loop over time: each frame needs the one before
        cols = slice(f * n_seq, (f + 1) * n_seq)
        xf = x[:, cols].copy()
        xf[FEEDBACK_IN] = feedback
        out[:, cols], _ = bp.forward(net, params, xf, check=False)
        feedback = out[FEEDBACK_OUT, cols]
    return out


def steering_error(out: np.ndarray, scenes: roads.Roads) -> np.ndarray:
    """``|argmax unit - correct unit position|`` per scene ``(m,)``, in direction units."""
    return np.abs(np.argmax(out[:N_DIRECTIONS], axis=0) - unit_position(scenes.curvature))


def _r2(h: np.ndarray, u: np.ndarray) -> np.ndarray:
    """R^2 of cubic fits of each row of ``h`` (k, m) on the variable ``u`` (m,)."""
    basis = np.vander((u - u.mean()) / u.std(), 4)  # (m, 4)
    coef, *_ = np.linalg.lstsq(basis, h.T, rcond=None)
    resid = h.T - basis @ coef
    var = h.var(axis=1) * h.shape[1]
    return 1 - (resid**2).sum(0) / np.maximum(var, 1e-300)


def edge_index(net, params, images: np.ndarray, left: np.ndarray, right: np.ndarray, min_std: float = 0.02):
    """For each hidden unit, how much more it follows one road edge than the other.

    ``index = |R2_left - R2_right| / (R2_left + R2_right)``: the R^2 of cubic fits of the
    unit's activation on the probe roads' left-edge and right-edge positions (drawn
    independently). 1 for a unit that sees one edge only, about 0 for one that follows
    the road centre (both edges equally). Returns ``(index (29,), active (29,))``;
    ``active`` marks units whose activation varies (std > ``min_std``) over the probes.
    """
    x = retina(images, 1.0)  # the probe roads are lighter than the non-road
    _, cache = bp.forward(net, params, x, check=False)
    h = cache["a"][1]  # (29, m)
    r2l, r2r = _r2(h, left), _r2(h, right)
    index = np.abs(r2l - r2r) / np.maximum(r2l + r2r, 1e-12)
    return index, h.std(axis=1) > min_std
