"""LeCun's 1989 network: the paper's counts, gradients and curvature checked, step rules, the notebook."""

from __future__ import annotations

import numpy as np
import pytest

from backprop import conv, diag_lm, gradcheck
from backprop.papers.lecun1989 import lenet as ln
from backprop.backend import get_backend, to_numpy
from backprop_book.runner import run_notebook

from .conftest import ROOT


@pytest.fixture(scope="module")
def net():
    return ln.LeNet1989()


def _batch(rng, m=2, onehot=False):
    x = rng.uniform(-1, 1, (256, m))
    y = np.full((10, m), 0.0 if onehot else -1.0)
    y[rng.integers(0, 10, m), np.arange(m)] = 1.0
    return x, y


def test_the_papers_counts(net):
    assert net.n_units() == 1256 and net.n_connections() == 64660 and net.n_params() == 9760
    assert [net.H1.n_out, net.H2.n_out] == [768, 192]
    assert net.fan_ins() == {1: 25, 2: 200, 3: 192, 4: 30}
    mask = ln.block_mask()
    assert (mask.sum(axis=1) == 8).all() and (mask.sum(axis=0) == 8).all()  # balanced both ways
    assert "9,760 free parameters" in repr(net)


def test_initial_weights_follow_the_fan_in_rule(net, rng):
    params = net.init_params(rng)
    for l, F in net.fan_ins().items():
        for k in (f"W{l}", f"b{l}"):
            assert np.abs(params[k]).max() <= 2.4 / F and np.abs(params[k]).max() > 2.0 / F
    assert np.all(params["W2"][~ln.block_mask()] == 0)
    he = net.init_params(rng, init="he")
    assert np.all(he["b3"] == 0) and np.abs(he["W3"]).max() <= np.sqrt(6 / 192)
    with pytest.raises(TypeError, match="numpy Generator"):
        net.init_params(0)


def test_flatten_and_unflatten_are_inverse_views(net, rng):
    params = net.init_params(rng)
    theta = net.layout.flatten(params)
    assert theta.shape == (sum(v.size for v in params.values()),) == (net.layout.size,)
    back = net.layout.unflatten(theta)
    assert all(np.array_equal(back[k], params[k]) for k in params)
    theta[0] = 123.0
    assert back["W1"].ravel()[0] == 123.0  # a view, not a copy
    free = net.layout.flatten(net.free_mask())
    assert free.sum() == net.n_params()  # the 9,760 free parameters; the rest are cut H2 weights
    assert np.all(theta[free == 0] == 0)


@pytest.mark.parametrize("cost", ["half_squared_error", "softmax_cross_entropy"])
def test_gradients_equal_central_differences(cost, backend, rng):
    softmax = cost == "softmax_cross_entropy"
    net = ln.LeNet1989(output="softmax" if softmax else ln.SCALED_TANH, cost=cost)
    params = backend.tree(net.init_params(rng, init="he"))
    x, y = (backend.asarray(a) for a in _batch(rng, onehot=softmax))
    _, cache = ln.forward(net, params, x)
    _, delta, _ = ln.output_error(net, cache, y)
    grads = ln.backward(net, params, cache, delta)
    errors = gradcheck.directional_errors(lambda p: ln.loss(net, p, x, y, check=False), params, grads, rng)
    assert errors.max() < 1e-7, errors


@pytest.mark.needs("torch")
def test_gradients_equal_torch_autograd(net, backend, rng):
    params = net.init_params(rng, init="he")
    x, y = _batch(rng, m=3)
    _, cache = ln.forward(net, backend.tree(params), backend.asarray(x))
    _, delta, _ = ln.output_error(net, cache, backend.asarray(y))
    grads = ln.backward(net, backend.tree(params), cache, delta)
    cpu = get_backend("cpu")
    expected = gradcheck.autograd_grads(lambda p: ln.loss(net, p, cpu.asarray(x), cpu.asarray(y), check=False), params)
    for k in params:
        np.testing.assert_allclose(to_numpy(grads[k]), expected[k], atol=1e-12, err_msg=k)


def _dense_curvature(net, params, x, d2z4, cache):
    """LeCun's recursion written with the layers' full matrices (padding 0, so nothing is hidden)."""
    a, df = cache["a"], cache["df"]
    D1, D2 = conv.dense_matrix(net.H1, params["W1"]), conv.dense_matrix(net.H2, params["W2"])
    d2z3 = df[3] ** 2 * (params["W4"].T ** 2 @ d2z4)
    d2z2 = df[2] ** 2 * (params["W3"].T ** 2 @ d2z3)
    d2z1 = df[1] ** 2 * ((D2**2).T @ d2z2)
    out = {"W4": d2z4 @ (a[3] ** 2).T, "W3": d2z3 @ (a[2] ** 2).T}
    for l, layer, d2z, a_prev in ((1, net.H1, d2z1, x), (2, net.H2, d2z2, a[1])):
        per_connection = d2z @ (a_prev**2).T  # (units, inputs): one entry per connection
        taps = np.zeros(layer.param_shapes()["W"])
        for idx in np.ndindex(*taps.shape):  # which connections share the weight idx
            e = np.zeros(taps.shape)
            e[idx] = 1.0
            taps[idx] = (conv.dense_matrix(layer, e) * per_connection).sum()
        out[f"W{l}"] = taps
    return out


