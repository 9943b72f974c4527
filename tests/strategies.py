"""The random dense networks that the gradient tests draw (hypothesis strategies), shared by
the matrix form (test_gradients), the reverse-mode engine (test_graph) and forward mode
(test_forward_mode), so that all three are checked on the same kind of problem."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

import backprop as bp
from backprop import dense

ELEMENTWISE = ["logistic", "tanh", "relu", "swish", "mish", "identity"]
COSTS = ["half_squared_error", "softmax_cross_entropy", "binary_cross_entropy"]


@st.composite
def networks(draw, max_depth: int = 3, max_examples: int = 5, seeds: tuple = (None, 2)):
    """``(net, params, x, y, rng)``: a random dense network (depth, widths, activations, cost and
    direct connections), its weights, inputs ``x`` (examples as columns), targets ``y`` and the
    generator that drew them, for more random numbers. float64 numpy.

    ``seeds`` lists the choices of stacked networks (``None``: one, unstacked).
    """
    depth = draw(st.integers(1, max_depth))
    sizes = draw(st.lists(st.integers(1, 5), min_size=depth + 1, max_size=depth + 1))
    cost = draw(st.sampled_from(COSTS))
    hidden = draw(st.lists(st.sampled_from(ELEMENTWISE), min_size=depth - 1, max_size=depth - 1))
    output = {"softmax_cross_entropy": "softmax", "binary_cross_entropy": "logistic"}.get(cost)
    output = output or draw(st.sampled_from(ELEMENTWISE))
    if cost == "softmax_cross_entropy":
        sizes[-1] = max(sizes[-1], 2)
    possible = [(k, l) for l in range(2, depth + 1) for k in range(0, l - 1)]
    skips = draw(st.lists(st.sampled_from(possible), unique=True)) if possible else []
    net = bp.DenseNet(sizes, activations=hidden + [output], cost=cost, skips=skips)
    m = draw(st.integers(1, max_examples))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    params = net.init_params(rng, scale=1.0, seeds=draw(st.sampled_from(seeds)))
    x = rng.standard_normal((sizes[0], m))
    if cost == "softmax_cross_entropy":
        y = np.eye(sizes[-1])[:, rng.integers(0, sizes[-1], m)]
    else:
        y = rng.uniform(0, 1, (sizes[-1], m))
    return net, params, x, y, rng


def near_relu_kink(net, params, x, distance: float) -> bool:
    """Whether some ReLU unit's z lies within ``distance`` of 0, its kink: there the derivative
    jumps, and a difference quotient that straddles the kink measures nothing."""
    _, cache = dense.forward(net, params, x)
    return any(np.abs(cache["z"][l]).min() < distance for l in range(1, net.L + 1) if net.activations[l].name == "relu")
