"""Forward mode (dual numbers): five ways to one gradient on random networks, long chains, clear errors.

Every primitive's JVP rule is checked next to its VJP rule, in test_graph."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings

import backprop as bp
from backprop import dense, gradcheck
from backprop.autodiff import forward as forward_mode, reverse as graph
from backprop.backend import get_backend
from backprop.autodiff.forward import Dual
from backprop.autodiff.rules import Rule

from .conftest import BACKENDS
from .strategies import near_relu_kink, networks
from .test_graph import engine_loss


def _small(problem) -> bool:
    """A network small enough that P forward passes are quick (P at most about 60)."""
    net, params = problem[:2]
    return net.n_params() * (1 if params["W1"].ndim == 2 else params["W1"].shape[0]) <= 60


@pytest.mark.parametrize("device", BACKENDS)
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(problem=networks().filter(_small))
def test_forward_mode_reverse_mode_matrix_form_and_differences_agree(device, problem):
    net, params, x, y, _ = problem
    assume(not near_relu_kink(net, params, x, 1e-6))
    be = get_backend(device)
    params, x, y = be.tree(params), be.asarray(x), be.asarray(y)
    C = lambda p, x, y: engine_loss(net, p, x, y)  # noqa: E731
    by_jvps = forward_mode.gradient_by_jvps(C, params, x, y)
    by_engine = graph.grad(C)(params, x, y)
    _, by_matrices = dense.loss_and_grads(net, params, x, y)
    by_differences = forward_mode.gradient_by_differences(C, params, x, y)
    for k in params:
        exact = bp.to_numpy(by_matrices[k])
        np.testing.assert_allclose(by_jvps[k], exact, rtol=1e-9, atol=1e-12, err_msg=k)
        np.testing.assert_allclose(bp.to_numpy(by_engine[k]), exact, rtol=1e-9, atol=1e-12, err_msg=k)
        np.testing.assert_allclose(by_differences[k], exact, rtol=1e-5, atol=1e-7, err_msg=k)


@pytest.mark.needs("torch")
def test_forward_mode_equals_torch_autograd(rng):
    net = bp.DenseNet([3, 4, 3], activations=["mish", "softmax"], cost="softmax_cross_entropy")
    params = net.init_params(rng, scale=1.0)
    x, y = rng.standard_normal((3, 4)), np.eye(3)[:, [0, 2, 1, 2]]
    cpu = get_backend("cpu")
    expected = gradcheck.autograd_grads(lambda p: dense.loss(net, p, cpu.asarray(x), cpu.asarray(y), check=False), params)
    by_jvps = forward_mode.gradient_by_jvps(lambda p: engine_loss(net, p, x, y), params)
    for k in expected:
        np.testing.assert_allclose(by_jvps[k], expected[k], rtol=1e-9, atol=1e-12, err_msg=k)


def test_one_jvp_is_one_directional_derivative(rng):
    net = bp.DenseNet([2, 3, 1], activations="tanh")
    params = net.init_params(rng)
    x, y = rng.standard_normal((2, 4)), rng.uniform(size=(1, 4))
    u = {k: rng.standard_normal(v.shape) for k, v in params.items()}
    value, slope = forward_mode.jvp(lambda p: engine_loss(net, p, x, y), params, u)
    grads = graph.grad(lambda p: engine_loss(net, p, x, y))(params)
    assert np.isclose(value, dense.loss(net, params, x, y))
    assert np.isclose(slope, sum(np.sum(grads[k] * u[k]) for k in params), rtol=1e-12)
    assert forward_mode.n_params(params) == net.n_params() == 13


def test_a_long_chain_in_forward_mode():
    x = Dual(np.array([[1.0]]), np.array([[1.0]]))
    for _ in range(10_000):
        x = graph.sin(x)
    assert x.tangent.shape == (1, 1) and np.isfinite(x.tangent).all()


def test_forward_mode_errors_are_named():
    cube = graph.Primitive(Rule("cube", lambda xp, x: x**3))
    with pytest.raises(NotImplementedError, match="operation 'cube' has no Jacobian-vector rule"):
        forward_mode.jvp(lambda p: cube(p["x"]), {"x": np.ones((2, 2))}, {"x": np.ones((2, 2))})
    with pytest.raises(ValueError, match=r"direction names parameters that are not in params: \['w'\]"):
        forward_mode.jvp(lambda p: p["x"], {"x": np.ones(2)}, {"w": np.ones(2)})
    with pytest.raises(ValueError, match="a tangent must be shaped like its value"):
        Dual(np.ones((2, 2)), np.ones(3))
    with pytest.raises(TypeError, match="finite differences need float64 parameters; x is float32"):
        forward_mode.gradient_by_differences(lambda p: graph.sum(p["x"]), {"x": np.ones(2, np.float32)})
    with pytest.raises(ValueError, match="must return a single number"):
        forward_mode.gradient_by_jvps(lambda p: p["x"] * 2.0, {"x": np.ones(2)})


def test_reverse_and_forward_mode_cannot_be_mixed():
    node = graph.variable(np.ones((2, 2)))
    dual = Dual(np.ones((2, 2)), np.ones((2, 2)))
    with pytest.raises(TypeError, match="add: cannot mix Node and Dual inputs"):
        node + dual


@pytest.mark.cuda
def test_forward_mode_on_cuda_equals_numpy(rng):
    net = bp.DenseNet([3, 4, 2], activations=["tanh", "logistic"], cost="binary_cross_entropy")
    params = net.init_params(rng, scale=1.0)
    x, y = rng.standard_normal((3, 5)), rng.uniform(size=(2, 5))
    expected = forward_mode.gradient_by_jvps(lambda p: engine_loss(net, p, x, y), params)
    gpu = get_backend("cuda")
    xg, yg = gpu.asarray(x), gpu.asarray(y)
    grads = forward_mode.gradient_by_jvps(lambda p: engine_loss(net, p, xg, yg), gpu.tree(params))
    for k in expected:
        np.testing.assert_allclose(grads[k], expected[k], rtol=1e-9, atol=1e-12, err_msg=k)


def test_one_parameter_derivatives_match_reverse_mode_and_locate_counts_across_the_dict(rng):
    from backprop.autodiff import programs

    net, params, x, y = programs.softmax_problem(3, get_backend("numpy"), m=5)
    _, grads = graph.value_and_grad(programs.softmax_net)(params, x, y)
    flat = np.concatenate([np.ravel(grads[k]) for k in params])
    assert flat.size == net.n_params() == forward_mode.n_params(params)
    for i in rng.choice(flat.size, 12, replace=False):
        i = int(i)
        assert forward_mode.derivative_by_jvp(programs.softmax_net, params, i, x, y) == pytest.approx(flat[i], rel=1e-10, abs=1e-12)
        assert forward_mode.derivative_by_difference(programs.softmax_net, params, i, x, y) == pytest.approx(flat[i], rel=1e-5, abs=1e-7)
    assert forward_mode.locate(params, 0) == ("W1", (0, 0))
    last = list(params)[-1]
    assert forward_mode.locate(params, flat.size - 1)[0] == last
    with pytest.raises(IndexError, match="beyond the last"):
        forward_mode.locate(params, flat.size)
