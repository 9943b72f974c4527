"""Levenberg-Marquardt: the Jacobian built by backprop, the damped step, the training loop."""

from __future__ import annotations

import numpy as np
import pytest

import backprop as bp
from backprop import gradcheck, levenberg_marquardt as lm
from backprop.layout import Layout, check_params

X = np.array([[0, 0, 1, 1], [0, 1, 0, 1]], float)
Y = np.array([[0, 1, 1, 0]], float)


def _numeric_jacobian(net, params, x, y):
    residuals = lambda w: lm.residuals_and_jacobian(net, lm.unflatten(net, w), x, y)[0]  # noqa: E731
    return gradcheck.central_jacobian(residuals, lm.flatten(net, params))  # (S?, N, P)


@pytest.mark.parametrize("seeds", [None, 3])
@pytest.mark.parametrize(
    "sizes, acts, skips",
    [([2, 3, 2], "logistic", []), ([3, 4, 2, 2], ["tanh", "swish", "identity"], [(0, 2), (1, 3)])],
)
def test_jacobian_by_backprop_equals_central_differences(backend, rng, sizes, acts, skips, seeds):
    net = bp.DenseNet(sizes, activations=acts, skips=skips)
    params = net.init_params(rng, scale=1.0, seeds=seeds, backend=backend)
    m = 5
    x = backend.asarray(rng.standard_normal((sizes[0], m)))
    y = backend.asarray(rng.uniform(0, 1, (sizes[-1], m)))
    r, J = lm.residuals_and_jacobian(net, params, x, y)
    lead = () if seeds is None else (seeds,)
    assert tuple(r.shape) == lead + (sizes[-1] * m,)
    assert tuple(J.shape) == lead + (sizes[-1] * m, net.n_params())
    np.testing.assert_allclose(bp.to_numpy(J), _numeric_jacobian(net, params, x, y), atol=1e-8)
    # unit-major rows: row k*m + c is output k on example c
    a, _ = bp.forward(net, params, x)
    np.testing.assert_allclose(bp.to_numpy(r), np.reshape(bp.to_numpy(a - y), lead + (-1,)), atol=1e-14)


def test_jacobian_transpose_times_residuals_is_the_backprop_gradient(backend, rng):
    net = bp.DenseNet([2, 3, 2], activations=["tanh", "logistic"])
    params = net.init_params(rng, scale=1.0, seeds=4, backend=backend)
    x, y = backend.asarray(rng.standard_normal((2, 6))), backend.asarray(rng.uniform(0, 1, (2, 6)))
    r, J = lm.residuals_and_jacobian(net, params, x, y)
    _, grads = bp.loss_and_grads(net, params, x, y)
    g = np.einsum("snp,sn->sp", bp.to_numpy(J), bp.to_numpy(r))
    np.testing.assert_allclose(g, bp.to_numpy(lm.flatten(net, grads)), atol=1e-12)


def test_flatten_and_unflatten_are_inverse(rng):
    net = bp.DenseNet([2, 2, 1], skips=[(0, 2)])
    params = net.init_params(rng, seeds=2)
    w = lm.flatten(net, params)
    assert w.shape == (2, net.n_params())
    again = lm.unflatten(net, w)
    assert set(again) == set(params)
    for k in params:
        np.testing.assert_array_equal(again[k], params[k])


def test_a_layout_keeps_seed_axes_and_slices_by_shape(rng):
    layout = Layout({"K": (2, 1, 3, 3), "b": (2, 1)})  # a convolution's kernels and a bias
    assert layout.size == 20 and repr(layout) == "Layout(2 arrays, 20 entries)"
    tree = {"K": rng.standard_normal((4, 2, 1, 3, 3)), "b": rng.standard_normal((4, 2, 1))}  # 4 seeds
    w = layout.flatten(tree)
    assert w.shape == (4, 20)
    np.testing.assert_array_equal(w[:, 18:], tree["b"][..., 0])
    back = layout.unflatten(w)
    assert all(np.array_equal(back[k], tree[k]) for k in tree)
    one = layout.unflatten(w[1])
    assert one["K"].shape == (2, 1, 3, 3) and np.array_equal(layout.flatten(one), w[1])


