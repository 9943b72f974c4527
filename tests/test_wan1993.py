"""Wan (1993): FIR networks and temporal backpropagation, the laser data and the protocol."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from backprop import fir
from backprop.gradcheck import directional_errors
from backprop.papers.wan1993 import laser, predict


@pytest.mark.parametrize("sizes, taps, batch", [((1, 12, 12, 1), (25, 5, 5), None), ((2, 3, 2), (4, 1), 3), ((1, 4, 1), (1, 3), 2)])
def test_temporal_backpropagation_matches_central_differences(sizes, taps, batch):
    rng = np.random.default_rng(0)
    net = fir.FIRNet(sizes, taps)
    params = net.init_params(rng)
    lead = () if batch is None else (batch,)
    x = rng.standard_normal((*lead, sizes[0], net.memory + 20))
    y = rng.standard_normal((*lead, sizes[-1], 20))
    _, grads = fir.loss_and_grads(net, params, x, y)
    errors = directional_errors(lambda p: fir.loss(net, p, x, y), params, grads, rng, n_directions=4)
    assert errors.max() < 1e-7


def test_an_fir_layer_is_a_filter_over_past_inputs():
    net = fir.FIRNet([1, 1], [3], activations=["identity"])
    params = {"W1": np.array([[[1.0, 10.0, 100.0]]]), "b1": np.zeros((1, 1))}
    x = np.array([[1.0, 2.0, 3.0, 4.0]])
    out, _ = fir.forward(net, params, x)
    # z(t) = 1 x(t) + 10 x(t-1) + 100 x(t-2), for t = 2, 3
    assert np.allclose(out, [[3 + 20 + 100, 4 + 30 + 200]])


def test_a_one_tap_network_is_a_dense_network():
    import backprop as bp

    rng = np.random.default_rng(1)
    net = fir.FIRNet([3, 4, 2], [1, 1], activations=["tanh", "identity"])
    dense = bp.DenseNet([3, 4, 2], activations=["tanh", "identity"])
    params = net.init_params(rng)
    x = rng.standard_normal((3, 7))
    flat = {k: (v[..., 0] if k.startswith("W") else v) for k, v in params.items()}
    assert np.allclose(fir.forward(net, params, x)[0], bp.forward(dense, flat, x)[0])


def test_bad_inputs_name_the_problem():
    net = fir.FIRNet([1, 2, 1], [3, 2])
    params = net.init_params(np.random.default_rng(0))
    with pytest.raises(ValueError, match="memory"):
        fir.forward(net, params, np.zeros((1, 3)))
    with pytest.raises(ValueError, match="NaN"):
        fir.forward(net, params, np.full((1, 9), np.nan))
    with pytest.raises(ValueError, match="shape"):
        fir.forward(net, {**params, "W1": np.zeros((2, 1, 4))}, np.zeros((1, 9)))
    with pytest.raises(ValueError, match="y has shape"):
        fir.loss(net, params, np.zeros((1, 9)), np.zeros((1, 9)))
    with pytest.raises(ValueError, match="tap counts"):
        fir.FIRNet([1, 2, 1], [3])
    with pytest.raises(ValueError, match="one shape"):
        laser.nmse(np.zeros(3), np.zeros(4))


def test_wans_network_has_1105_weights_and_a_memory_of_32_steps():
    net = predict.network()
    assert net.sizes == [1, 12, 12, 1] and net.taps == [25, 5, 5]
    assert net.n_params() == 1105 and net.memory == 32


@pytest.mark.skipif(importlib.util.find_spec("reservoirpy") is None, reason="reservoirpy is not installed")
def test_the_laser_series_is_read_without_importing_reservoirpy():
    import subprocess
    import sys

    code = "import sys; from backprop.papers.wan1993 import laser; x = laser.series(); print(x.size, 'reservoirpy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["10093", "False"]
    given, future = laser.competition()
    assert given.shape == (1000,) and future.shape == (100,)
    assert 0 <= given.min() and given.max() <= 255


def test_a_missing_reservoirpy_says_how_to_install_it(monkeypatch):
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ModuleNotFoundError, match="pip install reservoirpy"):
        laser.path()


def test_nmse_is_one_for_the_mean_and_zero_for_the_truth():
    y = np.sin(np.arange(100.0))
    assert laser.nmse(y, y) == 0
    assert laser.nmse(np.full(100, y.mean()), y) == pytest.approx(1.0)


def test_training_lowers_the_one_step_error_and_the_forecast_feeds_itself():
    u = np.sin(np.arange(300) * 0.3) + 0.1 * np.sin(np.arange(300) * 1.1)
    net, params, history = predict.train(np.random.default_rng(0), u, steps=150, every=50)
    assert history.mse[-1] < history.mse[0]
    forecast = predict.iterate(net, params, u, 10)
    assert forecast.shape == (10,) and np.isfinite(forecast).all()
    # the first iterated step is a one-step prediction: it sees only true points
    assert forecast[0] == pytest.approx(predict.one_step(net, params, u, u[:10] * 0 + forecast[0])[0])
