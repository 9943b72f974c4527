"""LeCun et al. (1989), the zip-code network: its architecture, forward and backward pass.

The network of "Backpropagation applied to handwritten zip code recognition"
(Neural Computation 1(4):541-551), layer ``l`` counting from the input:

    l = 0  input   16x16 grey image, -1 (background) .. 1, as a column of 256
    l = 1  H1      12 maps of 8x8: 5x5 kernels, stride 2, input padded with the background
    l = 2  H2      12 maps of 4x4: 5x5 kernels, stride 2, each map sees 8 of the 12 H1 maps
    l = 3  H3      30 units, fully connected to H2
    l = 4  output  10 units, one per digit

Kernels are shared within a map, biases are not (one per unit). The paper's
counts are asserted below: 1,256 units, 64,660 connections, 9,760 free
parameters. By default every unit is a scaled hyperbolic tangent (see
``SCALED_TANH``) and the targets are +-1, as in the paper.

**Examples are columns**: ``x`` is ``(256, m)``. ``forward`` returns the output
and a cache; ``backward`` turns ``delta[L] = dC/dz[L]`` into gradients shaped
like ``params``; ``curvature`` runs the same lines on squared quantities to give
LeCun's diagonal Gauss-Newton second derivatives (:mod:`backprop.diag_lm`).
Training updates one flat vector ``theta = net.layout.flatten(params)``
(:mod:`backprop.layout`), a handful of whole-vector operations per example.

Non-goals: other image sizes; the 1989 preprocessing (the USPS digits come
already normalised to 16x16).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from backprop import activations as _activations
from backprop import conv
from backprop import costs as _costs
from backprop.activations import Activation
from backprop.backend import Backend, dtype_name, get_backend, namespace, to_numpy
from backprop.layout import Layout, check_params

# f(z) = A tanh(S z) with f(+-1) = +-1: the +-1 targets sit inside the quasi-linear range, as the
# paper asks, so the outputs can reach them with finite weights. The paper names a scaled
# hyperbolic tangent; A = 1.7159, S = 2/3 are the constants LeCun published later
# (Efficient BackProp, 1998).
A, S = 1.7159, 2.0 / 3.0
SCALED_TANH = Activation(
    "scaled_tanh",
    f=lambda z, xp: A * xp.tanh(S * z),
    df=lambda z, a, xp: S * (A - a * a / A),  # S A (1 - tanh^2), from the output a
)


def block_mask() -> np.ndarray:
    """Which H1 maps (columns) each H2 map (rows) sees: 8 of 12, in three blocks of four.

    The paper says only that the 8 maps are "chosen according to a scheme that
    will not be described here". We take the pattern of the 2022 reproduction
    (Karpathy) so that results compare: H2 maps 0-3 see H1 maps 0-7, maps 4-7
    see 4-11, maps 8-11 see 0-3 and 8-11. It is balanced both ways: every H2 map
    sees 8 H1 maps and every H1 map feeds 8 H2 maps, and any two H2 blocks share
    exactly four H1 maps.
    """
    mask = np.zeros((12, 12), dtype=bool)
    mask[0:4, 0:8] = True
    mask[4:8, 4:12] = True
    mask[8:12, 0:4] = mask[8:12, 8:12] = True
    return mask


class LeNet1989:
    """The architecture (no weights): two convolutional layers, two dense ones, a cost.

    ``hidden``/``output`` are activations (``SCALED_TANH`` as in the paper);
    ``pad_values`` are the background values read outside the input and the
    H1 maps. ``h2_mask`` is 12 x 12, each row with 8 ones.
    """

    def __init__(self, hidden=SCALED_TANH, output=SCALED_TANH, cost="half_squared_error",
                 h2_mask=None, pad_values=(-1.0, -1.0)):
        h2_mask = block_mask() if h2_mask is None else h2_mask
        self.H1 = conv.Conv2D(1, 16, 12, kernel=5, stride=2, pad=2, pad_value=pad_values[0])
        self.H2 = conv.Conv2D(12, 8, 12, kernel=5, stride=2, pad=2, pad_value=pad_values[1], mask=h2_mask)
        if not (self.H2.mask.sum(axis=1) == 8).all():
            raise ValueError(f"each H2 map must see 8 of the 12 H1 maps; the mask rows have {self.H2.mask.sum(axis=1).tolist()}")
        self.sizes = [256, self.H1.n_out, self.H2.n_out, 30, 10]
        self.activations = [None] + [_activations.get(hidden)] * 3 + [_activations.get(output)]
        self.cost = _costs.get(cost)
        if self.cost.output is not None and self.activations[4].name != self.cost.output:
            raise ValueError(f"cost {self.cost.name} needs a {self.cost.output} output layer")

        self.layout = Layout(self.param_shapes())  # theta, the flat parameter vector, and back

        # The paper's counts, layer by layer, then in total.
        assert (self.H1.n_out, self.H1.n_connections(), self.H1.n_params()) == (768, 19_968, 1_068)
        assert (self.H2.n_out, self.H2.n_connections(), self.H2.n_params()) == (192, 38_592, 2_592)
        assert self.n_units() == 1_256
        assert self.n_connections() == 64_660
        assert self.n_params() == 9_760

    L = 4

    def __repr__(self) -> str:
        acts = [f.name for f in self.activations[1:]]
        return (f"LeNet1989(256-768-192-30-10, {self.n_params():,} free parameters, "
                f"activations={acts[0]!r}/{acts[-1]!r}, cost={self.cost.name!r})")

    # counts -----------------------------------------------------------------
    def n_units(self) -> int:
        return sum(self.sizes)

    def n_connections(self) -> int:
        """Input lines of all units, biases included, as the paper counts them."""
        dense = sum(n * (n_prev + 1) for n_prev, n in zip(self.sizes[2:], self.sizes[3:]))
        return self.H1.n_connections() + self.H2.n_connections() + dense

    def n_params(self) -> int:
        dense = sum(n * (n_prev + 1) for n_prev, n in zip(self.sizes[2:], self.sizes[3:]))
        return self.H1.n_params() + self.H2.n_params() + dense

    def param_shapes(self) -> dict:
        return {
            "W1": self.H1.param_shapes()["W"], "b1": (768, 1),
            "W2": self.H2.param_shapes()["W"], "b2": (192, 1),
            "W3": (30, 192), "b3": (30, 1),
            "W4": (10, 30), "b4": (10, 1),
        }

    def free_mask(self) -> dict:
        """1 for every free parameter, 0 for the H2 kernel weights that the connection mask
        cuts (they stay 0): numpy arrays shaped like ``params``."""
        free = {k: np.ones(s) for k, s in self.param_shapes().items()}
        free["W2"] = free["W2"] * self.H2.mask[:, :, None, None]
        return free

    def fan_ins(self) -> dict:
        """F of the units of each layer: the weighted inputs, the bias not counted."""
        return {1: self.H1.fan_in, 2: self.H2.fan_in, 3: 192, 4: 30}

    def init_params(self, rng: np.random.Generator, backend: Backend | str = "numpy",
                    dtype: str = "float64", init: str = "lecun1989") -> dict:
        """Initial weights, drawn by numpy (the same network on every device).

        ``"lecun1989"``: weights and biases uniform in +-2.4/F, F the fan-in (as in the paper);
        the bias is a weight from an always-on unit, so it is drawn the same way.
        ``"he"``: today's default for ReLU units, weights uniform in +-sqrt(6/F), biases 0.
        Weights of masked-out H2 connections are 0.
        """
        if not isinstance(rng, np.random.Generator):
            raise TypeError("rng must be a numpy Generator, e.g. np.random.default_rng(0)")
        if init not in ("lecun1989", "he"):
            raise ValueError(f"init must be 'lecun1989' or 'he', got {init!r}")
        backend = get_backend(backend) if isinstance(backend, str) else backend
        params = {}
        for l, F in self.fan_ins().items():
            r = 2.4 / F if init == "lecun1989" else math.sqrt(6.0 / F)
            W = rng.uniform(-r, r, self.param_shapes()[f"W{l}"])
            b = rng.uniform(-r, r, self.param_shapes()[f"b{l}"]) if init == "lecun1989" else np.zeros(self.param_shapes()[f"b{l}"])
            if l == 2:
                W = W * self.H2.mask[:, :, None, None]
            params[f"W{l}"], params[f"b{l}"] = backend.asarray(W, dtype), backend.asarray(b, dtype)
        return params


def check_inputs(net: LeNet1989, params: dict, x, y=None) -> None:
    """Raise a ``ValueError`` naming the problem if params, x or y do not fit the network."""
    check_params(net.param_shapes(), params, net, seeds=False)  # one network: no seed axis
    if getattr(x, "ndim", 0) != 2 or x.shape[0] != 256:
        raise ValueError(f"x has shape {tuple(getattr(x, 'shape', ()))}; expected (256, m): one 16x16 image per column")
    if y is not None and (y.ndim != 2 or tuple(y.shape) != (10, x.shape[1])):
        raise ValueError(f"y has shape {tuple(y.shape)}; expected (10, {x.shape[1]}): one target column per image")


def forward(net: LeNet1989, params: dict, x, check: bool = True):
    """The forward pass: ``a[4]: (10, m)`` and the cache the backward pass needs."""
    if check:
        check_inputs(net, params, x)
    xp = namespace(x, params["W1"])
    f = net.activations
    z1, patches1 = conv.forward(net.H1, params["W1"], params["b1"], x)  # z1: (768, m)
    a1 = f[1].f(z1, xp)
    z2, patches2 = conv.forward(net.H2, params["W2"], params["b2"], a1)  # z2: (192, m)
    a2 = f[2].f(z2, xp)
    z3 = params["W3"] @ a2 + params["b3"]  # (30, m)
    a3 = f[3].f(z3, xp)
    z4 = params["W4"] @ a3 + params["b4"]  # (10, m)
    a4 = f[4].f(z4, xp)
    a, z = [x, a1, a2, a3, a4], [None, z1, z2, z3, z4]
    df = [None] + [None if f[l].df is None else f[l].df(z[l], a[l], xp) for l in range(1, 5)]
    return a4, {"a": a, "z": z, "df": df, "patches": [None, patches1, patches2]}


def _backward(net, W, a, df, patches, delta4) -> dict:
    """The backward pass over given arrays (shared by ``backward`` and ``curvature``)."""
    xp = namespace(delta4)
    grads = {"W4": delta4 @ a[3].mT, "b4": xp.sum(delta4, axis=-1, keepdims=True)}
    delta3 = df[3] * (W[4].mT @ delta4)  # (30, m)
    grads["W3"], grads["b3"] = delta3 @ a[2].mT, xp.sum(delta3, axis=-1, keepdims=True)
    delta2 = df[2] * (W[3].mT @ delta3)  # (192, m)
    grads["W2"], grads["b2"], back = conv.backward(net.H2, W[2], patches[2], delta2)
    delta1 = df[1] * back  # (768, m)
    grads["W1"], grads["b1"], _ = conv.backward(net.H1, W[1], patches[1], delta1, input_grad=False)
    return grads


def backward(net: LeNet1989, params: dict, cache: dict, delta4) -> dict:
    """Gradients shaped like ``params`` from ``delta[4] = dC/dz[4]``, summed over the examples:

    delta[l] = f'(z[l]) * (W[l+1].T @ delta[l+1])   (through col2im for the H2 -> H1 step)
    """
    W = [None] + [params[f"W{l}"] for l in range(1, 5)]
    return _backward(net, W, cache["a"], cache["df"], cache["patches"], delta4)


def curvature(net: LeNet1989, params: dict, cache: dict, d2z4) -> dict:
    """LeCun's diagonal second derivatives ``d2C/dw^2``, shaped like ``params``.

    The Gauss-Newton recursion (LeCun 1987; Becker & LeCun 1988) drops the
    ``f''`` terms and the off-diagonal ones:

        d2C/dz[l]^2   = f'(z[l])^2 * ((W[l+1]**2).T @ d2C/dz[l+1]^2)
        d2C/dW[l]^2   = d2C/dz[l]^2 @ (a[l-1]**2).T      (summed over the positions sharing a weight)

    It is the backward pass with every factor squared, so it reuses its lines.
    ``d2z4`` is ``d2C/dz[4]^2`` from :func:`output_error`.
    """
    a, df, patches = cache["a"], cache["df"], cache["patches"]
    W = [None, params["W1"]] + [params[f"W{l}"] ** 2 for l in (2, 3, 4)]  # W1 only lends its shape
    a2 = [None, None, a[2] ** 2, a[3] ** 2]  # the activations the weight gradients read
    df2 = [None] + [df[l] ** 2 for l in (1, 2, 3)]
    return _backward(net, W, a2, df2, [None, patches[1] ** 2, patches[2] ** 2], d2z4)


def output_error(net: LeNet1989, cache: dict, y):
    """``(C, delta[4], d2C/dz[4]^2)``: the cost, its gradient and its Gauss-Newton curvature at z[4].

    Squared error ``C = 1/2 sum (a - y)^2``: ``delta = f' (a - y)``, ``d2 = f'^2``.
    Softmax cross-entropy: ``delta = a - y``, ``d2 = a (1 - a)`` (the diagonal of its Hessian in z).
    """
    a4, z4, df4 = cache["a"][4], cache["z"][4], cache["df"][4]
    xp = namespace(a4)
    C = net.cost.fn(z4, a4, y, xp)
    delta = net.cost.delta(z4, a4, df4, y, xp)
    if net.cost.name == "half_squared_error":
        d2 = df4 * df4
    elif net.cost.name == "softmax_cross_entropy":
        d2 = a4 * (1.0 - a4)
    else:
        raise ValueError(f"no curvature for the cost {net.cost.name}")
    return C, delta, d2


def loss(net: LeNet1989, params: dict, x, y, check: bool = True):
    """The cost summed over the examples (for gradient checks)."""
    if check:
        check_inputs(net, params, x, y)
    return output_error(net, forward(net, params, x, check=False)[1], y)[0]


def outputs(net: LeNet1989, params: dict, x, batch: int = 1024) -> np.ndarray:
    """The network's outputs ``(10, m)`` as numpy, computed ``batch`` columns at a time."""
    check_inputs(net, params, x)
    return np.concatenate([to_numpy(forward(net, params, x[:, i : i + batch], check=False)[0])
                           for i in range(0, x.shape[1], batch)], axis=1)


