"""The gradient of ``J = -x(T)`` with respect to every heading of a control history, three ways.

(a) **The costate equation** of the continuous problem (Kelley 1960, Bryson 1961): integrate
    ``dlam/dt = -f_r(r, theta)^T lam`` backwards from ``lam(T) = dPhi/dr(T)``; the
    gradient density is ``dH/dtheta = lam . f_theta``, and the gradient with respect to the
    heading held over step ``k`` is its integral over that step,
    ``dJ/dtheta[k] = int_{t_k}^{t_k+1} lam(t) . f_theta(r(t), theta[k]) dt``.

(b) **The discrete adjoint** of the forward-Euler simulation ``r[k+1] = r[k] + h f(r[k], theta[k])``
    (Dreyfus 1962: the chain rule alone), from ``lam[N] = dPhi/dr[N]``:

        dJ/dtheta[k] = h lam[k+1] . f_theta(r[k], theta[k])
        lam[k]       = lam[k+1] + h lam[k+1] @ f_r(r[k], theta[k])

    which is backpropagation through the time steps: ``lam[k]`` is ``dJ/dr[k]``, the
    ``delta`` of layer ``k`` of a network whose layers are the steps.

(c) **Reverse mode** of :mod:`backprop.autodiff.reverse` on the simulation itself, which
    must agree with (b) to rounding, and central differences (in the tests and the notebook).

(a) and (b) differ by the discretisation: Euler's error, of order ``h``.

Non-goals: second-order methods (Bryson & Ho's neighbouring extremals), constraints.
"""

from __future__ import annotations

import numpy as np

from backprop.autodiff import reverse as g
from backprop.papers.kelley1960.zermelo import Zermelo, euler_range, euler_trajectory, exact_trajectory


