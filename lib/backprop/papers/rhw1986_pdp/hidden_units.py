"""What a trained hidden unit computes, read from its activations on every pattern (PDP ch. 8).

Two readings the chapter makes of its solutions, as tests on activations
``h`` of shape (S, H, m): S networks, H hidden units, m patterns as columns.

- :func:`gated_bits`, for negation (Fig. 12, Table 9): how much of a hidden
  unit's response is explained by the gate bit together with one data bit, and
  how much the gate changes that bit's effect (the interaction
  ``m11 - m10 - m01 + m00`` of the four cell means ``m[gate, bit]``).
- :func:`levels`, for the 2-bit to 1-of-4 encoder (Tables 6-7): the sorted
  values one hidden unit takes on the patterns, and whether they are distinct.

Non-goals: training (the notebooks call :func:`backprop.train`) and plotting.
"""

from __future__ import annotations

import numpy as np


def gated_bits(h, x, gate: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Each hidden unit's fit to (gate bit, data bit i) and the gate's effect on bit i.

    ``h``: (S, H, m) activations; ``x``: (n, m) 0/1 input patterns, row ``gate``
    the gate. For every unit and every data bit i (the other n - 1 rows) the four
    cells c = (gate, bit i) give means ``m_c``; returns, each (S, H, n - 1),

        fit         = 1 - sum (h - m_c)**2 / sum (h - mean h)**2   (the share of variance the cells explain)
        interaction = m11 - m10 - m01 + m00                        (bit i's effect with the gate on, minus off)
    """
    h, x = np.asarray(h, dtype=float), np.asarray(x)
    data = np.delete(x, gate, axis=0)  # (n - 1, m)
    cell = (2 * x[gate][None, :] + data).astype(int)  # (n - 1, m): 2 * gate + bit
    C = (cell[:, None, :] == np.arange(4)[None, :, None]).astype(float)  # (n - 1, 4, m): cell indicators
    means = np.einsum("shm,icm->shic", h, C) / C.sum(-1)  # (S, H, n - 1, 4)
    fitted = np.einsum("shic,icm->shim", means, C)  # (S, H, n - 1, m)
    within = ((h[:, :, None, :] - fitted) ** 2).sum(-1)
    total = ((h - h.mean(-1, keepdims=True)) ** 2).sum(-1)[..., None]  # (S, H, 1)
    fit = np.where(total > 0, 1 - within / np.where(total > 0, total, 1), 0.0)
    interaction = means[..., 3] - means[..., 2] - means[..., 1] + means[..., 0]
    return fit, interaction


def xor_units(h, x, gate: int = 0, min_fit: float = 0.9, min_gate: float = 0.5) -> np.ndarray:
    """Whether every hidden unit is a gated copy of a different data bit: (S,) booleans.

    A unit is gated bit i when the cells (gate, bit i) explain at least ``min_fit`` of
    its variance and ``|interaction| >= min_gate`` (the gate changes bit i's effect on
    it by at least that much); a network passes when its units are gated bits of as
    many different data bits as it has units (three XORs, one per bit, for negation).
    """
    fit, interaction = gated_bits(h, x, gate)  # (S, H, n - 1)
    best = fit.argmax(-1)  # (S, H): the data bit that explains each unit best
    ok = np.take_along_axis((fit >= min_fit) & (np.abs(interaction) >= min_gate), best[..., None], -1)[..., 0]
    n_bits = fit.shape[-1]
    covered = (best[..., None] == np.arange(n_bits)).any(1).sum(-1)  # (S,): distinct bits explained
    return ok.all(-1) & (covered == min(n_bits, fit.shape[1]))


def levels(h, min_gap: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """The values one hidden unit takes on the m patterns, sorted, and whether they are distinct.

    ``h``: (S, m), one unit per network; returns ``(np.sort(h), gaps >= min_gap)``:
    (S, m) and (S,), true when every two neighbouring sorted values differ by at least ``min_gap``.
    """
    h = np.sort(np.asarray(h, dtype=float), axis=-1)
    return h, np.all(np.diff(h, axis=-1) >= min_gap, axis=-1)