def train_pass(net: LeNet1989, theta, x, y, rule, state, batch_size: int = 1):
    """One pass through the columns of ``x``, ``y`` in their stored order; returns ``(theta, state)``.

    ``theta`` is the flat parameter vector (``net.layout.flatten(params)``). The
    weights change after every ``batch_size`` examples (1: per example, as in
    1989) by ``rule.step`` (:mod:`backprop.diag_lm`), on the gradient averaged over
    the batch. To present the examples in another order, permute the columns first.
    """
    m = x.shape[1]
    if batch_size < 1 or m < 1:
        raise ValueError(f"need batch_size >= 1 and at least one example; got {batch_size} and {m}")
    layout = net.layout
    for start in range(0, m, batch_size):
        xb, yb = x[:, start : start + batch_size], y[:, start : start + batch_size]
        params = layout.unflatten(theta)
        _, cache = forward(net, params, xb, check=False)
        _, delta, d2z = output_error(net, cache, yb)
        g = layout.flatten(backward(net, params, cache, delta))
        d2 = layout.flatten(curvature(net, params, cache, d2z)) if rule.curvature else None
        if xb.shape[1] > 1:  # sums over the batch -> means
            g, d2 = g / xb.shape[1], None if d2 is None else d2 / xb.shape[1]
        theta, state = rule.step(theta, g, d2, state)
    return theta, state


