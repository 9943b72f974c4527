"""A photonic neural network: MZI meshes in light, the nonlinearity and the loss in electronics.

Our reading of the experiment's set-up (the paper's abstract: a three-layer, four-port network
with programmable phase shifters and optical power monitoring; its tasks 2-D classification).
What is ours, not checked against the paper: the encoding, the nonlinearity, the read-out.

- **Encoding**: a point ``x = (x1, x2)`` of the plane enters as the real amplitudes
  ``a[0] = (x1, x2, 1, 1) / 2`` on the four waveguides (two constant "bias" modes).
- **Layer l**: ``z[l] = U(phi[l]) a[l-1]`` in light (:mod:`.mesh`), then the electronics
  detect the outputs and re-emit their moduli, ``a[l] = |z[l]|``: a nonlinearity that keeps the
  power (``U`` is unitary and ``||a[l]|| = ||z[l]||``) and drops the phases.
- **Read-out**: the powers of the last mesh's first two outputs, times a fixed gain,
  are the logits of the two classes: ``logits = beta |z[L][:, :2]|^2``; the loss is the mean
  softmax cross-entropy.

The backward pass: the electronics turn the loss into the output adjoint
``delta[L] = 2 dL/dz[L]`` (``dL/dp * 2 conj(z)`` on the two read-out ports); each mesh's
phase gradients are measured in light (:func:`.insitu.measure_gradient`), which also returns
the adjoint at the mesh's inputs, ``b_in = U^T delta``; the electronics then pass it through
the nonlinearity, ``delta[l-1] = Re(b_in) conj(z[l-1]) / |z[l-1]|`` (since ``a`` is real and
``d|z| = Re(conj(z) dz / |z|)``), and the next mesh back is measured the same way.

Non-goals: the paper's exact encoding and data (not seen); MNIST-sized meshes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from backprop.optim import momentum_step
from backprop.papers.pai2023.insitu import field_gradient, measure_gradient
from backprop.papers.pai2023.mesh import Mesh, forward as mesh_forward


def circle(m: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``m`` points uniform in the square ``[-1, 1]^2``, class 1 inside the circle of area 2
    (half the square): ``x`` (m, 2), ``y`` (m,) in {0, 1}."""
    x = rng.uniform(-1, 1, (m, 2))
    return x, (np.sum(x**2, axis=1) < 2 / np.pi).astype(int)


def xor(m: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``m`` points uniform in ``[-1, 1]^2``, class 1 in the first and third quadrants."""
    x = rng.uniform(-1, 1, (m, 2))
    return x, (x[:, 0] * x[:, 1] > 0).astype(int)


TASKS = {"circle": circle, "xor": xor}


def encode(x) -> np.ndarray:
    """The points ``(m, 2)`` as input fields ``(m, 4)``: ``(x1, x2, 1, 1) / 2``."""
    x = np.asarray(x, float)
    if x.ndim != 2 or x.shape[1] != 2 or not np.all(np.isfinite(x)):
        raise ValueError(f"points must be finite, shaped (m, 2); got {x.shape}")
    return np.concatenate([x, np.ones_like(x)], axis=1).astype(complex) / 2


@dataclass(frozen=True)
class PhotonicNet:
    """``layers`` meshes of ``N = 4`` waveguides and the read-out gain ``beta``."""

    layers: int = 3
    beta: float = 20.0
    N: int = 4

    @property
    def mesh(self) -> Mesh:
        return Mesh(self.N)

    def init_params(self, rng: np.random.Generator) -> dict:
        """Every phase uniform in ``[0, 2 pi)``: ``{"phi1": (P,), ...}``."""
        return {f"phi{l}": rng.uniform(0, 2 * np.pi, self.mesh.n_phases) for l in range(1, self.layers + 1)}

    def __repr__(self) -> str:
        return f"PhotonicNet(layers={self.layers}, {self.mesh!r} each, beta={self.beta})"


def forward(net: PhotonicNet, params: dict, x) -> tuple[np.ndarray, dict]:
    """``(logits (m, 2), cache)``; ``cache["a"][l]`` the input to mesh ``l + 1``, ``cache["z"][l]`` its output."""
    a, zs, As = encode(x), [], []
    for l in range(1, net.layers + 1):
        As.append(a)
        z, _ = mesh_forward(net.mesh, params[f"phi{l}"], a)          # (m, 4): in light
        zs.append(z)
        a = np.abs(z).astype(complex)                                 # detect, re-emit the modulus
    return net.beta * np.abs(zs[-1][:, :2]) ** 2, {"a": As, "z": zs}


def loss_and_delta(net: PhotonicNet, logits, z_out, y) -> tuple[float, np.ndarray]:
    """Mean cross-entropy and the output adjoint ``delta[L] = 2 dL/dz`` (m, 4)."""
    y = np.asarray(y)
    shifted = logits - logits.max(axis=1, keepdims=True)
    s = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    m = len(y)
    loss = float(-np.mean(np.log(s[np.arange(m), y] + 1e-300)))
    dL_dp = net.beta * (s - np.eye(2)[y]) / m                         # (m, 2)
    delta = np.zeros_like(z_out)
    delta[:, :2] = 2 * dL_dp * np.conj(z_out[:, :2])
    return loss, delta


def gradients(net: PhotonicNet, params: dict, x, y, rng=None, detector_noise=0.0, phase_noise=0.0,
              measured: bool = True) -> tuple[float, dict]:
    """``(loss, grads)`` with each mesh's gradient measured in light (``measured=True``, the
    chip's protocol, with its noise) or computed from the fields (``False``: exact backpropagation)."""
    logits, cache = forward(net, params, x)
    loss, delta = loss_and_delta(net, logits, cache["z"][-1], y)
    grads = {}
    for l in range(net.layers, 0, -1):
        phases, a = params[f"phi{l}"], cache["a"][l - 1]
        if measured:
            grads[f"phi{l}"], b_in = measure_gradient(net.mesh, phases, a, delta, rng, detector_noise, phase_noise)
        else:
            grads[f"phi{l}"], b_in = field_gradient(net.mesh, phases, a, delta)
        if l > 1:
            z = cache["z"][l - 2]
            delta = np.real(b_in) * np.conj(z) / np.maximum(np.abs(z), 1e-12)   # through a = |z|, electronically
    return loss, grads


def accuracy(net: PhotonicNet, params: dict, x, y) -> float:
    """The fraction of points whose larger logit is their class."""
    logits, _ = forward(net, params, x)
    return float(np.mean(np.argmax(logits, axis=1) == np.asarray(y)))


def train(net: PhotonicNet, params: dict, x, y, steps: int, eta: float, alpha: float = 0.9, rng=None,
          detector_noise=0.0, phase_noise=0.0, measured: bool = True) -> tuple[dict, np.ndarray]:
    """Full-batch gradient descent with momentum on the phases; returns the phases and the loss per step."""
    velocity, losses = None, []
    for _ in range(steps):
        loss, grads = gradients(net, params, x, y, rng, detector_noise, phase_noise, measured)
        params, velocity = momentum_step(params, grads, velocity, eta=eta, alpha=alpha)
        losses.append(loss)
    return params, np.array(losses)
