"""Per-weight step sizes: LeCun's stochastic diagonal Levenberg-Marquardt, plain SGD, and Adam.

LeCun et al. (1989) trained with "a special version of Newton's algorithm that
uses a positive, diagonal approximation of the Hessian matrix" (LeCun 1987;
Becker & LeCun 1988). Each weight ``w_k`` gets its own step size from a
running estimate ``h_k`` of the second derivative of the cost::

    h_k   <- (1 - gamma) h_k + gamma d2C/dw_k^2     a running diagonal Gauss-Newton estimate
    eta_k  = eps / (mu + h_k)                       the per-weight step size
    w_k   <- w_k - eta_k dC/dw_k

``d2C/dw_k^2`` is never the exact Hessian: it is backpropagated like the
gradient, with every factor squared and the ``f''`` terms dropped, which keeps it
positive (:func:`backprop.papers.lecun1989.lenet.curvature`). Weights whose cost is sharply
curved take small steps; flat directions take large ones, up to ``eps / mu``.

The constants (LeCun et al. 1998, "Gradient-based learning applied to document
recognition", appendix C, describe the same method with numbers; the 1989
paper gives none):

``eps``    the global step; divides out the scale of the cost.
``mu``     keeps ``eta_k`` finite where the curvature estimate is ~0 (at the
           start, the lower layers' ``h`` is tiny because the upper weights are);
           1998 used 0.02. The largest step any weight can take is ``eps / mu``.
``gamma``  how fast the estimate follows the network: it averages over about the
           last ``1 / gamma`` examples. 1998 re-estimated ``h`` on 500 examples
           before each pass; we keep it running with ``gamma = 1/500``.

Adam (Kingma & Ba 2015), for the book's modern contrast, is also a per-weight
step size from a running diagonal: of the squared *gradients* rather than of the
curvature, and under a square root.

Each rule is a frozen dataclass of hyperparameters with pure functions
``init(theta) -> state`` and ``step(theta, g, d2, state) -> (theta, state)`` on
flat parameter vectors (numpy or torch); ``curvature`` says whether ``step``
needs ``d2``.

Non-goals: the exact Hessian; learning-rate schedules (pass a new rule per pass).
"""

from __future__ import annotations

from dataclasses import dataclass

from backprop.backend import namespace


def _positive(**values) -> None:
    for name, v in values.items():
        if not v > 0:
            raise ValueError(f"{name} must be positive, got {v!r}")


def step_sizes(h, eps: float, mu: float):
    """``eta_k = eps / (mu + h_k)``: the per-weight step sizes for a curvature estimate ``h``."""
    return eps / (mu + h)


@dataclass(frozen=True)
class DiagLM:
    """Stochastic diagonal Levenberg-Marquardt (see the module docstring)."""

    eps: float = 2.5e-4
    mu: float = 0.02
    gamma: float = 1 / 500
    curvature = True

    def __post_init__(self):
        _positive(eps=self.eps, mu=self.mu, gamma=self.gamma)
        if self.gamma > 1:
            raise ValueError(f"gamma is a fraction, 0 < gamma <= 1; got {self.gamma}")

    def init(self, theta, h0=None) -> dict:
        """State ``{"h": h0}``; without ``h0`` the estimate starts at 0 (steps ``eps / mu``)."""
        xp = namespace(theta)
        return {"h": xp.zeros_like(theta) if h0 is None else h0}

    def step(self, theta, g, d2, state):
        h = state["h"] + self.gamma * (d2 - state["h"])
        return theta - step_sizes(h, self.eps, self.mu) * g, {"h": h}


@dataclass(frozen=True)
class SGD:
    """Plain gradient descent, one step size for every weight: ``w <- w - eta dC/dw``."""

    eta: float = 0.01
    curvature = False

    def __post_init__(self):
        _positive(eta=self.eta)

    def init(self, theta) -> dict:
        return {}

    def step(self, theta, g, d2, state):
        return theta - self.eta * g, state


@dataclass(frozen=True)
class Adam:
    """Adam: ``w <- w - eta m_hat / (sqrt(v_hat) + eps)``, m and v running means of g and g^2.

    ``eps`` is the paper's epsilon (Kingma & Ba call it so; in this book ``delta``
    is dC/dz). It is not :class:`DiagLM`'s ``eps``, a global step: here it only
    keeps the division finite.
    """

    eta: float = 1e-3
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    curvature = False

    def __post_init__(self):
        _positive(eta=self.eta, eps=self.eps)
        if not (0 <= self.beta1 < 1 and 0 <= self.beta2 < 1):
            raise ValueError(f"need 0 <= beta1, beta2 < 1; got {self.beta1}, {self.beta2}")

    def init(self, theta) -> dict:
        xp = namespace(theta)
        return {"m": xp.zeros_like(theta), "v": xp.zeros_like(theta), "t": 0}

    def step(self, theta, g, d2, state):
        xp = namespace(theta)
        t = state["t"] + 1
        m = self.beta1 * state["m"] + (1 - self.beta1) * g
        v = self.beta2 * state["v"] + (1 - self.beta2) * g * g
        m_hat, v_hat = m / (1 - self.beta1**t), v / (1 - self.beta2**t)
        return theta - self.eta * m_hat / (xp.sqrt(v_hat) + self.eps), {"m": m, "v": v, "t": t}
