"""The T-C problem of the PDP chapter (Rumelhart, Hinton & Williams 1986, ch. 8, Figs. 13-15).

Tell a T from a C, each made of five squares, in any of four rotations and at
any position on a binary retina, with a hidden layer of units that each look
through a 3x3 receptive field and whose weights are **tied** across positions:
a convolution, three years before LeCun's network. Layer ``l`` counts from the
input; **examples are columns**; the leading axis of every parameter is the
seed (``S`` networks trained at once)::

    l = 0  the retina     x: (N N, m), 1 = a square of the letter, 0 = background
    l = 1  hidden maps    z1 = W1 (*) x + b1 (S, K, P, m), P = (N+2)^2 positions, 3x3 kernels W1: (S, K, 3, 3)
                          a1 = f(z1)          one bias per map b1: (S, K, 1), tied like the weights
    l = 2  the output     z2 = W2 @ mean_p a1 + b2  (S, 1, m): one weight per map W2: (S, 1, K), tied over positions
                          a2 = f(z2)          target 1 for a T, 0 for a C

with ``(*)`` the 3x3 correlation at every position, ``f`` the logistic and
``E = 1/2 sum (a2 - y)^2`` per network, summed over the patterns. The tied weights are :mod:`backprop.conv`'s im2col product.
``conv`` has no seeds axis, so the ``S K`` kernels of all networks ride on its
output-map axis (they all read the same retina): one matrix product computes
every network's hidden layer, and ``dW = delta @ patches.T`` gives each its own
kernel gradient, summed over positions and patterns.

Where the chapter is silent (assumptions, stated on the book's page): the retina
is ``N x N`` (6 by default) with every placement of the letter fully inside it;
the hidden layer has a unit at every position where its 3x3 field overlaps the
retina (the retina padded by two background squares), so that each square of a
letter is seen through all nine taps of the kernel wherever the letter is and
the mean hidden activity does not depend on the position; the output unit
sees each map's mean activity through one tied weight per map (a weight
tied over positions, scaled by 1/P so that it starts in the logistic's range).

``kernel_kind`` sorts a learned kernel into the detector kinds the chapter
names (on-centre-off-surround, bar, compactness) by its pattern of signs.

Non-goals: other letters or field sizes; untied networks.
"""

from __future__ import annotations

import numpy as np

from backprop import conv
from backprop.activations import get as get_activation
from backprop.backend import Backend, get_backend, namespace, to_numpy
from backprop.optim import momentum_step

# The two letters, five squares each: a T (a bar of three and a stem of two) and a C (a back of
# three and two tips), drawn upright; the task uses each in four rotations. The chapter's Fig. 13
# draws them; these exact shapes are our reading, not checked against it (an assumption).
T_LETTER = np.array([[1, 1, 1],
                     [0, 1, 0],
                     [0, 1, 0]])
C_LETTER = np.array([[1, 1],
                     [1, 0],
                     [1, 1]])
assert T_LETTER.sum() == C_LETTER.sum() == 5  # the same number of squares: only their arrangement differs

LOGISTIC = get_activation("logistic")


def rotations(letter: np.ndarray) -> list[np.ndarray]:
    """The letter turned by 0, 90, 180 and 270 degrees (anticlockwise)."""
    return [np.rot90(letter, r) for r in range(4)]


def n_placements(letter: np.ndarray, size: int) -> int:
    """Positions of the letter's bounding box fully inside a ``size x size`` retina, over its 4 rotations."""
    return sum((size - h + 1) * (size - w + 1) for h, w in (r.shape for r in rotations(letter)))


def task(size: int = 6) -> tuple[np.ndarray, np.ndarray, dict]:
    """Every T and every C, in 4 rotations, at every position inside the retina.

    Returns ``x: (size size, m)`` (one retina per column, row by row), ``y: (1, m)``
    (1 = T, 0 = C) and ``labels``: arrays ``letter`` ("T"/"C"), ``rotation`` (0-3),
    ``row``, ``col`` (the top-left square of the bounding box), each ``(m,)``.
    """
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 3:
        raise ValueError(f"size must be an integer >= 3 (a letter is 3 squares tall), got {size!r}")
    columns, labels = [], {"letter": [], "rotation": [], "row": [], "col": []}
    for name, letter in (("T", T_LETTER), ("C", C_LETTER)):
        for r, shape in enumerate(rotations(letter)):
            h, w = shape.shape
            for i in range(size - h + 1):
                for j in range(size - w + 1):
                    retina = np.zeros((size, size))
                    retina[i : i + h, j : j + w] = shape
                    columns.append(retina.ravel())
                    for k, v in zip(labels, (name, r, i, j)):
                        labels[k].append(v)
    x = np.stack(columns, axis=1)  # (size size, m)
    labels = {k: np.array(v) for k, v in labels.items()}
    y = (labels["letter"] == "T").astype(float)[None, :]  # (1, m)
    assert x.shape[1] == n_placements(T_LETTER, size) + n_placements(C_LETTER, size)
    assert (x.sum(axis=0) == 5).all()
    return x, y, labels


