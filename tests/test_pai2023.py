"""Pai et al. (2023): the MZI mesh, the in-situ gradient read from power monitors, the photonic network.

The measured gradient (three passes of light per mesh, read on the monitors) is checked
against float64 central differences of the loss, for one mesh and for the three-layer
network; the mesh against unitarity and reciprocity; noise against its expected effect;
bad input is refused by name.
"""

from __future__ import annotations

import numpy as np
import pytest

from backprop.gradcheck import directional_errors
from backprop.papers.pai2023 import insitu, mesh, network


@pytest.fixture
def rng():
    return np.random.default_rng(19)


@pytest.mark.parametrize("N", [2, 4, 5, 6])
def test_the_mesh_is_unitary_and_reciprocal(N, rng):
    m = mesh.Mesh(N)
    assert m.n_phases == N * (N - 1)
    phases = rng.uniform(0, 2 * np.pi, m.n_phases)
    U = mesh.unitary(m, phases)
    np.testing.assert_allclose(U.conj().T @ U, np.eye(N), atol=1e-13)
    delta = rng.standard_normal((3, N)) + 1j * rng.standard_normal((3, N))
    b_in, _ = mesh.backward(m, phases, delta)
    np.testing.assert_allclose(b_in, delta @ U, atol=1e-13)           # rows: b_in = U^T delta


def test_the_gradient_read_from_the_monitors_is_the_derivative_for_one_mesh(rng):
    m = mesh.Mesh(4)
    phases = {"phi": rng.uniform(0, 2 * np.pi, m.n_phases)}
    a = rng.standard_normal((7, 4)) + 1j * rng.standard_normal((7, 4))
    target = rng.standard_normal((7, 4)) + 1j * rng.standard_normal((7, 4))

    def loss(p):                                                          # L = 1/2 sum |z - t|^2, so delta = conj(z - t)
        return 0.5 * np.sum(np.abs(mesh.forward(m, p["phi"], a)[0] - target) ** 2)

    z, _ = mesh.forward(m, phases["phi"], a)
    measured, _ = insitu.measure_gradient(m, phases["phi"], a, np.conj(z - target))
    fields, _ = insitu.field_gradient(m, phases["phi"], a, np.conj(z - target))
    np.testing.assert_allclose(measured, fields, atol=1e-13)
    assert directional_errors(loss, phases, {"phi": measured}, rng, n_directions=5).max() < 1e-7


def test_the_networks_measured_gradient_is_the_derivative_of_its_loss(rng):
    net = network.PhotonicNet()
    x, y = network.circle(40, rng)
    params = net.init_params(rng)

    def loss(p):
        logits, cache = network.forward(net, p, x)
        return network.loss_and_delta(net, logits, cache["z"][-1], y)[0]

    value, measured = network.gradients(net, params, x, y)
    assert value == pytest.approx(loss(params))
    assert set(measured) == {"phi1", "phi2", "phi3"} and measured["phi1"].shape == (12,)
    assert directional_errors(loss, params, measured, rng, n_directions=5).max() < 1e-7


def test_noise_spoils_the_measurement_gradually_and_the_chip_ignores_miscalibration(rng):
    net = network.PhotonicNet()
    x, y = network.circle(200, rng)
    params = net.init_params(rng)
    _, exact = network.gradients(net, params, x, y, measured=False)
    flat = lambda g: np.concatenate([g[k] for k in sorted(g)])
    cos = lambda g: float(flat(g) @ flat(exact) / np.linalg.norm(flat(g)) / np.linalg.norm(flat(exact)))
    small = cos(network.gradients(net, params, x, y, rng, detector_noise=1e-3)[1])
    large = cos(network.gradients(net, params, x, y, rng, detector_noise=0.3)[1])
    assert small > 0.999 and large < small
    jitter = cos(network.gradients(net, params, x, y, rng, phase_noise=1e-3)[1])
    assert 0.999 < jitter < 1
    chip = {k: v + 0.1 * rng.standard_normal(v.shape) for k, v in params.items()}
    _, truth = network.gradients(net, chip, x, y, measured=False)
    _, on_chip = network.gradients(net, chip, x, y)
    np.testing.assert_allclose(flat(on_chip), flat(truth), atol=1e-12)


def test_training_with_measured_gradients_learns_the_circle(rng):
    net = network.PhotonicNet()
    x, y = network.circle(150, rng)
    x_test, y_test = network.circle(500, rng)
    params, losses = network.train(net, net.init_params(rng), x, y, steps=120, eta=0.05, rng=rng, detector_noise=0.01)
    assert losses[-1] < 0.7 * losses[0]
    assert network.accuracy(net, params, x_test, y_test) > 0.85


def test_bad_input_is_refused_by_name(rng):
    with pytest.raises(ValueError, match="N >= 2"):
        mesh.Mesh(1)
    m = mesh.Mesh(4)
    with pytest.raises(ValueError, match="last axis 12"):
        mesh.forward(m, np.zeros(5), np.ones((1, 4)))
    with pytest.raises(ValueError, match=r"shaped \(m, 4\)"):
        mesh.forward(m, np.zeros(12), np.ones((1, 3)))
    with pytest.raises(ValueError, match="finite"):
        mesh.forward(m, np.full(12, np.nan), np.ones((1, 4)))
    with pytest.raises(ValueError, match="random generator"):
        insitu.measure_gradient(m, np.zeros(12), np.ones((1, 4)), np.ones((1, 4)), detector_noise=0.1)
    with pytest.raises(ValueError, match=">= 0"):
        insitu.measure_gradient(m, np.zeros(12), np.ones((1, 4)), np.ones((1, 4)), rng, phase_noise=-1)
    with pytest.raises(ValueError, match=r"points must be finite, shaped \(m, 2\)"):
        network.encode(np.zeros((3, 3)))
