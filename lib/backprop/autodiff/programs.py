"""The programs whose gradients the chapter "What a gradient costs" and its benchmark time.

- :func:`softmax_net`: the cost of a 32-h-h-10 tanh network with a softmax
  output (cross-entropy, examples as columns), written with the engine's
  primitives, so that one text is evaluated on arrays, traced for reverse mode
  or carried forward on dual numbers;
- :func:`softmax_problem`: that network at width ``h``, its weights and a batch;
- :func:`sine_chain`: ``sum(sin(sin(...sin(x))))``, ``n`` operations deep, for
  the cost of one operation of the engine and its recursion-free walk.

Non-goals: timing (that is :mod:`backprop_book.timing`'s), other architectures.
"""

from __future__ import annotations

import numpy as np

from backprop.autodiff import reverse as g
from backprop.dense import DenseNet

N_IN, N_OUT = 32, 10


def softmax_net(p: dict, x, y):
    """Softmax cross-entropy summed over the examples; x: (32, m), y: (10, m) one-hot."""
    a = x
    for l in (1, 2):
        a = g.tanh(p[f"W{l}"] @ a + p[f"b{l}"])  # a[l]: (h, m)
    z = p["W3"] @ a + p["b3"]  # z[3]: (10, m)
    return -g.sum(y * (z - g.logsumexp(z, axis=0, keepdims=True)))


def softmax_problem(h: int, backend, m: int = 64, seed: int = 0):
    """``(net, params, x, y)``: the network of width ``h`` as a DenseNet (the matrix form of
    the same cost), weights drawn from ``default_rng([seed, h])``, and ``m`` examples, on ``backend``."""
    rng = np.random.default_rng([seed, h])
    net = DenseNet([N_IN, h, h, N_OUT], activations=["tanh", "tanh", "softmax"], cost="softmax_cross_entropy")
    params = net.init_params(rng, scale=0.2, backend=backend)
    x = backend.asarray(rng.standard_normal((N_IN, m)))
    y = backend.asarray(np.eye(N_OUT)[:, rng.integers(0, N_OUT, m)])
    return net, params, x, y


def sine_chain(p: dict, n: int):
    """``sum(sin^n(p["x"]))``: a chain of ``n`` sines, one node each."""
    v = p["x"]
    for _ in range(n):
        v = g.sin(v)
    return g.sum(v)
