"""Matrix-form gradients against central differences and torch.autograd, on random architectures."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings

import backprop as bp
from backprop import dense, gradcheck
from backprop.backend import get_backend

from .conftest import BACKENDS
from .strategies import near_relu_kink, networks

PROBLEMS = networks(max_depth=4, max_examples=6, seeds=(None, 1, 3))


@pytest.mark.parametrize("device", BACKENDS)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problem=PROBLEMS)
def test_matrix_form_equals_central_differences(device, problem):
    net, params, x, y, rng = problem
    assume(not near_relu_kink(net, params, x, 1e-2))
    be = get_backend(device)
    params, x, y = be.tree(params), be.asarray(x), be.asarray(y)
    _, grads = dense.loss_and_grads(net, params, x, y)
    errors = gradcheck.directional_errors(lambda p: dense.loss(net, p, x, y, check=False), params, grads, rng)
    assert errors.max() <= 1e-6, f"{net}: relative errors {errors}"


@pytest.mark.needs("torch", "torch.autograd is the reference")
@pytest.mark.parametrize("device", BACKENDS)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problem=PROBLEMS)
def test_matrix_form_equals_torch_autograd(device, problem):
    net, params, x, y, _ = problem
    be = get_backend(device)
    _, grads = dense.loss_and_grads(net, be.tree(params), be.asarray(x), be.asarray(y))
    cpu = get_backend("cpu")
    expected = gradcheck.autograd_grads(lambda p: dense.loss(net, p, cpu.asarray(x), cpu.asarray(y), check=False), params)
    assert set(grads) == set(expected)
    for k in expected:
        np.testing.assert_allclose(bp.to_numpy(grads[k]), expected[k], rtol=1e-9, atol=1e-12, err_msg=k)


def test_gradient_check_catches_a_wrong_gradient(rng):
    net = bp.DenseNet([3, 4, 2])
    params = net.init_params(rng)
    x, y = rng.standard_normal((3, 5)), rng.uniform(size=(2, 5))
    _, grads = dense.loss_and_grads(net, params, x, y)
    grads["W1"] = grads["W1"] * 1.001  # a 0.1% error in one block
    errors = gradcheck.directional_errors(lambda p: dense.loss(net, p, x, y), params, grads, rng)
    assert errors.max() > 1e-6


def test_gradient_check_on_a_flat_cost_sees_rounding_not_error(rng):
    """Behind a ReLU that is off everywhere the cost is flat: the gradient is 0 and the
    five-point difference is 0 up to rounding, which must not count as a mismatch
    (hypothesis found this case), while a wrong gradient there is still caught."""
    net = bp.DenseNet([2, 1, 1], activations=["logistic", "relu"])
    params = {"W1": np.array([[0.02364325, 0.90092739]]), "b1": np.array([[-0.71168077]]),
              "W2": np.array([[0.89729889]]), "b2": np.array([[-0.3763371]])}
    x, y = np.array([[0.44637457], [-0.53695324]]), np.array([[0.40919914]])
    _, grads = dense.loss_and_grads(net, params, x, y)
    assert all(not np.any(g) for g in grads.values())
    cost = lambda p: dense.loss(net, p, x, y)  # noqa: E731
    assert gradcheck.directional_errors(cost, params, grads, rng).max() == 0
    wrong = {**grads, "b2": np.array([[1e-6]])}
    assert gradcheck.directional_errors(cost, params, wrong, rng).min() > 0.5


def test_gradient_check_catches_a_wrong_small_gradient_of_a_large_cost(rng):
    """C(w) = 10^6 + <a, w> with |a| = 10^-5: the stencil's rounding bound 15 eps |C| / h
    (3.3e-5 at h = 1e-4) is larger than the derivative itself, so "within rounding"
    proves nothing here. A gradient 50% too large must still be caught, where the old
    rule (a difference below that bound is agreement) called every direction agreement."""
    a = 1e-5 * rng.standard_normal(10) / np.sqrt(10)
    cost = lambda p: 1e6 + np.sum(a * p["w"])  # noqa: E731
    params, wrong, h = {"w": np.zeros(10)}, {"w": 1.5 * a}, 1e-4
    directions = copy.deepcopy(rng)  # the directions the check is about to draw
    old_bound = 10 * 1.5 * np.finfo(np.float64).eps * 1e6 / h
    assert all(abs(0.5 * a @ directions.standard_normal(10)) < old_bound for _ in range(5))
    errors = gradcheck.directional_errors(cost, params, wrong, rng, n_directions=5, h=h)
    assert errors.max() > 0.25, errors    # 0.5 <a,u> / 1.5 <a,u> = 1/3, up to the rounding


def test_gradient_check_refuses_float32(rng):
    net = bp.DenseNet([2, 2, 1])
    params = net.init_params(rng, dtype="float32")
    x, y = np.zeros((2, 1), np.float32), np.zeros((1, 1), np.float32)
    _, grads = dense.loss_and_grads(net, params, x, y)
    with pytest.raises(TypeError, match="float64"):
        gradcheck.directional_errors(lambda p: dense.loss(net, p, x, y), params, grads, rng)


def test_seeded_networks_get_their_own_gradients(rng):
    """Three networks stacked on a seed axis get exactly the gradients each gets alone."""
    net = bp.DenseNet([3, 4, 2], activations="tanh", skips=[])
    params = net.init_params(rng, seeds=3)
    x, y = rng.standard_normal((3, 5)), rng.uniform(size=(2, 5))
    C, grads = dense.loss_and_grads(net, params, x, y)
    assert C.shape == (3,)
    for s in range(3):
        one = {k: v[s] for k, v in params.items()}
        C1, g1 = dense.loss_and_grads(net, one, x, y)
        np.testing.assert_allclose(C[s], C1, rtol=1e-12)
        for k in g1:
            np.testing.assert_allclose(grads[k][s], g1[k], rtol=1e-12, atol=1e-15)