def test_curvature_is_lecuns_diagonal_recursion(rng):
    net = ln.LeNet1989(pad_values=(0.0, 0.0))
    params = net.init_params(rng, init="he")
    x, y = _batch(rng)
    _, cache = ln.forward(net, params, x)
    _, _, d2z4 = ln.output_error(net, cache, y)
    got = ln.curvature(net, params, cache, d2z4)
    expected = _dense_curvature(net, params, x, d2z4, cache)
    for k, v in expected.items():
        np.testing.assert_allclose(got[k], v, rtol=1e-10, atol=1e-14, err_msg=k)
    assert all((got[k] >= 0).all() for k in got)


@pytest.mark.needs("torch")
def test_curvature_of_the_output_layer_is_the_exact_gauss_newton_diagonal(net, rng):
    import torch

    params = net.init_params(rng, init="he")
    x, y = _batch(rng, m=3)
    _, cache = ln.forward(net, params, x)
    _, _, d2z4 = ln.output_error(net, cache, y)
    got = ln.curvature(net, params, cache, d2z4)
    # Gauss-Newton: sum over examples and outputs of (d a / d w)^2, for the squared error
    t = {k: torch.tensor(v) for k, v in params.items()}

    def out(W4, b4):
        return ln.forward(net, {**t, "W4": W4, "b4": b4}, torch.tensor(x), check=False)[0]

    J = torch.autograd.functional.jacobian(out, (t["W4"], t["b4"]))
    np.testing.assert_allclose(got["W4"], (J[0] ** 2).sum(dim=(0, 1)).numpy(), rtol=1e-10)
    np.testing.assert_allclose(got["b4"], (J[1] ** 2).sum(dim=(0, 1)).numpy(), rtol=1e-10)


def test_softmax_curvature_is_the_diagonal_of_its_hessian(rng):
    net = ln.LeNet1989(output="softmax", cost="softmax_cross_entropy")
    params = net.init_params(rng, init="he")
    x, y = _batch(rng, m=1, onehot=True)
    _, cache = ln.forward(net, params, x)
    _, _, d2 = ln.output_error(net, cache, y)
    p = cache["a"][4][:, 0]
    np.testing.assert_allclose(d2[:, 0], np.diag(np.diag(p) - np.outer(p, p)))


def test_a_mask_that_does_not_match_the_layer_is_named():
    with pytest.raises(ValueError, match=r"mask has shape \(12, 11\).*needs shape \(12, 12\)"):
        ln.LeNet1989(h2_mask=np.ones((12, 11)))
    with pytest.raises(ValueError, match="each H2 map must see 8 of the 12 H1 maps"):
        ln.LeNet1989(h2_mask=np.ones((12, 12)))


def test_inputs_that_do_not_fit_are_named(net, rng):
    params = net.init_params(rng)
    with pytest.raises(ValueError, match=r"x has shape \(16, 16\); expected \(256, m\)"):
        ln.forward(net, params, np.zeros((16, 16)))
    with pytest.raises(ValueError, match=r"y has shape \(10, 3\); expected \(10, 2\)"):
        ln.loss(net, params, np.zeros((256, 2)), np.zeros((10, 3)))
    with pytest.raises(ValueError, match=r"params\['W2'\] has shape \(12, 8, 5, 5\), expected \(12, 12, 5, 5\)"):
        ln.forward(net, {**params, "W2": np.zeros((12, 8, 5, 5))}, np.zeros((256, 1)))
    with pytest.raises(ValueError, match=r"params\['W1'\] has shape \(2, 12, 1, 5, 5\)"):  # one network, no seeds
        ln.forward(net, {**params, "W1": np.zeros((2, 12, 1, 5, 5))}, np.zeros((256, 1)))
    with pytest.raises(ValueError, match=r"missing \['b4'\]"):
        ln.forward(net, {k: v for k, v in params.items() if k != "b4"}, np.zeros((256, 1)))


# step rules -----------------------------------------------------------------------------------


