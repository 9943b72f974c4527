"""TD(lambda): per-episode output gradients by backprop, the trace update, and a prediction it learns."""

from __future__ import annotations

import numpy as np
import pytest

from backprop import dense, gradcheck, td_lambda
from backprop.backend import get_backend, to_numpy


def _net_params(rng, backend, K=3):
    net = dense.DenseNet([5, 4, K], activations="logistic")
    return net, net.init_params(rng, scale=1.0, backend=backend)


def test_output_gradients_are_the_gradients_of_each_output_for_each_example(rng, backend):
    net, params = _net_params(rng, backend)
    x = backend.asarray(rng.standard_normal((5, 3)))
    y, grads = td_lambda.output_gradients(net, params, x)
    assert tuple(y.shape) == (3, 3) and tuple(grads["W1"].shape) == (3, 3, 4, 5)
    assert np.allclose(to_numpy(y), to_numpy(dense.forward(net, params, x)[0]))
    for m in range(3):
        for k in range(3):
            def output(p, m=m, k=k):
                return dense.forward(net, p, x[:, m : m + 1], check=False)[0][k]

            g = {name: grads[name][m, k] for name in params}
            assert gradcheck.directional_errors(output, params, g, rng).max() < 1e-7


@pytest.mark.needs("torch")
def test_output_gradients_agree_with_torch_autograd(rng):
    net, params = _net_params(rng, "numpy")
    x = rng.standard_normal((5, 2))
    _, grads = td_lambda.output_gradients(net, params, x)
    for m in range(2):
        for k in range(3):
            auto = gradcheck.autograd_grads(lambda p: dense.forward(net, p, p["W1"].new_tensor(x[:, m : m + 1]), check=False)[0][k], params)
            for name in params:
                assert np.allclose(grads[name][m, k], auto[name], atol=1e-12)


def test_a_step_adds_alpha_delta_times_the_traces_summed_over_episodes_and_outputs(rng, backend):
    net, params = _net_params(rng, backend)
    x0 = backend.asarray(rng.standard_normal((5, 4)))
    x1 = backend.asarray(rng.standard_normal((5, 4)))
    traces = td_lambda.begin(net, params, x0)
    e0 = {k: to_numpy(v).copy() for k, v in traces.e.items()}
    y0 = to_numpy(traces.y).copy()
    z = backend.asarray(rng.random((3, 4)))
    done = backend.asarray([0, 1, 0, 0])
    alpha, lam = 0.3, 0.6
    new, traces, delta = td_lambda.step(net, params, traces, x1, None, z, done, alpha, lam)

    y1 = to_numpy(dense.forward(net, params, x1)[0])
    d = to_numpy(done)
    expected_delta = np.where(d == 1, to_numpy(z), y1) - y0
    assert np.allclose(to_numpy(delta), expected_delta)
    for k in params:  # the update, one episode and one output at a time
        change = sum(alpha * expected_delta[j, m] * e0[k][m, j] for m in range(4) for j in range(3))
        assert np.allclose(to_numpy(new[k]) - to_numpy(params[k]), change)
    _, g1 = td_lambda.output_gradients(net, new, x1)
    for k in params:  # traces decay by lambda and add the new gradient; a finished episode starts afresh
        keep = lam * (1 - d).reshape(-1, 1, 1, 1)
        assert np.allclose(to_numpy(traces.e[k]), keep * e0[k] + to_numpy(g1[k]))
    assert np.allclose(to_numpy(traces.y), to_numpy(dense.forward(net, new, x1)[0]))


def test_an_episode_that_sits_out_changes_nothing(rng):
    backend = get_backend("numpy")
    net, params = _net_params(rng, backend)
    x = rng.standard_normal((5, 2))
    traces = td_lambda.begin(net, params, x)
    new, _, delta = td_lambda.step(net, params, traces, rng.standard_normal((5, 2)), None, np.zeros((3, 2)),
                                   np.zeros(2), 0.5, 0.7, active=np.zeros(2))
    assert (delta == 0).all() and all(np.array_equal(new[k], params[k]) for k in params)


def test_td_lambda_learns_the_random_walk(rng):
    """Sutton's (1988) bounded random walk: states A..E, start in C, step left or right;
    the outcome is 1 on leaving right of E, 0 left of A. True P(right): 1/6 .. 5/6."""
    net = dense.DenseNet([5, 1], activations="logistic")
    params = net.init_params(rng, scale=0.1)
    m, eye = 16, np.eye(5)
    where = np.full(m, 2)
    traces = td_lambda.begin(net, params, eye[:, where])
    for _ in range(6000):
        where = where + rng.choice([-1, 1], size=m)
        done = (where < 0) | (where > 4)
        z = (where > 4).astype(float)[None]
        where = np.where(done, 2, where)  # a finished walk starts again in C
        params, traces, _ = td_lambda.step(net, params, traces, eye[:, where], None, z, done.astype(float), 0.02, 0.8)
    values = dense.forward(net, params, eye)[0][0]
    assert np.abs(values - np.arange(1, 6) / 6).max() < 0.06
