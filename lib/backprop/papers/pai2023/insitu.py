"""The gradient of every phase shifter, computed from fields and measured with power monitors.

Let a real loss ``L`` depend on the mesh's output ``z = U a`` through ``delta``, defined by
``dL = Re(sum_k delta_k dz_k)`` (so ``delta = 2 dL/dz``, Wirtinger). Cut the mesh at one
phase shifter: ``U = U_after P(phi) U_before``, where ``P`` multiplies arm ``j`` by
``exp(i phi)``. Then ``dz/dphi = U_after (i E_jj) f`` with ``f`` the forward field just after
the shifter, and

    dL/dphi = Re(delta^T U_after i E_jj f) = Re(i b_j f_j) = -Im(f_j b_j),    b = U_after^T delta

where ``b`` is the **adjoint field**: the light found at that point when ``delta`` is sent
backwards into the outputs (the mesh is reciprocal, so backwards it acts by the transpose).
This is backpropagation: ``b`` is the mesh's ``delta`` at the shifter, ``f`` its activation.

**How the chip measures it** (Hughes et al. 2018; Pai et al. 2023 realised it). The product
``f_j b_j`` is not a power, but an interference of two powers is. Send ``delta`` backwards
and read what comes out of the inputs, ``b_in = U^T delta``; then send its *time reversal*
``g = i c conj(b_in)`` forwards from the inputs (``c > 0`` a launch gain, ``i`` a quarter-wave
phase offset). Because ``U`` is unitary, the forward field of ``g`` at every point of the mesh
is ``i c conj(b)``: the adjoint field, time-reversed, everywhere at once. Three power readings
at the monitor after each shifter,

    P_f = |f|^2        P_g = c^2 |b|^2        P_fg = |f + i c conj(b)|^2 = P_f + P_g + 2 c Im(f b)

give ``dL/dphi = -(P_fg - P_f - P_g) / (2 c)`` for every shifter of the mesh from three
passes of light, whatever the mesh's size. The gain ``c = |a| / |b_in|`` launches the adjoint
at the input's power, so that detector noise is measured against a signal of the same size.

Noise: ``detector_noise`` adds Gaussian noise of that standard deviation, relative to each
input's power ``|a|^2``, to every power reading (and, relative to ``|b_in|``, to the coherent
read-out of ``b_in``); ``phase_noise`` (radians) jitters every phase independently in each
pass of light, as drift between the measurements would.

Non-goals: the shot-noise statistics of real detectors; the calibration of phase against
voltage (the chip's gradients are in volts; ours are in radians).
"""

from __future__ import annotations

import numpy as np

from backprop.papers.pai2023.mesh import Mesh, backward, forward


def field_gradient(mesh: Mesh, phases, a, delta) -> tuple[np.ndarray, np.ndarray]:
    """``(dL/dphi (P,), b_in (m, N))`` from the fields: ``-Im(f b)`` at every shifter, summed over the rows."""
    _, f = forward(mesh, phases, a)
    b_in, b = backward(mesh, phases, delta)
    grad = np.concatenate([-np.imag(np.sum(fs * bs, axis=0)) for fs, bs in zip(f, b)])
    return grad, b_in


def _powers(mesh, phases, light, detector_noise, power_scale, rng):
    _, monitors = forward(mesh, phases, light)
    P = np.concatenate([np.abs(E) ** 2 for E in monitors], axis=1)         # (m, P): one monitor per shifter
    if detector_noise:
        P = P + detector_noise * power_scale[:, None] * rng.standard_normal(P.shape)
    return P


def measure_gradient(mesh: Mesh, phases, a, delta, rng: np.random.Generator | None = None,
                     detector_noise: float = 0.0, phase_noise: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """``(dL/dphi (P,), b_in (m, N))`` measured as the chip does it (module docstring): one
    backward pass to read ``b_in``, three forward passes read on the power monitors.

    ``a``: the inputs ``(m, N)``; ``delta``: the loss's ``2 dL/dz`` at the outputs ``(m, N)``.
    With noise, ``rng`` draws it; the returned ``b_in`` is the (noisy) read-out.
    """
    if detector_noise < 0 or phase_noise < 0:
        raise ValueError(f"noise levels must be >= 0, got detector {detector_noise}, phase {phase_noise}")
    if (detector_noise or phase_noise) and rng is None:
        raise ValueError("noisy measurements need a random generator rng")
    a = np.asarray(a, complex)
    phases = np.asarray(phases, float)
    m = a.shape[0]

    def jittered():
        return phases + phase_noise * rng.standard_normal((m, phases.shape[-1])) if phase_noise else phases

    b_in, _ = backward(mesh, jittered(), delta)                             # pass 0: the adjoint, backwards
    if detector_noise:
        scale = np.linalg.norm(b_in, axis=1, keepdims=True) / np.sqrt(2 * mesh.N)
        b_in = b_in + detector_noise * scale * (rng.standard_normal(b_in.shape) + 1j * rng.standard_normal(b_in.shape))
    power_in = np.sum(np.abs(a) ** 2, axis=1)                                # (m,)
    size = np.linalg.norm(b_in, axis=1)
    c = np.sqrt(power_in) / np.where(size > 0, size, 1.0)                   # (m,): launch the adjoint at |a|
    g = 1j * c[:, None] * np.conj(b_in)                                     # the time-reversed adjoint, +90 degrees
    P_f = _powers(mesh, jittered(), a, detector_noise, power_in, rng)       # pass 1: the input alone
    P_g = _powers(mesh, jittered(), g, detector_noise, power_in, rng)       # pass 2: the adjoint alone
    P_fg = _powers(mesh, jittered(), a + g, detector_noise, power_in, rng)  # pass 3: both, interfering
    grad = -np.sum((P_fg - P_f - P_g) / (2 * c[:, None]), axis=0)
    return grad, b_in