def test_params_are_checked_against_their_shapes():
    shapes = {"W1": (3, 2), "b1": (3, 1)}
    check_params(shapes, {"W1": np.zeros((5, 3, 2)), "b1": np.zeros((5, 3, 1))}, "net")  # 5 seeds
    with pytest.raises(ValueError, match=r"params\['W1'\] has shape \(5, 3, 2\), expected \(3, 2\)"):
        check_params(shapes, {"W1": np.zeros((5, 3, 2)), "b1": np.zeros((3, 1))}, "net", seeds=False)
    with pytest.raises(ValueError, match=r"params\['b1'\] has shape \(3,\), expected \(\.\.\., 3, 1\)"):
        check_params(shapes, {"W1": np.zeros((3, 2)), "b1": np.zeros(3)}, "net")
    with pytest.raises(ValueError, match=r"params do not fit 'net': missing \['b1'\], unexpected \['c'\]"):
        check_params(shapes, {"W1": np.zeros((3, 2)), "c": np.zeros(1)}, "net")


def test_central_hessian_is_the_exact_hessian(rng):
    # E = 1/2 |W x + b - y|^2 is quadratic in the weights: its Hessian is J.T J, exactly
    net = bp.DenseNet([3, 2], activations="identity")
    params = net.init_params(rng, scale=1.0)
    x, y = rng.standard_normal((3, 5)), rng.standard_normal((2, 5))
    gradient = lambda w: lm.flatten(net, bp.loss_and_grads(net, lm.unflatten(net, w), x, y)[1])  # noqa: E731
    H = gradcheck.central_hessian(gradient, lm.flatten(net, params))
    _, J = lm.residuals_and_jacobian(net, params, x, y)
    np.testing.assert_allclose(H, J.T @ J, atol=1e-8)
    # and a cost with third derivatives: C = sum w^4 / 4, H = diag(3 w^2)
    w = rng.standard_normal(4)
    np.testing.assert_allclose(gradcheck.central_hessian(lambda v: v**3, w), np.diag(3 * w**2), atol=1e-8)
    with pytest.raises(TypeError, match="float64"):
        gradcheck.central_hessian(lambda v: v**3, w.astype(np.float32))


def test_large_mu_is_a_short_gradient_step_and_small_mu_solves_a_linear_model(rng):
    net = bp.DenseNet([3, 2], activations="identity")
    params = net.init_params(rng, scale=1.0)
    x, y = rng.standard_normal((3, 10)), rng.standard_normal((2, 10))
    _, grads = bp.loss_and_grads(net, params, x, y)
    mu = 1e6
    new, _, _, accepted = lm.step(net, params, x, y, mu)
    assert bool(accepted)
    for k in params:
        np.testing.assert_allclose(new[k] - params[k], -grads[k] / mu, rtol=1e-4, atol=1e-12)
    # Gauss-Newton is exact for a linear model: one undamped step reaches least squares.
    best, _, E, _ = lm.step(net, params, x, y, 1e-12)
    x1 = np.vstack([x, np.ones((1, 10))])
    solution = np.linalg.lstsq(x1.T, y.T, rcond=None)[0].T
    np.testing.assert_allclose(np.hstack([best["W1"], best["b1"]]), solution, atol=1e-8)
    assert E == pytest.approx(bp.dense.loss(net, best, x, y))


def test_a_refused_step_leaves_the_weights_and_raises_mu(rng):
    net = bp.DenseNet([2, 2, 1])
    params = net.init_params(rng, seeds=5)
    E0 = bp.dense.loss(net, params, X, Y)
    new, mu, E, accepted = lm.step(net, params, X, Y, np.array([1e-12, 1e-3, 1.0, 10.0, 1e3]))
    assert np.all(E <= E0 + 1e-15)
    for s in range(5):
        moved = any(not np.array_equal(new[k][s], params[k][s]) for k in params)
        assert moved == bool(accepted[s])
    np.testing.assert_allclose(mu[accepted], np.array([1e-12, 1e-3, 1.0, 10.0, 1e3])[accepted] / 10)


def test_levenberg_marquardt_learns_xor_and_freezes_solved_networks(backend, rng):
    net = bp.DenseNet([2, 2, 1])
    params = net.init_params(rng, seeds=20, backend=backend)
    target = lambda a, y: ((a - y) ** 2).sum(axis=(-2, -1)) < 0.04  # noqa: E731
    trained, history = lm.train_lm(net, params, backend.asarray(X), backend.asarray(Y), iterations=200, until=target)
    solved = history.solved_at >= 0
    assert solved.mean() >= 0.6
    assert np.median(history.solved_at[solved]) < 60
    final = bp.to_numpy(bp.dense.loss(net, trained, backend.asarray(X), backend.asarray(Y)))
    assert np.all(2 * final[solved] < 0.04)
    assert history.error.shape == (history.sweeps, 20) and history.extras["mu"].shape[1] == 20


def test_only_squared_error_with_elementwise_output():
    with pytest.raises(ValueError, match="half_squared_error"):
        lm.residuals_and_jacobian(bp.DenseNet([2, 1], cost="binary_cross_entropy"), {}, X, Y)