def mean_curvature(net: LeNet1989, theta, x, y):
    """The diagonal second derivatives averaged over the columns of ``x`` (flat, like ``theta``).

    One batched pass: the per-example estimates are summed by the matrix products.
    """
    params = net.layout.unflatten(theta)
    _, cache = forward(net, params, x)
    _, _, d2z = output_error(net, cache, y)
    return net.layout.flatten(curvature(net, params, cache, d2z)) / x.shape[1]


# evaluation and training over many passes -------------------------------------------------


def evaluate(net: LeNet1989, params: dict, x, labels) -> dict:
    """Outputs and scores on the columns of ``x``: the paper's measures.

    ``error``: the fraction of images whose most active output is not the label;
    ``mse``: the mean over images *and* the 10 outputs of ``(a - y)^2`` with +-1
    targets (the normalisation that the paper's 2.5e-3 / 1.8e-2 suggest).
    """
    out = outputs(net, params, x)  # (10, m)
    labels = np.asarray(labels)
    y = np.full(out.shape, -1.0)
    y[labels, np.arange(labels.size)] = 1.0
    predicted = out.argmax(axis=0)
    return {"outputs": out, "predicted": predicted, "error": float(np.mean(predicted != labels)),
            "mse": float(np.mean((out - y) ** 2))}


