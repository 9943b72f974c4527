"""Activations and costs: derivatives, numerical stability, extension, bad names."""

from __future__ import annotations

import numpy as np
import pytest

import backprop as bp
from backprop import activations, costs, dense
from backprop.backend import namespace

ELEMENTWISE = ["logistic", "tanh", "relu", "swish", "mish", "identity"]


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_derivative_matches_central_difference(name, backend):
    f = activations.get(name)
    z = np.linspace(-6, 6, 241)
    z = z[np.abs(z) > 1e-3]  # away from ReLU's kink
    h = 1e-5
    zz = backend.asarray(z)
    xp = namespace(zz)
    numeric = (bp.to_numpy(f.f(zz + h, xp)) - bp.to_numpy(f.f(zz - h, xp))) / (2 * h)
    analytic = bp.to_numpy(f.df(zz, f.f(zz, xp), xp))
    np.testing.assert_allclose(analytic, numeric, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("name", ELEMENTWISE + ["softmax"])
def test_activations_are_finite_for_huge_inputs(name, backend):
    f = activations.get(name)
    z = backend.asarray([[-1e4, -800.0, 0.0, 800.0, 1e4]]).swapaxes(-1, -2)  # a column
    xp = namespace(z)
    a = f.f(z, xp)  # RuntimeWarnings are errors in the tests (pyproject.toml)
    assert np.all(np.isfinite(bp.to_numpy(a)))
    if f.df is not None:
        assert np.all(np.isfinite(bp.to_numpy(f.df(z, a, xp))))


def test_logistic_and_relu_values():
    xp = namespace(np.zeros(1))
    z = np.array([-np.inf, 0.0, np.inf, -1.0, 1.0])
    np.testing.assert_allclose(activations.get("logistic").f(z, xp)[:3], [0.0, 0.5, 1.0])
    relu = activations.get("relu")
    np.testing.assert_array_equal(relu.df(np.array([-1.0, 0.0, 2.0]), None, xp), [0.0, 0.0, 1.0])


def test_a_new_activation_given_by_f_and_df(rng):
    softsign = bp.Activation("softsign", f=lambda z, xp: z / (1 + xp.abs(z)), df=lambda z, a, xp: 1 / (1 + xp.abs(z)) ** 2)
    net = bp.DenseNet([3, 4, 1], activations=[softsign, "identity"])
    params = net.init_params(rng)
    x, y = rng.standard_normal((3, 4)), rng.standard_normal((1, 4))
    _, grads = dense.loss_and_grads(net, params, x, y)
    errors = bp.gradcheck.directional_errors(lambda p: dense.loss(net, p, x, y), params, grads, rng)
    assert errors.max() < 1e-6
    activations.register(softsign)
    assert activations.get("softsign") is softsign


def test_unknown_names_are_refused_with_the_known_ones_listed():
    with pytest.raises(ValueError, match="unknown activation 'sigmoidal'.*logistic"):
        bp.DenseNet([2, 2, 1], activations="sigmoidal")
    with pytest.raises(ValueError, match="unknown cost 'mse'.*half_squared_error"):
        bp.DenseNet([2, 2, 1], cost="mse")
    with pytest.raises(TypeError):
        activations.register("relu")


def test_costs_insist_on_their_output_layer():
    with pytest.raises(ValueError, match="softmax output layer"):
        bp.DenseNet([2, 3], activations="logistic", cost="softmax_cross_entropy")
    with pytest.raises(ValueError, match="logistic output layer"):
        bp.DenseNet([2, 3], activations="tanh", cost="binary_cross_entropy")
    with pytest.raises(ValueError, match="needs the softmax_cross_entropy cost"):
        bp.DenseNet([2, 3], activations="softmax")
    with pytest.raises(ValueError, match="only at the output"):
        bp.DenseNet([2, 3, 3], activations=["softmax", "softmax"], cost="softmax_cross_entropy")


def test_cross_entropies_are_stable_for_confident_outputs():
    xp = namespace(np.zeros(1))
    z = np.array([[1000.0, -1000.0], [-1000.0, 1000.0]])  # (2 units, 2 examples)
    y = np.array([[0.0, 0.0], [1.0, 1.0]])
    a = activations.get("softmax").f(z, xp)
    ce = costs.softmax_cross_entropy.fn(z, a, y, xp)
    assert np.isclose(ce, 2000.0)  # one example confidently wrong by 2000 nats, one right
    zb = np.array([[800.0, -800.0]])
    yb = np.array([[0.0, 0.0]])
    bce = costs.binary_cross_entropy.fn(zb, activations.get("logistic").f(zb, xp), yb, xp)
    assert np.isclose(bce, 800.0)


def test_half_squared_error_is_rumelharts_E():
    xp = namespace(np.zeros(1))
    a = np.array([[0.2, 0.9], [0.4, 0.1]])
    d = np.array([[0.0, 1.0], [1.0, 0.0]])
    assert np.isclose(costs.half_squared_error.fn(None, a, d, xp), 0.5 * (0.04 + 0.01 + 0.36 + 0.01))