class TCNet:
    """The T-C network's architecture (no weights): an ``N x N`` retina, ``K`` tied 3x3 maps, one output."""

    def __init__(self, size: int = 6, maps: int = 1):
        if isinstance(maps, bool) or not isinstance(maps, (int, np.integer)) or maps < 1:
            raise ValueError(f"maps must be a positive integer, got {maps!r}")
        self.size, self.maps = int(size), int(maps)
        self.positions = (self.size + 2) ** 2  # every 3x3 field that overlaps the retina
        self._layers = {}  # the conv geometry for S K output maps, per number of networks S

    def __repr__(self) -> str:
        return f"TCNet({self.size}x{self.size} retina, {self.maps} tied 3x3 map(s) of {self.size + 2}x{self.size + 2}, 1 output)"

    def layer(self, n_nets: int) -> conv.Conv2D:
        """The tied hidden layer of ``n_nets`` networks at once: ``n_nets * maps`` output maps of one conv."""
        if n_nets not in self._layers:
            self._layers[n_nets] = conv.Conv2D(1, self.size, n_nets * self.maps, kernel=3, pad=2, pad_value=0.0)
            assert self._layers[n_nets].out_size**2 == self.positions
        return self._layers[n_nets]

    def param_shapes(self, seeds: int) -> dict:
        K = self.maps
        return {"W1": (seeds, K, 3, 3), "b1": (seeds, K, 1), "W2": (seeds, 1, K), "b2": (seeds, 1, 1)}

    def n_params(self) -> int:
        """Free parameters of one network: 9 + 1 per map, 1 per map into the output, the output bias."""
        return sum(int(np.prod(s[1:])) for s in self.param_shapes(1).values())

    def init_params(self, rng: np.random.Generator, seeds: int, scale: float = 0.5,
                    backend: Backend | str = "numpy", dtype: str = "float64") -> dict:
        """Every weight and bias uniform in ``[-scale, scale]``, drawn by numpy."""
        if not isinstance(rng, np.random.Generator):
            raise TypeError("rng must be a numpy Generator, e.g. np.random.default_rng(0)")
        backend = get_backend(backend) if isinstance(backend, str) else backend
        return {k: backend.asarray(rng.uniform(-scale, scale, s), dtype) for k, s in self.param_shapes(seeds).items()}


def forward(net: TCNet, params: dict, x):
    """``a2: (S, 1, m)``, the output of every network for every pattern, and the cache."""
    xp = namespace(x, params["W1"])
    S, K, m = params["W1"].shape[0], net.maps, x.shape[-1]
    layer = net.layer(S)
    z, patches = conv.forward(layer, params["W1"].reshape(S * K, 1, 3, 3), 0.0, x)  # z: (S K P, m)
    z1 = z.reshape(S, K, net.positions, m) + params["b1"][..., None]  # (S, K, P, m)
    a1 = LOGISTIC.f(z1, xp)
    pooled = xp.mean(a1, axis=2)  # (S, K, m): the tied output weight sees the map's mean activity
    z2 = params["W2"] @ pooled + params["b2"]  # (S, 1, m)
    a2 = LOGISTIC.f(z2, xp)
    return a2, {"patches": patches, "a1": a1, "pooled": pooled, "a2": a2}


def error(a2, y):
    """``E = 1/2 sum (a2 - y)^2`` over the patterns, one per network: ``(S,)``."""
    xp = namespace(a2)
    return 0.5 * xp.sum((a2 - y) ** 2, axis=(-2, -1))


def backward(net: TCNet, params: dict, cache: dict, y) -> dict:
    """The gradient of ``error`` (summed over patterns), shaped like ``params``::

        delta2 = (a2 - y) f'(z2)                          (S, 1, m)
        delta1 = f'(z1) (W2.T @ delta2) / P, through the mean over the P positions   (S, K, P, m)
        dW1 = sum_{p, m} delta1 patches.T   (conv.backward: summed over the kernel's copies)
    """
    xp = namespace(y, params["W1"])
    S, K = params["W1"].shape[:2]
    a1, a2 = cache["a1"], cache["a2"]
    m = a2.shape[-1]
    delta2 = (a2 - y) * LOGISTIC.df(None, a2, xp)  # (S, 1, m)
    grads = {"W2": delta2 @ cache["pooled"].mT, "b2": xp.sum(delta2, axis=-1, keepdims=True)}
    delta1 = LOGISTIC.df(None, a1, xp) * (params["W2"].mT @ delta2)[:, :, None, :] / net.positions  # (S, K, P, m)
    grads["b1"] = xp.sum(delta1, axis=(2, 3))[..., None]  # (S, K, 1): the tied bias, summed over its copies
    dW, _, _ = conv.backward(net.layer(S), params["W1"].reshape(S * K, 1, 3, 3), cache["patches"],
                             delta1.reshape(S * K * net.positions, m), input_grad=False)
    grads["W1"] = dW.reshape(S, K, 3, 3)
    return grads


