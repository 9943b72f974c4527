"""A rectangular mesh of Mach-Zehnder interferometers (MZIs) acting on ``N`` waveguides.

Fields are complex amplitudes, batched as rows: ``(m, N)`` for ``m`` inputs. The mesh has
``N`` columns; column ``c`` holds an MZI on each pair ``(t, t + 1)`` with ``t`` in
``c % 2, c % 2 + 2, ...`` (Clements' layout: ``N (N - 1) / 2`` MZIs, enough for any unitary).
An MZI on a pair is four steps, each applied to a whole column at once:

    phase phi on the top arm  ->  50:50 coupler  ->  phase theta on the top arm  ->  50:50 coupler

with the coupler ``B = [[1, i], [i, 1]] / sqrt(2)`` and a phase shifter multiplying its
arm by ``exp(i phi)``. So the mesh is a list of ``2 N`` *phase layers* with couplers between
them, and its ``P = N (N - 1)`` phases are one flat vector, layer after layer.

The mesh is **reciprocal**: light sent backwards from the outputs sees the transpose
``U^T`` (every coupler and phase screen is a symmetric matrix, applied in reverse order).
That is what lets a chip compute the backward pass in light.

Non-goals: loss, imbalanced couplers, thermal crosstalk (only the noise in
:mod:`backprop.papers.pai2023.insitu`), meshes other than the rectangular one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Mesh:
    """A rectangular MZI mesh on ``N`` waveguides (``N >= 2``)."""

    N: int

    def __post_init__(self):
        if not isinstance(self.N, (int, np.integer)) or self.N < 2:
            raise ValueError(f"a mesh needs N >= 2 waveguides, got {self.N!r}")

    @property
    def tops(self) -> list[np.ndarray]:
        """The top waveguide of each MZI, per phase layer (``2 N`` layers, two per column)."""
        columns = [np.arange(c % 2, self.N - 1, 2) for c in range(self.N)]
        return [t for t in columns for _ in (0, 1)]

    @property
    def n_phases(self) -> int:
        """``P = N (N - 1)``: two phase shifters per MZI."""
        return sum(len(t) for t in self.tops)

    def split(self, phases) -> list:
        """The flat phases ``(..., P)`` cut into one block per phase layer."""
        phases = np.asarray(phases, float)
        if phases.shape[-1] != self.n_phases or not np.all(np.isfinite(phases)):
            raise ValueError(f"phases must be finite with last axis {self.n_phases} (N = {self.N}), got shape {phases.shape}")
        edges = np.cumsum([0] + [len(t) for t in self.tops])
        return [phases[..., i:j] for i, j in zip(edges[:-1], edges[1:])]

    def __repr__(self) -> str:
        return f"Mesh(N={self.N}, MZIs={self.N * (self.N - 1) // 2}, phases={self.n_phases})"


def _couple(E: np.ndarray, tops: np.ndarray) -> np.ndarray:
    """50:50 couplers on the pairs ``(t, t + 1)``: ``(u, v) -> ((u + i v), (i u + v)) / sqrt 2``."""
    E = E.copy()
    u, v = E[:, tops], E[:, tops + 1]
    E[:, tops], E[:, tops + 1] = (u + 1j * v) / np.sqrt(2), (1j * u + v) / np.sqrt(2)
    return E


def _shift(E: np.ndarray, tops: np.ndarray, phi) -> np.ndarray:
    E = E.copy()
    E[:, tops] = E[:, tops] * np.exp(1j * phi)
    return E


def _check_fields(mesh: Mesh, E) -> np.ndarray:
    E = np.asarray(E)
    if E.ndim != 2 or E.shape[1] != mesh.N or not np.all(np.isfinite(E)):
        raise ValueError(f"fields must be finite, shaped (m, {mesh.N}); got {E.shape}")
    return E.astype(complex)


def forward(mesh: Mesh, phases, a) -> tuple[np.ndarray, list[np.ndarray]]:
    """Light through the mesh: ``(z (m, N), monitors)``, with ``z = U a`` row by row and
    ``monitors[s]`` (m, len(tops[s])) the field on each arm just *after* phase layer ``s``,
    where the chip's power monitor for that shifter sits. ``phases``: ``(P,)``, or ``(m, P)``
    when each input sees its own phases (noise)."""
    E = _check_fields(mesh, a)
    monitors = []
    for s, (tops, phi) in enumerate(zip(mesh.tops, mesh.split(phases))):
        E = _shift(E, tops, phi)
        monitors.append(E[:, tops])
        E = _couple(E, tops)
    return E, monitors


def backward(mesh: Mesh, phases, delta) -> tuple[np.ndarray, list[np.ndarray]]:
    """Light sent backwards into the outputs: ``(b_in (m, N), monitors)`` with ``b_in = U^T delta``
    row by row and ``monitors[s]`` the backward field on each arm just after phase layer ``s``
    (between the shifter and the next coupler), where the forward monitors sit."""
    E = _check_fields(mesh, delta)
    monitors = [None] * len(mesh.tops)
    for s in range(len(mesh.tops) - 1, -1, -1):
        tops, phi = mesh.tops[s], mesh.split(phases)[s]
        E = _couple(E, tops)                  # B^T = B
        monitors[s] = E[:, tops]
        E = _shift(E, tops, phi)              # a phase screen is diagonal: its own transpose
    return E, monitors


def unitary(mesh: Mesh, phases) -> np.ndarray:
    """The mesh's matrix ``U`` (N, N), column ``j`` the output for light into waveguide ``j``."""
    z, _ = forward(mesh, phases, np.eye(mesh.N))
    return z.T
