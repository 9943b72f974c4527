"""The 1986 update rule and the training loops."""

from __future__ import annotations

import numpy as np
import pytest

import backprop as bp
from backprop.optim import momentum_step
from backprop.train import SolvedSeeds, squared_error_below

X = np.array([[0, 0, 1, 1], [0, 1, 0, 1]], float)
Y = np.array([[0, 1, 1, 0]], float)


def test_momentum_rule_by_hand():
    w, g1, g2 = np.array([1.0]), np.array([2.0]), np.array([-1.0])
    p, v = momentum_step({"w": w}, {"w": g1}, None, eta=0.1, alpha=0.9)
    assert np.allclose(v["w"], -0.2) and np.allclose(p["w"], 0.8)
    p, v = momentum_step(p, {"w": g2}, v, eta=0.1, alpha=0.9)
    assert np.allclose(v["w"], 0.1 - 0.18) and np.allclose(p["w"], 0.8 + 0.1 - 0.18)
    p, _ = momentum_step({"w": w}, {"w": np.zeros(1)}, None, eta=0.1, decay=0.002)
    assert np.allclose(p["w"], 0.998)  # 0.2% weight decay per update
    with pytest.raises(ValueError, match="alpha"):
        momentum_step({"w": w}, {"w": g1}, None, eta=0.1, alpha=1.0)


def test_a_sweep_update_uses_the_gradient_summed_over_patterns(rng):
    net = bp.DenseNet([2, 2, 1])
    params = net.init_params(rng)
    _, grads = bp.loss_and_grads(net, params, X, Y)
    expected, _ = momentum_step(params, grads, None, eta=0.5)
    trained, history = bp.train(net, params, X, Y, eta=0.5, sweeps=1)
    for k in params:
        np.testing.assert_allclose(trained[k], expected[k])
    assert history.error.shape == (1,)


def test_pattern_mode_updates_after_every_pattern(rng):
    net = bp.DenseNet([2, 2, 1])
    params = net.init_params(rng)
    expected, velocity = params, None
    for i in range(4):
        _, g = bp.loss_and_grads(net, expected, X[:, i : i + 1], Y[:, i : i + 1])
        expected, velocity = momentum_step(expected, g, velocity, eta=0.5, alpha=0.9)
    trained, _ = bp.train(net, params, X, Y, eta=0.5, alpha=0.9, sweeps=1, mode="pattern")
    for k in params:
        np.testing.assert_allclose(trained[k], expected[k])


def test_xor_with_one_hidden_unit_and_direct_connections_is_learned():
    """Rumelhart's 2-1-1 XOR net with input-output connections, 200 seeds at once."""
    net = bp.DenseNet([2, 1, 1], skips=[(0, 2)])
    params = net.init_params(np.random.default_rng(0), seeds=200)
    params, history = bp.train(net, params, X, Y, eta=0.5, alpha=0.9, sweeps=5000, until=bp.all_within(0.5))
    assert (history.solved_at >= 0).mean() > 0.9
    out, _ = bp.forward(net, params, X)
    solved = history.solved_at >= 0
    assert np.all((out[solved] > 0.5) == (Y > 0.5))  # frozen when solved: still solved


def test_training_is_deterministic():
    net = bp.DenseNet([2, 2, 1])
    runs = [
        bp.train(net, net.init_params(np.random.default_rng(3), seeds=4), X, Y, eta=0.5, alpha=0.9,
                 sweeps=200, mode="pattern", rng=np.random.default_rng(9))[1].error
        for _ in range(2)
    ]
    np.testing.assert_array_equal(runs[0], runs[1])


def test_divergence_is_reported():
    net = bp.DenseNet([2, 3, 1], activations=["relu", "identity"])
    params = net.init_params(np.random.default_rng(0), scale=3.0)
    with pytest.raises(FloatingPointError, match="diverged at sweep .* smaller eta"):
        with np.errstate(over="ignore", invalid="ignore"):
            bp.train(net, params, X * 100, Y, eta=10.0, sweeps=200)


def test_bad_mode():
    net = bp.DenseNet([2, 2, 1])
    with pytest.raises(ValueError, match="mode must be"):
        bp.train(net, net.init_params(np.random.default_rng(0)), X, Y, eta=0.5, mode="batch")


def test_solved_seeds_record_the_first_sweep_and_freeze():
    solved = SolvedSeeds(3)
    assert not solved.record(0, np.array([False, True, False]))
    assert not solved.record(1, np.array([False, False, False]))  # a solved seed stays solved
    np.testing.assert_array_equal(solved.solved_at, [-1, 0, -1])
    np.testing.assert_array_equal(solved.training(np.zeros(1, np.float32)), [1, 0, 1])
    assert solved.training(np.zeros(1, np.float32)).dtype == np.float32
    assert solved.record(5, np.array([True, True, True]))  # every seed solved: stop
    np.testing.assert_array_equal(solved.solved_at, [5, 0, 5])
    assert repr(solved) == "SolvedSeeds(3/3 solved)"


def test_the_squared_error_stopping_rule_is_per_seed():
    a = np.array([[[0.1, 0.9]], [[0.5, 0.5]]])  # two seeds, one output, two patterns
    np.testing.assert_array_equal(squared_error_below(0.04)(a, np.array([[0.0, 1.0]])), [True, False])