def classified(a2, y):
    """Per network, whether every pattern is on the right side of 0.5: ``(S,)`` booleans."""
    xp = namespace(a2)
    return xp.all((a2 > 0.5) == (y > 0.5), axis=(-2, -1))


def train(net: TCNet, params: dict, x, y, eta: float, alpha: float = 0.9, sweeps: int = 1000):
    """Batch gradient descent with momentum, one update per sweep (PDP eq. 9).

    Returns ``(params, solved_at, errors)``: ``solved_at: (S,)`` numpy ints, the first
    sweep after which every pattern was classified right (-1: never), and
    ``errors: (sweeps, S)`` the error before each update.
    """
    S = params["W1"].shape[0]
    solved_at, errors, velocity = np.full(S, -1), np.zeros((sweeps, S)), None
    for t in range(sweeps):
        a2, cache = forward(net, params, x)
        errors[t] = to_numpy(error(a2, y))
        right = to_numpy(classified(a2, y))
        solved_at[(solved_at < 0) & right] = t
        params, velocity = momentum_step(params, backward(net, params, cache, y), velocity, eta, alpha)
    return params, solved_at, errors


# The detector kinds the chapter reports (Figs. 14-15), as sign patterns of a 3x3 kernel: +1 and -1
# mark the two signs, and a kernel and its negative are the same detector (the output weight can
# take either sign). Vertical and horizontal bars are one kind here: the task contains every
# rotation, so a kernel turned by 90 degrees solves it equally well.
_ONES = np.ones((3, 3), dtype=int)
TEMPLATES = {
    "compactness": _ONES,                                                # every weight of one sign
    "centre_surround": _ONES * -1 + 2 * np.pad([[1]], 1),                # centre against the 8 around it
    "vertical_bar": _ONES * -1 + 2 * np.pad(np.ones((3, 1), int), ((0, 0), (1, 1))),  # middle column against the rest
    "horizontal_bar": (_ONES * -1 + 2 * np.pad(np.ones((3, 1), int), ((0, 0), (1, 1)))).T,
    "diagonal_bar": 2 * np.eye(3, dtype=int) - 1,                        # a diagonal against the rest
    "antidiagonal_bar": np.fliplr(2 * np.eye(3, dtype=int) - 1),
}
KIND_OF = {"compactness": "compactness", "centre_surround": "centre_surround", "vertical_bar": "axis_bar",
           "horizontal_bar": "axis_bar", "diagonal_bar": "diagonal_bar", "antidiagonal_bar": "diagonal_bar"}
KINDS = ("centre_surround", "axis_bar", "diagonal_bar", "compactness")
DEAD = 0.2  # a weight below this fraction of the kernel's largest |weight| has no sign


def kernel_pattern(kernel, dead: float = DEAD) -> str:
    """The template (a key of ``TEMPLATES``) a 3x3 kernel matches, or ``"other"``.

    The kernel is scaled by its largest ``|w|``; weights with ``|w| < dead`` are
    *dead* (no sign), the rest have their sign ``s``. A kernel matches template
    ``t`` when at most one weight is dead and, for one overall sign ``sigma``,
    every live weight has ``s = sigma t``. Templates are tried in the order of
    ``TEMPLATES``: a kernel whose live weights are all of one sign is a
    compactness detector even when its one dead weight is the centre. No two other
    templates can both match (they differ in at least two taps).
    """
    k = np.asarray(kernel, dtype=float)
    if k.shape != (3, 3):
        raise ValueError(f"a kernel is 3x3, got shape {k.shape}")
    top = np.abs(k).max()
    if top == 0:
        return "other"
    s = np.where(np.abs(k) / top >= dead, np.sign(k), 0).astype(int)
    if (s == 0).sum() > 1:
        return "other"
    live = s != 0
    for name, t in TEMPLATES.items():
        if any((s[live] == sigma * t[live]).all() for sigma in (1, -1)):
            return name
    return "other"


def kernel_kind(kernel, dead: float = DEAD) -> str:
    """The detector kind (one of ``KINDS``) of a 3x3 kernel, or ``"other"``."""
    name = kernel_pattern(kernel, dead)
    return KIND_OF.get(name, "other")