def rejection_curve(outputs: np.ndarray, labels) -> tuple[np.ndarray, np.ndarray]:
    """Error rate among the accepted images against the fraction rejected.

    An image is rejected when the gap between its two most active outputs is
    small; rejecting the ``k`` least certain images gives point ``k``. Returns
    ``(rejected_fraction, error_among_accepted)``, each ``(m,)``.
    """
    top2 = np.sort(outputs, axis=0)[-2:]
    margin = top2[1] - top2[0]
    wrong = (outputs.argmax(axis=0) != np.asarray(labels))[np.argsort(-margin, kind="stable")]  # surest first
    m = wrong.size
    accepted = np.arange(m, 0, -1)  # reject 0, 1, ..., m-1 of the least sure
    errors_kept = np.cumsum(wrong)[::-1]  # errors among the `accepted` surest
    return (m - accepted) / m, errors_kept / accepted


def rejection_for_error(outputs: np.ndarray, labels, error: float = 0.01) -> float:
    """The smallest fraction of rejected images that leaves at most ``error`` among the rest."""
    rejected, err = rejection_curve(outputs, labels)
    return float(rejected[np.flatnonzero(err <= error)[0]]) if (err <= error).any() else 1.0


@dataclass
class PassScores:
    """The paper's measures after every pass: ``train_error``, ``test_error``, ``train_mse``,
    ``test_mse`` (lists, one entry per pass) and ``seconds``, the training time of each pass
    (evaluation excluded).

    Not :class:`backprop.train.History`, which records the training cost at the
    start of every sweep of S networks and when each met its stopping rule: this
    network trains one example at a time, and is judged by classifying both splits.
    """

    train_error: list = field(default_factory=list)
    test_error: list = field(default_factory=list)
    train_mse: list = field(default_factory=list)
    test_mse: list = field(default_factory=list)
    seconds: list = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.seconds)

    def __repr__(self) -> str:
        if not self.seconds:
            return "PassScores(no passes)"
        return (f"PassScores({len(self)} passes, {sum(self.seconds):.1f} s of training; last: "
                f"train {self.train_error[-1]:.2%}, test {self.test_error[-1]:.2%} errors)")