def costate_gradient(p: Zermelo, theta, substeps: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """(a): ``(dJ/dtheta (m, N), lam (m, N * substeps + 1, 2))`` from the continuous costate equation.

    The state is integrated forwards exactly (:func:`exact_trajectory`), the costate backwards
    by RK4 on the same grid (``f_r`` at a half step taken as the mean of its two ends, exact
    when, as here, it is constant), and each step's integral of ``lam . f_theta`` by Simpson's
    rule over its ``substeps`` (an even number).
    """
    if substeps < 2 or substeps % 2:
        raise ValueError(f"substeps must be even and at least 2 (Simpson's rule), got {substeps}")
    m, N = theta.shape
    dt = p.T / (N * substeps)
    r = exact_trajectory(p, theta, substeps)                         # (m, N S + 1, 2)
    heading = np.repeat(theta, substeps, axis=1)                     # (m, N S): the heading over each substep
    lam = np.zeros_like(r)
    lam[:, -1] = p.Phi_r(r[:, -1])

    def rhs(l, A):                                                   # dlam/dt = -f_r^T lam, lam a row
        return -np.einsum("mi,mij->mj", l, A)

    for j in range(N * substeps - 1, -1, -1):                        # backwards in time: step -dt
        A1, A0 = p.f_r(r[:, j + 1], heading[:, j]), p.f_r(r[:, j], heading[:, j])
        Am = 0.5 * (A0 + A1)
        l = lam[:, j + 1]
        k1 = rhs(l, A1)
        k2 = rhs(l - dt / 2 * k1, Am)
        k3 = rhs(l - dt / 2 * k2, Am)
        k4 = rhs(l - dt * k3, A0)
        lam[:, j] = l - dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    density = np.empty(r.shape[:2])                                  # dH/dtheta at every grid time: (m, N S + 1)
    for j in range(N * substeps + 1):
        k = min(j // substeps, N - 1)                                # the step whose heading holds at time j
        density[:, j] = np.sum(lam[:, j] * p.f_theta(r[:, j], theta[:, k]), axis=-1)
    w = np.ones(substeps + 1)
    w[1:-1:2], w[2:-1:2] = 4, 2                                       # Simpson's weights 1 4 2 4 ... 4 1
    grad = np.empty((m, N))
    for k in range(N):
        # the end of step k belongs to step k + 1 in `density`; recompute it with step k's heading
        seg = density[:, k * substeps:(k + 1) * substeps + 1].copy()
        seg[:, -1] = np.sum(lam[:, (k + 1) * substeps] * p.f_theta(r[:, (k + 1) * substeps], theta[:, k]), axis=-1)
        grad[:, k] = dt / 3 * seg @ w
    return grad, lam


def discrete_adjoint(p: Zermelo, theta) -> tuple[np.ndarray, np.ndarray]:
    """(b): ``(dJ/dtheta (m, N), lam (m, N + 1, 2))`` by the discrete adjoint recursion (module docstring)."""
    m, N = theta.shape
    h = p.T / N
    r = euler_trajectory(p, theta)                                   # (m, N + 1, 2): the forward pass, kept
    lam = np.zeros_like(r)
    lam[:, N] = p.Phi_r(r[:, N])                                     # dJ/dr[N]
    grad = np.empty((m, N))
    for k in range(N - 1, -1, -1):
        grad[:, k] = h * np.sum(lam[:, k + 1] * p.f_theta(r[:, k], theta[:, k]), axis=-1)
        lam[:, k] = lam[:, k + 1] + h * np.einsum("mi,mij->mj", lam[:, k + 1], p.f_r(r[:, k], theta[:, k]))
    return grad, lam


def euler_cost(p: Zermelo, theta, ops=np):
    """The discretised problem's cost ``J = -x[N]`` of each history: ``(m,)`` (traceable with ``ops``)."""
    return -euler_range(p, theta, ops)


def backprop_gradient(p: Zermelo, theta) -> np.ndarray:
    """(c): ``dJ/dtheta`` (m, N) by the library's reverse mode, tracing the Euler simulation."""
    _, grads = g.value_and_grad(lambda q: g.sum(euler_cost(p, q["theta"], g)))({"theta": np.asarray(theta, float)})
    return grads["theta"]


def backprop_states(p: Zermelo, theta) -> np.ndarray:
    """The adjoint that reverse mode leaves on every state of the traced Euler simulation,
    ``dJ/dr[k]`` for ``k = 0 .. N``: ``(m, N + 1, 2)``. These are the numbers backpropagation
    computes as it walks back through the steps; they equal (b)'s ``lam[k]`` to rounding."""
    theta = np.asarray(theta, float)
    m, N = theta.shape
    h = p.T / N
    th = g.constant(theta)
    states = [(g.variable(np.zeros(m), name="x0"), g.variable(np.zeros(m), name="y0"))]
    for k in range(N):
        x, y = states[-1]
        states.append((x + h * (p.V * g.cos(th[:, k]) + p.s * y), y + h * p.V * g.sin(th[:, k])))
    J = g.sum(-states[-1][0])
    adjoint = g.backward(J)
    zero = np.zeros(m)
    return np.stack([np.stack([adjoint.get(x, zero), adjoint.get(y, zero)], axis=-1) for x, y in states], axis=1)


def descend(p: Zermelo, theta, eta: float, steps: int) -> tuple[np.ndarray, np.ndarray]:
    """Steepest descent on the control: ``theta <- theta - (eta / h) dJ/dtheta`` with (b)'s gradient.

    Dividing by the step ``h`` makes the step the continuous gradient density ``dH/dtheta``,
    so ``eta`` does not depend on ``N``. Returns the final headings ``(m, N)`` and the Euler
    cost of each history before each step and after the last, ``(steps + 1, m)``.
    """
    if not (eta > 0 and steps >= 0):
        raise ValueError(f"need eta > 0 and steps >= 0, got eta={eta}, steps={steps}")
    theta = np.array(theta, float)
    h = p.T / theta.shape[1]
    costs = []
    for _ in range(steps):
        costs.append(euler_cost(p, theta))
        grad, _ = discrete_adjoint(p, theta)
        theta = theta - eta / h * grad
    costs.append(euler_cost(p, theta))
    return theta, np.array(costs)