def test_diag_lm_step_sizes_follow_the_running_curvature():
    rule = diag_lm.DiagLM(eps=0.1, mu=0.5, gamma=0.25)
    theta, g, d2 = np.array([1.0, 1.0]), np.array([1.0, -2.0]), np.array([4.0, 0.0])
    state = rule.init(theta)
    theta2, state = rule.step(theta, g, d2, state)
    np.testing.assert_allclose(state["h"], [1.0, 0.0])  # 0 + 0.25 (4 - 0)
    np.testing.assert_allclose(theta2, [1 - 0.1 / 1.5 * 1, 1 + 0.1 / 0.5 * 2])
    with pytest.raises(ValueError, match="mu must be positive"):
        diag_lm.DiagLM(mu=0)
    with pytest.raises(ValueError, match="eps must be positive"):
        diag_lm.Adam(eps=0)
    with pytest.raises(TypeError):
        diag_lm.Adam(delta=1e-8)  # Adam's epsilon is eps: delta is dC/dz in this book


@pytest.mark.needs("torch")
def test_adam_matches_torch_optim(rng):
    import torch

    w = torch.tensor(rng.standard_normal(5), requires_grad=True)
    opt = torch.optim.Adam([w], lr=0.01)
    rule, theta = diag_lm.Adam(eta=0.01, eps=1e-8), w.detach().numpy().copy()
    state = rule.init(theta)
    for _ in range(5):
        g = rng.standard_normal(5)
        w.grad = torch.tensor(g)
        opt.step()
        theta, state = rule.step(theta, g, None, state)
    np.testing.assert_allclose(theta, w.detach().numpy(), rtol=1e-6)


def test_a_batch_step_uses_the_mean_gradient(net, rng):
    params = net.init_params(rng, init="he")
    x, y = _batch(rng, m=4)
    theta = net.layout.flatten(params)
    _, cache = ln.forward(net, params, x)
    g = net.layout.flatten(ln.backward(net, params, cache, ln.output_error(net, cache, y)[1]))
    stepped, _ = ln.train_pass(net, theta.copy(), x, y, diag_lm.SGD(0.1), {}, batch_size=4)
    np.testing.assert_allclose(stepped, theta - 0.1 * g / 4, atol=1e-14)


def test_rejection_curve():
    outputs = np.array([[1.0, 0.2, 0.9, -1], [-1, 0.1, -1, 1]])  # margins 2, 0.1, 1.9, 2
    labels = np.array([0, 1, 1, 1])  # wrong: image 1 (margin 0.1) and image 2 (margin 1.9)
    rejected, err = ln.rejection_curve(outputs, labels)
    np.testing.assert_allclose(rejected, [0, 0.25, 0.5, 0.75])
    np.testing.assert_allclose(err, [0.5, 1 / 3, 0, 0])
    assert ln.rejection_for_error(outputs, labels, 0.01) == 0.5


@pytest.mark.slow
def test_notebook_at_smoke_scale(cache_dir):
    # the parameters and the cache of the registry's smoke run (test_rhw1986) and of the book
    # build, so the notebook is executed once per session, not once per test
    result = run_notebook(ROOT / "notebooks" / "lecun1989.md", {"scale": "smoke"}, cache_dir / "_build" / "executed")
    m = result.metrics
    assert m["n_params"] == 9760 and m["n_connections"] == 64660 and m["n_units"] == 1256
    assert m["passes"] == 1 and m["n_train"] < 1000
    # an error rate is a count of wrong digits out of n_test
    for part in ("train", "test"):
        wrong = m[f"{part}_error_pct"] * m[f"n_{part}"] / 100
        assert wrong == pytest.approx(round(wrong), abs=1e-6), part
    # earned in one pass over 500 digits (chance is 90%): 57% wrong on the test digits, 60% on the
    # training digits, 59% for plain SGD
    assert m["test_error_pct"] < 65 and m["train_error_pct"] < 70 and m["sgd_test_error_pct"] < 70
    assert m["learns"] == (m["test_error_pct"] < 75)
    # to leave at most 1% wrong among the kept digits, at least (E - 1%) / 99% of them must be rejected
    E = m["test_error_pct"] / 100
    assert (E - 0.01) / 0.99 <= m["rejection_pct_for_1pct"] / 100 <= 1


def test_the_books_step_sizes_are_among_the_candidates_the_sweep_scores():
    from backprop.papers.lecun1989 import steps

    assert steps.EPSILON in steps.EPSILON_CANDIDATES and len(steps.EPSILON_CANDIDATES) == 4
    assert steps.SGD_ETA in steps.SGD_ETA_CANDIDATES and len(steps.SGD_ETA_CANDIDATES) == 3
    assert sorted(steps.EPSILON_CANDIDATES) == list(steps.EPSILON_CANDIDATES)  # doubling steps, smallest first
    assert all(b == 2 * a for a, b in zip(steps.EPSILON_CANDIDATES, steps.EPSILON_CANDIDATES[1:]))
    assert 0 < steps.HOLDOUT_FRACTION < 1
