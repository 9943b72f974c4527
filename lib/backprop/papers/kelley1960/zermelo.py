"""Zermelo's boat in a sheared current: a small optimal-control problem with a closed-form optimum.

A boat of constant speed ``V`` relative to the water steers with heading ``theta(t)``
through a current that flows along ``x`` with speed ``s y``, growing linearly away from
the bank ``y = 0``. Starting at the origin, it has the time ``T`` to get as far downstream
as it can. The state is ``r = (x, y)``; the cost to minimise is ``J = Phi(r(T)) = -x(T)``:

    dx/dt = V cos(theta) + s y          dy/dt = V sin(theta)          r(0) = 0

The Hamiltonian ``H = lam . f`` gives the costate ``lam_x = -1`` and
``dlam_y/dt = -dH/dy = s``, ``lam_y(T) = 0``, so ``lam_y = -s (T - t)``; ``dH/dtheta = 0``
gives the *linear-tangent law* ``tan(theta*) = s (T - t)`` (steer out into the fast water
first, then downstream), and the best range in closed form

    x*(T) = V / (2 s) [ s T sqrt(1 + s^2 T^2) + asinh(s T) ]

(``x(T) = V int_0^T [cos(theta) + s (T - t) sin(theta)] dt`` by parts, whose integrand is
``sqrt(1 + u^2)`` at ``u = tan(theta) = s (T - t)``).

Control histories are batched as rows: ``theta`` is ``(m, N)``, ``m`` histories of ``N``
piecewise-constant headings, one per step of length ``h = T / N``; states are ``(m, 2)``.

Non-goals: other control problems, state constraints, a free final time (Zermelo's
minimum-time problem).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Zermelo:
    """The boat's speed ``V``, the current's shear ``s`` and the horizon ``T`` (all > 0)."""

    V: float = 1.0
    s: float = 1.0
    T: float = 1.0

    def __post_init__(self):
        for name in ("V", "s", "T"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
                raise ValueError(f"Zermelo.{name} must be a positive finite number, got {value!r}")

    def f(self, r, theta):
        """The dynamics ``dr/dt = (V cos theta + s y, V sin theta)``: ``r`` (m, 2), ``theta`` (m,) -> (m, 2)."""
        return np.stack([self.V * np.cos(theta) + self.s * r[:, 1], self.V * np.sin(theta)], axis=-1)

    def f_r(self, r, theta):
        """The state Jacobian ``df/dr``, ``(m, 2, 2)``: ``[[0, s], [0, 0]]`` wherever the boat is."""
        A = np.zeros((len(theta), 2, 2))
        A[:, 0, 1] = self.s
        return A

    def f_theta(self, r, theta):
        """The control Jacobian ``df/dtheta = (-V sin theta, V cos theta)``: ``(m, 2)``."""
        return np.stack([-self.V * np.sin(theta), self.V * np.cos(theta)], axis=-1)

    def Phi_r(self, r):
        """The terminal cost's gradient ``dPhi/dr(T) = (-1, 0)`` for ``Phi = -x(T)``: ``(m, 2)``."""
        return np.broadcast_to(np.array([-1.0, 0.0]), r.shape).copy()

    def best_range(self) -> float:
        """The optimum ``x*(T)`` in closed form (module docstring)."""
        u = self.s * self.T
        return self.V / (2 * self.s) * (u * math.sqrt(1 + u * u) + math.asinh(u))

    def best_heading(self, t):
        """The linear-tangent law ``theta*(t) = arctan(s (T - t))``, for times ``t`` in ``[0, T]``."""
        return np.arctan(self.s * (self.T - np.asarray(t, float)))

    def midpoints(self, N: int) -> np.ndarray:
        """The middle of each of the ``N`` control steps: ``(N,)``."""
        return (np.arange(N) + 0.5) * self.T / N


def _check(theta) -> None:
    if getattr(theta, "ndim", None) != 2:
        raise ValueError(f"theta must be (m, N): m control histories of N steps; got shape {getattr(theta, 'shape', None)}")
    value = getattr(theta, "value", theta)  # a traced Node carries its array in .value
    if not np.all(np.isfinite(value)):
        raise ValueError("theta contains NaN or infinite headings")


def euler_range(p: Zermelo, theta, ops=np):
    """The final ``x(T)`` of forward-Euler steps under the headings ``theta`` (m, N): ``(m,)``.

        x[k+1] = x[k] + h (V cos theta[k] + s y[k])        y[k+1] = y[k] + h V sin theta[k]

    ``ops`` supplies ``cos`` and ``sin``: numpy, or :mod:`backprop.autodiff.reverse` to trace
    the simulation for reverse mode (backpropagation through the time steps).
    """
    _check(theta)
    m, N = theta.shape
    h = p.T / N
    x, y = np.zeros(m), np.zeros(m)                                # r[0] = 0: (m,) each
    for k in range(N):
        th = theta[:, k]
        x, y = x + h * (p.V * ops.cos(th) + p.s * y), y + h * p.V * ops.sin(th)
    return x


def euler_trajectory(p: Zermelo, theta) -> np.ndarray:
    """Every state of the forward-Euler simulation: ``(m, N + 1, 2)``, ``r[:, 0] = 0``."""
    _check(theta)
    m, N = theta.shape
    h = p.T / N
    r = np.zeros((m, N + 1, 2))
    for k in range(N):
        r[:, k + 1] = r[:, k] + h * p.f(r[:, k], theta[:, k])
    return r


def exact_trajectory(p: Zermelo, theta, substeps: int = 4) -> np.ndarray:
    """The continuous dynamics under the piecewise-constant headings, by classical RK4 with
    ``substeps`` steps per control step: ``(m, N * substeps + 1, 2)``. Within a step ``y`` is
    linear in time and ``x`` quadratic, so RK4 is exact here up to rounding."""
    _check(theta)
    m, N = theta.shape
    dt = p.T / (N * substeps)
    r = np.zeros((m, N * substeps + 1, 2))
    for j in range(N * substeps):
        th = theta[:, j // substeps]
        a = r[:, j]
        k1 = p.f(a, th)
        k2 = p.f(a + dt / 2 * k1, th)
        k3 = p.f(a + dt / 2 * k2, th)
        k4 = p.f(a + dt * k3, th)
        r[:, j + 1] = a + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    return r


def exact_range(p: Zermelo, theta, substeps: int = 4) -> np.ndarray:
    """The continuous problem's final ``x(T)`` under piecewise-constant headings: ``(m,)``."""
    return exact_trajectory(p, theta, substeps)[:, -1, 0]
