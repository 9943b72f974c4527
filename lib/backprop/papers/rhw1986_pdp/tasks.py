"""The training sets of the PDP chapter (Rumelhart, Hinton & Williams 1986), as data.

Every function returns numpy arrays with **examples as columns**: ``x`` of shape
``(n_in, m)`` and ``y`` of shape ``(n_out, m)``, with 0/1 targets. Where the
chapter gives a size, it is an assert next to the code that builds the set.

Source: "Learning internal representations by error propagation", PDP vol. 1,
ch. 8 (XOR, parity, the encoder, binary addition, negation). The Nature
paper's sets are in :mod:`backprop.papers.rhw1986_nature.tasks`.

Non-goals: no training here; the notebooks train on these sets with
:func:`backprop.train` and say what they assume.
"""

from __future__ import annotations

import itertools

import numpy as np


def all_bit_patterns(n: int) -> np.ndarray:
    """Every pattern of ``n`` bits as a column, in counting order: ``(n, 2**n)``, first bit most significant."""
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    return np.array(list(itertools.product((0, 1), repeat=int(n))), dtype=float).T


def xor() -> tuple[np.ndarray, np.ndarray]:
    """Exclusive-or: ``x`` (2, 4), ``y`` (1, 4)."""
    x = all_bit_patterns(2)
    return x, (x.sum(0, keepdims=True) % 2)


def parity(n: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """Output 1 when an odd number of the ``n`` inputs are on (PDP p. 334): ``(n, 2**n)``, ``(1, 2**n)``."""
    x = all_bit_patterns(n)
    return x, (x.sum(0, keepdims=True) % 2)


def encoder(n: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """The encoder problem (PDP p. 335): ``n`` one-hot patterns mapped onto themselves."""
    x = np.eye(n)
    return x, x.copy()


def binary_addition(bits: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Add two ``bits``-bit numbers (PDP ch. 8): ``2*bits`` inputs, ``bits + 1`` output bits, most significant first."""
    x = all_bit_patterns(2 * bits)
    weights = 2 ** np.arange(bits - 1, -1, -1)
    total = (weights @ x[:bits] + weights @ x[bits:]).astype(int)  # (m,)
    y = (total[None, :] >> np.arange(bits, -1, -1)[:, None]) & 1  # (bits + 1, m)
    return x, y.astype(float)


def negation(n: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Negation (PDP ch. 8): input 0 is the negation bit; the other ``n`` are copied, or complemented when it is on."""
    x = all_bit_patterns(n + 1)
    flip = x[:1]  # (1, m)
    return x, np.abs(x[1:] - flip)


def binary_to_one_of_n(bits: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """The 2-bit to 1-of-4 encoder (PDP ch. 8, Tables 6-7): a ``bits``-bit number turns on one output of ``2**bits``.

    ``x``: (bits, 2**bits), every number in counting order, most significant bit
    first; ``y``: (2**bits, 2**bits), the identity: number ``k`` turns on output ``k``
    (00 -> 1000, 01 -> 0100, 10 -> 0010, 11 -> 0001 for the chapter's ``bits = 2``).
    """
    x = all_bit_patterns(bits)
    y = np.eye(2**bits)
    assert (x.shape, y.shape) == ((2, 4), (4, 4)) or bits != 2  # two input bits, four one-of-four outputs
    return x, y
