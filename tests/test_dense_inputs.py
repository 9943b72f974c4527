"""Bad input to the dense network gets an error that names the problem."""

from __future__ import annotations

import numpy as np
import pytest

import backprop as bp
from backprop import dense


@pytest.fixture
def net_params(rng):
    net = bp.DenseNet([2, 3, 1], skips=[(0, 2)])
    return net, net.init_params(rng)


def test_wrong_input_shape(net_params):
    net, params = net_params
    with pytest.raises(ValueError, match=r"x has shape \(4, 2\); expected \(2, m\)"):
        bp.forward(net, params, np.zeros((4, 2)))  # examples as rows: the classic mistake
    with pytest.raises(ValueError, match="expected"):
        bp.forward(net, params, np.zeros(2))


def test_wrong_target_shape_and_count(net_params):
    net, params = net_params
    with pytest.raises(ValueError, match=r"y has shape \(2, 4\)"):
        bp.loss_and_grads(net, params, np.zeros((2, 4)), np.zeros((2, 4)))
    with pytest.raises(ValueError, match="4 examples .* but y has 3"):
        bp.loss_and_grads(net, params, np.zeros((2, 4)), np.zeros((1, 3)))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_and_inf_are_refused(net_params, bad):
    net, params = net_params
    x = np.zeros((2, 4))
    x[1, 2] = bad
    with pytest.raises(ValueError, match=r"x contains NaN or inf \(1 entries, the first at index \(1, 2\)\)"):
        bp.forward(net, params, x)
    y = np.zeros((1, 4))
    y[0, 3] = bad
    with pytest.raises(ValueError, match="y contains NaN or inf"):
        bp.loss_and_grads(net, params, np.zeros((2, 4)), y)


def test_params_that_do_not_fit(net_params, rng):
    net, params = net_params
    with pytest.raises(ValueError, match=r"missing \['W2_from0'\]"):
        bp.forward(net, {k: v for k, v in params.items() if k != "W2_from0"}, np.zeros((2, 1)))
    other = bp.DenseNet([2, 4, 1], skips=[(0, 2)]).init_params(rng)
    with pytest.raises(ValueError, match=r"params\['W1'\] has shape \(4, 2\), expected \(\.\.\., 3, 2\)"):
        bp.forward(net, other, np.zeros((2, 1)))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(sizes=[3]), "two or more positive integers"),
        (dict(sizes=[3, 0, 1]), "two or more positive integers"),
        (dict(sizes=[3, 2, 1], activations=["tanh"]), "2 layers need 2 activations"),
        (dict(sizes=[3, 2, 1], skips=[(0, 1)]), "direct connection"),
        (dict(sizes=[3, 2, 1], skips=[(0, 3)]), "direct connection"),
    ],
)
def test_bad_architectures(kwargs, message):
    with pytest.raises(ValueError, match=message):
        bp.DenseNet(**kwargs)


def test_shapes_and_repr(rng):
    net = bp.DenseNet([2, 1, 1], skips=[(0, 2)])
    assert net.param_shapes() == {"W1": (1, 2), "b1": (1, 1), "W2": (1, 1), "b2": (1, 1), "W2_from0": (1, 2)}
    assert net.n_params() == 7  # Rumelhart's XOR net with one hidden unit: 7 weights and biases
    assert repr(net) == "DenseNet([2, 1, 1], activations='logistic', cost='half_squared_error', skips=[(0, 2)])"
    params = net.init_params(rng, seeds=4)
    assert params["W1"].shape == (4, 1, 2)


def test_backward_of_the_output_itself(rng):
    """The gradient of the output (not of a loss), as TD learning needs it."""
    net = bp.DenseNet([3, 4, 1], activations=["tanh", "logistic"])
    params = net.init_params(rng)
    x = rng.standard_normal((3, 1))
    out, cache = bp.forward(net, params, x)
    grads = bp.backward(net, params, cache, bp.output_delta(net, cache, 1.0))
    errors = bp.gradcheck.directional_errors(lambda p: bp.forward(net, p, x)[0], params, grads, rng)
    assert errors.max() < 1e-6
    soft = bp.DenseNet([3, 2], activations="softmax", cost="softmax_cross_entropy")
    _, c = bp.forward(soft, soft.init_params(rng), x)
    with pytest.raises(ValueError, match="no elementwise derivative"):
        bp.output_delta(soft, c, 1.0)
