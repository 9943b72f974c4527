"""The adjoint method of optimal control (Kelley 1960, Bryson 1961, Dreyfus 1962) on Zermelo's boat.

The three gradients of ``backprop.papers.kelley1960.adjoint`` are checked against each other
and against float64 central differences; the closed-form optimum against a direct quadrature
of the linear-tangent law; bad input is refused by name.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from backprop.gradcheck import directional_errors
from backprop.papers.kelley1960 import adjoint, zermelo


@pytest.fixture
def p():
    return zermelo.Zermelo(V=1.3, s=0.7, T=1.6)   # not all ones: a mistaken V, s or T would show


def _headings(m, N, seed=0):
    return np.random.default_rng(seed).uniform(-np.pi / 2, np.pi / 2, (m, N))


def test_the_discrete_adjoint_is_reverse_mode_to_rounding(p):
    theta = _headings(3, 40)
    grad_b, lam_b = adjoint.discrete_adjoint(p, theta)
    grad_c = adjoint.backprop_gradient(p, theta)
    lam_c = adjoint.backprop_states(p, theta)
    assert grad_b.shape == theta.shape and lam_b.shape == (3, 41, 2)
    np.testing.assert_allclose(grad_c, grad_b, rtol=0, atol=1e-14)
    np.testing.assert_allclose(lam_c, lam_b, rtol=0, atol=1e-14)


def test_each_gradient_matches_central_differences_of_its_own_cost(p):
    theta = _headings(2, 30, seed=1)
    rng = np.random.default_rng(2)
    grad_b, _ = adjoint.discrete_adjoint(p, theta)
    assert directional_errors(lambda q: adjoint.euler_cost(p, q["theta"]), {"theta": theta}, {"theta": grad_b}, rng).max() < 1e-7
    grad_a, _ = adjoint.costate_gradient(p, theta)
    exact = directional_errors(lambda q: -zermelo.exact_range(p, q["theta"]), {"theta": theta}, {"theta": grad_a}, rng)
    assert exact.max() < 1e-7


def test_the_costate_gradient_and_backprop_differ_by_a_first_order_error(p):
    gaps = []
    for N in (20, 40, 80):
        theta = np.tile(np.linspace(-1, 1, N), (2, 1))
        ga, _ = adjoint.costate_gradient(p, theta)
        gb, _ = adjoint.discrete_adjoint(p, theta)
        gaps.append(np.linalg.norm(ga - gb) / np.linalg.norm(ga))
    ratios = np.array(gaps[:-1]) / np.array(gaps[1:])
    assert gaps[-1] < 0.02 and np.all((1.7 < ratios) & (ratios < 2.3)), gaps


def test_the_closed_form_optimum_is_the_linear_tangent_law_flown(p):
    N = 4000
    law = p.best_heading(p.midpoints(N))[None, :]
    assert zermelo.exact_range(p, law)[0] == pytest.approx(p.best_range(), rel=1e-7)
    # the law is a stationary point: held at each step's midpoint, its gradient density
    # (the step's gradient over h) vanishes to second order in h
    ga, _ = adjoint.costate_gradient(p, p.best_heading(p.midpoints(100))[None, :])
    assert np.abs(ga).max() / (p.T / 100) < 1e-3
    one = zermelo.Zermelo()
    assert one.best_range() == pytest.approx((math.sqrt(2) + math.asinh(1)) / 2, rel=1e-15)


def test_descent_finds_the_optimum_from_random_headings(p):
    start = np.random.default_rng(3).uniform(-np.pi, np.pi, (4, 60))
    found, costs = adjoint.descend(p, start, eta=0.5, steps=80)
    assert costs.shape == (81, 4) and np.all(costs[-1] <= costs[0])
    assert np.all(np.abs(zermelo.exact_range(p, found) / p.best_range() - 1) < 1e-3)


def test_bad_input_is_refused_by_name():
    with pytest.raises(ValueError, match="Zermelo.s"):
        zermelo.Zermelo(s=-1.0)
    with pytest.raises(ValueError, match=r"theta must be \(m, N\)"):
        zermelo.euler_range(zermelo.Zermelo(), np.zeros(5))
    with pytest.raises(ValueError, match="NaN"):
        zermelo.euler_trajectory(zermelo.Zermelo(), np.full((1, 3), np.nan))
    with pytest.raises(ValueError, match="substeps"):
        adjoint.costate_gradient(zermelo.Zermelo(), np.zeros((1, 3)), substeps=3)
    with pytest.raises(ValueError, match="eta"):
        adjoint.descend(zermelo.Zermelo(), np.zeros((1, 3)), eta=0.0, steps=1)