def fit(net: LeNet1989, params: dict, train, test, rule, passes: int, batch_size: int = 1,
        order=None, augment=None, prime: int = 500, backend: Backend | str = "numpy", log=None):
    """Train for ``passes`` passes and score both splits after each; returns ``(params, PassScores)``.

    ``train``/``test`` have ``x`` ``(256, m)`` and ``labels``. ``order(pass) ->
    permutation`` presents the training images in another order (``None``: the
    stored order every pass); ``augment(x) -> x`` transforms them before each
    pass. A rule that needs curvature starts its estimate from ``prime`` images.
    """
    import time

    backend = get_backend(backend) if isinstance(backend, str) else backend
    dtype = dtype_name(params["W1"])
    theta = net.layout.flatten(params)
    y_train = np.full((10, len(train.labels)), -1.0)
    y_train[train.labels, np.arange(len(train.labels))] = 1.0
    if net.cost.name == "softmax_cross_entropy":
        y_train = (y_train + 1) / 2  # one-hot
    x_dev, y_dev = backend.asarray(train.x, dtype), backend.asarray(y_train, dtype)
    state = rule.init(theta, mean_curvature(net, theta, x_dev[:, :prime], y_dev[:, :prime])) if rule.curvature \
        else rule.init(theta)
    history = PassScores()
    for p in range(passes):
        x_p, y_p = train.x, y_train
        if order is not None:
            perm = order(p)
            x_p, y_p = x_p[:, perm], y_p[:, perm]
        if augment is not None:
            x_p = augment(x_p)
        xb, yb = (x_dev, y_dev) if (order is None and augment is None) else (backend.asarray(x_p, dtype), backend.asarray(y_p, dtype))
        start = time.perf_counter()
        theta, state = train_pass(net, theta, xb, yb, rule, state, batch_size)
        backend.synchronize()
        history.seconds.append(time.perf_counter() - start)
        params = net.layout.unflatten(theta)
        for split, err, mse in ((train, history.train_error, history.train_mse), (test, history.test_error, history.test_mse)):
            scores = evaluate(net, params, backend.asarray(split.x, dtype), split.labels)
            err.append(scores["error"])
            mse.append(scores["mse"])
        if log is not None:
            print(f"pass {p + 1}: train {history.train_error[-1]:.2%}, test {history.test_error[-1]:.2%}, "
                  f"{history.seconds[-1]:.1f} s", file=log, flush=True)
    return params, history
